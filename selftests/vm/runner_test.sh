#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The VM runner's own tests, run on the host by `make check` before the
# suite: a runner that cannot fail proves nothing.  Each case boots a VM
# and asserts vm-run's exit status and verdict.
#   A: CMD runs as root in the caller's directory, its exit status comes
#      back (3), the module is loaded with its parameters, and a failing
#      selftest makes run_tests.sh fail;
#   B: a WARN in the kernel (toy_splat.ko) makes the run red;
#   C: a report in the kernel log, a taint change and a module that cannot
#      be unloaded (a socket left open) each make the run red;
#   D: a hung guest is killed by the whole-run timeout, and red;
#   F: a guest that makes no boot progress is booted once more, then red;
#   G: so is a guest that ends before it has booted (64 MB are too few to
#      boot in);
#   E: (debug kernel) a leak that kmemleak finds makes the run red.
#
#   runner_test.sh            cases A-D, F, G on the stock kernel (make check)
#   runner_test.sh --debug    case E on the debug kernel (make check-debug)
# The body is one block, read whole before it runs: editing this file
# (or a git pull) during a long run cannot change what the run executes.
{
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/selftests/ktap.sh"
vmrun=$top/scripts/vm-run
work=$top/build/runner-test
rm -rf "$work"
mkdir -p "$work/fake"
cd "$top" || exit 1

case_a() {
	local rc out
	# A fake suite with one failing program.
	printf 'prog:fail.sh\n' >"$work/fake/tests.list"
	printf '#!/bin/sh\necho "# Totals: pass:0 fail:1 xfail:0 xpass:0 skip:0 error:0"\nexit 1\n' \
		>"$work/fake/fail.sh"
	chmod +x "$work/fake/fail.sh"
	# From a subdirectory: the command must run there, as root.
	out=$(cd "$top/selftests" && "$vmrun" -- sh -c "
		echo cwd=\$(pwd) uid=\$(id -u)
		grep -i toy /proc/net/protocols
		cat /sys/module/toy/parameters/*
		./run_tests.sh $work/fake >$work/fake.out 2>&1
		echo suite_rc=\$?
		exit 3" 2>&1)
	rc=$?
	echo "$out" | tail -n 8
	[ $rc = 3 ] || { echo "vm-run exited $rc, expected 3"; return 1; }
	grep -qx "cwd=$top/selftests uid=0" <<<"$out" || { echo "wrong cwd or uid"; return 1; }
	grep -q '^TOY ' <<<"$out" || { echo "TOY missing from /proc/net/protocols"; return 1; }
	grep -qx 18 <<<"$out" || { echo "family parameter not 18"; return 1; }
	grep -q 'suite_rc=1' <<<"$out" || { echo "failing suite did not exit 1"; return 1; }
	tail -n1 "$work/fake.out" | grep -qx '1 passed, 1 failed, 0 skipped' ||
		{ echo "summary: $(tail -n1 "$work/fake.out")"; return 1; }
}

case_b() {
	local rc out
	out=$("$vmrun" -- insmod "$top/build/obj-splat/toy_splat.ko" 2>&1)
	rc=$?
	forget_run "$out"
	echo "$out" | grep -E 'vm-run: FAIL|WARNING|toy_splat' | head -n 5 | sed 's/^/expected red: /'
	[ $rc != 0 ] || { echo "a WARN left the run green"; return 1; }
	grep -q 'vm-run: FAIL' <<<"$out" && grep -q 'deliberate warning' <<<"$out"
}

case_c() {
	local rc out
	out=$("$vmrun" -- sh -c "
		echo 'WARNING: injected by runner_test' >/dev/kmsg
		echo 64 >/proc/sys/kernel/tainted
		$top/build/tools/toysock -H >/dev/null &
		sleep 2" 2>&1)
	rc=$?
	forget_run "$out"
	echo "$out" | grep 'vm-run: FAIL' | sed 's/^/expected red: /'
	[ $rc != 0 ] || { echo "the run stayed green"; return 1; }
	grep -q 'the kernel log reports problems' <<<"$out" || { echo "log report missed"; return 1; }
	grep -q 'kernel taint changed' <<<"$out" || { echo "taint change missed"; return 1; }
	grep -q 'rmmod toy failed' <<<"$out" || { echo "pinned module missed"; return 1; }
}

case_d() {
	local rc out t0=$SECONDS
	out=$(TOY_VM_TIMEOUT=20 "$vmrun" -- sleep 1000 2>&1)
	rc=$?
	forget_run "$out"
	echo "$out" | grep 'vm-run: FAIL' | sed 's/^/expected red: /'
	[ $rc != 0 ] || { echo "a hung guest left the run green"; return 1; }
	[ $((SECONDS - t0)) -lt 90 ] || { echo "took $((SECONDS - t0))s"; return 1; }
	grep -q 'whole-run timeout' <<<"$out"
}

case_e() {
	local rc out
	out=$("$vmrun" --kernel debug -- \
		insmod "$top/build/obj-splat-debug/toy_splat.ko" mode=leak 2>&1)
	rc=$?
	forget_run "$out"
	echo "$out" | grep -E 'vm-run: FAIL|unreferenced object' | sed 's/^/expected red: /'
	[ $rc != 0 ] || { echo "a leak left the run green"; return 1; }
	grep -q 'kmemleak reports leaks' <<<"$out"
}

case_f() {
	local rc out
	out=$(TOY_VM_BOOT_LIMIT=1 "$vmrun" -- true 2>&1)
	rc=$?
	forget_run "$out"
	echo "$out" | grep -E 'vm-run: (FAIL|no boot)' | sed 's/^/expected red: /'
	[ $rc != 0 ] || { echo "a guest that never booted left the run green"; return 1; }
	grep -q 'booting again' <<<"$out" || { echo "no second boot"; return 1; }
	grep -q 'no boot progress after 1s, twice' <<<"$out"
}

case_g() {
	local rc out
	out=$(TOY_VM_MEM=64M "$vmrun" -- true 2>&1)
	rc=$?
	forget_run "$out"
	echo "$out" | grep -E 'vm-run: (FAIL|the guest)' | sed 's/^/expected red: /'
	[ $rc != 0 ] || { echo "a guest that died booting left the run green"; return 1; }
	[ "$(grep -c 'the guest ended before it booted; booting again' <<<"$out")" = 1 ]
}

# A red run keeps its directory for debugging; these were red on
# purpose, so each case removes the one its run names.
forget_run() {
	local d
	d=$(sed -n 's/^vm-run: run directory kept: //p' <<<"$1")
	case $d in "$top"/build/vm/run.*) rm -rf "$d" ;; esac
	return 0
}

if [ "${1:-}" = --debug ]; then
	ktap_plan 1
	ktap_check "a kmemleak report is red (debug kernel)" case_e
	ktap_end
fi

ktap_plan 6
ktap_check "exit status, parameters, failing suite" case_a
ktap_check "a kernel WARN is red" case_b
ktap_check "log report, taint change, pinned module are red" case_c
ktap_check "a hung guest is killed and red" case_d
ktap_check "a guest that does not boot is retried once, then red" case_f
ktap_check "a guest that dies booting is retried once, then red" case_g
ktap_end
exit
}
