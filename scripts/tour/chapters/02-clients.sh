# SPDX-License-Identifier: GPL-2.0
# Chapter 2: many clients on one server port, each a distinct 4-tuple.

chapter 2 "Many clients on one server port: every connection a distinct 4-tuple"
say "An echo server listens on port 7000.  The client opens three" \
    "connections to it and the other host two.  On the server all five" \
    "share the local endpoint 10.0.0.2:7000; what tells them apart is the" \
    "peer's endpoint, so each connection is the 4-tuple (local address," \
    "local port, peer address, peer port), and no two are equal."
bg server "toycat -l -k -e 7000"
wait_for "the server listens" '[ $(rows server "state listening") = 1 ]'
bg client "toysock -n 3 -c 10.0.0.2:7000 -H"
bg other "toysock -n 2 -c 10.0.0.2:7000 -H"
wait_for "five connections on the server" \
	'[ $(rows server "state established sport = :7000") = 5 ]'
on server "toyss -tn sport = :7000"
check "five connections, all on the server's 10.0.0.2:7000" \
	'[ $(awk "NR > 1 && \$4 == \"10.0.0.2:7000\"" <<<"$OUT" | wc -l) = 5 ]'
check "five different peer endpoints, from two hosts" \
	'[ $(awk "NR > 1 { print \$5 }" <<<"$OUT" | sort -u | wc -l) = 5 ] &&
	 [ $(awk "NR > 1 { split(\$5, a, \":\"); print a[1] }" <<<"$OUT" | sort -u | wc -l) = 2 ]'
chapter_end
