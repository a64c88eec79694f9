#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# toyify - run a program unchanged with its IPv4 TCP and UDP over AF_TOY.
#
#   toyify [-v] [-p PORTS] [-a ADDRS] [--dns] [--] CMD [ARGS...]
#
#   -p PORTS  move only sockets bound to, or talking to, these ports
#             ("80,8000-8100"); default: every IPv4 stream and datagram
#             socket
#   -a ADDRS  move only sockets bound to, or talking to, these addresses
#             ("10.0.0.0/24,127.0.0.1"; binding 0.0.0.0 matches any)
#   --dns     move port 53 too (by default DNS over UDP stays IPv4, so
#             names still resolve)
#   -v        one line on stderr for every call translated
#
# Preloads libtoyify.so (tools/toyify/toyify.c; both are installed in
# build/tools/) into CMD and its children.  Needs the toy module loaded:
# its family number is read from /sys/module/toy/parameters.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
lib=$here/libtoyify.so

usage() {
	echo "usage: toyify [-v] [-p PORTS] [-a ADDRS] [--dns] [--] CMD [ARGS...]" >&2
	exit 2
}

TOYIFY_VERBOSE=0 TOYIFY_PORTS=all TOYIFY_ADDRS=all TOYIFY_DNS=0
while [ $# -gt 0 ]; do
	case $1 in
	-v) TOYIFY_VERBOSE=1 ;;
	-p) [ $# -ge 2 ] || usage; TOYIFY_PORTS=$2; shift ;;
	-a) [ $# -ge 2 ] || usage; TOYIFY_ADDRS=$2; shift ;;
	--dns) TOYIFY_DNS=1 ;;
	--) shift; break ;;
	-*) echo "toyify: unknown option $1" >&2; usage ;;
	*) break ;;
	esac
	shift
done
[ $# -gt 0 ] || usage
if [ "$TOYIFY_PORTS" != all ] &&
   ! printf '%s\n' "$TOYIFY_PORTS" | grep -Eqx '[0-9]+(-[0-9]+)?(,[0-9]+(-[0-9]+)?)*'; then
	echo "toyify: -p takes ports and ranges, as 80,8000-8100: '$TOYIFY_PORTS'" >&2
	exit 2
fi
octet='(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])'
prefix="$octet(\.$octet){3}(/(3[0-2]|[12]?[0-9]))?"
if [ "$TOYIFY_ADDRS" != all ] &&
   ! printf '%s\n' "$TOYIFY_ADDRS" | grep -Eqx "$prefix(,$prefix)*"; then
	echo "toyify: -a takes IPv4 addresses and prefixes, as 10.0.0.0/24,127.0.0.1: '$TOYIFY_ADDRS'" >&2
	exit 2
fi
if [ ! -r /sys/module/toy/parameters/family ]; then
	echo "toyify: the toy module is not loaded (insmod toy.ko first)" >&2
	exit 1
fi
[ -r "$lib" ] || { echo "toyify: no $lib (make tools)" >&2; exit 1; }
TOYIFY_FAMILY=$(cat /sys/module/toy/parameters/family)
export TOYIFY_FAMILY TOYIFY_PORTS TOYIFY_ADDRS TOYIFY_DNS TOYIFY_VERBOSE
export LD_PRELOAD="$lib${LD_PRELOAD:+:$LD_PRELOAD}"
exec "$@"
