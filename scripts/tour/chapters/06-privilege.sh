# SPDX-License-Identifier: GPL-2.0
# Chapter 6: well-known ports need privilege.

chapter 6 "Well-known ports need privilege"
say "Ports below net.toy.ip_unprivileged_port_start (1024, as TCP's" \
    "sysctl) are the well-known ports of services.  Only a process with" \
    "CAP_NET_BIND_SERVICE may bind them, so a user cannot pose as the" \
    "machine's web server; above, anyone may."
on server "cat /proc/sys/net/toy/ip_unprivileged_port_start"
check "the limit is 1024" '[ "$OUT" = 1024 ]'
on server "setpriv --reuid=nobody --regid=nogroup --clear-groups toysock -b 0.0.0.0:80"
check "user nobody may not bind port 80: Permission denied" \
	'grep -q "Permission denied" <<<"$OUT"'
on server "setpriv --reuid=nobody --regid=nogroup --clear-groups toysock -b 0.0.0.0:8080"
check "but may bind port 8080" '[ $RC = 0 ] && grep -q "local 0.0.0.0:8080" <<<"$OUT"'
on server "toysock -b 0.0.0.0:80"
check "root may bind port 80" '[ $RC = 0 ]'
say "The capability counts in the user namespace that owns the network" \
    "namespace.  A user may create a user namespace and be its root, but" \
    "that root has no privilege over the server's network; in a network" \
    "namespace of its own, it has, and binds port 80 there."
on server "setpriv --reuid=nobody --regid=nogroup --clear-groups unshare --user --map-root-user toysock -b 0.0.0.0:80"
check "root of a user namespace, in the server's network: Permission denied" \
	'grep -q "Permission denied" <<<"$OUT"'
on server "setpriv --reuid=nobody --regid=nogroup --clear-groups unshare --user --map-root-user --net toysock -b 0.0.0.0:80"
check "root of a user namespace, in its own network: port 80 is its" \
	'[ $RC = 0 ] && grep -q "local 0.0.0.0:80$" <<<"$OUT"'
chapter_end
