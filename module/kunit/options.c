// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: header options (options.c).  toy_parse_options() reads bytes a
 * stranger wrote: each row is a list of option bytes and what must come
 * of it, parsed or refused.  toy_negotiated_mss() settles what a new
 * connection sends per segment.  And what toy_write_options() writes,
 * toy_parse_options() reads back; and PAWS's verdict on a TSval.
 */
#include <kunit/test.h>

#include "../toy.h"

struct toy_opt_case {
	const char *name;
	u8 bytes[TOY_MAX_OPTIONS];
	u8 len;		/* bytes of options: doff = 5 + len / 4 */
	int err;	/* toy_parse_options() */
	u16 mss;
	bool wscale_ok;
	u8 wscale;
	bool sack_ok;
	u8 nr_sack;
	u32 sack_end;	/* the right edge of the last block */
	bool saw_ts;
	u32 tsval, tsecr;
};

static const struct toy_opt_case toy_opt_cases[] = {
	{ "none", {}, 0, 0, 0, false, 0 },
	{ "what AF_TOY sends", { 2, 4, 0x05, 0xb4, 1, 3, 3, 7 }, 8, 0,
	  1460, true, 7 },
	{ "MSS alone, EOL after", { 2, 4, 0xff, 0xd7, 0, 0, 0, 0 }, 8, 0,
	  65495, false, 0 },
	{ "window scale 14", { 1, 3, 3, 14 }, 4, 0, 0, true, 14 },
	{ "window scale 15 is taken as 14", { 1, 3, 3, 15 }, 4, 0, 0, true,
	  14 },
	{ "window scale 255 is taken as 14", { 1, 3, 3, 255 }, 4, 0, 0, true,
	  14 },
	{ "NOPs only", { 1, 1, 1, 1 }, 4, 0, 0, false, 0 },
	{ "EOL ends the list, garbage after", { 0, 2, 1, 0 }, 4, 0, 0, false,
	  0 },
	{ "an unknown kind is skipped", { 99, 6, 1, 2, 3, 4, 2, 4, 0x02, 0x18,
	  0, 0 }, 12, 0, 536, false, 0 },
	{ .name = "timestamps", .len = 12,
	  .bytes = { 1, 1, 8, 10, 0x80, 0, 0, 1, 0, 0, 0, 2 },
	  .saw_ts = true, .tsval = 0x80000001, .tsecr = 2 },
	{ .name = "timestamps of length 8", .len = 8,
	  .bytes = { 8, 8, 0, 0, 0, 1, 0, 0 }, .err = -EINVAL },
	{ .name = "timestamps of length 12", .len = 12,
	  .bytes = { 8, 12, [11] = 1 }, .err = -EINVAL },
	{ .name = "Linux TCP's SYN", .len = 20,
	  .bytes = { 2, 4, 0xff, 0xd7, 4, 2, 8, 10, 0, 0, 0, 7, 0, 0, 0, 0,
		     1, 3, 3, 7 },
	  .mss = 65495, .wscale_ok = true, .wscale = 7, .sack_ok = true,
	  .saw_ts = true, .tsval = 7 },
	{ "a later MSS overrides", { 2, 4, 0x05, 0xb4, 2, 4, 0x02, 0x18 }, 8,
	  0, 536, false, 0 },
	{ "MSS of zero reads as none", { 2, 4, 0, 0 }, 4, 0, 0, false, 0 },
	{ "length 0", { 99, 0, 1, 1 }, 4, -EINVAL },
	{ "length 1", { 99, 1, 1, 1 }, 4, -EINVAL },
	{ "length past the header", { 1, 1, 99, 3 }, 4, -EINVAL },
	{ "length byte missing", { 1, 1, 1, 99 }, 4, -EINVAL },
	{ "MSS of length 3", { 2, 3, 5, 1 }, 4, -EINVAL },
	{ "MSS of length 6", { 2, 6, 0, 0, 0, 0, 0, 0 }, 8, -EINVAL },
	{ "window scale of length 4", { 3, 4, 7, 0 }, 4, -EINVAL },
	{ "window scale of length 2", { 3, 2, 1, 1 }, 4, -EINVAL },
	{ "the longest header: 40 bytes of NOP", { [0 ... 39] = 1 }, 40, 0,
	  0, false, 0 },
	{ "good options, then a bad one", { 2, 4, 0x05, 0xb4, 99, 9, 0, 0 },
	  8, -EINVAL },
	{ "what AF_TOY's SYN sends", { 2, 4, 0x05, 0xb4, 1, 3, 3, 7, 1, 1, 4,
	  2 }, 12, 0, 1460, true, 7, true },
	{ "SACK permitted of length 3", { 4, 3, 0, 1 }, 4, -EINVAL },
	{ "one SACK block", { 1, 1, 5, 10, 0, 0, 0, 1, 0, 0, 0, 9 }, 12, 0, 0,
	  false, 0, false, 1, 9 },
	{ "four SACK blocks, 34 bytes",
	  { 1, 1, 5, 34, [35] = 0x22, 0, 0 }, 40, 0, 0, false, 0, false, 4,
	  0x22 },
	{ "SACK with no block", { 5, 2, 1, 1 }, 4, -EINVAL },
	{ "SACK with half a block", { 1, 1, 5, 6, 0, 0, 0, 1 }, 8, -EINVAL },
	{ "SACK with a block and a half", { 1, 1, 5, 14, [17] = 0, 0, 0 }, 20,
	  -EINVAL },
};

static void toy_opt_case_desc(const struct toy_opt_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(toy_opt, toy_opt_cases, toy_opt_case_desc);

static void toy_opt_test_parse(struct kunit *test)
{
	const struct toy_opt_case *c = test->param_value;
	struct {
		struct toyhdr th;
		u8 opts[TOY_MAX_OPTIONS];
	} seg = {};
	struct toy_options opt;
	int err;

	seg.th.doff = TOY_DOFF + c->len / 4;
	memcpy(seg.opts, c->bytes, c->len);
	err = toy_parse_options(&seg.th, &opt);
	KUNIT_ASSERT_EQ(test, err, c->err);
	if (err)
		return;
	KUNIT_EXPECT_EQ(test, opt.mss, c->mss);
	KUNIT_EXPECT_EQ(test, opt.wscale_ok, c->wscale_ok);
	KUNIT_EXPECT_EQ(test, opt.wscale, c->wscale);
	KUNIT_EXPECT_EQ(test, opt.sack_ok, c->sack_ok);
	KUNIT_EXPECT_EQ(test, opt.nr_sack, c->nr_sack);
	if (c->nr_sack)
		KUNIT_EXPECT_EQ(test, opt.sack[c->nr_sack - 1].end,
				c->sack_end);
	KUNIT_EXPECT_EQ(test, opt.saw_ts, c->saw_ts);
	KUNIT_EXPECT_EQ(test, opt.tsval, c->tsval);
	KUNIT_EXPECT_EQ(test, opt.tsecr, c->tsecr);
}

/* What we write, we read back; a segment without SYN carries none. */
static void toy_opt_test_round_trip(struct kunit *test)
{
	struct toy_seg seg = { .flags = TOY_SYN | TOY_ACK, .mss = 65495,
			       .wscale = 9, .wscale_ok = true };
	struct {
		struct toyhdr th;
		u8 opts[TOY_MAX_OPTIONS];
	} out = {};
	struct toy_options opt;

	KUNIT_ASSERT_EQ(test, toy_options_size(&seg), 8U);
	toy_write_options(out.opts, &seg);
	out.th.doff = TOY_DOFF + 2;
	KUNIT_ASSERT_EQ(test, toy_parse_options(&out.th, &opt), 0);
	KUNIT_EXPECT_EQ(test, opt.mss, 65495);
	KUNIT_EXPECT_TRUE(test, opt.wscale_ok);
	KUNIT_EXPECT_EQ(test, opt.wscale, 9);

	seg.wscale_ok = false;
	KUNIT_EXPECT_EQ(test, toy_options_size(&seg), 4U);
	seg.sack_ok = true;
	KUNIT_EXPECT_EQ(test, toy_options_size(&seg), 8U);
	seg.flags = TOY_ACK;
	KUNIT_EXPECT_EQ(test, toy_options_size(&seg), 0U);

	/* An ACK's SACK blocks, both edges of each, in order. */
	seg.nr_sack = 2;
	seg.sack[0] = (struct toy_sack_block){ 1000, 2000 };
	seg.sack[1] = (struct toy_sack_block){ 0xfffffff0, 10 };
	KUNIT_ASSERT_EQ(test, toy_options_size(&seg), 20U);
	toy_write_options(out.opts, &seg);
	out.th.doff = TOY_DOFF + 5;
	KUNIT_ASSERT_EQ(test, toy_parse_options(&out.th, &opt), 0);
	KUNIT_ASSERT_EQ(test, opt.nr_sack, 2);
	KUNIT_EXPECT_EQ(test, opt.sack[0].start, 1000U);
	KUNIT_EXPECT_EQ(test, opt.sack[0].end, 2000U);
	KUNIT_EXPECT_EQ(test, opt.sack[1].start, 0xfffffff0U);
	KUNIT_EXPECT_EQ(test, opt.sack[1].end, 10U);

	/* Timestamps and three blocks: the 40 bytes, full. */
	seg.ts_ok = true;
	seg.tsval = 0xdeadbeef;
	seg.tsecr = 42;
	seg.nr_sack = TOY_MAX_SACK_BLOCKS_TS;
	seg.sack[2] = (struct toy_sack_block){ 5, 6 };
	KUNIT_ASSERT_EQ(test, toy_options_size(&seg), TOY_MAX_OPTIONS);
	toy_write_options(out.opts, &seg);
	out.th.doff = TOY_DOFF + TOY_MAX_OPTIONS / 4;
	KUNIT_ASSERT_EQ(test, toy_parse_options(&out.th, &opt), 0);
	KUNIT_EXPECT_TRUE(test, opt.saw_ts);
	KUNIT_EXPECT_EQ(test, opt.tsval, 0xdeadbeefU);
	KUNIT_EXPECT_EQ(test, opt.tsecr, 42U);
	KUNIT_ASSERT_EQ(test, opt.nr_sack, 3);
	KUNIT_EXPECT_EQ(test, opt.sack[2].end, 6U);

	/* A SYN with everything: TCP's 20 bytes. */
	seg = (struct toy_seg){ .flags = TOY_SYN, .mss = 1460, .wscale = 7,
				.wscale_ok = true, .sack_ok = true,
				.ts_ok = true, .tsval = 9 };
	KUNIT_ASSERT_EQ(test, toy_options_size(&seg), 20U);
	toy_write_options(out.opts, &seg);
	out.th.doff = TOY_DOFF + 5;
	KUNIT_ASSERT_EQ(test, toy_parse_options(&out.th, &opt), 0);
	KUNIT_EXPECT_EQ(test, opt.mss, 1460);
	KUNIT_EXPECT_TRUE(test, opt.sack_ok && opt.saw_ts && opt.wscale_ok);
	KUNIT_EXPECT_EQ(test, opt.tsval, 9U);
	KUNIT_EXPECT_EQ(test, opt.tsecr, 0U);
}

struct toy_nmss_case {
	const char *name;
	u16 route, peer;
	bool scaled;
	u16 mss;
};

static const struct toy_nmss_case toy_nmss_cases[] = {
	{ "loopback, both scale", 65495, 65495, true, 65495 },
	{ "loopback, no scaling: four fit 64 KiB", 65495, 65495, false,
	  16384 },
	{ "loopback, peer sent no MSS", 65495, 0, true, 16384 },
	{ "Ethernet route, loopback peer", 1460, 65495, true, 1460 },
	{ "the peer's is smaller", 65495, 1400, true, 1400 },
	{ "the peer's below the floor", 65495, 1, true, TOY_MIN_MSS },
	{ "small route, no option", 536, 0, false, 536 },
};

static void toy_nmss_case_desc(const struct toy_nmss_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(toy_nmss, toy_nmss_cases, toy_nmss_case_desc);

static void toy_opt_test_negotiated_mss(struct kunit *test)
{
	const struct toy_nmss_case *c = test->param_value;

	KUNIT_EXPECT_EQ(test, toy_negotiated_mss(c->route, c->peer, c->scaled),
			c->mss);
}

struct toy_paws_case {
	const char *name;
	u32 recent, tsval, win;
	u32 age;	/* seconds since ts_recent came; ~0: never */
	bool old;
};

static const struct toy_paws_case toy_paws_cases[] = {
	{ "no ts_recent yet", 1000, 1, 0, ~0U, false },
	{ "ts_recent 0 says nothing", 0, 0x80000000, 0, 0, false },
	{ "the same TSval", 1000, 1000, 0, 0, false },
	{ "a later TSval", 1000, 1001, 0, 0, false },
	{ "one older, no window", 1000, 999, 0, 0, true },
	{ "one older, window 1", 1000, 999, 1, 0, false },
	{ "two older, window 1", 1000, 998, 1, 0, true },
	{ "far older", 1000000, 1, 1, 5, true },
	{ "later across the wrap", 0xfffffff0, 0x10, 0, 0, false },
	{ "older across the wrap", 0x10, 0xfffffff0, 0, 0, true },
	{ "ts_recent 23 days old still counts", 1000, 1, 0, 23 * 86400, true },
	{ "ts_recent 25 days old does not", 1000, 1, 0, 25 * 86400, false },
};

static void toy_paws_case_desc(const struct toy_paws_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(toy_paws, toy_paws_cases, toy_paws_case_desc);

/* PAWS: which TSvals are older than the latest (timestamps.c). */
static void toy_opt_test_paws(struct kunit *test)
{
	const struct toy_paws_case *c = test->param_value;
	u32 stamp = c->age == ~0U ? 0 : toy_ts_seconds() - c->age;

	KUNIT_EXPECT_EQ(test, toy_paws_old(c->recent, stamp, c->tsval, c->win),
			c->old);
}

static struct kunit_case toy_opt_test_cases[] = {
	KUNIT_CASE_PARAM(toy_opt_test_parse, toy_opt_gen_params),
	KUNIT_CASE(toy_opt_test_round_trip),
	KUNIT_CASE_PARAM(toy_opt_test_negotiated_mss, toy_nmss_gen_params),
	KUNIT_CASE_PARAM(toy_opt_test_paws, toy_paws_gen_params),
	{}
};

static struct kunit_suite toy_opt_suite = {
	.name = "toy_options",
	.test_cases = toy_opt_test_cases,
};

kunit_test_suite(toy_opt_suite);
