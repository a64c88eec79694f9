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
 *                        recovery, leave it or deflate (RFC 6582);
 *   toy_cc_on_dupack()   a duplicate ACK: the third starts fast
 *                        retransmit and fast recovery (ssthresh = half
 *                        the flight, cwnd = ssthresh + 3), each further
 *                        one inflates the window by a segment;
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

#define TOY_INIT_CWND	10	/* RFC 6928's initial window */
#define TOY_MAX_CWND	512

/* The clock of RTT samples: microseconds, wrapping. */
u32 toy_now_us(void)
{
	return (u32)div_u64(ktime_get_ns(), NSEC_PER_USEC);
}

/* RFC 6298 (2.2, 2.3): the RTO from SRTT and RTTVAR, clamped. */
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

/* RFC 6298 (2.2, 2.3), with alpha 1/8 and beta 1/4. */
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

/* RFC 6298 (5.5): a timeout doubles the RTO, up to its ceiling. */
void toy_rto_backoff(struct toy_sock *ts)
{
	ts->rto = min_t(unsigned long, ts->rto * 2, TOY_RTO_MAX);
}

/* A connection's first window, when it is established. */
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

/*
 * A duplicate ACK while data is in flight.  True: the third; resend the
 * first unacknowledged segment (fast retransmit).
 */
bool toy_cc_on_dupack(struct sock *sk)
{
	struct toy_sock *ts = toy_sk(sk);

	ts->dupacks++;
	if (ts->in_recovery) {
		ts->cwnd++;	/* a segment left the network */
		return false;
	}
	if (ts->dupacks != 3)
		return false;
	TOY_INC_STATS(sock_net(sk), TOY_MIB_FASTRETRANS);
	ts->ssthresh = max_t(u32, ts->packets_out / 2, 2);
	ts->cwnd = ts->ssthresh + 3;
	ts->recover = ts->snd_max;
	ts->in_recovery = true;
	return true;
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

/*
 * @ack acknowledged @acked new segments.  True: a partial ACK in fast
 * recovery; resend the next hole.
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
	/*
	 * A partial ACK (RFC 6582 3.2 step 3): deflate the window by what
	 * left the network and add back one segment for the resend.
	 */
	ts->cwnd = ts->cwnd > acked ? ts->cwnd - acked : 1;
	ts->cwnd++;
	return true;
}

/* The retransmission timer fired with data in flight (RFC 5681 (4)). */
void toy_cc_on_timeout(struct toy_sock *ts)
{
	ts->ssthresh = max_t(u32, ts->packets_out / 2, 2);
	ts->cwnd = 1;
	ts->cwnd_cnt = 0;
	ts->dupacks = 0;
	ts->in_recovery = false;
}

/* How many segments may be in flight now. */
u32 toy_cc_send_limit(struct toy_sock *ts)
{
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
