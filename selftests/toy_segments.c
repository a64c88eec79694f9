// SPDX-License-Identifier: GPL-2.0
/*
 * When AF_TOY sends: delayed ACKs, Nagle's algorithm, corking, and small
 * writes joined into one segment.
 *
 * Delayed ACKs: when the host acknowledges data, at once or a little
 * later (module/delack.c).  At once: the first segments of a
 * connection (quick-ACK mode), every second full-sized segment, data out
 * of order and the segment that fills the hole, and a waiting ACK when
 * TOY_QUICKACK is set.  Later: in interactive mode (TOY_QUICKACK 0, or
 * after answering data quickly), an ACK waits for the answer to ride on,
 * or for the delayed-ACK timer, which the DelayedACKs counter counts.
 *
 * Small writes (output.c, stream_ops.c): bytes written while the last
 * segment is short and unsent join it; Nagle's algorithm holds a short
 * segment while an earlier one is unacknowledged, unless TOY_NODELAY;
 * TOY_CORK and MSG_MORE hold short segments until uncorked, for about
 * 200 ms at most; a FIN never waits.
 *
 * The peer is scripted on a TUN device (toy_peer.h).  Timing is never
 * asserted: where a slow machine could let the timer fire before the
 * host's next step, the test tries again, and asserts what the counter
 * says happened.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <linux/toy.h>

#include "kselftest_harness.h"
#include "toy_lib.h"
#include "toy_net.h"
#include "toy_seg.h"
#include "toy_peer.h"

/* Attempts at a step that the delayed-ACK timer could overtake. */
#define TRIES	5

static const char xdata[1000];

FIXTURE(conn) {
	struct toy_peer peer;
	struct toy_pseg *seg;
	struct toy_pconn conn;
};

FIXTURE_SETUP(conn)
{
	ASSERT_EQ(0, toy_live_wait_zero(5));
	ASSERT_EQ(0, new_netns());
	ASSERT_EQ(0, toy_peer_open(&self->peer, 0));
	self->seg = malloc(sizeof(*self->seg));
	ASSERT_NE(NULL, self->seg);
	ASSERT_EQ(0, toy_peer_connect(&self->peer, &self->conn, 9200, 65535));
}

FIXTURE_TEARDOWN(conn)
{
	struct toy_pconn *c = &self->conn;

	if (c->fd >= 0) {
		/* Reset it, so that nothing is left retransmitting. */
		toy_peer_reset(&self->peer, c);
		close(c->fd);
	}
	free(self->seg);
	toy_peer_close(&self->peer);
	EXPECT_EQ(0, unshare(CLONE_NEWNET));
	EXPECT_EQ(0, toy_live_wait_zero(30));
}

static int set_opt(int fd, int name, int val)
{
	return setsockopt(fd, SOL_TOY, name, &val, sizeof(val));
}

static int get_opt(int fd, int name)
{
	int val = -1;
	socklen_t len = sizeof(val);

	if (getsockopt(fd, SOL_TOY, name, &val, &len))
		return -errno;
	return val;
}

static int set_quickack(int fd, int val)
{
	return set_opt(fd, TOY_QUICKACK, val);
}

/* The next pure ACK from the host, within 10 s (scaled); its ack. */
static long next_ack(struct toy_peer *p, struct toy_pseg *s)
{
	if (!toy_peer_expect(p, s, TOY_ACK, 10) || s->len)
		return -1;
	return s->ack;
}

/* Read exactly @len bytes from @fd. */
static int read_all(int fd, char *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = read(fd, buf + got, len - got);
		if (n <= 0)
			return -1;
		got += n;
	}
	return 0;
}

/* A new connection acknowledges its first segments at once. */
TEST_F(conn, first_segments_acked_at_once)
{
	struct toy_pconn *c = &self->conn;
	long delayed = toy_stat("DelayedACKs");
	int i;

	EXPECT_EQ(1, get_opt(c->fd, TOY_QUICKACK));
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, toy_peer_data(&self->peer, c, 65535, xdata, 100));
		EXPECT_EQ(c->snd_nxt, next_ack(&self->peer, self->seg));
	}
	EXPECT_EQ(delayed, toy_stat("DelayedACKs"));
}

/*
 * In interactive mode, with nothing to answer, the ACK waits for the
 * timer; the timer's ACK ends the mode.
 */
TEST_F(conn, lone_ack_waits_for_the_timer)
{
	struct toy_pconn *c = &self->conn;
	long delayed = toy_stat("DelayedACKs");

	ASSERT_EQ(0, set_quickack(c->fd, 0));
	EXPECT_EQ(0, get_opt(c->fd, TOY_QUICKACK));
	ASSERT_EQ(0, toy_peer_data(&self->peer, c, 65535, xdata, 100));
	EXPECT_EQ(c->snd_nxt, next_ack(&self->peer, self->seg));
	EXPECT_EQ(delayed + 1, toy_stat("DelayedACKs"));
	EXPECT_EQ(1, get_opt(c->fd, TOY_QUICKACK));
}

/* TOY_QUICKACK 1 sends the ACK that waits, before the timer would. */
TEST_F(conn, quickack_sends_the_waiting_ack)
{
	struct toy_pconn *c = &self->conn;
	int i, early = 0;

	for (i = 0; i < TRIES && !early; i++) {
		long delayed = toy_stat("DelayedACKs");

		ASSERT_EQ(0, set_quickack(c->fd, 0));
		ASSERT_EQ(0, toy_peer_data(&self->peer, c, 65535, xdata, 10));
		ASSERT_EQ(0, set_quickack(c->fd, 1));
		EXPECT_EQ(c->snd_nxt, next_ack(&self->peer, self->seg));
		early = toy_stat("DelayedACKs") == delayed;
	}
	EXPECT_TRUE(early);
}

/*
 * Request and response: the ACK of each request rides on the response,
 * two segments a transaction.  A pure ACK would only come from the
 * timer on a slow machine.
 */
TEST_F(conn, answer_carries_the_ack)
{
	struct toy_pconn *c = &self->conn;
	struct toy_pseg *s = self->seg;
	int i, riders = 0;
	char buf[10];

	ASSERT_EQ(0, set_quickack(c->fd, 0));
	for (i = 0; i < 10; i++) {
		ASSERT_EQ(0, toy_peer_data(&self->peer, c, 65535, "request...",
					   10));
		ASSERT_EQ(0, read_all(c->fd, buf, 10));
		ASSERT_EQ(10, write(c->fd, "response..", 10));
		ASSERT_EQ(1, toy_peer_recv(&self->peer, s, 10));
		if (!s->len) {	/* the timer was first: the data follows */
			EXPECT_EQ(c->snd_nxt, s->ack);
			ASSERT_EQ(1, toy_peer_recv(&self->peer, s, 10));
		} else {
			riders++;
		}
		ASSERT_EQ(10, s->len);
		EXPECT_EQ(c->snd_nxt, s->ack);
		EXPECT_EQ(0, memcmp(s->data, "response..", 10));
		c->rcv_nxt += 10;
		ASSERT_EQ(0, toy_peer_ack(&self->peer, c, 65535));
	}
	TH_LOG("%d of 10 responses carried the ACK", riders);
	EXPECT_LE(5, riders);
}

/* The peer sends a request, which the host reads and acknowledges. */
static void peer_request(struct __test_metadata *_metadata,
			 FIXTURE_DATA(conn) *self)
{
	struct toy_pconn *c = &self->conn;
	char buf[10];

	ASSERT_EQ(0, toy_peer_data(&self->peer, c, 65535, "request...", 10));
	ASSERT_EQ(0, read_all(c->fd, buf, 10));
	ASSERT_EQ(c->snd_nxt, next_ack(&self->peer, self->seg));
}

/*
 * After a request, the peer's FIN leaves the host in CLOSE_WAIT, in
 * interactive mode (as TCP): its ACK waits for the close() that usually
 * follows and rides on the host's FIN, three segments to end a
 * connection, not four.  A pure ACK first could only be the timer's, on
 * a slow machine.
 */
TEST_F(conn, fin_acked_by_our_fin)
{
	struct toy_pconn *c = &self->conn;
	struct toy_pseg *s = self->seg;
	long delayed;
	char buf[1];

	peer_request(_metadata, self);
	delayed = toy_stat("DelayedACKs");
	ASSERT_EQ(0, toy_peer_send(&self->peer, c->pport, c->hport,
				   TOY_FIN | TOY_ACK, c->snd_nxt, c->rcv_nxt,
				   65535, NULL, 0));
	c->snd_nxt++;
	ASSERT_EQ(0, read(c->fd, buf, 1));
	ASSERT_EQ(0, close(c->fd));
	c->fd = -1;
	ASSERT_EQ(1, toy_peer_recv(&self->peer, s, 10));
	if (!(s->flags & TOY_FIN)) {
		EXPECT_EQ(delayed + 1, toy_stat("DelayedACKs"));
		ASSERT_EQ(1, toy_peer_recv(&self->peer, s, 10));
	}
	EXPECT_EQ(TOY_FIN | TOY_ACK, s->flags);
	EXPECT_EQ(c->snd_nxt, s->ack);
	ASSERT_EQ(0, toy_peer_send(&self->peer, c->pport, c->hport, TOY_ACK,
				   c->snd_nxt, s->seq + 1, 65535, NULL, 0));
}

/* With no close(), the timer acknowledges the FIN. */
TEST_F(conn, fin_without_close_acked_by_the_timer)
{
	struct toy_pconn *c = &self->conn;
	long delayed;

	peer_request(_metadata, self);
	delayed = toy_stat("DelayedACKs");
	ASSERT_EQ(0, toy_peer_send(&self->peer, c->pport, c->hport,
				   TOY_FIN | TOY_ACK, c->snd_nxt, c->rcv_nxt,
				   65535, NULL, 0));
	c->snd_nxt++;
	EXPECT_EQ(c->snd_nxt, next_ack(&self->peer, self->seg));
	EXPECT_EQ(delayed + 1, toy_stat("DelayedACKs"));
}

/* Two full-sized segments: the second is acknowledged at once. */
TEST_F(conn, second_full_segment_acked_at_once)
{
	struct toy_pconn *c = &self->conn;
	int i, early = 0;

	ASSERT_EQ(0, set_quickack(c->fd, 0));
	for (i = 0; i < TRIES && !early; i++) {
		long delayed = toy_stat("DelayedACKs");

		ASSERT_EQ(0, set_quickack(c->fd, 0));
		ASSERT_EQ(0, toy_peer_data(&self->peer, c, 65535, xdata, 1000));
		ASSERT_EQ(0, toy_peer_data(&self->peer, c, 65535, xdata, 1000));
		/* One ACK for both, unless the timer took the first. */
		if (next_ack(&self->peer, self->seg) != c->snd_nxt)
			EXPECT_EQ(c->snd_nxt, next_ack(&self->peer, self->seg));
		early = toy_stat("DelayedACKs") == delayed;
	}
	EXPECT_TRUE(early);
}

/*
 * Data beyond a hole, and the segment that fills it, are acknowledged at
 * once (RFC 5681 4.2), interactive mode or not.
 */
TEST_F(conn, out_of_order_acked_at_once)
{
	struct toy_pconn *c = &self->conn;
	long delayed = toy_stat("DelayedACKs");
	char buf[300];

	ASSERT_EQ(0, set_quickack(c->fd, 0));
	ASSERT_EQ(0, toy_peer_send(&self->peer, c->pport, c->hport, TOY_ACK,
				   c->snd_nxt + 100, c->rcv_nxt, 65535,
				   xdata, 200));
	EXPECT_EQ(c->snd_nxt, next_ack(&self->peer, self->seg));
	ASSERT_EQ(0, set_quickack(c->fd, 0));
	ASSERT_EQ(0, toy_peer_data(&self->peer, c, 65535, xdata, 100));
	c->snd_nxt += 200;
	EXPECT_EQ(c->snd_nxt, next_ack(&self->peer, self->seg));
	EXPECT_EQ(delayed, toy_stat("DelayedACKs"));
	EXPECT_EQ(0, read_all(c->fd, buf, 300));
}

/* ---- small writes ------------------------------------------------- */

/*
 * The next data segment from the host that starts at c->rcv_nxt (a
 * retransmission of what the peer already has is skipped); 1 or 0.
 */
static int next_data(struct toy_peer *p, struct toy_pconn *c,
		     struct toy_pseg *s)
{
	while (toy_peer_recv(p, s, 10))
		if (s->len && s->seq == c->rcv_nxt)
			return 1;
	return 0;
}

/* Write @n writes of @len bytes each to @fd. */
static int write_n(int fd, int n, size_t len)
{
	while (n--)
		if (write(fd, xdata, len) != (ssize_t)len)
			return -1;
	return 0;
}

/*
 * Nagle: the first short write goes at once; the next ones wait behind
 * it, unacknowledged, and join into one segment that goes with its ACK.
 */
TEST_F(conn, nagle_joins_writes_behind_unacked_data)
{
	struct toy_pconn *c = &self->conn;
	struct toy_pseg *s = self->seg;

	EXPECT_EQ(0, get_opt(c->fd, TOY_NODELAY));
	ASSERT_EQ(0, write_n(c->fd, 1, 10));
	ASSERT_EQ(1, next_data(&self->peer, c, s));
	EXPECT_EQ(10, s->len);
	c->rcv_nxt += s->len;
	ASSERT_EQ(0, write_n(c->fd, 3, 10));
	ASSERT_EQ(0, toy_peer_ack(&self->peer, c, 65535));
	ASSERT_EQ(1, next_data(&self->peer, c, s));
	EXPECT_EQ(30, s->len);
}

/*
 * A write of three full segments and a short one sends all four: no
 * short segment was sent before, so Nagle has nothing to wait for,
 * whatever the initial sequence number.
 */
TEST_F(conn, short_tail_of_a_write_goes)
{
	struct toy_pconn *c = &self->conn;
	struct toy_pseg *s = self->seg;
	static char big[3 * 1460 + 100];
	int i;

	ASSERT_EQ(sizeof(big), write(c->fd, big, sizeof(big)));
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(1, next_data(&self->peer, c, s));
		EXPECT_EQ(i < 3 ? 1460 : 100, s->len);
		c->rcv_nxt += s->len;
	}
}

/* TOY_NODELAY: each short write is a segment of its own, at once. */
TEST_F(conn, nodelay_sends_each_write)
{
	struct toy_pconn *c = &self->conn;
	struct toy_pseg *s = self->seg;
	int i;

	ASSERT_EQ(0, set_opt(c->fd, TOY_NODELAY, 1));
	EXPECT_EQ(1, get_opt(c->fd, TOY_NODELAY));
	ASSERT_EQ(0, write_n(c->fd, 3, 10));
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(1, next_data(&self->peer, c, s));
		EXPECT_EQ(10, s->len);
		c->rcv_nxt += s->len;
	}
}

/* TOY_CORK: short writes wait, and leave as one segment when uncorked. */
TEST_F(conn, cork_holds_until_uncorked)
{
	struct toy_pconn *c = &self->conn;
	struct toy_pseg *s = self->seg;

	ASSERT_EQ(0, set_opt(c->fd, TOY_CORK, 1));
	EXPECT_EQ(1, get_opt(c->fd, TOY_CORK));
	ASSERT_EQ(0, write_n(c->fd, 3, 10));
	ASSERT_EQ(0, set_opt(c->fd, TOY_CORK, 0));
	ASSERT_EQ(1, next_data(&self->peer, c, s));
	EXPECT_EQ(30, s->len);
}

/* A cork holds for a while, not for ever: the data goes by itself. */
TEST_F(conn, cork_has_a_ceiling)
{
	struct toy_pconn *c = &self->conn;
	struct toy_pseg *s = self->seg;

	ASSERT_EQ(0, set_opt(c->fd, TOY_CORK, 1));
	ASSERT_EQ(0, write_n(c->fd, 1, 10));
	ASSERT_EQ(1, next_data(&self->peer, c, s));
	EXPECT_EQ(10, s->len);
	EXPECT_EQ(1, get_opt(c->fd, TOY_CORK));
}

/* MSG_MORE holds the write for the next one to join. */
TEST_F(conn, msg_more_joins_the_next_write)
{
	struct toy_pconn *c = &self->conn;
	struct toy_pseg *s = self->seg;

	ASSERT_EQ(10, send(c->fd, xdata, 10, MSG_MORE));
	ASSERT_EQ(10, send(c->fd, xdata, 10, 0));
	ASSERT_EQ(1, next_data(&self->peer, c, s));
	EXPECT_EQ(20, s->len);
}

/* A FIN never waits for the cork: shutdown() sends what was held. */
TEST_F(conn, fin_goes_through_the_cork)
{
	struct toy_pconn *c = &self->conn;
	struct toy_pseg *s = self->seg;

	ASSERT_EQ(0, set_opt(c->fd, TOY_CORK, 1));
	ASSERT_EQ(0, write_n(c->fd, 1, 10));
	ASSERT_EQ(0, shutdown(c->fd, SHUT_WR));
	ASSERT_EQ(1, next_data(&self->peer, c, s));
	EXPECT_EQ(10, s->len);
	if (!(s->flags & TOY_FIN)) {
		c->rcv_nxt += s->len;
		ASSERT_EQ(1, toy_peer_expect(&self->peer, s,
					     TOY_FIN | TOY_ACK, 10));
	}
	EXPECT_TRUE(s->flags & TOY_FIN);
}

/* The options are the stream's: a datagram socket has none of them. */
TEST(options_are_the_streams)
{
	int d = socket(TOY_AF, SOCK_DGRAM, 0), one = 1;

	ASSERT_LE(0, d);
	EXPECT_EQ(-1, setsockopt(d, SOL_TOY, TOY_NODELAY, &one, sizeof(one)));
	EXPECT_EQ(ENOPROTOOPT, errno);
	EXPECT_EQ(-1, setsockopt(d, SOL_TOY, TOY_CORK, &one, sizeof(one)));
	EXPECT_EQ(ENOPROTOOPT, errno);
	EXPECT_EQ(-1, setsockopt(d, SOL_TOY, TOY_QUICKACK, &one, sizeof(one)));
	EXPECT_EQ(ENOPROTOOPT, errno);
	close(d);
}

TEST_HARNESS_MAIN
