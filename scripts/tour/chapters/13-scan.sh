# SPDX-License-Identifier: GPL-2.0
# Chapter 13: a port scan: open, closed and silent ports.

chapter 13 "A port scan: open, closed and silent ports"
say "A scanner learns which services a host runs without connecting to" \
    "them: it sends a SYN to each port and reads the answer.  An open port" \
    "answers SYN,ACK (a listener is there; the scanner's own stack then" \
    "resets the half-open connection); a closed port answers with a reset;" \
    "a port behind a firewall that drops its segments answers nothing." \
    "The server runs services on ports 22, 80 and 443, and its firewall" \
    "drops ports 25 and 8080.  toyseg sends one SYN and prints what comes" \
    "back within a second:"
for p in 22 80 443; do
	bg server "toysock -b 0.0.0.0:$p -l -H"
done
drop server in dport 25
drop server in dport 8080
wait_for "three listeners" '[ $(rows server "state listening") = 3 ]'
on other "toyseg -s 50022 10.0.0.2:22"
check "port 22 answers SYN,ACK" 'grep -q "^got .* \[SYN,ACK\] " <<<"$OUT"'
on other "toyseg -s 50023 10.0.0.2:23"
check "port 23 answers with a reset" 'grep -q "^got .*RST" <<<"$OUT"'
on other "toyseg -s 50025 10.0.0.2:25"
check "port 25 answers nothing" '! grep -q "^got" <<<"$OUT"'
say "The same for a list of ports, the way a scanner reports them:"
on other 'for p in 21 22 23 25 80 443 8080; do
	a=$(toyseg -s $((50000 + p)) 10.0.0.2:$p)
	case $a in
	*"[SYN,ACK]"*) echo "$p open" ;;
	*RST*) echo "$p closed" ;;
	*) echo "$p silent (filtered)" ;;
	esac
done'
check "open: 22 80 443; closed: 21 23; silent: 25 8080" \
	'[ "$(awk "{ print \$1, \$2 }" <<<"$OUT" | xargs)" = "21 closed 22 open 23 closed 25 silent 80 open 443 open 8080 silent" ]'
chapter_end
