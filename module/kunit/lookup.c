// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: how the receive path scores a candidate socket,
 * toy_listener_score() (lookup.c) and toy_dgram_score() (dgram.c).  The
 * lookups deliver to the highest score, so a wrong score hands segments to the
 * wrong socket: a wildcard one instead of the one bound to the address,
 * an unconnected one instead of the connected one, or one bound to
 * another device.
 */
#include <kunit/test.h>

#include "../toy.h"

#define A1	0x0a000001	/* 10.0.0.1, ours */
#define A2	0x0a000002	/* 10.0.0.2, ours too */
#define R1	0xc0000201	/* 192.0.2.1, the sender */
#define R2	0xc0000202	/* 192.0.2.2 */
#define PORT	4242
#define RPORT	5353
#define VRF	10		/* a VRF device ... */
#define SLAVE	11		/* ... and a slave of it */

/*
 * A listener row: the listener, then the segment (the address and port
 * it was sent to, and the device it arrived on, @sdif being the slave
 * when @dif is its VRF).  @other_net: the listener lives in another
 * namespace.  @score: -1 for no match; a bound device adds one.
 */
struct toy_listener_case {
	const char *name;
	struct {
		u32 addr;
		u16 port;
		int state;
		int dev;
		bool other_net;
	} l;
	struct {
		u32 addr;
		u16 port;
		int dif, sdif;
	} seg;
	int score;
};

#define LISTENER(a, d)	{ .addr = (a), .port = PORT, .state = TCP_LISTEN, \
			  .dev = (d) }
#define SEG(a, d, sd)	{ .addr = (a), .port = PORT, .dif = (d), \
			  .sdif = (sd) }

static const struct toy_listener_case toy_listener_cases[] = {
	{ "on the address", LISTENER(A1, 0), SEG(A1, 2, 0), 1 },
	{ "on the wildcard, asked for the wildcard", LISTENER(0, 0),
	  SEG(0, 2, 0), 1 },
	/*
	 * The lookup asks for the specific address, then for the
	 * wildcard: each pass takes only exact matches.
	 */
	{ "on the wildcard, asked for an address", LISTENER(0, 0),
	  SEG(A1, 2, 0), -1 },
	{ "on an address, asked for the wildcard", LISTENER(A1, 0),
	  SEG(0, 2, 0), -1 },
	{ "on another address", LISTENER(A2, 0), SEG(A1, 2, 0), -1 },
	{ "on another port", LISTENER(A1, 0),
	  { .addr = A1, .port = PORT + 1, .dif = 2 }, -1 },
	{ "bound to the arrival device", LISTENER(A1, 2), SEG(A1, 2, 0), 2 },
	{ "bound to another device", LISTENER(A1, 3), SEG(A1, 2, 0), -1 },
	{ "bound to the VRF of the arrival slave", LISTENER(A1, VRF),
	  SEG(A1, VRF, SLAVE), 2 },
	{ "bound to the arrival slave of a VRF", LISTENER(A1, SLAVE),
	  SEG(A1, VRF, SLAVE), 2 },
	{ "unbound, arrival on a VRF slave", LISTENER(A1, 0),
	  SEG(A1, VRF, SLAVE), 1 },
	{ "bound, not listening",
	  { .addr = A1, .port = PORT, .state = TCP_CLOSE }, SEG(A1, 2, 0),
	  -1 },
	{ "connected, not listening",
	  { .addr = A1, .port = PORT, .state = TCP_ESTABLISHED },
	  SEG(A1, 2, 0), -1 },
	{ "in another namespace",
	  { .addr = A1, .port = PORT, .state = TCP_LISTEN, .other_net = true },
	  SEG(A1, 2, 0), -1 },
};

static void toy_listener_case_desc(const struct toy_listener_case *c,
				   char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(toy_listener, toy_listener_cases, toy_listener_case_desc);

/* A fake socket, bound to @addr and @port (host order), freed by KUnit. */
static struct sock *toy_test_sock(struct kunit *test, u32 addr, u16 port,
				  int dev)
{
	struct toy_sock *ts = kunit_kzalloc(test, sizeof(*ts), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, ts);
	ts->sk.sk_rcv_saddr = htonl(addr);
	ts->sk.sk_num = port;
	ts->sk.sk_bound_dev_if = dev;
	return &ts->sk;
}

static void toy_lookup_test_listener(struct kunit *test)
{
	const struct toy_listener_case *c = test->param_value;
	struct sock *sk = toy_test_sock(test, c->l.addr, c->l.port, c->l.dev);
	struct net *net = &init_net;

	sk->sk_state = c->l.state;
	if (c->l.other_net) {
		/* Only compared, never used: any other address will do. */
		net = kunit_kzalloc(test, sizeof(*net), GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, net);
	}
	sock_net_set(sk, net);

	KUNIT_EXPECT_EQ(test,
			toy_listener_score(sk, &init_net, htonl(c->seg.addr),
					   c->seg.port, c->seg.dif,
					   c->seg.sdif),
			c->score);
}

/*
 * A datagram row: the socket (local address and port, the peer it is
 * connected to, its device), then the datagram.  As UDP scores: 1 for
 * the port, 4 more for each of local address, peer address, peer port
 * and device that the socket has set and the datagram matches; -1 when
 * one it has set does not match.
 */
struct toy_dgram_case {
	const char *name;
	struct {
		u32 addr;
		u16 port;
		u32 peer;
		u16 peer_port;
		int dev;
	} sk;
	struct {
		u32 saddr;
		u16 sport;
		u32 daddr;
		u16 dport;
		int dif, sdif;
	} dg;
	int score;
};

#define SOCK(a, p, pp, d)	{ .addr = (a), .port = PORT, .peer = (p), \
				  .peer_port = (pp), .dev = (d) }
/* From R1:RPORT to A1:PORT, arrived on device 2, or on a VRF's slave. */
#define DGRAM		{ .saddr = R1, .sport = RPORT, .daddr = A1, \
			  .dport = PORT, .dif = 2 }
#define DGRAM_VRF	{ .saddr = R1, .sport = RPORT, .daddr = A1, \
			  .dport = PORT, .dif = VRF, .sdif = SLAVE }

static const struct toy_dgram_case toy_dgram_cases[] = {
	{ "unbound and unconnected", SOCK(0, 0, 0, 0), DGRAM, 1 },
	{ "another port", { .port = PORT + 1 }, DGRAM, -1 },
	{ "bound to the destination address", SOCK(A1, 0, 0, 0), DGRAM, 5 },
	{ "bound to another address", SOCK(A2, 0, 0, 0), DGRAM, -1 },
	{ "connected to the sender", SOCK(0, R1, RPORT, 0), DGRAM, 9 },
	{ "bound and connected to the sender", SOCK(A1, R1, RPORT, 0), DGRAM,
	  13 },
	{ "connected to another host", SOCK(0, R2, RPORT, 0), DGRAM, -1 },
	{ "connected to another port of the sender",
	  SOCK(0, R1, RPORT + 1, 0), DGRAM, -1 },
	{ "bound to the arrival device", SOCK(0, 0, 0, 2), DGRAM, 5 },
	{ "bound to another device", SOCK(0, 0, 0, 3), DGRAM, -1 },
	{ "bound to the VRF of the arrival slave", SOCK(0, 0, 0, VRF),
	  DGRAM_VRF, 5 },
	{ "bound to the arrival slave of a VRF", SOCK(0, 0, 0, SLAVE),
	  DGRAM_VRF, 5 },
	{ "unbound, arrival on a VRF slave", SOCK(0, 0, 0, 0), DGRAM_VRF, 1 },
	{ "address, peer and device all match", SOCK(A1, R1, RPORT, 2), DGRAM,
	  17 },
	{ "all match but the device", SOCK(A1, R1, RPORT, 3), DGRAM, -1 },
};

static void toy_dgram_case_desc(const struct toy_dgram_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(toy_dgram, toy_dgram_cases, toy_dgram_case_desc);

static void toy_lookup_test_dgram(struct kunit *test)
{
	const struct toy_dgram_case *c = test->param_value;
	struct sock *sk = toy_test_sock(test, c->sk.addr, c->sk.port,
					c->sk.dev);

	sk->sk_daddr = htonl(c->sk.peer);
	sk->sk_dport = htons(c->sk.peer_port);

	KUNIT_EXPECT_EQ(test,
			toy_dgram_score(sk, htonl(c->dg.saddr),
					htons(c->dg.sport), htonl(c->dg.daddr),
					c->dg.dport, c->dg.dif, c->dg.sdif),
			c->score);
}

static struct kunit_case toy_lookup_test_cases[] = {
	KUNIT_CASE_PARAM(toy_lookup_test_listener, toy_listener_gen_params),
	KUNIT_CASE_PARAM(toy_lookup_test_dgram, toy_dgram_gen_params),
	{}
};

static struct kunit_suite toy_lookup_suite = {
	.name = "toy_lookup",
	.test_cases = toy_lookup_test_cases,
};

kunit_test_suite(toy_lookup_suite);
