#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The AF_TOY demo, run in the test VM by `make demo`: shows, step by step,
# what the module adds to the kernel.  Every step says what to look at.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
toysock=$top/build/tools/toysock
toyseg=$top/build/tools/toyseg
toycat=$top/build/tools/toycat
toychurn=$top/build/tools/toychurn
toybench=$top/build/tools/toybench
toyss=$top/build/tools/toyss
toystat=$top/build/tools/toystat
n=0

step() {
	n=$((n + 1))
	printf '\n=== %d. %s\n' "$n" "$1"
	[ $# -gt 1 ] && printf '    %s\n' "${@:2}"
}
show() { printf '$ %s\n' "$*"; eval "$@"; }

# Wait (bounded, 30 s) until CMD succeeds; what a step shows must be there.
wait_for() {
	local i
	for i in $(seq 300); do
		eval "$1" && return 0
		sleep 0.1
	done
	echo "    (gave up waiting for: $1)"
	return 1
}

# Wait until CMD prints at least N lines (rows of a listing).
wait_rows() { wait_for "[ \$($1 | wc -l) -ge $2 ]"; }

step "toy.ko is loaded and has registered a socket family" \
     "AF_TOY takes slot 18 (AF_ASH, reserved and never implemented)."
show "lsmod | grep -w toy"
show "dmesg | grep -E 'AF_TOY|PF_ASH'"
show "grep . /sys/module/toy/parameters/*"

step "The kernel now knows two AF_TOY protocols" \
     "TOY is SOCK_STREAM, TOY-DGRAM is SOCK_DGRAM; 'sockets' counts this namespace."
show "awk 'NR == 1 || /^TOY/ { printf \"%-10s %6s %8s\\n\", \$1, \$2, \$3 }' /proc/net/protocols"

step "socket(AF_TOY, ...) creates sockets" \
     "SO_DOMAIN, SO_TYPE and SO_PROTOCOL report what each socket is."
show "$toysock -t stream -n 2"
show "$toysock -t dgram"
show "$toysock -t stream -p 253"

step "Bad requests get the errno TCP/UDP give" \
     "an unsupported type: ESOCKTNOSUPPORT; another protocol: EPROTONOSUPPORT."
show "$toysock -t seqpacket"
show "$toysock -t stream -p 6"

step "Open sockets are counted, per namespace and module-wide" \
     "Three sockets held open by a background process:"
"$toysock" -n 3 -H >/dev/null &
holder=$!
for _ in $(seq 100); do
	[ "$(cat /sys/module/toy/live/sockets)" = 3 ] && break
	sleep 0.05
done
show "awk '/^TOY / { print \$1, \"sockets:\", \$3 }' /proc/net/protocols"
show "grep . /sys/module/toy/live/*"
echo "    toystat prints the counters of /proc/net/toy_stat as nstat prints TCP's"
echo "    (-a: absolute values, not the change since its last run):"
show "$toystat -a 'ToySock*' ToyInSegs ToyOutSegs"
echo "    A fresh network namespace has AF_TOY state of its own, all zero:"
ip netns add demo
show "ip netns exec demo $toystat -az 'ToySock*' ToyInSegs ToyOutSegs"
show "ip netns exec demo awk '/^TOY / { print \$1, \"sockets:\", \$3 }' /proc/net/protocols"
ip netns del demo

# Run a toysock in the background, holding its sockets, and show its lines.
holders=()
hold() {
	local out
	out=$(mktemp)
	"$@" -H >"$out" 2>&1 &
	holders+=($!)
	for _ in $(seq 200); do
		grep -q -e holding -e toysock: "$out" && break
		sleep 0.05
	done
	grep -v holding "$out" | sed 's/^/    (held in the background) /'
	rm -f "$out"
}
release() {
	[ ${#holders[@]} -gt 0 ] && kill "${holders[@]}" 2>/dev/null
	wait "${holders[@]}" 2>/dev/null
	holders=()
}
# Ask the receive path who would get a segment (debugfs, root only).
lookup() {
	local f=/sys/kernel/debug/toy/lookup
	[ -e $f ] || mount -t debugfs debugfs /sys/kernel/debug
	printf '$ who receives %s %s -> %s ?  ' "$1" "$2" "$3"
	exec 3<>$f
	echo "$1 $2 $3" >&3
	cat <&3
	exec 3>&-
}

step "An endpoint is (address, port); bind() claims one" \
     "The wildcard 0.0.0.0 overlaps every address, so 127.0.0.1:8080 is refused;" \
     "stream and datagram ports are two separate spaces, as TCP's and UDP's."
hold "$toysock" -b 0.0.0.0:8080
show "$toysock -b 127.0.0.1:8080"
show "$toysock -t dgram -b 127.0.0.1:8080"
release
echo "    Two specific addresses do not overlap:"
hold "$toysock" -b 127.0.0.1:8081
show "$toysock -b 127.0.0.2:8081"
release

step "SO_REUSEADDR lets sockets share a port, but a listener always blocks"
hold "$toysock" -r -b 0.0.0.0:8082
show "$toysock -r -b 127.0.0.1:8082"
release
hold "$toysock" -r -b 0.0.0.0:8082 -l
show "$toysock -r -b 127.0.0.1:8082"
release

step "Ports below net.toy.ip_unprivileged_port_start need CAP_NET_BIND_SERVICE"
show "cat /proc/sys/net/toy/ip_unprivileged_port_start"
show "setpriv --reuid=nobody --regid=nogroup --clear-groups $toysock -b 0.0.0.0:80"
show "setpriv --reuid=nobody --regid=nogroup --clear-groups $toysock -b 0.0.0.0:8080"

step "Port 0 picks an ephemeral port: pseudo-random, inside the range" \
     "Never sequential, never the lowest free one (RFC 6056)."
show "cat /proc/sys/net/toy/ip_local_port_range"
show "$toysock -n 6 -b 0.0.0.0:0"
echo "    Each network namespace has its own tables and sysctls. In a fresh one,"
echo "    with a 4-port range, the fifth automatic choice finds nothing:"
ip netns add demo
ip netns exec demo ip link set lo up
# 10.9.0.0/16 on a veth whose other end is down: nothing there answers.
modprobe -q veth
ip netns exec demo ip link add toy0 type veth peer name toy1
ip netns exec demo ip addr add 10.9.0.1/16 dev toy0
ip netns exec demo ip link set toy0 up
show "ip netns exec demo sh -c 'echo 40000 40003 > /proc/sys/net/toy/ip_local_port_range'"
show "ip netns exec demo $toysock -n 5 -b 0.0.0.0:0"

step "A connection is a 4-tuple, so one local port serves many destinations" \
     "With a one-port range, connect() to two destinations shares port 40000;" \
     "a second connection to the same destination would repeat a 4-tuple." \
     "(10.9.0.2 never answers, so these stay in SYN_SENT.)"
show "ip netns exec demo sh -c 'echo 40000 40000 > /proc/sys/net/toy/ip_local_port_range'"
hold ip netns exec demo "$toysock" -c 10.9.0.2:7001
show "ip netns exec demo $toysock -c 10.9.0.2:7002"
show "ip netns exec demo $toysock -c 10.9.0.2:7001"
wait_rows "ip netns exec demo $toyss -Htan state syn-sent" 1
echo "    toyss lists them as ss lists TCP's (-o: the SYN's retransmission timer);"
echo "    it reads them over sock_diag, as ss does:"
show "ip netns exec demo $toyss -tano"
release

step "connect() sends a SYN: refused by a reset, or timed out by silence" \
     "A closed port resets the SYN: ECONNREFUSED at once.  A silent peer gets the" \
     "SYN again after 1 s, 2 s, 4 s ... net.toy.syn_retries times, then ETIMEDOUT."
show "ip netns exec demo $toysock -B -c 127.0.0.1:7777"
show "ip netns exec demo sh -c 'echo 2 > /proc/sys/net/toy/syn_retries'"
show "time ip netns exec demo $toysock -B -c 10.9.0.2:7777"
show "ip netns exec demo $toystat -a ToyActiveOpens ToyAttemptFails ToyInSegs ToyOutSegs"
ip netns del demo

step "Who receives a segment? The exact 4-tuple, else a listener on the" \
     "specific address, else the wildcard listener (here two listeners share" \
     "port 9000 with TOY_REUSEPORT).  The answer is the socket's inode."
hold "$toysock" -P -b 0.0.0.0:9000 -l
echo "    wildcard listener: $(readlink /proc/"${holders[0]}"/fd/3)"
hold "$toysock" -P -b 127.0.0.1:9000 -l
echo "    specific listener: $(readlink /proc/"${holders[1]}"/fd/3)"
lookup stream 10.1.1.1:5555 127.0.0.1:9000
lookup stream 10.1.1.1:5555 127.0.0.2:9000
lookup stream 10.1.1.1:5555 127.0.0.1:9001
show "$toyss -tlne sport = :9000"
release

step "A closed port answers with a reset" \
     "toyseg sends one hand-made segment from a raw socket and prints the answer:" \
     "no socket listens on 7777, so the module resets, acknowledging the SYN (seq+1)."
show "$toyseg -F SYN -q 1000 127.0.0.1:7777"
echo "    A reset is never answered with a reset:"
show "$toyseg -F RST -q 5 127.0.0.1:7777"
show "$toystat -a ToyInSegs ToyOutRsts"

step "The handshake settles options: the MSS, the window scale, timestamps" \
     "A SYN carries TCP's options after the 20-byte header.  A listener answers" \
     "with its own MSS, and scales windows only when the SYN offered it too;" \
     "offered timestamps, it answers with its own clock (TS val) and echoes ours."
hold "$toysock" -P -b 127.0.0.1:7778 -l
show "$toyseg -s 40405 -F SYN -q 1000 127.0.0.1:7778"
show "$toyseg -s 40406 -F SYN -q 1000 -m 1460 -W 7 127.0.0.1:7778"
show "$toyseg -s 40407 -F SYN -q 1000 -m 1460 -T 4242 127.0.0.1:7778"
release

step "A listener only accepts; every connection gets a socket of its own" \
     "toycat -l -k listens on 127.0.0.1:7000 (an echo server here); two clients" \
     "connect.  -v prints each 4-tuple: same server endpoint, distinct client ports."
echo 1000 >/proc/sys/net/toy/msl_ms	# TIME_WAIT of 2 s, to watch it end
rm -f /tmp/demo.go
"$toycat" -l -k -e -v -s 127.0.0.1 7000 2>&1 | sed 's/^/    (server) /' &
server=$!
wait_rows "$toyss -Htln sport = :7000" 1
# Each client's input ends when /tmp/demo.go appears.
(echo "hello from client 1"; wait_for "[ -e /tmp/demo.go ]") |
	"$toycat" -v 127.0.0.1 7000 2>&1 | sed 's/^/    (client 1) /' &
client1=$!
(echo "hello from client 2"; wait_for "[ -e /tmp/demo.go ]") |
	"$toycat" -v 127.0.0.1 7000 2>&1 | sed 's/^/    (client 2) /' &
client2=$!
wait_rows "$toyss -Htn state established sport = :7000" 2
echo "    toyss -a: the listener and both ends of each connection:"
show "$toyss -tan sport = :7000 or dport = :7000"

step "Closing: the side that closes first holds TIME_WAIT for 2 x MSL" \
     "The clients' stdin ends, they send FIN; the echo server answers FIN." \
     "The clients closed first, so theirs are the TIME-WAIT rows, with the time" \
     "they have left; net.toy.msl_ms is 1000 here (default 30000, TCP's 60 s)."
touch /tmp/demo.go
wait_rows "$toyss -Htan state time-wait" 2
show "$toyss -tano sport = :7000 or dport = :7000"
wait_for "[ -z \"\$($toyss -Htan state time-wait)\" ]"
echo "    2 s later the TIME-WAIT rows are gone:"
show "$toyss -tan sport = :7000 or dport = :7000"
pkill -f "toycat -l -k -e" 2>/dev/null
wait "$server" "$client1" "$client2" 2>/dev/null
rm -f /tmp/demo.go

step "One connection's life, from the toy tracepoints" \
     "Every segment and state change is a tracepoint (system toy); tracefs shows" \
     "them as they happen, and trace-cmd and bpftrace read the same events" \
     "(tracepoint:toy:*).  A client sends a line to an echo server and closes;" \
     "TIME_WAIT is 2 x 100 ms here.  Times in ms; received segments left out."
tracefs=/sys/kernel/tracing
[ -d $tracefs/events ] || mount -t tracefs nodev $tracefs
echo 100 >/proc/sys/net/toy/msl_ms
echo >$tracefs/trace
echo 1 >$tracefs/events/toy/enable
"$toycat" -l -e -s 127.0.0.1 7010 >/dev/null &
tserver=$!
wait_rows "$toyss -Htln sport = :7010" 1
echo "one line" | "$toycat" 127.0.0.1 7010 >/dev/null
wait_for "grep -q toy_timewait_leave $tracefs/trace"
echo 0 >$tracefs/events/toy/enable
show "awk '/ toy_/ && !/toy_segment_recv/ { t = \$4 + 0; if (!t0) t0 = t
	sub(/^.* toy_/, \"toy_\"); printf \"%7.2f  %s\\n\", (t - t0) * 1000, \$0 }' $tracefs/trace"
echo >$tracefs/trace
wait "$tserver"

step "TIME_WAIT can exhaust the ephemeral ports; five remedies" \
     "A client makes short connections to one server and closes first: each" \
     "leaves a TIME_WAIT entry (a small object, not a socket) holding its port" \
     "for that server.  With only 10 ports, the 11th connect() fails:"
ip netns add churn
ip netns exec churn sh -c 'ip link set lo up
	ip link add t0 type veth peer name t1
	ip addr add 10.20.0.1/24 dev t0 && ip link set t0 up
	echo 0 >/proc/sys/net/toy/tw_reuse'
inns() { ip netns exec churn "$@"; }
show "inns sh -c 'echo 40000 40009 >/proc/sys/net/toy/ip_local_port_range'"
show "inns $toychurn -q -n 11 10.20.0.1 7000"
show "inns $toyss -Htan state time-wait | wc -l"
echo "    Still 10 entries, 60 s each (TCP's).  Remedy 1: a wider range."
show "inns sh -c 'echo 40000 40019 >/proc/sys/net/toy/ip_local_port_range'"
show "inns $toychurn -q -n 1 10.20.0.1 7000"
show "inns sh -c 'echo 40000 40009 >/proc/sys/net/toy/ip_local_port_range'"
echo "    Remedy 2: net.toy.tw_reuse=1 lets connect() take over an entry a second"
echo "    old, starting its sequence numbers above the old connection's (RFC 6191)."
echo "    (The default, 2, does that on loopback only.)"
sleep 1	# the entries must be a second old: a time, not a state
show "inns sh -c 'echo 1 >/proc/sys/net/toy/tw_reuse'"
show "inns $toychurn -q -n 5 10.20.0.1 7000"
show "inns sh -c 'echo 0 >/proc/sys/net/toy/tw_reuse'"
echo "    Remedy 3: an abortive close (SO_LINGER {1, 0}) sends a reset, no TIME_WAIT."
show "inns $toychurn -q -A -n 30 10.20.0.1 7001"
echo "    Remedy 4: the server closes first, so TIME_WAIT lands on the server; a"
echo "    client port that comes back reopens the 4-tuple with a newer SYN."
show "inns $toychurn -q -S -n 30 10.20.0.1 7002"
show "inns $toyss -tan state time-wait sport = :7002 | head -4"
echo "    Remedy 5: SO_REUSEADDR, where TCP allows it: a restarted server binds its"
echo "    port while its old connections still hold it in TIME_WAIT."
show "inns $toychurn -q -S -r -n 3 10.20.0.1 7003"
show "inns $toychurn -q -n 1 10.20.0.1 7003"
show "inns $toychurn -q -r -n 1 10.20.0.1 7003"
echo "    The counters, and what all those entries cost:"
show "inns $toystat -a 'ToyTW*' ToyTimeWaitOverflow"
show "dmesg | grep -o 'a TIME_WAIT entry [0-9]*' | head -1; grep -H . /sys/module/toy/live/timewait"
echo "    A namespace that goes away ends its entries at once:"
ip netns del churn
for _ in $(seq 100); do
	[ "$(cat /sys/module/toy/live/timewait)" = 0 ] && break
	sleep 0.1
done
show "grep -H . /sys/module/toy/live/timewait"

step "Datagram sockets: demultiplexed by destination port only" \
     "A receiver on port 9000 hears every sender; recvfrom() names each one." \
     "A datagram to a port nobody holds is answered \"port unreachable\": a" \
     "connected sender sees ECONNREFUSED, as with UDP."
ip netns add dg
ip netns exec dg ip link set lo up
ip netns exec dg "$toycat" -u -l -v 9000 >/tmp/demo.dg 2>&1 &
dgserver=$!
wait_rows "ip netns exec dg $toyss -Huan sport = :9000" 1
show "echo 'hello from one'  | ip netns exec dg $toycat -u 127.0.0.1 9000"
show "echo 'hello from two'  | ip netns exec dg $toycat -u 127.0.0.1 9000"
wait_for "[ \$(grep -c '^hello from' /tmp/demo.dg) = 2 ]"
show "cat /tmp/demo.dg"
show "ip netns exec dg $toyss -uan"
show "echo 'anyone?' | ip netns exec dg $toycat -u 127.0.0.1 9001"
kill "$dgserver"
wait "$dgserver" 2>/dev/null
show "ip netns exec dg $toystat -a '*Datagrams' ToyNoPorts ToyRcvbufErrors"
ip netns del dg
rm -f /tmp/demo.dg

# Namespaces left (10.10.0.1 on va) and right (10.10.0.2 on vb), over veth.
veth_pair() {
	ip netns add left
	ip netns add right
	ip link add va netns left type veth peer name vb netns right
	ip netns exec left ip addr add 10.10.0.1/24 dev va
	ip netns exec left ip link set va up
	ip netns exec right ip addr add 10.10.0.2/24 dev vb
	ip netns exec right ip link set vb up
}

step "IP may lose, duplicate and reorder; the transport still delivers exactly" \
     "Two namespaces joined by veth; netem on both ends loses 10%, reorders 25%," \
     "duplicates 5% and delays 10 ms.  2 MiB go across and arrive intact."
modprobe -q veth
modprobe -q sch_netem
veth_pair
for ns in left:va right:vb; do
	ip netns exec "${ns%:*}" tc qdisc add dev "${ns#*:}" root netem \
		loss 10% reorder 25% duplicate 5% delay 10ms
	ip netns exec "${ns%:*}" sh -c 'echo 100 >/proc/sys/net/toy/msl_ms'
done
show "ip netns exec left tc qdisc show dev va"
head -c 2097152 /dev/urandom >/tmp/demo.bin
ip netns exec right "$toycat" -l 7000 </dev/null >/tmp/demo.got &
receiver=$!
wait_rows "ip netns exec right $toyss -Htln sport = :7000" 1
show "time ip netns exec left $toycat -v 10.10.0.2 7000 </tmp/demo.bin"
wait "$receiver"
show "sha256sum /tmp/demo.bin /tmp/demo.got"
echo "    What it took (left sent the data and resent what was lost, by fast"
echo "    retransmit, timeout, loss probe, or again when a resent copy was lost"
echo "    too; right received it):"
show "ip netns exec left $toystat -a ToyRetransSegs ToyFastRetrans ToyTimeouts ToyLossProbes ToyLostRetransmit"
show "ip netns exec right $toystat -a ToyOFOQueue ToyDupSegs"
ip netns del left
ip netns del right
rm -f /tmp/demo.bin /tmp/demo.got

step "Segmentation offload: over veth, one packet carries a run of segments" \
     "veth takes GSO packets whole, as it takes TCP's: the sender hands it runs of" \
     "full segments as one packet (module/gso.c) and still counts every segment." \
     "4 MiB across: OutSegs counts segments, the device counts packets."
veth_pair
# One counter of /proc/net/toy_stat in namespace $1.
nsstat() {
	ip netns exec "$1" awk -v name="$2" 'NR == 1 { for (i = 2; i <= NF; i++) n[i] = $i; next }
	     { for (i = 2; i <= NF; i++) if (n[i] == name) print $i }' /proc/net/toy_stat
}
head -c 4194304 /dev/urandom >/tmp/demo.bin
ip netns exec right "$toycat" -l 7000 </dev/null >/tmp/demo.got &
receiver=$!
wait_rows "ip netns exec right $toyss -Htln sport = :7000" 1
packets=$(ip netns exec left cat /sys/class/net/va/statistics/tx_packets)
show "ip netns exec left $toycat 10.10.0.2 7000 </tmp/demo.bin"
wait "$receiver"
packets=$(( $(ip netns exec left cat /sys/class/net/va/statistics/tx_packets) - packets ))
echo "    segments sent: $(nsstat left OutSegs), packets va sent: $packets"
show "cmp /tmp/demo.bin /tmp/demo.got && echo intact"
ip netns del left
ip netns del right
rm -f /tmp/demo.bin /tmp/demo.got

step "Delayed ACKs: the answer carries the ACK of the question" \
     "An ACK may wait (40 to 200 ms) for data going back.  toybench rr plays a" \
     "1-byte request and response for a second, over loopback: each transaction" \
     "costs two segments, each carrying the ACK of the other; with every ACK sent" \
     "at once it would cost four.  OutSegs counts the segments sent."
ip netns add rr
ip netns exec rr ip link set lo up
# One counter of /proc/net/toy_stat in namespace rr.
rrstat() {
	ip netns exec rr awk -v name="$1" 'NR == 1 { for (i = 2; i <= NF; i++) n[i] = $i; next }
	     { for (i = 2; i <= NF; i++) if (n[i] == name) print $i }' /proc/net/toy_stat
}
before=$(rrstat OutSegs)
trans=$(ip netns exec rr "$toybench" --family toy -t 1 -v rr 2>&1 |
	sed -n 's/.*: \([0-9]*\) transactions.*/\1/p')
segs=$(($(rrstat OutSegs) - before))
echo "    segments per transaction: $(( (segs + trans / 2) / trans ))"
ip netns del rr

step "A SYN flood: spoofed SYNs fill a listener's half-open entries; SYN cookies" \
     "keep it open.  400 SYNs from 10.9.0.2 (an address that never answers) reach" \
     "an echo server listening with backlog 128: 128 become half-open entries, the" \
     "rest are answered with a cookie (net.toy.syncookies=1, TCP's default) and" \
     "leave nothing behind.  A real client still connects: its ACK returns a cookie."
modprobe -q veth
ip netns add flood
ip netns exec flood sh -c 'ip link set lo up
	ip link add toy0 type veth peer name toy1
	ip addr add 10.9.0.1/16 dev toy0 && ip link set toy0 up'
# 400 SYNs from 10.9.0.2, ports 20000-20399, to 10.9.0.1:$1, from a raw socket.
synflood() {
	ip netns exec flood perl -MSocket -e '
	my ($port, $n, $proto) = @ARGV;
	socket(my $s, PF_INET, SOCK_RAW, 255) or die "raw socket: $!\n";
	my ($sa, $da) = (inet_aton("10.9.0.2"), inet_aton("10.9.0.1"));
	sub csum { my $d = shift; $d .= "\0" if length($d) % 2; my $sum = 0;
		$sum += $_ for unpack("n*", $d);
		$sum = ($sum & 0xffff) + ($sum >> 16) while $sum >> 16;
		return ~$sum & 0xffff; }
	for my $i (0 .. $n - 1) {
		# toyhdr: ports, seq, ack, doff 5, flags SYN, window, check, type
		my $th = pack("nnNNCCnnCC", 20000 + $i, $port, 1000 * $i, 0, 5,
			      2, 8192, 0, 0, 0);
		substr($th, 16, 2) = pack("n", csum($sa . $da .
			pack("CCn", 0, $proto, length($th)) . $th));
		my $ip = pack("CCnnnCCna4a4", 0x45, 0, 40, 0, 0x4000, 64, $proto,
			      0, $sa, $da);
		send($s, $ip . $th, 0, pack_sockaddr_in(0, $da)) or die "send: $!\n";
	}' "$1" 400 "$(cat /sys/module/toy/parameters/ipproto)"
}
# The SYN-cookie counters and the listener's rows of a namespace.
floodstat() {
	ip netns exec flood "$toystat" -a 'ToySyncookies*' ToyListenDrops
}
ip netns exec flood "$toycat" -l -k -e 7300 >/dev/null 2>&1 &
floodserver=$!
wait_rows "ip netns exec flood $toyss -Htln sport = :7300" 1
show "synflood 7300"
echo "    Half-open entries (SYN-RECV) now held for port 7300:"
show "ip netns exec flood $toyss -Htan state syn-recv sport = :7300 | wc -l"
show "echo 'hello through the flood' | ip netns exec flood $toycat -w 5 10.9.0.1 7300"
show floodstat
show "dmesg | grep -o 'AF_TOY: Possible SYN flooding on port 7300.*' | head -1"
echo "    The same flood with net.toy.syncookies=0: the client's SYNs are dropped"
echo "    while the spoofed entries last (a minute); after 3 s it is still trying:"
kill "$floodserver"
wait "$floodserver" 2>/dev/null
ip netns exec flood sh -c 'echo 0 >/proc/sys/net/toy/syncookies'
ip netns exec flood "$toycat" -l -k -e 7301 >/dev/null 2>&1 &
floodserver=$!
wait_rows "ip netns exec flood $toyss -Htln sport = :7301" 1
synflood 7301
show "echo 'hello through the flood' | ip netns exec flood $toycat -w 3 10.9.0.1 7301"
show floodstat
kill "$floodserver"
wait "$floodserver" 2>/dev/null
ip netns del flood

step "Real programs, unchanged, over AF_TOY: toyify" \
     "toyify preloads a small library (tools/toyify/) that turns a program's IPv4" \
     "TCP and UDP sockets into AF_TOY sockets.  python3's web server serves a" \
     "page, curl fetches it.  toyss shows the listener and the TIME-WAIT of the" \
     "server, which closed first, as HTTP/1.0 servers do; /proc/net/tcp is empty."
toyify=$top/build/tools/toyify
ip netns add web
ip netns exec web ip link set lo up
mkdir -p /tmp/demo.www
echo "<h1>Served over AF_TOY</h1>" >/tmp/demo.www/index.html
(cd /tmp/demo.www && exec ip netns exec web "$toyify" python3 -m http.server \
	--bind 127.0.0.1 8000 >/dev/null 2>&1) &
webserver=$!
wait_rows "ip netns exec web $toyss -Htln sport = :8000" 1
show "ip netns exec web $toyify -v curl -s http://127.0.0.1:8000/index.html"
show "ip netns exec web $toyss -tan"
show "ip netns exec web cat /proc/net/tcp"
kill "$webserver"
wait "$webserver" 2>/dev/null
ip netns del web
rm -rf /tmp/demo.www

step "Read the code: the functions one connection runs through" \
     "ftrace's function tracer on the functions the README's 'How to read the" \
     "code' follows (those the compiler kept out of line): the handshake, one" \
     "send() out and its segment in, recv(), the FINs and TIME_WAIT."
tracing=/sys/kernel/tracing
[ -e "$tracing/trace" ] || mount -t tracefs nodev "$tracing"
readpath="toy_stream_connect toy_send_syn toy_rcv toy_lookup_stream
	toy_stream_rcv toy_listen_rcv toy_req_rcv toy_accept toy_rcv_state
	toy_seq_ok toy_ack_rcvd toy_cc_on_ack toy_rtt_sample toy_rcv_data
	toy_stream_sendmsg toy_push toy_push_header toy_ip_out
	toy_stream_recvmsg toy_stream_close toy_send_fin toy_time_wait"
names=$(mktemp)
tr -s ' \t\n' '\n' <<<"$readpath" >"$names"
awk '$2 == "[toy]" { print $1 }' "$tracing/available_filter_functions" |
	grep -xF -f "$names" >"$tracing/set_ftrace_filter"
rm -f "$names"
: >"$tracing/trace"
# An empty filter would trace every function of the kernel.
grep -q '\[toy\]' "$tracing/set_ftrace_filter" &&
	echo function >"$tracing/current_tracer"
"$toycat" -l -s 127.0.0.1 7400 >/dev/null &
tracedserver=$!
for _ in $(seq 200); do
	grep -q ':1CE8 00000000:0000 0A' /proc/net/toy && break
	sleep 0.05
done
echo "hi" | "$toycat" 127.0.0.1 7400
wait "$tracedserver"
echo 0 >"$tracing/tracing_on"	# a new tracer would empty the buffer
echo "    Each line: the task that ran it (softirq work runs in whoever took the"
echo "    interrupt), the function, its caller; a line repeated at once is shown once."
show "awk '\$1 !~ /^#/ { sub(/-[0-9]+\$/, \"\", \$1); print \$1, \$5, \$6 }' $tracing/trace | uniq | sed 's/^/    /'"
echo nop >"$tracing/current_tracer"
: >"$tracing/set_ftrace_filter"
echo 1 >"$tracing/tracing_on"

step "The module cannot go while a socket is open"
show "rmmod toy"
kill "$holder"
wait "$holder" 2>/dev/null

step "Closed: every live-object counter is back to zero"
for _ in $(seq 300); do
	[ -z "$(grep -v ':0$' <<<"$(grep -H . /sys/module/toy/live/*)")" ] && break
	sleep 0.05
done
show "grep . /sys/module/toy/live/*"
echo
echo "Demo done.  'make shell' gives you this VM to explore; the module is unloaded on exit."
echo "'make tour' shows each idea of transport addressing on three hosts, with pictures."
