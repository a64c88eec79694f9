# SPDX-License-Identifier: GPL-2.0
# Minimal KTAP output for the AF_TOY shell selftests, in the format of
# kselftest.h: a plan, "ok N name" / "not ok N name" lines, and a
# "# Totals:" line that run_tests.sh reads.  Source it, call ktap_plan N,
# then ktap_ok/ktap_fail/ktap_skip or ktap_check NAME CMD..., then ktap_end.

KTAP_N=0
KTAP_PASS=0
KTAP_FAIL=0
KTAP_SKIP=0

ktap_plan() { echo "TAP version 13"; echo "1..$1"; }
ktap_ok() { KTAP_N=$((KTAP_N + 1)); KTAP_PASS=$((KTAP_PASS + 1)); echo "ok $KTAP_N $1"; }
ktap_fail() { KTAP_N=$((KTAP_N + 1)); KTAP_FAIL=$((KTAP_FAIL + 1)); echo "not ok $KTAP_N $1"; }
ktap_skip() { KTAP_N=$((KTAP_N + 1)); KTAP_SKIP=$((KTAP_SKIP + 1)); echo "ok $KTAP_N $1 # SKIP $2"; }
ktap_info() { echo "# $*"; }

# ktap_check NAME CMD...: one test, passed when CMD succeeds.  CMD's
# output is shown as diagnostics.
ktap_check() {
	local name=$1 out rc
	shift
	out=$("$@" 2>&1) && rc=0 || rc=$?
	[ -n "$out" ] && sed 's/^/# /' <<<"$out"
	if [ $rc = 0 ]; then ktap_ok "$name"; else ktap_fail "$name"; fi
}

ktap_end() {
	echo "# Totals: pass:$KTAP_PASS fail:$KTAP_FAIL xfail:0 xpass:0 skip:$KTAP_SKIP error:0"
	[ $KTAP_FAIL = 0 ]
	exit $?
}
