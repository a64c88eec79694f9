#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# toyify (tools/toyify/): unmodified Debian programs over AF_TOY, between
# two namespaces joined by veth.  Each test checks that its traffic went
# over AF_TOY and not over TCP or UDP: the AF_TOY counters of the
# namespace (/proc/net/toy_stat) moved, TCP's and UDP's (/proc/net/snmp)
# did not, and /proc/net/tcp and /proc/net/udp have no socket of it.  The
# programs: python3's http.server and curl (a file, sha256 identical),
# socat (TCP and UDP addresses, and UDP port 53 with --dns), nc, iperf3
# (TCP_INFO read through TOY_INFO), a python program using sendfile(),
# splice(), epoll and accept4(SOCK_NONBLOCK).  Then what stays IPv4
# (AF_UNIX, IPv6, ports not named, DNS), the errors of bad use, and curl
# under valgrind.  A program missing from this machine skips its test.
# The body is one block, read whole before it runs: editing this file
# (or a git pull) during a long run cannot change what the run executes.
{
here=$(cd "$(dirname "$0")" && pwd)
. "$here/ktap.sh"
tools=${TOY_TOOLS:-$here/../build/tools}
scale=${TOY_TIMEOUT_SCALE:-1}
toyify=$tools/toyify
work=$(mktemp -d)
C="ip netns exec tfc"
S="ip netns exec tfs"
T=$((60 * scale))

# The servers of the tests, by pid: the tests run in subshells
# (ktap_check), so the list is a file.
stop_servers() {
	local p

	for p in $(cat "$work/pids" 2>/dev/null); do
		kill "$p" 2>/dev/null
	done
	: >"$work/pids"
}

cleanup() {
	stop_servers
	wait 2>/dev/null
	ip netns del tfc 2>/dev/null
	ip netns del tfs 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

setup() {
	modprobe -q veth
	ip netns add tfc && ip netns add tfs &&
	ip link add eth0 netns tfc type veth peer name eth0 netns tfs &&
	$C ip addr add 10.31.0.1/24 dev eth0 && $C ip link set eth0 up &&
	$S ip addr add 10.31.0.2/24 dev eth0 && $S ip link set eth0 up &&
	$C ip link set lo up && $S ip link set lo up
}

# A server in the background, in namespace tfs, stopped after the test.
serve() {
	$S "$@" >"$work/server.log" 2>&1 &
	echo $! >>"$work/pids"
}

# Wait, bounded, until namespace $1 lists a $2 (toy or toyd) socket
# bound to port $3.
wait_bound() {
	local i
	for i in $(seq $((300 * scale))); do
		"$tools/toyss" -N "$1" -Htuln 2>/dev/null |
			awk -v n="$2" -v p=":$3" '$1 == n && substr($5, length($5) - length(p) + 1) == p { f = 1 } END { exit !f }' &&
			return 0
		sleep 0.1
	done
	echo "no $2 socket on port $3 in $1"
	return 1
}

# Counter $3 of line $2 ("Tcp", "Udp") of /proc/net/snmp in namespace $1.
snmp() {
	ip netns exec "$1" awk -v l="$2:" -v n="$3" '$1 == l && !h { for (i = 2; i <= NF; i++) c[i] = $i; h = 1; next }
		$1 == l { for (i = 2; i <= NF; i++) if (c[i] == n) print $i }' /proc/net/snmp
}

# Counter $2 of /proc/net/toy_stat in namespace $1.
toystat() {
	ip netns exec "$1" awk -v n="$2" 'NR == 1 { for (i = 2; i <= NF; i++) c[i] = $i; next }
		{ for (i = 2; i <= NF; i++) if (c[i] == n) print $i }' /proc/net/toy_stat
}

# TCP connections opened, UDP datagrams in and out, in namespace $1.
tcp_opens() { echo $(($(snmp $1 Tcp ActiveOpens) + $(snmp $1 Tcp PassiveOpens))); }
udp_dgrams() { echo $(($(snmp $1 Udp InDatagrams) + $(snmp $1 Udp OutDatagrams))); }

# AF_TOY segments and datagrams in and out of namespace $1.
toy_traffic() {
	echo $(($(toystat $1 InSegs) + $(toystat $1 OutSegs) +
		$(toystat $1 InDatagrams) + $(toystat $1 OutDatagrams)))
}

# What says which protocol carried a test: taken before (mark) and
# checked after (over_toy stream|dgram).
mark() {
	local ns
	for ns in tfc tfs; do
		eval "tcp_$ns=\$(tcp_opens $ns)"
		eval "udp_$ns=\$(udp_dgrams $ns)"
		eval "toy_$ns=\$(toy_traffic $ns)"
	done
}

over_toy() {
	local ns tcp udp toy ok=0
	for ns in tfc tfs; do
		tcp=$(tcp_opens $ns)
		udp=$(udp_dgrams $ns)
		toy=$(toy_traffic $ns)
		eval "[ $tcp = \$tcp_$ns ]" || { echo "$ns: TCP opened connections"; ok=1; }
		eval "[ $udp = \$udp_$ns ]" || { echo "$ns: UDP carried datagrams"; ok=1; }
		eval "[ $toy -gt \$toy_$ns ]" || { echo "$ns: no AF_TOY traffic"; ok=1; }
		[ "$(ip netns exec $ns awk 'FNR > 1' /proc/net/tcp /proc/net/udp | wc -l)" = 0 ] ||
			{ echo "$ns: sockets in /proc/net/tcp or udp"; ok=1; }
	done
	return $ok
}

have() {
	local p
	for p in "$@"; do
		command -v "$p" >/dev/null || return 1
	done
}

t_http() {
	mkdir -p "$work/www" && head -c 262144 /dev/urandom >"$work/www/file.bin"
	mark
	( cd "$work/www" && serve "$toyify" python3 -m http.server --bind 10.31.0.2 8000 )
	wait_bound tfs toy 8000 || return 1
	$C timeout $T "$toyify" curl -sS -o "$work/got.bin" http://10.31.0.2:8000/file.bin ||
		return 1
	sha256sum "$work/www/file.bin" "$work/got.bin"
	cmp "$work/www/file.bin" "$work/got.bin" || return 1
	# -a: the server's address is one to move.
	$C timeout $T "$toyify" -a 10.31.0.0/24 curl -sS -o "$work/got2.bin" \
		http://10.31.0.2:8000/file.bin || return 1
	cmp "$work/www/file.bin" "$work/got2.bin" && over_toy
}

t_socat_tcp() {
	mark
	serve "$toyify" socat TCP-LISTEN:9000,reuseaddr,fork EXEC:cat
	wait_bound tfs toy 9000 || return 1
	# -t: after its input ends, socat waits for the echo only half a
	# second unless told; a slow kernel's server may take longer.
	out=$(echo "through socat" | $C timeout $T "$toyify" socat -t $T - TCP:10.31.0.2:9000)
	echo "$out"
	[ "$out" = "through socat" ] && over_toy
}

# got FILE LINE: wait (bounded) until FILE holds the line LINE.
got() {
	local i
	for i in $(seq $((100 * scale))); do
		grep -qx "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "no \"$2\" in $1"
	return 1
}
t_socat_udp() {
	mark
	serve "$toyify" socat -u UDP-RECV:9001 OPEN:"$work/udp.out",creat,append
	wait_bound tfs toyd 9001 || return 1
	echo "a datagram" | $C timeout $T "$toyify" socat -u - UDP-SENDTO:10.31.0.2:9001 ||
		return 1
	got "$work/udp.out" "a datagram" || return 1
	over_toy || return 1
	# --dns: port 53 moves too, a DNS server's and its client's.
	mark
	serve "$toyify" --dns socat -u UDP-RECV:53 OPEN:"$work/dns.out",creat,append
	wait_bound tfs toyd 53 || return 1
	echo "a query" | $C timeout $T "$toyify" --dns socat -u - UDP-SENDTO:10.31.0.2:53 ||
		return 1
	got "$work/dns.out" "a query" && over_toy
}

t_nc() {
	head -c 200000 /dev/urandom >"$work/nc.in"
	mark
	serve sh -c "'$toyify' nc -l 10.31.0.2 9100 >'$work/nc.out'"
	wait_bound tfs toy 9100 || return 1
	$C timeout $T "$toyify" nc -N 10.31.0.2 9100 <"$work/nc.in" || return 1
	for i in $(seq $((100 * scale))); do
		cmp -s "$work/nc.in" "$work/nc.out" && break
		sleep 0.1
	done
	cmp "$work/nc.in" "$work/nc.out" && over_toy
}

t_iperf3() {
	local out
	mark
	serve "$toyify" iperf3 -s -4 -1 -p 5201
	wait_bound tfs toy 5201 || return 1
	out=$($C timeout $T "$toyify" iperf3 -4 -c 10.31.0.2 -p 5201 -t 1 2>&1)
	echo "$out" | tail -6
	# The sender's line, with the retransmissions it read in TCP_INFO.
	grep -Eq '[0-9.]+ [KMG]?bits/sec +[0-9]+ +sender' <<<"$out" &&
		grep -q 'receiver' <<<"$out" && over_toy
}

# sendfile(), splice(), epoll and accept4(SOCK_NONBLOCK) from python3.
cat >"$work/calls.py" <<'EOF'
import os, select, socket, sys
role, addr = sys.argv[1], ('10.31.0.2', 9200)
data = bytes(range(256)) * 1024
if role == 'server':
    l = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.bind(addr)
    l.listen(4)
    l.setblocking(False)
    ep = select.epoll()
    ep.register(l.fileno(), select.EPOLLIN)
    for _ in range(2):
        ep.poll(60)
        c, peer = l.accept()      # accept4(SOCK_CLOEXEC | SOCK_NONBLOCK)
        assert peer[0] == '10.31.0.1', peer
        c.setblocking(True)
        got = b''
        while True:
            b = c.recv(65536)
            if not b:
                break
            got += b
        print('server: %d bytes, %s' % (len(got), 'intact' if got == data else 'WRONG'),
              flush=True)
        c.close()
else:
    path = sys.argv[2]
    with open(path, 'wb') as f:
        f.write(data)
    s = socket.create_connection(addr)
    assert s.getpeername() == addr, s.getpeername()
    with open(path, 'rb') as f:
        print('sendfile:', s.sendfile(f))   # os.sendfile()
    s.close()
    s = socket.create_connection(addr)
    r, w = os.pipe()
    n = 0
    os.write(w, data[:32768])
    n += os.splice(r, s.fileno(), 32768)
    rest = data[32768:]
    while rest:
        k = os.write(w, rest[:65536])
        rest = rest[k:]
        n += os.splice(r, s.fileno(), k)
    print('splice:', n)
    s.close()
EOF

t_calls() {
	local out
	mark
	serve "$toyify" python3 "$work/calls.py" server
	wait_bound tfs toy 9200 || return 1
	$C timeout $T "$toyify" python3 "$work/calls.py" client "$work/data" || return 1
	for i in $(seq $((100 * scale))); do
		[ "$(grep -c intact "$work/server.log")" = 2 ] && break
		sleep 0.1
	done
	cat "$work/server.log"
	[ "$(grep -c 'bytes, intact' "$work/server.log")" = 2 ] && over_toy
}

# What stays: AF_UNIX, IPv6, a port not named, DNS over UDP.
t_stays() {
	local out
	out=$($C "$toyify" python3 -c '
import socket
u = socket.socket(socket.AF_UNIX)
print("unix", u.getsockopt(socket.SOL_SOCKET, socket.SO_DOMAIN))
s = socket.socket(socket.AF_INET6)
print("inet6", s.getsockopt(socket.SOL_SOCKET, socket.SO_DOMAIN))
t = socket.socket()
print("stream reads", t.getsockopt(socket.SOL_SOCKET, socket.SO_DOMAIN),
      t.getsockopt(socket.SOL_SOCKET, socket.SO_PROTOCOL))
' 2>&1)
	echo "$out"
	grep -qx "unix 1" <<<"$out" && grep -qx "inet6 10" <<<"$out" &&
		grep -qx "stream reads 2 6" <<<"$out" || return 1
	# -p: only port 8001 moves; a TCP server on 8002 is reached over TCP.
	mark
	serve python3 -m http.server --bind 10.31.0.2 8002
	for i in $(seq $((300 * scale))); do
		$S ss -Htln | grep -q ':8002 ' && break
		sleep 0.1
	done
	$C timeout $T "$toyify" -p 8001 curl -sS -o /dev/null http://10.31.0.2:8002/ ||
		return 1
	[ $(($(tcp_opens tfc) - tcp_tfc)) = 1 ] ||
		{ echo "port 8002 did not go over TCP"; return 1; }
	# -a: an address not named goes over TCP too.
	mark
	$C timeout $T "$toyify" -a 10.99.0.0/16 curl -sS -o /dev/null http://10.31.0.2:8002/ ||
		return 1
	[ $(($(tcp_opens tfc) - tcp_tfc)) = 1 ] ||
		{ echo "10.31.0.2 with -a 10.99.0.0/16 did not go over TCP"; return 1; }
	mark
	out=$(echo x | $C "$toyify" -v socat -u - UDP-SENDTO:10.31.0.2:53 2>&1) ||
		{ echo "$out"; return 1; }
	echo "$out"
	grep -q ':53 stays IPv4' <<<"$out" &&
		[ $(($(udp_dgrams tfc) - udp_tfc)) = 1 ]
}

t_errors() {
	local out rc
	out=$("$toyify" --frobnicate true 2>&1); rc=$?
	echo "$out"
	[ $rc = 2 ] && grep -q 'unknown option --frobnicate' <<<"$out" || return 1
	out=$("$toyify" -p 80,x true 2>&1); rc=$?
	echo "$out"
	[ $rc = 2 ] && grep -q 'takes ports' <<<"$out" || return 1
	out=$("$toyify" -a 10.0.0.300 true 2>&1); rc=$?
	echo "$out"
	[ $rc = 2 ] && grep -q 'takes IPv4 addresses' <<<"$out" || return 1
	# The library without the module's family: a clear error, no socket.
	out=$(TOYIFY_FAMILY='' LD_PRELOAD=$tools/libtoyify.so python3 -c '
import socket
try:
    socket.socket()
except OSError as e:
    print("refused:", e.strerror)
' 2>&1)
	echo "$out"
	grep -q 'the toy module is not loaded' <<<"$out" &&
		grep -q 'refused: Address family not supported' <<<"$out" || return 1
	# A waiting socket's descriptor reused for a file: never replaced.
	out=$($C "$toyify" python3 -c '
import os, socket, stat
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
os.dup2(os.open("/dev/null", os.O_RDONLY), s.fileno())
try:
    s.sendto(b"x", ("10.31.0.2", 9))
except OSError as e:
    print("sendto:", e.strerror)
print("still /dev/null:", stat.S_ISCHR(os.fstat(s.fileno()).st_mode))
' 2>&1)
	echo "$out"
	grep -q 'sendto: Socket operation on non-socket' <<<"$out" &&
		grep -q 'still /dev/null: True' <<<"$out"
}

t_valgrind() {
	local out
	mkdir -p "$work/www" && head -c 65536 /dev/urandom >"$work/www/file.bin"
	( cd "$work/www" && serve "$toyify" python3 -m http.server --bind 10.31.0.2 8003 )
	wait_bound tfs toy 8003 || return 1
	out=$($C timeout $((300 * scale)) "$toyify" valgrind -q --error-exitcode=99 \
		curl -sS -o "$work/vg.bin" http://10.31.0.2:8003/file.bin 2>&1)
	rc=$?
	echo "$out" | tail -20
	[ $rc = 0 ] && cmp "$work/www/file.bin" "$work/vg.bin"
}

# Run test $2 (named $1) if the programs $3... exist.
run() {
	local name=$1 fn=$2
	shift 2
	if have "$@"; then
		ktap_check "$name" $fn
	else
		ktap_skip "$name" "needs $*"
	fi
	stop_servers
}

ktap_plan 10
ktap_check "two namespaces over veth" setup
run "python3 http.server serves curl a file over AF_TOY, sha256 identical" t_http python3 curl
run "socat TCP addresses echo over AF_TOY" t_socat_tcp socat
run "socat UDP addresses carry a datagram over AF_TOY, port 53 too with --dns" t_socat_udp socat
run "nc sends a file over AF_TOY" t_nc nc
run "iperf3 client and server over AF_TOY" t_iperf3 iperf3
run "sendfile, splice, epoll and accept4 from python3" t_calls python3
run "AF_UNIX, IPv6, ports and addresses not named, and DNS stay as they are" t_stays python3 curl socat
run "bad use gets clear errors" t_errors python3
run "curl under valgrind, through the shim: no error" t_valgrind valgrind curl python3
ktap_end
}
