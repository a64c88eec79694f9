// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: who may hold a port that another socket holds already,
 * toy_bind_conflict() (bind.c; the rule is written at the top of that
 * file).  Too strict and a server cannot restart, or a SO_REUSEPORT group
 * cannot form; too loose and another user's process takes over a port
 * that is in use, and with it the traffic.
 */
#include <kunit/test.h>
#include <linux/uidgid.h>

#include "../toy.h"

/* One socket of a row: what bind() and setsockopt() gave it. */
struct toy_bind_side {
	u32 addr;		/* host order; 0: INADDR_ANY */
	int dev;		/* SO_BINDTODEVICE; 0: none */
	bool reuseaddr;		/* SO_REUSEADDR */
	bool reuseport;		/* SO_REUSEPORT */
	u32 uid;
	int state;		/* TCP_CLOSE: bound only */
};

/*
 * @sk is about to take the port that @old holds.  @relax: an explicit
 * port (bind(), listen() of a bound socket), where SO_REUSEADDR and
 * SO_REUSEPORT may exempt; false: an automatic choice, which takes only
 * a port nobody overlaps.  @self: @sk meets itself in the owner list.
 */
struct toy_bind_case {
	const char *name;
	struct toy_bind_side sk, old;
	bool relax;
	bool self;
	bool conflict;
};

#define A1	0x0a000001	/* 10.0.0.1 */
#define A2	0x0a000002	/* 10.0.0.2 */
#define ANY	0
#define U1	1000
#define U2	1001

/* Bound with no option: the plain case each row changes a little. */
#define PLAIN(a)	{ .addr = (a), .uid = U1, .state = TCP_CLOSE }
#define DEV(a, d)	{ .addr = (a), .dev = (d), .uid = U1, \
			  .state = TCP_CLOSE }
#define RA(a, st, u)	{ .addr = (a), .reuseaddr = true, .uid = (u), \
			  .state = (st) }
#define RP(a, st, u)	{ .addr = (a), .reuseport = true, .uid = (u), \
			  .state = (st) }
#define RARP(a, st, u)	{ .addr = (a), .reuseaddr = true, \
			  .reuseport = true, .uid = (u), .state = (st) }

static const struct toy_bind_case toy_bind_cases[] = {
	{ "itself", PLAIN(A1), PLAIN(A1), true, true, false },
	/* Addresses: they overlap when equal or either is the wildcard. */
	{ "different addresses", PLAIN(A1), PLAIN(A2), true, false, false },
	{ "different addresses, automatic port", PLAIN(A1), PLAIN(A2), false,
	  false, false },
	{ "same address", PLAIN(A1), PLAIN(A1), true, false, true },
	{ "wildcard over a specific address", PLAIN(ANY), PLAIN(A1), true,
	  false, true },
	{ "specific address over the wildcard", PLAIN(A1), PLAIN(ANY), true,
	  false, true },
	{ "both wildcard", PLAIN(ANY), PLAIN(ANY), true, false, true },
	/* Devices: different devices never conflict. */
	{ "different devices", DEV(A1, 2), DEV(A1, 3), true, false, false },
	{ "different devices, both wildcard", DEV(ANY, 2), DEV(ANY, 3), true,
	  false, false },
	{ "different devices, automatic port", DEV(A1, 2), DEV(A1, 3), false,
	  false, false },
	{ "same device", DEV(A1, 2), DEV(A1, 2), true, false, true },
	{ "device-bound over an unbound one", DEV(A1, 2), PLAIN(A1), true,
	  false, true },
	{ "unbound over a device-bound one", PLAIN(A1), DEV(A1, 2), true,
	  false, true },
	/* SO_REUSEADDR: both set it and the one there does not listen. */
	{ "SO_REUSEADDR both, old bound", RA(A1, TCP_CLOSE, U1),
	  RA(A1, TCP_CLOSE, U1), true, false, false },
	{ "SO_REUSEADDR both, old connected", RA(A1, TCP_CLOSE, U1),
	  RA(A1, TCP_ESTABLISHED, U1), true, false, false },
	{ "SO_REUSEADDR both, old in TIME_WAIT", RA(A1, TCP_CLOSE, U1),
	  RA(A1, TCP_TIME_WAIT, U1), true, false, false },
	{ "SO_REUSEADDR both, other users", RA(A1, TCP_CLOSE, U1),
	  RA(A1, TCP_CLOSE, U2), true, false, false },
	{ "SO_REUSEADDR both, wildcard over specific", RA(ANY, TCP_CLOSE, U1),
	  RA(A1, TCP_CLOSE, U1), true, false, false },
	{ "SO_REUSEADDR both, old listening", RA(A1, TCP_CLOSE, U1),
	  RA(A1, TCP_LISTEN, U1), true, false, true },
	{ "SO_REUSEADDR new only", RA(A1, TCP_CLOSE, U1), PLAIN(A1), true,
	  false, true },
	{ "SO_REUSEADDR old only", PLAIN(A1), RA(A1, TCP_CLOSE, U1), true,
	  false, true },
	{ "SO_REUSEADDR both, automatic port", RA(A1, TCP_CLOSE, U1),
	  RA(A1, TCP_CLOSE, U1), false, false, true },
	/* SO_REUSEPORT: both set it, and the same user owns both. */
	{ "SO_REUSEPORT both, same user", RP(A1, TCP_CLOSE, U1),
	  RP(A1, TCP_CLOSE, U1), true, false, false },
	{ "SO_REUSEPORT both, same user, old listening",
	  RP(A1, TCP_CLOSE, U1), RP(A1, TCP_LISTEN, U1), true, false, false },
	{ "SO_REUSEPORT both, same user, wildcard over specific",
	  RP(ANY, TCP_CLOSE, U1), RP(A1, TCP_CLOSE, U1), true, false, false },
	{ "SO_REUSEPORT both, other users", RP(A1, TCP_CLOSE, U1),
	  RP(A1, TCP_CLOSE, U2), true, false, true },
	{ "SO_REUSEPORT both, other users, old listening",
	  RP(A1, TCP_CLOSE, U1), RP(A1, TCP_LISTEN, U2), true, false, true },
	{ "SO_REUSEPORT both, old in TIME_WAIT of another user",
	  RP(A1, TCP_CLOSE, U1), RP(A1, TCP_TIME_WAIT, U2), true, false,
	  false },
	{ "SO_REUSEPORT new only", RP(A1, TCP_CLOSE, U1), PLAIN(A1), true,
	  false, true },
	{ "SO_REUSEPORT old only", PLAIN(A1), RP(A1, TCP_CLOSE, U1), true,
	  false, true },
	{ "SO_REUSEPORT both, same user, automatic port",
	  RP(A1, TCP_CLOSE, U1), RP(A1, TCP_CLOSE, U1), false, false, true },
	/* Both options: either exemption is enough. */
	{ "both options, old listening, same user", RARP(A1, TCP_CLOSE, U1),
	  RARP(A1, TCP_LISTEN, U1), true, false, false },
	{ "both options, old listening, other users",
	  RARP(A1, TCP_CLOSE, U1), RARP(A1, TCP_LISTEN, U2), true, false,
	  true },
	{ "both options, old bound, other users", RARP(A1, TCP_CLOSE, U1),
	  RARP(A1, TCP_CLOSE, U2), true, false, false },
};

static void toy_bind_case_desc(const struct toy_bind_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(toy_bind, toy_bind_cases, toy_bind_case_desc);

/*
 * A socket that holds a port as the rule sees it: only the fields it
 * reads.  The TIME_WAIT entry of a row is a socket in TCP_TIME_WAIT: the
 * rule reads from an entry only what struct sock_common has.
 */
static struct sock *toy_bind_sock(struct kunit *test,
				  const struct toy_bind_side *s)
{
	struct toy_sock *ts = kunit_kzalloc(test, sizeof(*ts), GFP_KERNEL);
	struct sock *sk;

	KUNIT_ASSERT_NOT_NULL(test, ts);
	sk = &ts->sk;
	sk->sk_rcv_saddr = htonl(s->addr);
	sk->sk_num = 4242;
	sk->sk_bound_dev_if = s->dev;
	sk->sk_reuse = s->reuseaddr ? SK_CAN_REUSE : SK_NO_REUSE;
	sk->sk_reuseport = s->reuseport;
	sk->sk_uid = make_kuid(&init_user_ns, s->uid);
	sk->sk_state = s->state;
	return sk;
}

static void toy_bind_test_conflict(struct kunit *test)
{
	const struct toy_bind_case *c = test->param_value;
	struct sock *sk, *old;

	sk = toy_bind_sock(test, &c->sk);
	old = c->self ? sk : toy_bind_sock(test, &c->old);

	KUNIT_EXPECT_EQ(test,
			toy_bind_conflict(sk, htonl(c->sk.addr), old, c->relax),
			c->conflict);
}

static struct kunit_case toy_bind_test_cases[] = {
	KUNIT_CASE_PARAM(toy_bind_test_conflict, toy_bind_gen_params),
	{}
};

static struct kunit_suite toy_bind_suite = {
	.name = "toy_bind",
	.test_cases = toy_bind_test_cases,
};

kunit_test_suite(toy_bind_suite);
