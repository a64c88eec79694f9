#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# uapi/linux/toy.h compiles on its own in C (-std=c99) and C++ (-std=c++11)
# with -Wall -Wextra -Werror, also after glibc's <netinet/in.h>, and its
# struct sockaddr_toy has the size and layout of struct sockaddr_in.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/ktap.sh"
uapi=$here/../uapi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

compile() { # LANG STD SOURCE
	local cc=gcc
	[ "$1" = c++ ] && cc=g++
	printf '%s\n' "$3" >"$tmp/t.$1"
	$cc -x "$1" -std="$2" -Wall -Wextra -Werror -pedantic -I"$uapi" \
		-c -o "$tmp/t.o" "$tmp/t.$1"
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

ktap_plan 5
ktap_check "alone, C99" compile c c99 "$alone"
ktap_check "alone, C++11" compile c++ c++11 "$alone"
ktap_check "after <netinet/in.h>, C99" compile c c99 \
	"#include <netinet/in.h>
$alone"
ktap_check "after <netinet/in.h>, C++11" compile c++ c++11 \
	"#include <netinet/in.h>
$alone"
ktap_check "sockaddr_toy layout = sockaddr_in, C11" compile c c11 "$layout"
ktap_end
