// SPDX-License-Identifier: GPL-2.0
/*
 * AF_TOY delayed acknowledgments: when data that arrived is acknowledged,
 * at once or a little later, as TCP's __tcp_ack_snd_check(),
 * tcp_send_delayed_ack() and delayed-ACK timer.
 *
 * An ACK that waits may ride on data the application sends back (an
 * interactive exchange then costs two segments, not four), and one ACK
 * may cover two segments of a bulk transfer.  RFC 1122 4.2.3.2 and RFC
 * 5681 4.2 bound the wait: at least every second full-sized segment is
 * acknowledged at once, and no ACK waits longer than TOY_DELACK_MAX.
 *
 * At once:
 *   - in quick-ACK mode: the first TOY_MAX_QUICKACKS segments of a
 *     connection, after the peer was idle for longer than the RTO, after
 *     data out of order or all duplicate (the sender is in slow start or
 *     recovering, and waits for every ACK); TOY_QUICKACK sets it too;
 *   - more than one full segment (as far as we can tell the peer's,
 *     @rcv_mss) since the window we last offered;
 *   - data out of order, a hole filled, a FIN: the sender needs to know
 *     now (the callers pass @now).
 * Later: the delayed-ACK timer fires after @ack_ato (TOY_ATO_MIN at
 * first, adapted to how far apart data arrives, at most TOY_DELACK_MAX
 * and at most the smoothed RTT), unless a segment we send first carries
 * the ACK, or the reader empties a queue whose last segment was short
 * (the end of a write, which the peer waits on).
 *
 * Interactive (pingpong) mode: data we send within @ack_ato of the last
 * data we received is an answer, so the ACK for the next request waits
 * for the next answer and is not sent on its own.  A delayed ACK that
 * had to go alone (the timer fired) ends the mode.
 *
 * Every pending ACK ends: a segment we send takes it, or the timer sends
 * it; the timer holds a socket reference while armed (toy_timer_arm())
 * and stops with the connection (toy_stream_stop()).
 *
 * Context: all of it under the socket lock.
 */

#include <linux/jiffies.h>
#include <net/sock.h>

#include "toy.h"

#define TOY_ATO_MIN		(HZ / 25)	/* 40 ms, TCP_ATO_MIN */
#define TOY_DELACK_MIN		(HZ / 25)	/* TCP_DELACK_MIN */
#define TOY_DELACK_MAX		(HZ / 5)	/* TCP_DELACK_MAX: 200 ms */
#define TOY_MAX_QUICKACKS	16		/* TCP_MAX_QUICKACKS */
#define TOY_RCV_MSS_INIT	536		/* TCP_MSS_DEFAULT */

/* Quick-ACK mode, and nothing of interactive mode. */
static bool toy_in_quickack_mode(struct sock *sk)
{
	const struct toy_sock *ts = toy_sk(sk);
	const struct dst_entry *dst = __sk_dst_get(sk);

	/* A route with "quickack 1" (ip route) never delays (as TCP). */
	if (dst && dst_metric(dst, RTAX_QUICKACK))
		return true;
	return ts->ack_quick && !ts->ack_pingpong;
}

/*
 * Acknowledge the next segments at once: as many as half the window we
 * offer would take from the peer, at least 2, at most @max
 * (tcp_incr_quickack()).
 */
static void toy_incr_quickack(struct toy_sock *ts, unsigned int max)
{
	unsigned int mss = ts->rcv_mss ?: TOY_RCV_MSS_INIT;
	unsigned int quick = ts->rcv_wnd / (2 * mss);

	quick = clamp(quick, 2U, max);
	if (quick > ts->ack_quick)
		ts->ack_quick = quick;
}

/**
 * toy_enter_quickack_mode() - Acknowledge at once for a while.
 * @sk: the connection.
 *
 * After data out of order or all duplicate: the sender is recovering,
 * and every ACK it gets early helps (tcp_enter_quickack_mode()).
 */
void toy_enter_quickack_mode(struct sock *sk)
{
	struct toy_sock *ts = toy_sk(sk);

	toy_incr_quickack(ts, TOY_MAX_QUICKACKS);
	WRITE_ONCE(ts->ack_pingpong, false);
	ts->ack_ato = TOY_ATO_MIN;
}

/*
 * How large the peer's segments are, as far as we can tell: a segment at
 * least as large as the last estimate raises it; a shorter one is the
 * end of a write (TCP's ICSK_ACK_PUSHED).
 */
static void toy_measure_rcv_mss(struct toy_sock *ts, unsigned int len)
{
	if (len >= ts->rcv_mss)
		ts->rcv_mss = min_t(unsigned int, len, U16_MAX);
	else
		ts->ack_pushed = true;
}

/**
 * toy_delack_data_rcvd() - New data arrived in sequence.
 * @sk: the connection.
 * @len: its length in bytes; of one segment, for a run of them that
 *       came in one packet (gso.c).
 *
 * Learns the peer's segment size and how far apart its data arrives,
 * which sets how long an ACK may wait (tcp_event_data_recv()): the first
 * data, and data after an idle time longer than the RTO, start quick-ACK
 * mode.
 */
void toy_delack_data_rcvd(struct sock *sk, unsigned int len)
{
	struct toy_sock *ts = toy_sk(sk);
	unsigned long now = jiffies;
	u32 m = now - ts->ack_lrcvtime;

	if (!ts->rcv_mss)
		ts->rcv_mss = min_t(u32, ts->mss, TOY_RCV_MSS_INIT);
	toy_measure_rcv_mss(ts, len);
	if (!ts->ack_ato) {
		/* The first data: acknowledge the slow start at once. */
		toy_incr_quickack(ts, TOY_MAX_QUICKACKS);
		ts->ack_ato = TOY_ATO_MIN;
	} else if (m <= TOY_ATO_MIN / 2) {
		/* Close together: the shortest delay. */
		ts->ack_ato = ts->ack_ato / 2 + TOY_ATO_MIN / 2;
	} else if (m < ts->ack_ato) {
		ts->ack_ato = min_t(u32, ts->ack_ato / 2 + m, ts->rto);
	} else if (m > ts->rto) {
		/* The peer was idle: it restarts from a small window. */
		toy_incr_quickack(ts, TOY_MAX_QUICKACKS);
	}
	ts->ack_lrcvtime = now;
}

/*
 * Let the ACK wait (tcp_send_delayed_ack()): at most @ack_ato, at most
 * TOY_DELACK_MAX in interactive mode or after a short segment (HZ / 2
 * otherwise), and never past the smoothed RTT.  An ACK already waiting
 * keeps its earlier deadline, and goes now if that is close.
 */
static void toy_send_delayed_ack(struct sock *sk)
{
	struct toy_sock *ts = toy_sk(sk);
	unsigned long ato = ts->ack_ato, timeout;

	if (ato > TOY_DELACK_MIN) {
		unsigned long max_ato = HZ / 2;

		if (ts->ack_pingpong || ts->ack_pushed)
			max_ato = TOY_DELACK_MAX;
		if (ts->srtt_us)
			max_ato = min(max_ato,
				      max(usecs_to_jiffies(ts->srtt_us),
					  (unsigned long)TOY_DELACK_MIN));
		ato = min(ato, max_ato);
	}
	ato = min(ato, (unsigned long)TOY_DELACK_MAX);
	timeout = jiffies + ato;
	if (ts->ack_pending) {
		if (time_before_eq(ts->delack_timer.expires,
				   jiffies + (ato >> 2))) {
			toy_send_ack(sk);
			return;
		}
		if (!time_before(timeout, ts->delack_timer.expires))
			return;		/* keep the earlier deadline */
	}
	ts->ack_pending = true;
	toy_timer_arm(sk, &ts->delack_timer, timeout);
}

/**
 * toy_ack_snd_check() - Acknowledge data that arrived, now or later.
 * @sk: the connection.
 * @now: the caller knows the peer needs it at once (a hole filled, a
 *       FIN).
 *
 * The rules are this file's header comment (__tcp_ack_snd_check()).
 */
void toy_ack_snd_check(struct sock *sk, bool now)
{
	struct toy_sock *ts = toy_sk(sk);

	if (now || ts->rcv_nxt - ts->rcv_wup > ts->rcv_mss ||
	    toy_in_quickack_mode(sk))
		toy_send_ack(sk);
	else
		toy_send_delayed_ack(sk);
}

/**
 * toy_delack_ack_sent() - A segment with our ACK went out.
 * @sk: the connection.
 *
 * It acknowledged whatever was waiting: one quick ACK fewer, the timer
 * off (tcp_event_ack_sent()).
 */
void toy_delack_ack_sent(struct sock *sk)
{
	struct toy_sock *ts = toy_sk(sk);

	if (ts->ack_quick)
		ts->ack_quick--;
	ts->ack_pushed = false;
	if (!ts->ack_pending)
		return;
	ts->ack_pending = false;
	toy_timer_stop(sk, &ts->delack_timer);
	toy_clear_deferred(sk, TOY_DEFER_DELACK);
}

/**
 * toy_delack_data_sent() - We sent new data.
 * @sk: the connection.
 *
 * Data sent soon after data arrived answers it: interactive mode
 * (tcp_event_data_sent()).
 */
void toy_delack_data_sent(struct sock *sk)
{
	struct toy_sock *ts = toy_sk(sk);

	if (ts->ack_ato && jiffies - ts->ack_lrcvtime < ts->ack_ato)
		WRITE_ONCE(ts->ack_pingpong, true);
}

/**
 * toy_delack_expired() - The delayed-ACK timer's work.
 * @sk: the connection.
 *
 * Nothing rode on the ACK: send it alone.  In interactive mode the guess
 * was wrong and the mode ends; otherwise the next ACK may wait longer
 * (tcp_delack_timer_handler()).
 *
 * Context: socket lock held: bh_lock_sock() in the timer, or the owner
 * in release_sock() (TOY_DEFER_DELACK).
 */
void toy_delack_expired(struct sock *sk)
{
	struct toy_sock *ts = toy_sk(sk);

	if (!ts->ack_pending ||
	    !((1 << sk->sk_state) & (TCPF_ESTABLISHED | TCPF_FIN_WAIT1 |
				     TCPF_FIN_WAIT2 | TCPF_CLOSE_WAIT |
				     TCPF_CLOSING | TCPF_LAST_ACK)))
		return;
	if (ts->ack_pingpong) {
		WRITE_ONCE(ts->ack_pingpong, false);
		ts->ack_ato = TOY_ATO_MIN;
	} else {
		ts->ack_ato = min_t(u32, ts->ack_ato << 1, ts->rto);
	}
	TOY_INC_STATS(sock_net(sk), TOY_MIB_DELAYEDACKS);
	toy_send_ack(sk);
	/* Not sent (no memory, no route): try again, as TCP does. */
	if (ts->ack_pending)
		toy_timer_arm(sk, &ts->delack_timer, jiffies + TOY_DELACK_MAX);
}

/**
 * toy_delack_after_read() - The reader took data: an ACK that waits for
 * the end of a write goes now.
 * @sk: the connection.
 *
 * The peer sent a short segment and may wait on our ACK before it sends
 * more (Nagle's algorithm does); unless we are about to answer
 * (interactive mode), acknowledge once the receive queue is empty
 * (__tcp_cleanup_rbuf()).
 *
 * Return: true if an ACK went.
 */
bool toy_delack_after_read(struct sock *sk)
{
	struct toy_sock *ts = toy_sk(sk);

	if (!ts->ack_pending || !ts->ack_pushed || ts->ack_pingpong ||
	    atomic_read(&sk->sk_rmem_alloc))
		return false;
	toy_send_ack(sk);
	return true;
}

/**
 * toy_set_quickack() - TOY_QUICKACK, as TCP_QUICKACK.
 * @sk: the connection.
 * @val: 0: interactive mode (ACKs wait for data); otherwise quick-ACK
 *       mode, and a waiting ACK goes now.
 *
 * Neither is permanent: the rules above move the connection between
 * them as data comes and goes.
 */
void toy_set_quickack(struct sock *sk, int val)
{
	struct toy_sock *ts = toy_sk(sk);

	if (!val) {
		WRITE_ONCE(ts->ack_pingpong, true);
		return;
	}
	WRITE_ONCE(ts->ack_pingpong, false);
	if ((1 << sk->sk_state) & (TCPF_ESTABLISHED | TCPF_CLOSE_WAIT) &&
	    ts->ack_pending)
		toy_send_ack(sk);
}
