// SPDX-License-Identifier: GPL-2.0
/*
 * AF_TOY datagram sockets, between two network namespaces joined by
 * veth (A 10.30.0.1 in toyda, B 10.30.0.2 in toydb): demultiplexing by
 * destination port, connected sockets and AF_UNSPEC, message boundaries,
 * port unreachable, the receive buffer, loss without duplicates,
 * TOY_REUSEPORT, the socket API and /proc/net/toy_dgram.  The live-object
 * counters must be back at zero after each test.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <linux/sockios.h>
#include <linux/toy.h>

#include "kselftest_harness.h"
#include "toy_lib.h"
#include "toy_net.h"

#define A_IP	"10.30.0.1"
#define B_IP	"10.30.0.2"

static int ns_a, ns_b;

/* A datagram socket in @ns, bound to @ip:@port unless @ip is NULL. */
static int dgram_in(int ns, const char *ip, int port)
{
	int fd = sock_in(ns, SOCK_DGRAM);
	struct sockaddr_toy a = taddr(ip ? ip : "0.0.0.0", port);

	if (fd >= 0 && ip && bind(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		return -1;
	}
	return fd;
}

static long stat_in(int ns, const char *name)
{
	int self = open("/proc/self/ns/net", O_RDONLY);
	long v = -1;

	if (self >= 0 && !setns(ns, CLONE_NEWNET)) {
		v = toy_stat(name);
		setns(self, CLONE_NEWNET);
	}
	close(self);
	return v;
}

static int send_to(int fd, const char *ip, int port, const void *buf,
		   size_t len)
{
	struct sockaddr_toy a = taddr(ip, port);

	return sendto(fd, buf, len, 0, (struct sockaddr *)&a, sizeof(a));
}

static int connect_to(int fd, const char *ip, int port)
{
	struct sockaddr_toy a = taddr(ip, port);

	return connect(fd, (struct sockaddr *)&a, sizeof(a));
}

/* recvfrom() with a timeout (ms, scaled); -1 and EAGAIN if none came. */
static int recv_wait(int fd, void *buf, size_t len, int flags,
		     struct sockaddr_toy *from, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	socklen_t alen = sizeof(*from);

	if (poll(&p, 1, ms * toy_timeout_scale()) != 1) {
		errno = EAGAIN;
		return -1;
	}
	return recvfrom(fd, buf, len, flags | MSG_DONTWAIT,
			(struct sockaddr *)from, from ? &alen : NULL);
}

/*
 * One datagram from @a to B:@port, received by @r: the neighbour entry
 * is resolved afterwards, so a burst is not cut by ARP's queue limit.
 */
static int warm_up(int a, int r, int port)
{
	char c;

	if (send_to(a, B_IP, port, "w", 1) != 1 ||
	    recv_wait(r, &c, 1, 0, NULL, 2000) != 1)
		return -1;
	return 0;
}

FIXTURE(dgram) {
	int dummy;
};

FIXTURE_SETUP(dgram)
{
	ASSERT_EQ(0, toy_live_wait_zero(10));
	ASSERT_EQ(0, system("modprobe -q veth; ip netns del toyda 2>/dev/null; "
			    "ip netns del toydb 2>/dev/null; "
			    "ip netns add toyda && ip netns add toydb && "
			    "ip link add va netns toyda type veth peer name vb netns toydb && "
			    "ip -n toyda addr add " A_IP "/24 dev va && "
			    "ip -n toydb addr add " B_IP "/24 dev vb && "
			    "ip -n toyda link set va up && ip -n toydb link set vb up && "
			    "ip -n toyda link set lo up && ip -n toydb link set lo up"));
	ns_a = open("/var/run/netns/toyda", O_RDONLY);
	ns_b = open("/var/run/netns/toydb", O_RDONLY);
	ASSERT_LE(0, ns_a);
	ASSERT_LE(0, ns_b);
}

FIXTURE_TEARDOWN(dgram)
{
	close(ns_a);
	close(ns_b);
	system("ip netns del toyda; ip netns del toydb");
	EXPECT_EQ(0, toy_live_wait_zero(15));
}

/*
 * Only the destination port selects the socket: each receiver gets the
 * datagrams sent to its port, from every sender, and recvfrom() names
 * the sender.  An unbound sender gets an ephemeral port on its first
 * send.
 */
TEST_F(dgram, demux_by_destination_port)
{
	struct sockaddr_toy from;
	int r1, r2, s[3], i, j, n;
	char buf[64], want[64];

	r1 = dgram_in(ns_b, B_IP, 9001);
	r2 = dgram_in(ns_b, "0.0.0.0", 9002);
	ASSERT_LE(0, r1);
	ASSERT_LE(0, r2);
	for (i = 0; i < 3; i++) {
		s[i] = dgram_in(ns_a, NULL, 0);
		ASSERT_LE(0, s[i]);
		EXPECT_EQ(0, local_port(s[i]));
	}
	for (i = 0; i < 3; i++) {
		for (j = 0; j < 2; j++) {
			n = snprintf(buf, sizeof(buf), "from %d to %d", i, 9001 + j);
			ASSERT_EQ(n, send_to(s[i], B_IP, 9001 + j, buf, n));
		}
		EXPECT_LE(32768, local_port(s[i]));	/* the default range */
		EXPECT_GE(60999, local_port(s[i]));
	}
	for (j = 0; j < 2; j++) {
		for (i = 0; i < 3; i++) {
			n = recv_wait(j ? r2 : r1, buf, sizeof(buf) - 1, 0,
				      &from, 2000);
			ASSERT_LT(0, n);
			buf[n] = 0;
			snprintf(want, sizeof(want), "from %d to %d", i, 9001 + j);
			EXPECT_STREQ(want, buf);
			EXPECT_EQ(TOY_AF, from.stoy_family);
			EXPECT_EQ(local_port(s[i]), ntohs(from.stoy_port));
			EXPECT_EQ(inet_addr(A_IP), from.stoy_addr.s_addr);
		}
	}
	EXPECT_EQ(6, stat_in(ns_b, "InDatagrams"));
	EXPECT_EQ(6, stat_in(ns_a, "OutDatagrams"));
	for (i = 0; i < 3; i++)
		close(s[i]);
	close(r1);
	close(r2);
}

/*
 * connect() sets the default destination and accepts datagrams from that
 * peer only; connect(AF_UNSPEC) dissolves it; send() without an address
 * on an unconnected socket is EDESTADDRREQ; sendto() another address on
 * a connected socket goes there, as UDP.
 */
TEST_F(dgram, connected_socket)
{
	struct sockaddr_toy from, peer;
	socklen_t len = sizeof(peer);
	struct sockaddr unspec = { .sa_family = AF_UNSPEC };
	int r, a1, a2, n;
	char buf[16];

	r = dgram_in(ns_b, "0.0.0.0", 9010);
	a1 = dgram_in(ns_a, A_IP, 7001);
	a2 = dgram_in(ns_a, A_IP, 7002);
	ASSERT_LE(0, r);
	ASSERT_LE(0, a1);
	ASSERT_LE(0, a2);
	EXPECT_EQ(-1, send(r, "x", 1, 0));
	EXPECT_EQ(EDESTADDRREQ, errno);
	EXPECT_EQ(-1, getpeername(r, (struct sockaddr *)&peer, &len));
	EXPECT_EQ(ENOTCONN, errno);

	ASSERT_EQ(0, connect_to(r, A_IP, 7001));
	EXPECT_EQ(0, getpeername(r, (struct sockaddr *)&peer, &len));
	EXPECT_EQ(7001, ntohs(peer.stoy_port));
	/* It took the local address of the route to its peer, as UDP. */
	len = sizeof(peer);
	EXPECT_EQ(0, getsockname(r, (struct sockaddr *)&peer, &len));
	EXPECT_EQ(inet_addr(B_IP), peer.stoy_addr.s_addr);
	EXPECT_EQ(2, send_to(a2, B_IP, 9010, "a2", 2));
	EXPECT_EQ(2, send_to(a1, B_IP, 9010, "a1", 2));
	n = recv_wait(r, buf, sizeof(buf), 0, &from, 2000);
	EXPECT_EQ(2, n);
	EXPECT_EQ(0, memcmp(buf, "a1", 2));	/* a2's never arrives */
	EXPECT_EQ(-1, recv_wait(r, buf, sizeof(buf), 0, &from, 300));
	EXPECT_EQ(1, stat_in(ns_b, "NoPorts"));	/* nobody took a2's */
	/* The unconnected a2 is not disturbed by the unreachable answer. */
	EXPECT_EQ(-1, recv(a2, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);

	/* send() goes to the peer; sendto() elsewhere goes there. */
	EXPECT_EQ(3, send(r, "r>1", 3, 0));
	EXPECT_EQ(3, recv_wait(a1, buf, sizeof(buf), 0, &from, 2000));
	EXPECT_EQ(9010, ntohs(from.stoy_port));
	EXPECT_EQ(3, send_to(r, A_IP, 7002, "r>2", 3));
	EXPECT_EQ(3, recv_wait(a2, buf, sizeof(buf), 0, &from, 2000));
	EXPECT_EQ(0, memcmp(buf, "r>2", 3));

	/* AF_UNSPEC: no peer, everyone heard again. */
	EXPECT_EQ(0, connect(r, &unspec, sizeof(unspec)));
	EXPECT_EQ(-1, send(r, "x", 1, 0));
	EXPECT_EQ(EDESTADDRREQ, errno);
	EXPECT_EQ(-1, getpeername(r, (struct sockaddr *)&peer, &len));
	EXPECT_EQ(2, send_to(a2, B_IP, 9010, "a2", 2));
	EXPECT_EQ(2, recv_wait(r, buf, sizeof(buf), 0, &from, 2000));
	EXPECT_EQ(7002, ntohs(from.stoy_port));
	EXPECT_EQ(9010, local_port(r));		/* bind() kept the port */
	close(r);
	close(a1);
	close(a2);
}

/*
 * A connected socket keeps its route between datagrams, as UDP's does,
 * yet follows the routing table: a route that makes the peer
 * unreachable fails the next send() with EHOSTUNREACH, and once it is
 * gone datagrams flow again.
 */
TEST_F(dgram, connected_socket_follows_route_changes)
{
	int r, a;
	char c;

	r = dgram_in(ns_b, B_IP, 9012);
	a = dgram_in(ns_a, NULL, 0);
	ASSERT_LE(0, r);
	ASSERT_LE(0, a);
	ASSERT_EQ(0, connect_to(a, B_IP, 9012));
	EXPECT_EQ(1, send(a, "1", 1, 0));
	EXPECT_EQ(1, recv_wait(r, &c, 1, 0, NULL, 2000));
	EXPECT_EQ(1, send(a, "2", 1, 0));
	EXPECT_EQ(1, recv_wait(r, &c, 1, 0, NULL, 2000));

	ASSERT_EQ(0, system("ip -n toyda route add unreachable " B_IP "/32"));
	EXPECT_EQ(-1, send(a, "3", 1, 0));
	EXPECT_EQ(EHOSTUNREACH, errno);
	EXPECT_EQ(-1, recv_wait(r, &c, 1, 0, NULL, 300));

	ASSERT_EQ(0, system("ip -n toyda route del unreachable " B_IP "/32"));
	EXPECT_EQ(1, send(a, "4", 1, 0));
	EXPECT_EQ(1, recv_wait(r, &c, 1, 0, NULL, 2000));
	EXPECT_EQ('4', c);
	close(r);
	close(a);
}

/*
 * A connected socket whose source address is removed sends from the
 * address that takes its place, every datagram alike: the route cached
 * for the old source is not used with the new one.
 */
TEST_F(dgram, connected_socket_source_after_address_removed)
{
	struct sockaddr_toy from;
	int r, a, i;
	char c;

	ASSERT_EQ(0, system("ip netns exec toyda sysctl -qw "
			    "net.ipv4.conf.va.promote_secondaries=1 && "
			    "ip -n toyda addr add 10.30.0.3/24 dev va"));
	r = dgram_in(ns_b, B_IP, 9013);
	a = dgram_in(ns_a, NULL, 0);
	ASSERT_LE(0, r);
	ASSERT_LE(0, a);
	ASSERT_EQ(0, connect_to(a, B_IP, 9013));
	EXPECT_EQ(1, send(a, "1", 1, 0));
	EXPECT_EQ(1, recv_wait(r, &c, 1, 0, &from, 2000));
	EXPECT_EQ(inet_addr(A_IP), from.stoy_addr.s_addr);

	ASSERT_EQ(0, system("ip -n toyda addr del " A_IP "/24 dev va"));
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(1, send(a, "2", 1, 0));
		EXPECT_EQ(1, recv_wait(r, &c, 1, 0, &from, 2000));
		EXPECT_EQ(inet_addr("10.30.0.3"), from.stoy_addr.s_addr);
	}
	close(r);
	close(a);
}

/*
 * One recv returns one datagram; a short buffer truncates and says
 * MSG_TRUNC (with MSG_TRUNC in flags, the real length); zero-length
 * datagrams arrive; the largest fits (as IP fragments), one more byte
 * is EMSGSIZE; MSG_PEEK leaves the datagram queued.
 */
TEST_F(dgram, message_boundaries)
{
	static char big[TOY_DGRAM_MAX + 1], got[TOY_DGRAM_MAX + 100];
	struct msghdr mh = { 0 };
	struct sockaddr_toy from;
	struct iovec iov;
	cpu_set_t cpu;
	int r, a, i;

	/*
	 * veth queues a packet on the CPU that sent it: a sender that moved
	 * between two sends could see the later datagram overtake.  Order is
	 * part of what this test reads, so it sends from one CPU.
	 */
	CPU_ZERO(&cpu);
	CPU_SET(sched_getcpu(), &cpu);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(cpu), &cpu));
	for (i = 0; i < (int)sizeof(big); i++)
		big[i] = i * 7;
	r = dgram_in(ns_b, B_IP, 9020);
	a = dgram_in(ns_a, NULL, 0);
	ASSERT_LE(0, r);
	ASSERT_LE(0, a);
	ASSERT_EQ(0, connect_to(a, B_IP, 9020));
	EXPECT_EQ(100, send(a, big, 100, 0));
	EXPECT_EQ(0, send(a, big, 0, 0));
	EXPECT_EQ(2000, send(a, big, 2000, 0));
	EXPECT_EQ(TOY_DGRAM_MAX, send(a, big, TOY_DGRAM_MAX, 0));
	EXPECT_EQ(-1, send(a, big, TOY_DGRAM_MAX + 1, 0));
	EXPECT_EQ(EMSGSIZE, errno);

	EXPECT_EQ(100, recv_wait(r, got, sizeof(got), 0, &from, 2000));
	EXPECT_EQ(0, memcmp(got, big, 100));
	EXPECT_EQ(0, recv_wait(r, got, sizeof(got), 0, &from, 2000));
	EXPECT_EQ(local_port(a), ntohs(from.stoy_port));
	EXPECT_EQ(2000, recv_wait(r, got, sizeof(got), 0, &from, 2000));
	EXPECT_EQ(0, memcmp(got, big, 2000));
	EXPECT_EQ(TOY_DGRAM_MAX, recv_wait(r, got, sizeof(got), 0, &from, 5000));
	EXPECT_EQ(0, memcmp(got, big, TOY_DGRAM_MAX));

	/* Truncation: the rest of that datagram is gone. */
	EXPECT_EQ(100, send(a, big, 100, 0));
	EXPECT_EQ(50, send(a, big + 100, 50, 0));
	ASSERT_EQ(100, recv_wait(r, got, sizeof(got), MSG_PEEK, NULL, 2000));
	iov.iov_base = got;
	iov.iov_len = 10;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	EXPECT_EQ(10, recvmsg(r, &mh, 0));
	EXPECT_TRUE(mh.msg_flags & MSG_TRUNC);
	EXPECT_EQ(0, memcmp(got, big, 10));
	/* MSG_PEEK, then MSG_TRUNC: the real length of the next one. */
	EXPECT_EQ(50, recv_wait(r, got, sizeof(got), MSG_PEEK, NULL, 2000));
	EXPECT_EQ(50, recv(r, got, 5, MSG_TRUNC));
	EXPECT_EQ(0, memcmp(got, big + 100, 5));
	EXPECT_EQ(-1, recv(r, got, sizeof(got), MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);
	close(a);
	close(r);
}

/*
 * A datagram to a port nobody holds is answered; a connected sender
 * sees ECONNREFUSED on its next call (once), an unconnected one nothing.
 */
TEST_F(dgram, port_unreachable)
{
	int c, u, i, err = 0;
	char buf[8];

	c = dgram_in(ns_a, NULL, 0);
	u = dgram_in(ns_a, NULL, 0);
	ASSERT_LE(0, c);
	ASSERT_LE(0, u);
	ASSERT_EQ(0, connect_to(c, B_IP, 9999));
	EXPECT_EQ(1, send(c, "x", 1, 0));
	for (i = 0; i < 200 * toy_timeout_scale() && !err; i++) {
		if (recv(c, buf, sizeof(buf), MSG_DONTWAIT) < 0 &&
		    errno != EAGAIN)
			err = errno;
		else
			usleep(10000);
	}
	EXPECT_EQ(ECONNREFUSED, err);
	EXPECT_EQ(1, send(c, "x", 1, 0));	/* reported once */
	EXPECT_LE(1, stat_in(ns_b, "NoPorts"));

	EXPECT_EQ(1, send_to(u, B_IP, 9999, "y", 1));
	usleep(300000);
	EXPECT_EQ(-1, recv(u, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(1, send_to(u, B_IP, 9999, "y", 1));
	close(c);
	close(u);
}

/* Beyond SO_RCVBUF datagrams are dropped and counted, twice over. */
TEST_F(dgram, receive_buffer_overflow)
{
	int r, a, i, got = 0, size = 4096;
	char buf[1000] = { 0 }, line[256];
	unsigned int drops = 0, port;
	FILE *f;

	r = dgram_in(ns_b, B_IP, 9030);
	a = dgram_in(ns_a, NULL, 0);
	ASSERT_LE(0, r);
	ASSERT_LE(0, a);
	ASSERT_EQ(0, warm_up(a, r, 9030));
	ASSERT_EQ(0, setsockopt(r, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)));
	for (i = 0; i < 200; i++)
		ASSERT_EQ(1000, send_to(a, B_IP, 9030, buf, 1000));
	usleep(300000);
	while (recv(r, buf, sizeof(buf), MSG_DONTWAIT) == 1000)
		got++;
	TH_LOG("%d of 200 datagrams fit in the receive buffer", got);
	EXPECT_LT(0, got);
	EXPECT_GT(200, got);
	EXPECT_EQ(200 - got, stat_in(ns_b, "RcvbufErrors"));
	EXPECT_EQ(got + 1, stat_in(ns_b, "InDatagrams"));
	/* The socket's own count, in /proc/net/toy_dgram's drops column. */
	ASSERT_EQ(0, system("ip netns exec toydb cat /proc/net/toy_dgram >/tmp/toy_dgram.txt"));
	f = fopen("/tmp/toy_dgram.txt", "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " %*d: %*x:%x", &port) == 1 && port == 9030)
			sscanf(line, "%*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %u",
			       &drops);
	fclose(f);
	EXPECT_EQ(200 - got, drops);
	close(a);
	close(r);
}

/*
 * Under netem loss datagrams are lost, never resent and never
 * duplicated: every one that arrives is intact and arrives once.
 */
TEST_F(dgram, loss_without_duplicates)
{
	static unsigned char seen[500];
	int r, a, i, n, got = 0, size = 4 << 20;
	unsigned char buf[200];

	r = dgram_in(ns_b, B_IP, 9040);
	a = dgram_in(ns_a, NULL, 0);
	ASSERT_LE(0, r);
	ASSERT_LE(0, a);
	ASSERT_EQ(0, warm_up(a, r, 9040));
	ASSERT_EQ(0, system("modprobe -q sch_netem; "
			    "ip netns exec toyda tc qdisc add dev va root netem loss 20%"));
	ASSERT_EQ(0, setsockopt(r, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)));
	for (i = 0; i < 500; i++) {
		memset(buf, i & 0xff, sizeof(buf));
		buf[0] = i >> 8;
		buf[1] = i & 0xff;
		ASSERT_EQ(sizeof(buf), send_to(a, B_IP, 9040, buf, sizeof(buf)));
	}
	while ((n = recv_wait(r, buf, sizeof(buf), 0, NULL, 1000)) > 0) {
		int k = buf[0] << 8 | buf[1], j, ok = n == sizeof(buf);

		ASSERT_GT(500, k);
		for (j = 2; j < n; j++)
			ok &= buf[j] == (k & 0xff);
		EXPECT_TRUE(ok);
		EXPECT_EQ(0, seen[k]);
		seen[k]++;
		got++;
	}
	TH_LOG("%d of 500 datagrams arrived through 20%% loss", got);
	EXPECT_EQ(got + 1, stat_in(ns_b, "InDatagrams"));
	EXPECT_EQ(0, stat_in(ns_b, "RcvbufErrors"));
	EXPECT_LT(300, got);
	EXPECT_GT(490, got);
	EXPECT_EQ(501, stat_in(ns_a, "OutDatagrams"));
	close(a);
	close(r);
}

/* A TOY_REUSEPORT group shares the datagrams of many senders. */
TEST_F(dgram, reuseport_spread)
{
	struct sockaddr_toy b = taddr(B_IP, 9050);
	int r[4], s[64], i, one = 1, count[4] = { 0 }, total = 0;
	double end;
	char buf[8];

	for (i = 0; i < 4; i++) {
		r[i] = sock_in(ns_b, SOCK_DGRAM);
		ASSERT_LE(0, r[i]);
		ASSERT_EQ(0, setsockopt(r[i], SOL_TOY, TOY_REUSEPORT, &one,
					sizeof(one)));
		ASSERT_EQ(0, bind(r[i], (struct sockaddr *)&b, sizeof(b)));
	}
	for (i = 0; i < 64; i++) {
		s[i] = dgram_in(ns_a, NULL, 0);
		ASSERT_LE(0, s[i]);
		ASSERT_EQ(1, send_to(s[i], B_IP, 9050, "z", 1));
	}
	/* Until all 64 have arrived, or a bounded wait says they never will. */
	for (end = toy_now() + 5 * toy_timeout_scale();
	     total < 64 && toy_now() < end; usleep(10000)) {
		for (i = 0; i < 4; i++) {
			while (recv(r[i], buf, sizeof(buf), MSG_DONTWAIT) == 1) {
				count[i]++;
				total++;
			}
		}
	}
	TH_LOG("spread: %d %d %d %d", count[0], count[1], count[2], count[3]);
	EXPECT_EQ(64, total);
	for (i = 0; i < 4; i++) {
		EXPECT_LT(0, count[i]);
		close(r[i]);
	}
	for (i = 0; i < 64; i++)
		close(s[i]);
}

/* MSG_DONTWAIT, SO_RCVTIMEO, poll, SIOCINQ, SIOCOUTQ, bad calls. */
TEST_F(dgram, socket_api)
{
	struct timeval tv = { 0, 200000 };
	struct pollfd p;
	struct sockaddr_toy bad;
	int r, a, inq = -1, fd;
	char buf[200];
	double t0;

	r = dgram_in(ns_b, B_IP, 9060);
	a = dgram_in(ns_a, NULL, 0);
	ASSERT_LE(0, r);
	ASSERT_LE(0, a);
	EXPECT_EQ(-1, recv(r, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(0, setsockopt(r, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	t0 = toy_now();
	EXPECT_EQ(-1, recv(r, buf, sizeof(buf), 0));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_LE(0.18, toy_now() - t0);
	p.fd = r;
	p.events = POLLIN | POLLOUT;
	EXPECT_EQ(1, poll(&p, 1, 0));
	EXPECT_EQ(POLLOUT, p.revents);
	EXPECT_EQ(123, send_to(a, B_IP, 9060, buf, 123));
	EXPECT_EQ(7, send_to(a, B_IP, 9060, buf, 7));
	EXPECT_EQ(1, poll(&p, 1, 2000 * toy_timeout_scale()));
	EXPECT_TRUE(p.revents & POLLIN);
	usleep(100000);
	EXPECT_EQ(0, ioctl(r, SIOCINQ, &inq));
	EXPECT_EQ(123, inq);		/* the next datagram, as UDP */
	EXPECT_EQ(0, ioctl(a, SIOCOUTQ, &inq));
	EXPECT_EQ(0, inq);

	/* Bad calls get UDP's errnos. */
	EXPECT_EQ(-1, send_to(a, B_IP, 0, buf, 1));
	EXPECT_EQ(EINVAL, errno);
	bad = taddr(B_IP, 9060);
	bad.stoy_family = AF_INET;
	EXPECT_EQ(-1, sendto(a, buf, 1, 0, (struct sockaddr *)&bad, sizeof(bad)));
	EXPECT_EQ(EAFNOSUPPORT, errno);
	EXPECT_EQ(-1, connect(a, (struct sockaddr *)&bad, sizeof(bad)));
	EXPECT_EQ(EAFNOSUPPORT, errno);
	EXPECT_EQ(-1, sendto(a, buf, 1, 0, (struct sockaddr *)&bad, 4));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, send(a, buf, 1, MSG_OOB));
	EXPECT_EQ(EOPNOTSUPP, errno);
	EXPECT_EQ(-1, listen(r, 1));
	EXPECT_EQ(EOPNOTSUPP, errno);
	EXPECT_EQ(-1, accept(r, NULL, NULL));
	EXPECT_EQ(EOPNOTSUPP, errno);
	/* shutdown(), as UDP: ENOTCONN unconnected, but reads end. */
	EXPECT_EQ(-1, shutdown(r, SHUT_RD));
	EXPECT_EQ(ENOTCONN, errno);
	fd = recv(r, buf, sizeof(buf), MSG_DONTWAIT);
	EXPECT_LE(0, fd);		/* queued data still reads */
	close(a);
	close(r);
}

/*
 * Stream and datagram never mix: separate port spaces, separate packet
 * types.  A datagram to a port only a stream listener has is
 * unreachable; a stream connect() to a port only a datagram socket has
 * is refused.
 */
TEST_F(dgram, stream_and_datagram_apart)
{
	struct sockaddr_toy b = taddr(B_IP, 9070);
	int l, d, c, u;
	char buf[8];

	l = sock_in(ns_b, SOCK_STREAM);
	ASSERT_LE(0, l);
	ASSERT_EQ(0, bind(l, (struct sockaddr *)&b, sizeof(b)));
	ASSERT_EQ(0, listen(l, 4));
	d = dgram_in(ns_b, B_IP, 9071);
	ASSERT_LE(0, d);
	/* Both spaces may hold the same port at once. */
	u = dgram_in(ns_b, B_IP, 9070);
	EXPECT_LE(0, u);
	close(u);

	u = dgram_in(ns_a, NULL, 0);
	ASSERT_LE(0, u);
	ASSERT_EQ(0, connect_to(u, B_IP, 9070));
	EXPECT_EQ(1, send(u, "x", 1, 0));
	usleep(300000);
	EXPECT_EQ(-1, recv(u, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(ECONNREFUSED, errno);

	c = sock_in(ns_a, SOCK_STREAM);
	ASSERT_LE(0, c);
	EXPECT_EQ(-1, connect_to(c, B_IP, 9071));
	EXPECT_EQ(ECONNREFUSED, errno);
	EXPECT_EQ(-1, recv(d, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);
	close(c);
	close(u);
	close(d);
	close(l);
}

/* /proc/net/toy_dgram shows each socket in /proc/net/udp's columns. */
TEST_F(dgram, proc_net_toy_dgram)
{
	unsigned int la, lp, ra, rp, st, tx, rx;
	int r, c, found = 0;
	char line[256];
	FILE *f;

	r = dgram_in(ns_b, B_IP, 9080);
	c = dgram_in(ns_b, NULL, 0);
	ASSERT_LE(0, r);
	ASSERT_LE(0, c);
	ASSERT_EQ(0, connect_to(c, A_IP, 7080));
	ASSERT_EQ(0, system("ip netns exec toydb cat /proc/net/toy_dgram >/tmp/toy_dgram.txt"));
	f = fopen("/tmp/toy_dgram.txt", "r");
	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(line, sizeof(line), f));
	EXPECT_EQ(0, strncmp(line, "   sl  local_address rem_address   st tx_queue rx_queue", 55));
	while (fgets(line, sizeof(line), f)) {
		ASSERT_EQ(7, sscanf(line, " %*d: %x:%x %x:%x %x %x:%x", &la, &lp,
				    &ra, &rp, &st, &tx, &rx));
		if (lp == 9080) {
			EXPECT_EQ(inet_addr(B_IP), la);
			EXPECT_EQ(0, ra);
			EXPECT_EQ(7, st);	/* CLOSE: unconnected */
			found++;
		} else if ((int)lp == local_port(c)) {
			EXPECT_EQ(inet_addr(B_IP), la);
			EXPECT_EQ(inet_addr(A_IP), ra);
			EXPECT_EQ(7080, rp);
			EXPECT_EQ(1, st);	/* ESTABLISHED: connected */
			found++;
		}
	}
	fclose(f);
	EXPECT_EQ(2, found);
	close(c);
	close(r);
}

/* toycat -u: an echo server in B, a client in A; a closed port refuses. */
TEST_F(dgram, toycat_datagram_mode)
{
	const char *tools = getenv("TOY_TOOLS");
	char cmd[1024], out[64] = { 0 };
	FILE *f;

	ASSERT_NE(NULL, tools);
	snprintf(cmd, sizeof(cmd),
		 "ip netns exec toydb %s/toycat -u -l -e 9090 & pid=$!; "
		 "for i in $(seq 600); do ip netns exec toydb grep -q ':2382 ' "
		 "/proc/net/toy_dgram && break; sleep 0.05; done; "
		 "printf 'hello\\n' | ip netns exec toyda %s/toycat -u " B_IP " 9090 >/tmp/toycat.out; "
		 "kill $pid; wait $pid 2>/dev/null; "
		 "printf x | ip netns exec toyda %s/toycat -u " B_IP " 9091 2>/tmp/toycat.err; echo $? >>/tmp/toycat.err",
		 tools, tools, tools);
	system(cmd);
	f = fopen("/tmp/toycat.out", "r");
	ASSERT_NE(NULL, f);
	EXPECT_NE(NULL, fgets(out, sizeof(out), f));
	fclose(f);
	EXPECT_STREQ("hello\n", out);
	f = fopen("/tmp/toycat.err", "r");
	ASSERT_NE(NULL, f);
	EXPECT_NE(NULL, fgets(out, sizeof(out), f));
	fclose(f);
	EXPECT_STREQ("toycat: recv: Connection refused\n", out);
}

TEST_HARNESS_MAIN
