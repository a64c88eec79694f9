// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the state diagram (states.c) is whole.  toy_set_state() refuses
 * nothing at run time, it only warns, so a hole in the table would show
 * only when a connection took the missing edge; these check the table
 * itself: every state is reached from CLOSE, every state has a way back
 * to CLOSE (nothing stays in a state for ever), no edge is there twice,
 * and toy_state_edge_known() answers for the socket's own edges only.
 */
#include <kunit/test.h>

#include "../toy.h"

/* The eleven states of RFC 793, as Linux numbers them. */
static const int toy_kunit_states[] = {
	TCP_CLOSE, TCP_LISTEN, TCP_SYN_SENT, TCP_SYN_RECV, TCP_ESTABLISHED,
	TCP_FIN_WAIT1, TCP_FIN_WAIT2, TCP_CLOSE_WAIT, TCP_CLOSING,
	TCP_LAST_ACK, TCP_TIME_WAIT,
};

/* The states reachable from @start, following edges forwards or back. */
static u32 toy_kunit_reach(int start, bool backwards)
{
	const struct toy_state_edge *e;
	unsigned int n, i;
	u32 seen = BIT(start);
	bool grew = true;

	e = toy_state_edges_get(&n);
	while (grew) {
		grew = false;
		for (i = 0; i < n; i++) {
			int a = backwards ? e[i].to : e[i].from;
			int b = backwards ? e[i].from : e[i].to;

			if ((seen & BIT(a)) && !(seen & BIT(b))) {
				seen |= BIT(b);
				grew = true;
			}
		}
	}
	return seen;
}

/* Every one of the eleven states is in @seen. */
static void toy_kunit_expect_all(struct kunit *test, u32 seen,
				 const char *what)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(toy_kunit_states); i++)
		KUNIT_EXPECT_TRUE_MSG(test, seen & BIT(toy_kunit_states[i]),
				      "state %d %s", toy_kunit_states[i], what);
}

static void toy_states_test_reached(struct kunit *test)
{
	toy_kunit_expect_all(test, toy_kunit_reach(TCP_CLOSE, false),
			     "not reached from CLOSE");
}

static void toy_states_test_ended(struct kunit *test)
{
	toy_kunit_expect_all(test, toy_kunit_reach(TCP_CLOSE, true),
			     "never leads back to CLOSE");
}

static void toy_states_test_once(struct kunit *test)
{
	const struct toy_state_edge *e;
	unsigned int n, i, j;

	e = toy_state_edges_get(&n);
	for (i = 0; i < n; i++) {
		KUNIT_EXPECT_NE(test, e[i].from, e[i].to);
		KUNIT_EXPECT_NOT_NULL(test, e[i].event);
		for (j = i + 1; j < n; j++)
			KUNIT_EXPECT_FALSE_MSG(test, e[i].from == e[j].from &&
					       e[i].to == e[j].to,
					       "edge %d -> %d twice",
					       e[i].from, e[i].to);
	}
}

struct toy_edge_case {
	const char *name;
	int from, to;
	bool known;	/* toy_state_edge_known(from, to) */
};

static const struct toy_edge_case toy_edge_cases[] = {
	{ "connect()", TCP_CLOSE, TCP_SYN_SENT, true },
	{ "the handshake's end", TCP_SYN_SENT, TCP_ESTABLISHED, true },
	{ "an accepted child", TCP_SYN_RECV, TCP_ESTABLISHED, true },
	{ "the passive close", TCP_CLOSE_WAIT, TCP_LAST_ACK, true },
	{ "a reset in any synchronized state", TCP_FIN_WAIT2, TCP_CLOSE,
	  true },
	{ "a listener does not hold SYN_RECV", TCP_LISTEN, TCP_SYN_RECV,
	  false },
	{ "a socket does not hold TIME_WAIT", TCP_FIN_WAIT2, TCP_TIME_WAIT,
	  false },
	{ "nor leaves it", TCP_TIME_WAIT, TCP_CLOSE, false },
	{ "no way back to the handshake", TCP_ESTABLISHED, TCP_SYN_SENT,
	  false },
	{ "a connection never listens", TCP_ESTABLISHED, TCP_LISTEN, false },
	{ "no FIN before the handshake", TCP_SYN_SENT, TCP_FIN_WAIT1, false },
};

static void toy_edge_case_desc(const struct toy_edge_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(toy_edge, toy_edge_cases, toy_edge_case_desc);

static void toy_states_test_known(struct kunit *test)
{
	const struct toy_edge_case *c = test->param_value;

	KUNIT_EXPECT_EQ_MSG(test, toy_state_edge_known(c->from, c->to),
			    c->known, "%d -> %d", c->from, c->to);
}

static struct kunit_case toy_states_test_cases[] = {
	KUNIT_CASE(toy_states_test_reached),
	KUNIT_CASE(toy_states_test_ended),
	KUNIT_CASE(toy_states_test_once),
	KUNIT_CASE_PARAM(toy_states_test_known, toy_edge_gen_params),
	{}
};

static struct kunit_suite toy_states_suite = {
	.name = "toy_states",
	.test_cases = toy_states_test_cases,
};

kunit_test_suite(toy_states_suite);
