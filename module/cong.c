// SPDX-License-Identifier: GPL-2.0
/*
 * AF_TOY round-trip time and congestion control: what the sender knows
 * of the path, and how much it may have in flight.
 *
 * RTT and RTO (RFC 6298).  Each acknowledged segment that went only once
 * (Karn's rule: a resent one says nothing) is a sample of the round-trip
 * time, in microseconds: the first sets SRTT and RTTVAR = SRTT / 2, the
 * later ones move them by 1/8 and 1/4; RTO = SRTT + max(G, 4 RTTVAR),
 * between TOY_RTO_MIN and TOY_RTO_MAX, TOY_RTO_INIT before any sample.
 * Every timeout doubles the RTO (toy_rto_backoff()); the next sample
 * sets it anew.
 *
 * Congestion window (RFC 5681, in segments): TOY_INIT_CWND to start;
 * slow start (one more per segment acknowledged) below ssthresh,
 * congestion avoidance (one more per window) above it, never above
 * TOY_MAX_CWND.  The events:
 *   toy_cc_on_ack()      new data acknowledged: grow, or, in fast
 *                        recovery, end it, or deflate (RFC 6582);
 *   toy_cc_on_dupack()   a duplicate ACK: the third (with SACK, or the
 *                        one that makes three segments SACKed) starts
 *                        fast retransmit and fast recovery (ssthresh =
 *                        half the flight); without SACK cwnd = ssthresh
 *                        + 3 and each further one inflates the window
 *                        by a segment;
 *   toy_cc_prr()         with SACK, every ACK in recovery: Proportional
 *                        Rate Reduction (RFC 6937) sets the window from
 *                        what the peer received and the pipe (RFC 6675);
 *   toy_cc_on_timeout()  the retransmission timer: one segment,
 *                        ssthresh half the flight (RFC 5681 (4));
 *   toy_cc_send_limit()  how many segments may be in flight, the first
 *                        two duplicate ACKs each letting one more out
 *                        (limited transmit, RFC 3042), after an idle
 *                        RTO the window started again (RFC 5681 4.1).
 * The caller holds the socket lock; the events change only struct
 * toy_sock's congestion fields and say whether the first unacknowledged
 * segment must be sent again, which output.c does.
 */

#include <linux/jiffies.h>
#include <linux/ktime.h>
#include <net/sock.h>

#include "toy.h"

/**
 * toy_now_us() - The clock of RTT samples.
 *
 * Return: the monotonic clock in microseconds, truncated to 32 bits: it
 * wraps, and only the difference of two readings means anything.
 */
u32 toy_now_us(void)
{
	return (u32)div_u64(ktime_get_ns(), NSEC_PER_USEC);
}

/**
 * toy_calc_rto() - The RTO from SRTT and RTTVAR (RFC 6298 2.2, 2.3).
 * @ts: the connection.
 *
 * SRTT + max(G, 4 RTTVAR), G being one jiffy.
 *
 * Return: the RTO in jiffies, between TOY_RTO_MIN and TOY_RTO_MAX;
 * TOY_RTO_INIT before the first RTT sample.
 */
unsigned long toy_calc_rto(const struct toy_sock *ts)
{
	u64 rto_us;

	if (!ts->srtt_us)
		return TOY_RTO_INIT;
	/* In 64 bits, held at the ceiling before it becomes jiffies:
	 * samples of over 18 minutes would wrap a u32 to a short timeout.
	 */
	rto_us = ts->srtt_us + max_t(u64, 4ULL * ts->rttvar_us,
				     jiffies_to_usecs(1));
	rto_us = min_t(u64, rto_us, jiffies_to_usecs(TOY_RTO_MAX));
	return clamp_t(unsigned long, usecs_to_jiffies(rto_us), TOY_RTO_MIN,
		       TOY_RTO_MAX);
}

/**
 * toy_rtt_sample() - Take an RTT sample into SRTT, RTTVAR and the RTO.
 * @sk: the connection.
 * @rtt_us: the round-trip time, in microseconds, of a segment that went
 *          only once (Karn); 0 counts as 1.
 *
 * RFC 6298 (2.2, 2.3), with alpha 1/8 and beta 1/4: the first sample
 * sets SRTT, and RTTVAR to half of it; later ones move both.
 *
 * Context: socket lock held.
 */
void toy_rtt_sample(struct sock *sk, u32 rtt_us)
{
	struct toy_sock *ts = toy_sk(sk);

	rtt_us = max_t(u32, rtt_us, 1);
	if (!ts->srtt_us) {
		ts->srtt_us = rtt_us;
		ts->rttvar_us = rtt_us / 2;
	} else {
		u32 delta = abs((s32)(ts->srtt_us - rtt_us));

		ts->rttvar_us = ts->rttvar_us - ts->rttvar_us / 4 + delta / 4;
		ts->srtt_us = ts->srtt_us - ts->srtt_us / 8 + rtt_us / 8;
	}
	ts->rto = toy_calc_rto(ts);
}

/**
 * toy_rto_backoff() - Double the RTO after a timeout (RFC 6298 5.5).
 * @ts: the connection.
 *
 * Up to TOY_RTO_MAX.  The next ACK of new data computes it again from
 * SRTT and RTTVAR (toy_ack_rcvd()).
 *
 * Context: socket lock held.
 */
void toy_rto_backoff(struct toy_sock *ts)
{
	ts->rto = min_t(unsigned long, ts->rto * 2, TOY_RTO_MAX);
}

/**
 * toy_cc_init() - Set up a connection's first window.
 * @sk: the connection, its handshake complete.
 *
 * TOY_INIT_CWND segments, ssthresh TOY_MAX_CWND (no limit yet), no
 * duplicate ACKs, no recovery, nothing in flight; the RTO from the RTT
 * estimate so far (TOY_RTO_INIT without a sample).
 *
 * Context: socket lock held.
 */
void toy_cc_init(struct sock *sk)
{
	struct toy_sock *ts = toy_sk(sk);

	ts->cwnd = TOY_INIT_CWND;
	ts->ssthresh = TOY_MAX_CWND;
	ts->cwnd_cnt = 0;
	ts->dupacks = 0;
	ts->in_recovery = false;
	ts->packets_out = 0;
	ts->rto = toy_calc_rto(ts);
}

/* Three duplicates, or with SACK three segments SACKed (RFC 6675). */
#define TOY_DUPTHRESH	3

/* What the network holds (RFC 6675's pipe): sent, not SACKed, not lost. */
static u32 toy_pipe(const struct toy_sock *ts)
{
	u32 gone = ts->sacked_out + ts->lost_out;

	return ts->packets_out > gone ? ts->packets_out - gone : 0;
}

/**
 * toy_cc_on_dupack() - Count a duplicate ACK while data is in flight.
 * @sk: the connection.
 *
 * Fast retransmit and fast recovery begin on the third in a row (RFC
 * 5681 3.2, RFC 6582), or, with SACK, as soon as TOY_DUPTHRESH segments
 * are SACKed (RFC 6675 5): ssthresh half the segments in flight (at
 * least 2), recovery until what is now snd_max is acknowledged.
 * Without SACK, cwnd is ssthresh + 3 and each further duplicate ACK
 * inflates it by a segment, which has left the network; with SACK, PRR
 * sets it on every ACK (toy_cc_prr()).
 *
 * Context: socket lock held.
 * Return: true when recovery begins: the caller resends the first
 * unacknowledged segment (fast retransmit).
 */
bool toy_cc_on_dupack(struct sock *sk)
{
	struct toy_sock *ts = toy_sk(sk);

	ts->dupacks++;
	if (ts->in_recovery) {
		if (!ts->sack_ok)
			ts->cwnd++;	/* a segment left the network */
		return false;
	}
	if (ts->dupacks < TOY_DUPTHRESH &&
	    !(ts->sack_ok && ts->sacked_out >= TOY_DUPTHRESH))
		return false;
	TOY_INC_STATS(sock_net(sk), TOY_MIB_FASTRETRANS);
	ts->ssthresh = max_t(u32, ts->packets_out / 2, 2);
	ts->recover = ts->snd_max;
	ts->in_recovery = true;
	if (ts->sack_ok) {
		ts->recover_fs = ts->packets_out;
		ts->prr_delivered = 0;
		ts->prr_out = 0;
		ts->cwnd = ts->ssthresh;
	} else {
		ts->cwnd = ts->ssthresh + 3;
	}
	return true;
}

/**
 * toy_cc_prr() - The window in SACK recovery, after an ACK.
 * @sk: the connection, in recovery with SACK, @lost_out counted.
 * @delivered: segments the ACK says the peer received, acknowledged or
 *             SACKed for the first time.
 *
 * Proportional Rate Reduction (RFC 6937): while the pipe is above
 * ssthresh, send in proportion to what is delivered, ssthresh for every
 * RecoverFS, so that the window comes down to ssthresh smoothly over
 * the round trip; below it (losses took more), grow back toward
 * ssthresh as slow start would (the SSRB bound).  Never nothing for the
 * ACK that begins recovery: the fast retransmit goes.  The window is
 * what the pipe holds plus what may go now.
 *
 * Context: socket lock held.
 */
void toy_cc_prr(struct sock *sk, u32 delivered)
{
	struct toy_sock *ts = toy_sk(sk);
	u32 pipe = toy_pipe(ts);
	s64 sndcnt;

	ts->prr_delivered += delivered;
	if (pipe > ts->ssthresh) {
		sndcnt = DIV_ROUND_UP_ULL((u64)ts->prr_delivered * ts->ssthresh,
					  max_t(u32, ts->recover_fs, 1));
		sndcnt -= ts->prr_out;
	} else {
		sndcnt = max_t(s64, (s64)ts->prr_delivered - ts->prr_out,
			       delivered) + 1;
		sndcnt = min_t(s64, sndcnt, ts->ssthresh - pipe);
	}
	sndcnt = max_t(s64, sndcnt, ts->prr_out ? 0 : 1);
	ts->cwnd = pipe + sndcnt;
}

/* Slow start below ssthresh, congestion avoidance above. */
static void toy_cc_grow(struct toy_sock *ts, u32 acked)
{
	while (acked--) {
		if (ts->cwnd < ts->ssthresh) {
			ts->cwnd++;
		} else if (++ts->cwnd_cnt >= ts->cwnd) {
			ts->cwnd++;
			ts->cwnd_cnt = 0;
		}
	}
	ts->cwnd = min_t(u32, ts->cwnd, TOY_MAX_CWND);
}

/**
 * toy_cc_on_ack() - Account for an ACK of new data.
 * @sk: the connection.
 * @ack: the acknowledgment number, beyond the old snd_una.
 * @acked: the segments it acknowledged whole (may be 0).
 *
 * Outside fast recovery the window grows: slow start below ssthresh,
 * congestion avoidance above, at most TOY_MAX_CWND.  In recovery (RFC
 * 6582 3.2 step 3), an ACK that covers the recovery point ends it with
 * cwnd = ssthresh.  A partial ACK, without SACK, deflates the window by
 * @acked and adds back one segment for the resend; with SACK, PRR sets
 * the window (toy_cc_prr()).  The duplicate ACK count starts again
 * either way.
 *
 * Context: socket lock held.
 * Return: true on a partial ACK without SACK: the caller resends the
 * first unacknowledged segment.
 */
bool toy_cc_on_ack(struct sock *sk, u32 ack, u32 acked)
{
	struct toy_sock *ts = toy_sk(sk);

	ts->dupacks = 0;
	if (!ts->in_recovery) {
		toy_cc_grow(ts, acked);
		return false;
	}
	if (!toy_before(ack, ts->recover)) {
		ts->in_recovery = false;
		ts->cwnd = ts->ssthresh;
		return false;
	}
	if (ts->sack_ok)
		return false;
	/*
	 * A partial ACK (RFC 6582 3.2 step 3): deflate the window by what
	 * left the network and add back one segment for the resend.
	 */
	ts->cwnd = ts->cwnd > acked ? ts->cwnd - acked : 1;
	ts->cwnd++;
	return true;
}

/**
 * toy_cc_on_timeout() - Shrink the window after a retransmission timeout.
 * @ts: the connection, its packets_out still what was in flight.
 *
 * The timer fired with data in flight (RFC 5681 3.1, equation (4)):
 * ssthresh half the segments in flight (at least 2), a window of one
 * segment; duplicate ACKs and fast recovery are forgotten.
 *
 * Context: socket lock held.
 */
void toy_cc_on_timeout(struct toy_sock *ts)
{
	ts->ssthresh = max_t(u32, ts->packets_out / 2, 2);
	ts->cwnd = 1;
	ts->cwnd_cnt = 0;
	ts->dupacks = 0;
	ts->in_recovery = false;
}

/**
 * toy_cc_on_tlp_repair() - Shrink the window after a loss a probe repaired.
 * @ts: the connection.
 *
 * A loss fast recovery never saw (tlp.c) still says the network is full:
 * ssthresh and the window to half the window, at least 2, as a fast
 * recovery that ended at once would leave them (RFC 8985 7.4.2).
 *
 * Context: socket lock held.
 */
void toy_cc_on_tlp_repair(struct toy_sock *ts)
{
	ts->ssthresh = max_t(u32, ts->cwnd / 2, 2);
	ts->cwnd = ts->ssthresh;
	ts->cwnd_cnt = 0;
}

/**
 * toy_cc_send_limit() - How many segments may be in flight now.
 * @ts: the connection.
 *
 * The congestion window, first restarted (RFC 5681 4.1) when nothing is
 * in flight and nothing was sent for more than an RTO; outside recovery,
 * plus one segment for each of the first two duplicate ACKs (RFC 3042).
 * In SACK recovery, what keeps the pipe within the window: the
 * segments SACKed or lost are in packets_out but not in the network.
 *
 * Context: socket lock held.
 * Return: the limit on packets_out, in segments.
 */
u32 toy_cc_send_limit(struct toy_sock *ts)
{
	/* SACK recovery: while the pipe is below the window PRR set. */
	if (ts->in_recovery && ts->sack_ok)
		return ts->cwnd + ts->sacked_out + ts->lost_out;
	/*
	 * RFC 5681 4.1: after more than an RTO without sending, the
	 * congestion window no longer says anything about the network:
	 * start again from the initial window (never above the current).
	 */
	if (!ts->packets_out && time_after(jiffies, ts->lsndtime + ts->rto))
		ts->cwnd = min_t(u32, ts->cwnd, TOY_INIT_CWND);
	/*
	 * Limited transmit (RFC 3042): each of the first two duplicate ACKs
	 * lets one new segment out, so that a small window still gets the
	 * three duplicates that start fast retransmit.
	 */
	return ts->cwnd + (ts->in_recovery ? 0 : min_t(u32, ts->dupacks, 2));
}
