#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The AF_TOY demo, run in the test VM by `make demo`: shows, step by step,
# what the module adds to the kernel.  Every step says what to look at.
# Later features add their steps here.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
toysock=$top/build/tools/toysock
n=0

step() {
	n=$((n + 1))
	printf '\n=== %d. %s\n' "$n" "$1"
	[ $# -gt 1 ] && printf '    %s\n' "${@:2}"
}
show() { printf '$ %s\n' "$*"; eval "$@"; }

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
show "cat /proc/net/toy_stat"
echo "    A fresh network namespace has AF_TOY state of its own, all zero:"
ip netns add demo
show "ip netns exec demo cat /proc/net/toy_stat"
show "ip netns exec demo awk '/^TOY / { print \$1, \"sockets:\", \$3 }' /proc/net/protocols"
ip netns del demo

step "The module cannot go while a socket is open"
show "rmmod toy"
kill "$holder"
wait "$holder" 2>/dev/null

step "Closed: every live-object counter is back to zero"
for _ in $(seq 100); do
	[ "$(cat /sys/module/toy/live/sockets)" = 0 ] && break
	sleep 0.05
done
show "grep . /sys/module/toy/live/*"
echo
echo "Demo done.  'make shell' gives you this VM to explore; the module is unloaded on exit."
