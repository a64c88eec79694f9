# SPDX-License-Identifier: GPL-2.0
# Chapter 10: a connection's life as a sequence chart, from the
# tracepoints.

chapter 10 "A connection's life, segment by segment"
say "The client sends a line to an echo server and closes.  Every segment" \
    "the module sends or receives, and every change of state, is a" \
    "tracepoint (system toy); the chart is drawn from what they recorded:" \
    "the handshake (SYN, SYN,ACK, ACK), the data and its echo, the two" \
    "FINs with their ACKs, and the client's TIME_WAIT until it expires." \
    "Sequence numbers are relative to each side's first, as Wireshark" \
    "shows them; times are in milliseconds under an emulated CPU, so only" \
    "their order matters.  The client's MSL is 250 ms here, so TIME_WAIT" \
    "lasts 0.5 s."
on client "echo 250 >/proc/sys/net/toy/msl_ms"
bg server "toycat -l -e 7000"
wait_for "the server listens" '[ $(rows server "state listening") = 1 ]'
trace_on
on client "echo hello | toycat -v 10.0.0.2 7000"
client_end=$(sed -n 's/^toycat: \([0-9.:]*\) -> .*/\1/p' <<<"$OUT")
check "the echo came back" 'grep -qx hello <<<"$OUT"'
wait_for "the client's TIME_WAIT to expire" \
	'grep -q "toy_timewait_leave: src=$client_end" $tracefs/trace'
trace_off sequence.trace
on host "grep -c ' toy_' $TOUR_WORK/sequence.trace"
python3 "$here/draw.py" sequence "$TOUR_WORK/sequence.trace" "$client_end" \
	10.0.0.2:7000 >"$TOUR_OUT/10-sequence.svg"
drawn=$?
check "the trace has the handshake and the client's TIME_WAIT" '[ $drawn = 0 ]'
sends() { grep "toy_segment_send: src=$1 " "$TOUR_WORK/sequence.trace"; }
flags() { sends "$1" | grep -o 'flags=[A-Z|]*'; }
check "the client sent a SYN first, then data, then a FIN" \
	'flags $client_end | head -1 | grep -qx "flags=SYN" &&
	 sends $client_end | grep -q "len=[1-9]" && flags $client_end | grep -q FIN'
check "the server answered SYN,ACK and sent its FIN" \
	'flags 10.0.0.2:7000 | grep -q "SYN|ACK" && flags 10.0.0.2:7000 | grep -q FIN'
check "the client, which closed first, held TIME_WAIT" \
	'grep -q "toy_timewait_enter: src=$client_end" $TOUR_WORK/sequence.trace'
picture 10-sequence.svg "One connection from the client's toy_segment_send to the server's toy_segment_recv and back, with the states each side entered."
chapter_end
