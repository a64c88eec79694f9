// SPDX-License-Identifier: GPL-2.0
/*
 * AF_TOY against a remote peer that does what the test says, right or
 * wrong.  The peer is scripted on a TUN device (toy_peer.h): the test reads
 * every segment the host sends to PEER_ADDR and writes the peer's answers,
 * so a test can lie about windows, sequence numbers, MTUs or timing in
 * ways a well-behaved AF_TOY stack on loopback never would.
 *
 * Every test runs in a fresh network namespace holding the TUN device
 * (FIXTURE(hostile)): self->peer is the open peer, self->seg room for one
 * parsed segment (too large to keep several on the stack).  A test closes
 * its own sockets; the teardown leaves the namespace, which ends what is
 * left in TIME_WAIT, and checks that every live object is gone.
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

FIXTURE(hostile) {
	struct toy_peer peer;
	struct toy_pseg *seg;
};

/*
 * The peer's connections of the running test (each test runs in a
 * process of its own), so that the teardown can reset what a failed
 * test left open instead of leaving it to retransmit into silence.
 */
static struct toy_pconn *conns[8];
static int nconns;

static void track(struct toy_pconn *c)
{
	if (nconns < (int)(sizeof(conns) / sizeof(conns[0])))
		conns[nconns++] = c;
}

/* A reset for each tracked connection, at both sides of a FIN. */
static void reset_tracked(struct toy_peer *p)
{
	int i;

	for (i = 0; i < nconns; i++) {
		toy_peer_send(p, conns[i]->pport, conns[i]->hport, TOY_RST,
			      conns[i]->snd_nxt, 0, 0, NULL, 0);
		toy_peer_send(p, conns[i]->pport, conns[i]->hport, TOY_RST,
			      conns[i]->snd_nxt + 1, 0, 0, NULL, 0);
	}
	nconns = 0;
}

/*
 * TOY_ONLY=name[,name...] in the environment runs only those tests (the
 * harness of this kernel has no filter of its own); the others skip.
 */
static bool toy_selected(const char *test)
{
	const char *only = getenv("TOY_ONLY");
	size_t len = strlen(test);
	const char *p;

	if (!only || !*only)
		return true;
	for (p = only; (p = strstr(p, test)); p += len)
		if ((p == only || p[-1] == ',') &&
		    (p[len] == ',' || !p[len]))
			return true;
	return false;
}

FIXTURE_SETUP(hostile)
{
	if (!toy_selected(_metadata->name))
		SKIP(_exit(255), "not in TOY_ONLY");	/* 255: skipped */
	ASSERT_EQ(0, toy_live_wait_zero(5));
	ASSERT_EQ(0, new_netns());
	ASSERT_EQ(0, toy_peer_open(&self->peer, 0));
	self->seg = malloc(sizeof(*self->seg));
	ASSERT_NE(NULL, self->seg);
}

FIXTURE_TEARDOWN(hostile)
{
	if (!self->seg)
		return;		/* skipped */
	reset_tracked(&self->peer);
	free(self->seg);
	toy_peer_close(&self->peer);
	/*
	 * Leave the namespace: with no socket left in it, it goes away, and
	 * its exit ends every TIME_WAIT entry an active close left behind.
	 */
	EXPECT_EQ(0, unshare(CLONE_NEWNET));
	EXPECT_EQ(0, toy_live_wait_zero(30));
}

/*
 * The host sends through the TUN device and takes what the peer writes:
 * a connect() completes against the scripted handshake, 100 bytes written
 * arrive as one checksummed segment at the expected sequence number, and
 * 50 bytes from the peer are read and acknowledged.
 */
TEST_F(hostile, peer_connect_and_data)
{
	struct toy_pseg *s = self->seg;
	static struct toy_pconn c;	/* tracked: outlives the test */
	char out[100], in[64];
	int i;

	for (i = 0; i < (int)sizeof(out); i++)
		out[i] = 'a' + i % 26;
	ASSERT_EQ(0, toy_peer_connect(&self->peer, &c, 9000, 4096));
	track(&c);
	EXPECT_NE(0, c.hport);
	EXPECT_EQ(9000, c.pport);

	ASSERT_EQ(100, write(c.fd, out, sizeof(out)));
	ASSERT_EQ(1, toy_peer_recv(&self->peer, s, 10));
	EXPECT_EQ(TOY_TYPE_STREAM, s->type);
	EXPECT_EQ(c.hport, s->sport);
	EXPECT_EQ(9000, s->dport);
	EXPECT_EQ(c.rcv_nxt, s->seq);
	EXPECT_EQ(c.snd_nxt, s->ack);
	EXPECT_TRUE(s->flags & TOY_ACK);
	EXPECT_TRUE(s->csum_ok);
	EXPECT_TRUE(s->ip_df);
	EXPECT_EQ(20 + 20 + 100, s->ip_len);
	ASSERT_EQ(100, s->len);
	EXPECT_EQ(0, memcmp(out, s->data, 100));
	c.rcv_nxt += s->len;
	ASSERT_EQ(0, toy_peer_send(&self->peer, c.pport, c.hport, TOY_ACK,
				   c.snd_nxt, c.rcv_nxt, 4096, NULL, 0));

	ASSERT_EQ(0, toy_peer_send(&self->peer, c.pport, c.hport, TOY_ACK,
				   c.snd_nxt, c.rcv_nxt, 4096, out, 50));
	c.snd_nxt += 50;
	ASSERT_EQ(50, read(c.fd, in, sizeof(in)));
	EXPECT_EQ(0, memcmp(out, in, 50));
	/* The host acknowledges the 50 bytes. */
	for (;;) {
		ASSERT_EQ(1, toy_peer_expect(&self->peer, s, TOY_ACK, 10));
		if (s->ack == c.snd_nxt)
			break;
	}
	EXPECT_EQ(0, s->len);
	EXPECT_EQ(c.rcv_nxt, s->seq);

	/* The peer resets; nothing answers a reset, the socket learns it. */
	ASSERT_EQ(0, toy_peer_send(&self->peer, c.pport, c.hport, TOY_RST,
				   c.snd_nxt, 0, 0, NULL, 0));
	EXPECT_EQ(-1, read(c.fd, in, sizeof(in)));
	EXPECT_EQ(ECONNRESET, errno);
	EXPECT_EQ(0, toy_peer_count(&self->peer, 0.5));
	close(c.fd);
}

/*
 * The peer connects to a listener: the handshake is scripted from the
 * peer's side, accept() returns the connection, and data flows both ways.
 */
TEST_F(hostile, peer_dial_accept)
{
	struct toy_pseg *s = self->seg;
	static struct toy_pconn c;	/* tracked: outlives the test */
	char in[64];
	int l;

	l = toy_listener(PEER_HOST, 9001, 8);
	ASSERT_LE(0, l);
	ASSERT_EQ(0, toy_peer_dial(&self->peer, &c, l, 9001, 40000, 8192));
	track(&c);
	EXPECT_EQ(TOY_PEER_ISN + 1, c.snd_nxt);

	ASSERT_EQ(0, toy_peer_send(&self->peer, c.pport, c.hport, TOY_ACK,
				   c.snd_nxt, c.rcv_nxt, 8192, "hello", 5));
	c.snd_nxt += 5;
	ASSERT_EQ(5, read(c.fd, in, sizeof(in)));
	EXPECT_EQ(0, memcmp("hello", in, 5));

	ASSERT_EQ(3, write(c.fd, "abc", 3));
	for (;;) {
		ASSERT_EQ(1, toy_peer_recv(&self->peer, s, 10));
		if (s->len)
			break;
	}
	EXPECT_EQ(c.rcv_nxt, s->seq);
	EXPECT_EQ(c.snd_nxt, s->ack);
	ASSERT_EQ(3, s->len);
	EXPECT_EQ(0, memcmp("abc", s->data, 3));
	c.rcv_nxt += 3;

	/* The host closes: a FIN at rcv_nxt, which the peer acknowledges. */
	close(c.fd);
	ASSERT_EQ(1, toy_peer_expect(&self->peer, s, TOY_FIN | TOY_ACK, 10));
	EXPECT_EQ(c.rcv_nxt, s->seq);
	c.rcv_nxt++;
	ASSERT_EQ(0, toy_peer_send(&self->peer, c.pport, c.hport,
				   TOY_FIN | TOY_ACK, c.snd_nxt, c.rcv_nxt,
				   8192, NULL, 0));
	c.snd_nxt++;
	ASSERT_EQ(1, toy_peer_expect(&self->peer, s, TOY_ACK, 10));
	EXPECT_EQ(c.snd_nxt, s->ack);
	close(l);
}

/*
 * A script, step by step: the host connects; the peer answers with a
 * window of 0; the host's ACK completes the handshake, and with nothing
 * to send it stays quiet; a reset from the peer ends the connection.
 */
TEST_F(hostile, peer_script_zero_window_synack_then_reset)
{
	struct sockaddr_toy a = taddr(PEER_ADDR, 9002);
	struct toy_pseg *s = self->seg;
	static struct toy_pconn c;	/* tracked: outlives the test */
	char in[8];

	c.fd = socket(TOY_AF, SOCK_STREAM | SOCK_NONBLOCK, 0);
	ASSERT_LE(0, c.fd);
	track(&c);
	ASSERT_EQ(-1, connect(c.fd, (struct sockaddr *)&a, sizeof(a)));
	ASSERT_EQ(EINPROGRESS, errno);

	ASSERT_EQ(1, toy_peer_expect(&self->peer, s, TOY_SYN, 5));
	c.hport = s->sport;
	c.pport = 9002;
	c.rcv_nxt = s->seq + 1;
	c.snd_nxt = TOY_PEER_ISN;
	ASSERT_EQ(0, toy_peer_send(&self->peer, c.pport, c.hport,
				   TOY_SYN | TOY_ACK, c.snd_nxt++, c.rcv_nxt,
				   0, NULL, 0));
	ASSERT_EQ(1, toy_peer_expect(&self->peer, s, TOY_ACK, 5));
	EXPECT_EQ(c.snd_nxt, s->ack);
	EXPECT_EQ(0, toy_peer_count(&self->peer, 2.0));

	ASSERT_EQ(0, toy_peer_reset(&self->peer, &c));
	EXPECT_EQ(-1, recv(c.fd, in, sizeof(in), 0));
	EXPECT_EQ(ECONNRESET, errno);
	EXPECT_EQ(0, toy_peer_count(&self->peer, 0.5));
	close(c.fd);
	c.fd = -1;
}

/*
 * The ICMP "fragmentation needed" the peer writes passes the host's IPv4
 * and ICMP checks (header and ICMP checksums): it is counted as received
 * destination unreachable, not as an error.
 */
TEST_F(hostile, peer_icmp_frag_needed_is_well_formed)
{
	long in = toy_snmp("Icmp:", "InDestUnreachs");
	long errs = toy_snmp("Icmp:", "InErrors");
	struct toy_pseg *s = self->seg;
	static struct toy_pconn c;	/* tracked: outlives the test */

	ASSERT_LE(0, in);
	ASSERT_EQ(0, toy_peer_connect(&self->peer, &c, 9002, 4096));
	track(&c);
	ASSERT_EQ(5, write(c.fd, "hello", 5));
	ASSERT_EQ(1, toy_peer_recv(&self->peer, s, 10));
	ASSERT_EQ(5, s->len);
	ASSERT_EQ(0, toy_peer_icmp_frag_needed(&self->peer, s, 1280));
	EXPECT_EQ(in + 1, toy_snmp("Icmp:", "InDestUnreachs"));
	EXPECT_EQ(errs, toy_snmp("Icmp:", "InErrors"));
	EXPECT_EQ(0, toy_snmp("Icmp:", "InCsumErrors"));

	ASSERT_EQ(0, toy_peer_send(&self->peer, c.pport, c.hport, TOY_RST,
				   c.snd_nxt, 0, 0, NULL, 0));
	close(c.fd);
}

/* ---- helpers of the tests below ----------------------------------- */

/* Sequence number order, modulo 2^32. */
static int seq_before(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

/* The next segment with data from the host, within @secs (scaled). */
static int host_data(struct toy_peer *p, struct toy_pseg *s, double secs)
{
	double end = toy_now() + secs * toy_timeout_scale();

	while (toy_now() < end)
		if (toy_peer_recv(p, s, 0.1) && s->len)
			return 1;
	return 0;
}

/*
 * The peer resets the connection, and the host closes its socket: no
 * orphan is left to retransmit its FIN into silence for minutes.
 */
static void peer_abort(struct toy_peer *p, struct toy_pconn *c)
{
	toy_peer_reset(p, c);
	close(c->fd);
}

/* SO_ERROR once it is set, or 0 after @secs (scaled). */
static int wait_error(int fd, double secs)
{
	double end = toy_now() + secs * toy_timeout_scale();
	int err;

	while (!(err = so_error(fd)) && toy_now() < end)
		usleep(20000);
	return err;
}

static void set_int(int fd, int level, int name, int val)
{
	setsockopt(fd, level, name, &val, sizeof(val));
}

/* SO_RCVTIMEO of @secs (scaled): a read that must not hang the test. */
static void set_timeo(int fd, double secs)
{
	double t = secs * toy_timeout_scale();
	struct timeval tv = { .tv_sec = (long)t,
			      .tv_usec = (long)((t - (long)t) * 1e6) };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

/*
 * Segments the host sends within @secs (not scaled); with @probes, the
 * number among them below snd_una (sequence @una - 1, no data) goes
 * there.
 */
static int host_count(struct toy_peer *p, struct toy_pseg *s, double secs,
		      uint32_t una, int *probes)
{
	double end = toy_now() + secs;
	int n = 0;

	while (toy_now() < end) {
		if (!toy_peer_recv(p, s, 0.05 / toy_timeout_scale()))
			continue;
		n++;
		if (probes && !s->len && s->seq == una - 1)
			(*probes)++;
	}
	return n;
}

/* ---- connections that must end ------------------------------------ */

/*
 * The peer closes its window and falls silent: the host probes the
 * window, and after net.toy.retries2 unanswered probes the connection
 * fails with ETIMEDOUT instead of probing for ever.
 */
TEST_F(hostile, zero_window_silent_peer_times_out)
{
	struct toy_pseg *s = self->seg;
	static struct toy_pconn c;	/* tracked: outlives the test */
	char buf[2000] = { 0 };
	int probes = 0, err = 0;
	double end;

	EXPECT_EQ(0, sysctl_write("retries2", "3"));
	ASSERT_EQ(0, toy_peer_connect(&self->peer, &c, 9100, 1000));
	track(&c);
	ASSERT_EQ(2000, write(c.fd, buf, sizeof(buf)));
	ASSERT_EQ(1, host_data(&self->peer, s, 10));
	ASSERT_EQ(1000, s->len);
	c.rcv_nxt += s->len;
	toy_peer_ack(&self->peer, &c, 0);

	end = toy_now() + 60 * toy_timeout_scale();
	while (!(err = so_error(c.fd)) && toy_now() < end)
		host_count(&self->peer, s, 0.2, c.rcv_nxt, &probes);
	EXPECT_EQ(ETIMEDOUT, err);
	EXPECT_EQ(3, probes);
	close(c.fd);
}

/*
 * RFC 1122 4.2.2.17: a receiver that keeps answering the probes keeps
 * the connection open however long its window stays closed, and the
 * data goes once it opens.
 */
TEST_F(hostile, zero_window_answered_probes_keep_connection)
{
	struct toy_pseg *s = self->seg;
	static struct toy_pconn c;	/* tracked: outlives the test */
	char buf[2000] = { 0 };
	int i;

	uint32_t una;

	EXPECT_EQ(0, sysctl_write("retries2", "2"));
	ASSERT_EQ(0, toy_peer_connect(&self->peer, &c, 9101, 1000));
	track(&c);
	una = c.rcv_nxt;
	ASSERT_EQ(2000, write(c.fd, buf, sizeof(buf)));
	ASSERT_EQ(1, host_data(&self->peer, s, 10));
	c.rcv_nxt += s->len;
	toy_peer_ack(&self->peer, &c, 0);
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(1, toy_peer_expect(&self->peer, s, TOY_ACK, 30));
		EXPECT_EQ(c.rcv_nxt - 1, s->seq);
		EXPECT_EQ(0, s->len);
		toy_peer_ack(&self->peer, &c, 0);
	}
	EXPECT_EQ(0, so_error(c.fd));
	toy_peer_ack(&self->peer, &c, 4000);
	while (c.rcv_nxt != una + 2000) {
		ASSERT_EQ(1, host_data(&self->peer, s, 10));
		EXPECT_EQ(c.rcv_nxt, s->seq);
		c.rcv_nxt += s->len;
	}
	EXPECT_EQ(0, so_error(c.fd));
	peer_abort(&self->peer, &c);
}

/*
 * The same silent, closed window, but the application closed the
 * socket: the orphan gets net.toy.orphan_retries probes and is gone,
 * where it used to probe for ever and pin the module.
 */
TEST_F(hostile, zero_window_orphan_ends)
{
	struct toy_pseg *s = self->seg;
	static struct toy_pconn c;	/* tracked: outlives the test */
	char buf[2000] = { 0 };

	EXPECT_EQ(0, sysctl_write("orphan_retries", "2"));
	ASSERT_EQ(0, toy_peer_connect(&self->peer, &c, 9102, 1000));
	track(&c);
	ASSERT_EQ(2000, write(c.fd, buf, sizeof(buf)));
	ASSERT_EQ(1, host_data(&self->peer, s, 10));
	c.rcv_nxt += s->len;
	toy_peer_ack(&self->peer, &c, 0);
	close(c.fd);
	EXPECT_EQ(0, toy_live_wait("sockets", 0, 60));
	EXPECT_EQ(0, toy_live_wait("timers", 0, 5));
}

/*
 * Every transmission fails (the socket is bound to an interface that
 * does not exist, which SO_BINDTOIFINDEX accepts unchecked): the
 * attempts count like unanswered ones, so the writer gets ETIMEDOUT
 * after net.toy.retries2 of them, and an orphan is gone after
 * net.toy.orphan_retries.
 */
TEST_F(hostile, unroutable_connection_ends)
{
	static struct toy_pconn c, o;	/* tracked: outlive the test */
	char buf[100] = { 0 };

	EXPECT_EQ(0, sysctl_write("retries2", "2"));
	EXPECT_EQ(0, sysctl_write("orphan_retries", "2"));

	ASSERT_EQ(0, toy_peer_connect(&self->peer, &c, 9103, 4000));
	track(&c);
	set_int(c.fd, SOL_SOCKET, SO_BINDTOIFINDEX, 9999);
	ASSERT_EQ(100, write(c.fd, buf, sizeof(buf)));
	EXPECT_EQ(ETIMEDOUT, wait_error(c.fd, 60));
	close(c.fd);

	ASSERT_EQ(0, toy_peer_connect(&self->peer, &o, 9104, 4000));
	track(&o);
	set_int(o.fd, SOL_SOCKET, SO_BINDTOIFINDEX, 9999);
	ASSERT_EQ(100, write(o.fd, buf, sizeof(buf)));
	close(o.fd);
	EXPECT_EQ(0, toy_live_wait("sockets", 0, 60));
}

/*
 * Simultaneous open, then shutdown(SHUT_WR) while still in SYN_RECV:
 * the FIN waits for the handshake (RFC 793) and goes as soon as it
 * completes, instead of never.
 */
TEST_F(hostile, simultaneous_open_shutdown_sends_fin)
{
	struct sockaddr_toy a = taddr(PEER_ADDR, 9105);
	static struct toy_pconn c;	/* tracked: outlives the test */
	struct toy_pseg *s = self->seg;
	uint32_t iss, peer_isn = 5000000;
	uint16_t hport;
	int fd;

	fd = socket(TOY_AF, SOCK_STREAM | SOCK_NONBLOCK, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(-1, connect(fd, (struct sockaddr *)&a, sizeof(a)));
	ASSERT_EQ(EINPROGRESS, errno);
	ASSERT_EQ(1, toy_peer_expect(&self->peer, s, TOY_SYN, 10));
	iss = s->seq;
	hport = s->sport;
	c.hport = hport;
	c.pport = 9105;
	c.snd_nxt = peer_isn + 1;
	track(&c);

	/* The peer's own SYN crosses ours: SYN_RECV, our SYN-ACK. */
	toy_peer_send(&self->peer, 9105, hport, TOY_SYN, peer_isn, 0, 4000,
		      NULL, 0);
	ASSERT_EQ(1, toy_peer_expect(&self->peer, s, TOY_SYN | TOY_ACK, 10));
	EXPECT_EQ(iss, s->seq);
	EXPECT_EQ(peer_isn + 1, s->ack);
	ASSERT_EQ(0, shutdown(fd, SHUT_WR));

	/* The handshake completes: the FIN follows. */
	toy_peer_send(&self->peer, 9105, hport, TOY_ACK, peer_isn + 1,
		      iss + 1, 4000, NULL, 0);
	ASSERT_EQ(1, toy_peer_expect(&self->peer, s, TOY_FIN | TOY_ACK, 10));
	EXPECT_EQ(iss + 1, s->seq);
	EXPECT_EQ(peer_isn + 1, s->ack);

	toy_peer_send(&self->peer, 9105, hport, TOY_FIN | TOY_ACK,
		      peer_isn + 1, iss + 2, 4000, NULL, 0);
	ASSERT_EQ(1, toy_peer_expect(&self->peer, s, TOY_ACK, 10));
	EXPECT_EQ(peer_isn + 2, s->ack);
	close(fd);
}

/* ---- no answer loops ---------------------------------------------- */

/*
 * An ACK of data never sent is dropped unanswered (tcp_ack()), data
 * and all: an answer is what two confused peers ping-pong for ever.
 */
TEST_F(hostile, ack_of_unsent_data_unanswered)
{
	struct toy_pseg *s = self->seg;
	static struct toy_pconn c;	/* tracked: outlives the test */
	char in[16];
	int i;

	ASSERT_EQ(0, toy_peer_connect(&self->peer, &c, 9110, 4000));
	track(&c);
	for (i = 0; i < 10; i++)
		toy_peer_send(&self->peer, c.pport, c.hport, TOY_ACK,
			      c.snd_nxt, c.rcv_nxt + 100000, 4000, NULL, 0);
	toy_peer_send(&self->peer, c.pport, c.hport, TOY_ACK, c.snd_nxt,
		      c.rcv_nxt + 100000, 4000, "evil", 4);
	EXPECT_EQ(0, host_count(&self->peer, s, 1, 0, NULL));
	EXPECT_EQ(-1, recv(c.fd, in, sizeof(in), MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);
	peer_abort(&self->peer, &c);
}

/*
 * Segments outside the window are answered with an ACK at most once per
 * net.toy.invalid_ratelimit (500 ms) per connection; the rest are
 * counted in ACKSkippedSeq.  With the limit at 0, each is answered.
 */
TEST_F(hostile, out_of_window_answers_rate_limited)
{
	struct toy_pseg *s = self->seg;
	static struct toy_pconn c;	/* tracked: outlives the test */
	int i, n;

	ASSERT_EQ(0, toy_peer_connect(&self->peer, &c, 9111, 4000));
	track(&c);
	for (i = 0; i < 50; i++)
		toy_peer_send(&self->peer, c.pport, c.hport, TOY_ACK,
			      c.snd_nxt + 1000000, c.rcv_nxt, 4000, NULL, 0);
	n = host_count(&self->peer, s, 1, 0, NULL);
	EXPECT_LE(1, n);
	EXPECT_GE(4, n);
	EXPECT_LE(46, toy_stat("ACKSkippedSeq"));

	EXPECT_EQ(0, sysctl_write("invalid_ratelimit", "0"));
	for (i = 0; i < 20; i++)
		toy_peer_send(&self->peer, c.pport, c.hport, TOY_ACK,
			      c.snd_nxt + 1000000, c.rcv_nxt, 4000, NULL, 0);
	EXPECT_EQ(20, host_count(&self->peer, s, 1, 0, NULL));
	peer_abort(&self->peer, &c);
}

/*
 * RFC 5961 section 7: challenge ACKs are limited per connection (as
 * above) and per namespace by net.toy.challenge_ack_limit a second.
 */
TEST_F(hostile, challenge_acks_limited)
{
	struct toy_pseg *s = self->seg;
	long skipped;
	static struct toy_pconn c;	/* tracked: outlives the test */
	int i, n;

	EXPECT_EQ(0, sysctl_write("invalid_ratelimit", "0"));
	ASSERT_EQ(0, toy_peer_connect(&self->peer, &c, 9112, 4000));
	track(&c);
	/* No namespace limit by default: each reset draws its challenge. */
	for (i = 0; i < 20; i++)
		toy_peer_send(&self->peer, c.pport, c.hport, TOY_RST,
			      c.snd_nxt + 10, 0, 0, NULL, 0);
	EXPECT_EQ(20, host_count(&self->peer, s, 1, 0, NULL));

	EXPECT_EQ(0, sysctl_write("challenge_ack_limit", "10"));
	for (i = 0; i < 100; i++)
		toy_peer_send(&self->peer, c.pport, c.hport, TOY_RST,
			      c.snd_nxt + 10, 0, 0, NULL, 0);
	n = host_count(&self->peer, s, 1, 0, NULL);
	skipped = toy_stat("ACKSkippedChallenge");
	EXPECT_LE(1, n);
	EXPECT_GE(30, n);	/* 5 to 15 a second; two seconds at most */
	EXPECT_EQ(100 - n, skipped);
	EXPECT_EQ(20 + n, toy_stat("ChallengeACKs"));
	EXPECT_EQ(0, so_error(c.fd));
	peer_abort(&self->peer, &c);
}

/* Nonblocking writes until the socket's buffers are full; bytes. */
static long fill(int fd)
{
	static char buf[65536];
	long total = 0;
	ssize_t n;

	while ((n = send(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		total += n;
	return total;
}

/*
 * A second namespace, "toyhb", joined to this one by a veth pair: this
 * side 10.31.0.1, that side 10.31.0.2.  Real links, unlike loopback,
 * hand AF_TOY skbs whose memory is several times their data, which is
 * what makes a window that ignores it overrun the buffer.
 */
#define NEAR_IP	"10.31.0.1"
#define FAR_IP	"10.31.0.2"

static int far_ns_open(void)
{
	if (system("modprobe -q veth; ip netns del toyhb 2>/dev/null; "
		   "ip netns add toyhb && "
		   "ip link add vh0 type veth peer name vh1 netns toyhb && "
		   "ip addr add " NEAR_IP "/24 dev vh0 && ip link set vh0 up && "
		   "ip -n toyhb addr add " FAR_IP "/24 dev vh1 && "
		   "ip -n toyhb link set vh1 up && ip -n toyhb link set lo up"))
		return -1;
	return open("/run/netns/toyhb", O_RDONLY);
}

static void far_ns_close(int ns)
{
	close(ns);
	system("ip netns del toyhb 2>/dev/null");
}

/* A stream socket made in namespace @ns (it stays there), or -1. */
static int socket_in(int ns)
{
	int self = open("/proc/self/ns/net", O_RDONLY), fd = -1;

	if (self >= 0 && !setns(ns, CLONE_NEWNET)) {
		fd = socket(TOY_AF, SOCK_STREAM, 0);
		if (setns(self, CLONE_NEWNET)) {
			close(fd);
			fd = -1;
		}
	}
	close(self);
	return fd;
}

/*
 * A connection from here to a listener at FAR_IP:@port in namespace @ns
 * (or at 127.0.0.1 here, with @ns < 0): *@cli, *@srv (accepted); both
 * with SO_RCVBUF @rcvbuf unless 0.
 */
static int conn_pair(int ns, int port, int rcvbuf, int *cli, int *srv)
{
	struct sockaddr_toy a = taddr(ns < 0 ? "127.0.0.1" : FAR_IP, port);
	int l = ns < 0 ? socket(TOY_AF, SOCK_STREAM, 0) : socket_in(ns);

	if (l < 0)
		return -1;
	if (rcvbuf)
		set_int(l, SOL_SOCKET, SO_RCVBUF, rcvbuf);
	if (bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 1))
		goto err;
	*cli = socket(TOY_AF, SOCK_STREAM, 0);
	if (*cli < 0)
		goto err;
	if (rcvbuf)
		set_int(*cli, SOL_SOCKET, SO_RCVBUF, rcvbuf);
	if (connect(*cli, (struct sockaddr *)&a, sizeof(a)))
		goto err_cli;
	*srv = accept(l, NULL, NULL);
	if (*srv < 0)
		goto err_cli;
	close(l);
	return 0;
err_cli:
	close(*cli);
err:
	close(l);
	return -1;
}

/* AF_TOY packets in during @secs (unscaled), seen by raw socket @raw. */
static long in_packets(int raw, double secs)
{
	double end = toy_now() + secs;
	struct pollfd p = { .fd = raw, .events = POLLIN };
	char buf[128];
	long n = 0;

	while (toy_now() < end) {
		if (poll(&p, 1, 10) <= 0)
			continue;
		while (recv(raw, buf, sizeof(buf), MSG_DONTWAIT) > 0)
			n++;
	}
	return n;
}

/*
 * Two ordinary programs that both write and stop reading: once both
 * windows are closed, the connection goes quiet (a probe now and then),
 * where the two ends used to ping-pong ACKs at full speed for ever.
 */
TEST_F(hostile, both_write_none_reads_goes_quiet)
{
	int cli, srv, raw, ns;
	long n;

	ns = far_ns_open();
	ASSERT_LE(0, ns);
	raw = socket(AF_INET, SOCK_RAW, IPPROTO_TOY);
	ASSERT_LE(0, raw);
	ASSERT_EQ(0, conn_pair(ns, 9113, 4096, &cli, &srv));
	EXPECT_LT(0, fill(cli));
	EXPECT_LT(0, fill(srv));
	in_packets(raw, 3);	/* the buffers fill, the windows close */
	n = in_packets(raw, 2);
	TH_LOG("%ld segments in 2 s once both windows closed", n);
	EXPECT_GE(40, n);
	close(cli);
	close(srv);
	close(raw);
	far_ns_close(ns);
}

/* ---- windows and the sequence numbers of ACKs --------------------- */

/*
 * The right edge of the window the host offers never moves left (RFC
 * 9293 3.8.6.2.2) while the peer fills it and nobody reads.
 */
TEST_F(hostile, window_right_edge_never_moves_left)
{
	struct toy_pseg *s = self->seg;
	uint32_t edge = 0, cur;
	static struct toy_pconn c;	/* tracked: outlives the test */
	char data[1000];
	int l, i;

	memset(data, 'w', sizeof(data));
	l = toy_listener(PEER_HOST, 9120, 8);
	ASSERT_LE(0, l);
	set_int(l, SOL_SOCKET, SO_RCVBUF, 8192);
	ASSERT_EQ(0, toy_peer_dial(&self->peer, &c, l, 9120, 40120, 8192));
	track(&c);
	edge = c.snd_nxt + c.hwin;	/* the handshake's offer */
	for (i = 0; i < 40; i++) {
		toy_peer_data(&self->peer, &c, 8192, data, sizeof(data));
		if (!toy_peer_expect(&self->peer, s, TOY_ACK, 5))
			break;
		cur = s->ack + s->win;
		EXPECT_FALSE((int32_t)(cur - edge) < 0);
		if ((int32_t)(cur - edge) > 0)
			edge = cur;
		if (!s->win)
			break;
		c.snd_nxt = s->ack;	/* what it did not take, again */
	}
	EXPECT_LT(0, i);
	peer_abort(&self->peer, &c);
	close(l);
}

/*
 * The peer shrinks its window below data already sent: the host's ACKs
 * then carry the sequence number where that window ends
 * (tcp_acceptable_seq()), not one beyond it that the peer would refuse.
 */
TEST_F(hostile, ack_sequence_inside_peer_window)
{
	struct toy_pseg *s = self->seg;
	static struct toy_pconn c;	/* tracked: outlives the test */
	char buf[1000] = { 0 };
	uint32_t una;

	ASSERT_EQ(0, toy_peer_connect(&self->peer, &c, 9121, 4000));
	track(&c);
	una = c.rcv_nxt;
	ASSERT_EQ(1000, write(c.fd, buf, sizeof(buf)));
	ASSERT_EQ(1, host_data(&self->peer, s, 10));
	EXPECT_EQ(una, s->seq);
	/* Not acknowledged, and the window shrinks to nothing. */
	toy_peer_ack(&self->peer, &c, 0);
	toy_peer_data(&self->peer, &c, 0, "x", 1);
	for (;;) {
		ASSERT_EQ(1, toy_peer_expect(&self->peer, s, TOY_ACK, 10));
		if (s->ack == c.snd_nxt)
			break;
	}
	EXPECT_EQ(una, s->seq);
	peer_abort(&self->peer, &c);
}

/*
 * A server that writes and never reads, to a client that writes too and
 * reads everything: the server's data keeps being acknowledged while
 * its own receive window is closed, and nobody times out.
 */
TEST_F(hostile, writer_that_never_reads_survives)
{
	static char buf[65536];
	long sent = 0, got = 0, want = 1 << 20;
	int cli, srv, ns;
	double end;
	ssize_t n;

	ns = far_ns_open();
	ASSERT_LE(0, ns);
	/* Both ends give up after 3 timeouts: a stall would show at once. */
	EXPECT_EQ(0, sysctl_write("retries2", "3"));
	EXPECT_EQ(0, system("ip netns exec toyhb sh -c "
			    "'echo 3 >/proc/sys/net/toy/retries2'"));
	ASSERT_EQ(0, conn_pair(ns, 9122, 4096, &cli, &srv));
	end = toy_now() + 60 * toy_timeout_scale();
	while (got < want && toy_now() < end) {
		if (sent < want) {
			n = send(srv, buf, want - sent < (long)sizeof(buf) ?
				 want - sent : (long)sizeof(buf), MSG_DONTWAIT);
			if (n > 0)
				sent += n;
		}
		send(cli, buf, sizeof(buf), MSG_DONTWAIT);
		n = recv(cli, buf, sizeof(buf), MSG_DONTWAIT);
		if (n > 0)
			got += n;
		else
			usleep(1000);
	}
	EXPECT_EQ(want, got);
	EXPECT_EQ(0, so_error(srv));
	EXPECT_EQ(0, so_error(cli));
	close(cli);
	close(srv);
	far_ns_close(ns);
}

/*
 * The window offered is what the free buffer can really hold: with 64
 * KiB of receive buffer and nothing queued, close to 64 KiB (the share
 * of data in the memory of a segment is measured), not half of it.
 */
TEST_F(hostile, window_offers_most_of_buffer)
{
	static char buf[16384];
	struct toy_sniffed ack;
	char pkt[256];
	int cli, srv, raw, port;
	long got = 0;
	ssize_t n;

	raw = socket(AF_INET, SOCK_RAW, IPPROTO_TOY);
	ASSERT_LE(0, raw);
	/* The window field read as it is: no scaling. */
	ASSERT_EQ(0, sysctl_write("window_scaling", "0"));
	ASSERT_EQ(0, conn_pair(-1, 9123, 32768, &cli, &srv));	/* 64 KiB */
	port = local_port(cli);
	ASSERT_EQ(sizeof(buf), send(cli, buf, sizeof(buf), 0));
	while (got < (long)sizeof(buf) && (n = recv(srv, buf, sizeof(buf), 0)) > 0)
		got += n;
	while (recv(raw, pkt, sizeof(pkt), MSG_DONTWAIT) > 0)
		;	/* what the transfer left */
	ASSERT_EQ(1, send(cli, buf, 1, 0));
	ASSERT_EQ(1, toy_seg_sniff(raw, 9123, port, &ack, 5));
	TH_LOG("window offered with 64 KiB free: %u", ntohs(ack.th.window));
	EXPECT_LE(52000, ntohs(ack.th.window));
	close(cli);
	close(srv);
	close(raw);
}

/* ---- blind injection ---------------------------------------------- */

/*
 * RFC 5961 5.2: data whose ACK is older than anything the peer could
 * have seen is refused, and draws a challenge ACK.
 */
TEST_F(hostile, blind_data_injection_refused)
{
	struct toy_pseg *s = self->seg;
	static struct toy_pconn c;	/* tracked: outlives the test */
	char in[16];

	ASSERT_EQ(0, toy_peer_connect(&self->peer, &c, 9130, 4000));
	track(&c);
	toy_peer_send(&self->peer, c.pport, c.hport, TOY_ACK, c.snd_nxt,
		      c.rcv_nxt - 100000, 4000, "evil", 4);
	ASSERT_EQ(1, toy_peer_expect(&self->peer, s, TOY_ACK, 5));
	EXPECT_EQ(c.snd_nxt, s->ack);		/* not the 4 bytes */
	EXPECT_EQ(1, toy_stat("ChallengeACKs"));
	EXPECT_EQ(-1, recv(c.fd, in, sizeof(in), MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);

	toy_peer_data(&self->peer, &c, 4000, "good", 4);
	set_timeo(c.fd, 5);
	ASSERT_EQ(4, recv(c.fd, in, sizeof(in), 0));
	EXPECT_EQ(0, memcmp("good", in, 4));
	peer_abort(&self->peer, &c);
}

/*
 * An old (but possible) ACK: its data is taken, its window is not (RFC
 * 793: the window is updated only when SND.UNA =< SEG.ACK).
 */
TEST_F(hostile, old_ack_does_not_move_window)
{
	struct toy_pseg *s = self->seg;
	static struct toy_pconn c;	/* tracked: outlives the test */
	char buf[1000] = { 0 }, in[16];

	ASSERT_EQ(0, toy_peer_connect(&self->peer, &c, 9131, 4000));
	track(&c);
	ASSERT_EQ(1000, write(c.fd, buf, sizeof(buf)));
	ASSERT_EQ(1, host_data(&self->peer, s, 10));
	c.rcv_nxt += s->len;
	toy_peer_data(&self->peer, &c, 4000, "0123456789", 10);
	ASSERT_EQ(10, recv(c.fd, in, sizeof(in), 0));
	toy_peer_send(&self->peer, c.pport, c.hport, TOY_ACK, c.snd_nxt,
		      c.rcv_nxt - 1000, 0, "abcdefghij", 10);
	c.snd_nxt += 10;
	ASSERT_EQ(10, recv(c.fd, in, sizeof(in), 0));
	EXPECT_EQ(0, memcmp("abcdefghij", in, 10));

	/* The window is still open: new data goes at once. */
	ASSERT_EQ(100, write(c.fd, buf, 100));
	ASSERT_EQ(1, host_data(&self->peer, s, 5));
	EXPECT_EQ(c.rcv_nxt, s->seq);
	EXPECT_EQ(100, s->len);
	peer_abort(&self->peer, &c);
}

/* ---- keepalive on accepted sockets -------------------------------- */

/*
 * A listener's SO_KEEPALIVE runs on the connections it accepts: a
 * client that vanishes is probed and the connection fails.
 */
TEST_F(hostile, accepted_socket_runs_keepalive)
{
	struct toy_pseg *s = self->seg;
	static struct toy_pconn c;	/* tracked: outlives the test */
	int l;

	l = toy_listener(PEER_HOST, 9140, 8);
	ASSERT_LE(0, l);
	set_int(l, SOL_SOCKET, SO_KEEPALIVE, 1);
	set_int(l, SOL_TOY, TOY_KEEPIDLE, 1);
	set_int(l, SOL_TOY, TOY_KEEPINTVL, 1);
	set_int(l, SOL_TOY, TOY_KEEPCNT, 2);
	ASSERT_EQ(0, toy_peer_dial(&self->peer, &c, l, 9140, 40140, 4000));
	track(&c);
	ASSERT_EQ(1, toy_peer_expect(&self->peer, s, TOY_ACK, 10));
	EXPECT_EQ(c.rcv_nxt - 1, s->seq);	/* a keepalive probe */
	EXPECT_EQ(ETIMEDOUT, wait_error(c.fd, 20));
	close(c.fd);
	close(l);
}

/* ---- smaller rules ------------------------------------------------ */

/*
 * A reset just below the window, at the sequence number of the FIN the
 * peer sent (what some stacks send after their FIN), ends a connection
 * in CLOSE_WAIT (tcp_reset_check()).
 */
TEST_F(hostile, reset_at_peer_fin_ends_close_wait)
{
	struct toy_pseg *s = self->seg;
	static struct toy_pconn c;	/* tracked: outlives the test */
	int l;

	l = toy_listener(PEER_HOST, 9150, 8);
	ASSERT_LE(0, l);
	ASSERT_EQ(0, toy_peer_dial(&self->peer, &c, l, 9150, 40150, 4000));
	track(&c);
	toy_peer_send(&self->peer, c.pport, c.hport, TOY_FIN | TOY_ACK,
		      c.snd_nxt, c.rcv_nxt, 4000, NULL, 0);
	ASSERT_EQ(1, toy_peer_expect(&self->peer, s, TOY_ACK, 10));
	EXPECT_EQ(c.snd_nxt + 1, s->ack);
	toy_peer_send(&self->peer, c.pport, c.hport, TOY_RST, c.snd_nxt, 0, 0,
		      NULL, 0);
	EXPECT_EQ(EPIPE, wait_error(c.fd, 10));
	close(c.fd);
	close(l);
}

/* The timer of the /proc/net/toy row of local port @lport: tm->when. */
static long proc_timer(int lport)
{
	char line[256];
	unsigned int lp, tr;
	unsigned long when;
	long ret = -1;
	FILE *f = fopen("/proc/net/toy", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, " %*d: %*x:%x %*x:%*x %*x %*x:%*x %x:%lx",
			   &lp, &tr, &when) == 3 && lp == (unsigned int)lport) {
			ret = tr ? (long)when : -1;
			break;
		}
	}
	fclose(f);
	return ret;
}

/*
 * Zero-window probes back off, but the data's retransmission timeout
 * does not inherit that: once the window opens, a lost segment is
 * retransmitted after an RTO, not after the last probe interval.
 */
TEST_F(hostile, probe_backoff_leaves_rto_alone)
{
	struct toy_pseg *s = self->seg;
	static struct toy_pconn c;	/* tracked: outlives the test */
	char buf[2000] = { 0 };
	long when;
	int i;

	ASSERT_EQ(0, toy_peer_connect(&self->peer, &c, 9151, 1000));
	track(&c);
	ASSERT_EQ(2000, write(c.fd, buf, sizeof(buf)));
	ASSERT_EQ(1, host_data(&self->peer, s, 10));
	c.rcv_nxt += s->len;
	toy_peer_ack(&self->peer, &c, 0);
	for (i = 0; i < 5; i++) {	/* 0.2 s, 0.4 s ... 3.2 s */
		ASSERT_EQ(1, toy_peer_expect(&self->peer, s, TOY_ACK, 30));
		toy_peer_ack(&self->peer, &c, 0);
	}
	toy_peer_ack(&self->peer, &c, 4000);
	ASSERT_EQ(1, host_data(&self->peer, s, 10));
	when = proc_timer(c.hport);
	TH_LOG("retransmission timer after 5 probes: %ld ticks", when);
	EXPECT_LE(0, when);
	EXPECT_GT(150, when);	/* an RTO (200 ms..1 s), not 6.4 s */
	peer_abort(&self->peer, &c);
}

/*
 * NewReno (RFC 6582 3.2): a partial ACK during fast recovery deflates
 * the window by what it acknowledged, so it resends the next hole and
 * sends no burst of new data.
 */
TEST_F(hostile, partial_ack_deflates_window)
{
	static char buf[40000];
	struct toy_pseg *s = self->seg;
	uint32_t una, first_new = 0;
	static struct toy_pconn c;	/* tracked: outlives the test */
	int i, fresh = 0, resent = 0, mss = 0;

	ASSERT_EQ(0, toy_peer_connect(&self->peer, &c, 9152, 60000));
	track(&c);
	una = c.rcv_nxt;
	ASSERT_EQ(sizeof(buf), write(c.fd, buf, sizeof(buf)));
	/* The initial window: 10 segments. */
	for (i = 0; i < 10; i++) {
		ASSERT_EQ(1, host_data(&self->peer, s, 10));
		mss = s->len;
	}
	/*
	 * Three duplicate ACKs: two new segments (limited transmit), then
	 * the first one again (fast retransmit).
	 */
	for (i = 0; i < 3; i++)
		toy_peer_ack(&self->peer, &c, 60000);
	for (;;) {
		ASSERT_EQ(1, host_data(&self->peer, s, 10));
		if (s->seq == una)
			break;
		first_new = s->seq + s->len;
	}
	EXPECT_EQ(una + 12 * mss, first_new);
	/* A partial ACK: five segments, not the whole flight. */
	c.rcv_nxt = una + 5 * mss;
	toy_peer_ack(&self->peer, &c, 60000);
	while (toy_peer_recv(&self->peer, s, 0.1 / toy_timeout_scale())) {
		if (s->seq == c.rcv_nxt)
			resent++;
		else if (!seq_before(s->seq, first_new))
			fresh++;
	}
	EXPECT_LE(1, resent);	/* again after an RTO, if the machine is slow */
	EXPECT_EQ(0, fresh);
	peer_abort(&self->peer, &c);
}

/*
 * RFC 5681 4.1: after an idle time longer than the RTO, a sender starts
 * again from the initial window (10 segments) instead of bursting its
 * whole grown congestion window.
 */
TEST_F(hostile, idle_restarts_congestion_window)
{
	static char buf[30000];
	struct toy_pseg *s = self->seg;
	static struct toy_pconn c;	/* tracked: outlives the test */
	int round, i, burst = 0;

	ASSERT_EQ(0, toy_peer_connect(&self->peer, &c, 9153, 65000));
	track(&c);
	/*
	 * Grow the window: rounds of ten segments, every one acknowledged
	 * at once (slow start: +10 a round).  The writes are small enough
	 * never to block: the test itself is the peer that acknowledges.
	 */
	for (round = 0; round < 4; round++) {
		ASSERT_EQ(14600, write(c.fd, buf, 14600));
		for (i = 0; i < 10; i++) {
			ASSERT_EQ(1, host_data(&self->peer, s, 10));
			c.rcv_nxt = s->seq + s->len;
			toy_peer_ack(&self->peer, &c, 65000);
		}
	}
	usleep(1500000 * toy_timeout_scale());	/* idle: more than an RTO */
	ASSERT_EQ(sizeof(buf), write(c.fd, buf, sizeof(buf)));
	/* The burst: new segments until a timeout resends the first. */
	while (host_data(&self->peer, s, 0.15) && s->seq == c.rcv_nxt) {
		c.rcv_nxt += s->len;
		burst++;
	}
	TH_LOG("segments sent after the idle time before any ACK: %d", burst);
	EXPECT_LE(1, burst);
	EXPECT_GE(10, burst);
	peer_abort(&self->peer, &c);
}

/*
 * A TIME_WAIT entry answers data it cannot take with the old
 * connection's ACK, at most once per net.toy.invalid_ratelimit.
 */
TEST_F(hostile, time_wait_answers_late_data_rate_limited)
{
	struct toy_pseg *s = self->seg;
	static struct toy_pconn c;	/* tracked: outlives the test */
	int l, i;

	l = toy_listener(PEER_HOST, 9154, 8);
	ASSERT_LE(0, l);
	ASSERT_EQ(0, toy_peer_dial(&self->peer, &c, l, 9154, 40154, 4000));
	track(&c);
	close(c.fd);
	ASSERT_EQ(1, toy_peer_expect(&self->peer, s, TOY_FIN | TOY_ACK, 10));
	c.rcv_nxt++;
	toy_peer_send(&self->peer, c.pport, c.hport, TOY_FIN | TOY_ACK,
		      c.snd_nxt, c.rcv_nxt, 4000, NULL, 0);
	c.snd_nxt++;
	ASSERT_EQ(1, toy_peer_expect(&self->peer, s, TOY_ACK, 10));
	/* In TIME_WAIT now: late data, 20 times. */
	for (i = 0; i < 20; i++)
		toy_peer_send(&self->peer, c.pport, c.hport, TOY_ACK,
			      c.snd_nxt, c.rcv_nxt, 4000, "late", 4);
	i = host_count(&self->peer, s, 1, 0, NULL);
	EXPECT_LE(1, i);
	EXPECT_GE(3, i);
	EXPECT_LE(17, toy_stat("ACKSkippedTimeWait"));
	close(l);
}

TEST_HARNESS_MAIN
