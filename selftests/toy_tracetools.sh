#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The toy tracepoints through the tools people use: trace-cmd records a
# loopback echo (connection, data, close) and its report shows the
# connection's states and segments; bpftrace, where it is installed,
# reads the events' fields by name.  toy_diag checks each tracepoint
# through tracefs itself.
# The body is one block, read whole before it runs: editing this file
# (or a git pull) during a long run cannot change what the run executes.
{
here=$(cd "$(dirname "$0")" && pwd)
. "$here/ktap.sh"
tools=${TOY_TOOLS:-$here/../build/tools}
scale=${TOY_TIMEOUT_SCALE:-1}
work=$(mktemp -d)
N="ip netns exec toytr"

cleanup() {
	ip netns del toytr 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

setup() {
	ip netns add toytr && $N ip link set lo up || return 1
	$N sh -c 'echo 100 >/proc/sys/net/toy/msl_ms'
}

# Wait, bounded, until the namespace has a listener on port $1.
wait_listen() {
	local port i
	port=$(printf ':%04X' "$1")
	for i in $(seq $((300 * scale))); do
		$N awk -v p="$port" '$4 == "0A" && substr($2, 9) == p { f = 1 }
			END { exit !f }' /proc/net/toy && return 0
		sleep 0.1
	done
	echo "no listener on port $1"
	return 1
}

# One echo on port $1: a line there and back, both ends closed.
echo_once() {
	local server
	$N timeout $((30 * scale)) "$tools/toycat" -l -e -s 127.0.0.1 "$1" \
		>/dev/null &
	server=$!
	wait_listen "$1" || return 1
	echo "traced" | $N timeout $((30 * scale)) "$tools/toycat" 127.0.0.1 "$1" \
		>/dev/null || return 1
	wait $server
}

t_trace_cmd() {
	local out=$work/trace.dat report
	# -o: the data file; the connection runs while trace-cmd records.
	trace-cmd record -q -o "$out" -e toy \
		bash -c "$(declare -f wait_listen echo_once); N='$N'; \
			 tools='$tools'; scale=$scale; echo_once 7300" \
		>/dev/null 2>&1 || return 1
	report=$(trace-cmd report -i "$out" 2>/dev/null)
	echo "$report" | grep -E 'toy_state_change|toy_timewait' | head -12
	grep -q 'toy_state_change:.*oldstate=SYN_SENT newstate=ESTABLISHED' <<<"$report" &&
	grep -q 'toy_state_change:.*src=127.0.0.1:7300 .*newstate=CLOSE_WAIT' <<<"$report" &&
	grep -q 'toy_segment_send:.*dst=127.0.0.1:7300 .*flags=SYN seq=' <<<"$report" &&
	grep -q 'toy_segment_recv:.*src=127.0.0.1:7300 .*flags=SYN|ACK' <<<"$report" &&
	grep -q 'toy_segment_send:.*dst=127.0.0.1:7300 .*len=7' <<<"$report" &&
	grep -q 'toy_timewait_enter:.*dst=127.0.0.1:7300 .*state=TIME_WAIT' <<<"$report"
}

t_bpftrace() {
	local out=$work/bpf.txt pid i
	# Count the states a stream socket enters, by number, until killed.
	timeout -s INT $((120 * scale)) bpftrace -e \
		'tracepoint:toy:toy_state_change /args->dport == 7301/
		{ printf("state %d -> %d\n", args->oldstate, args->newstate); }' \
		>"$out" 2>&1 &
	pid=$!
	for i in $(seq $((600 * scale))); do
		grep -q Attaching "$out" && break
		kill -0 $pid 2>/dev/null || break
		sleep 0.1
	done
	grep -q Attaching "$out" || { cat "$out"; kill -KILL $pid; return 1; }
	# Its events from here on are ours: SYN_SENT .. FIN_WAIT2.
	echo_once 7301 || { kill -INT $pid; return 1; }
	for i in $(seq $((100 * scale))); do
		grep -q 'state 4 -> 5' "$out" && break
		sleep 0.1
	done
	kill -INT $pid
	wait $pid
	cat "$out"
	# SYN_SENT -> ESTABLISHED, FIN_WAIT1 -> FIN_WAIT2 on the client side.
	grep -q 'state 2 -> 1' "$out" && grep -q 'state 4 -> 5' "$out"
}

ktap_plan 3
ktap_check "a namespace of its own" setup
if command -v trace-cmd >/dev/null; then
	ktap_check "trace-cmd records and reports the toy events" t_trace_cmd
else
	ktap_skip "trace-cmd records and reports the toy events" "no trace-cmd"
fi
# bpftrace needs the bpf() system call, which the debug kernel leaves out.
if ! command -v bpftrace >/dev/null; then
	ktap_skip "bpftrace reads the toy events' fields" "no bpftrace"
elif ! timeout $((60 * scale)) bpftrace -e 'BEGIN { exit(); }' >/dev/null 2>&1; then
	ktap_skip "bpftrace reads the toy events' fields" "no BPF in this kernel"
else
	ktap_check "bpftrace reads the toy events' fields" t_bpftrace
fi
ktap_end
}
