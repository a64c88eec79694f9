# SPDX-License-Identifier: GPL-2.0
#
# The tour's stage: hosts, commands shown as typed, checks, pictures, and
# the page they all go to.  Sourced by scripts/tour/tour.sh; each chapter
# (scripts/tour/chapters/NN-*.sh) uses only what is defined here.
#
# Hosts are network namespaces on one bridge, as three machines on a LAN:
#
#	client 10.0.0.1    server 10.0.0.2    other 10.0.0.3
#
# Every chapter starts from fresh hosts (hosts_up), so it can run alone.
# What a chapter shows it also checks (check): a wrong result fails the
# chapter, and the run, instead of printing a misleading table.  What a
# chapter waits for it polls, with a bound (wait_for), never a fixed sleep.

TOUR_TIMEOUT=$((30 * ${TOY_TIMEOUT_SCALE:-1}))
tracefs=/sys/kernel/tracing
HOSTS="client server other"
declare -A ADDR=([client]=10.0.0.1 [server]=10.0.0.2 [other]=10.0.0.3)

chapter_no=0
chapter_failed=0
bg_pids=()

# --- the page ----------------------------------------------------------

# escape TEXT: TEXT made safe for HTML, in $ESC.  (The replacements are
# quoted: bash 5.2 reads an unquoted "&" there as the matched text.)
escape() {
	local amp='&amp;' lt='&lt;' gt='&gt;'

	ESC=${1//&/"$amp"}
	ESC=${ESC//</"$lt"}
	ESC=${ESC//>/"$gt"}
}
# Append to the current chapter's part of the page.
html() { printf '%s\n' "$*" >>"$TOUR_OUT/.part-$chapter_no"; }

# chapter N TITLE: start chapter N on fresh hosts.
chapter() {
	chapter_no=$1
	chapter_failed=0
	printf '\n=== %d. %s\n' "$1" "$2"
	: >"$TOUR_OUT/.part-$1"
	escape "$2"
	html "<section id=\"ch$1\"><h2>$1. $ESC</h2>"
	printf '%s\t%s\n' "$1" "$2" >>"$TOUR_OUT/.toc"
	hosts_up
}

# say TEXT: a paragraph in our own words.
# Printed indented, in lines of at most 80 columns.
say() {
	local words word line=

	read -ra words <<<"$*"
	for word in "${words[@]}"; do
		if [ -n "$line" ] && [ $((${#line} + 1 + ${#word})) -gt 76 ]; then
			printf '    %s\n' "$line"
			line=
		fi
		line=${line:+$line }$word
	done
	[ -n "$line" ] && printf '    %s\n' "$line"
	escape "$*"
	html "<p>$ESC</p>"
}

# Show a command as typed at HOST's prompt, and its output.
shown() { # HOST CMD OUTPUT
	printf '%s$ %s\n' "$1" "$2"
	[ -n "$3" ] && printf '%s\n' "$3"
	escape "$2"
	html "<pre><span class=\"prompt\">$1\$</span> $ESC"
	if [ -n "$3" ]; then
		escape "$3"
		html "$ESC"
	fi
	html "</pre>"
}

# nsrun HOST ARGS...: run ARGS on HOST, a namespace (entered with
# nsenter, not ip netns exec: /sys stays the machine's, with debugfs and
# tracefs), or "host" for the machine itself.
nsrun() {
	on_host "$1"
	shift
	"${NS[@]}" "$@"
}

# on_host HOST: the words that run a command on HOST, in the array $NS.
on_host() {
	if [ "$1" = host ]; then
		NS=()
	else
		NS=(nsenter --net=/run/netns/"$1")
	fi
}

# Helpers that live as long as the chapter's hosts: a shell on each host
# for the commands shown (on), a stagehand (stage.py) on each host that
# holds sockets (stage).  Each reads its requests from a FIFO and answers
# through another, and is started on first use: starting processes is
# what costs most in an emulated machine, and a shell per host saves a
# nsenter and a bash per command.  helper_stop ends them all.
declare -A HELPER_IN HELPER_OUT

# helper_start NAME HOST CMD...: start CMD on HOST as the helper NAME,
# unless it runs; its input and output are ${HELPER_IN,OUT[NAME]}.
helper_start() {
	local name=$1 host=$2 in out

	shift 2
	[ -n "${HELPER_IN[$name]:-}" ] && return
	mkfifo "$TOUR_WORK/$name.in" "$TOUR_WORK/$name.out"
	on_host "$host"
	setsid "${NS[@]}" "$@" <"$TOUR_WORK/$name.in" \
		>"$TOUR_WORK/$name.out" 2>&1 &
	bg_pids+=($!)
	exec {in}>"$TOUR_WORK/$name.in"
	exec {out}<"$TOUR_WORK/$name.out"
	HELPER_IN[$name]=$in
	HELPER_OUT[$name]=$out
}

# The helpers go when their input closes; a stagehand first resets what
# it holds, so that no connection outlives the chapter.
helper_stop() {
	local name reply in out

	for name in "${!HELPER_IN[@]}"; do
		in=${HELPER_IN[$name]} out=${HELPER_OUT[$name]}
		if [[ $name == stage-* ]]; then
			echo abort >&"$in"
			read -r -t "$TOUR_TIMEOUT" reply <&"$out"
		fi
		exec {in}>&- {out}<&-
		rm -f "$TOUR_WORK/$name.in" "$TOUR_WORK/$name.out"
	done
	HELPER_IN=()
	HELPER_OUT=()
}

# on HOST CMD: run the shell command CMD on HOST, show it and its
# output; $OUT holds the output (stdout and stderr, as $(CMD) would)
# and $RC the exit status.  CMD runs in a subshell of HOST's shell, with
# no input, and its status follows its output on a line of its own.
on() {
	local line out='' sep=$'\036'

	helper_start "shell-$1" "$1" bash --norc --noprofile
	printf '(%s\n) </dev/null 2>&1; printf "\\n%s%%d\\n" $?\n' "$2" "$sep" \
		>&"${HELPER_IN[shell-$1]}"
	RC=255
	while IFS= read -r line <&"${HELPER_OUT[shell-$1]}"; do
		if [[ $line == "$sep"* ]]; then
			RC=${line#"$sep"}
			break
		fi
		out+=$line$'\n'
	done
	while [[ $out == *$'\n' ]]; do
		out=${out%$'\n'}
	done
	OUT=$out
	shown "$1" "$2" "$OUT"
	return 0
}

# quiet HOST CMD: the same, not shown (the stagehand's work).
quiet() { nsrun "$1" bash -c "$2"; }

# bg HOST CMD: start CMD on HOST in the background (shown with a "&"),
# in a process group of its own, stopped at the chapter's end.
bg() {
	shown "$1" "$2 &" ""
	on_host "$1"
	setsid "${NS[@]}" bash -c "$2" >/dev/null 2>&1 &
	bg_pids+=($!)
}

bg_stop() {
	local p

	for p in "${bg_pids[@]}"; do
		kill -- -"$p" 2>/dev/null
	done
	for p in "${bg_pids[@]}"; do
		wait "$p" 2>/dev/null
	done
	bg_pids=()
}

# stage HOST COMMAND: have the stagehand on HOST hold, open or close a
# socket.  Shown as a line of narration, since no tool of ours is typed
# for it.
stage() {
	local host=$1 reply

	shift
	helper_start "stage-$host" "$host" python3 "$here/stage.py"
	printf '    (%s: %s)\n' "$host" "$*"
	escape "$*"
	html "<p class=\"stage\">($host: $ESC)</p>"
	echo "$*" >&"${HELPER_IN[stage-$host]}"
	if ! read -r -t "$TOUR_TIMEOUT" reply <&"${HELPER_OUT[stage-$host]}" ||
	   [ "$reply" != ok ]; then
		check "$host: $* (${reply:-no answer})" false
	fi
}

# check WHAT CMD: CMD (evaluated here, so $OUT and the functions above
# are there) must succeed; what it checked is shown either way.
check() {
	if (eval "$2") >/dev/null 2>&1; then
		printf '    [ok] %s\n' "$1"
		escape "$1"
		html "<p class=\"check ok\">&#10003; $ESC</p>"
	else
		printf '    [FAILED] %s\n' "$1"
		escape "$1"
		html "<p class=\"check failed\">&#10007; FAILED: $ESC</p>"
		chapter_failed=1
	fi
}

# nap SECONDS: sleep without starting a process (a read that times out
# on a FIFO nobody writes).
nap() {
	if [ -z "${NAP_FD:-}" ]; then
		mkfifo "$TOUR_WORK/nap"
		exec {NAP_FD}<>"$TOUR_WORK/nap"
	fi
	read -r -t "$1" -u "$NAP_FD"
}

# wait_for WHAT CMD: poll CMD until it succeeds, at most $TOUR_TIMEOUT
# seconds; a wait that runs out fails the chapter.  The polls start
# 0.1 s apart and slow to 0.5 s: a long wait (a TIME_WAIT to expire)
# should not keep an emulated CPU busy starting toyss.
wait_for() {
	local end=$((SECONDS + TOUR_TIMEOUT)) pause=0.1

	while ! (eval "$2") >/dev/null 2>&1; do
		if [ $SECONDS -ge $end ]; then
			check "$1 (waited ${TOUR_TIMEOUT} s)" false
			return 1
		fi
		nap $pause
		case $pause in
		0.1) pause=0.2 ;;
		0.2) pause=0.3 ;;
		*) pause=0.5 ;;
		esac
	done
}

# Rows toyss lists on HOST for FILTER (toyss -Htan FILTER), counted.
# shellcheck disable=SC2086 # FILTER is words for toyss
rows() {
	local out nl

	out=$(toyss -N "$1" -Htan $2 2>/dev/null)
	nl=${out//[!$'\n']/}
	echo $((${#out} ? ${#nl} + 1 : 0))
}

# picture FILE CAPTION: a picture of $TOUR_OUT, shown on the page.
picture() {
	if [ -s "$TOUR_OUT/$1" ]; then
		printf '    [picture: %s/%s] %s\n' "$TOUR_OUT" "$1" "$2"
	else
		check "the picture $1 was drawn" false
	fi
	escape "$2"
	html "<figure><img src=\"$1\" alt=\"$ESC\">"
	html "<figcaption>$ESC</figcaption></figure>"
}

# End the chapter: stop what it started, record its verdict.
chapter_end() {
	local h

	helper_stop
	bg_stop
	# Closing takes a FIN each way: let it happen before the hosts go,
	# or their sockets would retransmit into nothing for minutes.
	for h in $HOSTS; do
		wait_for "every connection of $h ended" \
			'[ $(rows $h "exclude time-wait") = 0 ]'
	done
	hosts_down
	html "</section>"
	if [ $chapter_failed = 0 ]; then
		echo "ok $chapter_no" >>"$TOUR_OUT/.verdicts"
	else
		echo "not ok $chapter_no" >>"$TOUR_OUT/.verdicts"
	fi
}

# --- the hosts ---------------------------------------------------------

# The hosts and their links are made, and unmade, by one "ip -batch"
# each: a process per step would cost most of a chapter's time.
hosts_up() {
	local h

	hosts_down
	{
		echo "link add tourbr type bridge forward_delay 0"
		echo "link set tourbr up"
		for h in $HOSTS; do
			echo "netns add $h"
			echo "link add eth-$h type veth peer name eth0 netns $h"
			echo "link set eth-$h master tourbr up"
		done
	} | ip -batch -
	for h in $HOSTS; do
		ip -netns "$h" -batch - <<-EOF
		link set lo up
		addr add ${ADDR[$h]}/24 dev eth0
		link set eth0 up
		EOF
	done
}

hosts_down() {
	local h

	# The links go now, not when the namespaces' cleanup gets to them:
	# the next chapter's hosts want their names.
	{
		for h in $HOSTS; do
			echo "link del eth-$h"
			echo "netns del $h"
		done
		echo "link del tourbr"
	} | ip -force -batch - >/dev/null 2>&1
	return 0
}

# Wait (bounded) until the namespaces the chapters used are gone, and
# their sockets with them: the module can be unloaded after the tour.
hosts_gone() {
	local end=$((SECONDS + TOUR_TIMEOUT))

	while [ "$(cat /sys/module/toy/live/sockets)" != 0 ] ||
	      [ "$(cat /sys/module/toy/live/timewait)" != 0 ]; do
		[ $SECONDS -ge $end ] && return 1
		nap 0.1
	done
}

# drop HOST DIRECTION WHAT: HOST's firewall drops the AF_TOY segments
# going DIRECTION (in or out) that match WHAT, an nft match of the
# header: "dport 7001" or "sport 7002" (toyhdr's ports are where TCP's
# are, so nft's @th offsets read them).
drop() {
	local field=0 to=from

	[ "$3" = dport ] && field=16 to=to
	[ "$2" = in ] && printf -v what "%s's firewall drops the segments coming in %s port %s" "$1" $to "$4"
	[ "$2" = out ] && printf -v what "%s's firewall drops the segments going out %s port %s" "$1" $to "$4"
	printf '    (%s)\n' "$what"
	html "<p class=\"stage\">($what)</p>"
	nsrun "$1" nft -f - <<-EOF
	table ip tour {
		chain in { type filter hook input priority 0; }
		chain out { type filter hook output priority 0; }
	}
	add rule ip tour $2 ip protocol $(cat /sys/module/toy/parameters/ipproto) @th,$field,16 $4 drop
	EOF
}

# --- tracing -----------------------------------------------------------

# trace_on: the toy tracepoints, recorded from now on (an empty buffer).
trace_on() {
	[ -d $tracefs/events ] || mount -t tracefs nodev $tracefs
	echo 0 >$tracefs/tracing_on
	echo nop >$tracefs/current_tracer
	: >$tracefs/trace
	echo 1 >$tracefs/events/toy/enable
	echo 1 >$tracefs/tracing_on
}

# mark TEXT: a line of ours in the trace, with its time.
mark() { echo "tour: $*" >$tracefs/trace_marker; }

# trace_off FILE: stop, and keep the record in $TOUR_WORK/FILE.
trace_off() {
	echo 0 >$tracefs/events/toy/enable
	cat $tracefs/trace >"$TOUR_WORK/$1"
	: >$tracefs/trace
}
