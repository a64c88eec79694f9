// SPDX-License-Identifier: GPL-2.0
/*
 * AF_TOY edge cases of the port tables and timers:
 *   - SO_BINDTODEVICE on the receive path: stream listeners, established
 *     connections and datagram sockets bound to a device only get what
 *     arrived on that device, and beat unbound sockets there (TCP's and
 *     UDP's inet_bound_dev_eq() and compute_score()), and the debugfs
 *     lookup answers for a device;
 *   - net.toy.retries2: a connection gives up after exactly that many
 *     retransmissions;
 *   - TIME_WAIT entries expiring while their namespace goes away.
 *
 * The device tests run in a fresh namespace ("server") joined to a
 * second one, toysc ("client"), by two veth pairs:
 *
 *	server s0 10.31.1.1 <-> c0 10.31.1.2 client
 *	server s1 10.31.2.1 <-> c1 10.31.2.2 client
 *
 * so a segment for the server arrives on s0 or s1 depending on the
 * address the client sends to (or the device the client's socket is
 * bound to).  The live-object counters must be back at zero after each
 * test.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <linux/toy.h>

#include "kselftest_harness.h"
#include "toy_lib.h"
#include "toy_net.h"
#include "toy_seg.h"

#define S0_IP	"10.31.1.1"
#define S1_IP	"10.31.2.1"
#define C0_IP	"10.31.1.2"

static int bind_dev(int fd, const char *dev)
{
	return setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, dev,
			  strlen(dev) + 1);
}

/*
 * A stream listener on the wildcard address, port @port, bound to @dev
 * unless NULL, in TOY_REUSEPORT's group if @reuseport; -1 on failure.
 */
static int listener_dev(int port, const char *dev, int reuseport)
{
	struct sockaddr_toy a = taddr("0.0.0.0", port);
	int fd = socket(TOY_AF, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	if ((dev && bind_dev(fd, dev)) ||
	    setsockopt(fd, SOL_TOY, TOY_REUSEPORT, &reuseport,
		       sizeof(reuseport)) ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 16)) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * A stream socket of namespace @ns, bound to @dev unless NULL, connected
 * to @ip:@port; -errno of connect() on failure.
 */
static int connect_in(int ns, const char *dev, const char *ip, int port)
{
	struct sockaddr_toy a = taddr(ip, port);
	int fd = sock_in(ns, SOCK_STREAM), err;

	if (fd < 0)
		return -EBADF;
	if (dev && bind_dev(fd, dev)) {
		close(fd);
		return -ENODEV;
	}
	if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

/* accept() within @ms (scaled); -1 if nothing came. */
static int accept_wait(int l, int ms)
{
	struct pollfd p = { .fd = l, .events = POLLIN };

	if (poll(&p, 1, ms * toy_timeout_scale()) != 1)
		return -1;
	return accept(l, NULL, NULL);
}

/* Is a connection waiting in @l's accept queue right now? */
static int acceptable(int l)
{
	struct pollfd p = { .fd = l, .events = POLLIN };

	return poll(&p, 1, 0) == 1;
}

static int ns_c;

FIXTURE(peers) {
	int dummy;
};

FIXTURE_SETUP(peers)
{
	ASSERT_EQ(0, toy_live_wait_zero(10));
	ASSERT_EQ(0, new_netns());
	ASSERT_EQ(0, system("modprobe -q veth; ip netns del toysc 2>/dev/null; "
			    "ip netns add toysc && "
			    "ip link add s0 type veth peer name c0 netns toysc && "
			    "ip link add s1 type veth peer name c1 netns toysc && "
			    "ip addr add " S0_IP "/24 dev s0 && "
			    "ip addr add " S1_IP "/24 dev s1 && "
			    "ip link set s0 up && ip link set s1 up && "
			    "ip -n toysc addr add " C0_IP "/24 dev c0 && "
			    "ip -n toysc addr add 10.31.2.2/24 dev c1 && "
			    "ip -n toysc link set c0 up && "
			    "ip -n toysc link set c1 up && "
			    "ip -n toysc link set lo up && "
			    "echo 0 >/proc/sys/net/ipv4/conf/all/rp_filter && "
			    "echo 0 >/proc/sys/net/ipv4/conf/s1/rp_filter && "
			    "ip netns exec toysc sh -c "
			    "'echo 2 >/proc/sys/net/toy/syn_retries'"));
	ns_c = open("/var/run/netns/toysc", O_RDONLY);
	ASSERT_LE(0, ns_c);
}

FIXTURE_TEARDOWN(peers)
{
	close(ns_c);
	system("ip netns del toysc");
	/*
	 * Leave this namespace too: with no socket left in them, both go
	 * away, and their exits end the TIME_WAIT entries still held.
	 */
	EXPECT_EQ(0, unshare(CLONE_NEWNET));
	EXPECT_EQ(0, toy_live_wait_zero(30));
}

/*
 * A wildcard listener bound to s0 accepts the connections that arrive
 * on s0 and resets those arriving on s1, to any of the server's
 * addresses (TCP's rule: the device, not the address, decides).
 */
TEST_F(peers, stream_listener_takes_only_its_device)
{
	int l, c, s;

	l = listener_dev(9100, "s0", 0);
	ASSERT_LE(0, l);

	c = connect_in(ns_c, NULL, S0_IP, 9100);	/* arrives on s0 */
	ASSERT_LE(0, c);
	s = accept_wait(l, 2000);
	ASSERT_LE(0, s);
	close(c);
	close(s);

	/* To s1's address, so on s1: refused. */
	EXPECT_EQ(-ECONNREFUSED, connect_in(ns_c, NULL, S1_IP, 9100));
	/* To s0's address but sent out c1, so on s1: refused too. */
	EXPECT_EQ(-ECONNREFUSED, connect_in(ns_c, "c1", S0_IP, 9100));
	EXPECT_FALSE(acceptable(l));
	close(l);
}

/*
 * Two listeners of one TOY_REUSEPORT group on the same port, one bound
 * to s0, one to no device: every connection arriving on s0 goes to the
 * bound one (a better match, not a hash's choice), every one arriving
 * on s1 to the unbound one.
 */
TEST_F(peers, stream_listener_bound_beats_unbound)
{
	int bound, any, c, s, i;

	bound = listener_dev(9101, "s0", 1);
	ASSERT_LE(0, bound);
	any = listener_dev(9101, NULL, 1);
	ASSERT_LE(0, any);

	for (i = 0; i < 8; i++) {
		c = connect_in(ns_c, NULL, S0_IP, 9101);
		ASSERT_LE(0, c);
		s = accept_wait(bound, 2000);
		ASSERT_LE(0, s) TH_LOG("connection %d on s0 not at the bound listener", i);
		close(c);
		close(s);

		c = connect_in(ns_c, NULL, S1_IP, 9101);
		ASSERT_LE(0, c);
		s = accept_wait(any, 2000);
		ASSERT_LE(0, s) TH_LOG("connection %d on s1 not at the unbound listener", i);
		close(c);
		close(s);
	}
	EXPECT_FALSE(acceptable(bound));
	EXPECT_FALSE(acceptable(any));
	close(bound);
	close(any);
}

/*
 * An established connection whose (accepted) socket is bound to s0, as
 * its listener was: when the client's segments start arriving on s1
 * (a host route sends them out c1), the server socket no longer takes
 * them; the segment finds no socket and is reset, as TCP resets it.
 */
TEST_F(peers, established_takes_only_its_device)
{
	struct linger lg = { 1, 0 };
	char buf[16];
	int l, c, s;
	struct pollfd p;

	l = listener_dev(9102, "s0", 0);
	ASSERT_LE(0, l);
	c = connect_in(ns_c, NULL, S0_IP, 9102);
	ASSERT_LE(0, c);
	s = accept_wait(l, 2000);
	ASSERT_LE(0, s);
	ASSERT_EQ(3, write(c, "one", 3));
	ASSERT_EQ(3, read(s, buf, sizeof(buf)));

	ASSERT_EQ(0, system("ip -n toysc route add " S0_IP "/32 dev c1"));
	ASSERT_EQ(3, write(c, "two", 3));
	p = (struct pollfd){ .fd = c, .events = POLLIN };
	ASSERT_EQ(1, poll(&p, 1, 5000 * toy_timeout_scale()));
	EXPECT_EQ(-1, read(c, buf, sizeof(buf)));
	EXPECT_EQ(ECONNRESET, errno);
	/* The server socket never saw "two". */
	EXPECT_EQ(-1, recv(s, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);
	close(c);
	/* Its FIN's answer would come in on s1 too: abort it. */
	setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(s);
	close(l);
}

static int send_to(int fd, const char *ip, int port, const char *msg)
{
	struct sockaddr_toy a = taddr(ip, port);

	return sendto(fd, msg, strlen(msg), 0, (struct sockaddr *)&a,
		      sizeof(a));
}

/* A datagram within @ms (scaled), NUL-terminated; its length or -1. */
static int recv_wait(int fd, char *buf, size_t len, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int n;

	if (poll(&p, 1, ms * toy_timeout_scale()) != 1)
		return -1;
	n = recv(fd, buf, len - 1, MSG_DONTWAIT);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

/*
 * Datagram sockets on one port: A bound to no device, B bound to s1
 * (SO_REUSEADDR lets them share it).  What arrives on s1 goes to B,
 * the better match, whichever came first; what arrives on s0 goes to A.
 * Alone on the port, B does not take datagrams of s0: they are
 * unreachable (NoPorts), and a connected sender learns ECONNREFUSED.
 */
TEST_F(peers, dgram_takes_only_its_device)
{
	struct sockaddr_toy any = taddr("0.0.0.0", 9103);
	struct sockaddr_toy dst = taddr(S0_IP, 9103);
	struct pollfd p = { .events = POLLIN };
	int a, b, tx, one = 1, i;
	long noports;
	char buf[64];

	b = socket(TOY_AF, SOCK_DGRAM, 0);
	ASSERT_LE(0, b);
	ASSERT_EQ(0, setsockopt(b, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)));
	ASSERT_EQ(0, bind_dev(b, "s1"));
	ASSERT_EQ(0, bind(b, (struct sockaddr *)&any, sizeof(any)));
	a = socket(TOY_AF, SOCK_DGRAM, 0);
	ASSERT_LE(0, a);
	ASSERT_EQ(0, setsockopt(a, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)));
	ASSERT_EQ(0, bind(a, (struct sockaddr *)&any, sizeof(any)));

	tx = sock_in(ns_c, SOCK_DGRAM);
	ASSERT_LE(0, tx);
	for (i = 0; i < 4; i++) {
		ASSERT_LT(0, send_to(tx, S1_IP, 9103, "on-s1"));
		ASSERT_LT(0, recv_wait(b, buf, sizeof(buf), 2000));
		EXPECT_STREQ("on-s1", buf);
		ASSERT_LT(0, send_to(tx, S0_IP, 9103, "on-s0"));
		ASSERT_LT(0, recv_wait(a, buf, sizeof(buf), 2000));
		EXPECT_STREQ("on-s0", buf);
	}
	EXPECT_EQ(-1, recv(a, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(-1, recv(b, buf, sizeof(buf), MSG_DONTWAIT));

	close(a);
	noports = toy_stat("NoPorts");
	close(tx);
	tx = sock_in(ns_c, SOCK_DGRAM);
	ASSERT_LE(0, tx);
	ASSERT_EQ(0, connect(tx, (struct sockaddr *)&dst, sizeof(dst)));
	ASSERT_LT(0, send(tx, "lost", 4, 0));
	p.fd = tx;
	ASSERT_EQ(1, poll(&p, 1, 5000 * toy_timeout_scale()));
	EXPECT_EQ(ECONNREFUSED, so_error(tx));
	EXPECT_EQ(noports + 1, toy_stat("NoPorts"));
	EXPECT_EQ(-1, recv(b, buf, sizeof(buf), MSG_DONTWAIT));
	close(tx);
	close(b);
}

/*
 * The debugfs lookup takes the device a segment came in on, and answers
 * as the receive path would: a socket bound to a device only for that
 * device, and no device named only for sockets bound to none.
 */
TEST_F(peers, debugfs_lookup_takes_the_device)
{
	struct sockaddr_toy any = taddr("0.0.0.0", 9104);
	int l, d;

	l = listener_dev(9104, "s0", 0);
	ASSERT_LE(0, l);
	d = socket(TOY_AF, SOCK_DGRAM, 0);
	ASSERT_LE(0, d);
	ASSERT_EQ(0, bind_dev(d, "s1"));
	ASSERT_EQ(0, bind(d, (struct sockaddr *)&any, sizeof(any)));

	EXPECT_EQ(fd_ino(l), lookup("stream " C0_IP ":5000 " S0_IP ":9104 s0"));
	EXPECT_EQ(0, lookup("stream " C0_IP ":5000 " S0_IP ":9104 s1"));
	EXPECT_EQ(0, lookup("stream " C0_IP ":5000 " S0_IP ":9104"));
	EXPECT_EQ(fd_ino(d), lookup("dgram " C0_IP ":5000 " S1_IP ":9104 s1"));
	EXPECT_EQ(0, lookup("dgram " C0_IP ":5000 " S1_IP ":9104 s0"));
	EXPECT_EQ(-ENODEV, lookup("stream " C0_IP ":5000 " S0_IP ":9104 nosuch"));
	close(d);
	close(l);
}

/* RetransSegs and Timeouts of this namespace. */
static void rtx_stats(long *retrans, long *timeouts)
{
	*retrans = toy_stat("RetransSegs");
	*timeouts = toy_stat("Timeouts");
}

/*
 * With net.toy.retries2 = N, a connection whose peer falls silent
 * retransmits its segment exactly N times and fails with ETIMEDOUT at
 * the next timeout, N+1 timeouts in all (tcp_retries2's meaning).  At
 * retries2 = 255 the count (a u8) must not wrap to "never"; a test of
 * that would wait 256 timeouts, hours at the 120 s maximum RTO, so only
 * the boundary arithmetic shared with these values is tested here.
 */
TEST_F(peers, retries2_gives_up_after_exactly_that_many)
{
	long r0, t0, r1, t1;
	char n[8], buf[8];
	struct sockaddr_toy a = taddr(C0_IP, 9200);
	int l, c, s, r;
	struct pollfd p;

	l = sock_in(ns_c, SOCK_STREAM);
	ASSERT_LE(0, l);
	ASSERT_EQ(0, bind(l, (struct sockaddr *)&a, sizeof(a)));
	ASSERT_EQ(0, listen(l, 4));
	ASSERT_EQ(0, system("modprobe -q sch_netem"));
	for (r = 1; r <= 3; r++) {
		snprintf(n, sizeof(n), "%d", r);
		ASSERT_EQ(0, sysctl_write("retries2", n));
		c = socket(TOY_AF, SOCK_STREAM, 0);
		ASSERT_LE(0, c);
		ASSERT_EQ(0, connect(c, (struct sockaddr *)&a, sizeof(a)));
		s = accept_wait(l, 2000);
		ASSERT_LE(0, s);
		/* One round trip, so the RTO is the minimum. */
		ASSERT_EQ(1, write(c, "a", 1));
		ASSERT_EQ(1, read(s, buf, 1));

		ASSERT_EQ(0, system("tc qdisc add dev s0 root netem loss 100%"));
		rtx_stats(&r0, &t0);
		ASSERT_EQ(1, write(c, "b", 1));
		p = (struct pollfd){ .fd = c, .events = POLLIN };
		ASSERT_EQ(1, poll(&p, 1, 60000 * toy_timeout_scale()));
		EXPECT_EQ(-1, read(c, buf, 1));
		EXPECT_EQ(ETIMEDOUT, errno);
		rtx_stats(&r1, &t1);
		EXPECT_EQ(r, r1 - r0) TH_LOG("retries2=%d", r);
		EXPECT_EQ(r + 1, t1 - t0) TH_LOG("retries2=%d", r);
		ASSERT_EQ(0, system("tc qdisc del dev s0 root"));
		close(c);
		close(s);
	}
	close(l);
}

/*
 * In a child: a fresh namespace, then @conns loopback connections closed
 * by the client first, each leaving an entry whose 2 MSL is drawn
 * between 2 ms and 2 x @msl_max ms (an entry keeps the msl_ms it started
 * with), then the number of entries still held to @wfd, and exit: the
 * namespace goes away while its entries keep expiring, one every few
 * milliseconds, until well after its exit has run.
 */
static void churn_then_exit(int conns, int msl_max, int wfd)
{
	struct sockaddr_toy a = taddr("127.0.0.1", 0);
	socklen_t alen = sizeof(a);
	char v[16];
	long held;
	int l, c, s, i;

	if (unshare(CLONE_NEWNET) || lo_up())
		_exit(1);
	l = socket(TOY_AF, SOCK_STREAM, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) ||
	    listen(l, 64) || getsockname(l, (struct sockaddr *)&a, &alen))
		_exit(2);
	for (i = 0; i < conns; i++) {
		snprintf(v, sizeof(v), "%d", 1 + rand() % msl_max);
		if (sysctl_write("msl_ms", v))
			_exit(3);
		c = socket(TOY_AF, SOCK_STREAM, 0);
		if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof(a)))
			_exit(4);
		s = accept(l, NULL, NULL);
		if (s < 0)
			_exit(5);
		close(c);
		close(s);
	}
	held = toy_stat("TWCreated") - toy_stat("TWExpired");
	if (write(wfd, &held, sizeof(held)) != sizeof(held))
		_exit(6);
	_exit(0);
}

/*
 * Run on CPU @i (modulo the CPUs there are): the entries' timers then
 * fire there, while the namespace's exit runs wherever the kernel puts
 * its worker, so with workers spread over the CPUs, some timers fire on
 * another CPU than the exit's, the case that can race.
 */
static void pin_to_cpu(int i)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(i % (n > 0 ? n : 1), &set);
	sched_setaffinity(0, sizeof(set), &set);
}

FIXTURE(twrace) {
	int dummy;
};

FIXTURE_SETUP(twrace)
{
	ASSERT_EQ(0, toy_live_wait_zero(10));
	ASSERT_EQ(0, new_netns());
}

FIXTURE_TEARDOWN(twrace)
{
	/* The workers' namespaces are on their way out (or gone). */
	EXPECT_EQ(0, toy_live_wait_zero(60));
}

#define RACE_SECS	20
#define RACE_WORKERS	3
#define RACE_CONNS	150
#define RACE_MSL_MAX	1000	/* ms: the exit runs some 0.1 to 1 s late */

/*
 * Namespaces that go away while their TIME_WAIT entries expire: each
 * holds some hundred entries when its last process exits, expiring one
 * every few milliseconds for the next 2 s, so entries' timers fire while
 * the namespace's exit purges the entries and frees the port tables,
 * some of them on another CPU than the exit's.  A handler that still
 * touched a table once the purge went past its entry would write to
 * freed memory.  The window is a few instructions wide, so this is a
 * stress test, not a proof: on the debug kernel KASAN and lockdep ("held
 * lock freed") report such a write; the stock kernel's bind table (16
 * KiB, from the page allocator) is beyond slub_debug, and only
 * page_poison=1 would show it.  It repeats for RACE_SECS (scaled, as
 * is the spread of the expiries: a slow kernel's exits run later) with
 * RACE_WORKERS namespaces at a time.
 */
TEST_F(twrace, entries_expire_while_namespace_exits)
{
	long held, total = 0;
	double end = toy_now() + RACE_SECS * toy_timeout_scale();
	int rounds = 0, i, status, p[2];
	pid_t pid[RACE_WORKERS];

	srand(getpid());
	while (toy_now() < end) {
		ASSERT_EQ(0, pipe(p));
		for (i = 0; i < RACE_WORKERS; i++) {
			int seed = rand();

			pid[i] = fork();
			ASSERT_LE(0, pid[i]);
			if (!pid[i]) {
				close(p[0]);
				srand(seed);
				pin_to_cpu(i);
				churn_then_exit(RACE_CONNS, RACE_MSL_MAX *
						toy_timeout_scale(), p[1]);
			}
		}
		close(p[1]);
		while (read(p[0], &held, sizeof(held)) == sizeof(held))
			total += held;
		close(p[0]);
		for (i = 0; i < RACE_WORKERS; i++) {
			ASSERT_EQ(pid[i], waitpid(pid[i], &status, 0));
			ASSERT_EQ(0, status) TH_LOG("worker status %#x", status);
		}
		rounds++;
	}
	TH_LOG("%d namespaces went away holding %ld entries",
	       rounds * RACE_WORKERS, total);
	/* Else the namespaces' exits had nothing to race with. */
	ASSERT_LT(0, total);
}

TEST_HARNESS_MAIN
