// SPDX-License-Identifier: GPL-2.0
/*
 * AF_TOY header options (uapi toy.h): what the host's SYNs offer, how it
 * answers a peer's, and that the windows and segment sizes the
 * handshake settles are the ones used: scaled windows read and written
 * with each side's shift, segments no larger than the peer's MSS, and
 * TCP's fallbacks when the peer offers nothing.  Options that do not
 * parse drop their segment and are counted; unknown ones are skipped.
 * SACK: negotiated, the receiver's blocks, the sender's holes.
 * Timestamps: negotiated, echoed, PAWS, the options a SYN cookie keeps
 * in them, and the TIME_WAIT they let a new connection reopen.
 *
 * The peer is scripted on a TUN device (toy_peer.h), MTU 1500, so the
 * host's own MSS is 1460.  Every test runs in a fresh network namespace
 * (its own net.toy sysctls); the teardown leaves it and checks that
 * every live object is gone.  Last, buffer autotuning: the receive and
 * send buffers grow with a bulk transfer, within net.toy.rmem and wmem.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <linux/toy.h>

#include "kselftest_harness.h"
#include "toy_lib.h"
#include "toy_net.h"
#include "toy_seg.h"
#include "toy_peer.h"

#define HOST_MSS	1460		/* the TUN device's MTU less 40 */

/* What AF_TOY itself sends: MSS, NOP, window scale. */
#define OPTS_MSS_WS(mss, ws) \
	((const uint8_t[]){ TOY_OPT_MSS, TOY_OLEN_MSS, (mss) >> 8, \
			    (mss) & 0xff, TOY_OPT_NOP, TOY_OPT_WSCALE, \
			    TOY_OLEN_WSCALE, (ws) })
/* NOP, NOP, SACK permitted: one word. */
#define OPT_SACK_OK \
	((const uint8_t[]){ TOY_OPT_NOP, TOY_OPT_NOP, TOY_OPT_SACK_PERM, \
			    TOY_OLEN_SACK_PERM })
/* MSS and SACK permitted, as a peer without window scaling sends. */
#define OPTS_MSS_SACK(mss) \
	((const uint8_t[]){ TOY_OPT_MSS, TOY_OLEN_MSS, (mss) >> 8, \
			    (mss) & 0xff, TOY_OPT_NOP, TOY_OPT_NOP, \
			    TOY_OPT_SACK_PERM, TOY_OLEN_SACK_PERM })
#define OPTS_MSS(mss) \
	((const uint8_t[]){ TOY_OPT_MSS, TOY_OLEN_MSS, (mss) >> 8, \
			    (mss) & 0xff })

FIXTURE(opts) {
	struct toy_peer peer;
	struct toy_pseg *seg;
	struct toy_pconn conn;
};

FIXTURE_SETUP(opts)
{
	ASSERT_EQ(0, toy_live_wait_zero(5));
	ASSERT_EQ(0, new_netns());
	ASSERT_EQ(0, toy_peer_open(&self->peer, 0));
	self->seg = malloc(sizeof(*self->seg));
	ASSERT_NE(NULL, self->seg);
	self->conn.fd = -1;
}

FIXTURE_TEARDOWN(opts)
{
	struct toy_pconn *c = &self->conn;

	if (c->fd >= 0) {
		/* Reset it, so that nothing is left retransmitting. */
		toy_peer_send(&self->peer, c->pport, c->hport, TOY_RST,
			      c->snd_nxt, 0, 0, NULL, 0);
		close(c->fd);
	}
	free(self->seg);
	toy_peer_close(&self->peer);
	EXPECT_EQ(0, unshare(CLONE_NEWNET));
	EXPECT_EQ(0, toy_live_wait_zero(30));
}

/*
 * The value of option @kind in segment @s, read as uapi toy.h says:
 * its length, with *@val at its value; 0 if it is not there; -1 if
 * the options do not parse.
 */
static int opt_find(const struct toy_pseg *s, uint8_t kind,
		    const uint8_t **val)
{
	size_t i = 0;

	while (i < s->optlen) {
		uint8_t k = s->opts[i], len;

		if (k == TOY_OPT_EOL)
			break;
		if (k == TOY_OPT_NOP) {
			i++;
			continue;
		}
		if (i + 1 >= s->optlen)
			return -1;
		len = s->opts[i + 1];
		if (len < 2 || i + len > s->optlen)
			return -1;
		if (k == kind) {
			*val = &s->opts[i + 2];
			return len;
		}
		i += len;
	}
	return 0;
}

/* The MSS option of @s, 0 if none. */
static int opt_mss(const struct toy_pseg *s)
{
	const uint8_t *v;

	if (opt_find(s, TOY_OPT_MSS, &v) != TOY_OLEN_MSS)
		return 0;
	return v[0] << 8 | v[1];
}

/* The window scale option of @s, -1 if none. */
static int opt_wscale(const struct toy_pseg *s)
{
	const uint8_t *v;

	if (opt_find(s, TOY_OPT_WSCALE, &v) != TOY_OLEN_WSCALE)
		return -1;
	return v[0];
}

/* The next segment from the host that carries data; 1 or 0. */
static int next_data(struct toy_peer *p, struct toy_pseg *s, double secs)
{
	double end = toy_now() + secs * toy_timeout_scale();

	while (tpeer_recv_until(p, s, end))
		if (s->len)
			return 1;
	return 0;
}

/*
 * The next segment from the host that acknowledges @ack (data the host
 * had queued may go first, acknowledging less); 1 or 0.
 */
static int ack_of(struct toy_peer *p, struct toy_pseg *s, uint32_t ack,
		  double secs)
{
	double end = toy_now() + secs * toy_timeout_scale();

	while (tpeer_recv_until(p, s, end))
		if (s->flags & TOY_ACK && s->ack == ack)
			return 1;
	return 0;
}

/* A listener on PEER_HOST:@port whose receive buffer asks for @rcvbuf. */
static int listener_rcvbuf(int port, int rcvbuf)
{
	int l = socket(TOY_AF, SOCK_STREAM, 0);
	struct sockaddr_toy a = taddr(PEER_HOST, port);

	if (l < 0)
		return -1;
	if ((rcvbuf && setsockopt(l, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
				  sizeof(rcvbuf))) ||
	    bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 8)) {
		close(l);
		return -1;
	}
	return l;
}

/* connect() to the peer, nonblocking: the SYN goes; the fd, or -1. */
static int start_connect(int pport)
{
	struct sockaddr_toy a = taddr(PEER_ADDR, pport);
	int fd = socket(TOY_AF, SOCK_STREAM | SOCK_NONBLOCK, 0);

	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) &&
	    errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * A SYN offers the route's MSS, window scaling with a real shift, SACK
 * and timestamps.
 */
TEST_F(opts, syn_offers_mss_and_window_scale)
{
	int fd = start_connect(9300);

	ASSERT_LE(0, fd);
	ASSERT_EQ(1, toy_peer_expect(&self->peer, self->seg, TOY_SYN, 5));
	EXPECT_EQ(TOY_DOFF + 5, self->seg->doff);
	EXPECT_EQ(HOST_MSS, opt_mss(self->seg));
	/* Receive buffers beyond 64 KiB (net.core.rmem_max) need a shift. */
	EXPECT_LE(1, opt_wscale(self->seg));
	EXPECT_GE(TOY_MAX_WSCALE, opt_wscale(self->seg));
	/*
	 * The same bytes AF_TOY's diagram shows: MSS, SACK permitted,
	 * timestamps (TSecr 0), NOP, window scale.
	 */
	EXPECT_EQ(0, memcmp(self->seg->opts, OPTS_MSS(HOST_MSS), 4));
	EXPECT_EQ(0, memcmp(self->seg->opts + 4,
			    ((const uint8_t[]){ TOY_OPT_SACK_PERM,
						TOY_OLEN_SACK_PERM,
						TOY_OPT_TIMESTAMP,
						TOY_OLEN_TIMESTAMP }), 4));
	EXPECT_EQ(0, memcmp(self->seg->opts + 12, "\0\0\0\0", 4));
	EXPECT_EQ(0, memcmp(self->seg->opts + 16,
			    OPTS_MSS_WS(HOST_MSS, self->seg->opts[19]) + 4, 4));
	close(fd);
}

/* net.toy.window_scaling = 0: neither offered nor accepted. */
TEST_F(opts, window_scaling_sysctl_off)
{
	int fd, l;

	EXPECT_EQ(1, toy_read_long("/proc/sys/net/toy/window_scaling"));
	EXPECT_NE(0, sysctl_write("window_scaling", "2"));
	ASSERT_EQ(0, sysctl_write("window_scaling", "0"));

	fd = start_connect(9301);
	ASSERT_LE(0, fd);
	ASSERT_EQ(1, toy_peer_expect(&self->peer, self->seg, TOY_SYN, 5));
	/* MSS, SACK OK with timestamps */
	EXPECT_EQ(TOY_DOFF + 4, self->seg->doff);
	EXPECT_EQ(HOST_MSS, opt_mss(self->seg));
	EXPECT_EQ(-1, opt_wscale(self->seg));
	close(fd);

	l = listener_rcvbuf(9302, 0);
	ASSERT_LE(0, l);
	ASSERT_EQ(0, toy_peer_dial_opts(&self->peer, &self->conn, l, 9302,
					4000, 65535, OPTS_MSS_WS(1460, 7), 8,
					self->seg));
	EXPECT_EQ(-1, opt_wscale(self->seg));
	EXPECT_EQ(HOST_MSS, opt_mss(self->seg));
	close(l);
}

/*
 * A listener answers window scaling only when the SYN offers it, always
 * with its MSS, and its SYN-ACK's window is never scaled.
 */
TEST_F(opts, listener_answers_in_kind)
{
	const struct {
		const uint8_t *opts;
		size_t optlen;
		bool wscale;
	} syns[] = {
		{ OPTS_MSS_WS(1000, 5), 8, true },
		{ OPTS_MSS(1000), 4, false },
		{ NULL, 0, false },
	};
	int l = listener_rcvbuf(9303, 0), i;

	ASSERT_LE(0, l);
	for (i = 0; i < 3; i++) {
		struct toy_pconn c;

		ASSERT_EQ(0, toy_peer_dial_opts(&self->peer, &c, l, 9303,
						4010 + i, 65535, syns[i].opts,
						syns[i].optlen, self->seg));
		EXPECT_EQ(HOST_MSS, opt_mss(self->seg));
		if (syns[i].wscale) {
			EXPECT_EQ(TOY_DOFF + 2, self->seg->doff);
			EXPECT_LE(1, opt_wscale(self->seg));
		} else {
			EXPECT_EQ(TOY_DOFF + 1, self->seg->doff);
			EXPECT_EQ(-1, opt_wscale(self->seg));
		}
		EXPECT_LT(0, self->seg->win);
		toy_peer_reset(&self->peer, &c);
		close(c.fd);
	}
	close(l);
}

/*
 * Both ways scaled: the host reads the peer's window fields shifted by
 * the peer's count, and offers more than 64 KiB with its own.
 */
TEST_F(opts, scaled_windows_used_both_ways)
{
	struct toy_pconn *c = &self->conn;
	char buf[1000] = { 0 };
	int l = listener_rcvbuf(9304, 1 << 20), ws;

	ASSERT_LE(0, l);
	/* Peer's shift 4: a window field of 4 is 64 bytes. */
	ASSERT_EQ(0, toy_peer_dial_opts(&self->peer, c, l, 9304, 4020, 4,
					OPTS_MSS_WS(1460, 4), 8, self->seg));
	ws = opt_wscale(self->seg);
	ASSERT_LE(1, ws);

	ASSERT_EQ(sizeof(buf), send(c->fd, buf, sizeof(buf), 0));
	ASSERT_EQ(1, next_data(&self->peer, self->seg, 5));
	EXPECT_EQ(64, self->seg->len);
	c->rcv_nxt += self->seg->len;
	/* 256 << 4: room for the rest, which goes in one segment. */
	ASSERT_EQ(0, toy_peer_ack(&self->peer, c, 256));
	ASSERT_EQ(1, next_data(&self->peer, self->seg, 5));
	EXPECT_EQ(sizeof(buf) - 64, self->seg->len);
	c->rcv_nxt += self->seg->len;

	/* Its ACK of our data offers its buffer, beyond the 16-bit field. */
	ASSERT_EQ(0, toy_peer_data(&self->peer, c, 256, "x", 1));
	ASSERT_EQ(1, ack_of(&self->peer, self->seg, c->snd_nxt, 5));
	EXPECT_LT(65535, (long)self->seg->win << ws);
	close(l);
}

/* Without the peer's window scale option, no window is scaled. */
TEST_F(opts, unscaled_peer_gets_unscaled_windows)
{
	struct toy_pconn *c = &self->conn;
	char buf[100] = { 0 };
	int l = listener_rcvbuf(9305, 1 << 20);

	ASSERT_LE(0, l);
	ASSERT_EQ(0, toy_peer_dial_opts(&self->peer, c, l, 9305, 4030, 4,
					OPTS_MSS(1460), 4, self->seg));
	EXPECT_EQ(-1, opt_wscale(self->seg));
	ASSERT_EQ(sizeof(buf), send(c->fd, buf, sizeof(buf), 0));
	ASSERT_EQ(1, next_data(&self->peer, self->seg, 5));
	EXPECT_EQ(4, self->seg->len);		/* a field of 4 is 4 bytes */
	c->rcv_nxt += self->seg->len;

	ASSERT_EQ(0, toy_peer_data(&self->peer, c, 4, "x", 1));
	ASSERT_EQ(1, ack_of(&self->peer, self->seg, c->snd_nxt, 5));
	EXPECT_GE(65535, self->seg->win);
	EXPECT_LT(60000, self->seg->win);	/* all of a big buffer */
	close(l);
}

/* Segments are no larger than the peer's MSS option says. */
TEST_F(opts, peer_mss_respected)
{
	struct toy_pconn *c = &self->conn;
	char buf[2000] = { 0 };
	int l = listener_rcvbuf(9306, 0), i;

	ASSERT_LE(0, l);
	ASSERT_EQ(0, toy_peer_dial_opts(&self->peer, c, l, 9306, 4040, 65535,
					OPTS_MSS_WS(500, 0), 8, self->seg));
	ASSERT_EQ(sizeof(buf), send(c->fd, buf, sizeof(buf), 0));
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(1, next_data(&self->peer, self->seg, 5));
		EXPECT_EQ(500, self->seg->len);
		EXPECT_EQ(c->rcv_nxt, self->seg->seq);
		c->rcv_nxt += self->seg->len;
	}
	close(l);
}

/* An active open takes the SYN-ACK's MSS and window scale. */
TEST_F(opts, active_open_takes_synack_options)
{
	struct toy_pconn *c = &self->conn;
	char buf[5000] = { 0 };

	ASSERT_EQ(0, toy_peer_connect_opts(&self->peer, c, 9307, 1000,
					   OPTS_MSS_WS(600, 3), 8, self->seg));
	EXPECT_LE(1, opt_wscale(self->seg));
	/* 150 << 3: 1200 bytes, two segments of the peer's 600. */
	ASSERT_EQ(0, toy_peer_ack(&self->peer, c, 150));
	ASSERT_EQ(sizeof(buf), send(c->fd, buf, sizeof(buf), 0));
	ASSERT_EQ(1, next_data(&self->peer, self->seg, 5));
	EXPECT_EQ(c->rcv_nxt, self->seg->seq);
	EXPECT_EQ(600, self->seg->len);
	ASSERT_EQ(1, next_data(&self->peer, self->seg, 5));
	EXPECT_EQ(c->rcv_nxt + 600, self->seg->seq);
	EXPECT_EQ(600, self->seg->len);
}

/* Unknown kinds are skipped by their length; the SYN is answered. */
TEST_F(opts, unknown_options_skipped)
{
	static const uint8_t unknown[] = {
		99, 6, 1, 2, 3, 4,			/* unknown, 6 bytes */
		TOY_OPT_MSS, TOY_OLEN_MSS, 0x02, 0x18,	/* 536 */
		8, 10, 0, 0, 0, 1, 0, 0, 0, 0,		/* timestamps */
		TOY_OPT_NOP, TOY_OPT_NOP, TOY_OPT_EOL, 0x55,
	};
	struct toy_pconn *c = &self->conn;
	long errs = toy_stat("InOptErrors");
	char buf[1000] = { 0 };
	int l = listener_rcvbuf(9308, 0);

	ASSERT_LE(0, l);
	ASSERT_EQ(0, toy_peer_dial_opts(&self->peer, c, l, 9308, 4050, 65535,
					unknown, sizeof(unknown), self->seg));
	EXPECT_EQ(-1, opt_wscale(self->seg));
	EXPECT_EQ(errs, toy_stat("InOptErrors"));
	/*
	 * The MSS among them counted: 536-byte segments, less the 12 bytes
	 * of the timestamps they carry (which the SYN offered too).
	 */
	ASSERT_EQ(sizeof(buf), send(c->fd, buf, sizeof(buf), 0));
	ASSERT_EQ(1, next_data(&self->peer, self->seg, 5));
	EXPECT_EQ(536 - TOY_OLEN_TSTAMP_ALIGNED, self->seg->len);
	close(l);
}

/*
 * Options that do not parse drop the segment, counted, never answered:
 * a SYN, and data on a connection.
 */
TEST_F(opts, malformed_options_dropped)
{
	static const uint8_t bad_mss[] = { TOY_OPT_MSS, 3, 5, TOY_OPT_NOP };
	static const uint8_t past_end[] = { TOY_OPT_NOP, 99, 9, 0 };
	long errs = toy_stat("InErrs"), opterrs = toy_stat("InOptErrors");
	struct toy_pconn *c = &self->conn;
	int l = listener_rcvbuf(9309, 0);
	char buf[8];

	ASSERT_LE(0, l);
	ASSERT_EQ(0, toy_peer_send_seg(&self->peer, &(struct toy_seg){
		.saddr = toy_in(PEER_ADDR), .daddr = toy_in(PEER_HOST),
		.sport = 4060, .dport = 9309, .flags = TOY_SYN, .seq = 1,
		.win = 1000, .opts = bad_mss, .optlen = sizeof(bad_mss) }));
	EXPECT_EQ(0, toy_peer_count(&self->peer, 1.0));
	EXPECT_EQ(opterrs + 1, toy_stat("InOptErrors"));
	EXPECT_EQ(errs + 1, toy_stat("InErrs"));

	ASSERT_EQ(0, toy_peer_dial(&self->peer, c, l, 9309, 4061, 65535));
	ASSERT_EQ(0, toy_peer_send_seg(&self->peer, &(struct toy_seg){
		.saddr = toy_in(PEER_ADDR), .daddr = toy_in(PEER_HOST),
		.sport = c->pport, .dport = c->hport, .flags = TOY_ACK,
		.seq = c->snd_nxt, .ack = c->rcv_nxt, .win = 1000,
		.opts = past_end, .optlen = sizeof(past_end),
		.data = "lost", .len = 4 }));
	EXPECT_EQ(0, toy_peer_count(&self->peer, 1.0));
	EXPECT_EQ(opterrs + 2, toy_stat("InOptErrors"));
	EXPECT_EQ(-1, recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);
	/* The same bytes with good options arrive. */
	ASSERT_EQ(0, toy_peer_data(&self->peer, c, 1000, "kept", 4));
	ASSERT_EQ(4, recv(c->fd, buf, sizeof(buf), 0));
	EXPECT_EQ(0, memcmp(buf, "kept", 4));
	close(l);
}

/* A SYN cookie keeps no window scale nor SACK: its SYN-ACK offers none. */
TEST_F(opts, cookie_synack_has_no_window_scale)
{
	long recv0 = toy_stat("SyncookiesRecv");
	struct toy_pconn *c = &self->conn;
	uint8_t syn[12];
	const uint8_t *v;
	int l;

	memcpy(syn, OPTS_MSS_WS(1460, 7), 8);
	memcpy(syn + 8, OPT_SACK_OK, 4);
	ASSERT_EQ(0, sysctl_write("syncookies", "2"));
	l = listener_rcvbuf(9310, 0);
	ASSERT_LE(0, l);
	ASSERT_EQ(0, toy_peer_dial_opts(&self->peer, c, l, 9310, 4070, 65535,
					syn, sizeof(syn), self->seg));
	EXPECT_EQ(recv0 + 1, toy_stat("SyncookiesRecv"));
	EXPECT_EQ(HOST_MSS, opt_mss(self->seg));
	EXPECT_EQ(-1, opt_wscale(self->seg));
	EXPECT_EQ(0, opt_find(self->seg, TOY_OPT_SACK_PERM, &v));
	close(l);
}

/* ---- SACK ------------------------------------------------------------ */

/* Write SACK block [@start, @end) at @p, network order; past it. */
static uint8_t *put_block(uint8_t *p, uint32_t start, uint32_t end)
{
	uint32_t be[2] = { htonl(start), htonl(end) };

	memcpy(p, be, sizeof(be));
	return p + sizeof(be);
}

/* The SACK blocks of @s into @b (host order); how many, -1 if malformed. */
static int opt_sack(const struct toy_pseg *s, uint32_t b[][2])
{
	const uint8_t *v;
	int len = opt_find(s, TOY_OPT_SACK, &v), i;

	if (len <= 0)
		return len;
	if (len < 10 || len % 8 != 2)
		return -1;
	for (i = 0; i < (len - 2) / 8; i++, v += 8) {
		b[i][0] = (uint32_t)v[0] << 24 | v[1] << 16 | v[2] << 8 | v[3];
		b[i][1] = (uint32_t)v[4] << 24 | v[5] << 16 | v[6] << 8 | v[7];
	}
	return i;
}

/* net.toy.sack = 0: neither offered nor accepted; 1 answers in kind. */
TEST_F(opts, sack_negotiated_in_kind)
{
	const uint8_t *v;
	int fd, l;

	EXPECT_EQ(1, toy_read_long("/proc/sys/net/toy/sack"));
	EXPECT_NE(0, sysctl_write("sack", "2"));
	l = listener_rcvbuf(9311, 0);
	ASSERT_LE(0, l);
	ASSERT_EQ(0, toy_peer_dial_opts(&self->peer, &self->conn, l, 9311,
					4080, 65535, OPTS_MSS_SACK(1460), 8,
					self->seg));
	EXPECT_EQ(TOY_OLEN_SACK_PERM,
		  opt_find(self->seg, TOY_OPT_SACK_PERM, &v));
	toy_peer_reset(&self->peer, &self->conn);
	close(self->conn.fd);
	self->conn.fd = -1;
	ASSERT_EQ(0, toy_peer_dial_opts(&self->peer, &self->conn, l, 9311,
					4081, 65535, OPTS_MSS(1460), 4,
					self->seg));
	EXPECT_EQ(0, opt_find(self->seg, TOY_OPT_SACK_PERM, &v));

	ASSERT_EQ(0, sysctl_write("sack", "0"));
	fd = start_connect(9312);
	ASSERT_LE(0, fd);
	ASSERT_EQ(1, toy_peer_expect(&self->peer, self->seg, TOY_SYN, 5));
	EXPECT_EQ(0, opt_find(self->seg, TOY_OPT_SACK_PERM, &v));
	EXPECT_EQ(TOY_DOFF + 5, self->seg->doff);	/* MSS, TS, WS */
	close(fd);
	toy_peer_reset(&self->peer, &self->conn);
	close(self->conn.fd);
	self->conn.fd = -1;
	ASSERT_EQ(0, toy_peer_dial_opts(&self->peer, &self->conn, l, 9311,
					4082, 65535, OPTS_MSS_SACK(1460), 8,
					self->seg));
	EXPECT_EQ(0, opt_find(self->seg, TOY_OPT_SACK_PERM, &v));
	close(l);
}

/*
 * The receiver's ACKs name what it holds beyond a hole, the block that
 * arrived last first, and nothing once the holes are filled.
 */
TEST_F(opts, receiver_sacks_what_it_holds)
{
	struct toy_pconn *c = &self->conn;
	struct toy_pseg *s = self->seg;
	uint32_t b[4][2], base;
	char buf[400];
	int l = listener_rcvbuf(9313, 0);

	ASSERT_LE(0, l);
	ASSERT_EQ(0, toy_peer_dial_opts(&self->peer, c, l, 9313, 4090, 65535,
					OPTS_MSS_SACK(1460), 8, s));
	base = c->snd_nxt;
	/* Bytes 100..199, then 300..399: two blocks, the later first. */
	ASSERT_EQ(0, toy_peer_send(&self->peer, c->pport, c->hport, TOY_ACK,
				   base + 100, c->rcv_nxt, 65535, buf, 100));
	ASSERT_EQ(1, ack_of(&self->peer, s, base, 5));
	ASSERT_EQ(1, opt_sack(s, b));
	EXPECT_EQ(base + 100, b[0][0]);
	EXPECT_EQ(base + 200, b[0][1]);
	ASSERT_EQ(0, toy_peer_send(&self->peer, c->pport, c->hport, TOY_ACK,
				   base + 300, c->rcv_nxt, 65535, buf, 100));
	ASSERT_EQ(1, ack_of(&self->peer, s, base, 5));
	ASSERT_EQ(2, opt_sack(s, b));
	EXPECT_EQ(base + 300, b[0][0]);
	EXPECT_EQ(base + 400, b[0][1]);
	EXPECT_EQ(base + 100, b[1][0]);
	EXPECT_EQ(base + 200, b[1][1]);
	/* The first hole filled: one block left. */
	ASSERT_EQ(0, toy_peer_data(&self->peer, c, 65535, buf, 100));
	ASSERT_EQ(1, ack_of(&self->peer, s, base + 200, 5));
	ASSERT_EQ(1, opt_sack(s, b));
	EXPECT_EQ(base + 300, b[0][0]);
	/* The second: all acknowledged, no block. */
	c->snd_nxt = base + 200;
	ASSERT_EQ(0, toy_peer_data(&self->peer, c, 65535, buf, 100));
	ASSERT_EQ(1, ack_of(&self->peer, s, base + 400, 5));
	EXPECT_EQ(0, opt_sack(s, b));
	c->snd_nxt = base + 400;	/* the teardown's reset must fit */
	EXPECT_EQ(400, recv(c->fd, buf, sizeof(buf), MSG_WAITALL));
	close(l);
}

/*
 * The host connect()s to the peer's port @pport; the peer answers with
 * MSS and SACK permitted after @rtt_us (a long RTT keeps the RTO from
 * firing while a test scripts its ACKs; under the SYN's 1 s timeout, or
 * the resent SYN gives no RTT sample); the host's socket gets
 * TOY_NODELAY, so each write is a segment.  0, or -1.
 */
static int sack_connect(struct toy_peer *p, struct toy_pconn *c,
			struct toy_pseg *s, uint16_t pport, useconds_t rtt_us)
{
	int one = 1, fd = start_connect(pport);

	memset(c, 0, sizeof(*c));
	c->fd = fd;
	if (fd < 0 || toy_peer_expect(p, s, TOY_SYN, 5) != 1)
		return -1;
	c->hport = s->sport;
	c->pport = pport;
	c->rcv_nxt = s->seq + 1;
	c->snd_nxt = 5000;
	usleep(rtt_us);
	if (toy_peer_send_seg(p, &(struct toy_seg){
			.saddr = toy_in(PEER_ADDR), .daddr = toy_in(PEER_HOST),
			.sport = c->pport, .dport = c->hport,
			.flags = TOY_SYN | TOY_ACK, .seq = c->snd_nxt,
			.ack = c->rcv_nxt, .win = 65535,
			.opts = OPTS_MSS_SACK(1460), .optlen = 8 }))
		return -1;
	c->snd_nxt++;
	if (ack_of(p, s, c->snd_nxt, 5) != 1)
		return -1;
	return setsockopt(fd, SOL_TOY, TOY_NODELAY, &one, sizeof(one));
}

/* One SACK block, @start to @end, as options at @opts; their length. */
static int put_sack(uint8_t *opts, uint32_t start, uint32_t end)
{
	uint8_t *p = opts;

	*p++ = TOY_OPT_NOP;
	*p++ = TOY_OPT_NOP;
	*p++ = TOY_OPT_SACK;
	*p++ = 10;
	return put_block(p, start, end) - opts;
}

/* The peer acknowledges @ack with the options @opts: 0, or -1. */
static int sack_ack(struct toy_peer *p, const struct toy_pconn *c,
		    uint32_t ack, const uint8_t *opts, int optlen)
{
	return toy_peer_send_seg(p, &(struct toy_seg){
			.saddr = toy_in(PEER_ADDR), .daddr = toy_in(PEER_HOST),
			.sport = c->pport, .dport = c->hport, .flags = TOY_ACK,
			.seq = c->snd_nxt, .ack = ack, .win = 65535,
			.opts = opts, .optlen = optlen });
}

/*
 * The sender resends only the holes.  Eight segments go; the peer lost
 * the first and the fifth, and its duplicate ACKs SACK the rest: fast
 * retransmit resends the first, a later duplicate ACK the fifth, and
 * nothing the peer holds goes again.  An ACK that SACKs new data is a
 * duplicate ACK even when its window shrank.  The handshake takes 0.8 s,
 * so that the RTO (three times the RTT) cannot fire meanwhile.
 */
TEST_F(opts, sender_resends_only_the_holes)
{
	struct toy_pconn *c = &self->conn;
	struct toy_pseg *s = self->seg;
	long rtx = toy_stat("RetransSegs");
	uint8_t opts[24];
	uint32_t seq[8];
	int fd, i, resent = 0;
	char buf[100] = { 0 };

	ASSERT_EQ(0, sack_connect(&self->peer, c, s, 9314, 800000));
	fd = c->fd;
	for (i = 0; i < 8; i++) {
		ASSERT_EQ(100, write(fd, buf, 100));
		ASSERT_EQ(1, next_data(&self->peer, s, 5));
		seq[i] = s->seq;
		EXPECT_EQ(c->rcv_nxt + 100 * i, seq[i]);
	}
	/*
	 * Three duplicate ACKs: 1..3 held, then 5, then 5..7 too.  Each
	 * SACKs something new, so each counts, though the window shrinks
	 * as the receiver's buffer holds more.
	 */
	for (i = 0; i < 3; i++) {
		uint8_t *p = opts;

		*p++ = TOY_OPT_NOP;
		*p++ = TOY_OPT_NOP;
		*p++ = TOY_OPT_SACK;
		*p++ = i ? 18 : 10;
		p = put_block(p, seq[1], seq[4]);
		if (i)
			p = put_block(p, seq[5], i == 1 ? seq[6] : seq[7] + 100);
		ASSERT_EQ(0, toy_peer_send_seg(&self->peer, &(struct toy_seg){
				.saddr = toy_in(PEER_ADDR),
				.daddr = toy_in(PEER_HOST),
				.sport = c->pport, .dport = c->hport,
				.flags = TOY_ACK, .seq = c->snd_nxt,
				.ack = seq[0], .win = 65535 - 1000 * i,
				.opts = opts, .optlen = p - opts }));
	}
	ASSERT_EQ(1, next_data(&self->peer, s, 5));
	EXPECT_EQ(seq[0], s->seq);
	/* One more duplicate ACK: its room goes to the other hole. */
	ASSERT_EQ(0, toy_peer_send_seg(&self->peer, &(struct toy_seg){
			.saddr = toy_in(PEER_ADDR), .daddr = toy_in(PEER_HOST),
			.sport = c->pport, .dport = c->hport,
			.flags = TOY_ACK, .seq = c->snd_nxt, .ack = seq[0],
			.win = 63535, .opts = opts, .optlen = 20 }));
	ASSERT_EQ(1, next_data(&self->peer, s, 5));
	EXPECT_EQ(seq[4], s->seq);
	/* All of it now: nothing else was resent. */
	ASSERT_EQ(0, toy_peer_send(&self->peer, c->pport, c->hport, TOY_ACK,
				   c->snd_nxt, seq[7] + 100, 65535, NULL, 0));
	while (toy_peer_recv(&self->peer, s, 0.5))
		resent += s->len > 0;
	EXPECT_EQ(0, resent);
	EXPECT_EQ(rtx + 2, toy_stat("RetransSegs"));
}

/*
 * One ACK that SACKs nine segments of ten starts recovery at once: three
 * segments SACKed above a hole say it is lost (RFC 6675), however few
 * ACKs said so (one ACK may SACK a whole run of segments).  The hole
 * goes again, and Proportional Rate Reduction (RFC 6937) lets the pipe,
 * which the SACK emptied, fill up to ssthresh, half the flight: the
 * resent segment and four new ones, no more.  The ACK of all of it
 * ends recovery with the window at ssthresh: five more go.
 */
TEST_F(opts, one_sack_of_three_starts_recovery_prr_refills)
{
	long fr = toy_stat("FastRetrans"), rtx = toy_stat("RetransSegs");
	long rto = toy_stat("Timeouts");
	struct toy_pconn *c = &self->conn;
	struct toy_pseg *s = self->seg;
	uint8_t opts[12];
	int fd, i, more = 0;
	char buf[1460] = { 0 };
	uint32_t seq[10], next;

	/*
	 * An RTT of 0.8 s, under the SYN's first RTO (1 s), so that the
	 * handshake gives a sample: the RTO (2.4 s) outlasts the script.
	 */
	ASSERT_EQ(0, sack_connect(&self->peer, c, s, 9317, 800000));
	fd = c->fd;
	for (i = 0; i < 10; i++) {
		ASSERT_EQ(100, write(fd, buf, 100));
		ASSERT_EQ(1, next_data(&self->peer, s, 5));
		seq[i] = s->seq;
	}
	next = seq[9] + 100;
	/* The initial window is full: these wait. */
	for (i = 0; i < 10; i++)
		ASSERT_EQ(1460, write(fd, buf, 1460));

	ASSERT_EQ(0, sack_ack(&self->peer, c, seq[0], opts,
			      put_sack(opts, seq[1], next)));
	ASSERT_EQ(1, next_data(&self->peer, s, 5));
	EXPECT_EQ(seq[0], s->seq);
	EXPECT_EQ(fr + 1, toy_stat("FastRetrans"));
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(1, next_data(&self->peer, s, 5));
		EXPECT_EQ(next + 1460 * i, s->seq);
		EXPECT_EQ(1460, s->len);
	}
	while (toy_peer_recv(&self->peer, s, 0.2))
		more += s->len > 0;
	EXPECT_EQ(0, more);

	next += 4 * 1460;
	ASSERT_EQ(0, toy_peer_send(&self->peer, c->pport, c->hport, TOY_ACK,
				   c->snd_nxt, next, 65535, NULL, 0));
	while (more < 5 && next_data(&self->peer, s, 5)) {
		EXPECT_EQ(next + 1460 * more, s->seq);
		more++;
	}
	while (toy_peer_recv(&self->peer, s, 0.2))
		more += s->len > 0;
	EXPECT_EQ(5, more);
	EXPECT_EQ(rtx + 1, toy_stat("RetransSegs"));
	EXPECT_EQ(rto, toy_stat("Timeouts"));
}

/*
 * With an RTT of 0.8 s (a sample from the handshake, an RTO of 2.4 s),
 * the host sends ten segments of 100 bytes, whose sequence numbers go
 * to @seq, and queues ten full ones behind them (the initial window is
 * full).  0, or -1.
 */
static int ten_in_flight(struct toy_peer *p, struct toy_pconn *c,
			 struct toy_pseg *s, uint16_t pport, uint32_t *seq)
{
	char buf[1460] = { 0 };
	int i;

	if (sack_connect(p, c, s, pport, 800000))
		return -1;
	for (i = 0; i < 10; i++) {
		if (write(c->fd, buf, 100) != 100 || next_data(p, s, 5) != 1)
			return -1;
		seq[i] = s->seq;
	}
	for (i = 0; i < 10; i++)
		if (write(c->fd, buf, 1460) != 1460)
			return -1;
	return 0;
}

/* The peer acknowledges everything sent, @high or beyond if more came. */
static int ack_all(struct toy_peer *p, struct toy_pconn *c,
		   struct toy_pseg *s, uint32_t high)
{
	while (toy_peer_recv(p, s, 0.2))
		if (s->len && (int32_t)(s->seq + s->len - high) > 0)
			high = s->seq + s->len;
	return toy_peer_send(p, c->pport, c->hport, TOY_ACK, c->snd_nxt, high,
			     65535, NULL, 0);
}

/*
 * A resent segment can be lost too.  Recovery resends the hole and four
 * new segments; the peer loses the resent copy and SACKs the first new
 * segment, which went after it.  The copy should have arrived first: it
 * is lost (RACK, RFC 8985), and goes once more at once, not after the
 * RTO (2.4 s here), which never fires.
 */
TEST_F(opts, lost_retransmission_resent_before_the_rto)
{
	long lost = toy_stat("LostRetransmit"), rto = toy_stat("Timeouts");
	long rtx = toy_stat("RetransSegs");
	struct toy_pconn *c = &self->conn;
	struct toy_pseg *s = self->seg;
	uint32_t seq[10], next, high;
	uint8_t opts[12];
	int i;

	/* An RTT of 0.8 s: a sample from the handshake, an RTO of 2.4 s. */
	ASSERT_EQ(0, ten_in_flight(&self->peer, c, s, 9319, seq));
	next = seq[9] + 100;

	/* The first segment is missing: it goes again, then new data. */
	ASSERT_EQ(0, sack_ack(&self->peer, c, seq[0], opts,
			      put_sack(opts, seq[1], next)));
	ASSERT_EQ(1, next_data(&self->peer, s, 5));
	EXPECT_EQ(seq[0], s->seq);
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(1, next_data(&self->peer, s, 5));
		EXPECT_EQ(next + 1460 * i, s->seq);
	}
	high = s->seq + s->len;

	/* The resent copy was lost; the first new segment arrived. */
	ASSERT_EQ(0, sack_ack(&self->peer, c, seq[0], opts,
			      put_sack(opts, seq[1], next + 1460)));
	ASSERT_EQ(1, next_data(&self->peer, s, 5));
	EXPECT_EQ(seq[0], s->seq);
	EXPECT_EQ(lost + 1, toy_stat("LostRetransmit"));
	EXPECT_EQ(rtx + 2, toy_stat("RetransSegs"));
	EXPECT_EQ(rto, toy_stat("Timeouts"));
	ASSERT_EQ(0, ack_all(&self->peer, c, s, high));
	EXPECT_EQ(rto, toy_stat("Timeouts"));
}

/*
 * Once the network has reordered the connection's segments, a SACK of
 * data sent after a resent copy no longer proves the copy lost: it may
 * only be late.  The second segment arrives after the third; later, in
 * recovery, the peer SACKs a segment sent after the resent first one,
 * and the copy is not sent again (RACK would wait a reordering window;
 * here the RTO decides).
 */
TEST_F(opts, after_reordering_a_late_retransmission_is_not_resent)
{
	long lost = toy_stat("LostRetransmit"), rto = toy_stat("Timeouts");
	struct toy_pconn *c = &self->conn;
	struct toy_pseg *s = self->seg;
	uint32_t seq[10], next, high, after = 0;
	uint8_t opts[12];
	int again = 0;

	ASSERT_EQ(0, ten_in_flight(&self->peer, c, s, 9327, seq));
	next = seq[9] + 100;

	/* The third segment, then the second: reordered. */
	ASSERT_EQ(0, sack_ack(&self->peer, c, seq[0], opts,
			      put_sack(opts, seq[2], seq[3])));
	ASSERT_EQ(0, sack_ack(&self->peer, c, seq[0], opts,
			      put_sack(opts, seq[1], seq[3])));
	/* All but the first: recovery resends it, then new data. */
	ASSERT_EQ(0, sack_ack(&self->peer, c, seq[0], opts,
			      put_sack(opts, seq[1], next)));
	while (next_data(&self->peer, s, 5) && s->seq != seq[0])
		;
	ASSERT_EQ(seq[0], s->seq);
	ASSERT_EQ(1, next_data(&self->peer, s, 5));
	after = s->seq + s->len;	/* sent after the resent copy */
	high = after;

	ASSERT_EQ(0, sack_ack(&self->peer, c, seq[0], opts,
			      put_sack(opts, seq[1], after)));
	while (toy_peer_recv(&self->peer, s, 0.2)) {
		again += s->len && s->seq == seq[0];
		if (s->len && (int32_t)(s->seq + s->len - high) > 0)
			high = s->seq + s->len;
	}
	EXPECT_EQ(0, again);
	EXPECT_EQ(lost, toy_stat("LostRetransmit"));
	EXPECT_EQ(rto, toy_stat("Timeouts"));
	ASSERT_EQ(0, toy_peer_send(&self->peer, c->pport, c->hport, TOY_ACK,
				   c->snd_nxt, high, 65535, NULL, 0));
}

/*
 * A peer may acknowledge part of a segment.  Three duplicate ACKs of
 * that point, which SACK nothing, still start recovery, and the segment
 * that holds the first unacknowledged byte goes again at once: it is
 * lost, though no block says so.
 */
TEST_F(opts, partly_acknowledged_segment_resent_on_three_dupacks)
{
	long fr = toy_stat("FastRetrans"), rto = toy_stat("Timeouts");
	struct toy_pconn *c = &self->conn;
	struct toy_pseg *s = self->seg;
	char buf[100] = { 0 };
	uint32_t seq[6];
	int fd, i;

	/* As above: a real RTT sample, an RTO of 2.4 s. */
	ASSERT_EQ(0, sack_connect(&self->peer, c, s, 9318, 800000));
	fd = c->fd;
	for (i = 0; i < 6; i++) {
		ASSERT_EQ(100, write(fd, buf, 100));
		ASSERT_EQ(1, next_data(&self->peer, s, 5));
		seq[i] = s->seq;
	}
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, toy_peer_send(&self->peer, c->pport, c->hport,
					   TOY_ACK, c->snd_nxt, seq[0] + 50,
					   65535, NULL, 0));
	ASSERT_EQ(1, next_data(&self->peer, s, 5));
	EXPECT_EQ(seq[0], s->seq);
	EXPECT_EQ(fr + 1, toy_stat("FastRetrans"));
	EXPECT_EQ(rto, toy_stat("Timeouts"));	/* recovery's, not the RTO's */
	ASSERT_EQ(0, toy_peer_send(&self->peer, c->pport, c->hport, TOY_ACK,
				   c->snd_nxt, seq[5] + 100, 65535, NULL, 0));
}

/*
 * SACK blocks are believed only inside what was sent and not yet
 * acknowledged: blocks that reach past the highest sequence number sent
 * are ignored, so three ACKs that "SACK" the whole flight that way (each
 * with a new window, so none is a plain duplicate ACK) start no fast
 * retransmit.  Believed, they would mark every segment but the first
 * and fast retransmit it.  (On a slow machine the tail loss probe may
 * send the last segment again meanwhile: that is not the first.)
 */
TEST_F(opts, sack_blocks_beyond_what_was_sent_ignored)
{
	struct toy_pconn *c = &self->conn;
	struct toy_pseg *s = self->seg;
	long fr = toy_stat("FastRetrans"), rtx = toy_stat("RetransSegs");
	long probes = toy_stat("LossProbes");
	uint32_t seq[8], end;
	int fd, i, first = 0;
	char buf[100] = { 0 };
	uint8_t opts[12];

	ASSERT_EQ(0, sack_connect(&self->peer, c, s, 9315, 800000));
	fd = c->fd;
	for (i = 0; i < 8; i++) {
		ASSERT_EQ(100, write(fd, buf, 100));
		ASSERT_EQ(1, next_data(&self->peer, s, 5));
		seq[i] = s->seq;
	}
	end = seq[7] + 100;
	for (i = 0; i < 3; i++) {
		uint8_t *p = opts;

		*p++ = TOY_OPT_NOP;
		*p++ = TOY_OPT_NOP;
		*p++ = TOY_OPT_SACK;
		*p++ = 10;
		p = put_block(p, seq[6 - 2 * i], end + 100 * (i + 1));
		ASSERT_EQ(0, toy_peer_send_seg(&self->peer, &(struct toy_seg){
				.saddr = toy_in(PEER_ADDR),
				.daddr = toy_in(PEER_HOST),
				.sport = c->pport, .dport = c->hport,
				.flags = TOY_ACK, .seq = c->snd_nxt,
				.ack = seq[0], .win = 65535 - 1000 * i,
				.opts = opts, .optlen = p - opts }));
	}
	while (toy_peer_recv(&self->peer, s, 0.5))
		first += s->len && s->seq == seq[0];
	EXPECT_EQ(0, first);
	EXPECT_EQ(fr, toy_stat("FastRetrans"));
	EXPECT_EQ(rtx + toy_stat("LossProbes") - probes,
		  toy_stat("RetransSegs"));
	/* All of it now, so that nothing is left to resend. */
	ASSERT_EQ(0, toy_peer_send(&self->peer, c->pport, c->hport, TOY_ACK,
				   c->snd_nxt, end, 65535, NULL, 0));
}

/*
 * The tail loss probe: three segments go and only the first is
 * acknowledged.  No duplicate ACK can come, yet the host does not wait
 * for the RTO: two RTTs on, it sends the last segment again (a probe,
 * not a timeout).  The ACK of everything then says the probe repaired a
 * loss.
 */
TEST_F(opts, lost_tail_probed_before_the_rto)
{
	long probes = toy_stat("LossProbes"), rto = toy_stat("Timeouts");
	long repaired = toy_stat("LossProbeRecovery");
	struct toy_pconn *c = &self->conn;
	struct toy_pseg *s = self->seg;
	int fd, i;
	char buf[100] = { 0 };
	uint32_t seq[3];

	ASSERT_EQ(0, sack_connect(&self->peer, c, s, 9316, 0));
	fd = c->fd;
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(100, write(fd, buf, 100));
		ASSERT_EQ(1, next_data(&self->peer, s, 5));
		seq[i] = s->seq;
	}
	ASSERT_EQ(0, toy_peer_send(&self->peer, c->pport, c->hport, TOY_ACK,
				   c->snd_nxt, seq[1], 65535, NULL, 0));
	ASSERT_EQ(1, next_data(&self->peer, s, 5));
	EXPECT_EQ(seq[2], s->seq);
	EXPECT_EQ(probes + 1, toy_stat("LossProbes"));
	EXPECT_EQ(rto, toy_stat("Timeouts"));
	ASSERT_EQ(0, toy_peer_send(&self->peer, c->pport, c->hport, TOY_ACK,
				   c->snd_nxt, seq[2] + 100, 65535, NULL, 0));
	EXPECT_EQ(repaired + 1, toy_stat_wait("LossProbeRecovery",
					      repaired + 1, 5));
}

/* ---- timestamps ------------------------------------------------------ */

/* NOP, NOP, timestamps @val and @ecr at @o (12 bytes); past them. */
static uint8_t *put_ts(uint8_t *o, uint32_t val, uint32_t ecr)
{
	uint32_t be[2] = { htonl(val), htonl(ecr) };

	*o++ = TOY_OPT_NOP;
	*o++ = TOY_OPT_NOP;
	*o++ = TOY_OPT_TIMESTAMP;
	*o++ = TOY_OLEN_TIMESTAMP;
	memcpy(o, be, sizeof(be));
	return o + sizeof(be);
}

/* A SYN's options: MSS 1460 and timestamps @val; 16 bytes at @o. */
static const uint8_t *syn_ts(uint8_t *o, uint32_t val)
{
	memcpy(o, OPTS_MSS(1460), 4);
	put_ts(o + 4, val, 0);
	return o;
}

/* The timestamps of @s: 1, with *@val and *@ecr; 0 if none. */
static int opt_ts(const struct toy_pseg *s, uint32_t *val, uint32_t *ecr)
{
	const uint8_t *v;

	if (opt_find(s, TOY_OPT_TIMESTAMP, &v) != TOY_OLEN_TIMESTAMP)
		return 0;
	*val = (uint32_t)v[0] << 24 | v[1] << 16 | v[2] << 8 | v[3];
	*ecr = (uint32_t)v[4] << 24 | v[5] << 16 | v[6] << 8 | v[7];
	return 1;
}

/* A segment of the peer on @c with timestamps @val, echoing 0. */
static int ts_send(struct toy_peer *p, const struct toy_pconn *c,
		   uint8_t flags, uint32_t seq, uint32_t val,
		   const void *data, size_t len)
{
	uint8_t o[12];

	put_ts(o, val, 0);
	return toy_peer_send_seg(p, &(struct toy_seg){
		.saddr = toy_in(PEER_ADDR), .daddr = toy_in(PEER_HOST),
		.sport = c->pport, .dport = c->hport, .flags = flags,
		.seq = seq, .ack = c->rcv_nxt, .win = 65535, .opts = o,
		.optlen = sizeof(o), .data = data, .len = len });
}

/* Leave the peer's connection @c: reset, and close the host's end. */
static void peer_hang_up(struct toy_peer *p, struct toy_pconn *c)
{
	toy_peer_reset(p, c);
	close(c->fd);
	c->fd = -1;
}

/* A SYN-ACK from the peer to c, with timestamps @val and @ecr. */
static int synack_ts(struct toy_peer *p, const struct toy_pconn *c,
		     uint32_t val, uint32_t ecr)
{
	uint8_t o[16];

	memcpy(o, OPTS_MSS(1460), 4);
	put_ts(o + 4, val, ecr);
	return toy_peer_send_seg(p, &(struct toy_seg){
		.saddr = toy_in(PEER_ADDR), .daddr = toy_in(PEER_HOST),
		.sport = c->pport, .dport = c->hport,
		.flags = TOY_SYN | TOY_ACK, .seq = c->snd_nxt,
		.ack = c->rcv_nxt, .win = 65535, .opts = o,
		.optlen = sizeof(o) });
}

/*
 * A SYN-ACK whose TSecr is no TSval our SYN could have carried answers
 * some other SYN: it gets a reset and the connection still waits
 * (PAWSActive); the SYN-ACK that echoes our SYN completes it.
 */
TEST_F(opts, synack_echoing_a_foreign_tsval_refused)
{
	long active = toy_stat("PAWSActive");
	struct toy_pconn *c = &self->conn;
	struct toy_pseg *s = self->seg;
	struct pollfd pfd = { .events = POLLOUT };
	uint32_t val, ecr;

	c->fd = start_connect(9317);
	ASSERT_LE(0, c->fd);
	ASSERT_EQ(1, toy_peer_expect(&self->peer, s, TOY_SYN, 5));
	ASSERT_EQ(1, opt_ts(s, &val, &ecr));
	c->hport = s->sport;
	c->pport = 9317;
	c->rcv_nxt = s->seq + 1;
	c->snd_nxt = 7000;
	ASSERT_EQ(0, synack_ts(&self->peer, c, 1, val - 100000));
	ASSERT_EQ(1, toy_peer_recv(&self->peer, s, 5));
	EXPECT_EQ(TOY_RST, s->flags);
	EXPECT_EQ(active + 1, toy_stat("PAWSActive"));
	ASSERT_EQ(0, synack_ts(&self->peer, c, 1, val + 100000));
	ASSERT_EQ(1, toy_peer_recv(&self->peer, s, 5));
	EXPECT_EQ(TOY_RST, s->flags);
	EXPECT_EQ(active + 2, toy_stat("PAWSActive"));
	pfd.fd = c->fd;
	EXPECT_EQ(0, poll(&pfd, 1, 0));		/* still connecting */

	ASSERT_EQ(0, synack_ts(&self->peer, c, 2, val));
	c->snd_nxt++;
	ASSERT_EQ(1, ack_of(&self->peer, s, c->snd_nxt, 5));
	ASSERT_EQ(1, poll(&pfd, 1, 5000 * toy_timeout_scale()));
	EXPECT_EQ(0, so_error(c->fd));
	EXPECT_EQ(active + 2, toy_stat("PAWSActive"));
}

/*
 * net.toy.timestamps: on, the host's SYN carries them in TCP's 20 bytes
 * with TSecr 0, and a listener answers a SYN that has them by echoing
 * its TSval, one without them without; off, neither.
 */
TEST_F(opts, timestamps_negotiated_in_kind)
{
	struct toy_pseg *s = self->seg;
	uint32_t val, ecr;
	uint8_t syn[16];
	int fd, l;

	EXPECT_EQ(1, toy_read_long("/proc/sys/net/toy/timestamps"));
	EXPECT_NE(0, sysctl_write("timestamps", "2"));
	fd = start_connect(9320);
	ASSERT_LE(0, fd);
	ASSERT_EQ(1, toy_peer_expect(&self->peer, s, TOY_SYN, 5));
	EXPECT_EQ(TOY_DOFF + 5, s->doff);	/* MSS, SACK+TS, WS */
	ASSERT_EQ(1, opt_ts(s, &val, &ecr));
	EXPECT_EQ(0, ecr);
	close(fd);

	l = listener_rcvbuf(9321, 0);
	ASSERT_LE(0, l);
	ASSERT_EQ(0, toy_peer_dial_opts(&self->peer, &self->conn, l, 9321,
					4100, 65535, syn_ts(syn, 77777),
					sizeof(syn), s));
	ASSERT_EQ(1, opt_ts(s, &val, &ecr));
	EXPECT_EQ(77777, ecr);
	peer_hang_up(&self->peer, &self->conn);
	ASSERT_EQ(0, toy_peer_dial_opts(&self->peer, &self->conn, l, 9321,
					4101, 65535, OPTS_MSS(1460), 4, s));
	EXPECT_EQ(0, opt_ts(s, &val, &ecr));
	peer_hang_up(&self->peer, &self->conn);

	ASSERT_EQ(0, sysctl_write("timestamps", "0"));
	fd = start_connect(9322);
	ASSERT_LE(0, fd);
	ASSERT_EQ(1, toy_peer_expect(&self->peer, s, TOY_SYN, 5));
	EXPECT_EQ(0, opt_ts(s, &val, &ecr));
	EXPECT_EQ(TOY_DOFF + 3, s->doff);	/* MSS, WS, SACK */
	close(fd);
	ASSERT_EQ(0, toy_peer_dial_opts(&self->peer, &self->conn, l, 9321,
					4102, 65535, syn_ts(syn, 5), sizeof(syn),
					s));
	EXPECT_EQ(0, opt_ts(s, &val, &ecr));
	close(l);
}

/*
 * With timestamps, every segment of the host carries them: its ACKs
 * echo the TSval of the peer's latest segment, its TSvals move with its
 * clock, and its data segments hold 12 bytes less than the MSS.
 */
TEST_F(opts, every_segment_echoes_the_latest_tsval)
{
	struct toy_pconn *c = &self->conn;
	struct toy_pseg *s = self->seg;
	uint32_t val, val0, ecr;
	char buf[3000] = { 0 };
	uint8_t syn[16];
	int l = listener_rcvbuf(9323, 0);

	ASSERT_LE(0, l);
	ASSERT_EQ(0, toy_peer_dial_opts(&self->peer, c, l, 9323, 4110, 65535,
					syn_ts(syn, 100), sizeof(syn), s));
	ASSERT_EQ(1, opt_ts(s, &val0, &ecr));
	ASSERT_EQ(0, ts_send(&self->peer, c, TOY_ACK, c->snd_nxt, 200, "ab",
			     2));
	c->snd_nxt += 2;
	ASSERT_EQ(1, ack_of(&self->peer, s, c->snd_nxt, 5));
	ASSERT_EQ(1, opt_ts(s, &val, &ecr));
	EXPECT_EQ(200, ecr);
	/* Milliseconds since the SYN-ACK: on, but not far. */
	EXPECT_GE((int32_t)(val - val0), 0);
	EXPECT_LT(val - val0, 3600 * 1000);
	ASSERT_EQ(0, ts_send(&self->peer, c, TOY_ACK, c->snd_nxt, 300, "cd",
			     2));
	c->snd_nxt += 2;
	ASSERT_EQ(1, ack_of(&self->peer, s, c->snd_nxt, 5));
	ASSERT_EQ(1, opt_ts(s, &val, &ecr));
	EXPECT_EQ(300, ecr);
	EXPECT_EQ(4, recv(c->fd, buf, 4, MSG_WAITALL));

	ASSERT_EQ(sizeof(buf), write(c->fd, buf, sizeof(buf)));
	ASSERT_EQ(1, next_data(&self->peer, s, 5));
	EXPECT_EQ(HOST_MSS - TOY_OLEN_TSTAMP_ALIGNED, s->len);
	EXPECT_EQ(TOY_DOFF + 3, s->doff);
	ASSERT_EQ(1, opt_ts(s, &val, &ecr));
	EXPECT_EQ(300, ecr);
	close(l);
}

/*
 * PAWS: data at the right sequence number but with a TSval older than
 * the latest is an old duplicate: dropped, counted, answered with an
 * ACK of what the host has.  The same bytes with a later TSval are
 * taken; a reset passes whatever its TSval.
 */
TEST_F(opts, paws_drops_an_old_duplicate)
{
	long paws = toy_stat("PAWSEstab");
	struct toy_pconn *c = &self->conn;
	struct toy_pseg *s = self->seg;
	uint8_t syn[16];
	char buf[8];
	int l = listener_rcvbuf(9324, 0);

	ASSERT_LE(0, l);
	ASSERT_EQ(0, toy_peer_dial_opts(&self->peer, c, l, 9324, 4120, 65535,
					syn_ts(syn, 1000), sizeof(syn), s));
	ASSERT_EQ(0, ts_send(&self->peer, c, TOY_ACK, c->snd_nxt, 2000, "new",
			     3));
	c->snd_nxt += 3;
	ASSERT_EQ(3, recv(c->fd, buf, sizeof(buf), 0));
	ASSERT_EQ(1, ack_of(&self->peer, s, c->snd_nxt, 5));

	ASSERT_EQ(0, ts_send(&self->peer, c, TOY_ACK, c->snd_nxt, 1500, "old",
			     3));
	ASSERT_EQ(1, ack_of(&self->peer, s, c->snd_nxt, 5));
	EXPECT_EQ(paws + 1, toy_stat("PAWSEstab"));
	EXPECT_EQ(-1, recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);

	ASSERT_EQ(0, ts_send(&self->peer, c, TOY_ACK, c->snd_nxt, 2001, "yes",
			     3));
	c->snd_nxt += 3;
	ASSERT_EQ(3, recv(c->fd, buf, sizeof(buf), 0));
	EXPECT_EQ(0, memcmp(buf, "yes", 3));
	EXPECT_EQ(paws + 1, toy_stat("PAWSEstab"));

	ASSERT_EQ(0, ts_send(&self->peer, c, TOY_RST, c->snd_nxt, 1, NULL, 0));
	EXPECT_EQ(-1, recv(c->fd, buf, sizeof(buf), 0));
	EXPECT_EQ(ECONNRESET, errno);
	close(l);
}

/*
 * A SYN cookie with timestamps keeps the window scale and SACK in the
 * SYN-ACK's TSval: the SYN-ACK offers them, and the ACK that echoes it
 * makes a connection that reads the peer's windows scaled.  With the
 * peer's window field at 16 and its shift 7, the host may send a whole
 * segment, not 16 bytes.
 */
TEST_F(opts, cookie_keeps_options_in_its_tsval)
{
	long recv0 = toy_stat("SyncookiesRecv");
	struct toy_pconn *c = &self->conn;
	struct toy_pseg *s = self->seg;
	uint8_t syn[20], ack[12];
	uint32_t val, ecr, isn = 3000000;
	char buf[3000] = { 0 };
	const uint8_t *v;
	int l;

	ASSERT_EQ(0, sysctl_write("syncookies", "2"));
	l = listener_rcvbuf(9326, 0);
	ASSERT_LE(0, l);
	memcpy(syn, OPTS_MSS(1460), 4);
	put_ts(syn + 4, 500, 0);
	syn[4] = TOY_OPT_SACK_PERM;
	syn[5] = TOY_OLEN_SACK_PERM;
	memcpy(syn + 16, ((const uint8_t[]){ TOY_OPT_NOP, TOY_OPT_WSCALE,
					     TOY_OLEN_WSCALE, 7 }), 4);
	ASSERT_EQ(0, toy_peer_send_seg(&self->peer, &(struct toy_seg){
			.saddr = toy_in(PEER_ADDR), .daddr = toy_in(PEER_HOST),
			.sport = 4140, .dport = 9326, .flags = TOY_SYN,
			.seq = isn, .win = 65535, .opts = syn,
			.optlen = sizeof(syn) }));
	ASSERT_EQ(1, toy_peer_expect(&self->peer, s, TOY_SYN | TOY_ACK, 5));
	EXPECT_LE(0, opt_wscale(s));
	EXPECT_EQ(TOY_OLEN_SACK_PERM, opt_find(s, TOY_OPT_SACK_PERM, &v));
	ASSERT_EQ(1, opt_ts(s, &val, &ecr));
	EXPECT_EQ(500, ecr);

	memset(c, 0, sizeof(*c));
	c->hport = 9326;
	c->pport = 4140;
	c->snd_nxt = isn + 1;
	c->rcv_nxt = s->seq + 1;
	put_ts(ack, 600, val);
	ASSERT_EQ(0, toy_peer_send_seg(&self->peer, &(struct toy_seg){
			.saddr = toy_in(PEER_ADDR), .daddr = toy_in(PEER_HOST),
			.sport = c->pport, .dport = c->hport, .flags = TOY_ACK,
			.seq = c->snd_nxt, .ack = c->rcv_nxt, .win = 16,
			.opts = ack, .optlen = sizeof(ack) }));
	c->fd = accept(l, NULL, NULL);
	ASSERT_LE(0, c->fd);
	EXPECT_EQ(recv0 + 1, toy_stat("SyncookiesRecv"));

	ASSERT_EQ(sizeof(buf), write(c->fd, buf, sizeof(buf)));
	/* A whole segment: 16 bytes if the window were not scaled. */
	ASSERT_EQ(1, next_data(&self->peer, s, 5));
	EXPECT_EQ(HOST_MSS - TOY_OLEN_TSTAMP_ALIGNED, s->len);
	ASSERT_EQ(1, opt_ts(s, &val, &ecr));
	EXPECT_EQ(600, ecr);
	close(l);
}

/*
 * TIME_WAIT keeps the latest TSval (RFC 6191): a SYN whose sequence
 * number is below the old connection's but whose TSval is later opens a
 * new connection; one with an older TSval, or with no timestamps, is an
 * old duplicate and gets the old connection's ACK.
 */
TEST_F(opts, timewait_reopened_by_a_later_tsval)
{
	long recycled = toy_stat("TWRecycled"), paws = toy_stat("PAWSEstab");
	struct toy_pconn *c = &self->conn;
	struct toy_pseg *s = self->seg;
	uint32_t old_seq, fin_ack;
	uint8_t syn[16];
	int l = listener_rcvbuf(9325, 0);

	ASSERT_LE(0, l);
	/* Both answers below go, however close together. */
	ASSERT_EQ(0, sysctl_write("invalid_ratelimit", "0"));
	ASSERT_EQ(0, toy_peer_dial_opts(&self->peer, c, l, 9325, 4130, 65535,
					syn_ts(syn, 1000), sizeof(syn), s));
	/* The host closes first, and ends in TIME_WAIT. */
	close(c->fd);
	c->fd = -1;
	ASSERT_EQ(1, toy_peer_expect(&self->peer, s, TOY_FIN | TOY_ACK, 5));
	c->rcv_nxt = s->seq + 1;
	ASSERT_EQ(0, ts_send(&self->peer, c, TOY_FIN | TOY_ACK, c->snd_nxt,
			     1100, NULL, 0));
	c->snd_nxt++;
	ASSERT_EQ(1, ack_of(&self->peer, s, c->snd_nxt, 5));
	fin_ack = c->snd_nxt;
	old_seq = c->snd_nxt - 100000;		/* below the old connection */

	/* An older TSval: PAWS, and the old connection's ACK. */
	ASSERT_EQ(0, toy_peer_send_seg(&self->peer, &(struct toy_seg){
			.saddr = toy_in(PEER_ADDR), .daddr = toy_in(PEER_HOST),
			.sport = c->pport, .dport = c->hport,
			.flags = TOY_SYN, .seq = old_seq, .win = 65535,
			.opts = syn_ts(syn, 1050), .optlen = sizeof(syn) }));
	ASSERT_EQ(1, toy_peer_recv(&self->peer, s, 5));
	EXPECT_EQ(TOY_ACK, s->flags);
	EXPECT_EQ(fin_ack, s->ack);
	EXPECT_EQ(paws + 1, toy_stat("PAWSEstab"));
	/* No timestamps: only the sequence number speaks, and it is old. */
	ASSERT_EQ(0, toy_peer_send_seg(&self->peer, &(struct toy_seg){
			.saddr = toy_in(PEER_ADDR), .daddr = toy_in(PEER_HOST),
			.sport = c->pport, .dport = c->hport,
			.flags = TOY_SYN, .seq = old_seq, .win = 65535,
			.opts = OPTS_MSS(1460), .optlen = 4 }));
	ASSERT_EQ(1, toy_peer_recv(&self->peer, s, 5));
	EXPECT_EQ(TOY_ACK, s->flags);
	EXPECT_EQ(recycled, toy_stat("TWRecycled"));
	/* A later TSval: a new connection. */
	ASSERT_EQ(0, toy_peer_send_seg(&self->peer, &(struct toy_seg){
			.saddr = toy_in(PEER_ADDR), .daddr = toy_in(PEER_HOST),
			.sport = c->pport, .dport = c->hport,
			.flags = TOY_SYN, .seq = old_seq, .win = 65535,
			.opts = syn_ts(syn, 1200), .optlen = sizeof(syn) }));
	ASSERT_EQ(1, toy_peer_expect(&self->peer, s, TOY_SYN | TOY_ACK, 5));
	EXPECT_EQ(old_seq + 1, s->ack);
	EXPECT_EQ(recycled + 1, toy_stat("TWRecycled"));
	toy_peer_send(&self->peer, c->pport, c->hport, TOY_RST, old_seq + 1,
		      0, 0, NULL, 0);
	close(l);
}

/*
 * Buffer autotuning, in a namespace of its own on loopback: a bulk
 * transfer grows the receiver's buffer and the sender's, up to
 * net.toy.rmem's and wmem's maximum (global sysctls, written from the
 * initial namespace); SO_RCVBUF and SO_SNDBUF keep their sizes.
 */
FIXTURE(tune) {
	char rmem[64], wmem[64];
	int init_ns;		/* the initial namespace, for the sysctls */
};

static int read_str(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	int ok = f && fgets(buf, size, f);

	if (f)
		fclose(f);
	return ok ? 0 : -1;
}

FIXTURE_SETUP(tune)
{
	self->init_ns = open("/proc/self/ns/net", O_RDONLY);
	ASSERT_LE(0, self->init_ns);
	ASSERT_EQ(0, toy_live_wait_zero(5));
	ASSERT_EQ(0, read_str("/proc/sys/net/toy/rmem", self->rmem,
			      sizeof(self->rmem)));
	ASSERT_EQ(0, read_str("/proc/sys/net/toy/wmem", self->wmem,
			      sizeof(self->wmem)));
}

FIXTURE_TEARDOWN(tune)
{
	/* Whatever namespace the test left us in, its sockets go with it. */
	EXPECT_EQ(0, setns(self->init_ns, CLONE_NEWNET));
	EXPECT_EQ(0, toy_write_file("/proc/sys/net/toy/rmem", self->rmem));
	EXPECT_EQ(0, toy_write_file("/proc/sys/net/toy/wmem", self->wmem));
	EXPECT_EQ(0, toy_live_wait_zero(30));
}

#define TUNE_BYTES	(32 << 20)

static int sockbuf(int fd, int opt)
{
	int v = -1;
	socklen_t len = sizeof(v);

	getsockopt(fd, SOL_SOCKET, opt, &v, &len);
	return v;
}

/*
 * A connection on 127.0.0.1:@port, @set (0: none) as the listener's
 * SO_RCVBUF and the client's SO_SNDBUF; TUNE_BYTES from the client, read
 * to the end by the server.  Leaves both sockets open; 0 or -1.
 */
static int transfer(int port, int set, int *cfd, int *sfd)
{
	struct sockaddr_toy a = taddr("127.0.0.1", port);
	static char buf[1 << 16];
	long long got = 0;
	int l, c, s;
	ssize_t n;
	pid_t pid;

	l = socket(TOY_AF, SOCK_STREAM, 0);
	c = socket(TOY_AF, SOCK_STREAM, 0);
	if (l < 0 || c < 0 ||
	    (set && (setsockopt(l, SOL_SOCKET, SO_RCVBUF, &set, sizeof(set)) ||
		     setsockopt(c, SOL_SOCKET, SO_SNDBUF, &set, sizeof(set)))) ||
	    bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 1) ||
	    connect(c, (struct sockaddr *)&a, sizeof(a)))
		return -1;
	s = accept(l, NULL, NULL);
	close(l);
	if (s < 0)
		return -1;
	pid = fork();
	if (!pid) {
		long long left = TUNE_BYTES;

		while (left > 0) {
			n = send(c, buf, left < (long long)sizeof(buf) ?
					  left : sizeof(buf), 0);
			if (n <= 0)
				_exit(1);
			left -= n;
		}
		_exit(0);
	}
	while (got < TUNE_BYTES && (n = recv(s, buf, sizeof(buf), 0)) > 0)
		got += n;
	waitpid(pid, NULL, 0);
	*cfd = c;
	*sfd = s;
	return got == TUNE_BYTES ? 0 : -1;
}

TEST_F(tune, buffers_grow_to_the_sysctl_maximum)
{
	char buf[64];
	int c, s;

	EXPECT_EQ(0, strcmp(self->rmem, "4096\t212992\t6291456\n"));
	EXPECT_EQ(0, strcmp(self->wmem, "4096\t212992\t4194304\n"));
	ASSERT_EQ(0, toy_write_file("/proc/sys/net/toy/rmem",
				    "4096 212992 1000000"));
	ASSERT_EQ(0, toy_write_file("/proc/sys/net/toy/wmem",
				    "4096 212992 1500000"));
	ASSERT_EQ(0, read_str("/proc/sys/net/toy/rmem", buf, sizeof(buf)));
	EXPECT_EQ(0, strcmp(buf, "4096\t212992\t1000000\n"));
	EXPECT_NE(0, toy_write_file("/proc/sys/net/toy/rmem", "0 0 0"));

	ASSERT_EQ(0, new_netns());
	ASSERT_EQ(0, transfer(7400, 0, &c, &s));
	TH_LOG("receive buffer %d, send buffer %d", sockbuf(s, SO_RCVBUF),
	       sockbuf(c, SO_SNDBUF));
	EXPECT_LT(212992, sockbuf(s, SO_RCVBUF));
	EXPECT_GE(1000000, sockbuf(s, SO_RCVBUF));
	EXPECT_LT(212992, sockbuf(c, SO_SNDBUF));
	EXPECT_GE(1500000, sockbuf(c, SO_SNDBUF));
	close(c);
	close(s);

	/* Set by the user, they stay as set (doubled, as every family's). */
	ASSERT_EQ(0, transfer(7401, 100000, &c, &s));
	EXPECT_EQ(200000, sockbuf(s, SO_RCVBUF));
	EXPECT_EQ(200000, sockbuf(c, SO_SNDBUF));
	close(c);
	close(s);
}

TEST_HARNESS_MAIN
