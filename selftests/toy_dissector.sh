#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The Wireshark dissector (tools/wireshark/toy.lua) against real AF_TOY
# traffic: tcpdump captures in namespace toyA, on veth to toyB, a stream
# connection (handshake, "hello" echoed back, both FINs), a datagram echo
# and a datagram to a closed port (answered "port unreachable"); tshark
# decodes the capture with the dissector, and the fields must say what the
# traffic was: flags and ports, relative sequence numbers, the SYN's
# options, every checksum correct, the datagram's bytes, one stream index
# per flow.  A copy of the capture with one checksum broken must read
# "incorrect".  Needs root, veth, tcpdump and tshark built with Lua;
# skipped without the last two.
# The body is one block, read whole before it runs: editing this file
# (or a git pull) during a long run cannot change what the run executes.
{
here=$(cd "$(dirname "$0")" && pwd)
. "$here/ktap.sh"
tools=${TOY_TOOLS:-$here/../build/tools}
lua=${TOY_DISSECTOR:-$here/../tools/wireshark/toy.lua}
scale=${TOY_TIMEOUT_SCALE:-1}
A="ip netns exec toyA"
B="ip netns exec toyB"
work=$(mktemp -d)
cap=$work/toy.pcap
bad=$work/toy-badsum.pcap
fields=$work/fields.tsv
dump_pid=

# Ports of the three flows.  The clients' ports are ephemeral: the
# checks take them from toycat -v (the stream's client says its own, the
# datagram server says who sent) or from the capture.
P_STREAM=7000
P_DGRAM=7001
P_CLOSED=7999
MSG_STREAM=hello
MSG_DGRAM=dgram-hello
MSG_CLOSED=nobody

cleanup() {
	[ -n "$dump_pid" ] && kill "$dump_pid" 2>/dev/null
	ip netns del toyA 2>/dev/null
	ip netns del toyB 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

if ! command -v tcpdump >/dev/null || ! command -v tshark >/dev/null ||
   ! tshark -v 2>/dev/null | grep -q 'with Lua'; then
	ktap_plan 1
	ktap_skip "dissector" "needs tcpdump and tshark with Lua"
	ktap_end
fi

# ktap_check runs its test in a subshell; the capture outlives one test,
# so starting and stopping it run here, in this shell.
ktap_here() {
	local name=$1 rc
	shift
	"$@" >"$work/here.out" 2>&1 && rc=0 || rc=$?
	[ -s "$work/here.out" ] && sed 's/^/# /' "$work/here.out"
	if [ $rc = 0 ]; then ktap_ok "$name"; else ktap_fail "$name"; fi
}

# tshark with the dissector, a clean profile (no preferences or plugins
# of the host's user), stderr kept for the record.
tshark_toy() {
	HOME=$work XDG_CONFIG_HOME=$work/.config \
		timeout $((60 * scale)) tshark -n -X "lua_script:$lua" "$@" \
		2>>"$work/tshark.err"
}

setup() {
	local ns
	modprobe -q veth || return 1
	ip netns add toyA && ip netns add toyB || return 1
	ip link add va netns toyA type veth peer name vb netns toyB || return 1
	$A ip addr add 10.10.0.1/24 dev va && $A ip link set va up &&
		$A ip link set lo up || return 1
	$B ip addr add 10.10.0.2/24 dev vb && $B ip link set vb up &&
		$B ip link set lo up || return 1
	# The SYNs offer every option the dissector decodes, whatever the
	# defaults; TIME_WAIT is short so the counters are zero soon after.
	for ns in toyA toyB; do
		ip netns exec $ns sh -c 'cd /proc/sys/net/toy &&
			echo 1 >window_scaling && echo 1 >sack &&
			echo 1 >timestamps && echo 100 >msl_ms' || return 1
	done
}

# Wait, bounded, until toyB's /proc/net/$1 has a row for local port $2
# (local address in column 2), in state $3 if given (column 4).
wait_port() {
	local file=$1 port st=${3:-}
	port=$(printf ':%04X' "$2")
	for _ in $(seq $((300 * scale))); do
		$B awk -v p="$port" -v st="$st" \
			'NR > 1 && substr($2, 9) == p && (st == "" || $4 == st) { f = 1 }
			 END { exit !f }' "/proc/net/$file" && return 0
		sleep 0.1
	done
	echo "no socket on port $2 in /proc/net/$file"
	return 1
}

# Wait, bounded, until toyB has no stream socket on port $1: its last
# ACK arrived, so the capture (in toyA, on the way) has seen it.
wait_gone() {
	local port
	port=$(printf ':%04X' "$1")
	for _ in $(seq $((300 * scale))); do
		$B awk -v p="$port" 'NR > 1 && substr($2, 9) == p { f = 1 }
			END { exit f }' /proc/net/toy && return 0
		sleep 0.1
	done
	echo "port $1 still has a socket in toyB:"
	$B cat /proc/net/toy
	return 1
}

# tcpdump in toyA, packet by packet into the file (-U) and without the
# kernel's block timeout (--immediate-mode), as root (-Z root: the file
# is in our private directory).  Ready once it says "listening on".
start_capture() {
	$A timeout $((120 * scale)) tcpdump -Z root -U --immediate-mode -n \
		-i va -w "$cap" 'ip proto 253' 2>"$work/tcpdump.err" &
	dump_pid=$!
	for _ in $(seq $((300 * scale))); do
		grep -q 'listening on' "$work/tcpdump.err" && return 0
		kill -0 "$dump_pid" 2>/dev/null || break
		sleep 0.1
	done
	cat "$work/tcpdump.err"
	return 1
}

# The last packet of the traffic, the "port unreachable", is in the file
# (so is everything before it: tcpdump writes in order); then SIGINT,
# and tcpdump must end, bounded.
stop_capture() {
	local n=0
	for _ in $(seq $((100 * scale))); do
		n=$(tcpdump -n -r "$cap" 'ip[38] == 2' 2>/dev/null | wc -l)
		[ "$n" -gt 0 ] && break
		sleep 0.1
	done
	kill -INT "$dump_pid"
	for _ in $(seq $((100 * scale))); do
		kill -0 "$dump_pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$dump_pid" 2>/dev/null; then
		echo "tcpdump did not end on SIGINT"
		kill -KILL "$dump_pid"
		return 1
	fi
	wait "$dump_pid"
	dump_pid=
	grep -E 'packets (captured|dropped by kernel)' "$work/tcpdump.err"
	[ "$n" -gt 0 ] || { echo "no port unreachable in the capture"; return 1; }
	grep -q '^0 packets dropped by kernel' "$work/tcpdump.err"
}

t_stream() {
	local out
	$B timeout $((30 * scale)) "$tools/toycat" -l -e $P_STREAM \
		>/dev/null 2>&1 &
	wait_port toy $P_STREAM 0A || return 1
	out=$(echo $MSG_STREAM | $A timeout $((30 * scale)) "$tools/toycat" -v \
		10.10.0.2 $P_STREAM 2>"$work/stream.err")
	cat "$work/stream.err"
	wait $! || return 1
	echo "got: $out"
	[ "$out" = $MSG_STREAM ] || return 1
	wait_gone $P_STREAM
}

t_dgram() {
	local out srv rc=0
	$B timeout $((30 * scale)) "$tools/toycat" -u -l -e -v $P_DGRAM \
		>/dev/null 2>"$work/dgram.err" &
	srv=$!
	wait_port toy_dgram $P_DGRAM || rc=1
	out=$(printf %s $MSG_DGRAM | $A timeout $((30 * scale)) \
		"$tools/toycat" -u 10.10.0.2 $P_DGRAM) || rc=1
	kill "$srv"
	wait "$srv"
	cat "$work/dgram.err"
	echo "got: $out"
	[ $rc = 0 ] && [ "$out" = $MSG_DGRAM ]
}

t_unreach() {
	local rc=0
	printf %s $MSG_CLOSED | $A timeout $((30 * scale)) "$tools/toycat" -u \
		10.10.0.2 $P_CLOSED 2>"$work/unreach.err" && rc=1
	cat "$work/unreach.err"
	[ $rc = 0 ] && grep -q 'Connection refused' "$work/unreach.err"
}

# The whole capture through the dissector once; the checks below read the
# table.  Columns:
#  1 frame  2 stream  3 srcport  4 dstport  5 type  6 flags.str  7 seq
#  8 ack  9 len  10 checksum.status  11 mss_val  12 wscale.shift
#  13 sack_perm  14 tsval  15 tsecr  16 payload  17 flags.fin
#  18 protocol column  19 Info column  20 Lua error  21 malformed
F_FIELDS=(frame.number toy.stream toy.srcport toy.dstport toy.type
	toy.flags.str toy.seq toy.ack toy.len toy.checksum.status
	toy.options.mss_val toy.options.wscale.shift toy.options.sack_perm
	toy.options.timestamp.tsval toy.options.timestamp.tsecr toy.payload
	toy.flags.fin _ws.col.Protocol _ws.col.Info _ws.lua.error
	_ws.malformed)

t_decode() {
	local e=() f n_all n_toy n_err
	for f in "${F_FIELDS[@]}"; do e+=(-e "$f"); done
	tshark_toy -r "$cap" -T fields "${e[@]}" >"$fields" || return 1
	cat "$fields"
	n_all=$(wc -l <"$fields")
	n_toy=$(awk -F'\t' '$18 == "TOY"' "$fields" | wc -l)
	# A Lua error, an exception inside the dissector or a malformed
	# packet (expert info of that group) fills these.
	n_err=$(awk -F'\t' '$20 != "" || $21 != ""' "$fields" | wc -l)
	echo "$n_all packets, $n_toy decoded as TOY, $n_err with errors"
	grep -i 'lua' "$work/tshark.err" | grep -v 'Running as user'
	[ "$n_all" -ge 10 ] && [ "$n_toy" = "$n_all" ] && [ "$n_err" = 0 ] &&
		! grep -i 'lua' "$work/tshark.err" | grep -qv 'Running as user'
}

# The rows of the stream (type 0, either direction), tab-separated.
stream_rows() {
	awk -F'\t' -v p=$P_STREAM '$5 == 0 && ($3 == p || $4 == p)' "$fields"
}

# The client's port, as toycat -v reported it ("... 10.10.0.1:PORT -> ").
client_port() {
	sed -n 's/^toycat: 10\.10\.0\.1:\([0-9]*\) -> .*/\1/p' "$work/stream.err"
}

# col ROW N...: columns N... of a table row, space-separated, in that
# order.
col() {
	awk -F'\t' -v l="${*:2}" '{ n = split(l, c, " ")
		for (i = 1; i <= n; i++) printf "%s%s", $c[i], i < n ? " " : "\n" }' \
		<<<"$1"
}

# expect WHAT GOT WANT: one comparison, said either way.
expect() {
	if [ "$2" = "$3" ]; then
		echo "$1: $2"
	else
		echo "$1: got '$2', want '$3'"
		return 1
	fi
}

t_handshake() {
	local c rc=0 syn synack ack3
	c=$(client_port)
	[ -n "$c" ] || { echo "toycat -v did not say its port"; return 1; }
	syn=$(stream_rows | awk -F'\t' '$6 == "[SYN]"' | head -n1)
	synack=$(stream_rows | awk -F'\t' '$6 == "[SYN, ACK]"' | head -n1)
	# The client's first packet after the SYN-ACK.
	ack3=$(stream_rows | awk -F'\t' -v c="$c" \
		'$6 == "[SYN, ACK]" { s = 1; next } s && $3 == c { print; exit }')
	expect "SYN ports, seq, len" "$(col "$syn" 3 4 7 9)" "$c $P_STREAM 0 0" || rc=1
	expect "SYN-ACK ports, seq, ack" "$(col "$synack" 3 4 7 8)" \
		"$P_STREAM $c 0 1" || rc=1
	expect "then ACK seq, ack" "$(col "$ack3" 6 7 8)" "[ACK] 1 1" || rc=1
	# The Info column reads as TCP's.
	echo "SYN info: $(col "$syn" 19)"
	echo "SYN-ACK info: $(col "$synack" 19)"
	grep -q "^$c → $P_STREAM \[SYN\] Seq=0 Win=[0-9]* Len=0 MSS=1460 " \
		<<<"$(col "$syn" 19)" || rc=1
	return $rc
}

t_syn_options() {
	local rc=0 syn synack shift
	syn=$(stream_rows | awk -F'\t' '$6 == "[SYN]"' | head -n1)
	synack=$(stream_rows | awk -F'\t' '$6 == "[SYN, ACK]"' | head -n1)
	# A 1500-byte veth: MSS 1500 - 40 both ways.
	expect "MSS (SYN, SYN-ACK)" "$(col "$syn" 11) $(col "$synack" 11)" \
		"1460 1460" || rc=1
	expect "SACK permitted (SYN, SYN-ACK)" \
		"$(col "$syn" 13) $(col "$synack" 13)" "1 1" || rc=1
	for shift in "$(col "$syn" 12)" "$(col "$synack" 12)"; do
		echo "window scale shift: $shift"
		[[ $shift =~ ^[0-9]+$ ]] && [ "$shift" -le 14 ] || rc=1
	done
	expect "SYN TSecr" "$(col "$syn" 15)" 0 || rc=1
	# The SYN-ACK echoes the SYN's clock.
	expect "SYN-ACK TSecr" "$(col "$synack" 15)" "$(col "$syn" 14)" || rc=1
	[[ $(col "$synack" 14) =~ ^[0-9]+$ ]] || rc=1
	return $rc
}

t_data() {
	local c rc=0 out back hex
	c=$(client_port)
	hex=$(printf '%s\n' $MSG_STREAM | od -An -tx1 | tr -d ' \n')
	out=$(stream_rows | awk -F'\t' -v c="$c" '$3 == c && $9 > 0' | head -n1)
	back=$(stream_rows | awk -F'\t' -v c="$c" '$4 == c && $9 > 0' | head -n1)
	expect "client data seq, len" "$(col "$out" 7 9)" "1 6" || rc=1
	expect "client data payload" "$(col "$out" 16)" "$hex" || rc=1
	# The echo acknowledges the 6 bytes (ack 7), and the client's FIN
	# too (ack 8) when that came in before the echo went out: the
	# client shuts down right after its line, and on a busy machine the
	# FIN may win.
	case $(col "$back" 7 8 9) in
	"1 7 6"|"1 8 6") echo "echo seq, ack, len: $(col "$back" 7 8 9)" ;;
	*) expect "echo seq, ack, len" "$(col "$back" 7 8 9)" "1 7 6 (or 1 8 6)" || rc=1 ;;
	esac
	expect "echo payload" "$(col "$back" 16)" "$hex" || rc=1
	return $rc
}

t_fins() {
	local c rc=0 fin_c fin_s last
	c=$(client_port)
	fin_c=$(stream_rows | awk -F'\t' -v c="$c" '$3 == c && $17 == 1' | head -n1)
	fin_s=$(stream_rows | awk -F'\t' -v c="$c" '$4 == c && $17 == 1' | head -n1)
	last=$(stream_rows | tail -n1)
	# Each side's FIN follows its 6 bytes; the last ACK takes the server's.
	expect "client FIN" "$(col "$fin_c" 6 7)" "[FIN, ACK] 7" || rc=1
	expect "server FIN" "$(col "$fin_s" 6 7 8)" "[FIN, ACK] 7 8" || rc=1
	expect "last ACK" "$(col "$last" 3 6 7 8)" "$c [ACK] 8 8" || rc=1
	return $rc
}

t_streams() {
	local rc=0 s d1 d2 n_rows n_filter
	s=$(stream_rows | cut -f2 | sort -u)
	d1=$(awk -F'\t' -v p=$P_DGRAM '$3 == p || $4 == p' "$fields" | cut -f2 | sort -u)
	d2=$(awk -F'\t' -v p=$P_CLOSED '$3 == p || $4 == p' "$fields" | cut -f2 | sort -u)
	echo "toy.stream: connection $s, datagrams to $P_DGRAM $d1, to $P_CLOSED $d2"
	[ "$(wc -w <<<"$s")" = 1 ] && [ "$(wc -w <<<"$d1")" = 1 ] &&
		[ "$(wc -w <<<"$d2")" = 1 ] || rc=1
	[ "$s" != "$d1" ] && [ "$s" != "$d2" ] && [ "$d1" != "$d2" ] || rc=1
	# The filter finds the same packets.
	n_rows=$(stream_rows | wc -l)
	n_filter=$(tshark_toy -r "$cap" -Y "toy.stream == $s" | wc -l)
	expect "packets of toy.stream == $s" "$n_filter" "$n_rows" || rc=1
	return $rc
}

t_datagrams() {
	local rc=0 q a hex from
	hex=$(printf %s $MSG_DGRAM | od -An -tx1 | tr -d ' \n')
	q=$(awk -F'\t' -v p=$P_DGRAM '$4 == p' "$fields" | head -n1)
	a=$(awk -F'\t' -v p=$P_DGRAM '$3 == p' "$fields" | head -n1)
	# Who the server says sent it ("toycat: 11 bytes from 10.10.0.1:P").
	from=$(sed -n 's/.* bytes from 10\.10\.0\.1:\([0-9]*\)$/\1/p' \
		"$work/dgram.err" | head -n1)
	expect "datagram type, ports, len" "$(col "$q" 5 3 4 9)" \
		"1 $from $P_DGRAM ${#MSG_DGRAM}" || rc=1
	expect "datagram payload" "$(col "$q" 16)" "$hex" || rc=1
	expect "answer type, ports, payload" "$(col "$a" 5 3 4 16)" \
		"1 $P_DGRAM $from $hex" || rc=1
	expect "datagram info" "$(col "$q" 19)" \
		"$from → $P_DGRAM DGRAM Len=${#MSG_DGRAM}" || rc=1
	return $rc
}

t_unreach_pkt() {
	local rc=0 q u
	q=$(awk -F'\t' -v p=$P_CLOSED '$4 == p' "$fields" | head -n1)
	u=$(awk -F'\t' -v p=$P_CLOSED '$3 == p' "$fields" | head -n1)
	expect "datagram to the closed port" "$(col "$q" 5 16)" \
		"1 $(printf %s $MSG_CLOSED | od -An -tx1 | tr -d ' \n')" || rc=1
	# From the closed port back to the sender's, type 2, no data, in the
	# datagram's flow.
	expect "answer type, ports, len, stream" "$(col "$u" 5 3 4 9 2)" \
		"2 $P_CLOSED $(col "$q" 3) 0 $(col "$q" 2)" || rc=1
	expect "answer info" "$(col "$u" 19)" \
		"$P_CLOSED → $(col "$q" 3) PORT UNREACHABLE" || rc=1
	return $rc
}

t_checksums() {
	local n good
	n=$(wc -l <"$fields")
	# 1 is Wireshark's "Good".
	good=$(awk -F'\t' '$10 == 1' "$fields" | wc -l)
	awk -F'\t' '$10 != 1 { print "frame " $1 ": checksum status " $10 }' "$fields"
	expect "packets whose checksum is correct" "$good" "$n"
}

# A copy of the capture with the first packet's checksum changed (the
# pcap record's Ethernet, IPv4 and AF_TOY headers: the field is at
# offset 16 of the last).
corrupt() {
	python3 - "$cap" "$bad" <<'EOF'
import struct, sys
data = bytearray(open(sys.argv[1], 'rb').read())
magic = data[:4]
end = '<' if magic in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1') else '>'
if struct.unpack(end + 'I', data[20:24])[0] != 1:
	sys.exit('not an Ethernet capture')
off = 24 + 16				# the first record's packet
ip = off + 14
field = ip + (data[ip] & 0x0f) * 4 + 16
data[field] ^= 0x5a
open(sys.argv[2], 'wb').write(data)
EOF
}

t_bad_checksum() {
	local rc=0 out
	corrupt || return 1
	# 0 is Wireshark's "Bad": only the first packet, with an expert
	# warning and a mark in the Info column.
	out=$(tshark_toy -r "$bad" -Y 'toy.checksum.status == 0' -T fields \
		-e frame.number -e toy.checksum.status -e _ws.expert.message \
		-e _ws.col.Info)
	echo "$out"
	expect "frames and status" "$(col "$out" 1 2)" "1 0" || rc=1
	grep -q 'Bad checksum: 0x[0-9a-f]*, should be 0x' <<<"$out" || rc=1
	grep -q '\[TOY CHECKSUM INCORRECT\]$' <<<"$out" || rc=1
	return $rc
}

t_clean() {
	local f c
	ip netns del toyA
	ip netns del toyB
	for _ in $(seq $((300 * scale))); do
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

ktap_plan 17
ktap_check "two namespaces over veth" setup
ktap_here "tcpdump listening on va" start_capture
ktap_check "stream: hello echoed, both sides closed" t_stream
ktap_check "datagram echoed" t_dgram
ktap_check "datagram to a closed port refused" t_unreach
ktap_here "capture stopped and flushed" stop_capture
ktap_check "every packet decoded as TOY, no Lua errors" t_decode
ktap_check "handshake: SYN, SYN-ACK, ACK, ports, relative numbers" t_handshake
ktap_check "SYN options: MSS, window scale, SACK permitted, timestamps" t_syn_options
ktap_check "data from relative seq 1, payload both ways" t_data
ktap_check "both FINs and the last ACK" t_fins
ktap_check "one toy.stream per flow, and the filter finds it" t_streams
ktap_check "datagram ports, type and payload" t_datagrams
ktap_check "port unreachable: type 2 from the closed port" t_unreach_pkt
ktap_check "every checksum correct" t_checksums
ktap_check "a broken checksum reads incorrect" t_bad_checksum
ktap_check "live objects back to zero" t_clean
ktap_end
exit
}
