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

FIXTURE_SETUP(hostile)
{
	ASSERT_EQ(0, toy_live_wait_zero(5));
	ASSERT_EQ(0, new_netns());
	ASSERT_EQ(0, toy_peer_open(&self->peer, 0));
	self->seg = malloc(sizeof(*self->seg));
	ASSERT_NE(NULL, self->seg);
}

FIXTURE_TEARDOWN(hostile)
{
	free(self->seg);
	toy_peer_close(&self->peer);
	/*
	 * Leave the namespace: with no socket left in it, it goes away, and
	 * its exit ends every TIME_WAIT entry an active close left behind.
	 */
	EXPECT_EQ(0, unshare(CLONE_NEWNET));
	EXPECT_EQ(0, toy_live_wait_zero(30));
}

/* A listener on PEER_HOST:@port, or -1. */
static int listen_on(int port)
{
	struct sockaddr_toy a = taddr(PEER_HOST, port);
	int fd = socket(TOY_AF, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 8)) {
		close(fd);
		return -1;
	}
	return fd;
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
	struct toy_pconn c;
	char out[100], in[64];
	int i;

	for (i = 0; i < (int)sizeof(out); i++)
		out[i] = 'a' + i % 26;
	ASSERT_EQ(0, toy_peer_connect(&self->peer, &c, 9000, 4096));
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
	struct toy_pconn c;
	char in[64];
	int l;

	l = listen_on(9001);
	ASSERT_LE(0, l);
	ASSERT_EQ(0, toy_peer_dial(&self->peer, &c, l, 9001, 40000, 8192));
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

/* A counter of the "Icmp:" lines of /proc/net/snmp, or -1. */
static long icmp_stat(const char *name)
{
	char names[1024], values[1024], *n, *v, *sn, *sv;
	long val = -1;
	FILE *f = fopen("/proc/net/snmp", "r");

	if (!f)
		return -1;
	while (fgets(names, sizeof(names), f)) {
		if (strncmp(names, "Icmp:", 5) ||
		    !fgets(values, sizeof(values), f))
			continue;
		n = strtok_r(names, " \n", &sn);
		v = strtok_r(values, " \n", &sv);
		while (n && v) {
			if (!strcmp(n, name)) {
				val = atol(v);
				break;
			}
			n = strtok_r(NULL, " \n", &sn);
			v = strtok_r(NULL, " \n", &sv);
		}
		break;
	}
	fclose(f);
	return val;
}

/*
 * The ICMP "fragmentation needed" the peer writes passes the host's IPv4
 * and ICMP checks (header and ICMP checksums): it is counted as received
 * destination unreachable, not as an error.
 */
TEST_F(hostile, peer_icmp_frag_needed_is_well_formed)
{
	long in = icmp_stat("InDestUnreachs"), errs = icmp_stat("InErrors");
	struct toy_pseg *s = self->seg;
	struct toy_pconn c;

	ASSERT_LE(0, in);
	ASSERT_EQ(0, toy_peer_connect(&self->peer, &c, 9002, 4096));
	ASSERT_EQ(5, write(c.fd, "hello", 5));
	ASSERT_EQ(1, toy_peer_recv(&self->peer, s, 10));
	ASSERT_EQ(5, s->len);
	ASSERT_EQ(0, toy_peer_icmp_frag_needed(&self->peer, s, 1280));
	EXPECT_EQ(in + 1, icmp_stat("InDestUnreachs"));
	EXPECT_EQ(errs, icmp_stat("InErrors"));
	EXPECT_EQ(0, icmp_stat("InCsumErrors"));

	ASSERT_EQ(0, toy_peer_send(&self->peer, c.pport, c.hport, TOY_RST,
				   c.snd_nxt, 0, 0, NULL, 0));
	close(c.fd);
}

TEST_HARNESS_MAIN
