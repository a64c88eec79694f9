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

html_escape() { sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g'; }
# Append to the current chapter's part of the page.
html() { printf '%s\n' "$*" >>"$TOUR_OUT/.part-$chapter_no"; }

# chapter N TITLE: start chapter N on fresh hosts.
chapter() {
	chapter_no=$1
	chapter_failed=0
	printf '\n=== %d. %s\n' "$1" "$2"
	: >"$TOUR_OUT/.part-$1"
	html "<section id=\"ch$1\"><h2>$1. $(html_escape <<<"$2")</h2>"
	printf '%s\t%s\n' "$1" "$2" >>"$TOUR_OUT/.toc"
	hosts_up
}

# say TEXT: a paragraph in our own words.
say() {
	fold -s -w 76 <<<"$*" | sed 's/^/    /'
	html "<p>$(html_escape <<<"$*")</p>"
}

# Show a command as typed at HOST's prompt, and its output.
shown() { # HOST CMD OUTPUT
	printf '%s$ %s\n' "$1" "$2"
	[ -n "$3" ] && printf '%s\n' "$3"
	html "<pre><span class=\"prompt\">$1\$</span> $(html_escape <<<"$2")"
	[ -n "$3" ] && html_escape <<<"$3" >>"$TOUR_OUT/.part-$chapter_no"
	html "</pre>"
}

# nsrun HOST ARGS...: run ARGS on HOST, a namespace (entered with
# nsenter, not ip netns exec: /sys stays the machine's, with debugfs and
# tracefs), or "host" for the machine itself.
nsrun() {
	local host=$1

	shift
	if [ "$host" = host ]; then
		"$@"
	else
		nsenter --net=/run/netns/"$host" "$@"
	fi
}

# on HOST CMD: run the shell command CMD on HOST, show it and its
# output; $OUT holds the output and $RC the exit status.
on() {
	OUT=$(nsrun "$1" bash -c "$2" 2>&1)
	RC=$?
	shown "$1" "$2" "$OUT"
	return 0
}

# quiet HOST CMD: the same, not shown (the stagehand's work).
quiet() { nsrun "$1" bash -c "$2"; }

# bg HOST CMD: start CMD on HOST in the background (shown with a "&"),
# in a process group of its own, stopped at the chapter's end.
bg() {
	shown "$1" "$2 &" ""
	setsid nsenter --net=/run/netns/"$1" bash -c "$2" >/dev/null 2>&1 &
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

# stage HOST COMMAND: have the stagehand (stage.py) on HOST hold, open or
# close a socket; started on first use, stopped with the hosts.  Shown
# as a line of narration, since no tool of ours is typed for it.
declare -A STAGE_IN STAGE_OUT
stage() {
	local host=$1 reply in out

	shift
	if [ -z "${STAGE_IN[$host]:-}" ]; then
		mkfifo "$TOUR_WORK/stage-$host.in" "$TOUR_WORK/stage-$host.out"
		setsid nsenter --net=/run/netns/"$host" python3 "$here/stage.py" \
			<"$TOUR_WORK/stage-$host.in" >"$TOUR_WORK/stage-$host.out" &
		bg_pids+=($!)
		exec {in}>"$TOUR_WORK/stage-$host.in"
		exec {out}<"$TOUR_WORK/stage-$host.out"
		STAGE_IN[$host]=$in
		STAGE_OUT[$host]=$out
	fi
	printf '    (%s: %s)\n' "$host" "$*"
	html "<p class=\"stage\">($host: $(html_escape <<<"$*"))</p>"
	echo "$*" >&"${STAGE_IN[$host]}"
	if ! read -r -t "$TOUR_TIMEOUT" reply <&"${STAGE_OUT[$host]}" ||
	   [ "$reply" != ok ]; then
		check "$host: $* (${reply:-no answer})" false
	fi
}

# The stagehands reset what they hold, so that no connection outlives
# the chapter, then go.
stage_stop() {
	local host reply in out

	for host in "${!STAGE_IN[@]}"; do
		in=${STAGE_IN[$host]} out=${STAGE_OUT[$host]}
		echo abort >&"$in"
		read -r -t "$TOUR_TIMEOUT" reply <&"$out"
		exec {in}>&- {out}<&-
		rm -f "$TOUR_WORK/stage-$host.in" "$TOUR_WORK/stage-$host.out"
	done
	STAGE_IN=()
	STAGE_OUT=()
}

# check WHAT CMD: CMD (evaluated here, so $OUT and the functions above
# are there) must succeed; what it checked is shown either way.
check() {
	if (eval "$2") >/dev/null 2>&1; then
		printf '    [ok] %s\n' "$1"
		html "<p class=\"check ok\">&#10003; $(html_escape <<<"$1")</p>"
	else
		printf '    [FAILED] %s\n' "$1"
		html "<p class=\"check failed\">&#10007; FAILED: $(html_escape <<<"$1")</p>"
		chapter_failed=1
	fi
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
		sleep $pause
		case $pause in
		0.1) pause=0.2 ;;
		0.2) pause=0.3 ;;
		*) pause=0.5 ;;
		esac
	done
}

# Rows toyss lists on HOST for FILTER (toyss -Htan FILTER), counted.
# shellcheck disable=SC2086 # FILTER is words for toyss
rows() { nsrun "$1" toyss -Htan $2 2>/dev/null | wc -l; }

# picture FILE CAPTION: a picture of $TOUR_OUT, shown on the page.
picture() {
	if [ -s "$TOUR_OUT/$1" ]; then
		printf '    [picture: %s/%s] %s\n' "$TOUR_OUT" "$1" "$2"
	else
		check "the picture $1 was drawn" false
	fi
	html "<figure><img src=\"$1\" alt=\"$(html_escape <<<"$2")\">"
	html "<figcaption>$(html_escape <<<"$2")</figcaption></figure>"
}

# End the chapter: stop what it started, record its verdict.
chapter_end() {
	local h

	stage_stop
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

hosts_up() {
	local h i=0

	hosts_down
	ip link add tourbr type bridge
	ip link set tourbr up
	for h in $HOSTS; do
		i=$((i + 1))
		ip netns add "$h"
		ip link add "eth-$h" type veth peer name eth0 netns "$h"
		ip link set "eth-$h" master tourbr up
		ip netns exec "$h" sh -c "ip link set lo up
			ip addr add ${ADDR[$h]}/24 dev eth0
			ip link set eth0 up"
	done
	# The bridge forwards at once (no STP, no learning delay).
	echo 0 >/sys/class/net/tourbr/bridge/forward_delay 2>/dev/null || true
}

hosts_down() {
	local h

	for h in $HOSTS; do
		# Now, not when the namespace's cleanup gets to it: the
		# next chapter's hosts want the name.
		ip link del "eth-$h" 2>/dev/null
		ip netns del "$h" 2>/dev/null
	done
	ip link del tourbr 2>/dev/null
	return 0
}

# Wait (bounded) until the namespaces the chapters used are gone, and
# their sockets with them: the module can be unloaded after the tour.
hosts_gone() {
	local end=$((SECONDS + TOUR_TIMEOUT))

	while [ "$(cat /sys/module/toy/live/sockets)" != 0 ] ||
	      [ "$(cat /sys/module/toy/live/timewait)" != 0 ]; do
		[ $SECONDS -ge $end ] && return 1
		sleep 0.1
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
