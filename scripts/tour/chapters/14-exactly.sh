# SPDX-License-Identifier: GPL-2.0
# Chapter 14: IP loses, duplicates and reorders; the transport delivers
# exactly.

chapter 14 "IP loses, duplicates and reorders; the transport delivers exactly"
say "netem on the client's link, both ways, loses 10% of the packets," \
    "duplicates 5%, reorders 25% and delays the rest by 10 ms.  The client" \
    "sends 256 KiB to the server.  The receiver puts what arrives out of" \
    "order aside, drops the duplicates and acknowledges what it has; the" \
    "sender resends what was lost.  What comes out is what went in."
on client "tc qdisc add dev eth0 root netem loss 10% duplicate 5% reorder 25% delay 10ms"
on host "tc qdisc add dev eth-client root netem loss 10% duplicate 5% reorder 25% delay 10ms"
say "Over veth the module would send runs of segments as one packet (GSO)," \
    "and netem would lose whole runs; one segment per packet shows more:"
on client "ip link set dev eth0 gso_max_segs 1"
on client "head -c 262144 /dev/urandom >$TOUR_WORK/sent"
bg server "toycat -l 7000 >$TOUR_WORK/received"
wait_for "the server listens" '[ $(rows server "state listening") = 1 ]'
trace_on
on client "toycat -v 10.0.0.2 7000 <$TOUR_WORK/sent"
client_end=$(sed -n 's/^toycat: \([0-9.:]*\) -> .*/\1/p' <<<"$OUT")
wait_for "the server to have it all" \
	'[ "$(stat -c %s $TOUR_WORK/received)" = 262144 ] && [ $(rows server "state listening") = 0 ]'
trace_off exactly.trace
on host "sha256sum $TOUR_WORK/sent $TOUR_WORK/received"
check "what arrived is exactly what was sent" \
	'[ $(awk "{ print \$1 }" <<<"$OUT" | sort -u | wc -l) = 1 ]'
on client "toystat -a ToyRetransSegs ToyFastRetrans ToyTimeouts ToyLossProbes"
check "the sender did resend lost segments" \
	'grep -q "toy_retransmit: src=$client_end" $TOUR_WORK/exactly.trace'
on server "toystat -a ToyOFOQueue ToyDupSegs"
check "the receiver put segments aside that came out of order" \
	'[ "$(awk "\$1 == \"ToyOFOQueue\" { print \$2 }" <<<"$OUT")" -gt 0 ]'
python3 "$here/draw.py" seqdata "$TOUR_WORK/exactly.trace" "$client_end" \
	10.0.0.2:7000 "$TOUR_WORK"
gnuplot -e "dir = '$TOUR_WORK'" "$here/plot/exactly.gp" >"$TOUR_OUT/14-exactly.svg"
picture 14-exactly.svg "Each data segment as the client sent it (blue), sent again (red), and as the server received it (green), by time and by where its data sits in the stream."
chapter_end
