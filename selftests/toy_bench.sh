#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tools/toybench works on AF_TOY: each measure, with very little work,
# prints its one result line with a positive rate, on loopback and (bulk)
# between two network namespaces over veth.  No timing is checked: that
# is `make bench`'s business.  Everything runs in namespaces of its own,
# whose end also ends their TIME_WAIT entries.  Needs root and veth.
# The body is one block, read whole before it runs: editing this file
# (or a git pull) during a long run cannot change what the run executes.
{
here=$(cd "$(dirname "$0")" && pwd)
. "$here/ktap.sh"
tools=${TOY_TOOLS:-$here/../build/tools}
scale=${TOY_TIMEOUT_SCALE:-1}

cleanup() {
	local ns
	for ns in tbL tbA tbB; do
		ip netns del $ns 2>/dev/null
	done
}
trap cleanup EXIT

# run LABEL UNIT ARGS...: toybench ARGS prints "LABEL toy N UNIT", N > 0.
run() {
	local label=$1 unit=$2 out
	shift 2
	out=$(timeout -k 5 $((60 * scale)) "$tools/toybench" --family toy \
		-w $((50 * scale)) "$@") || return 1
	echo "$out"
	[[ $out =~ ^$label\ toy\ [1-9][0-9]*\ $unit$ ]]
}

lo() {
	ip netns add tbL && ip -n tbL link set lo up
}

veth() {
	modprobe -q veth || return 1
	ip netns add tbA && ip netns add tbB &&
	ip link add va netns tbA type veth peer name vb netns tbB &&
	ip -n tbA addr add 10.11.0.1/24 dev va &&
	ip -n tbB addr add 10.11.0.2/24 dev vb &&
	ip -n tbA link set va up && ip -n tbB link set vb up &&
	run bulk_veth bytes/s -s 1 -a 10.11.0.2 -S tbB -C tbA -l bulk_veth bulk
}

# The namespaces gone, every live object goes too (bounded wait).
t_clean() {
	local i f c
	cleanup
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

L=(-S tbL -C tbL)
ktap_plan 10
ktap_check "a namespace with loopback" lo
ktap_check "bulk over loopback" run bulk_lo bytes/s "${L[@]}" -s 1 bulk
ktap_check "request/response" run rr_lo trans/s "${L[@]}" -t 0.1 rr
ktap_check "connect/request/response/close" run crr_lo conn/s "${L[@]}" -t 0.1 crr
ktap_check "datagrams" run dgram_lo dgrams/s "${L[@]}" -t 0.1 dgram
ktap_check "request/response beside 20 idle connections" \
	run rr_lo trans/s "${L[@]}" -t 0.1 -n 20 rr
ktap_check "connect with 20 of 30 ports taken, closed by reset" \
	run crr_lo conn/s "${L[@]}" -t 0.1 -n 20 -R 50000-50029 -Z crr
# Slab growth means little on the debug kernel: KASAN's quarantine and
# kmemleak's own objects come and go with it (as in toy_timewait).
if [ "${TOY_KERNEL:-}" = debug ]; then
	ktap_skip "slab bytes per TIME_WAIT entry" "debug kernel: slab growth is not the entries'"
else
	ktap_check "slab bytes per TIME_WAIT entry" \
		run twbytes_lo bytes/entry "${L[@]}" -n 1000 twbytes
fi
ktap_check "bulk between two namespaces over veth" veth
ktap_check "live objects back to zero" t_clean
ktap_end
exit
}
