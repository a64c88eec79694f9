# SPDX-License-Identifier: GPL-2.0
# The ephemeral ports of chapter 7: low, high, dir set by -e.
set terminal svg size 860,480 dynamic font "sans,12" background "white"
set xlabel "the n-th socket"
set ylabel "its port"
set xrange [0:201]
set yrange [low:high]
set key outside bottom center horizontal
set grid ytics
plot dir."/bind.dat" using 0:1 with points pt 7 ps 0.5 lc rgb "#3366cc" title "bind(), port 0", \
     dir."/connect-7000.dat" using 0:1 with points pt 5 ps 0.4 lc rgb "#dd7700" title "connect() to 10.0.0.9:7000", \
     dir."/connect-7001.dat" using 0:1 with points pt 9 ps 0.5 lc rgb "#119955" title "connect() to 10.0.0.9:7001", \
     low + x with lines lw 2 dt 2 lc rgb "#888888" title "sequential: easy to guess"
