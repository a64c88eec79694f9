#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# toy.ko's life: its parameters, refusing to unload under a socket, bad
# parameters unwinding cleanly, moving the family, namespaces present at
# load and unload, repeated load/unload, and unloading with TIME_WAIT
# entries.  Needs root and TOY_KO (the
# path of toy.ko, set by scripts/vm-run); leaves the module loaded with
# its defaults.
# The body is one block, read whole before it runs: editing this file
# (or a git pull) during a long run cannot change what the run executes.
{
here=$(cd "$(dirname "$0")" && pwd)
. "$here/ktap.sh"
toysock=${TOY_TOOLS:-$here/../build/tools}/toysock
toychurn=${TOY_TOOLS:-$here/../build/tools}/toychurn
ko=${TOY_KO:-}

live_zero() {
	local f
	for f in /sys/module/toy/live/*; do
		[ "$(cat "$f")" = 0 ] || { echo "live ${f##*/} = $(cat "$f")"; return 1; }
	done
}

wait_live_sockets() { # N: wait until the live socket count is N
	local i
	for i in $(seq 200); do
		[ "$(cat /sys/module/toy/live/sockets 2>/dev/null)" = "$1" ] && return 0
		sleep 0.05
	done
	echo "live sockets: $(cat /sys/module/toy/live/sockets 2>/dev/null), expected $1"
	return 1
}

reload() { # [PARAM=VALUE...]: unload if loaded, load with the parameters
	if [ -d /sys/module/toy ]; then rmmod toy || return 1; fi
	insmod "$ko" "$@"
}

t_params() {
	[ "$(cat /sys/module/toy/parameters/family)" = 18 ] || return 1
	[ "$(cat /sys/module/toy/parameters/ipproto)" = 253 ] || return 1
	grep -q '^TOY ' /proc/net/protocols && grep -q '^TOY-DGRAM ' /proc/net/protocols
}

t_busy_while_socket_open() {
	local pid rc=0
	"$toysock" -H >/dev/null &
	pid=$!
	wait_live_sockets 1 || rc=1
	if rmmod toy 2>/dev/null; then
		echo "rmmod succeeded with a socket open"
		rc=1
	fi
	kill "$pid"
	wait "$pid"
	wait_live_sockets 0 || rc=1
	[ $rc = 0 ] && rmmod toy && insmod "$ko" && live_zero
}

t_bad_params_unwind() {
	local p rc=0
	rmmod toy || return 1
	# AF_INET is taken: sock_register fails after everything else was set
	# up, so this exercises the whole unwind.
	for p in family=2 family=0 family=46 family=-1 ipproto=0 ipproto=256 \
		 ipproto=6 ipproto=17; do
		if insmod "$ko" "$p" 2>/dev/null; then
			echo "insmod $p succeeded"
			rmmod toy
			rc=1
		elif [ -d /sys/module/toy ]; then
			echo "insmod $p failed but left /sys/module/toy"
			rc=1
		fi
	done
	dmesg | grep -q 'cannot register family 2: -17 (slot taken' ||
		{ echo "no 'slot taken' message"; rc=1; }
	# Everything was unwound: nothing of the failed loads is left where
	# the kernel would reach into freed module memory (protocol list,
	# pernet list), and a normal load works and is clean.
	grep -q '^TOY' /proc/net/protocols && { echo "TOY left in /proc/net/protocols"; rc=1; }
	[ -e /proc/sys/net/toy ] && { echo "/proc/sys/net/toy left"; rc=1; }
	[ -e /sys/kernel/debug/toy ] && { echo "debugfs toy/ left"; rc=1; }
	ip netns add toyunwind && ip netns del toyunwind || rc=1
	insmod "$ko" || return 1
	[ "$(grep -c '^TOY ' /proc/net/protocols)" = 1 ] || { echo "TOY listed twice"; rc=1; }
	[ "$(grep -c '^TOY-DGRAM ' /proc/net/protocols)" = 1 ] || { echo "TOY-DGRAM listed twice"; rc=1; }
	ip netns add toyunwind && ip netns exec toyunwind cat /proc/net/toy_stat >/dev/null || rc=1
	ip netns del toyunwind
	live_zero && [ $rc = 0 ]
}

t_family_param() {
	local out rc=0
	reload family=22 || return 1
	[ "$(cat /sys/module/toy/parameters/family)" = 22 ] || rc=1
	out=$("$toysock" -f 22) || rc=1
	grep -q 'family 22, type stream, protocol 253' <<<"$out" ||
		{ echo "$out"; rc=1; }
	# The default slot is free again (and nothing autoloads into it).
	"$toysock" -f 18 2>/dev/null && { echo "family 18 still works"; rc=1; }
	reload || return 1
	"$toysock" -f 18 >/dev/null || rc=1
	return $rc
}

t_ipproto_param() {
	local out rc=0
	reload ipproto=254 || return 1
	out=$("$toysock") || rc=1
	grep -q 'protocol 254' <<<"$out" || { echo "$out"; rc=1; }
	reload || return 1
	return $rc
}

# SockCreate and SockRelease of the caller's namespace, as "N N".
socks_stat() {
	awk '$1 == "Toy:" && $2 ~ /^[0-9]+$/ { print $2, $3 }' /proc/net/toy_stat
}

t_netns_load_unload() {
	local rc=0 ns
	for ns in toya toyb; do ip netns add $ns || return 1; done
	# Existing namespaces get their state when the module loads ...
	reload || rc=1
	[ "$(ip netns exec toya bash -c "$(declare -f socks_stat); socks_stat")" = "0 0" ] || rc=1
	ip netns exec toyb "$toysock" -n 3 >/dev/null || rc=1
	[ "$(ip netns exec toyb bash -c "$(declare -f socks_stat); socks_stat")" = "3 3" ] || rc=1
	[ "$(socks_stat)" = "0 0" ] || { cat /proc/net/toy_stat; rc=1; }
	# ... lose it when it unloads, and a namespace may die meanwhile.
	rmmod toy || rc=1
	[ -e /proc/net/toy_stat ] && rc=1
	ip netns del toya
	insmod "$ko" || rc=1
	[ "$(ip netns exec toyb bash -c "$(declare -f socks_stat); socks_stat")" = "0 0" ] || rc=1
	ip netns del toyb
	return $rc
}

t_load_unload_loop() {
	local i
	for i in $(seq 20); do
		rmmod toy || return 1
		insmod "$ko" || return 1
		"$toysock" -n 5 -t dgram >/dev/null || return 1
	done
	live_zero
}

# rmmod while 10000 TIME_WAIT entries and 20 live connections exist in a
# namespace: refused while the connections' sockets exist (each pins the
# module); once their process is gone and the orphans have closed, the
# unload ends every entry (they hold no module reference) and nothing is
# left: no live object, no warning.
t_rmmod_with_timewait() {
	local pid i rc=0 out=/tmp/toychurn.$$
	ip netns add toytw || return 1
	ip netns exec toytw sh -c 'ip link set lo up &&
		echo 3600000 >/proc/sys/net/toy/msl_ms &&
		echo 0 >/proc/sys/net/toy/tw_reuse' || rc=1
	ip netns exec toytw "$toychurn" -q -n 10000 -k 20 127.0.0.1 9000 >"$out" &
	pid=$!
	for i in $(seq 1200); do
		grep -q ready "$out" 2>/dev/null && break
		kill -0 $pid 2>/dev/null || break
		sleep 0.5
	done
	grep -q ready "$out" || { cat "$out"; rc=1; }
	[ "$(cat /sys/module/toy/live/timewait)" = 10000 ] ||
		{ echo "timewait: $(cat /sys/module/toy/live/timewait)"; rc=1; }
	if rmmod toy 2>/dev/null; then
		echo "rmmod succeeded with sockets open"
		ip netns del toytw
		insmod "$ko"
		return 1
	fi
	kill $pid
	wait $pid
	wait_live_sockets 0 || rc=1
	echo "# before rmmod: $(cat /sys/module/toy/live/timewait) TIME_WAIT entries, $(cat /sys/module/toy/live/timers) timers"
	[ "$(cat /sys/module/toy/live/timewait)" -ge 10000 ] || rc=1
	rmmod toy || rc=1
	dmesg | grep -q 'live objects of kind' && { dmesg | grep 'live objects'; rc=1; }
	ip netns del toytw
	rm -f "$out"
	insmod "$ko" || return 1
	live_zero && [ $rc = 0 ]
}

ktap_plan 8
if [ -z "$ko" ] || [ ! -f "$ko" ] || [ ! -d /sys/module/toy ] || [ "$(id -u)" != 0 ]; then
	# In the test VM these are always given: missing there is a failure.
	if [ -n "${TOY_KERNEL:-}" ]; then
		ktap_fail "module tests: TOY_KO unset, toy.ko not loaded or not root"
	else
		for t in 1 2 3 4 5 6 7 8; do ktap_skip "module test $t" "needs root, TOY_KO and toy.ko loaded"; done
	fi
	ktap_end
fi
ktap_check "parameters readable, protocols listed" t_params
ktap_check "rmmod refused while a socket is open" t_busy_while_socket_open
ktap_check "bad parameters fail and unwind" t_bad_params_unwind
ktap_check "family parameter moves the family" t_family_param
ktap_check "ipproto parameter sets SO_PROTOCOL" t_ipproto_param
ktap_check "namespaces across load and unload" t_netns_load_unload
ktap_check "20 load/unload cycles" t_load_unload_loop
ktap_check "rmmod with 10000 TIME_WAIT entries, after live connections" t_rmmod_with_timewait
# Leave the module as we found it.
[ -d /sys/module/toy ] || insmod "$ko"
ktap_end
exit
}
