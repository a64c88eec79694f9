# SPDX-License-Identifier: GPL-2.0
# Chapter 5: one client port, reused toward different destinations.

chapter 5 "One client port is reused toward different destinations"
say "The client may use one local port for many connections, as long as" \
    "their 4-tuples differ.  Here its ephemeral range is a single port," \
    "40000, and it still connects to the server's ports 7000 and 7001 and" \
    "to the other host's 7000: three connections from 10.0.0.1:40000."
bg server "toycat -l -k -e 7000"
bg server "toycat -l -k -e 7001"
bg other "toycat -l -k -e 7000"
wait_for "three listeners" \
	'[ $(($(rows server "state listening") + $(rows other "state listening"))) = 3 ]'
on client "echo 40000 40000 >/proc/sys/net/toy/ip_local_port_range"
bg client "toysock -c 10.0.0.2:7000 -H"
wait_for "the first connection" '[ $(rows client "state established") = 1 ]'
bg client "toysock -c 10.0.0.2:7001 -H"
wait_for "the second connection" '[ $(rows client "state established") = 2 ]'
bg client "toysock -c 10.0.0.3:7000 -H"
wait_for "the third connection" '[ $(rows client "state established") = 3 ]'
on client "toyss -tn"
check "three connections, all from 10.0.0.1:40000" \
	'[ "$(awk "NR > 1 { print \$4 }" <<<"$OUT" | sort -u)" = "10.0.0.1:40000" ] &&
	 [ $(awk "NR > 1" <<<"$OUT" | wc -l) = 3 ]'
check "to three different destinations" \
	'[ $(awk "NR > 1 { print \$5 }" <<<"$OUT" | sort -u | wc -l) = 3 ]'
say "A fourth connection to a destination already served would repeat a" \
    "4-tuple, and there is no other port to take:"
on client "toysock -c 10.0.0.2:7000 -B"
check "connect() fails: Cannot assign requested address" \
	'grep -q "Cannot assign requested address" <<<"$OUT"'
chapter_end
