# SPDX-License-Identifier: GPL-2.0
# Chapter 9: the eleven states, and the state diagram drawn from the
# module's own table.

chapter 9 "Eleven states: the life of a connection"
say "A stream socket is always in one of eleven states.  The stagehand" \
    "(scripts/tour/stage.py) holds sockets on the client and the server" \
    "and opens and closes them step by step, and the firewalls drop chosen" \
    "segments, until every state is held by some socket at the same time."
trace_on
stage server "bind b 0.0.0.0 7600"
for p in 7000 7001 7002 7003; do
	stage server "listen l$p $p"
done
# ESTABLISHED both ways.
stage client "connect e 10.0.0.2 7000"
wait_for "e established" '[ $(rows client "state established dport = :7000") = 1 ]'
stage server "accept se l7000"
# FIN_WAIT2 against CLOSE_WAIT: the client shuts its side, the server not.
stage client "connect w 10.0.0.2 7000"
wait_for "w established" '[ $(rows client "state established dport = :7000") = 2 ]'
stage server "accept sw l7000"
stage client "shutdown w"
wait_for "w in FIN_WAIT2" '[ $(rows client "state fin-wait-2") = 1 ]'
# TIME_WAIT against LAST_ACK: the client's FIN goes through, then its
# ACK of the server's FIN does not.
stage client "connect t 10.0.0.2 7001"
wait_for "t established" '[ $(rows client "state established dport = :7001") = 1 ]'
stage server "accept st l7001"
stage client "shutdown t"
wait_for "t in FIN_WAIT2" '[ $(rows client "state fin-wait-2") = 2 ]'
drop server in dport 7001
stage server "shutdown st"
wait_for "t in TIME_WAIT" '[ $(rows client "state time-wait") = 1 ]'
# CLOSING against FIN_WAIT1: both close, and the client's FIN is lost.
stage client "connect c 10.0.0.2 7003"
wait_for "c established" '[ $(rows client "state established dport = :7003") = 1 ]'
stage server "accept sc l7003"
drop server in dport 7003
stage client "shutdown c"
stage server "shutdown sc"
wait_for "c in CLOSING" '[ $(rows client "state closing") = 1 ]'
# SYN_SENT against SYN_RECV: the server's SYN,ACK never leaves.
drop server out sport 7002
stage client "connect half 10.0.0.2 7002"
wait_for "the half-open connection" '[ $(rows server "state syn-recv") = 1 ]'
trace_off states.trace
on client "toyss -tan"
states=$(awk 'NR > 1 { print $1 }' <<<"$OUT")
on server "toyss -tan"
states=$(printf '%s\n%s\n' "$states" "$(awk 'NR > 1 { print $1 }' <<<"$OUT")" | sort -u | xargs)
check "all eleven states at once: $states" \
	'[ "$states" = "CLOSE-WAIT CLOSING ESTAB FIN-WAIT-1 FIN-WAIT-2 LAST-ACK LISTEN SYN-RECV SYN-SENT TIME-WAIT UNCONN" ]'
say "The module keeps its state diagram as a table (module/states.c):" \
    "every edge, what takes it, and who holds the new state.  Every change" \
    "of a stream socket's state is checked against it, and the table is" \
    "what /sys/kernel/debug/toy/states prints.  The picture is drawn by" \
    "graphviz from that file; the edges these connections took, as the" \
    "toy_state_change tracepoint saw them, are in red."
on host "cat /sys/kernel/debug/toy/states"
cp /sys/kernel/debug/toy/states "$TOUR_WORK/states.table"
check "the table has the eleven states" \
	'[ $(awk "{ print \$1; print \$2 }" $TOUR_WORK/states.table | sort -u | wc -l) = 11 ]'
python3 "$here/draw.py" states "$TOUR_WORK/states.table" \
	"$TOUR_WORK/states.trace" >"$TOUR_WORK/states.dot"
drawn=$?
check "every change of state the tracepoint saw is an edge of the table" \
	'[ $drawn = 0 ]'
dot -Tsvg "$TOUR_WORK/states.dot" >"$TOUR_OUT/09-states.svg"
picture 09-states.svg "The state diagram, drawn from /sys/kernel/debug/toy/states; in red the edges the connections of this chapter took. Dashed edges are held by an entry rather than the socket: a request entry for SYN_RECV, a TIME_WAIT entry for TIME_WAIT."
chapter_end
