# SPDX-License-Identifier: GPL-2.0
# Chapter 4: two connections to one server differ by the client port.

chapter 4 "Two connections to one server differ by the client port"
say "The client connects twice to the same server endpoint.  Both" \
    "connections have the same addresses and the same server port, so the" \
    "client port is the only thing that differs, and connect() gave each" \
    "one a port of its own."
bg server "toycat -l -k -e 7000"
wait_for "the server listens" '[ $(rows server "state listening") = 1 ]'
bg client "toysock -n 2 -c 10.0.0.2:7000 -H"
wait_for "two connections" '[ $(rows client "state established") = 2 ]'
on client "toyss -tn"
check "the same server endpoint twice" \
	'[ "$(awk "NR > 1 { print \$5 }" <<<"$OUT" | sort -u)" = "10.0.0.2:7000" ]'
check "two different client ports" \
	'[ $(awk "NR > 1 { print \$4 }" <<<"$OUT" | sort -u | wc -l) = 2 ]'
say "A client that insists on one port (bind() before connect(), with" \
    "SO_REUSEADDR so that the second bind is allowed) gets the first" \
    "connection; the second would repeat its 4-tuple, and connect() refuses" \
    "with EADDRNOTAVAIL."
bg client "toysock -r -b 10.0.0.1:40500 -c 10.0.0.2:7000 -B -H"
wait_for "the first connection from port 40500" \
	'[ $(rows client "state established sport = :40500") = 1 ]'
on client "toysock -r -b 10.0.0.1:40500 -c 10.0.0.2:7000 -B"
check "the second is refused: Cannot assign requested address" \
	'grep -q "Cannot assign requested address" <<<"$OUT"'
chapter_end
