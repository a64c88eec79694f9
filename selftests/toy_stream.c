// SPDX-License-Identifier: GPL-2.0
/*
 * AF_TOY stream sockets end to end: the handshake and the listener /
 * connection split, every state in /proc/net/toy, closing (half-close,
 * simultaneous close, resets), and the socket API as TCP has it.
 * Every test runs in a fresh network namespace over loopback; the ones
 * that need time to look at a state slow lo down with netem, and the
 * live-object counters must be back at zero after each.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <linux/sockios.h>
#include <netinet/ip.h>
#include <linux/toy.h>

#include "kselftest_harness.h"
#include "toy_lib.h"
#include "toy_net.h"
#include "toy_seg.h"

/* TCP's state numbers, as /proc/net/toy shows them. */
enum {
	ST_ESTABLISHED = 1, ST_SYN_SENT, ST_SYN_RECV, ST_FIN_WAIT1,
	ST_FIN_WAIT2, ST_TIME_WAIT, ST_CLOSE, ST_CLOSE_WAIT, ST_LAST_ACK,
	ST_LISTEN, ST_CLOSING,
};

#define LO "127.0.0.1"

static int connect_to(int port, int flags)
{
	struct sockaddr_toy a = taddr(LO, port);
	int fd = socket(TOY_AF, SOCK_STREAM | flags, 0);

	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) &&
	    errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A connected pair on loopback: *c the client, *s the accepted one. */
static int make_pair(int port, int *c, int *s)
{
	int l = toy_listener(LO, port, 8);

	if (l < 0)
		return -1;
	*c = connect_to(port, 0);
	*s = *c < 0 ? -1 : accept(l, NULL, NULL);
	close(l);
	return *c < 0 || *s < 0 ? -1 : 0;
}

/*
 * The state of the /proc/net/toy row with local port @lport and remote
 * port @rport (0: any), or -1 when there is none.
 */
static int proc_state(int lport, int rport)
{
	char line[256];
	int state = -1;
	FILE *f = fopen("/proc/net/toy", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned int la, lp, ra, rp, st;

		if (sscanf(line, " %*d: %x:%x %x:%x %x", &la, &lp, &ra, &rp,
			   &st) != 5)
			continue;
		if ((int)lp == lport && (!rport || (int)rp == rport)) {
			state = st;
			break;
		}
	}
	fclose(f);
	return state;
}

/* Wait until that row shows @state; 1 if it did within @secs (scaled). */
static int wait_state(int lport, int rport, int state, double secs)
{
	double end = toy_now() + secs * toy_timeout_scale();

	do {
		if (proc_state(lport, rport) == state)
			return 1;
		usleep(2000);
	} while (toy_now() < end);
	return 0;
}

static int count_rows(int state, int rport)
{
	char line[256];
	int n = 0;
	FILE *f = fopen("/proc/net/toy", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned int la, lp, ra, rp, st;

		if (sscanf(line, " %*d: %x:%x %x:%x %x", &la, &lp, &ra, &rp,
			   &st) == 5 && (int)st == state && (int)rp == rport)
			n++;
	}
	fclose(f);
	return n;
}

/*
 * Read /proc/net/toy @chunk bytes at a time; the number of rows, or -1
 * if their "sl" numbers are not 0, 1, 2 ... (a row lost or repeated
 * between two reads).
 */
static int proc_rows_chunked(size_t chunk)
{
	static char all[1 << 20];
	size_t len = 0;
	char *line, *save;
	int fd = open("/proc/net/toy", O_RDONLY), rows = 0;
	ssize_t n;

	if (fd < 0)
		return -1;
	while (len + chunk < sizeof(all) &&
	       (n = read(fd, all + len, chunk)) > 0)
		len += n;
	close(fd);
	all[len] = 0;
	line = strtok_r(all, "\n", &save);	/* the header */
	while ((line = strtok_r(NULL, "\n", &save))) {
		if (atoi(line) != rows)
			return -1;
		rows++;
	}
	return rows;
}

static int peer_port(int fd)
{
	struct sockaddr_toy a;
	socklen_t len = sizeof(a);

	if (getpeername(fd, (struct sockaddr *)&a, &len))
		return -errno;
	return ntohs(a.stoy_port);
}

/* Delay everything on lo by @ms (0: remove the delay). */
static int lo_delay(int ms)
{
	char cmd[160];

	if (!ms)
		return system("tc qdisc del dev lo root 2>/dev/null; true");
	snprintf(cmd, sizeof(cmd),
		 "modprobe -q sch_netem; tc qdisc replace dev lo root netem delay %dms",
		 ms);
	return system(cmd);
}

static int lo_loss(int pct)
{
	char cmd[160];

	snprintf(cmd, sizeof(cmd),
		 "modprobe -q sch_netem; tc qdisc replace dev lo root netem loss %d%%",
		 pct);
	return system(cmd);
}

static int readable(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, ms * toy_timeout_scale()) == 1;
}

FIXTURE(stream) {
	int dummy;
};

FIXTURE_SETUP(stream)
{
	ASSERT_EQ(0, toy_live_wait_zero(10));
	ASSERT_EQ(0, new_netns());
	/* TIME_WAIT lasts 2 x 250 ms here; orphans end quickly. */
	ASSERT_EQ(0, sysctl_write("msl_ms", "250"));
	ASSERT_EQ(0, sysctl_write("fin_timeout", "1"));
}

FIXTURE_TEARDOWN(stream)
{
	lo_delay(0);
	EXPECT_EQ(0, toy_live_wait_zero(15));
}

TEST_F(stream, echo_loopback)
{
	int c, s, l = toy_listener(LO, 7000, 8);
	struct sockaddr_toy peer;
	socklen_t len = sizeof(peer);
	char buf[64];

	ASSERT_LE(0, l);
	c = connect_to(7000, 0);
	ASSERT_LE(0, c);
	s = accept(l, (struct sockaddr *)&peer, &len);
	ASSERT_LE(0, s);
	/* accept() returns the client's address; the 4-tuples mirror. */
	EXPECT_EQ(sizeof(peer), len);
	EXPECT_EQ(TOY_AF, peer.stoy_family);
	EXPECT_EQ(local_port(c), ntohs(peer.stoy_port));
	EXPECT_EQ(7000, peer_port(c));
	EXPECT_EQ(local_port(c), peer_port(s));
	EXPECT_EQ(7000, local_port(s));
	EXPECT_EQ(ST_ESTABLISHED, proc_state(local_port(c), 7000));
	EXPECT_EQ(ST_ESTABLISHED, proc_state(7000, local_port(c)));
	EXPECT_EQ(ST_LISTEN, proc_state(7000, 0));

	EXPECT_EQ(5, write(c, "hello", 5));
	EXPECT_EQ(5, read(s, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "hello", 5));
	EXPECT_EQ(3, write(s, "bye", 3));
	EXPECT_EQ(3, read(c, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "bye", 3));
	close(c);
	EXPECT_EQ(0, read(s, buf, sizeof(buf)));
	close(s);
	close(l);
}

/* What a /proc/net/toy row says after the inode, as /proc/net/tcp. */
struct proc_tail {
	unsigned long	rto, ato;	/* clock ticks (USER_HZ) */
	unsigned int	quick;		/* quick-ACKs << 1 | interactive */
	unsigned int	cwnd;
	int		ssthresh;	/* -1: no loss yet */
};

/* The tail of the row @lport -> @rport; 0, or -1 if there is none. */
static int proc_tail(int lport, int rport, struct proc_tail *t)
{
	char line[256];
	int err = -1;
	FILE *f = fopen("/proc/net/toy", "r");

	if (!f)
		return -1;
	while (err && fgets(line, sizeof(line), f)) {
		unsigned int lp, rp;

		if (sscanf(line, " %*d: %*x:%x %*x:%x %*x %*x:%*x %*x:%*x %*x %*u %*d %*u %*d %*s %lu %lu %u %u %d",
			   &lp, &rp, &t->rto, &t->ato, &t->quick, &t->cwnd,
			   &t->ssthresh) == 7 &&
		    (int)lp == lport && (int)rp == rport)
			err = 0;
	}
	fclose(f);
	return err;
}

/*
 * Each side's row shows TCP's tail: the RTO (both sides measured the
 * handshake's round trip, so it is below the 1 s of a connection
 * without a sample), the initial window of 10 segments, no ssthresh
 * yet, and interactive mode once TOY_QUICKACK 0 sets it.
 */
TEST_F(stream, proc_shows_rto_window_and_acks)
{
	struct proc_tail t;
	int c, s, zero = 0;

	ASSERT_EQ(0, make_pair(7030, &c, &s));
	ASSERT_EQ(0, proc_tail(7030, local_port(c), &t));
	EXPECT_GT(100, t.rto);		/* the passive side's sample */
	EXPECT_EQ(10, t.cwnd);
	EXPECT_EQ(-1, t.ssthresh);
	EXPECT_EQ(0, t.quick & 1);
	ASSERT_EQ(0, proc_tail(local_port(c), 7030, &t));
	EXPECT_GT(100, t.rto);
	ASSERT_EQ(0, setsockopt(s, SOL_TOY, TOY_QUICKACK, &zero,
				sizeof(zero)));
	ASSERT_EQ(0, proc_tail(7030, local_port(c), &t));
	EXPECT_EQ(1, t.quick & 1);
	close(c);
	close(s);
}

/* The child takes the listener's options (and port, netns, uid). */
TEST_F(stream, child_inherits)
{
	int l = toy_listener(LO, 7001, 8), c, s, v, rcvbuf;
	struct linger lg = { 1, 7 };
	socklen_t len = sizeof(v);

	ASSERT_LE(0, l);
	v = 1;
	ASSERT_EQ(0, setsockopt(l, SOL_SOCKET, SO_KEEPALIVE, &v, sizeof(v)));
	v = 33;
	ASSERT_EQ(0, setsockopt(l, SOL_TOY, TOY_KEEPIDLE, &v, sizeof(v)));
	v = 8192;
	ASSERT_EQ(0, setsockopt(l, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)));
	ASSERT_EQ(0, getsockopt(l, SOL_SOCKET, SO_RCVBUF, &rcvbuf, &len));
	ASSERT_EQ(0, setsockopt(l, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	v = 1;
	ASSERT_EQ(0, setsockopt(l, SOL_TOY, TOY_NODELAY, &v, sizeof(v)));
	ASSERT_EQ(0, setsockopt(l, SOL_TOY, TOY_CORK, &v, sizeof(v)));
	c = connect_to(7001, 0);
	ASSERT_LE(0, c);
	s = accept(l, NULL, NULL);
	ASSERT_LE(0, s);
	EXPECT_EQ(0, getsockopt(s, SOL_SOCKET, SO_KEEPALIVE, &v, &len));
	EXPECT_EQ(1, v);
	EXPECT_EQ(0, getsockopt(s, SOL_TOY, TOY_KEEPIDLE, &v, &len));
	EXPECT_EQ(33, v);
	EXPECT_EQ(0, getsockopt(s, SOL_TOY, TOY_NODELAY, &v, &len));
	EXPECT_EQ(1, v);
	EXPECT_EQ(0, getsockopt(s, SOL_TOY, TOY_CORK, &v, &len));
	EXPECT_EQ(1, v);
	EXPECT_EQ(0, getsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, &len));
	EXPECT_EQ(rcvbuf, v);
	len = sizeof(lg);
	memset(&lg, 0, sizeof(lg));
	EXPECT_EQ(0, getsockopt(s, SOL_SOCKET, SO_LINGER, &lg, &len));
	EXPECT_EQ(1, lg.l_onoff);
	EXPECT_EQ(7, lg.l_linger);
	EXPECT_EQ(7001, local_port(s));
	close(c);
	close(s);
	close(l);
}

TEST_F(stream, accept_semantics)
{
	int l = toy_listener(LO, 7002, 8), n, c, s, fl;
	struct timeval tv = { 0, 200000 };
	char buf[8];

	ASSERT_LE(0, l);
	/* Nonblocking with nobody waiting. */
	fl = fcntl(l, F_GETFL);
	ASSERT_EQ(0, fcntl(l, F_SETFL, fl | O_NONBLOCK));
	EXPECT_EQ(-1, accept(l, NULL, NULL));
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(0, fcntl(l, F_SETFL, fl));
	/* accept4 flags reach the new file. */
	c = connect_to(7002, 0);
	ASSERT_LE(0, c);
	s = accept4(l, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	ASSERT_LE(0, s);
	EXPECT_TRUE(fcntl(s, F_GETFL) & O_NONBLOCK);
	EXPECT_TRUE(fcntl(s, F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ(-1, read(s, buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);
	/* The listener never carries data. */
	EXPECT_EQ(-1, recv(l, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(ENOTCONN, errno);
	EXPECT_EQ(-1, send(l, "x", 1, MSG_NOSIGNAL));
	EXPECT_EQ(EPIPE, errno);
	/* Nor an empty one (as TCP: the state is checked, not the length). */
	EXPECT_EQ(-1, send(l, "", 0, MSG_NOSIGNAL));
	EXPECT_EQ(EPIPE, errno);
	/* accept() on what does not listen. */
	EXPECT_EQ(-1, accept(c, NULL, NULL));
	EXPECT_EQ(EINVAL, errno);
	n = socket(TOY_AF, SOCK_STREAM, 0);
	EXPECT_EQ(-1, accept(n, NULL, NULL));
	EXPECT_EQ(EINVAL, errno);
	/* Blocking accept() with SO_RCVTIMEO. */
	ASSERT_EQ(0, setsockopt(l, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	EXPECT_EQ(-1, accept(l, NULL, NULL));
	EXPECT_EQ(EAGAIN, errno);
	close(n);
	close(c);
	close(s);
	close(l);
}

TEST_F(stream, nonblocking_connect)
{
	struct sockaddr_toy a = taddr(LO, 7003);
	int l = toy_listener(LO, 7003, 8), c, s;
	struct pollfd p;

	ASSERT_LE(0, l);
	ASSERT_EQ(0, lo_delay(100));
	c = socket(TOY_AF, SOCK_STREAM | SOCK_NONBLOCK, 0);
	ASSERT_LE(0, c);
	EXPECT_EQ(-1, connect(c, (struct sockaddr *)&a, sizeof(a)));
	EXPECT_EQ(EINPROGRESS, errno);
	EXPECT_EQ(-1, connect(c, (struct sockaddr *)&a, sizeof(a)));
	EXPECT_EQ(EALREADY, errno);
	p = (struct pollfd){ .fd = c, .events = POLLOUT | POLLIN };
	EXPECT_EQ(0, poll(&p, 1, 0));	/* nothing during the handshake */
	EXPECT_EQ(1, poll(&p, 1, 5000 * toy_timeout_scale()));
	EXPECT_EQ(POLLOUT, p.revents);
	EXPECT_EQ(0, so_error(c));
	/* As TCP: the next connect() reports success, then EISCONN. */
	EXPECT_EQ(0, connect(c, (struct sockaddr *)&a, sizeof(a)));
	EXPECT_EQ(-1, connect(c, (struct sockaddr *)&a, sizeof(a)));
	EXPECT_EQ(EISCONN, errno);
	s = accept(l, NULL, NULL);
	EXPECT_LE(0, s);
	close(s);
	close(c);
	close(l);
}

TEST_F(stream, nonblocking_connect_refused)
{
	struct sockaddr_toy a = taddr(LO, 7004);
	struct pollfd p;
	int c;

	c = socket(TOY_AF, SOCK_STREAM | SOCK_NONBLOCK, 0);
	ASSERT_LE(0, c);
	ASSERT_EQ(0, lo_delay(50));
	EXPECT_EQ(-1, connect(c, (struct sockaddr *)&a, sizeof(a)));
	EXPECT_EQ(EINPROGRESS, errno);
	p = (struct pollfd){ .fd = c, .events = POLLOUT | POLLIN };
	EXPECT_EQ(1, poll(&p, 1, 5000 * toy_timeout_scale()));
	EXPECT_TRUE(p.revents & POLLERR);
	EXPECT_TRUE(p.revents & POLLHUP);
	EXPECT_EQ(ECONNREFUSED, so_error(c));
	EXPECT_EQ(0, so_error(c));	/* reading SO_ERROR clears it */
	close(c);
}

/* 100 connections from one process to one listener, all at once. */
TEST_F(stream, hundred_connections)
{
	int l = toy_listener(LO, 7005, 128), c[100], s[100], i, j, ports[100];
	char buf[16];

	ASSERT_LE(0, l);
	for (i = 0; i < 100; i++) {
		c[i] = connect_to(7005, 0);
		ASSERT_LE(0, c[i]);
		ports[i] = local_port(c[i]);
		for (j = 0; j < i; j++)
			ASSERT_NE(ports[j], ports[i]);
	}
	/* Client ends and accepted ends, all in /proc/net/toy. */
	EXPECT_EQ(100, count_rows(ST_ESTABLISHED, 7005));
	/* 201 rows however small the reads: each read resumes exactly. */
	EXPECT_EQ(201, proc_rows_chunked(97));
	EXPECT_EQ(201, proc_rows_chunked(4096));
	for (i = 0; i < 100; i++) {
		s[i] = accept(l, NULL, NULL);
		ASSERT_LE(0, s[i]);
		EXPECT_EQ(ST_ESTABLISHED, proc_state(7005, peer_port(s[i])));
	}
	for (i = 0; i < 100; i++) {
		snprintf(buf, sizeof(buf), "%d", i);
		EXPECT_EQ((ssize_t)strlen(buf), write(c[i], buf, strlen(buf)));
	}
	for (i = 0; i < 100; i++) {
		char got[16] = "";
		int k;

		/* Accept order is arrival order; match by peer port. */
		for (k = 0; k < 100 && ports[k] != peer_port(s[i]); k++)
			;
		ASSERT_LT(k, 100);
		snprintf(buf, sizeof(buf), "%d", k);
		EXPECT_EQ((ssize_t)strlen(buf), read(s[i], got, sizeof(got)));
		EXPECT_EQ(0, strncmp(buf, got, strlen(buf)));
	}
	for (i = 0; i < 100; i++) {
		close(c[i]);
		close(s[i]);
	}
	close(l);
}

static volatile int busy_stop;

/* Hold the listener's socket lock over and over (setsockopt takes it). */
static void *busy_listener(void *arg)
{
	int fd = *(int *)arg, v = 1 << 20;

	while (!busy_stop)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
	return NULL;
}

/*
 * Handshakes that complete while a user holds the listener: their ACKs
 * wait in the listener's backlog and complete in release_sock().
 */
TEST_F(stream, handshakes_while_listener_busy)
{
	int l = toy_listener(LO, 7033, 128), c[64], i, s;
	struct pollfd p;
	pthread_t t;

	ASSERT_LE(0, l);
	busy_stop = 0;
	ASSERT_EQ(0, pthread_create(&t, NULL, busy_listener, &l));
	for (i = 0; i < 64; i++) {
		c[i] = connect_to(7033, SOCK_NONBLOCK);
		ASSERT_LE(0, c[i]);
	}
	for (i = 0; i < 64; i++) {
		p = (struct pollfd){ .fd = c[i], .events = POLLOUT };
		EXPECT_EQ(1, poll(&p, 1, 20000 * toy_timeout_scale()));
		EXPECT_EQ(0, so_error(c[i]));
	}
	for (i = 0; i < 64; i++) {
		s = accept(l, NULL, NULL);
		EXPECT_LE(0, s);
		close(s);
	}
	busy_stop = 1;
	pthread_join(t, NULL);
	for (i = 0; i < 64; i++)
		close(c[i]);
	close(l);
}

/*
 * listen(fd, 1): the accept queue holds backlog + 1 children (as TCP);
 * a further client's SYNs are dropped, so it stays in SYN_SENT, until
 * accept() makes room and its retransmitted SYN gets through.
 */
TEST_F(stream, full_backlog)
{
	int l = toy_listener(LO, 7006, 1), c[3], s, i;
	struct pollfd p;

	ASSERT_LE(0, l);
	for (i = 0; i < 2; i++) {
		c[i] = connect_to(7006, 0);
		ASSERT_LE(0, c[i]);
	}
	c[2] = connect_to(7006, SOCK_NONBLOCK);
	ASSERT_LE(0, c[2]);
	p = (struct pollfd){ .fd = c[2], .events = POLLOUT };
	EXPECT_EQ(0, poll(&p, 1, 1500));
	EXPECT_EQ(ST_SYN_SENT, proc_state(local_port(c[2]), 7006));
	EXPECT_LT(0, toy_stat("ListenOverflows"));
	s = accept(l, NULL, NULL);
	ASSERT_LE(0, s);
	close(s);
	/* Its next SYN (2 s, then 4 s after the first) is accepted. */
	EXPECT_EQ(1, poll(&p, 1, 15000 * toy_timeout_scale()));
	EXPECT_EQ(0, so_error(c[2]));
	EXPECT_EQ(ST_ESTABLISHED, proc_state(local_port(c[2]), 7006));
	for (i = 0; i < 3; i++)
		close(c[i]);
	close(l);
}

/* Closing a listener resets the children nobody accepted. */
TEST_F(stream, listener_close_resets_children)
{
	int l = toy_listener(LO, 7007, 8), c[3], i;
	char buf[4];

	ASSERT_LE(0, l);
	for (i = 0; i < 3; i++) {
		c[i] = connect_to(7007, 0);
		ASSERT_LE(0, c[i]);
	}
	/* The listener, three clients and three children. */
	EXPECT_EQ(7, toy_live_wait("sockets", 7, 5));
	close(l);
	for (i = 0; i < 3; i++) {
		EXPECT_TRUE(readable(c[i], 5000));
		EXPECT_EQ(-1, read(c[i], buf, sizeof(buf)));
		EXPECT_EQ(ECONNRESET, errno);
		close(c[i]);
	}
}

/* ... and its half-open entries. */
TEST_F(stream, listener_close_resets_half_open)
{
	int l = toy_listener(LO, 7008, 8), c;
	struct pollfd p;

	ASSERT_LE(0, l);
	ASSERT_EQ(0, lo_delay(300));
	c = connect_to(7008, SOCK_NONBLOCK);
	ASSERT_LE(0, c);
	/* The SYN arrives after 300 ms; the SYN-ACK takes 300 ms more. */
	ASSERT_TRUE(wait_state(7008, local_port(c), ST_SYN_RECV, 5));
	EXPECT_EQ(1, toy_live("requests"));
	close(l);
	EXPECT_EQ(0, toy_live("requests"));
	p = (struct pollfd){ .fd = c, .events = POLLOUT };
	EXPECT_EQ(1, poll(&p, 1, 5000 * toy_timeout_scale()));
	/* SYN-ACK then reset, or the reset alone: not connected. */
	usleep(700000);
	EXPECT_EQ(-1, proc_state(local_port(c), 7008));
	EXPECT_NE(0, so_error(c) + (read(c, &p, 1) < 0 ? 1 : 0));
	close(c);
}

TEST_F(stream, half_close)
{
	char buf[64];
	int c, s, cp;

	ASSERT_EQ(0, make_pair(7009, &c, &s));
	cp = local_port(c);
	EXPECT_EQ(4, write(c, "ping", 4));
	EXPECT_EQ(0, shutdown(c, SHUT_WR));
	EXPECT_EQ(4, read(s, buf, sizeof(buf)));
	EXPECT_EQ(0, read(s, buf, sizeof(buf)));	/* the client's FIN */
	EXPECT_TRUE(wait_state(local_port(c), 7009, ST_FIN_WAIT2, 5));
	EXPECT_EQ(ST_CLOSE_WAIT, proc_state(7009, local_port(c)));
	/* The other direction still flows. */
	EXPECT_EQ(6, write(s, "pong 1", 6));
	EXPECT_EQ(6, write(s, "pong 2", 6));
	EXPECT_EQ(12, recv(c, buf, 12, MSG_WAITALL));
	EXPECT_EQ(0, memcmp(buf, "pong 1pong 2", 12));
	EXPECT_EQ(-1, send(c, "x", 1, MSG_NOSIGNAL));
	EXPECT_EQ(EPIPE, errno);
	EXPECT_EQ(-1, send(c, "", 0, MSG_NOSIGNAL));
	EXPECT_EQ(EPIPE, errno);
	close(s);
	EXPECT_EQ(0, read(c, buf, sizeof(buf)));
	/*
	 * A TIME_WAIT entry holds the 4-tuple; the socket itself is
	 * closed and, as TCP's, has given its automatic port back.
	 */
	EXPECT_TRUE(wait_state(cp, 7009, ST_TIME_WAIT, 5));
	EXPECT_EQ(0, local_port(c));
	close(c);
}

/*
 * Every state in /proc/net/toy.  netem slows lo down by 400 ms each
 * way, which holds each passing state long enough to be seen.
 */
TEST_F(stream, all_eleven_states)
{
	struct sockaddr_toy a = taddr(LO, 7010);
	int l, c, s, b, cp;

	/* CLOSE: a bound socket, connected to nothing. */
	b = socket(TOY_AF, SOCK_STREAM, 0);
	ASSERT_LE(0, b);
	ASSERT_EQ(0, bind(b, (struct sockaddr *)&(struct sockaddr_toy)
			  { .stoy_family = TOY_AF, .stoy_port = htons(7011) },
			  sizeof(a)));
	EXPECT_EQ(ST_CLOSE, proc_state(7011, 0));
	close(b);

	l = toy_listener(LO, 7010, 8);
	ASSERT_LE(0, l);
	EXPECT_EQ(ST_LISTEN, proc_state(7010, 0));

	ASSERT_EQ(0, lo_delay(400));
	c = connect_to(7010, SOCK_NONBLOCK);
	ASSERT_LE(0, c);
	cp = local_port(c);
	EXPECT_EQ(ST_SYN_SENT, proc_state(cp, 7010));
	EXPECT_TRUE(wait_state(7010, cp, ST_SYN_RECV, 5));
	EXPECT_TRUE(wait_state(cp, 7010, ST_ESTABLISHED, 5));
	s = accept(l, NULL, NULL);	/* blocks until the ACK lands */
	ASSERT_LE(0, s);
	EXPECT_EQ(ST_ESTABLISHED, proc_state(7010, cp));

	/* Active close by the client, passive by the server. */
	EXPECT_EQ(0, shutdown(c, SHUT_WR));
	EXPECT_EQ(ST_FIN_WAIT1, proc_state(cp, 7010));
	EXPECT_TRUE(wait_state(7010, cp, ST_CLOSE_WAIT, 5));
	EXPECT_TRUE(wait_state(cp, 7010, ST_FIN_WAIT2, 5));
	EXPECT_EQ(0, shutdown(s, SHUT_WR));
	EXPECT_EQ(ST_LAST_ACK, proc_state(7010, cp));
	EXPECT_TRUE(wait_state(cp, 7010, ST_TIME_WAIT, 5));
	close(s);
	close(c);

	/* Simultaneous close: both FINs cross, both sides CLOSING. */
	c = connect_to(7010, 0);
	ASSERT_LE(0, c);
	s = accept(l, NULL, NULL);
	ASSERT_LE(0, s);
	cp = local_port(c);
	EXPECT_EQ(0, shutdown(c, SHUT_WR));
	EXPECT_EQ(0, shutdown(s, SHUT_WR));
	EXPECT_TRUE(wait_state(cp, 7010, ST_CLOSING, 5));
	EXPECT_TRUE(wait_state(7010, cp, ST_CLOSING, 5));
	EXPECT_TRUE(wait_state(cp, 7010, ST_TIME_WAIT, 5));
	EXPECT_TRUE(wait_state(7010, cp, ST_TIME_WAIT, 5));
	close(s);
	close(c);
	close(l);
}

/* Two sockets connect() to each other at once: both SYNs cross. */
TEST_F(stream, simultaneous_open)
{
	struct sockaddr_toy a1 = taddr(LO, 7012), a2 = taddr(LO, 7013);
	int s1 = socket(TOY_AF, SOCK_STREAM | SOCK_NONBLOCK, 0);
	int s2 = socket(TOY_AF, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct pollfd p[2];
	char buf[8];

	ASSERT_LE(0, s1);
	ASSERT_LE(0, s2);
	ASSERT_EQ(0, bind(s1, (struct sockaddr *)&a1, sizeof(a1)));
	ASSERT_EQ(0, bind(s2, (struct sockaddr *)&a2, sizeof(a2)));
	ASSERT_EQ(0, lo_delay(300));
	EXPECT_EQ(-1, connect(s1, (struct sockaddr *)&a2, sizeof(a2)));
	EXPECT_EQ(EINPROGRESS, errno);
	EXPECT_EQ(-1, connect(s2, (struct sockaddr *)&a1, sizeof(a1)));
	EXPECT_EQ(EINPROGRESS, errno);
	/* Each got a SYN while in SYN_SENT: SYN_RECV, SYN-ACKs cross. */
	EXPECT_TRUE(wait_state(7012, 7013, ST_SYN_RECV, 5));
	EXPECT_TRUE(wait_state(7013, 7012, ST_SYN_RECV, 5));
	p[0] = (struct pollfd){ .fd = s1, .events = POLLOUT };
	p[1] = (struct pollfd){ .fd = s2, .events = POLLOUT };
	EXPECT_EQ(1, poll(&p[0], 1, 5000 * toy_timeout_scale()));
	EXPECT_EQ(1, poll(&p[1], 1, 5000 * toy_timeout_scale()));
	EXPECT_EQ(0, so_error(s1));
	EXPECT_EQ(0, so_error(s2));
	EXPECT_EQ(ST_ESTABLISHED, proc_state(7012, 7013));
	EXPECT_EQ(ST_ESTABLISHED, proc_state(7013, 7012));
	lo_delay(0);
	EXPECT_EQ(2, write(s1, "hi", 2));
	EXPECT_TRUE(readable(s2, 5000));
	EXPECT_EQ(2, read(s2, buf, sizeof(buf)));
	close(s1);
	close(s2);
}

/* A reset from LO:@sport to LO:@dport at sequence number @seq. */
static void send_rst(int raw, int sport, int dport, uint32_t seq)
{
	toy_seg_send(raw, TOY_SEG_SELF(toy_in(LO), .sport = sport,
				       .dport = dport, .flags = TOY_RST,
				       .seq = seq));
}

/*
 * RFC 5961: a reset is obeyed only at exactly rcv_nxt; in the window
 * but not exact, it draws a challenge ACK; outside, nothing.
 */
TEST_F(stream, blind_reset)
{
	int raw = socket(AF_INET, SOCK_RAW, IPPROTO_TOY);
	struct toy_sniffed got;
	int c, s, cp;
	uint32_t rcv_nxt;
	long challenges;
	char buf[8];

	ASSERT_LE(0, raw);
	ASSERT_EQ(0, make_pair(7014, &c, &s));
	cp = local_port(c);
	/* Learn the client's rcv_nxt from a segment the server sends. */
	EXPECT_EQ(3, write(s, "abc", 3));
	do {	/* past the handshake's segments, to the data */
		ASSERT_EQ(1, toy_seg_sniff(raw, 7014, cp, &got, 5));
	} while (!got.len);
	ASSERT_EQ(3, got.len);
	rcv_nxt = ntohl(got.th.seq) + 3;
	EXPECT_EQ(3, read(c, buf, sizeof(buf)));

	send_rst(raw, 7014, cp, rcv_nxt + 1000000);	/* far outside */
	challenges = toy_stat("ChallengeACKs");
	send_rst(raw, 7014, cp, rcv_nxt + 10);		/* in, not exact */
	EXPECT_EQ(1, toy_seg_sniff(raw, cp, 7014, &got, 5));
	EXPECT_EQ(TOY_ACK, got.th.flags);		/* the challenge */
	EXPECT_EQ(rcv_nxt, ntohl(got.th.ack_seq));
	EXPECT_LT(challenges, toy_stat("ChallengeACKs"));
	usleep(100000);
	EXPECT_EQ(ST_ESTABLISHED, proc_state(cp, 7014));
	EXPECT_EQ(2, write(s, "ok", 2));
	EXPECT_TRUE(readable(c, 5000));
	EXPECT_EQ(2, read(c, buf, sizeof(buf)));

	send_rst(raw, 7014, cp, rcv_nxt + 2);		/* exact */
	EXPECT_TRUE(readable(c, 5000));
	EXPECT_EQ(-1, read(c, buf, sizeof(buf)));
	EXPECT_EQ(ECONNRESET, errno);
	EXPECT_EQ(-1, proc_state(cp, 7014));
	close(c);
	close(s);
	close(raw);
}

TEST_F(stream, msg_flags)
{
	char buf[64];
	int c, s;

	ASSERT_EQ(0, make_pair(7015, &c, &s));
	EXPECT_EQ(-1, recv(c, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(6, write(s, "abcdef", 6));
	EXPECT_TRUE(readable(c, 5000));
	EXPECT_EQ(3, recv(c, buf, 3, MSG_PEEK));
	EXPECT_EQ(0, memcmp(buf, "abc", 3));
	EXPECT_EQ(6, recv(c, buf, sizeof(buf), MSG_PEEK));
	EXPECT_EQ(6, recv(c, buf, sizeof(buf), 0));
	EXPECT_EQ(0, memcmp(buf, "abcdef", 6));
	/* MSG_WAITALL collects several segments. */
	if (fork() == 0) {
		usleep(100000);
		write(s, "12", 2);
		usleep(100000);
		write(s, "345", 3);
		_exit(0);
	}
	EXPECT_EQ(5, recv(c, buf, 5, MSG_WAITALL));
	EXPECT_EQ(0, memcmp(buf, "12345", 5));
	wait(NULL);
	EXPECT_EQ(-1, send(c, "x", 1, MSG_OOB));
	EXPECT_EQ(EOPNOTSUPP, errno);
	close(c);
	close(s);
}

static volatile sig_atomic_t got_pipe;

static void on_pipe(int sig)
{
	got_pipe = 1;
}

TEST_F(stream, epipe_and_sigpipe)
{
	int c, s;

	ASSERT_EQ(0, make_pair(7016, &c, &s));
	signal(SIGPIPE, on_pipe);
	EXPECT_EQ(0, shutdown(c, SHUT_WR));
	EXPECT_EQ(-1, send(c, "x", 1, MSG_NOSIGNAL));
	EXPECT_EQ(EPIPE, errno);
	EXPECT_EQ(0, got_pipe);
	EXPECT_EQ(-1, write(c, "x", 1));
	EXPECT_EQ(EPIPE, errno);
	EXPECT_EQ(1, got_pipe);
	/* Never connected: EPIPE as well, as TCP. */
	close(c);
	c = socket(TOY_AF, SOCK_STREAM, 0);
	EXPECT_EQ(-1, send(c, "x", 1, MSG_NOSIGNAL));
	EXPECT_EQ(EPIPE, errno);
	close(c);
	close(s);
}

TEST_F(stream, poll_events)
{
	struct linger lg = { 1, 0 };
	struct pollfd p;
	int c, s;
	char buf[8];

	/* A fresh socket: HUP and OUT, as TCP's poll says. */
	c = socket(TOY_AF, SOCK_STREAM, 0);
	p = (struct pollfd){ .fd = c, .events = POLLIN | POLLOUT | POLLRDHUP };
	EXPECT_EQ(1, poll(&p, 1, 0));
	EXPECT_EQ(POLLOUT | POLLHUP, p.revents);
	close(c);

	ASSERT_EQ(0, make_pair(7017, &c, &s));
	p = (struct pollfd){ .fd = c, .events = POLLIN | POLLOUT | POLLRDHUP };
	EXPECT_EQ(1, poll(&p, 1, 0));
	EXPECT_EQ(POLLOUT, p.revents);
	EXPECT_EQ(1, write(s, "x", 1));
	EXPECT_EQ(1, poll(&p, 1, 5000));
	usleep(50000);
	EXPECT_EQ(1, poll(&p, 1, 0));
	EXPECT_EQ(POLLIN | POLLOUT, p.revents);
	EXPECT_EQ(1, read(c, buf, 1));
	EXPECT_EQ(0, shutdown(s, SHUT_WR));
	p.events = POLLRDHUP;		/* wait for the FIN */
	EXPECT_EQ(1, poll(&p, 1, 5000 * toy_timeout_scale()));
	p.events = POLLIN | POLLOUT | POLLRDHUP;
	EXPECT_EQ(1, poll(&p, 1, 0));
	EXPECT_EQ(POLLIN | POLLOUT | POLLRDHUP, p.revents);
	close(s);
	EXPECT_EQ(0, shutdown(c, SHUT_WR));
	p.events = 0;			/* HUP is always reported */
	EXPECT_EQ(1, poll(&p, 1, 5000 * toy_timeout_scale()));
	EXPECT_TRUE(p.revents & POLLHUP);
	close(c);
	/* Reset: ERR and HUP. */
	ASSERT_EQ(0, make_pair(7018, &c, &s));
	ASSERT_EQ(0, setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	close(s);
	p = (struct pollfd){ .fd = c, .events = POLLIN };
	EXPECT_EQ(1, poll(&p, 1, 5000));
	EXPECT_TRUE(p.revents & POLLERR);
	EXPECT_TRUE(p.revents & POLLHUP);
	EXPECT_EQ(ECONNRESET, so_error(c));
	close(c);
}

TEST_F(stream, ioctl_queues)
{
	int c, s, n, l;
	double t0;

	ASSERT_EQ(0, make_pair(7019, &c, &s));
	EXPECT_EQ(0, ioctl(c, SIOCINQ, &n));
	EXPECT_EQ(0, n);
	EXPECT_EQ(10, write(s, "0123456789", 10));
	EXPECT_TRUE(readable(c, 5000));
	EXPECT_EQ(0, ioctl(c, SIOCINQ, &n));
	EXPECT_EQ(10, n);
	t0 = toy_now();		/* the ACK may still be on its way */
	do {
		EXPECT_EQ(0, ioctl(s, SIOCOUTQ, &n));
	} while (n && toy_now() - t0 < 5 * toy_timeout_scale() &&
		 !usleep(10000));
	EXPECT_EQ(0, n);	/* acknowledged */
	/* With the peer silenced, the bytes stay unacknowledged. */
	ASSERT_EQ(0, lo_loss(100));
	EXPECT_EQ(5, write(s, "abcde", 5));
	EXPECT_EQ(0, ioctl(s, SIOCOUTQ, &n));
	EXPECT_EQ(5, n);
	lo_delay(0);
	l = toy_listener(LO, 7020, 1);
	EXPECT_EQ(-1, ioctl(l, SIOCINQ, &n));
	EXPECT_EQ(EINVAL, errno);
	close(l);
	close(c);
	close(s);
}

/* A bad buffer: EFAULT, and the stream loses nothing. */
TEST_F(stream, efault_keeps_data)
{
	char *bad = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
			 -1, 0);
	char buf[16];
	int c, s;

	ASSERT_NE(MAP_FAILED, bad);
	ASSERT_EQ(0, make_pair(7021, &c, &s));
	EXPECT_EQ(-1, write(s, bad, 100));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(4, write(s, "good", 4));
	EXPECT_TRUE(readable(c, 5000));
	EXPECT_EQ(-1, read(c, bad, 4));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(4, read(c, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "good", 4));
	munmap(bad, 4096);
	close(c);
	close(s);
}

TEST_F(stream, rcvtimeo)
{
	struct timeval tv = { 0, 300000 };
	double t0;
	char buf[4];
	int c, s;

	ASSERT_EQ(0, make_pair(7022, &c, &s));
	ASSERT_EQ(0, setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	t0 = toy_now();
	EXPECT_EQ(-1, read(c, buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_LE(0.25, toy_now() - t0);
	close(c);
	close(s);
}

/*
 * A reader that does not read: its window closes, the writer fills
 * SO_SNDBUF and gets EAGAIN (and no POLLOUT); then everything arrives,
 * in order, once the reader reads (zero-window probes reopen it).
 */
TEST_F(stream, zero_window)
{
	int c, s, v = 4096, total = 0, got = 0, i;
	static char buf[65536];
	struct pollfd p;
	unsigned char x = 0;

	ASSERT_EQ(0, make_pair(7023, &c, &s));
	ASSERT_EQ(0, setsockopt(c, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)));
	v = 16384;
	ASSERT_EQ(0, setsockopt(s, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v)));
	ASSERT_EQ(0, fcntl(s, F_SETFL, O_NONBLOCK));
	/* Let the window update reach the sender. */
	EXPECT_EQ(1, write(s, &x, 1));
	EXPECT_TRUE(readable(c, 5000));
	EXPECT_EQ(1, read(c, buf, 1));
	for (;;) {
		int n;

		for (i = 0; i < 1000; i++)
			buf[i] = (unsigned char)(total + i);
		n = write(s, buf, 1000);
		if (n < 0) {
			EXPECT_EQ(EAGAIN, errno);
			break;
		}
		total += n;
		ASSERT_LT(total, 10 << 20);
	}
	p = (struct pollfd){ .fd = s, .events = POLLOUT };
	EXPECT_EQ(0, poll(&p, 1, 200));
	EXPECT_LT(4000, total);
	usleep(500000);
	while (got < total) {
		int n;

		ASSERT_TRUE(readable(c, 20000));
		n = read(c, buf, sizeof(buf));
		ASSERT_LT(0, n);
		for (i = 0; i < n; i++, got++)
			ASSERT_EQ((unsigned char)got, (unsigned char)buf[i]);
	}
	EXPECT_EQ(total, got);
	close(c);
	close(s);
}

/* SO_LINGER {1, 0}: close() resets, no TIME_WAIT. */
TEST_F(stream, linger_zero_resets)
{
	struct linger lg = { 1, 0 };
	char buf[4];
	int c, s, cp;

	ASSERT_EQ(0, make_pair(7024, &c, &s));
	cp = local_port(c);
	ASSERT_EQ(0, setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	close(c);
	EXPECT_EQ(-1, proc_state(cp, 7024));
	EXPECT_TRUE(readable(s, 5000));
	EXPECT_EQ(-1, read(s, buf, sizeof(buf)));
	EXPECT_EQ(ECONNRESET, errno);
	close(s);
}

/* SO_LINGER {1, t}: close() waits for the FIN's ACK, at most t s. */
TEST_F(stream, linger_waits)
{
	struct linger lg = { 1, 1 };
	double t0, took;
	int c, s;

	ASSERT_EQ(0, make_pair(7030, &c, &s));
	ASSERT_EQ(0, setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	/* An answering peer: close() returns once the FIN is acked. */
	t0 = toy_now();
	close(c);
	EXPECT_GT(0.9, toy_now() - t0);
	close(s);
	/* A silent one: close() gives up after the linger time. */
	ASSERT_EQ(0, make_pair(7031, &c, &s));
	ASSERT_EQ(0, setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	ASSERT_EQ(0, lo_loss(100));
	t0 = toy_now();
	close(c);
	took = toy_now() - t0;
	EXPECT_LE(0.9, took);
	EXPECT_GE(1.0 + 2 * toy_timeout_scale(), took);
	lo_delay(0);
	close(s);
}

/* SO_SNDTIMEO: a writer facing a full buffer gives up with EAGAIN. */
TEST_F(stream, sndtimeo)
{
	struct timeval tv = { 0, 300000 };
	static char buf[65536];
	int c, s, v = 8192;
	double t0;
	ssize_t n;

	ASSERT_EQ(0, make_pair(7032, &c, &s));
	ASSERT_EQ(0, setsockopt(s, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v)));
	ASSERT_EQ(0, setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)));
	ASSERT_EQ(0, lo_loss(100));	/* nothing is acknowledged */
	t0 = toy_now();
	do {
		n = write(s, buf, sizeof(buf));
	} while (n > 0 && toy_now() - t0 < 10);
	EXPECT_EQ(-1, n);
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_LE(0.25, toy_now() - t0);
	lo_delay(0);
	v = 1;
	close(c);
	setsockopt(s, SOL_SOCKET, SO_LINGER, &(struct linger){ 1, 0 },
		   sizeof(struct linger));
	close(s);
}

/* close() with unread data resets (RFC 2525), as TCP. */
TEST_F(stream, close_unread_resets)
{
	char buf[4];
	int c, s;

	ASSERT_EQ(0, make_pair(7025, &c, &s));
	EXPECT_EQ(3, write(c, "abc", 3));
	EXPECT_TRUE(readable(s, 5000));
	close(s);
	EXPECT_TRUE(readable(c, 5000));
	EXPECT_EQ(-1, read(c, buf, sizeof(buf)));
	EXPECT_EQ(ECONNRESET, errno);
	close(c);
}

/* An orphan in FIN_WAIT2 ends after net.toy.fin_timeout (1 s here). */
TEST_F(stream, orphan_fin_wait2)
{
	int c, s, cp;

	ASSERT_EQ(0, make_pair(7026, &c, &s));
	cp = local_port(c);
	close(c);
	EXPECT_TRUE(wait_state(cp, 7026, ST_FIN_WAIT2, 5));
	EXPECT_TRUE(wait_state(cp, 7026, -1, 5));
	close(s);
	/* Also when it was already in FIN_WAIT2 (SHUT_WR) at close(). */
	ASSERT_EQ(0, make_pair(7026, &c, &s));
	cp = local_port(c);
	EXPECT_EQ(0, shutdown(c, SHUT_WR));
	EXPECT_TRUE(wait_state(cp, 7026, ST_FIN_WAIT2, 5));
	close(c);
	EXPECT_TRUE(wait_state(cp, 7026, -1, 5));
	close(s);
}

/* Keepalive: a silent peer is declared dead after KEEPCNT probes. */
TEST_F(stream, keepalive_times_out)
{
	int c, s, v = 1;
	char buf[4];

	ASSERT_EQ(0, make_pair(7027, &c, &s));
	ASSERT_EQ(0, setsockopt(c, SOL_TOY, TOY_KEEPIDLE, &v, sizeof(v)));
	ASSERT_EQ(0, setsockopt(c, SOL_TOY, TOY_KEEPINTVL, &v, sizeof(v)));
	v = 2;
	ASSERT_EQ(0, setsockopt(c, SOL_TOY, TOY_KEEPCNT, &v, sizeof(v)));
	v = 0;
	EXPECT_EQ(-1, setsockopt(c, SOL_TOY, TOY_KEEPCNT, &v, sizeof(v)));
	EXPECT_EQ(EINVAL, errno);
	v = 1;
	ASSERT_EQ(0, setsockopt(c, SOL_SOCKET, SO_KEEPALIVE, &v, sizeof(v)));
	/* Answered probes keep it up. */
	sleep(3);
	EXPECT_EQ(ST_ESTABLISHED, proc_state(local_port(c), 7027));
	ASSERT_EQ(0, lo_loss(100));
	EXPECT_TRUE(readable(c, 15000));
	EXPECT_EQ(-1, read(c, buf, sizeof(buf)));
	EXPECT_EQ(ETIMEDOUT, errno);
	lo_delay(0);
	close(c);
	close(s);
}

/* Data to a vanished peer: ETIMEDOUT after net.toy.retries2 timeouts. */
TEST_F(stream, retransmission_gives_up)
{
	char buf[4];
	int c, s;

	ASSERT_EQ(0, sysctl_write("retries2", "2"));
	ASSERT_EQ(0, make_pair(7028, &c, &s));
	ASSERT_EQ(0, lo_loss(100));
	EXPECT_EQ(3, write(c, "abc", 3));
	/* 200 ms + 400 ms + 800 ms of timeouts. */
	EXPECT_TRUE(readable(c, 20000));
	EXPECT_EQ(-1, read(c, buf, sizeof(buf)));
	EXPECT_EQ(ETIMEDOUT, errno);
	EXPECT_LT(0, toy_stat("Timeouts"));
	lo_delay(0);
	close(c);
	close(s);
}

/* Bulk over loopback, with small writes and reads, in order. */
TEST_F(stream, bulk_in_order)
{
	const int total = 4 << 20;
	static unsigned char buf[100000];
	int c, s, i, st, sent = 0, got = 0;

	ASSERT_EQ(0, make_pair(7029, &c, &s));
	if (fork() == 0) {
		while (sent < total) {
			int n = 1 + (sent * 7919) % 70000;

			if (n > total - sent)
				n = total - sent;
			for (i = 0; i < n; i++)
				buf[i] = (unsigned char)((sent + i) * 31);
			n = write(s, buf, n);
			if (n <= 0)
				_exit(1);
			sent += n;
		}
		_exit(0);
	}
	close(s);
	while (got < total) {
		int n = read(c, buf, 1 + got % 50000);

		ASSERT_LT(0, n);
		for (i = 0; i < n; i++, got++)
			ASSERT_EQ((unsigned char)(got * 31), buf[i]);
	}
	EXPECT_EQ(0, read(c, buf, 1));
	wait(&st);
	EXPECT_EQ(0, st);
	close(c);
}

TEST_HARNESS_MAIN
