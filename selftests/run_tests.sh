#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run_tests.sh [BUILD_DIR [TEST...]] - run the AF_TOY selftests, in the VM
# (scripts/vm-run -- selftests/run_tests.sh) or on any machine where toy.ko
# is loaded.  BUILD_DIR holds the built programs and tests.list (default
# ../build/selftests); TEST names limit the run to those tests.
#
# Output is KTAP, as the kselftest runner prints it: one "ok"/"not ok"
# line per test program with its own output indented behind "# ".  The
# last line counts every test case of every program:
#     N passed, N failed, N skipped
# A program without a "# Totals:" line (a crash, a shell test that died)
# counts as one case.  After the programs, the suite checks that the
# module's live-object counters are back to zero.  Exits 0 only when
# nothing failed.
# The body is one block, read whole before it runs: editing this file
# (or a git pull) during a long run cannot change what the run executes.
{
here=$(cd "$(dirname "$0")" && pwd)
out=$(cd "${1:-$here/../build/selftests}" && pwd) || exit 2
shift
only=("$@")

timeout=$(sed -n 's/^timeout=//p' "$here/settings")
scale=${TOY_TIMEOUT_SCALE:-}
if [ -z "$scale" ]; then
	# The debug kernel (KASAN, lockdep) runs several times slower.
	scale=1
	[ "${TOY_KERNEL:-stock}" = debug ] && scale=4
fi
export TOY_TIMEOUT_SCALE=$scale
export TOY_TOOLS=${TOY_TOOLS:-$here/../build/tools}
timeout=$((timeout * scale))

mapfile -t list <"$out/tests.list" || { echo "run_tests.sh: no $out/tests.list (run make selftests)" >&2; exit 2; }
[ ${#list[@]} -gt 0 ] || { echo "run_tests.sh: $out/tests.list is empty" >&2; exit 2; }
if [ ${#only[@]} -gt 0 ]; then
	sel=()
	for o in "${only[@]}"; do
		found=0
		for t in "${list[@]}"; do
			[ "${t#*:}" = "$o" ] && { sel+=("$t"); found=1; }
		done
		[ $found = 1 ] || { echo "run_tests.sh: no test named $o" >&2; exit 2; }
	done
	list=("${sel[@]}")
fi

pass=0 fail=0 skip=0 n=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

echo "TAP version 13"
echo "1..$(( ${#list[@]} + 1 ))"
for t in "${list[@]}"; do
	name=${t#*:}
	case $t in
	prog:*) cmd=("$out/$name") ;;
	script:*) cmd=("$here/$name") ;;
	esac
	n=$((n + 1))
	echo "# selftests: toy: $name"
	t0=$(date +%s.%N)
	# A program may have its own limit: "timeout.NAME=SECS" in settings.
	limit=$(sed -n "s/^timeout\.$name=//p" "$here/settings")
	limit=$(( ${limit:-$((timeout / scale))} * scale ))
	(cd "$here" && timeout -k 5 "$limit" "${cmd[@]}") >"$log" 2>&1
	rc=$?
	# The harness runs each test in a process group of its own, which
	# timeout's signal misses: a test stuck in a call outlives its
	# program, holding its sockets, unless it is ended here.
	[ $rc = 124 ] && pkill -KILL -x "${name:0:15}" 2>/dev/null
	sed 's/^/# /' "$log"
	printf '# %s: %.1f s\n' "$name" "$(echo "$(date +%s.%N) - $t0" | bc)"
	totals=$(grep -E '^# Totals: ' "$log" | tail -n1)
	if [ -n "$totals" ]; then
		p=$(sed -E 's/.* pass:([0-9]+) .*/\1/' <<<"$totals")
		f=$(sed -E 's/.* fail:([0-9]+) .*/\1/' <<<"$totals")
		s=$(sed -E 's/.* skip:([0-9]+) .*/\1/' <<<"$totals")
		# A non-zero exit with no failed case still is a failure.
		[ $rc != 0 ] && [ $rc != 4 ] && [ "$f" = 0 ] && f=1
	else
		p=0 f=0 s=0
		case $rc in 0) p=1 ;; 4) s=1 ;; *) f=1 ;; esac
	fi
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
	if [ $rc = 124 ]; then
		echo "not ok $n selftests: toy: $name # TIMEOUT ${limit}s"
	elif [ "$f" != 0 ]; then
		echo "not ok $n selftests: toy: $name # exit=$rc"
	elif [ $rc = 4 ]; then
		echo "ok $n selftests: toy: $name # SKIP"
	else
		echo "ok $n selftests: toy: $name"
	fi
done

# Whatever the tests did, nothing may be left alive in the module.
n=$((n + 1))
leftover=""
if [ -d /sys/module/toy/live ]; then
	for i in $(seq 100); do
		leftover=$(grep -v ':0$' <<<"$(grep -H . /sys/module/toy/live/*)" || true)
		[ -z "$leftover" ] && break
		sleep 0.1
	done
	if [ -z "$leftover" ]; then
		pass=$((pass + 1))
		echo "ok $n selftests: toy: live objects zero after the suite"
	else
		fail=$((fail + 1))
		sed 's/^/# /' <<<"$leftover"
		echo "not ok $n selftests: toy: live objects zero after the suite"
	fi
else
	skip=$((skip + 1))
	echo "ok $n selftests: toy: live objects zero after the suite # SKIP toy.ko not loaded"
fi

echo "$pass passed, $fail failed, $skip skipped"
[ $fail = 0 ]
exit
}
