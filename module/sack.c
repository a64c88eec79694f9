// SPDX-License-Identifier: GPL-2.0
/*
 * AF_TOY selective acknowledgments (RFC 2018), both ends, when both SYNs
 * carried SACK permitted (options.c).
 *
 * Receiver: an ACK without data, sent while data waits in the
 * out-of-order queue beyond a hole, names up to TOY_MAX_SACK_BLOCKS runs
 * of that queue; the run holding the segment that arrived last goes
 * first, the lowest others after it (RFC 2018 4).  Data segments carry
 * none: their options would eat into a full-sized segment.
 *
 * Sender: the scoreboard is a bit per segment of the write queue
 * (toy_skb_cb.sacked), set when a block covers the whole segment, with
 * @sacked_out counting them and @highest_sack the right edge of the
 * highest (meaningful while @sacked_out is not 0).  A block that is not
 * between snd_una and snd_max is ignored (a D-SACK, an old or a forged
 * one).  Recovery (RFC 6675) begins on the third duplicate ACK, or as
 * soon as three segments are SACKed above the first unacknowledged one
 * (its DupThresh, counted in segments: one ACK may SACK a whole run).
 * In it, a segment is lost when it is not SACKed and lies below SACKed
 * data (IsLost with a threshold of one segment), and so is the first
 * unacknowledged one; the lost ones not yet resent are @lost_out
 * (toy_sack_count_lost()), and what the network holds (pipe) is
 * packets_out - sacked_out - lost_out.  Each ACK tells PRR (cong.c) how
 * many segments the peer received, and the window it sets is filled
 * with the holes first, each once (toy_skb_cb.rexmit) unless that copy
 * is lost too (rack.c), then new data.
 * A retransmission timeout forgets the scoreboard: the receiver may
 * have dropped what it SACKed (RFC 2018 8), so everything is sent
 * again, and the ACKs that follow mark it anew.
 *
 * Everything here runs under the socket lock.
 */

#include <net/sock.h>

#include "toy.h"

/* The blocks of an ACK being built: the latest run, and the others. */
struct toy_sack_runs {
	struct toy_sack_block	latest;
	struct toy_sack_block	other[TOY_MAX_SACK_BLOCKS - 1];
	int			nr_other;
	bool			have_latest;
};

/* Keep run @b: as the latest if it holds @recent, else if there is room. */
static void toy_sack_keep(struct toy_sack_runs *r, struct toy_sack_block b,
			  u32 recent)
{
	if (!toy_before(recent, b.start) && toy_before(recent, b.end)) {
		r->latest = b;
		r->have_latest = true;
	} else if (r->nr_other < ARRAY_SIZE(r->other)) {
		r->other[r->nr_other++] = b;
	}
}

/**
 * toy_sack_fill() - The SACK blocks of an ACK we send.
 * @sk: the connection.
 * @seg: the ACK's header fields; its blocks are written here.
 *
 * None unless SACK was agreed and data waits out of order.  The runs of
 * the out-of-order queue (sorted by sequence number; segments that touch
 * or overlap make one run), the latest first; as many as fit next to
 * the connection's timestamps.
 */
void toy_sack_fill(struct sock *sk, struct toy_seg *seg)
{
	struct toy_sock *ts = toy_sk(sk);
	struct toy_sack_runs r = {};
	struct toy_sack_block b;
	struct sk_buff *skb;
	bool open = false;
	int i, max;

	seg->nr_sack = 0;
	if (!ts->sack_ok || skb_queue_empty(&ts->ooo_queue))
		return;
	skb_queue_walk(&ts->ooo_queue, skb) {
		struct toy_skb_cb *cb = TOY_SKB_CB(skb);

		if (open && !toy_after(cb->seq, b.end)) {
			if (toy_after(cb->end_seq, b.end))
				b.end = cb->end_seq;
			continue;
		}
		if (open)
			toy_sack_keep(&r, b, ts->sack_recent);
		b.start = cb->seq;
		b.end = cb->end_seq;
		open = true;
	}
	toy_sack_keep(&r, b, ts->sack_recent);
	if (r.have_latest)
		seg->sack[seg->nr_sack++] = r.latest;
	max = ts->ts_ok ? TOY_MAX_SACK_BLOCKS_TS : TOY_MAX_SACK_BLOCKS;
	for (i = 0; i < r.nr_other && seg->nr_sack < max; i++)
		seg->sack[seg->nr_sack++] = r.other[i];
}

/* A block the sender may believe: inside what is sent and unacked. */
static bool toy_sack_block_valid(const struct toy_sock *ts,
				 const struct toy_sack_block *b)
{
	return toy_before(b->start, b->end) &&
	       !toy_before(b->start, ts->snd_una) &&
	       !toy_after(b->end, ts->snd_max);
}

/* Mark the sent segments block @b covers whole; how many were new. */
static u32 toy_sack_mark(struct sock *sk, const struct toy_sack_block *b)
{
	struct toy_sock *ts = toy_sk(sk);
	struct sk_buff *skb;
	u32 marked = 0;

	skb_queue_walk(&sk->sk_write_queue, skb) {
		struct toy_skb_cb *cb = TOY_SKB_CB(skb);

		if (skb == ts->send_head || !toy_before(cb->seq, b->end))
			break;
		if (cb->sacked || toy_before(cb->seq, b->start) ||
		    toy_after(cb->end_seq, b->end))
			continue;
		cb->sacked = 1;
		toy_rack_delivered(ts, cb);
		marked++;
		if (!ts->sacked_out++ ||
		    toy_after(cb->end_seq, ts->highest_sack))
			ts->highest_sack = cb->end_seq;
	}
	return marked;
}

/**
 * toy_sack_rcvd() - Take the SACK blocks of an ACK into the scoreboard.
 * @sk: the connection.
 * @opt: the options of the ACK.
 *
 * Return: the segments newly SACKed.  An ACK that SACKs new data says a
 * segment left the network, as a duplicate ACK does, even when its
 * window changed (the receiver's buffer filled with the data beyond the
 * hole).
 */
u32 toy_sack_rcvd(struct sock *sk, const struct toy_options *opt)
{
	struct toy_sock *ts = toy_sk(sk);
	u32 marked = 0;
	int i;

	if (!ts->sack_ok)
		return 0;
	for (i = 0; i < opt->nr_sack; i++)
		if (toy_sack_block_valid(ts, &opt->sack[i]))
			marked += toy_sack_mark(sk, &opt->sack[i]);
	return marked;
}

/**
 * toy_sack_clear() - Forget the scoreboard.
 * @sk: the connection, about to send again from snd_una.
 *
 * After a retransmission timeout, or when the path MTU shrank: what was
 * SACKed is sent again (the receiver may have dropped it).
 */
void toy_sack_clear(struct sock *sk)
{
	struct toy_sock *ts = toy_sk(sk);
	struct sk_buff *skb;

	skb_queue_walk(&sk->sk_write_queue, skb) {
		TOY_SKB_CB(skb)->sacked = 0;
		TOY_SKB_CB(skb)->rexmit = 0;
	}
	ts->sacked_out = 0;
	ts->lost_out = 0;
	ts->highest_sack = ts->snd_una;
	toy_rack_reset(ts);
}

/**
 * toy_sack_recovery_start() - Recovery begins: no hole is resent yet.
 * @sk: the connection.
 */
void toy_sack_recovery_start(struct sock *sk)
{
	struct sk_buff *skb;

	skb_queue_walk(&sk->sk_write_queue, skb)
		TOY_SKB_CB(skb)->rexmit = 0;
	toy_rack_reset(toy_sk(sk));
}

/* A segment of @ts taken as lost in recovery and not resent yet. */
static bool toy_sack_hole(const struct toy_sock *ts, const struct sk_buff *skb)
{
	const struct toy_skb_cb *cb = TOY_SKB_CB(skb);

	if (cb->sacked || cb->rexmit)
		return false;
	return !toy_after(cb->seq, ts->snd_una) ||
	       (ts->sacked_out && toy_before(cb->seq, ts->highest_sack));
}

/* The first segment at or after @skb that can be a hole, or NULL. */
static struct sk_buff *toy_sack_hole_from(struct sock *sk, struct sk_buff *skb)
{
	struct toy_sock *ts = toy_sk(sk);

	for (; skb != (struct sk_buff *)&sk->sk_write_queue; skb = skb->next) {
		if (skb == ts->send_head)
			return NULL;
		if (toy_sack_hole(ts, skb))
			return skb;
		if (toy_after(TOY_SKB_CB(skb)->seq, ts->snd_una) &&
		    (!ts->sacked_out ||
		     !toy_before(TOY_SKB_CB(skb)->seq, ts->highest_sack)))
			return NULL;	/* nothing lost beyond here */
	}
	return NULL;
}

/**
 * toy_sack_next_hole() - The next segment recovery should resend.
 * @sk: the connection, in recovery with SACK.
 * @from: where to look from: a segment of its write queue, or NULL for
 *        the first.
 *
 * Return: the first segment from @from on that is lost and not resent
 * in this recovery (RFC 6675's NextSeg, rule 1), or NULL.
 */
struct sk_buff *toy_sack_next_hole(struct sock *sk, struct sk_buff *from)
{
	return toy_sack_hole_from(sk, from ?: skb_peek(&sk->sk_write_queue));
}

/**
 * toy_sack_count_lost() - Count the holes still to resend (@lost_out).
 * @sk: the connection, in recovery with SACK.
 */
void toy_sack_count_lost(struct sock *sk)
{
	struct toy_sock *ts = toy_sk(sk);
	struct sk_buff *skb = NULL;
	u32 lost = 0;

	while ((skb = toy_sack_next_hole(sk, skb))) {
		lost++;
		if (skb_queue_is_last(&sk->sk_write_queue, skb))
			break;
		skb = skb->next;
	}
	ts->lost_out = lost;
}
