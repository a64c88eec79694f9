# SPDX-License-Identifier: GPL-2.0
# Chapter 1: a port multiplexes one address among services.

chapter 1 "A port multiplexes one address among services"
say "The server has one address, 10.0.0.2, and runs three services on it:" \
    "an echo service on port 7, a greeting on port 13 and a file on port 80." \
    "A segment names its destination port, and the port says which service" \
    "gets it.  Port 9 has no service: the module answers with a reset."
bg server "toycat -l -k -e 7"
bg server "echo 'hello from port 13' | toycat -l 13"
bg server "echo 'the file on port 80' | toycat -l 80"
wait_for "three listeners on the server" '[ $(rows server "state listening") = 3 ]'
on server "toyss -tln"
check "one address, three listening ports: 7, 13 and 80" \
	'[ "$(awk "NR > 1 { print \$4 }" <<<"$OUT" | sort | xargs)" = "0.0.0.0:13 0.0.0.0:7 0.0.0.0:80" ]'
on client "echo 'is anyone there?' | toycat 10.0.0.2 7"
check "port 7 echoed what it got" '[ "$OUT" = "is anyone there?" ]'
on client "toycat 10.0.0.2 13 </dev/null"
check "port 13 greeted" '[ "$OUT" = "hello from port 13" ]'
on client "toycat 10.0.0.2 80 </dev/null"
check "port 80 sent its file" '[ "$OUT" = "the file on port 80" ]'
on client "toycat 10.0.0.2 9 </dev/null"
check "port 9, where nothing listens, refused the connection" \
	'grep -q "Connection refused" <<<"$OUT"'
chapter_end
