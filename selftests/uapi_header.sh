#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# uapi/linux/toy.h compiles on its own in C (-std=c99) and C++ (-std=c++11)
# with -Wall -Wextra -Werror, also after glibc's <netinet/in.h>, and its
# struct sockaddr_toy has the size and layout of struct sockaddr_in.
# uapi/linux/toy_diag.h compiles on its own too, and no struct that
# crosses to userspace (struct toy_info, the sock_diag messages) has a
# padding hole, where bytes nobody wrote could hide.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/ktap.sh"
uapi=$here/../uapi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

compile() { # LANG STD SOURCE [FLAG]
	local cc=gcc
	[ "$1" = c++ ] && cc=g++
	printf '%s\n' "$3" >"$tmp/t.$1"
	$cc -x "$1" -std="$2" -Wall -Wextra -Werror -pedantic ${4:-} \
		-I"$uapi" -c -o "$tmp/t.o" "$tmp/t.$1"
}

alone='#include <linux/toy.h>
struct sockaddr_toy a = { AF_TOY, 0, { 0 }, { 0 } };
int f(void) { return PF_TOY + SOL_TOY + IPPROTO_TOY + (int)sizeof(a); }'
layout='#include <stddef.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/toy.h>
#define SAME(a, b) _Static_assert(offsetof(struct sockaddr_in, a) == \
	offsetof(struct sockaddr_toy, b), #a)
_Static_assert(sizeof(struct sockaddr_toy) == sizeof(struct sockaddr_in), "size");
_Static_assert(sizeof(struct sockaddr_toy) == sizeof(struct sockaddr), "sockaddr");
SAME(sin_family, stoy_family); SAME(sin_port, stoy_port);
SAME(sin_addr, stoy_addr); SAME(sin_zero, stoy_zero);'

diag='#include <linux/toy_diag.h>
#include <linux/toy.h>
struct toy_diag_req r; struct toy_diag_msg m; struct toy_info i;
struct toy_diag_port_range p;
int g(void) { return (int)(sizeof(r) + sizeof(m) + sizeof(i) + sizeof(p)) +
	TOY_DIAG_MAX + TOY_DIAG_REQ_MAX + TOY_INFO; }'
ktap_plan 8
ktap_check "alone, C99" compile c c99 "$alone"
ktap_check "alone, C++11" compile c++ c++11 "$alone"
ktap_check "after <netinet/in.h>, C99" compile c c99 \
	"#include <netinet/in.h>
$alone"
ktap_check "after <netinet/in.h>, C++11" compile c++ c++11 \
	"#include <netinet/in.h>
$alone"
ktap_check "sockaddr_toy layout = sockaddr_in, C11" compile c c11 "$layout"
ktap_check "toy_diag.h alone, C99" compile c c99 "$diag"
ktap_check "toy_diag.h alone, C++11" compile c++ c++11 "$diag"
ktap_check "no padding holes (-Wpadded)" compile c c99 "$diag" -Wpadded
ktap_end
