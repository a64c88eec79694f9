// SPDX-License-Identifier: GPL-2.0
/*
 * AF_TOY lost retransmissions, found by when segments were sent (RACK,
 * RFC 8985 6.2, the part of TCP's tcp_rack_detect_loss() that SACK
 * recovery needs).
 *
 * In SACK recovery each hole is resent once (toy_skb_cb.rexmit, sack.c).
 * If that copy is lost too, the scoreboard cannot tell: the segment lay
 * below SACKed data before it went again and still does.  Only the RTO
 * would notice, and an RTO costs at least 200 ms and the whole window.
 * The order of transmissions can tell: once a segment sent after the
 * copy has reached the peer, the copy should have reached it too.
 *
 * So the connection remembers the latest transmission known to have
 * arrived (@rack_sent_us and @rack_end_seq of struct toy_sock: when it
 * went, where it ends, so that two sent in the same microsecond are
 * ordered by sequence).  It is taken only from segments sent once: the
 * ACK or SACK of a segment sent twice may be the first copy's, and its
 * send time would lie.  On every ACK in SACK recovery, a resent segment
 * that is not SACKed and went before that transmission is lost again:
 * its rexmit mark is cleared, so it is a hole once more and goes again
 * as PRR allows, counted in LostRetransmit.
 *
 * RFC 8985 waits a reordering window (a quarter of the minimum RTT)
 * before it calls a segment lost, except in recovery while no reordering
 * has been seen, where the window is zero.  The rule is used only there:
 * in recovery, and only until the connection sees reordering, that is
 * until a segment sent once arrives below data the peer had already
 * reported (@rack_fack, the highest delivered before the ACK that tells
 * it); from then on a lost copy is left to the RTO, as no timer waits
 * out a reordering window.  Outside recovery, losses are found by
 * duplicate ACKs and SACKed segments (DupThresh, cong.c and sack.c) and
 * by the tail loss probe (tlp.c).
 *
 * The times are microseconds in 32 bits, which wrap in 71 minutes: the
 * latest transmission is forgotten when recovery begins and at a
 * timeout (toy_rack_reset()), so only times of one recovery, far less
 * than that apart, are compared.
 *
 * Everything here runs under the socket lock.
 */

#include <net/sock.h>

#include "toy.h"

/* Did the transmission (@t1, @seq1) go after (@t2, @seq2)? */
static bool toy_rack_sent_after(u32 t1, u32 seq1, u32 t2, u32 seq2)
{
	return (s32)(t1 - t2) > 0 || (t1 == t2 && toy_after(seq1, seq2));
}

/**
 * toy_rack_reset() - Forget the latest transmission known delivered.
 * @ts: the connection: recovery begins, or the write queue is sent again.
 */
void toy_rack_reset(struct toy_sock *ts)
{
	ts->rack_seen = false;
}

/**
 * toy_rack_ack_begin() - An ACK arrives: note what was delivered before.
 * @ts: the connection.
 *
 * The highest data the peer had reported (the right edge of its SACKs,
 * else snd_una), against which the ACK's news shows reordering.
 */
void toy_rack_ack_begin(struct toy_sock *ts)
{
	ts->rack_fack = ts->sacked_out ? ts->highest_sack : ts->snd_una;
}

/**
 * toy_rack_delivered() - A segment reached the peer: newly SACKed or acked.
 * @ts: the connection, within an ACK (toy_rack_ack_begin()).
 * @cb: the segment, sent at least once, not counted here before.
 *
 * Context: socket lock held.
 */
void toy_rack_delivered(struct toy_sock *ts, const struct toy_skb_cb *cb)
{
	if (cb->retrans)
		return;
	if (toy_before(cb->end_seq, ts->rack_fack))
		ts->rack_reord = true;	/* overtaken by one sent after it */
	if (ts->rack_seen &&
	    !toy_rack_sent_after(cb->sent_us, cb->end_seq, ts->rack_sent_us,
				 ts->rack_end_seq))
		return;
	ts->rack_sent_us = cb->sent_us;
	ts->rack_end_seq = cb->end_seq;
	ts->rack_seen = true;
}

/**
 * toy_rack_detect_lost() - Find the resent segments lost again.
 * @sk: the connection, in SACK recovery.
 *
 * Every segment resent in this recovery, not SACKed, that went before
 * the latest transmission known to have arrived becomes a hole again;
 * none once reordering was seen.
 *
 * Context: socket lock held.
 */
void toy_rack_detect_lost(struct sock *sk)
{
	struct toy_sock *ts = toy_sk(sk);
	struct sk_buff *skb;

	if (!ts->rack_seen || ts->rack_reord)
		return;
	skb_queue_walk(&sk->sk_write_queue, skb) {
		struct toy_skb_cb *cb = TOY_SKB_CB(skb);

		if (skb == ts->send_head)
			break;
		if (!cb->rexmit || cb->sacked ||
		    !toy_rack_sent_after(ts->rack_sent_us, ts->rack_end_seq,
					 cb->sent_us, cb->end_seq))
			continue;
		cb->rexmit = 0;
		TOY_INC_STATS(sock_net(sk), TOY_MIB_LOSTRETRANSMIT);
	}
}
