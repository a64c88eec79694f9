#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# toyss (tools/toyss.c), the ss of AF_TOY, against /proc/net/toy and
# /proc/net/toy_dgram.  In a namespace of its own, a python3 holder (AF_TOY
# through ctypes) keeps a socket in every state that can be reached
# deterministically: a listener, connections ESTABLISHED (after a known
# transfer), FIN-WAIT-2 against CLOSE-WAIT (one side shut down its
# writes, the other neither reads nor closes), a TIME-WAIT entry (msl_ms
# raised so it stays), SYN-SENT (a SYN into a dummy device, where it
# vanishes), a stream socket only bound, datagram sockets unconnected
# (with a datagram waiting) and connected; toyseg adds a SYN-RECV entry
# (its SYN-ACK dropped by nft); toysock a listener of user nobody.  toyss
# must list the same 4-tuples, states and queues as /proc, and its
# filters (states, -t/-u/-l/-a, port and address expressions), -e (uid,
# inode), -p, -o, -i, -m, -s and -N must say what /proc and the holders
# say; a normal user sees the same list; 5000 bound sockets, a dump of
# many netlink messages, are all listed.  Needs root, python3, the veth
# module, and nft for the SYN-RECV entry.
# The body is one block, read whole before it runs: editing this file
# (or a git pull) during a long run cannot change what the run executes.
{
here=$(cd "$(dirname "$0")" && pwd)
. "$here/ktap.sh"
tools=${TOY_TOOLS:-$here/../build/tools}
scale=${TOY_TIMEOUT_SCALE:-1}
NS=toyss
N="ip netns exec $NS"
SS="$tools/toyss"
work=$(mktemp -d)
holder=
nobody_pid=
many_pid=
have_nft=0

cleanup() {
	local p

	for p in $holder $nobody_pid $many_pid; do
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
	ip netns del $NS 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

# The holder: AF_TOY sockets in every state, through libc (python's
# socket module cannot build an AF_TOY address).  It prints "NAME FD
# LOCALPORT" for each socket, then "ready", and waits to be killed.
cat >"$work/hold.py" <<'EOF'
import ctypes, errno, fcntl, os, signal, socket, struct, threading

libc = ctypes.CDLL(None, use_errno=True)
AF = int(open('/sys/module/toy/parameters/family').read())
STREAM, DGRAM = socket.SOCK_STREAM, socket.SOCK_DGRAM

def chk(r, what):
    if r < 0:
        e = ctypes.get_errno()
        raise OSError(e, '%s: %s' % (what, os.strerror(e)))
    return r

def sa(ip, port):
    return (struct.pack('=H', AF) + struct.pack('!H', port) +
            socket.inet_aton(ip) + bytes(8))

def sock(t):
    return chk(libc.socket(AF, t, 0), 'socket')

def bind(fd, ip, port):
    a = sa(ip, port)
    chk(libc.bind(fd, a, len(a)), 'bind')

def connect(fd, ip, port, ok=()):
    a = sa(ip, port)
    if libc.connect(fd, a, len(a)) < 0 and ctypes.get_errno() not in ok:
        chk(-1, 'connect')

def accept(fd):
    return chk(libc.accept(fd, None, None), 'accept')

def port(fd):
    a = ctypes.create_string_buffer(16)
    n = ctypes.c_uint32(16)
    chk(libc.getsockname(fd, a, ctypes.byref(n)), 'getsockname')
    return struct.unpack('!H', a.raw[2:4])[0]

def sendall(fd, data):
    while data:
        data = data[os.write(fd, data):]

def recvn(fd, n):
    while n > 0:
        b = os.read(fd, n)
        if not b:
            raise EOFError('early end of stream')
        n -= len(b)

socks = {}
L = socks['L'] = sock(STREAM)
bind(L, '0.0.0.0', 7000)
chk(libc.listen(L, 8), 'listen')
# ESTABLISHED both ways, after 100000 bytes from C1 to A1.
C1 = socks['C1'] = sock(STREAM)
connect(C1, '127.0.0.1', 7000)
A1 = socks['A1'] = accept(L)
t = threading.Thread(target=sendall, args=(C1, b'x' * 100000))
t.start()
recvn(A1, 100000)
t.join()
# C2 shuts down its writes after 1234 bytes A2 never reads: FIN-WAIT-2
# and CLOSE-WAIT.
C2 = socks['C2'] = sock(STREAM)
connect(C2, '127.0.0.1', 7000)
A2 = socks['A2'] = accept(L)
sendall(C2, b'y' * 1234)
chk(libc.shutdown(C2, 1), 'shutdown')
# C3 closes first, then A3: C3's TIME-WAIT entry.
C3 = sock(STREAM)
connect(C3, '127.0.0.1', 7000)
A3 = accept(L)
print('C3 - %d' % port(C3))
os.close(C3)
if os.read(A3, 1):
    raise Exception('data where the end of stream was due')
os.close(A3)
# SYN-SENT: the veth device swallows the SYN.
C4 = socks['C4'] = sock(STREAM)
fcntl.fcntl(C4, fcntl.F_SETFL, os.O_NONBLOCK)
connect(C4, '10.99.0.2', 7001, ok=(errno.EINPROGRESS,))
# A stream socket only bound.
B1 = socks['B1'] = sock(STREAM)
bind(B1, '127.0.0.1', 7600)
# Datagrams: U1 unconnected, with one datagram of U2's waiting.
U1 = socks['U1'] = sock(DGRAM)
bind(U1, '0.0.0.0', 7500)
U2 = socks['U2'] = sock(DGRAM)
connect(U2, '127.0.0.1', 7500)
os.write(U2, b'z' * 100)
for name, fd in socks.items():
    print('%s %d %d' % (name, fd, port(fd)))
print('ready', flush=True)
while True:
    signal.pause()
EOF

# /proc/net/toy and /proc/net/toy_dgram rows as
# "NETID STATE LOCAL PEER RECVQ SENDQ UID INODE", in toyss's words.
PROC_AWK='
function hex(s,   i, n) {
	n = 0
	for (i = 1; i <= length(s); i++)
		n = n * 16 + index("0123456789ABCDEF", toupper(substr(s, i, 1))) - 1
	return n
}
function ep(s,   a, p) {
	split(s, a, ":")
	p = hex(a[2])
	return hex(substr(a[1], 7, 2)) "." hex(substr(a[1], 5, 2)) "." \
	       hex(substr(a[1], 3, 2)) "." hex(substr(a[1], 1, 2)) ":" \
	       (p ? p : "*")
}
BEGIN {
	split("ESTAB SYN-SENT SYN-RECV FIN-WAIT-1 FIN-WAIT-2 TIME-WAIT UNCONN CLOSE-WAIT LAST-ACK LISTEN CLOSING", name, " ")
}
NR > 1 {
	split($5, q, ":")
	print netid, name[hex($4)], ep($2), ep($3), hex(q[2]), hex(q[1]), $8, $10
}'

proc_rows() {
	$N awk -v netid=toy "$PROC_AWK" /proc/net/toy
	$N awk -v netid=toyd "$PROC_AWK" /proc/net/toy_dgram
}

# toyss -H ARGS... as "NETID STATE LOCAL PEER RECVQ SENDQ REST": NETID
# and STATE default to $1 and $2 for output without those columns.
SS_AWK='
{
	i = 1; n = netid; s = state
	if ($i == "toy" || $i == "toyd") n = $(i++)
	if ($i ~ /^[A-Z]/) s = $(i++)
	rest = ""
	for (j = i + 4; j <= NF; j++)
		rest = rest " " $j
	print n, s, $(i + 2), $(i + 3), $i, $(i + 1) rest
}'

ss_rows() {
	local netid=$1 state=$2

	shift 2
	$N "$SS" -H "$@" | awk -v netid="$netid" -v state="$state" "$SS_AWK"
}

# Compare two lists of lines as sets; show the difference.
same_set() { # NAME EXPECTED ACTUAL
	sort <<<"$2" >"$work/want"
	sort <<<"$3" >"$work/got"
	if diff "$work/want" "$work/got" >"$work/diff"; then
		echo "$1: $(grep -c . <<<"$2") rows alike"
		return 0
	fi
	echo "$1 differ (< expected, > toyss):"
	cat "$work/diff"
	return 1
}

# The rows as "NETID STATE LOCAL PEER" only.
tuples() { awk '{ print $1, $2, $3, $4 }'; }

# Compare toyss ARGS with the /proc rows an awk condition picks.
check_filter() { # NETID STATE AWK-CONDITION TOYSS-ARGS...
	local netid=$1 state=$2 cond=$3 want got

	shift 3
	want=$(proc_rows | awk "$cond" | tuples)
	got=$(ss_rows "$netid" "$state" "$@" | tuples)
	[ -n "$want" ] || { echo "nothing in /proc for $cond"; return 1; }
	same_set "toyss $*" "$want" "$got"
}

# Wait, bounded, until /proc lists a row "NETID STATE" whose local or
# peer endpoint is $3.
wait_row() { # NETID STATE ENDPOINT
	local i

	for i in $(seq $((200 * scale))); do
		proc_rows | awk -v n="$1" -v s="$2" -v e="$3" \
			'$1 == n && $2 == s && ($3 == e || $4 == e) { f = 1 }
			 END { exit !f }' && return 0
		sleep 0.1
	done
	echo "no $1 $2 row for $3 in /proc"
	proc_rows
	return 1
}

# The holder's socket NAME: "fd" or "port".
held() { # NAME fd|port
	awk -v n="$1" -v w="$2" '$1 == n { print w == "fd" ? $2 : $3 }' \
		"$work/hold.out"
}

setup_ns() {
	modprobe -q veth
	ip netns add $NS && $N ip link set lo up || return 1
	# A veth whose far end is down, and a fixed neighbour: a SYN to
	# 10.99.0.2 leaves and is never answered (the debug kernel has no
	# dummy device).
	$N ip link add toy0 type veth peer name toy1 &&
		$N ip addr add 10.99.0.1/24 dev toy0 &&
		$N ip link set toy0 up &&
		$N ip neigh add 10.99.0.2 lladdr 02:00:00:00:99:02 dev toy0 \
			nud permanent || return 1
	# TIME_WAIT, SYN and SYN-ACK retries that outlast the test.
	$N sh -c 'echo 600000 >/proc/sys/net/toy/msl_ms &&
		  echo 127 >/proc/sys/net/toy/syn_retries &&
		  echo 255 >/proc/sys/net/toy/synack_retries'
}

start_holders() {
	local i

	$N python3 "$work/hold.py" >"$work/hold.out" 2>"$work/hold.err" &
	holder=$!
	$N setpriv --reuid=nobody --regid=nogroup --clear-groups \
		"$tools/toysock" -b 127.0.0.1:7700 -l -H \
		>"$work/nobody.out" 2>&1 &
	nobody_pid=$!
	for i in $(seq $((300 * scale))); do
		grep -q '^ready' "$work/hold.out" &&
			grep -q '^holding' "$work/nobody.out" && return 0
		kill -0 $holder 2>/dev/null || break
		sleep 0.1
	done
	echo "the holders did not come up"
	cat "$work/hold.out" "$work/hold.err" "$work/nobody.out"
	return 1
}

# A SYN from toyseg to the listener; nft drops the SYN-ACK coming back
# to toyseg's port, so the entry stays half-open.
syn_recv() {
	command -v nft >/dev/null || return 1
	modprobe -q nf_tables
	$N nft -f - <<-EOF || return 1
	table ip toyss {
		chain in {
			type filter hook input priority 0;
			ip protocol 253 @th,16,16 40404 drop
		}
	}
	EOF
	$N "$tools/toyseg" -s 40404 -w 0.1 127.0.0.1:7000 >/dev/null &&
		wait_row toy SYN-RECV 127.0.0.1:40404
}

setup() {
	setup_ns && start_holders || return 1
	wait_row toy FIN-WAIT-2 "127.0.0.1:$(held C2 port)" &&
		wait_row toy CLOSE-WAIT 127.0.0.1:7000 &&
		wait_row toy TIME-WAIT "127.0.0.1:$(held C3 port)" &&
		wait_row toy SYN-SENT 10.99.0.2:7001 || return 1
	if syn_recv; then
		have_nft=1
	else
		echo "no SYN-RECV entry (nft missing or refused the rule)"
	fi
	proc_rows
}

t_stream_all() {
	local want got

	# Queues too, but a listener's: /proc shows no backlog limit.
	want=$(proc_rows | awk '$1 == "toy" && $2 != "LISTEN"' | cut -d' ' -f1-6)
	got=$(ss_rows toy - -tan | awk '$2 != "LISTEN"' | cut -d' ' -f1-6)
	same_set "toyss -tan, queues" "$want" "$got" || return 1
	check_filter toy - '$1 == "toy"' -tan
}

t_dgram_all() {
	local want got

	want=$(proc_rows | awk '$1 == "toyd"' | cut -d' ' -f1-6)
	got=$(ss_rows toyd - -uan | cut -d' ' -f1-6)
	same_set "toyss -uan, queues" "$want" "$got"
}

t_states() {
	local s missing=

	for s in LISTEN ESTAB SYN-SENT FIN-WAIT-2 CLOSE-WAIT TIME-WAIT UNCONN; do
		ss_rows toy - -tan | awk -v s=$s '$2 == s { f = 1 } END { exit !f }' ||
			missing="$missing $s"
	done
	for s in UNCONN ESTAB; do
		ss_rows toyd - -uan | awk -v s=$s '$2 == s { f = 1 } END { exit !f }' ||
			missing="$missing toyd:$s"
	done
	$N "$SS" -tan
	$N "$SS" -uan
	[ -z "$missing" ] || { echo "missing:$missing"; return 1; }
}

t_syn_recv() {
	check_filter toy SYN-RECV '$2 == "SYN-RECV"' -tn state syn-recv
}

# Without -a or -l, what ss shows: connections, no TIME-WAIT or SYN-RECV.
t_default() {
	check_filter - - '$2 !~ /^(LISTEN|UNCONN|TIME-WAIT|SYN-RECV)$/' -n
}

# ss's header: Netid only for both types, State only for more than one.
t_types() {
	$N "$SS" -tan | head -1 | grep -Eq '^State +Recv-Q Send-Q +Local Address:Port +Peer Address:Port +Process' &&
		$N "$SS" -tuan | head -1 | grep -Eq '^Netid State +Recv-Q Send-Q +Local Address:Port' &&
		$N "$SS" -un | head -1 | grep -Eq '^Recv-Q Send-Q +Local Address:Port' || {
		echo "headers:"; $N "$SS" -tan | head -1; $N "$SS" -tuan | head -1
		$N "$SS" -un | head -1; return 1; }
	check_filter toy - '$1 == "toy" && $2 !~ /^(LISTEN|UNCONN|TIME-WAIT|SYN-RECV)$/' -tn &&
		check_filter toyd ESTAB '$1 == "toyd" && $2 == "ESTAB"' -un &&
		check_filter - - '1' -tuan
}

t_listening() {
	check_filter - - '$2 == "LISTEN" || $2 == "UNCONN"' -ln &&
		check_filter toy - '$1 == "toy" && ($2 == "LISTEN" || $2 == "UNCONN")' -tln &&
		check_filter toyd UNCONN '$1 == "toyd" && $2 == "UNCONN"' -uln
}

t_all() {
	check_filter - - '1' -an
}

t_state_established() {
	check_filter - ESTAB '$2 == "ESTAB"' -n state established
}

t_state_time_wait() {
	check_filter toy TIME-WAIT '$2 == "TIME-WAIT"' -tn state time-wait &&
		check_filter toy - '$2 == "TIME-WAIT" || $2 == "SYN-RECV"' -tn state bucket &&
		check_filter toy - '$2 == "TIME-WAIT" || $2 == "SYN-SENT"' -tn state time-wait state syn-sent
}

t_exclude_listening() {
	check_filter toy - '$1 == "toy" && $2 != "LISTEN"' -tn exclude listening &&
		check_filter - - '$2 !~ /^(LISTEN|UNCONN)$/' -n state connected
}

t_sport() {
	check_filter toy - '$1 == "toy" && $3 ~ /:7000$/' -tan sport = :7000 &&
		check_filter toy - '$1 == "toy" && $3 ~ /:7000$/' -tan '( sport eq 7000 )' &&
		check_filter toy - '$1 == "toy" && $3 ~ /:7000$/' -tan sport gt :6999 and sport lt :7001
}

t_dport() {
	check_filter toy - '$1 == "toy" && $4 ~ /:7000$/' -tan dport = :7000 &&
		check_filter toy - '$1 == "toy" && $4 ~ /:7000$/' -tan dport == 7000
}

t_port_expr() {
	check_filter - - '$3 ~ /:(7500|7600)$/ || $4 ~ /:7500$/' -an \
		sport = :7500 or sport = :7600 or dport = :7500 &&
		check_filter toy - '$1 == "toy" && $2 != "LISTEN" && $3 !~ /:(7000|7700)$/' \
			-tan exclude listening sport != :7000 and not '(' sport = :7700 ')' &&
		check_filter toy - '$1 == "toy" && $3 ~ /:7[0-9][0-9][0-9]$/' -tan \
			sport ge :7000 and sport le :7999 &&
		check_filter toyd - '$1 == "toyd" && $4 !~ /:7500$/' -uan dport neq :7500
}

t_addr_expr() {
	check_filter toy SYN-SENT '$4 == "10.99.0.2:7001"' -tn dst 10.99.0.0/24 &&
		check_filter - - '$3 ~ /^0\.0\.0\.0:/' -an src 0.0.0.0/32 &&
		check_filter toy - '$1 == "toy" && $4 == "127.0.0.1:7000"' -tan dst 127.0.0.1:7000
}

# -e: uid:N (none for root) and ino:N, as /proc/net/toy's uid and inode.
t_extended() {
	local want got

	want=$(proc_rows | awk '$1 == "toy" && $8 != 0 { print $1, $2, $3, $4, $7, $8 }')
	got=$($N "$SS" -tanHe | awk '
		{ uid = 0; ino = -1
		  for (i = 6; i <= NF; i++) {
			if ($i ~ /^uid:/) uid = substr($i, 5)
			if ($i ~ /^ino:/) ino = substr($i, 5)
		  }
		  if (ino != 0) print "toy", $1, $4, $5, uid, ino }')
	same_set "toyss -tane uid and ino" "$want" "$got" || return 1
	$N "$SS" -tanHe sport = :7700 | grep -q 'uid:65534 ' ||
		{ echo "no uid:65534 on nobody's listener"; return 1; }
	# A full socket tells its shutdown state: C2 shut its writes.
	$N "$SS" -tanHe sport = :"$(held C2 port)" | grep -q ' <-- *$' ||
		{ echo "C2's shutdown state is not <--"; $N "$SS" -tanHe; return 1; }
}

# -p: users:(("COMM",pid=PID,fd=FD)) as /proc/PID/fd says.
t_processes() {
	local comm line fd name

	comm=$(cat /proc/$holder/comm)
	for name in L C1 A1 C2 A2 C4 B1; do
		fd=$(held $name fd)
		line=$($N "$SS" -tanHp sport = :"$(held $name port)" | grep "fd=$fd)")
		case $line in
		*"users:((\"$comm\",pid=$holder,fd=$fd))"*) ;;
		*)
			echo "$name (fd $fd) not shown as held by $comm/$holder:"
			$N "$SS" -tanHp
			return 1 ;;
		esac
	done
	fd=$(held U1 fd)
	$N "$SS" -uanHp sport = :7500 | grep -q "users:((\"$comm\",pid=$holder,fd=$fd))" ||
		{ echo "U1 not shown as held"; return 1; }
	$N "$SS" -tanHp sport = :7700 | grep -q "users:((\"toysock\",pid=$nobody_pid,fd=3))" ||
		{ echo "nobody's listener not shown as toysock's"; $N "$SS" -tanHp; return 1; }
	# The link the fd names is the socket's inode.
	[ "$(readlink /proc/$holder/fd/"$(held L fd)")" = \
	  "socket:[$(proc_rows | awk '$2 == "LISTEN" && $3 == "0.0.0.0:7000" { print $8 }')]" ]
}

t_timers() {
	local out

	out=$($N "$SS" -tanHo)
	echo "$out"
	# A timer due this very moment prints no time, as ss's does
	# ("on,,8"): on a slow kernel a SYN's timer may be caught so.
	grep -E '^TIME-WAIT .* timer:\(timewait,[0-9.]+(min|sec|ms)([0-9.]+(sec|ms))?,0\)' <<<"$out" >/dev/null &&
		grep -E '^SYN-SENT .* timer:\(on,([0-9.]+(min|sec|ms)([0-9.]+(sec|ms))?)?,[0-9]+\)' <<<"$out" >/dev/null &&
		! grep -E '^LISTEN .*timer' <<<"$out" || return 1
	[ $have_nft = 0 ] ||
		grep -E '^SYN-RECV .* timer:\(on,([0-9.]+(min|sec|ms)([0-9.]+(sec|ms))?)?,[0-9]+\)' <<<"$out" >/dev/null
}

# -i: toy_info of the 100000-byte transfer (bytes_acked counts the SYN, as
# TCP's).
t_info() {
	local c1 a1 i

	for i in $(seq $((100 * scale))); do
		c1=$($N "$SS" -tnHiO sport = :"$(held C1 port)")
		grep -q ' bytes_acked:100001 ' <<<"$c1" && break
		sleep 0.1
	done
	a1=$($N "$SS" -tnHiO dport = :"$(held C1 port)")
	echo "C1: $c1"
	echo "A1: $a1"
	grep -q ' bytes_acked:100001 ' <<<"$c1" &&
		grep -q ' bytes_sent:100000 ' <<<"$c1" &&
		grep -q ' bytes_received:100000 ' <<<"$a1" &&
		grep -Eq ' mss:[1-9][0-9]* ' <<<"$c1" &&
		grep -Eq ' cwnd:[1-9][0-9]* ' <<<"$c1" &&
		grep -Eq ' rto:[1-9]' <<<"$c1" &&
		grep -Eq ' data_segs_out:[1-9]' <<<"$c1" || return 1
	# Without -O the information is a line of its own, after a tab.
	$N "$SS" -tnHi sport = :"$(held C1 port)" | awk 'NR == 2 && /^\t / { f = 1 }
		END { exit !f }'
}

# -m: skmem of every full socket; U1's r is its Recv-Q.
t_memory() {
	local re='skmem:\(r[0-9]+,rb[0-9]+,t[0-9]+,tb[0-9]+,f[0-9]+,w[0-9]+,o[0-9]+,bl[0-9]+,d[0-9]+\)'
	local out rq

	out=$($N "$SS" -tanHmO state listening state established)
	echo "$out"
	[ "$(grep -c . <<<"$out")" = "$(grep -Ec "$re" <<<"$out")" ] || return 1
	out=$($N "$SS" -uanHmO sport = :7500)
	echo "$out"
	rq=$(awk '{ print $2 }' <<<"$out")
	[ "$rq" -gt 0 ] && grep -q "skmem:(r$rq," <<<"$out"
}

# -s: the totals of /proc/net/toy_sockstat and the /proc rows.
t_summary() {
	local out inuse tw rows drows estab want

	out=$($N "$SS" -s)
	echo "$out"
	read -r inuse tw <<<"$($N awk '$1 == "TOY:" { print $3, $7 }' /proc/net/toy_sockstat)"
	rows=$(proc_rows | awk '$1 == "toy"' | grep -c .)
	drows=$(proc_rows | awk '$1 == "toyd"' | grep -c .)
	estab=$(proc_rows | awk '$1 == "toy" && $2 == "ESTAB"' | grep -c .)
	want="TOY:   $((inuse + tw)) (estab $estab, closed "
	grep -qF "$want" <<<"$out" &&
		grep -q "timewait $tw)" <<<"$out" &&
		grep -qP "^TOY\t  $rows " <<<"$out" &&
		grep -qP "^TOYD\t  $drows " <<<"$out" || { echo "want: $want"; return 1; }
	# Alone, -s lists no socket; with -t it goes on to list them.
	[ "$($N "$SS" -s | grep -c ESTAB)" = 0 ] &&
		[ "$($N "$SS" -s -t | grep -c ESTAB)" -gt 0 ]
}

t_netns() {
	local want got

	want=$($N "$SS" -tanH | awk '{ print $1, $4, $5 }')
	got=$("$SS" -N $NS -tanH | awk '{ print $1, $4, $5 }')
	same_set "toyss -N $NS" "$want" "$got" &&
		[ -z "$("$SS" -tanH sport = :7000)" ]
}

t_nobody() {
	local want got

	want=$($N "$SS" -tanH | awk '{ print $1, $4, $5 }')
	got=$($N setpriv --reuid=nobody --regid=nogroup --clear-groups \
		"$SS" -tanH | awk '{ print $1, $4, $5 }')
	same_set "toyss as nobody" "$want" "$got" || return 1
	# -p shows only what nobody may read: its own toysock.
	$N setpriv --reuid=nobody --regid=nogroup --clear-groups "$SS" -tanHp >"$work/p"
	grep -q "toysock" "$work/p" && ! grep -q "python" "$work/p"
}

# 5000 bound sockets: a dump of many netlink messages.  Started from the
# main shell, which keeps its pid for the cleanup.
start_many() {
	local i

	$N bash -c 'ulimit -n 6000 && exec "$0" -n 5000 -b 127.0.0.1:0 -H' \
		"$tools/toysock" >"$work/many.out" 2>&1 &
	many_pid=$!
	for i in $(seq $((600 * scale))); do
		grep -q '^holding' "$work/many.out" && return 0
		kill -0 $many_pid 2>/dev/null || break
		sleep 0.1
	done
	tail -3 "$work/many.out"
	return 1
}

t_many() {
	local want got all_proc all_ss

	grep -q '^holding 5000 sockets' "$work/many.out" ||
		{ echo "toysock -n 5000 did not come up:"; tail -3 "$work/many.out"; return 1; }
	want=$(proc_rows | awk '$1 == "toy" && $2 == "UNCONN" && $3 ~ /^127\.0\.0\.1:/' | tuples)
	got=$(ss_rows toy UNCONN -tn state closed src 127.0.0.1 | tuples)
	echo "bound on 127.0.0.1: /proc $(grep -c . <<<"$want"), toyss $(grep -c . <<<"$got")"
	[ "$(grep -c . <<<"$want")" -gt 5000 ] || return 1
	same_set "5000 bound" "$want" "$got" || return 1
	all_proc=$(proc_rows | grep -c .)
	all_ss=$($N "$SS" -aH | grep -c .)
	echo "every row: /proc $all_proc, toyss -a $all_ss"
	[ "$all_proc" = "$all_ss" ]
}

# The holders are gone (killed from the main shell): the namespace goes,
# and every object of the module with it.
t_clean() {
	local i f c

	ip netns del $NS
	for i in $(seq $((300 * scale))); do
		f=0
		for c in /sys/module/toy/live/*; do
			[ "$(cat "$c")" = 0 ] || f=1
		done
		[ $f = 0 ] && return 0
		sleep 0.1
	done
	grep . /sys/module/toy/live/*
	return 1
}

ktap_plan 26
if setup >"$work/setup.log" 2>&1; then
	sed 's/^/# /' "$work/setup.log"
	ktap_ok "a namespace with a socket in every state"
else
	sed 's/^/# /' "$work/setup.log"
	ktap_fail "a namespace with a socket in every state"
	ktap_end
fi
ktap_check "toyss -tan lists what /proc/net/toy lists" t_stream_all
ktap_check "toyss -uan lists what /proc/net/toy_dgram lists" t_dgram_all
ktap_check "every state shows" t_states
if [ $have_nft = 1 ]; then
	ktap_check "state syn-recv: the half-open entry" t_syn_recv
else
	ktap_skip "state syn-recv: the half-open entry" "no nft"
fi
ktap_check "no option: connections only" t_default
ktap_check "-t, -u, -tua and their headers" t_types
ktap_check "-l: listening and unconnected" t_listening
ktap_check "-a: every socket" t_all
ktap_check "state established" t_state_established
ktap_check "state time-wait, state bucket" t_state_time_wait
ktap_check "exclude listening, state connected" t_exclude_listening
ktap_check "sport = :7000" t_sport
ktap_check "dport = :7000" t_dport
ktap_check "port expressions: or, not, !=, >=, <=" t_port_expr
ktap_check "address expressions: src, dst" t_addr_expr
ktap_check "-e: uid, inode, shutdown" t_extended
ktap_check "-p: the owning processes" t_processes
ktap_check "-o: timers" t_timers
ktap_check "-i: toy_info of a known transfer" t_info
ktap_check "-m: skmem" t_memory
ktap_check "-s: totals" t_summary
ktap_check "-N: another namespace" t_netns
ktap_check "a normal user sees every socket" t_nobody
start_many >/dev/null 2>&1
ktap_check "5000 sockets, many netlink messages" t_many
kill $holder $nobody_pid $many_pid 2>/dev/null
wait
holder= nobody_pid= many_pid=
ktap_check "live objects back to zero" t_clean
ktap_end
exit
}
