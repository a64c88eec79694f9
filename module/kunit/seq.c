// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: sequence number order modulo 2^32, toy_before() and toy_after()
 * (toy.h).  Every comparison of sequence and acknowledgment numbers in
 * the stream code goes through these two, so a wrong answer near the
 * wrap would stall or corrupt any connection that lives long enough.
 */
#include <kunit/test.h>

#include "../toy.h"

struct toy_seq_case {
	const char *name;
	u32 a, b;
	bool before;	/* toy_before(a, b) */
	bool after;	/* toy_after(a, b) */
};

static const struct toy_seq_case toy_seq_cases[] = {
	{ "equal", 5, 5, false, false },
	{ "one less", 1, 2, true, false },
	{ "one more", 2, 1, false, true },
	{ "zero and the top", 0, U32_MAX, false, true },
	{ "the top before zero, across the wrap", U32_MAX, 0, true, false },
	{ "16 below the wrap before 16 above it", 0xfffffff0, 0x10, true,
	  false },
	{ "16 above the wrap after 16 below it", 0x10, 0xfffffff0, false,
	  true },
	{ "2^31 - 1 ahead is still ahead", 0, 0x7fffffff, true, false },
	{ "2^31 - 1 behind is still behind", 0x7fffffff, 0, false, true },
	/*
	 * Exactly half the space apart, the order is undefined (RFC 1982
	 * 3.2); like Linux's before() and after(), both answers are yes.
	 */
	{ "2^31 apart: both before and after", 0, 0x80000000, true, true },
	{ "2^31 + 1 ahead wraps to behind", 0, 0x80000001, false, true },
	{ "2^31 + 1 behind wraps to ahead", 0x80000001, 0, true, false },
};

static void toy_seq_case_desc(const struct toy_seq_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(toy_seq, toy_seq_cases, toy_seq_case_desc);

static void toy_seq_test_order(struct kunit *test)
{
	const struct toy_seq_case *c = test->param_value;

	KUNIT_EXPECT_EQ_MSG(test, toy_before(c->a, c->b), c->before,
			    "toy_before(%#x, %#x)", c->a, c->b);
	KUNIT_EXPECT_EQ_MSG(test, toy_after(c->a, c->b), c->after,
			    "toy_after(%#x, %#x)", c->a, c->b);
}

static struct kunit_case toy_seq_test_cases[] = {
	KUNIT_CASE_PARAM(toy_seq_test_order, toy_seq_gen_params),
	{}
};

static struct kunit_suite toy_seq_suite = {
	.name = "toy_seq",
	.test_cases = toy_seq_test_cases,
};

kunit_test_suite(toy_seq_suite);
