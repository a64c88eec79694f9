#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# AF_TOY streams between two network namespaces over veth, with toycat:
# an echo, then 16 MiB in both directions at once through a link that
# loses 10%, reorders 25%, duplicates 5% and delays 10 ms (netem, on both
# ends).  Both files must arrive sha256-identical, and the counters must
# show that the losses, reorders and duplicates really happened.  Needs
# root, veth and sch_netem.
# The body is one block, read whole before it runs: editing this file
# (or a git pull) during a long run cannot change what the run executes.
{
here=$(cd "$(dirname "$0")" && pwd)
. "$here/ktap.sh"
tools=${TOY_TOOLS:-$here/../build/tools}
scale=${TOY_TIMEOUT_SCALE:-1}
size_mib=${TOY_NETEM_MIB:-16}
A="ip netns exec toyA"
B="ip netns exec toyB"
work=$(mktemp -d)

cleanup() {
	ip netns del toyA 2>/dev/null
	ip netns del toyB 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

stat_of() { # NS NAME: one counter of /proc/net/toy_stat in netns NS
	ip netns exec "$1" awk -v n="$2" \
		'NR == 1 { for (i = 2; i <= NF; i++) c[i] = $i }
		 NR == 2 { for (i = 2; i <= NF; i++) if (c[i] == n) print $i }' \
		/proc/net/toy_stat
}

setup() {
	modprobe -q veth && modprobe -q sch_netem || return 1
	ip netns add toyA && ip netns add toyB || return 1
	ip link add va netns toyA type veth peer name vb netns toyB || return 1
	$A ip addr add 10.10.0.1/24 dev va && $A ip link set va up &&
		$A ip link set lo up || return 1
	$B ip addr add 10.10.0.2/24 dev vb && $B ip link set vb up &&
		$B ip link set lo up || return 1
	# TIME_WAIT short, so the counters are back to zero soon after.
	$A sh -c 'echo 100 >/proc/sys/net/toy/msl_ms' &&
		$B sh -c 'echo 100 >/proc/sys/net/toy/msl_ms'
}

# Wait, bounded, until toyB has a listener on port $1 (/proc/net/toy:
# local address in column 2, the state in column 4, 0A is LISTEN).
wait_listen() {
	local port i
	port=$(printf ':%04X' "$1")
	for i in $(seq $((300 * scale))); do
		$B awk -v p="$port" '$4 == "0A" && substr($2, 9) == p { f = 1 }
			END { exit !f }' /proc/net/toy && return 0
		sleep 0.1
	done
	echo "no listener on port $1"
	return 1
}

t_echo() {
	local out
	$B timeout $((30 * scale)) "$tools/toycat" -l -e 7000 &
	wait_listen 7000 || return 1
	out=$(echo "hello over veth" |
	      $A timeout $((30 * scale)) "$tools/toycat" -v 10.10.0.2 7000)
	wait
	echo "got: $out"
	[ "$out" = "hello over veth" ]
}

t_bulk() {
	local t0 secs rc=0 a b
	head -c $((size_mib << 20)) /dev/urandom >"$work/a"
	head -c $((size_mib << 20)) /dev/urandom >"$work/b"
	$A tc qdisc add dev va root netem loss 10% reorder 25% duplicate 5% \
		delay 10ms || return 1
	$B tc qdisc add dev vb root netem loss 10% reorder 25% duplicate 5% \
		delay 10ms || return 1
	t0=$(date +%s)
	$B timeout $((600 * scale)) "$tools/toycat" -l 7001 <"$work/b" >"$work/b.got" &
	wait_listen 7001 || return 1
	$A timeout $((600 * scale)) "$tools/toycat" 10.10.0.2 7001 <"$work/a" >"$work/a.got" || rc=1
	wait $! || rc=1
	secs=$(( $(date +%s) - t0 ))
	a=$(sha256sum <"$work/a" | cut -d' ' -f1)
	b=$(sha256sum <"$work/b" | cut -d' ' -f1)
	echo "${size_mib} MiB each way in ${secs}s"
	echo "A sent $a, B got $(sha256sum <"$work/b.got" | cut -d' ' -f1)"
	echo "B sent $b, A got $(sha256sum <"$work/a.got" | cut -d' ' -f1)"
	for ns in toyA toyB; do
		echo "$ns: RetransSegs $(stat_of $ns RetransSegs) OFOQueue $(stat_of $ns OFOQueue) DupSegs $(stat_of $ns DupSegs) FastRetrans $(stat_of $ns FastRetrans) Timeouts $(stat_of $ns Timeouts)"
	done
	[ $rc = 0 ] || return 1
	cmp -s "$work/a" "$work/b.got" && cmp -s "$work/b" "$work/a.got" || return 1
	# The link really was hostile, in both directions.
	for ns in toyA toyB; do
		[ "$(stat_of $ns RetransSegs)" -gt 0 ] &&
		[ "$(stat_of $ns OFOQueue)" -gt 0 ] &&
		[ "$(stat_of $ns DupSegs)" -gt 0 ] || return 1
	done
}

t_clean() {
	local i f
	ip netns del toyA
	ip netns del toyB
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

ktap_plan 4
ktap_check "two namespaces over veth" setup
ktap_check "echo over veth" t_echo
ktap_check "${size_mib} MiB both ways through loss, reorder, duplicates, delay" t_bulk
ktap_check "live objects back to zero" t_clean
ktap_end
exit
}
