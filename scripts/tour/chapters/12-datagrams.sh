# SPDX-License-Identifier: GPL-2.0
# Chapter 12: datagram demultiplexing by destination port only.

chapter 12 "Datagrams: one socket per port, whoever sends"
say "A datagram socket is found by the destination port alone (and its" \
    "address): one receiver on port 9000 hears every sender, and" \
    "recvfrom() tells it who each one was.  A stream listener would have" \
    "made a socket per peer instead."
bg server "toycat -u -l -v 9000 >$TOUR_WORK/datagrams 2>&1"
wait_for "the receiver is bound" '[ $(toyss -N server -Huan | wc -l) = 1 ]'
on client "echo 'from the client' | toycat -u -w 0 10.0.0.2 9000"
on other "echo 'from the other host' | toycat -u -w 0 10.0.0.2 9000"
wait_for "both datagrams" '[ $(grep -c "^from" $TOUR_WORK/datagrams) = 2 ]'
on server "cat $TOUR_WORK/datagrams; toyss -uan"
check "one socket received both, and knows each sender" \
	'grep -q "bytes from 10.0.0.1:" <<<"$OUT" && grep -q "bytes from 10.0.0.3:" <<<"$OUT" &&
	 [ $(grep -c "^UNCONN .*0.0.0.0:9000 " <<<"$OUT") = 1 ]'
say "A connected datagram socket takes only its peer's datagrams.  The" \
    "client binds port 9100 and connects it to the server's 9000; the" \
    "receive path (asked through debugfs) gives the server's datagrams to" \
    "it, and has no socket for the other host's."
bg client "toysock -t dgram -b 0.0.0.0:9100 -c 10.0.0.2:9000 -H"
wait_for "the connected socket" '[ $(toyss -N client -Hua state established | wc -l) = 1 ]'
on client "toyss -uan"
lookup_out=()
for from in 10.0.0.2:9000 10.0.0.3:5555; do
	on client "exec 3<>/sys/kernel/debug/toy/lookup; echo 'dgram $from 10.0.0.1:9100' >&3; cat <&3"
	lookup_out+=("$OUT")
done
check "its peer's datagrams reach it" 'grep -q "^ino=" <<<"${lookup_out[0]}"'
check "nobody else's do" 'grep -q "^none" <<<"${lookup_out[1]}"'
on other "echo 'hello?' | toycat -u -w 5 10.0.0.1 9100"
check "so the other host's datagram is refused: port unreachable" \
	'grep -q "Connection refused" <<<"$OUT"'
say "A datagram to a port nobody holds is answered \"port unreachable\" (an" \
    "AF_TOY segment of type unreach, as UDP's ICMP message); a connected" \
    "sender sees ECONNREFUSED."
on client "echo 'anyone?' | toycat -u -w 5 10.0.0.2 9001"
check "port 9001 is unreachable: Connection refused" 'grep -q "Connection refused" <<<"$OUT"'
on server "toystat -a ToyInDatagrams ToyNoPorts"
check "the server counted the datagram for nobody (ToyNoPorts)" \
	'[ "$(awk "\$1 == \"ToyNoPorts\" { print \$2 }" <<<"$OUT")" = 1 ]'
chapter_end
