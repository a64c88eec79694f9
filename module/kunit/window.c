// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: which segments fall in the receive window.  toy_seq_ok()
 * (input.c) for a connection, toy_req_in_window() (request.c) for a
 * half-open entry.  A rule too strict drops good segments, and the
 * connection stalls; one too loose lets a blind attacker inject data or
 * resets with guessed sequence numbers.  And the segment size a path's
 * MTU allows, toy_mtu_to_mss() (output.c).
 */
#include <kunit/test.h>

#include "../toy.h"

/*
 * toy_seq_ok() rows, grouped by RFC 9293 3.10.7.4's four cases (segment
 * length zero or not, receive window zero or not).  The rule is Linux's
 * tcp_sequence(), which is looser than the RFC's table in three places,
 * each marked in its row: a segment may end anywhere from rcv_wup on (a
 * duplicate still draws the ACK that repairs a lost one), may start at
 * the right edge itself, and one at rcv_nxt passes even a zero window
 * (the RFC's "special allowance" for the ACK and RST in it; the data is
 * dealt with later).  @len counts SYN and FIN as the caller does.
 */
struct toy_seq_ok_case {
	const char *name;
	u32 rcv_nxt;
	u32 rcv_wup;	/* rcv_nxt when the window was offered */
	u32 rcv_wnd;	/* the window offered then */
	u32 seq;
	u32 len;
	bool ok;
};

#define NXT	1000U

static const struct toy_seq_ok_case toy_seq_ok_cases[] = {
	/* Length 0, window 0: only seq == rcv_nxt. */
	{ "len 0 wnd 0: at rcv_nxt", NXT, NXT, 0, NXT, 0, true },
	{ "len 0 wnd 0: one beyond", NXT, NXT, 0, NXT + 1, 0, false },
	{ "len 0 wnd 0: one before", NXT, NXT, 0, NXT - 1, 0, false },
	/* Length 0, window > 0: rcv_nxt <= seq < rcv_nxt + wnd. */
	{ "len 0 wnd 100: at rcv_nxt", NXT, NXT, 100, NXT, 0, true },
	{ "len 0 wnd 100: inside", NXT, NXT, 100, NXT + 50, 0, true },
	{ "len 0 wnd 100: last in window", NXT, NXT, 100, NXT + 99, 0, true },
	{ "len 0 wnd 100: at the right edge (Linux)", NXT, NXT, 100,
	  NXT + 100, 0, true },
	{ "len 0 wnd 100: beyond the right edge", NXT, NXT, 100, NXT + 101, 0,
	  false },
	{ "len 0 wnd 100: one before", NXT, NXT, 100, NXT - 1, 0, false },
	/* Length > 0, window 0: nothing, but for the allowance. */
	{ "len 10 wnd 0: at rcv_nxt (Linux)", NXT, NXT, 0, NXT, 10, true },
	{ "len 10 wnd 0: one beyond", NXT, NXT, 0, NXT + 1, 10, false },
	{ "len 10 wnd 0: duplicate ending at rcv_nxt (Linux)", NXT, NXT, 0,
	  NXT - 10, 10, true },
	{ "len 10 wnd 0: entirely old", NXT, NXT, 0, NXT - 20, 10, false },
	/* Length > 0, window > 0: its first or last byte in the window. */
	{ "len 10 wnd 100: at rcv_nxt", NXT, NXT, 100, NXT, 10, true },
	{ "len 10 wnd 100: inside", NXT, NXT, 100, NXT + 50, 10, true },
	{ "len 10 wnd 100: across the left edge", NXT, NXT, 100, NXT - 5, 10,
	  true },
	{ "len 10 wnd 100: across the right edge", NXT, NXT, 100, NXT + 95,
	  10, true },
	{ "len 10 wnd 100: at the right edge (Linux)", NXT, NXT, 100,
	  NXT + 100, 10, true },
	{ "len 10 wnd 100: beyond the right edge", NXT, NXT, 100, NXT + 101,
	  10, false },
	{ "len 10 wnd 100: duplicate ending at rcv_nxt (Linux)", NXT, NXT,
	  100, NXT - 10, 10, true },
	{ "len 10 wnd 100: entirely old", NXT, NXT, 100, NXT - 20, 10,
	  false },
	/*
	 * Data arrived since the last offer (rcv_wup < rcv_nxt): the right
	 * edge stays where it was offered, and the left edge is rcv_wup.
	 */
	{ "since the offer: right edge stays", 1500, 1000, 1000, 2000, 0,
	  true },
	{ "since the offer: beyond it", 1500, 1000, 1000, 2001, 0, false },
	{ "since the offer: ends between rcv_wup and rcv_nxt", 1500, 1000,
	  1000, 1100, 100, true },
	{ "since the offer: ends before rcv_wup", 1500, 1000, 1000, 800, 99,
	  false },
	{ "offer used up past rcv_nxt: at rcv_nxt", 1500, 1000, 100, 1500, 0,
	  true },
	{ "offer used up past rcv_nxt: one beyond", 1500, 1000, 100, 1501, 0,
	  false },
	/* Around the wrap. */
	{ "wrap: data across zero", 0xfffffff0, 0xfffffff0, 0x100,
	  0xfffffffa, 20, true },
	{ "wrap: after zero, inside", 0xfffffff0, 0xfffffff0, 0x100, 0x10, 10,
	  true },
	{ "wrap: right edge after zero", 0xfffffff0, 0xfffffff0, 0x100, 0xf0,
	  0, true },
	{ "wrap: beyond the right edge after zero", 0xfffffff0, 0xfffffff0,
	  0x100, 0xf1, 0, false },
	{ "wrap: old data before rcv_nxt", 0x10, 0x10, 0x100, 0xfffffff0, 10,
	  false },
};

static void toy_seq_ok_case_desc(const struct toy_seq_ok_case *c,
				 char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(toy_seq_ok, toy_seq_ok_cases, toy_seq_ok_case_desc);

static void toy_window_test_seq_ok(struct kunit *test)
{
	const struct toy_seq_ok_case *c = test->param_value;
	struct toy_sock *ts;

	ts = kunit_kzalloc(test, sizeof(*ts), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ts);
	ts->rcv_nxt = c->rcv_nxt;
	ts->rcv_wup = c->rcv_wup;
	ts->rcv_wnd = c->rcv_wnd;

	KUNIT_EXPECT_EQ_MSG(test, toy_seq_ok(ts, c->seq, c->seq + c->len),
			    c->ok, "rcv_nxt %u rcv_wup %u rcv_wnd %u",
			    c->rcv_nxt, c->rcv_wup, c->rcv_wnd);
}

/*
 * toy_req_in_window() rows: does [seq, end_seq) touch [s_win, e_win)?
 * As tcp_in_window(), a segment at the left edge always does, and an
 * empty one at the right edge too.
 */
struct toy_req_win_case {
	const char *name;
	u32 seq, end_seq;
	u32 s_win, e_win;
	bool ok;
};

static const struct toy_req_win_case toy_req_win_cases[] = {
	{ "at the left edge", 1000, 1010, 1000, 2000, true },
	{ "empty, at the left edge", 1000, 1000, 1000, 2000, true },
	{ "inside", 1500, 1510, 1000, 2000, true },
	{ "across the left edge", 990, 1010, 1000, 2000, true },
	{ "ending at the left edge", 990, 1000, 1000, 2000, false },
	{ "entirely before", 900, 910, 1000, 2000, false },
	{ "across the right edge", 1995, 2005, 1000, 2000, true },
	{ "data at the right edge", 2000, 2010, 1000, 2000, false },
	{ "empty, at the right edge", 2000, 2000, 1000, 2000, true },
	{ "beyond the right edge", 2001, 2001, 1000, 2000, false },
	{ "zero window: data at its edge", 1000, 1010, 1000, 1000, true },
	{ "zero window: one beyond", 1001, 1001, 1000, 1000, false },
	{ "wrap: inside, after zero", 5, 15, 0xfffffff0, 0x10, true },
	{ "wrap: across zero", 0xfffffffa, 0x6, 0xfffffff0, 0x10, true },
	{ "wrap: beyond, after zero", 0x11, 0x11, 0xfffffff0, 0x10, false },
};

static void toy_req_win_case_desc(const struct toy_req_win_case *c,
				  char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(toy_req_win, toy_req_win_cases, toy_req_win_case_desc);

static void toy_window_test_req(struct kunit *test)
{
	const struct toy_req_win_case *c = test->param_value;

	KUNIT_EXPECT_EQ_MSG(test,
			    toy_req_in_window(c->seq, c->end_seq, c->s_win,
					      c->e_win),
			    c->ok, "seq %u end_seq %u window [%u, %u)",
			    c->seq, c->end_seq, c->s_win, c->e_win);
}

/*
 * toy_mtu_to_mss() rows (output.c): the MTU less 40 bytes of headers,
 * held between TOY_MIN_MSS and TOY_MAX_MSS.  A segment larger than the
 * path carries is never delivered; one larger than the window cannot be
 * sent whole.  A route's mtu metric has no floor, so the rows go below
 * the headers' own size.
 */
struct toy_mss_case {
	const char *name;
	u32 mtu;
	u16 mss;
};

static const struct toy_mss_case toy_mss_cases[] = {
	{ "Ethernet", 1500, 1460 },
	{ "every IPv4 host's minimum", 576, 536 },
	{ "the floor's own MTU", 104, 64 },
	{ "one above the floor's MTU", 105, 65 },
	{ "below the floor's MTU", 100, 64 },
	{ "the headers alone", 40, 64 },
	{ "smaller than the headers", 30, 64 },
	{ "zero", 0, 64 },
	{ "jumbo frames", 9000, 8960 },
	{ "the ceiling's own MTU, IPv4's largest packet", 65535, 65495 },
	{ "loopback's 64 KiB, past the ceiling", 65536, 65495 },
	{ "the largest metric", 0xffffffff, 65495 },
};

static void toy_mss_case_desc(const struct toy_mss_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(toy_mss, toy_mss_cases, toy_mss_case_desc);

static void toy_window_test_mss(struct kunit *test)
{
	const struct toy_mss_case *c = test->param_value;

	KUNIT_EXPECT_EQ_MSG(test, toy_mtu_to_mss(c->mtu), c->mss, "MTU %u",
			    c->mtu);
}

static struct kunit_case toy_window_test_cases[] = {
	KUNIT_CASE_PARAM(toy_window_test_seq_ok, toy_seq_ok_gen_params),
	KUNIT_CASE_PARAM(toy_window_test_req, toy_req_win_gen_params),
	KUNIT_CASE_PARAM(toy_window_test_mss, toy_mss_gen_params),
	{}
};

static struct kunit_suite toy_window_suite = {
	.name = "toy_window",
	.test_cases = toy_window_test_cases,
};

kunit_test_suite(toy_window_suite);
