#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tools/toystat, nstat for the AF_TOY counters, against
# /proc/net/toy_stat: in a network namespace of its own (no other traffic
# moves its counters), each case runs an echo over loopback with toycat
# and checks that toystat shows exactly what the counters say: every
# counter with -a, the increments since the last run by default, nothing
# when nothing happened, zeros with -z, and the history kept (-s),
# updated silently (-n), reset (-r), narrowed by globs, in JSON (-j),
# refused when another user owns it.  A malformed or missing
# /proc/net/toy_stat is shown to a run in a mount namespace of its own
# with a tmpfs over /proc.  Needs root.
# The body is one block, read whole before it runs: editing this file
# (or a git pull) during a long run cannot change what the run executes.
{
here=$(cd "$(dirname "$0")" && pwd)
. "$here/ktap.sh"
tools=${TOY_TOOLS:-$here/../build/tools}
scale=${TOY_TIMEOUT_SCALE:-1}
ns=toystat
N="ip netns exec $ns"
work=$(mktemp -d)
export TOYSTAT_HISTORY=$work/history
hist=$TOYSTAT_HISTORY

cleanup() {
	ip netns del $ns 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

ts() { $N timeout $((30 * scale)) "$tools/toystat" "$@"; }

# Every counter of the namespace, "ToyName value" a line, in file order.
stat_all() {
	$N awk 'NR % 2 == 1 { p = $1; sub(":$", "", p)
			     for (i = 2; i <= NF; i++) n[i] = $i }
		NR % 2 == 0 { for (i = 2; i <= NF; i++) print p n[i], $i }' \
		/proc/net/toy_stat
}

# toystat's output as "Name value" lines, without the "#kernel" header.
values() { awk '!/^#/ { print $1, $2 }'; }

# "Name increment" for each counter that moved between two stat_all files.
deltas() {
	awk 'NR == FNR { b[$1] = $2; next }
	     $2 != b[$1] { print $1, $2 - b[$1] }' "$1" "$2"
}

# same WHAT EXPECTED-FILE GOT-FILE: equal, or show both.
same() {
	cmp -s "$2" "$3" && return 0
	echo "$1: expected"; sed 's/^/  /' "$2"
	echo "$1: got"; sed 's/^/  /' "$3"
	return 1
}

# A run with no increments to show prints the header alone.
nothing_new() {
	local out
	out=$(ts) || return 1
	[ "$out" = "#kernel" ] && return 0
	echo "expected no increments, got:"; echo "$out"
	return 1
}

# Wait, bounded, until there is a listener on port $1 (/proc/net/toy:
# local address in column 2, the state in column 4, 0A is LISTEN).
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

# Wait, bounded, until the counters stand still: no socket left but
# TIME_WAIT entries (06; with msl_ms at its maximum none ends during the
# test), and as many of those as TWCreated counted, so the last one's
# count is in too.
wait_quiet() {
	local i tw
	for i in $(seq $((300 * scale))); do
		tw=$(stat_all | awk '$1 == "ToyTWCreated" { print $2 }')
		$N awk -v tw="$tw" 'NR > 1 && $4 != "06" { busy = 1 }
			NR > 1 && $4 == "06" { n++ }
			END { exit busy || n != tw }' /proc/net/toy && return 0
		sleep 0.1
	done
	echo "the sockets did not settle (TWCreated $tw):"
	$N cat /proc/net/toy
	return 1
}

# One stream echo over loopback on port $1, then wait until it is over.
exchange() {
	local out rc=0
	$N timeout $((30 * scale)) "$tools/toycat" -l -e "$1" &
	wait_listen "$1" || return 1
	out=$(echo hi | $N timeout $((30 * scale)) "$tools/toycat" 127.0.0.1 "$1") || rc=1
	wait $! || rc=1
	[ $rc = 0 ] && [ "$out" = hi ] || { echo "echo on port $1: rc $rc, got '$out'"; return 1; }
	wait_quiet
}

# exchange PORT between two stat_all snapshots; $work/d: what moved.
exchange_deltas() {
	stat_all >"$work/before" && exchange "$1" && stat_all >"$work/after" &&
		deltas "$work/before" "$work/after" >"$work/d"
}

t_setup() {
	[ -x "$tools/toystat" ] || { echo "no $tools/toystat"; return 1; }
	ip netns add $ns && $N ip link set lo up || return 1
	# TIME_WAIT for 2 hours: no entry ends, so no counter moves, between
	# two reads of the test.
	$N sh -c 'echo 3600000 >/proc/sys/net/toy/msl_ms'
}

t_absolute() {
	exchange 7001 || return 1
	stat_all >"$work/abs" || return 1
	{ echo "#kernel"; awk '{ printf "%-32s%-16s%6.1f\n", $1, $2, 0 }' "$work/abs"; } \
		>"$work/want"
	ts -a -z -s >"$work/got" || return 1
	same "-a -z, nstat's format, every counter" "$work/want" "$work/got" || return 1
	{ echo "#kernel"; awk '$2 != 0 { printf "%-32s%-16s%6.1f\n", $1, $2, 0 }' "$work/abs"; } \
		>"$work/want"
	ts -a -s >"$work/got" || return 1
	same "-a, nonzero counters" "$work/want" "$work/got" || return 1
	echo "$(wc -l <"$work/abs") counters, $(grep -vc ' 0$' "$work/abs") nonzero"
	head -4 "$work/got"
	# -a -s leaves the history alone, as nstat's.
	[ ! -e "$hist" ] || { echo "-a -s made a history file"; return 1; }
}

t_deltas() {
	# No history yet: the first run shows absolute values.
	stat_all | awk '$2 != 0' >"$work/want"
	ts >"$work/first" || return 1
	values <"$work/first" >"$work/got"
	same "first run" "$work/want" "$work/got" || return 1
	[ "$(stat -c %a "$hist")" = 600 ] || { echo "history mode $(stat -c %a "$hist")"; return 1; }
	exchange_deltas 7002 || return 1
	ts >"$work/second" || return 1
	cat "$work/second"
	values <"$work/second" >"$work/got"
	same "second run" "$work/d" "$work/got" || return 1
	grep -qx 'ToyActiveOpens 1' "$work/got" &&
		grep -qx 'ToyPassiveOpens 1' "$work/got" &&
		grep -q '^ToyInSegs [1-9]' "$work/got" &&
		grep -q '^ToyOutSegs [1-9]' "$work/got"
}

t_zeros() {
	local names
	names=$($N awk 'NR % 2 == 1 { n += NF - 1 } END { print n }' /proc/net/toy_stat)
	stat_all | awk '{ print $1, 0 }' >"$work/want"
	ts -z -s >"$work/out" || return 1
	values <"$work/out" >"$work/got"
	echo "$names names, $(wc -l <"$work/got") lines"
	[ "$(wc -l <"$work/got")" = "$names" ] || return 1
	same "-z after no traffic" "$work/want" "$work/got"
}

t_noupdate() {
	exchange_deltas 7003 || return 1
	cp "$hist" "$work/h0"
	ts -s | values >"$work/got"
	same "-s" "$work/d" "$work/got" || return 1
	cmp "$hist" "$work/h0" || { echo "-s changed the history"; return 1; }
	ts -s | values >"$work/got"
	same "-s again" "$work/d" "$work/got" || return 1
	ts | values >"$work/got"
	same "then a plain run" "$work/d" "$work/got" || return 1
	nothing_new
}

t_nooutput() {
	local out
	exchange_deltas 7004 || return 1
	cp "$hist" "$work/h0"
	out=$(ts -n) || return 1
	[ -z "$out" ] || { echo "-n printed: $out"; return 1; }
	! cmp -s "$hist" "$work/h0" || { echo "-n did not update the history"; return 1; }
	nothing_new
}

t_glob() {
	exchange_deltas 7005 || return 1
	ts 'Toy*Opens' | values >"$work/got"
	printf 'ToyActiveOpens 1\nToyPassiveOpens 1\n' >"$work/want"
	same "'Toy*Opens'" "$work/want" "$work/got" || return 1
	# The others were not shown, so their increments are still to come.
	ts ToyInSegs ToyOutSegs | values >"$work/got"
	grep -E '^Toy(In|Out)Segs ' "$work/d" >"$work/want"
	same "ToyInSegs ToyOutSegs" "$work/want" "$work/got" || return 1
	ts | values >"$work/got"
	grep -vE '^Toy(ActiveOpens|PassiveOpens|InSegs|OutSegs) ' "$work/d" >"$work/want"
	same "the rest" "$work/want" "$work/got" || return 1
	nothing_new || return 1
	stat_all | awk '$1 ~ /^ToyIn/' >"$work/want"
	ts -a -z -s 'ToyIn*' | values >"$work/got"
	same "-a -z 'ToyIn*'" "$work/want" "$work/got"
}

# JSON file $1 (nstat's shape, {"kernel": {...}}) as "Name value" lines.
json_values() {
	python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
assert list(d) == ["kernel"], list(d)
for k, v in d["kernel"].items():
    assert isinstance(v, int), (k, v)
    print(k, v)' "$1"
}

t_json() {
	stat_all >"$work/want"
	ts -a -z -s -j >"$work/j" || return 1
	head -c 120 "$work/j"; echo
	json_values "$work/j" >"$work/got" || return 1
	same "-a -z -j" "$work/want" "$work/got" || return 1
	exchange_deltas 7006 || return 1
	ts -j -p >"$work/j" || return 1
	cat "$work/j"
	json_values "$work/j" >"$work/got" || return 1
	same "-j -p increments" "$work/d" "$work/got" || return 1
	nothing_new
}

t_reset() {
	exchange 7007 || return 1
	stat_all | awk '$2 != 0' >"$work/want"
	ts -r | values >"$work/got"
	same "-r" "$work/want" "$work/got" || return 1
	nothing_new
}

t_owner() {
	local rc
	ts -n || return 1
	cp -p "$hist" "$work/h0"
	chown nobody "$hist" || return 1
	ts >"$work/out" 2>"$work/err" && rc=0 || rc=$?
	cat "$work/err"
	[ $rc = 1 ] && [ ! -s "$work/out" ] && grep -q 'owned by' "$work/err" || return 1
	[ "$(stat -c %U "$hist")" = nobody ] && cmp -s "$hist" "$work/h0" ||
		{ echo "the history was touched"; return 1; }
	# Nor through a symbolic link (O_NOFOLLOW), as nstat.
	rm "$hist" && cp -p "$work/h0" "$work/h1" && ln -s "$work/h1" "$hist"
	ts >"$work/out" 2>"$work/err" && rc=0 || rc=$?
	cat "$work/err"
	[ $rc = 1 ] && [ ! -s "$work/out" ] || return 1
	rm "$hist" && mv "$work/h0" "$hist" && nothing_new
}

t_options() {
	local rc
	"$tools/toystat" -h >"$work/out" 2>"$work/err" || return 1
	grep -q '^Usage: toystat' "$work/out" && [ ! -s "$work/err" ] || return 1
	"$tools/toystat" -x >"$work/out" 2>"$work/err" && rc=0 || rc=$?
	head -2 "$work/err"
	[ $rc = 2 ] && [ ! -s "$work/out" ] && grep -q '^Usage: toystat' "$work/err" || return 1
	"$tools/toystat" -V | grep '^toystat utility'
}

# fake CONTENT|- CMD...: CMD in a mount namespace whose /proc is a tmpfs
# with /proc/net/toy_stat holding CONTENT (printf format), or none (-).
fake() {
	local content=$1
	shift
	unshare -m sh -c 'mount -t tmpfs none /proc || exit 99
		[ "$0" = - ] || { mkdir /proc/net && printf "$0" >/proc/net/toy_stat; }
		exec "$@"' "$content" "$@"
}

t_files() {
	local rc msg want
	export TOYSTAT_HISTORY=$work/fakehist
	# Module not loaded: no file.
	msg=$(fake - "$tools/toystat" 2>&1 >/dev/null) && rc=0 || rc=$?
	echo "$msg"
	want="toystat: /proc/net/toy_stat: No such file or directory (is toy.ko loaded?)"
	[ $rc = 1 ] && [ "$msg" = "$want" ] || { echo "rc $rc"; return 1; }
	# Malformed: more names than values.
	fake 'Toy: InSegs OutSegs\nToy: 1\n' "$tools/toystat" >"$work/out" 2>"$work/err" && rc=0 || rc=$?
	cat "$work/err"
	[ $rc = 1 ] && [ ! -s "$work/out" ] && grep -q malformed "$work/err" || { echo "rc $rc"; return 1; }
	fake 'Toy: InSegs\nToy: 12x\n' "$tools/toystat" >"$work/out" 2>"$work/err" && rc=0 || rc=$?
	cat "$work/err"
	[ $rc = 1 ] && [ ! -s "$work/out" ] && grep -q malformed "$work/err" || { echo "rc $rc"; return 1; }
	# A counter the module adds later appears; one that went backwards
	# (a reload) shows its absolute value.
	fake 'Toy: InSegs OutSegs\nToy: 50 60\n' "$tools/toystat" -n || return 1
	fake 'Toy: InSegs OutSegs Later\nToy: 7 65 3\n' "$tools/toystat" >"$work/out" || return 1
	cat "$work/out"
	printf 'ToyInSegs 7\nToyOutSegs 5\nToyLater 3\n' >"$work/want"
	values <"$work/out" >"$work/got"
	same "new and reset counters" "$work/want" "$work/got"
}

t_clean() {
	local i f c
	ip netns del $ns
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

ktap_plan 14
ktap_check "a namespace of its own" t_setup
ktap_check "-a: every counter of /proc/net/toy_stat, in nstat's format" t_absolute
ktap_check "first run absolute, then exactly an echo's increments" t_deltas
ktap_check "a run right after shows nothing" nothing_new
ktap_check "-z: every counter, zeros too" t_zeros
ktap_check "-s: the history stays" t_noupdate
ktap_check "-n: nothing printed, the history updated" t_nooutput
ktap_check "globs: only matching counters, the others wait" t_glob
if command -v python3 >/dev/null; then
	ktap_check "-j: nstat's JSON, the same values" t_json
else
	ktap_skip "-j: nstat's JSON, the same values" "no python3"
fi
ktap_check "-r: absolute values, history restarted" t_reset
ktap_check "a history file of another user or a symlink is refused" t_owner
ktap_check "-h, -V, a bad option" t_options
ktap_check "missing and malformed files are errors; new and reset counters" t_files
ktap_check "live objects back to zero" t_clean
ktap_end
exit
}
