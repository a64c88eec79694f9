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
 * before it calls a segment lost, except in recovery when no reordering
 * has been seen, where the window is zero.  This connection does not
 * measure reordering (it has no D-SACK) and uses the rule only in
 * recovery: the window is zero, and no timer waits for one.  Outside
 * recovery, losses are found by duplicate ACKs and SACKed segments
 * (DupThresh, cong.c and sack.c) and by the tail loss probe (tlp.c).
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
 * toy_rack_delivered() - A segment reached the peer: SACKed or acked.
 * @ts: the connection.
 * @cb: the segment, sent at least once.
 *
 * Context: socket lock held.
 */
void toy_rack_delivered(struct toy_sock *ts, const struct toy_skb_cb *cb)
{
	if (cb->retrans)
		return;
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
 * the latest transmission known to have arrived becomes a hole again.
 *
 * Context: socket lock held.
 */
void toy_rack_detect_lost(struct sock *sk)
{
	struct toy_sock *ts = toy_sk(sk);
	struct sk_buff *skb;

	if (!ts->rack_seen)
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
