#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The AF_TOY tour, run in the test VM by `make tour`: the ideas of
# transport addressing, one chapter each, shown live on the module.
#
#   scripts/tour/tour.sh [OUTDIR [CHAPTER...]]
#
# Prints every chapter (what it is about, the commands as typed on each
# host and their output, the checks it made) and writes the same as a
# page, OUTDIR/index.html (default build/tour), with its pictures beside
# it.  CHAPTER numbers pick some chapters (default: all).  Exit status 0
# only when every chapter's checks held; the last lines say which did:
#	ok N TITLE / not ok N TITLE
# Needs root, the toy module loaded, python3, gnuplot and graphviz.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
here=$top/scripts/tour
export PATH=$top/build/tools:$PATH
TOUR_OUT=${1:-$top/build/tour}
shift $(($# > 0 ? 1 : 0))
# Files the chapters' commands write, with names that read well.
TOUR_WORK=/tmp/tour
rm -rf "$TOUR_WORK"
mkdir -p "$TOUR_WORK"
. "$here/lib.sh"

mkdir -p "$TOUR_OUT"
rm -f "$TOUR_OUT"/*.svg "$TOUR_OUT"/*.png "$TOUR_OUT"/index.html \
	"$TOUR_OUT"/.part-* "$TOUR_OUT"/.toc "$TOUR_OUT"/.verdicts
trap 'bg_stop; hosts_down; rm -rf "$TOUR_WORK"' EXIT
modprobe -q veth
modprobe -q bridge
modprobe -q sch_netem
modprobe -q nf_tables

for f in "$here"/chapters/[0-9]*.sh; do
	n=$(basename "$f")
	n=$((10#${n%%-*}))
	if [ $# -gt 0 ] && [[ " $* " != *" $n "* ]]; then
		continue
	fi
	. "$f"
done

python3 "$here/page.py" "$TOUR_OUT"
hosts_gone || echo "tour: sockets still open after the tour"

echo
fails=0
while IFS=$'\t' read -r n title; do
	if grep -qx "ok $n" "$TOUR_OUT/.verdicts"; then
		echo "ok $n $title"
	else
		echo "not ok $n $title"
		fails=$((fails + 1))
	fi
done <"$TOUR_OUT/.toc"
echo "The tour's page: $TOUR_OUT/index.html"
[ $fails = 0 ]
