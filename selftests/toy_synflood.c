// SPDX-License-Identifier: GPL-2.0
/*
 * AF_TOY under a SYN flood: SYN cookies (net.toy.syncookies), the
 * namespace's limit of half-open entries (net.toy.max_syn_backlog), and
 * the listener's rules for odd segments (a stale entry's ACK, SYN+FIN, a
 * fresh SYN to a half-open entry, synack_retries over its whole range).
 *
 * The flood comes through the scripted peer (toy_peer.h): SYNs written
 * on the TUN device from many spoofed sources in 10.7.0.0/24, which never
 * answer.  A real client is either an AF_TOY socket over loopback in the
 * same namespace or the peer itself, scripting its side of the
 * handshake by hand.  Every test runs in a fresh namespace; the teardown
 * leaves it and checks that every live object is gone.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <linux/toy.h>

#include "kselftest_harness.h"
#include "toy_lib.h"
#include "toy_net.h"
#include "toy_seg.h"
#include "toy_peer.h"

#define LO		"127.0.0.1"
#define FLOOD		1000
#define ST_SYN_SENT	2

FIXTURE(flood) {
	struct toy_peer peer;
	struct toy_pseg *seg;
};

FIXTURE_SETUP(flood)
{
	ASSERT_EQ(0, toy_live_wait_zero(10));
	ASSERT_EQ(0, new_netns());
	ASSERT_EQ(0, toy_peer_open(&self->peer, 0));
	self->seg = malloc(sizeof(*self->seg));
	ASSERT_NE(NULL, self->seg);
}

FIXTURE_TEARDOWN(flood)
{
	free(self->seg);
	toy_peer_close(&self->peer);
	EXPECT_EQ(0, unshare(CLONE_NEWNET));
	EXPECT_EQ(0, toy_live_wait_zero(30));
}

/*
 * @n SYNs to port @dport from spoofed sources and ports, then whatever
 * the host answered is read off the TUN device.  0 or -errno.
 */
static int flood(struct toy_peer *p, int n, uint16_t dport)
{
	int i, err;

	for (i = 0; i < n; i++) {
		err = toy_peer_syn_from(p, toy_peer_spoofed(i), 10000 + i,
					dport, 0x1000000u * (i + 1));
		if (err)
			return err;
	}
	toy_peer_count(p, 0.5);
	return 0;
}

/*
 * How many SYN-ACKs the host sends to ports @lo..@hi within @secs (not
 * scaled); others (retransmissions to other ports) are not counted.
 */
static int count_synacks(struct toy_peer *p, int lo, int hi, double secs)
{
	struct toy_pseg *s = malloc(sizeof(*s));
	double end = toy_now() + secs;
	int n = 0;

	while (s && tpeer_recv_until(p, s, end))
		n += s->flags == (TOY_SYN | TOY_ACK) && s->dport >= lo &&
		     s->dport <= hi;
	free(s);
	return n;
}

/* A nonblocking connect() to @ip:@port; the socket, or -1. */
static int connect_nb(const char *ip, int port)
{
	struct sockaddr_toy a = taddr(ip, port);
	int fd = socket(TOY_AF, SOCK_STREAM | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return -1;
	if (!connect(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    errno == EINPROGRESS)
		return fd;
	close(fd);
	return -1;
}

/* Did @fd become writable (connected, or failed) within @ms (scaled)? */
static int wait_out(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };

	return poll(&p, 1, ms * toy_timeout_scale());
}

static int readable(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, ms * toy_timeout_scale()) == 1;
}

/* A connection waiting on listener @l, or -1 at once if none is. */
static int accept_now(int l)
{
	int fl = fcntl(l, F_GETFL), fd;

	fcntl(l, F_SETFL, fl | O_NONBLOCK);
	fd = accept(l, NULL, NULL);
	fcntl(l, F_SETFL, fl);
	return fd;
}

/* The TCP state number of the /proc/net/toy row @lport -> @rport, or -1. */
static int proc_state(int lport, int rport)
{
	unsigned int lp, rp, st;
	char line[256];
	int state = -1;
	FILE *f = fopen("/proc/net/toy", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " %*d: %*x:%x %*x:%x %x", &lp, &rp, &st) == 3 &&
		    lp == (unsigned int)lport && rp == (unsigned int)rport)
			state = st;
	fclose(f);
	return state;
}

/* Does the kernel log hold @text? */
static int klog_has(const char *text)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "dmesg | grep -qF '%s'", text);
	return system(cmd) == 0;
}

/* Write @out on @a, read it back on @b; 1 if it arrived intact. */
static int pass(int a, int b, const char *out)
{
	char in[64] = "";
	size_t n = strlen(out);

	if (write(a, out, n) != (ssize_t)n || !readable(b, 10000))
		return 0;
	return read(b, in, sizeof(in)) == (ssize_t)n && !memcmp(in, out, n);
}

/*
 * (The defence.)  A listener with backlog 8 takes 1000 spoofed SYNs: 8
 * become half-open entries, which will retransmit their SYN-ACK for a
 * minute, and the other 992 are answered with cookies and leave nothing
 * behind.  A real client still connects, through a cookie, and its
 * connection carries data both ways; the log says what happened.
 */
TEST_F(flood, backlog_8_flooded_client_still_connects)
{
	int l = toy_listener("0.0.0.0", 7100, 8), c, s;

	ASSERT_LE(0, l);
	ASSERT_EQ(0, flood(&self->peer, FLOOD, 7100));
	EXPECT_EQ(8, toy_live("requests"));
	EXPECT_EQ(FLOOD - 8, toy_stat("SyncookiesSent"));
	EXPECT_TRUE(klog_has("Possible SYN flooding on port 7100. Sending cookies."));

	c = connect_nb(LO, 7100);
	ASSERT_LE(0, c);
	ASSERT_EQ(1, wait_out(c, 10000));
	ASSERT_EQ(0, so_error(c));
	ASSERT_TRUE(readable(l, 10000));
	s = accept(l, NULL, NULL);
	ASSERT_LE(0, s);
	EXPECT_EQ(FLOOD - 8 + 1, toy_stat("SyncookiesSent"));
	EXPECT_EQ(1, toy_stat("SyncookiesRecv"));
	EXPECT_EQ(0, toy_stat("SyncookiesFailed"));
	EXPECT_EQ(8, toy_live("requests"));

	EXPECT_TRUE(pass(c, s, "ping from the client"));
	EXPECT_TRUE(pass(s, c, "pong from the server"));
	close(c);
	close(s);
	close(l);
}

/*
 * (Without the defence.)  The same flood with net.toy.syncookies = 0:
 * the 8 entries fill the listener and every other SYN is dropped, the
 * real client's too, and its retransmissions, for as long as the
 * entries live: it stays in SYN_SENT.
 */
TEST_F(flood, no_cookies_flood_keeps_client_out)
{
	int l = toy_listener("0.0.0.0", 7101, 8), c;

	ASSERT_LE(0, l);
	ASSERT_EQ(0, sysctl_write("syncookies", "0"));
	ASSERT_EQ(0, flood(&self->peer, FLOOD, 7101));
	EXPECT_EQ(8, toy_live("requests"));
	EXPECT_EQ(FLOOD - 8, toy_stat("ListenDrops"));
	EXPECT_EQ(0, toy_stat("SyncookiesSent"));
	EXPECT_TRUE(klog_has("Possible SYN flooding on port 7101. Dropping request."));

	c = connect_nb(LO, 7101);
	ASSERT_LE(0, c);
	/* Its SYN, and the one retransmitted after 1 s, are dropped. */
	EXPECT_EQ(0, wait_out(c, 2500));
	EXPECT_EQ(ST_SYN_SENT, proc_state(local_port(c), 7101));
	EXPECT_LE(FLOOD - 8 + 2, toy_stat("ListenDrops"));
	EXPECT_EQ(0, toy_stat("SyncookiesSent"));
	close(c);
	close(l);
}

/*
 * The cookie's round trip, seen from the peer: with the listener's one
 * place taken, the peer's SYN gets a SYN-ACK whose ISN is a cookie and
 * no entry is made.  The peer's ACK carries data; it makes the
 * connection, which accept() returns with the data.  The connection
 * starts from what the cookie and the ACK say: the host's data follows
 * the cookie's sequence number, its first segment fits the window of
 * the ACK (1000), not the SYN's, and the others are cut to the MSS the
 * cookie kept (1460 for the TUN device's MTU of 1500).
 */
TEST_F(flood, cookie_ack_with_data_makes_connection)
{
	struct toy_pseg *s = self->seg;
	uint32_t x = 5000000, cookie, sent = 0, largest = 0;
	char out[4000], in[64];
	int l = toy_listener("0.0.0.0", 7102, 1), c;

	ASSERT_LE(0, l);
	memset(out, 'z', sizeof(out));
	ASSERT_EQ(0, flood(&self->peer, 1, 7102));
	EXPECT_EQ(1, toy_live("requests"));

	ASSERT_EQ(0, toy_peer_send(&self->peer, 5000, 7102, TOY_SYN, x, 0,
				   60000, NULL, 0));
	ASSERT_EQ(1, toy_peer_expect(&self->peer, s, TOY_SYN | TOY_ACK, 10));
	EXPECT_EQ(5000, s->dport);
	EXPECT_EQ(x + 1, s->ack);
	cookie = s->seq;
	EXPECT_EQ(1, toy_stat("SyncookiesSent"));
	EXPECT_EQ(1, toy_live("requests"));

	ASSERT_EQ(0, toy_peer_send(&self->peer, 5000, 7102, TOY_ACK, x + 1,
				   cookie + 1, 1000, "hello cookie", 12));
	ASSERT_TRUE(readable(l, 10000));
	c = accept(l, NULL, NULL);
	ASSERT_LE(0, c);
	EXPECT_EQ(1, toy_stat("SyncookiesRecv"));
	ASSERT_TRUE(readable(c, 10000));
	ASSERT_EQ(12, read(c, in, sizeof(in)));
	EXPECT_EQ(0, memcmp(in, "hello cookie", 12));

	ASSERT_EQ(sizeof(out), write(c, out, sizeof(out)));
	do {
		ASSERT_EQ(1, toy_peer_recv(&self->peer, s, 10));
	} while (!s->len);
	EXPECT_EQ(cookie + 1, s->seq);
	EXPECT_EQ(x + 13, s->ack);
	EXPECT_EQ(1000, s->len);
	sent = s->len;
	/* A wide window: segments of the cookie's MSS. */
	ASSERT_EQ(0, toy_peer_send(&self->peer, 5000, 7102, TOY_ACK, x + 13,
				   cookie + 1 + sent, 60000, NULL, 0));
	while (sent < sizeof(out)) {
		ASSERT_EQ(1, toy_peer_recv(&self->peer, s, 10));
		if (!s->len || s->seq != cookie + 1 + sent)
			continue;
		if (s->len > largest)
			largest = s->len;
		sent += s->len;
	}
	EXPECT_EQ(sizeof(out), sent);
	EXPECT_EQ(1460, largest);
	ASSERT_EQ(0, toy_peer_send(&self->peer, 5000, 7102, TOY_RST, x + 13,
				   0, 0, NULL, 0));
	close(c);
	close(l);
}

/*
 * An ACK with a wrong cookie, from a 4-tuple that never sent a SYN or
 * from one that did, is counted in SyncookiesFailed and answered with a
 * reset, as any ACK without an entry; no connection appears.  The
 * right cookie still works afterwards.  (A cookie off by less than the
 * size of the MSS table would pass, with another MSS, as in TCP.)
 */
TEST_F(flood, forged_cookie_ack_reset)
{
	struct toy_pseg *s = self->seg;
	uint32_t x = 7000000, cookie;
	int l = toy_listener("0.0.0.0", 7103, 8), c;

	ASSERT_LE(0, l);
	ASSERT_EQ(0, sysctl_write("syncookies", "2"));
	ASSERT_EQ(0, toy_peer_send(&self->peer, 5001, 7103, TOY_SYN, x, 0,
				   8192, NULL, 0));
	ASSERT_EQ(1, toy_peer_expect(&self->peer, s, TOY_SYN | TOY_ACK, 10));
	cookie = s->seq;

	ASSERT_EQ(0, toy_peer_send(&self->peer, 5002, 7103, TOY_ACK, 777,
				   12345, 8192, "forged", 6));
	ASSERT_EQ(1, toy_peer_expect(&self->peer, s, TOY_RST, 10));
	EXPECT_EQ(5002, s->dport);
	EXPECT_EQ(12345, s->seq);
	EXPECT_EQ(1, toy_stat("SyncookiesFailed"));

	ASSERT_EQ(0, toy_peer_send(&self->peer, 5001, 7103, TOY_ACK, x + 1,
				   cookie + 0x1001, 8192, NULL, 0));
	ASSERT_EQ(1, toy_peer_expect(&self->peer, s, TOY_RST, 10));
	EXPECT_EQ(5001, s->dport);
	EXPECT_EQ(cookie + 0x1001, s->seq);
	EXPECT_EQ(2, toy_stat("SyncookiesFailed"));
	EXPECT_EQ(0, toy_stat("SyncookiesRecv"));

	EXPECT_EQ(1, toy_live("sockets"));
	EXPECT_EQ(0, toy_live("requests"));
	EXPECT_EQ(-1, accept_now(l));
	EXPECT_EQ(EAGAIN, errno);

	ASSERT_EQ(0, toy_peer_send(&self->peer, 5001, 7103, TOY_ACK, x + 1,
				   cookie + 1, 8192, NULL, 0));
	ASSERT_TRUE(readable(l, 10000));
	c = accept(l, NULL, NULL);
	ASSERT_LE(0, c);
	EXPECT_EQ(1, toy_stat("SyncookiesRecv"));
	ASSERT_EQ(0, toy_peer_send(&self->peer, 5001, 7103, TOY_RST, x + 1,
				   0, 0, NULL, 0));
	close(c);
	close(l);
}

/*
 * net.toy.syncookies = 2: every SYN gets a cookie, even with room for
 * entries, and none is made; with 1, the default, a listener with room
 * makes entries and sends no cookie.  A cookie's SYN-ACK is never
 * retransmitted: nothing remembers it.
 */
TEST_F(flood, syncookies_2_always)
{
	struct toy_pseg *s = self->seg;
	int l = toy_listener("0.0.0.0", 7104, 8), c, a;

	ASSERT_LE(0, l);
	c = connect_nb(LO, 7104);
	ASSERT_LE(0, c);
	ASSERT_EQ(1, wait_out(c, 10000));
	ASSERT_EQ(0, so_error(c));
	EXPECT_EQ(0, toy_stat("SyncookiesSent"));
	a = accept(l, NULL, NULL);
	ASSERT_LE(0, a);
	close(a);
	close(c);

	ASSERT_EQ(0, sysctl_write("syncookies", "2"));
	c = connect_nb(LO, 7104);
	ASSERT_LE(0, c);
	ASSERT_EQ(1, wait_out(c, 10000));
	ASSERT_EQ(0, so_error(c));
	EXPECT_EQ(1, toy_stat("SyncookiesSent"));
	EXPECT_EQ(1, toy_stat("SyncookiesRecv"));
	a = accept(l, NULL, NULL);
	ASSERT_LE(0, a);
	EXPECT_TRUE(pass(c, a, "both"));
	EXPECT_TRUE(pass(a, c, "ways"));
	close(a);
	close(c);

	ASSERT_EQ(0, toy_peer_send(&self->peer, 5003, 7104, TOY_SYN, 1, 0,
				   8192, NULL, 0));
	ASSERT_EQ(1, toy_peer_expect(&self->peer, s, TOY_SYN | TOY_ACK, 10));
	EXPECT_EQ(0, toy_live("requests"));
	EXPECT_EQ(2, toy_stat("SyncookiesSent"));
	/* The first retransmission of an entry's SYN-ACK would come at 1 s. */
	EXPECT_EQ(0, toy_peer_count(&self->peer, 2.5));

	ASSERT_EQ(0, sysctl_write("syncookies", "1"));
	ASSERT_EQ(0, toy_peer_send(&self->peer, 5004, 7104, TOY_SYN, 1, 0,
				   8192, NULL, 0));
	ASSERT_EQ(1, toy_peer_expect(&self->peer, s, TOY_SYN | TOY_ACK, 10));
	EXPECT_EQ(1, toy_live("requests"));
	EXPECT_EQ(2, toy_stat("SyncookiesSent"));
	EXPECT_EQ(-EINVAL, sysctl_write("syncookies", "3"));
	EXPECT_EQ(-EINVAL, sysctl_write("syncookies", "-1"));
	close(l);
}

/*
 * net.toy.max_syn_backlog limits the half-open entries of the whole
 * namespace, listeners together: with 4, three SYNs to each of two
 * listeners with room make 4 entries; the other 2 SYNs are dropped
 * (syncookies 0) or get cookies (1).  Closing the listeners gives the
 * places back.
 */
TEST_F(flood, max_syn_backlog_limits_namespace)
{
	int a = toy_listener("0.0.0.0", 7105, 100);
	int b = toy_listener("0.0.0.0", 7106, 100), i;

	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	ASSERT_EQ(0, sysctl_write("max_syn_backlog", "4"));
	ASSERT_EQ(0, sysctl_write("syncookies", "0"));
	for (i = 0; i < 6; i++)
		ASSERT_EQ(0, toy_peer_syn_from(&self->peer,
					       toy_peer_spoofed(i), 20000 + i,
					       i < 3 ? 7105 : 7106, 1000));
	EXPECT_EQ(4, count_synacks(&self->peer, 20000, 20005, 0.5));
	EXPECT_EQ(4, toy_live("requests"));
	EXPECT_EQ(2, toy_stat("ListenDrops"));

	ASSERT_EQ(0, sysctl_write("syncookies", "1"));
	for (i = 6; i < 9; i++)
		ASSERT_EQ(0, toy_peer_syn_from(&self->peer,
					       toy_peer_spoofed(i), 20000 + i,
					       7106, 1000));
	EXPECT_EQ(3, count_synacks(&self->peer, 20006, 20008, 0.5));
	EXPECT_EQ(3, toy_stat("SyncookiesSent"));
	EXPECT_EQ(4, toy_live("requests"));

	close(a);
	close(b);
	EXPECT_EQ(0, toy_live("requests"));
	ASSERT_EQ(0, sysctl_write("max_syn_backlog", "1"));
	ASSERT_EQ(0, sysctl_write("syncookies", "0"));
	a = toy_listener("0.0.0.0", 7105, 100);
	ASSERT_LE(0, a);
	ASSERT_EQ(0, toy_peer_syn_from(&self->peer, toy_peer_spoofed(20),
				       20020, 7105, 1000));
	EXPECT_EQ(1, toy_live_wait("requests", 1, 5));
	EXPECT_EQ(-EINVAL, sysctl_write("max_syn_backlog", "-1"));
	close(a);
}

/*
 * A SYN that carries a FIN (or a RST) is discarded by a listener, as
 * tcp_rcv_state_process() discards it: no SYN-ACK, no entry.
 */
TEST_F(flood, syn_fin_to_listener_dropped)
{
	struct toy_pseg *s = self->seg;
	int l = toy_listener("0.0.0.0", 7107, 8);

	ASSERT_LE(0, l);
	ASSERT_EQ(0, toy_peer_send(&self->peer, 5005, 7107, TOY_SYN | TOY_FIN,
				   1, 0, 8192, NULL, 0));
	ASSERT_EQ(0, toy_peer_send(&self->peer, 5006, 7107, TOY_SYN | TOY_RST,
				   1, 0, 8192, NULL, 0));
	EXPECT_EQ(0, toy_peer_count(&self->peer, 1.0));
	EXPECT_EQ(0, toy_live("requests"));
	/* The plain SYN is answered. */
	ASSERT_EQ(0, toy_peer_send(&self->peer, 5005, 7107, TOY_SYN, 1, 0,
				   8192, NULL, 0));
	ASSERT_EQ(1, toy_peer_expect(&self->peer, s, TOY_SYN | TOY_ACK, 10));
	close(l);
}

/*
 * A fresh SYN to a half-open entry, as tcp_check_req(): the same SYN
 * again gets the SYN-ACK again; a SYN outside the window the SYN-ACK
 * offered gets an ACK that says where we are (and a burst of them one
 * such ACK, not one each); a SYN inside it resets and ends the entry.
 */
TEST_F(flood, fresh_syn_to_half_open_entry)
{
	struct toy_pseg *s = self->seg;
	uint32_t x = 9000000, iss;
	int l = toy_listener("0.0.0.0", 7108, 8), i, acks;

	ASSERT_LE(0, l);
	ASSERT_EQ(0, toy_peer_send(&self->peer, 5007, 7108, TOY_SYN, x, 0,
				   8192, NULL, 0));
	ASSERT_EQ(1, toy_peer_expect(&self->peer, s, TOY_SYN | TOY_ACK, 10));
	iss = s->seq;
	EXPECT_EQ(x + 1, s->ack);
	EXPECT_EQ(1, toy_live("requests"));

	ASSERT_EQ(0, toy_peer_send(&self->peer, 5007, 7108, TOY_SYN, x, 0,
				   8192, NULL, 0));
	ASSERT_EQ(1, toy_peer_expect(&self->peer, s, TOY_SYN | TOY_ACK, 10));
	EXPECT_EQ(iss, s->seq);

	/* Out of the window: an ACK; the entry stays. */
	usleep(600000);		/* past the answer's rate limit */
	ASSERT_EQ(0, toy_peer_send(&self->peer, 5007, 7108, TOY_SYN,
				   x + 200000, 0, 8192, NULL, 0));
	ASSERT_EQ(1, toy_peer_expect(&self->peer, s, TOY_ACK, 10));
	EXPECT_EQ(iss + 1, s->seq);
	EXPECT_EQ(x + 1, s->ack);
	EXPECT_EQ(1, toy_live("requests"));
	for (i = 0; i < 20; i++)
		ASSERT_EQ(0, toy_peer_send(&self->peer, 5007, 7108, TOY_SYN,
					   x + 300000 + i, 0, 8192, NULL, 0));
	acks = toy_peer_count(&self->peer, 0.3);
	EXPECT_GT(10, acks);

	/* In the window: a reset, and the entry is gone. */
	ASSERT_EQ(0, toy_peer_send(&self->peer, 5007, 7108, TOY_SYN, x + 10,
				   0, 8192, NULL, 0));
	ASSERT_EQ(1, toy_peer_expect(&self->peer, s, TOY_RST | TOY_ACK, 10));
	EXPECT_EQ(x + 11, s->ack);
	EXPECT_EQ(0, toy_live_wait("requests", 0, 5));
	/* Its ACK now finds nothing: the listener resets it. */
	ASSERT_EQ(0, toy_peer_send(&self->peer, 5007, 7108, TOY_ACK, x + 1,
				   iss + 1, 8192, NULL, 0));
	ASSERT_EQ(1, toy_peer_expect(&self->peer, s, TOY_RST, 10));
	EXPECT_EQ(iss + 1, s->seq);
	EXPECT_EQ(-1, accept_now(l));
	close(l);
}

/*
 * net.toy.synack_retries takes TCP's range, 0..255.  At 0 an entry sends
 * its SYN-ACK once and goes at its first timeout; at 255 it retransmits
 * with the usual doubling waits.  (Past the 31st retransmission, about
 * an hour in, the old shift was undefined: too far for a test to wait.)
 */
TEST_F(flood, synack_retries_tcp_range)
{
	struct toy_pseg *s = self->seg;
	int l = toy_listener("0.0.0.0", 7109, 8);

	ASSERT_LE(0, l);
	EXPECT_EQ(-EINVAL, sysctl_write("synack_retries", "256"));
	EXPECT_EQ(-EINVAL, sysctl_write("synack_retries", "-1"));
	ASSERT_EQ(0, sysctl_write("synack_retries", "0"));
	ASSERT_EQ(0, toy_peer_send(&self->peer, 5008, 7109, TOY_SYN, 1, 0,
				   8192, NULL, 0));
	ASSERT_EQ(1, toy_peer_expect(&self->peer, s, TOY_SYN | TOY_ACK, 10));
	EXPECT_EQ(1, toy_live("requests"));
	EXPECT_EQ(0, toy_live_wait("requests", 0, 10));
	EXPECT_EQ(0, toy_peer_count(&self->peer, 1.5));

	ASSERT_EQ(0, sysctl_write("synack_retries", "255"));
	ASSERT_EQ(0, toy_peer_send(&self->peer, 5009, 7109, TOY_SYN, 1, 0,
				   8192, NULL, 0));
	ASSERT_EQ(1, toy_peer_expect(&self->peer, s, TOY_SYN | TOY_ACK, 10));
	/* Retransmissions after 1 s and 2 s more. */
	ASSERT_EQ(1, toy_peer_expect(&self->peer, s, TOY_SYN | TOY_ACK, 10));
	ASSERT_EQ(1, toy_peer_expect(&self->peer, s, TOY_SYN | TOY_ACK, 10));
	EXPECT_EQ(1, toy_live("requests"));
	close(l);
	EXPECT_EQ(0, toy_live("requests"));
}

struct toggle {
	int		fd;
	volatile int	stop;
	int		rounds;
};

/*
 * Dissolve listener @fd and listen again, over and over, sometimes
 * connecting it to the silent peer port 9 in between.
 */
static void *toggle_listener(void *arg)
{
	struct sockaddr_toy away = taddr(PEER_ADDR, 9);
	struct sockaddr unspec = { .sa_family = AF_UNSPEC };
	struct toggle *t = arg;

	while (!t->stop) {
		connect(t->fd, &unspec, sizeof(unspec));
		if (t->rounds & 1) {
			connect(t->fd, (struct sockaddr *)&away, sizeof(away));
			connect(t->fd, &unspec, sizeof(unspec));
		}
		listen(t->fd, 64);
		t->rounds++;
	}
	return NULL;
}

/*
 * An ACK for an entry whose listener dissolved (connect(AF_UNSPEC)) and
 * listens again belongs to nobody: the entry went with the old listen,
 * the ACK is answered with a reset and no connection appears.  Then the
 * same while another thread keeps dissolving and re-listening the
 * socket: every handshake ends either accepted or reset, and the
 * socket's own attempts are never disturbed by the others' ACKs.
 */
TEST_F(flood, stale_entry_ack_after_relisten)
{
	struct sockaddr unspec = { .sa_family = AF_UNSPEC };
	struct toy_pseg *s = self->seg;
	struct toggle t = { 0 };
	uint32_t x = 11000000, iss;
	pthread_t th;
	int l = toy_listener("0.0.0.0", 7110, 64), i;
	double end;

	ASSERT_LE(0, l);
	ASSERT_EQ(0, toy_peer_send(&self->peer, 5010, 7110, TOY_SYN, x, 0,
				   8192, NULL, 0));
	ASSERT_EQ(1, toy_peer_expect(&self->peer, s, TOY_SYN | TOY_ACK, 10));
	iss = s->seq;
	ASSERT_EQ(0, connect(l, &unspec, sizeof(unspec)));
	/* The old entry is reset when the listener dissolves. */
	ASSERT_EQ(1, toy_peer_expect(&self->peer, s, TOY_RST | TOY_ACK, 10));
	ASSERT_EQ(0, listen(l, 64));
	ASSERT_EQ(0, toy_peer_send(&self->peer, 5010, 7110, TOY_ACK, x + 1,
				   iss + 1, 8192, NULL, 0));
	ASSERT_EQ(1, toy_peer_expect(&self->peer, s, TOY_RST, 10));
	EXPECT_EQ(iss + 1, s->seq);
	EXPECT_EQ(-1, accept_now(l));

	/* Nonblocking, so that its connect()s return at once. */
	ASSERT_EQ(0, fcntl(l, F_SETFL, O_NONBLOCK));
	t.fd = l;
	ASSERT_EQ(0, pthread_create(&th, NULL, toggle_listener, &t));
	end = toy_now() + 20;
	for (i = 0; i < 200 && toy_now() < end; i++) {
		uint16_t port = 30000 + i;

		if (toy_peer_send(&self->peer, port, 7110, TOY_SYN, x, 0, 8192,
				  NULL, 0))
			break;
		if (!toy_peer_expect(&self->peer, s, TOY_SYN | TOY_ACK, 0.2) ||
		    s->dport != port)
			continue;
		toy_peer_send(&self->peer, port, 7110, TOY_ACK, x + 1,
			      s->seq + 1, 8192, NULL, 0);
	}
	t.stop = 1;
	pthread_join(th, NULL);
	EXPECT_LT(0, t.rounds);
	close(l);
}

TEST_HARNESS_MAIN
