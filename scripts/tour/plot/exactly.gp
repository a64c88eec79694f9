# SPDX-License-Identifier: GPL-2.0
# The lossy transfer of chapter 14: dir set by -e, holding sent.dat,
# resent.dat and received.dat (time ms, offset KiB, length KiB).
set terminal svg size 860,520 dynamic font "sans,12" background "white"
set xlabel "time since the SYN (ms)"
set ylabel "offset in the stream (KiB)"
set key outside bottom center horizontal
set grid
plot dir."/sent.dat" using 1:2:(0):3 with vectors nohead lw 2 lc rgb "#3366cc" title "sent", \
     dir."/received.dat" using 1:2 with points pt 7 ps 0.35 lc rgb "#119955" title "received by the server", \
     dir."/resent.dat" using 1:2:(0):3 with vectors nohead lw 3 lc rgb "#cc2200" title "sent again", \
     dir."/resent.dat" using 1:2 with points pt 2 ps 0.9 lc rgb "#cc2200" notitle
