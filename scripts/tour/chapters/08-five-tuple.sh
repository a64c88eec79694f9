# SPDX-License-Identifier: GPL-2.0
# Chapter 8: the 5-tuple; stream and datagram port spaces apart.

chapter 8 "The 5-tuple: stream and datagram ports are separate spaces"
say "Stream port 9000 and datagram port 9000 are two different ports, as" \
    "TCP's and UDP's are: the protocol is the fifth element of the tuple." \
    "Both AF_TOY protocols travel as IP protocol $(cat /sys/module/toy/parameters/ipproto)," \
    "and a type byte in the header says which table the receiver looks in." \
    "The server runs a stream echo service and a datagram receiver on the" \
    "same port number."
bg server "toycat -l -k -e 9000"
bg server "toycat -u -l -v 9000 >$TOUR_WORK/datagrams 2>&1"
wait_for "both services up" \
	'[ $(toyss -N server -Htuln sport = :9000 | wc -l) = 2 ]'
on server "toyss -tuln sport = :9000"
check "two sockets on port 9000, one of each kind" \
	'[ "$(awk "NR > 1 { print \$1 }" <<<"$OUT" | sort | xargs)" = "toy toyd" ]'
on client "echo 'over the stream' | toycat 10.0.0.2 9000"
check "the stream service echoed" '[ "$OUT" = "over the stream" ]'
on client "echo 'in a datagram' | toycat -u -w 0 10.0.0.2 9000"
wait_for "the datagram arrived" 'grep -q "in a datagram" $TOUR_WORK/datagrams'
on server "cat $TOUR_WORK/datagrams"
check "the datagram reached the datagram socket, not the stream one" \
	'grep -q "in a datagram" <<<"$OUT" && ! grep -q "over the stream" <<<"$OUT"'
say "The receive path's own answer, asked through debugfs for one segment" \
    "of each kind from the same client endpoint: two different sockets" \
    "(by inode)."
for kind in stream dgram; do
	on server "exec 3<>/sys/kernel/debug/toy/lookup; echo '$kind 10.0.0.1:5555 10.0.0.2:9000' >&3; cat <&3"
	eval "ino_$kind=\$(grep -o 'ino=[0-9]*' <<<\"\$OUT\")"
done
check "each kind has its own receiver" \
	'[ -n "$ino_stream" ] && [ -n "$ino_dgram" ] && [ "$ino_stream" != "$ino_dgram" ]'
chapter_end
