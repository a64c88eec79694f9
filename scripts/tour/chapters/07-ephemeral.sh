# SPDX-License-Identifier: GPL-2.0
# Chapter 7: the ephemeral range and its pseudo-random choice.

chapter 7 "Ephemeral ports: a range, and a choice nobody can guess"
say "A socket that needs a port and did not bind one gets an ephemeral" \
    "port from net.toy.ip_local_port_range.  Were they handed out in order," \
    "an attacker who saw one connection could guess the next one's port" \
    "and inject segments into it.  So bind() to port 0 starts at a random" \
    "point of the range, and connect() follows RFC 6056's double hash: a" \
    "secret hash of the destination picks where to start, and each" \
    "connection to it moves on by a small random step."
on client "cat /proc/sys/net/toy/ip_local_port_range"
read -r low high <<<"$OUT"
on client "toysock -n 200 -b 0.0.0.0:0 | head -3"
quiet client "toysock -n 200 -b 0.0.0.0:0" |
	sed -n 's/.* local 0\.0\.0\.0:\([0-9]*\).*/\1/p' >"$TOUR_WORK/bind.dat"
on client "toysock -n 200 -c 10.0.0.9:7000 | head -3"
for d in 7000 7001; do
	quiet client "toysock -n 200 -c 10.0.0.9:$d" |
		sed -n 's/.* local 10\.0\.0\.1:\([0-9]*\).*/\1/p' >"$TOUR_WORK/connect-$d.dat"
done
inrange() { awk -v l="$low" -v h="$high" '$1 < l || $1 > h { bad = 1 } END { exit bad || NR != 200 }' "$1"; }
distinct() { [ "$(sort -u "$1" | wc -l)" = 200 ]; }
check "200 bind() choices, all different, all in $low-$high" \
	'inrange $TOUR_WORK/bind.dat && distinct $TOUR_WORK/bind.dat'
check "no run of sequential ports among them (at most 2 steps of +1)" \
	'[ $(awk "NR > 1 && \$1 == p + 1 { n++ } { p = \$1 } END { print n + 0 }" $TOUR_WORK/bind.dat) -le 2 ]'
check "200 connect() choices to each of two destinations, all in the range" \
	'for d in 7000 7001; do inrange $TOUR_WORK/connect-$d.dat && distinct $TOUR_WORK/connect-$d.dat || exit 1; done'
check "toward one destination, small steps up (at most 16), wrapping once at most" \
	'awk "NR > 1 { d = \$1 - p; if (d < 1 || d > 16) n++ } { p = \$1 } END { exit n > 1 }" $TOUR_WORK/connect-7000.dat'
check "the two destinations start at different places" \
	'[ "$(head -1 $TOUR_WORK/connect-7000.dat)" != "$(head -1 $TOUR_WORK/connect-7001.dat)" ]'
gnuplot -e "low = $low; high = $high; dir = '$TOUR_WORK'" \
	"$here/plot/ephemeral.gp" >"$TOUR_OUT/07-ephemeral.svg"
picture 07-ephemeral.svg "The port each of 200 sockets got, in order: bind() to port 0 (anywhere), connect() to two destinations (a hashed start, small random steps), and what a sequential choice would have given."
chapter_end
