# SPDX-License-Identifier: GPL-2.0
# Chapter 3: the listener only accepts; a socket per connection.

chapter 3 "The listener only accepts; every connection gets a socket of its own"
say "A listening socket never carries data.  It answers SYNs, and each" \
    "handshake that completes becomes a new socket, queued on the listener" \
    "until accept() takes it.  Here a listener on port 7001 that never calls" \
    "accept(): its Recv-Q is the number of connections waiting, its Send-Q" \
    "the most it will queue (the listen() backlog)."
bg server "toysock -b 0.0.0.0:7001 -l -H"
wait_for "the server listens" '[ $(rows server "state listening") = 1 ]'
bg client "toysock -n 2 -c 10.0.0.2:7001 -H"
wait_for "two connections queued" \
	'[ $(rows server "state established sport = :7001") = 2 ]'
on server "toyss -tln sport = :7001"
check "the listener holds two connections nobody accepted" \
	'[ "$(awk "NR == 2 { print \$2 }" <<<"$OUT")" = 2 ]'
say "An echo server does accept, and serves each connection in a process" \
    "of its own.  toyss -e shows each socket's inode and -p its process:" \
    "three sockets on port 7000, the listener's and one per connection."
bg server "toycat -l -k -e 7000"
wait_for "the echo server listens" '[ $(rows server "state listening sport = :7000") = 1 ]'
bg client "toysock -n 2 -c 10.0.0.2:7000 -H"
wait_for "two connections accepted" \
	'[ $(ip netns exec server toyss -Htnp state established sport = :7000 | grep -c toycat) = 2 ]'
on server "toyss -tanep sport = :7000"
check "three sockets with three different inodes" \
	'[ $(grep -o "ino:[0-9]*" <<<"$OUT" | sort -u | wc -l) = 3 ]'
check "one of them listens, and has no peer" \
	'[ $(grep -c "^LISTEN .*0\.0\.0\.0:\*" <<<"$OUT") = 1 ]'
check "the connections are held by other processes than the listener" \
	'[ $(grep -o "pid=[0-9]*" <<<"$OUT" | sort -u | wc -l) = 3 ]'
chapter_end
