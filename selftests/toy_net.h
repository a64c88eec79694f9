/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the AF_TOY selftests that use the network: loopback
 * up, a fresh namespace with a silent destination, sockets made in
 * another namespace, AF_TOY addresses, the sysctls.
 */
#ifndef _TOY_NET_H
#define _TOY_NET_H

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <linux/toy.h>

#include "toy_lib.h"

/*
 * A destination that never answers: 10.9.0.0/16 lives on one end of a
 * veth pair whose other end is down (whatever is sent there vanishes),
 * where this host is 10.9.0.1 and 10.9.0.3.  SILENT has a permanent
 * neighbour entry, so no failed ARP resolution answers for it with an
 * ICMP host unreachable (which fails a connect() in SYN_SENT, as TCP's).
 * A connect() to it stays in SYN_SENT, while one to a closed port on
 * 127.0.0.1 is refused at once.
 */
#define SILENT		"10.9.0.2"

/* The uid tests drop to. */
#define NOBODY		65534

/* Loopback up, in the caller's network namespace; 0 or -errno. */
static inline int lo_up(void)
{
	struct ifreq ifr;
	int fd, err = 0;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr))
		err = -errno;
	ifr.ifr_flags |= IFF_UP;
	if (!err && ioctl(fd, SIOCSIFFLAGS, &ifr))
		err = -errno;
	close(fd);
	return err;
}

/*
 * A fresh network namespace with lo up (127.0.0.0/8 is then local) and
 * the silent 10.9.0.0/16; 0 or -errno.
 */
static inline int new_netns(void)
{
	int err;

	if (unshare(CLONE_NEWNET))
		return -errno;
	err = lo_up();
	if (!err && system("modprobe -q veth; "
			   "ip link add toy0 type veth peer name toy1 && "
			   "ip addr add 10.9.0.1/16 dev toy0 && "
			   "ip addr add 10.9.0.3/16 dev toy0 && "
			   "ip link set toy0 up && "
			   "ip neigh add " SILENT " lladdr 02:00:00:00:09:02 "
			   "dev toy0 nud permanent"))
		err = -EIO;
	return err;
}

/* A socket of @type made in namespace @ns (it stays there); -1 on error. */
static inline int sock_in(int ns, int type)
{
	int self = open("/proc/self/ns/net", O_RDONLY), fd;

	if (self < 0 || setns(ns, CLONE_NEWNET))
		return -1;
	fd = socket(TOY_AF, type, 0);
	if (setns(self, CLONE_NEWNET))
		fd = -1;
	close(self);
	return fd;
}

static inline struct sockaddr_toy taddr(const char *ip, int port)
{
	struct sockaddr_toy a;

	memset(&a, 0, sizeof(a));
	a.stoy_family = TOY_AF;
	a.stoy_port = htons(port);
	inet_pton(AF_INET, ip, &a.stoy_addr);
	return a;
}

/*
 * A stream socket listening on @ip:@port with backlog @backlog, or -1.
 * Close-on-exec: a command the test runs must not hold it open.
 */
static inline int toy_listener(const char *ip, int port, int backlog)
{
	struct sockaddr_toy a = taddr(ip, port);
	int fd = socket(TOY_AF, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, backlog)) {
		close(fd);
		return -1;
	}
	return fd;
}

static inline int local_port(int fd)
{
	struct sockaddr_toy a;
	socklen_t len = sizeof(a);

	if (getsockname(fd, (struct sockaddr *)&a, &len))
		return -errno;
	return ntohs(a.stoy_port);
}

static inline int sysctl_write(const char *name, const char *val)
{
	char path[128];

	snprintf(path, sizeof(path), "/proc/sys/net/toy/%s", name);
	return toy_write_file(path, val);
}
#endif /* _TOY_NET_H */
