#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The tour (scripts/tour/tour.sh), every chapter: each one checks what it
# shows, so a chapter is one test here, passed when all its checks held.
# The page and its pictures go to build/tour/, where `make check` then
# loads them in a real browser (scripts/tour/browser-check).  Needs root,
# python3, gnuplot, graphviz (dot), nft and a kernel with veth, bridge,
# netem and nf_tables; without one of those, every chapter skips.
# The body is one block, read whole before it runs: editing this file
# (or a git pull) during a long run cannot change what the run executes.
{
here=$(cd "$(dirname "$0")" && pwd)
. "$here/ktap.sh"
top=$(cd "$here/.." && pwd)
tour=$top/scripts/tour
chapters=("$tour"/chapters/[0-9]*.sh)

ktap_plan ${#chapters[@]}
missing=
for t in python3 gnuplot dot nft nsenter; do
	command -v $t >/dev/null || missing="$missing $t"
done
# The kernel's part: a bridge for the hosts' LAN, nftables for the
# firewalls (the debug kernel has neither).
modprobe -q bridge
modprobe -q nf_tables
ip netns add toytour.probe &&
	{ ip netns exec toytour.probe ip link add br0 type bridge 2>/dev/null ||
	  missing="$missing bridge"
	  ip netns exec toytour.probe nft add table ip probe 2>/dev/null ||
	  missing="$missing nf_tables"; }
ip netns del toytour.probe 2>/dev/null
if [ -n "$missing" ]; then
	for c in "${chapters[@]}"; do
		ktap_skip "$(basename "$c" .sh)" "missing:$missing"
	done
	ktap_end
fi
out=$(mktemp)
"$tour/tour.sh" "$top/build/tour" >"$out" 2>&1
sed 's/^/# /' "$out"
for c in "${chapters[@]}"; do
	n=$(basename "$c")
	n=$((10#${n%%-*}))
	line=$(grep -E "^(not )?ok $n " "$out")
	if [ "${line%% *}" = ok ]; then
		ktap_ok "tour chapter ${line#ok }"
	else
		ktap_fail "tour chapter ${line#not ok }"
		[ -z "$line" ] && ktap_info "chapter $n gave no verdict"
	fi
done
rm -f "$out"
ktap_end
}
