#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The test VM gives the later tests what they need: veth, sch_netem and tun
# load with modprobe (modules on the stock kernel, built in on the debug
# one), two namespaces talk over a veth pair with netem on the link, a TUN
# device can be made, /tmp and /run are tmpfs and the host root is
# read-only.  Skipped outside the VM (TOY_KERNEL unset).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/ktap.sh"

t_modprobe() {
	local m
	for m in veth sch_netem tun; do modprobe "$m" || return 1; done
}

t_veth_netem() {
	local rc=0
	ip netns add envA && ip netns add envB || return 1
	ip link add envA0 netns envA type veth peer name envB0 netns envB || rc=1
	ip -n envA addr add 10.77.0.1/24 dev envA0 && ip -n envA link set envA0 up || rc=1
	ip -n envB addr add 10.77.0.2/24 dev envB0 && ip -n envB link set envB0 up || rc=1
	ip -n envA link set lo up; ip -n envB link set lo up
	ip netns exec envA tc qdisc add dev envA0 root netem delay 20ms || rc=1
	ip netns exec envA tc qdisc show dev envA0 | grep -q 'netem.*delay 20ms' || rc=1
	ip netns exec envA ping -c 2 -W 5 10.77.0.2 >/dev/null || { echo "no ping over veth"; rc=1; }
	ip netns del envA
	ip netns del envB
	return $rc
}

t_tun() {
	[ -c /dev/net/tun ] || { echo "no /dev/net/tun"; return 1; }
	ip tuntap add dev envtun0 mode tun || return 1
	ip link show envtun0 >/dev/null || return 1
	ip tuntap del dev envtun0 mode tun
}

t_filesystems() {
	[ "$(stat -f -c %T /tmp)" = tmpfs ] || { echo "/tmp: $(stat -f -c %T /tmp)"; return 1; }
	[ "$(stat -f -c %T /run)" = tmpfs ] || { echo "/run: $(stat -f -c %T /run)"; return 1; }
	if touch /usr/.toy-rw-probe 2>/dev/null; then
		rm -f /usr/.toy-rw-probe
		echo "the host root is writable"
		return 1
	fi
	# The project is writable.
	touch "$here/../build/.toy-rw-probe" && rm "$here/../build/.toy-rw-probe"
}

ktap_plan 4
if [ -z "${TOY_KERNEL:-}" ] || [ "$(id -u)" != 0 ]; then
	for t in 1 2 3 4; do ktap_skip "vm environment $t" "not in the test VM"; done
	ktap_end
fi
ktap_check "modprobe veth, sch_netem, tun" t_modprobe
ktap_check "two namespaces over veth with netem" t_veth_netem
ktap_check "a TUN device" t_tun
ktap_check "tmpfs /tmp and /run, read-only host root, writable project" t_filesystems
ktap_end
