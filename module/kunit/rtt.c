// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the RTT estimator and the retransmission timeout derived from
 * it, toy_rtt_sample() and toy_cc_init() (cong.c), RFC 6298 (2.1 to
 * 2.5) with alpha 1/8 and beta 1/4.  A timeout too short retransmits
 * what is only late and collapses the congestion window; one too long
 * leaves a loss unrepaired for seconds.
 */
#include <kunit/test.h>
#include <linux/jiffies.h>

#include "../toy.h"

#define TOY_TEST_MAX_SAMPLES	4

/*
 * @rto_us: what RFC 6298 gives, SRTT + max(G, 4 * RTTVAR), then held
 * between the floor of 200 ms (Linux's TCP_RTO_MIN; the RFC's 1 s floor
 * is a SHOULD that Linux and AF_TOY do not follow) and the ceiling of
 * 120 s (TCP_RTO_MAX; the RFC allows any ceiling of 60 s or more).  The
 * arithmetic is in whole microseconds, truncating as the code does.
 */
struct toy_rtt_case {
	const char *name;
	u32 samples[TOY_TEST_MAX_SAMPLES];	/* microseconds */
	unsigned int nr;
	u32 srtt_us;
	u32 rttvar_us;
	u32 rto_us;
};

static const struct toy_rtt_case toy_rtt_cases[] = {
	/* 2.1: before any sample the timeout is 1 s. */
	{ "no sample: RTO 1 s", { }, 0, 0, 0, 1000000 },
	/* 2.2: SRTT = R, RTTVAR = R/2. */
	{ "first sample 100 ms", { 100000 }, 1, 100000, 50000, 300000 },
	{ "first sample 250 ms", { 250000 }, 1, 250000, 125000, 750000 },
	/* 2.3: RTTVAR from |SRTT - R| first, then SRTT. */
	{ "equal second sample: RTTVAR shrinks by 1/4",
	  { 100000, 100000 }, 2, 100000, 37500, 250000 },
	{ "larger second sample", { 100000, 300000 }, 2, 125000, 87500,
	  475000 },
	{ "smaller second sample", { 300000, 100000 }, 2, 275000, 162500,
	  925000 },
	{ "samples doubling", { 100000, 200000, 400000 }, 3, 148438, 118750,
	  623438 },
	{ "a late sample after a steady path",
	  { 200000, 200000, 200000, 800000 }, 4, 275000, 192188, 1043752 },
	/* 2.4: the floor. */
	{ "first sample 10 ms: RTO at the 200 ms floor", { 10000 }, 1, 10000,
	  5000, 200000 },
	{ "steady 100 ms: RTTVAR decays, RTO to the floor",
	  { 100000, 100000, 100000, 100000 }, 4, 100000, 21094, 200000 },
	{ "a 0 us sample counts as 1 us", { 0 }, 1, 1, 0, 200000 },
	/* 2.5: the ceiling. */
	{ "first sample 39 s: RTO 117 s", { 39000000 }, 1, 39000000,
	  19500000, 117000000 },
	{ "first sample 40 s: RTO at the 120 s ceiling", { 40000000 }, 1,
	  40000000, 20000000, 120000000 },
	{ "first sample 50 s: RTO held at 120 s", { 50000000 }, 1, 50000000,
	  25000000, 120000000 },
	/* Sums past 32 bits, which would wrap to 25 s and 110 s. */
	{ "first sample 1440 s: SRTT + 4 RTTVAR past 32 bits, RTO 120 s",
	  { 1440000000 }, 1, 1440000000, 720000000, 120000000 },
	{ "first sample 2900 s: 4 RTTVAR past 32 bits, RTO 120 s",
	  { 2900000000U }, 1, 2900000000U, 1450000000, 120000000 },
};

static void toy_rtt_case_desc(const struct toy_rtt_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(toy_rtt, toy_rtt_cases, toy_rtt_case_desc);

static void toy_rtt_test_samples(struct kunit *test)
{
	const struct toy_rtt_case *c = test->param_value;
	struct toy_sock *ts;
	unsigned int i;

	ts = kunit_kzalloc(test, sizeof(*ts), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ts);
	/* As a connection starts: no sample, the initial timeout. */
	toy_cc_init(&ts->sk);
	for (i = 0; i < c->nr; i++)
		toy_rtt_sample(&ts->sk, c->samples[i]);

	KUNIT_EXPECT_EQ(test, ts->srtt_us, c->srtt_us);
	KUNIT_EXPECT_EQ(test, ts->rttvar_us, c->rttvar_us);
	KUNIT_EXPECT_EQ_MSG(test, ts->rto, usecs_to_jiffies(c->rto_us),
			    "RTO in jiffies, HZ %d", HZ);
}

static struct kunit_case toy_rtt_test_cases[] = {
	KUNIT_CASE_PARAM(toy_rtt_test_samples, toy_rtt_gen_params),
	{}
};

static struct kunit_suite toy_rtt_suite = {
	.name = "toy_rtt",
	.test_cases = toy_rtt_test_cases,
};

kunit_test_suite(toy_rtt_suite);
