# SPDX-License-Identifier: GPL-2.0
# Chapter 11: TIME_WAIT, why it exists, what it costs, the remedies.

chapter 11 "TIME_WAIT: why the closer waits, and what it costs"
say "The side that closes first holds the connection's 4-tuple for 2 x MSL" \
    "after the end (net.toy.msl_ms; 5 s here, so 10 s).  Why: a segment of" \
    "the old connection may still be in the network.  Were the 4-tuple free," \
    "a new connection on it could take that old segment for its own data." \
    "Here is one: the client sent a line, the server echoed it, both closed;" \
    "then a copy of the server's echo, delayed, arrives again (toyseg" \
    "replays it from the server's address and port)."
on client "echo 5000 >/proc/sys/net/toy/msl_ms"
bg server "toycat -l -k -e 7000"
wait_for "the server listens" '[ $(rows server "state listening") = 1 ]'
trace_on
on client "echo hello | toycat -v 10.0.0.2 7000"
client_end=$(sed -n 's/^toycat: \([0-9.:]*\) -> .*/\1/p' <<<"$OUT")
wait_for "the client's TIME_WAIT" '[ $(rows client "state time-wait") = 1 ]'
trace_off echo.trace
on client "toyss -tan"
check "the client, which closed first, holds TIME_WAIT" \
	'grep -q "^TIME-WAIT .*$client_end .*10.0.0.2:7000" <<<"$OUT"'
# The server's data segment: its sequence and acknowledgment numbers.
seq=0 ack=0
read -r seq ack <<<"$(grep "toy_segment_send: src=10.0.0.2:7000 dst=$client_end .*len=6" \
	"$TOUR_WORK/echo.trace" | head -1 | sed 's/.* seq=\([0-9]*\) ack=\([0-9]*\) .*/\1 \2/')"
on server "toyseg -s 7000 -F ACK -q $seq -a $ack -d 6 $client_end"
check "the TIME_WAIT entry answers the old data with an ACK of where the connection ended" \
	'grep -q "^got .* \[ACK\] " <<<"$OUT" && ! grep -q RST <<<"$OUT"'
wait_for "the TIME_WAIT entry to expire" '[ $(rows client "state time-wait") = 0 ]'
say "Once the entry has expired, nothing remembers the connection: the same" \
    "segment now meets a closed port, and a reset.  Had a new connection" \
    "reused the 4-tuple, it could have met that new connection instead."
on server "toyseg -s 7000 -F ACK -q $seq -a $ack -d 6 $client_end"
check "after TIME_WAIT the old segment draws a reset" 'grep -q "^got .*RST" <<<"$OUT"'

say "The cost: a TIME_WAIT entry holds its port toward that server.  A" \
    "client that makes many short connections to one server, closing first," \
    "runs out of ephemeral ports.  With a range of five ports and TIME_WAIT" \
    "down to 6 s, the sixth connection within 6 s fails; once the first" \
    "entry expires, its port serves again.  The timeline is drawn from the" \
    "tracepoints (toy_connect_port, toy_timewait_enter, toy_timewait_leave)."
on client "echo 40000 40004 >/proc/sys/net/toy/ip_local_port_range; echo 0 >/proc/sys/net/toy/tw_reuse; echo 3000 >/proc/sys/net/toy/msl_ms"
trace_on
on client 'for i in 1 2 3 4 5 6; do echo $i | toycat 10.0.0.2 7000 >/dev/null && echo "connection $i: made"; done'
mark "connect failed"
check "five connections made, the sixth refused: Cannot assign requested address" \
	'[ $(grep -c made <<<"$OUT") = 5 ] && grep -q "Cannot assign requested address" <<<"$OUT"'
on client "toyss -tan"
check "five TIME_WAIT entries hold the five ports" '[ $(grep -c "^TIME-WAIT" <<<"$OUT") = 5 ]'
wait_for "the first entry to expire" '[ $(rows client "state time-wait") -lt 5 ]'
on client 'echo 7 | toycat 10.0.0.2 7000 >/dev/null && echo "connection 7: made"'
check "after the first entry expired, a port is free again" 'grep -q made <<<"$OUT"'
wait_for "every entry to expire" '[ $(rows client "state time-wait") = 0 ]'
trace_off churn.trace
python3 "$here/draw.py" timeline "$TOUR_WORK/churn.trace" 40000 40004 \
	>"$TOUR_OUT/11-timewait.svg"
picture 11-timewait.svg "Five ephemeral ports over time: each connection (blue) is short, its TIME_WAIT (orange) lasts 6 s; the sixth connect() finds no port."

say "The remedies: a wider port range; net.toy.tw_reuse=1, which lets" \
    "connect() take over an entry older than a second (its sequence numbers" \
    "start above the old ones, RFC 6191); an abortive close (SO_LINGER {1," \
    "0}) that ends with a reset and no TIME_WAIT; or letting the server close" \
    "first, so that the entries pile up there, one per client port, not at" \
    "the client.  Two of them, with the same five ports:"
on client "echo 1 >/proc/sys/net/toy/tw_reuse"
on client 'for i in 1 2 3 4 5; do echo $i | toycat 10.0.0.2 7000 >/dev/null && echo "connection $i: made"; done'
check "five connections, five new TIME_WAIT entries" \
	'[ $(grep -c made <<<"$OUT") = 5 ] && [ $(rows client "state time-wait") = 5 ]'
# An entry may be taken over once it is a second old: its timer (toyss
# -o) is then below 5 s of its 6.
wait_for "the entries to be a second old" \
	'! toyss -N client -Htano state time-wait | grep -Eq "timewait,[56](\.|sec)"'
on client 'for i in 6 7 8; do echo $i | toycat 10.0.0.2 7000 >/dev/null && echo "connection $i: made"; done'
check "a second later, three more on the same five ports" '[ $(grep -c made <<<"$OUT") = 3 ]'
on client "echo 0 >/proc/sys/net/toy/tw_reuse"
say "And the abortive close: toychurn plays both ends on the client, and" \
    "with -A its client closes with SO_LINGER {1, 0}.  Twenty connections" \
    "through the same five ports, no TIME_WAIT left:"
on client "toychurn -q -A -n 20 10.0.0.1 7100"
check "twenty connections, each ended by a reset" '[ $RC = 0 ]'
wait_for "the resets to land" '[ $(rows client "state time-wait sport = :7100") = 0 ]'
chapter_end
