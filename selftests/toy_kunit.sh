#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# toy.ko's KUnit suites (module/kunit/): the pure rules, table by table.
# They are built in only against a kernel with KUnit (the debug kernel)
# and run when the module loads; this reads what the last load found.
# One test per suite: its verdict is the one KUnit keeps in debugfs
# (kunit/<suite>/results, whose last line is the suite's); the rows come
# from the kernel log, where nothing truncates them as the debugfs
# copy's 512-byte log per test case does.  A kernel without KUnit skips
# (exit 4); one with KUnit but without the suites in toy.ko fails.
# The body is one block, read whole before it runs: editing this file
# (or a git pull) during a long run cannot change what the run executes.
{
here=$(cd "$(dirname "$0")" && pwd)
. "$here/ktap.sh"
kunit=/sys/kernel/debug/kunit
suites=(toy_seq toy_window toy_rtt toy_bind toy_lookup toy_options toy_states)

skip_all() { # REASON: every suite skipped, kselftest's exit code 4
	local s
	for s in "${suites[@]}"; do ktap_skip "$s" "$1"; done
	echo "# Totals: pass:0 fail:0 xfail:0 xpass:0 skip:$KTAP_SKIP error:0"
	exit 4
}

# The kernel log of the suite's last run: from its "# Subtest:" line to
# its "ok N suite" line, times stripped.
suite_log() {
	dmesg 2>/dev/null | sed 's/^\[[^]]*\] \{0,1\}//' | awk -v s="$1" '
		$0 == "    # Subtest: " s { n = 0; keep = 1 }
		keep { buf[n++] = $0 }
		keep && $0 ~ "^(not )?ok [0-9]+ " s "$" { keep = 0; last = n; for (i = 0; i < n; i++) out[i] = buf[i] }
		END { for (i = 0; i < last; i++) print out[i] }'
}

check_suite() { # SUITE
	local s=$1 verdict log rows
	if [ ! -r "$kunit/$s/results" ]; then
		echo "no $kunit/$s/results: toy.ko has no suite $s"
		return 1
	fi
	verdict=$(tail -n 1 "$kunit/$s/results")
	log=$(suite_log "$s")
	if [ -n "$log" ]; then
		# The rows of the tables, and each table's count.
		rows=$(grep -cE '^        ok ' <<<"$log")
		echo "$rows rows passed"
		grep -E '^    # [a-z_]+: pass:' <<<"$log" | sed 's/^ *# //'
		# What failed, with KUnit's explanation.
		grep -vE '^ *(ok |KTAP|1\.\.|# Subtest:|# [a-z_]+: pass:|# Totals:)' <<<"$log"
	else
		echo "the kernel log no longer holds the run; debugfs:"
		cat "$kunit/$s/results"
	fi
	[ "$verdict" = "ok 1 $s" ]
}

ktap_plan ${#suites[@]}
if [ ! -d /sys/module/toy ]; then
	# In the test VM toy.ko is always loaded: missing there is a failure.
	[ -n "${TOY_KERNEL:-}" ] || skip_all "toy.ko not loaded"
	ktap_fail "KUnit suites: toy.ko not loaded"
	ktap_end
fi
[ -d /sys/kernel/debug/kunit ] ||
	mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
[ -d $kunit ] || skip_all "kernel without KUnit (or its debugfs)"

for s in "${suites[@]}"; do
	ktap_check "$s" check_suite "$s"
done
ktap_end
exit
}
