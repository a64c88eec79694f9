// SPDX-License-Identifier: GPL-2.0
/*
 * AF_TOY tail loss probe (RFC 8985 7, TCP's tcp_schedule_loss_probe()
 * and tcp_send_loss_probe()).
 *
 * Fast retransmit needs duplicate ACKs, and duplicate ACKs need segments
 * sent after the lost one.  When the last segments of a flight are lost
 * (the tail of a response, the end of a write), nothing comes after them
 * and only the retransmission timeout would notice: at least 200 ms, and
 * a window of one segment afterwards.  So, once data is in flight, the
 * retransmission timer is first armed as a probe timeout (PTO): two
 * smoothed RTTs, plus 200 ms when a single segment is out (the peer may
 * be delaying its ACK), never later than the RTO would fire.  When it
 * fires, one segment goes: new data if the windows let some out, else
 * the last segment sent, again.  Its ACK, with SACK, tells which of the
 * tail is missing and fast recovery repairs the rest; or it acknowledges
 * everything, and a single lost segment cost two RTTs, not an RTO.
 *
 * Only with SACK (as TCP), outside recovery and before any RTO, with an
 * RTT measured, and one probe per flight: tlp_out holds from the probe
 * until an ACK covers tlp_high_seq (snd_nxt when it went), fast
 * recovery starts (which repairs the tail itself, and makes the timer an
 * RTO again) or an RTO ends the flight.  After the probe the timer is an RTO again.  A probe
 * that resent data and whose ACK covered everything repaired a loss
 * nobody else saw: the congestion window is reduced as fast recovery
 * would (toy_cc_on_tlp_repair()).  Without DSACK a probe that was not
 * needed cannot be told from one that was, so that reduction is the
 * cautious guess.
 *
 * rtx_probe says which the armed retransmission timer is.  Everything
 * here runs under the socket lock.
 */

#include <linux/jiffies.h>
#include <net/sock.h>

#include "toy.h"

/**
 * toy_tlp_allowed() - May the timer of what is in flight be a loss probe?
 * @ts: the connection.
 *
 * Return: true with SACK, data in flight, an RTT measured, outside
 * recovery, before any RTO and with no probe out.
 */
bool toy_tlp_allowed(const struct toy_sock *ts)
{
	return ts->sack_ok && ts->packets_out && ts->srtt_us &&
	       !ts->in_recovery && !ts->retries && !ts->tlp_out;
}

/* The probe timeout, in jiffies from now. */
static unsigned long toy_pto(const struct toy_sock *ts)
{
	unsigned long pto = usecs_to_jiffies(2 * ts->srtt_us);

	return pto + (ts->packets_out == 1 ? TOY_RTO_MIN : 2);
}

/**
 * toy_arm_rto() - Arm the retransmission timer as an RTO from now.
 * @sk: the connection, data in flight.
 *
 * Context: socket lock held.
 */
void toy_arm_rto(struct sock *sk)
{
	struct toy_sock *ts = toy_sk(sk);

	ts->rtx_probe = false;
	ts->rto_deadline = jiffies + ts->rto;
	toy_timer_arm(sk, &ts->rtx_timer, ts->rto_deadline);
}

/**
 * toy_schedule_loss_probe() - Make the timer a loss probe, if it may be.
 * @sk: the connection, just after it sent new data or took an ACK.
 *
 * The PTO from now, unless the RTO of what is in flight comes first:
 * then the timer is that RTO, even if it was a probe before (more new
 * data moves a probe on, never past the RTO).
 *
 * Context: socket lock held.
 */
void toy_schedule_loss_probe(struct sock *sk)
{
	struct toy_sock *ts = toy_sk(sk);
	unsigned long when;

	if (!toy_tlp_allowed(ts))
		return;
	when = jiffies + toy_pto(ts);
	if (timer_pending(&ts->rtx_timer) &&
	    !time_before(when, ts->rto_deadline)) {
		if (ts->rtx_probe) {
			ts->rtx_probe = false;
			toy_timer_arm(sk, &ts->rtx_timer, ts->rto_deadline);
		}
		return;
	}
	ts->rtx_probe = true;
	toy_timer_arm(sk, &ts->rtx_timer, when);
}

/**
 * toy_send_loss_probe() - The probe timeout fired: send the probe.
 * @sk: the connection, data in flight.
 *
 * New data if the windows let one segment out, else the last segment
 * sent, again; then the timer is an RTO.  Counted in TLPProbes.
 *
 * Context: socket lock held.
 */
void toy_send_loss_probe(struct sock *sk)
{
	struct toy_sock *ts = toy_sk(sk);
	u32 before = ts->packets_out;
	struct sk_buff *skb;

	if (ts->send_head)
		toy_push_with(sk, TOY_PUSH_FORCE);
	ts->tlp_retrans = ts->packets_out == before;
	if (ts->tlp_retrans) {
		skb = ts->send_head;
		if (!skb)
			skb = skb_peek_tail(&sk->sk_write_queue);
		else if (!skb_queue_is_first(&sk->sk_write_queue, skb))
			skb = skb_queue_prev(&sk->sk_write_queue, skb);
		else
			skb = NULL;
		if (!skb || toy_retransmit(sk, skb))
			goto rearm;
	}
	ts->tlp_out = true;
	ts->tlp_high_seq = ts->snd_nxt;
	TOY_INC_STATS(sock_net(sk), TOY_MIB_TLPPROBES);
rearm:
	toy_arm_rto(sk);
}

/**
 * toy_tlp_ack() - An ACK of new data, for the probe in flight.
 * @sk: the connection.
 * @ack: the acknowledgment number.
 *
 * One that covers the probe ends it; if the probe was data sent again,
 * it repaired a loss: the window is reduced, counted in TLPRecovery.
 *
 * Context: socket lock held.
 */
void toy_tlp_ack(struct sock *sk, u32 ack)
{
	struct toy_sock *ts = toy_sk(sk);

	if (!ts->tlp_out || toy_before(ack, ts->tlp_high_seq))
		return;
	ts->tlp_out = false;
	if (ts->tlp_retrans && !ts->in_recovery) {
		toy_cc_on_tlp_repair(ts);
		TOY_INC_STATS(sock_net(sk), TOY_MIB_TLPRECOVERY);
	}
}
