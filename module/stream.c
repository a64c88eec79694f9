// SPDX-License-Identifier: GPL-2.0
/*
 * AF_TOY stream protocol: connection states, input and timers.
 *
 * The states are TCP's, with TCP's numbers in sk_state (tools read
 * them): CLOSE, LISTEN, SYN_SENT, SYN_RECV, ESTABLISHED, FIN_WAIT1,
 * FIN_WAIT2, CLOSE_WAIT, CLOSING, LAST_ACK, TIME_WAIT.  A listener's
 * half-open entries are not sockets (listen.c); a full socket is in
 * SYN_RECV only after a simultaneous open.
 *
 *   active open   CLOSE -connect/SYN-> SYN_SENT -SYN-ACK/ACK-> ESTABLISHED
 *   simultaneous  SYN_SENT -SYN/SYN-ACK-> SYN_RECV -ACK-> ESTABLISHED
 *   active close  ESTABLISHED -close/FIN-> FIN_WAIT1 -ACK-> FIN_WAIT2
 *                 -FIN/ACK-> TIME_WAIT (an entry, timewait.c) -2 MSL-> gone
 *   simultaneous  FIN_WAIT1 -FIN/ACK-> CLOSING -ACK-> TIME_WAIT
 *   passive close ESTABLISHED -FIN/ACK-> CLOSE_WAIT -close/FIN-> LAST_ACK
 *                 -ACK-> CLOSE
 *
 * Input (toy_stream_process()) follows RFC 793's "SEGMENT ARRIVES" with
 * RFC 5961's hardening: a segment must fall in the receive window
 * (else it is answered with an ACK and dropped); a reset is obeyed only
 * when its sequence number is exactly rcv_nxt (in the window but not
 * exact: a challenge ACK); a SYN in a synchronized state gets a
 * challenge ACK.  So a blind reset or SYN with a guessed sequence number
 * does nothing.  Data beyond rcv_nxt waits in the out-of-order queue
 * until the hole is filled; duplicates are discarded.
 *
 * Locking.  The socket lock protects every field of the connection
 * state: lock_sock() in process context; bh_lock_sock() on the receive
 * path and in timers.  When a user holds the socket, the receive path
 * queues the segment on the socket's backlog (processed by
 * toy_stream_backlog_rcv() at release_sock()) and a timer leaves its
 * work to the owner (a bit in toy_sock.deferred, done by
 * toy_stream_release_cb() at release_sock(), as TCP's tcp_release_cb()).
 *
 * Timers.  An armed timer holds a reference on its socket and counts in
 * the "timers" live-object counter; whoever disarms it (del_timer() that
 * found it pending, or the handler itself when it has run) drops both.
 * A handler that runs after the connection ended finds nothing to do
 * and only drops its reference, so the socket, and with it the module,
 * outlives every timer.
 *
 * Orphans.  After close() a connection that still has a FIN to send or
 * to wait for lives on without a file (SOCK_DEAD), referenced by the
 * connection table, the bind bucket and its timers; toy_done() ends it.
 * Every orphan state has a timer that ends it: retransmission (FIN_WAIT1,
 * CLOSING, LAST_ACK) or net.toy.fin_timeout (FIN_WAIT2).  TIME_WAIT is
 * not a socket's state: the socket hands it to a small entry and closes
 * (timewait.c).
 */

#include <linux/jiffies.h>
#include <linux/ktime.h>
#include <linux/random.h>
#include <linux/siphash.h>
#include <net/sock.h>
#include <net/tcp_states.h>

#include "toy.h"

#define TOY_RTO_INIT	HZ		/* RFC 6298 initial timeout, 1 s */
#define TOY_RTO_MAX	(120 * HZ)	/* TCP's ceiling */

static siphash_key_t toy_isn_secret __read_mostly;

void toy_stream_init(void)
{
	get_random_bytes(&toy_isn_secret, sizeof(toy_isn_secret));
}

/* RFC 6528: ISN = M + F(localip, localport, remoteip, remoteport, key). */
u32 toy_isn(__be32 saddr, __be16 sport, __be32 daddr, __be16 dport)
{
	u32 hash = siphash_3u32((__force u32)saddr, (__force u32)daddr,
				(u32)ntohs(sport) << 16 | ntohs(dport),
				&toy_isn_secret);

	/* M: a clock ticking every 64 ns, as TCP's. */
	return hash + (u32)(ktime_get_real_ns() >> 6);
}

void toy_timer_arm(struct sock *sk, struct timer_list *t,
		   unsigned long expires)
{
	if (!mod_timer(t, expires)) {
		sock_hold(sk);
		toy_live_inc(TOY_LIVE_TIMER);
	}
}

void toy_timer_stop(struct sock *sk, struct timer_list *t)
{
	if (del_timer(t)) {
		toy_live_dec(TOY_LIVE_TIMER);
		__sock_put(sk);
	}
}

/* Forget work a timer left to the owner; true if there was some. */
bool toy_clear_deferred(struct sock *sk, int bit)
{
	if (!test_and_clear_bit(bit, &toy_sk(sk)->deferred))
		return false;
	toy_live_dec(TOY_LIVE_TIMER);
	__sock_put(sk);
	return true;
}

void toy_set_state(struct sock *sk, int state)
{
	WRITE_ONCE(sk->sk_state, state);
}

/*
 * The connection is over (refused, reset, timed out, closed): timers
 * off, queued data dropped, out of the tables, the port given back
 * unless bind() chose it and a user still has the socket, and whoever
 * waits is woken (to read sk_err, if set).  Caller holds the socket
 * lock.  An orphan goes away when the references of the tables and
 * timers it held are gone.
 */
void toy_done(struct sock *sk)
{
	toy_stream_stop(sk);
	toy_write_queue_purge(sk);
	toy_unhash(sk);
	toy_set_state(sk, TCP_CLOSE);
	if (sock_flag(sk, SOCK_DEAD) ||
	    !(sk->sk_userlocks & SOCK_BINDPORT_LOCK))
		toy_put_port(sk);
	WRITE_ONCE(sk->sk_shutdown, SHUTDOWN_MASK);
	sk_dst_reset(sk);
	if (sock_flag(sk, SOCK_DEAD))
		return;
	sk->sk_state_change(sk);
	if (READ_ONCE(sk->sk_err))
		sk_error_report(sk);
}

/* The handshake is complete (active or simultaneous open). */
void toy_established(struct sock *sk)
{
	struct toy_sock *ts = toy_sk(sk);
	bool was_syn_recv = sk->sk_state == TCP_SYN_RECV;

	toy_timer_stop(sk, &ts->rtx_timer);
	toy_clear_deferred(sk, TOY_DEFER_RTX);
	ts->mss = toy_route_mss(sk);
	toy_init_cc(sk);
	ts->retries = 0;
	ts->rcv_tstamp = jiffies;
	ts->lsndtime = jiffies;
	toy_set_state(sk, TCP_ESTABLISHED);
	if (sock_flag(sk, SOCK_KEEPOPEN))
		toy_keepalive(sk, 1);
	/* A FIN that close() or shutdown() left for now. */
	if (was_syn_recv && sk->sk_shutdown & SEND_SHUTDOWN) {
		toy_set_state(sk, TCP_FIN_WAIT1);
		toy_send_fin(sk, GFP_ATOMIC);	/* under the socket spinlock */
	}
	if (!sock_flag(sk, SOCK_DEAD)) {
		sk->sk_state_change(sk);
		sk_wake_async(sk, SOCK_WAKE_IO, POLL_OUT);
	}
}

/* ---- timers ------------------------------------------------------- */

/* The retransmission timer, with the socket lock held (not owned). */
static void toy_rtx_expired(struct sock *sk)
{
	struct toy_sock *ts = toy_sk(sk);
	int max;

	switch (sk->sk_state) {
	case TCP_SYN_SENT:
	case TCP_SYN_RECV:
		max = READ_ONCE(toy_pernet(sock_net(sk))->syn_retries);
		if (ts->retries >= max) {
			WRITE_ONCE(sk->sk_err, ETIMEDOUT);
			TOY_INC_STATS(sock_net(sk), TOY_MIB_ATTEMPTFAILS);
			toy_done(sk);
			return;
		}
		ts->retries++;
		ts->rto = min_t(unsigned long, ts->rto * 2, TOY_RTO_MAX);
		toy_send_syn(sk, sk->sk_state == TCP_SYN_RECV);
		toy_timer_arm(sk, &ts->rtx_timer, jiffies + ts->rto);
		return;
	case TCP_CLOSE:
	case TCP_LISTEN:
		return;
	default:
		toy_rtx_expired_data(sk);
	}
}

/* Keepalive probes: TCP's tcp_keepalive_timer(), simplified. */
static void toy_keepalive_expired(struct sock *sk)
{
	struct toy_sock *ts = toy_sk(sk);
	unsigned long idle = jiffies - ts->rcv_tstamp;
	unsigned long keepidle = ts->keepidle * HZ;

	if (!sock_flag(sk, SOCK_KEEPOPEN) ||
	    !((1 << sk->sk_state) & (TCPF_ESTABLISHED | TCPF_CLOSE_WAIT)))
		return;
	/* Data in flight: the retransmission timer watches the peer. */
	if (ts->packets_out || ts->send_head) {
		toy_timer_arm(sk, &ts->misc_timer, jiffies + keepidle);
		return;
	}
	if (idle < keepidle && !ts->ka_probes) {
		toy_timer_arm(sk, &ts->misc_timer,
			      jiffies + keepidle - idle);
		return;
	}
	if (ts->ka_probes >= ts->keepcnt) {
		WRITE_ONCE(sk->sk_err, ETIMEDOUT);
		toy_send_active_reset(sk);
		toy_done(sk);
		return;
	}
	ts->ka_probes++;
	toy_send_probe(sk);
	toy_timer_arm(sk, &ts->misc_timer, jiffies + ts->keepintvl * HZ);
}

/* An orphan's FIN_WAIT2 limit, or keepalive. */
static void toy_misc_expired(struct sock *sk)
{
	switch (sk->sk_state) {
	case TCP_FIN_WAIT2:
		/* As TCP when fin_timeout is not longer than TIME_WAIT. */
		if (sock_flag(sk, SOCK_DEAD)) {
			toy_send_active_reset(sk);
			toy_done(sk);
		}
		return;
	default:
		toy_keepalive_expired(sk);
	}
}

static void toy_timer_run(struct sock *sk, int bit,
			  void (*work)(struct sock *sk))
{
	bh_lock_sock(sk);
	if (!sock_owned_by_user(sk)) {
		work(sk);
	} else if (!test_and_set_bit(bit, &toy_sk(sk)->deferred)) {
		/* The owner runs it in release_sock(); that holds a ref. */
		sock_hold(sk);
		toy_live_inc(TOY_LIVE_TIMER);
	}
	bh_unlock_sock(sk);
	toy_live_dec(TOY_LIVE_TIMER);
	sock_put(sk);
}

static void toy_rtx_timer(struct timer_list *t)
{
	struct toy_sock *ts = from_timer(ts, t, rtx_timer);

	toy_timer_run(&ts->sk, TOY_DEFER_RTX, toy_rtx_expired);
}

static void toy_misc_timer(struct timer_list *t)
{
	struct toy_sock *ts = from_timer(ts, t, misc_timer);

	toy_timer_run(&ts->sk, TOY_DEFER_MISC, toy_misc_expired);
}

/*
 * proto.release_cb: release_sock() calls it with the socket lock held,
 * before giving up ownership; work deferred by a timer is done here.
 */
void toy_stream_release_cb(struct sock *sk)
{
	struct toy_sock *ts = toy_sk(sk);

	if (test_and_clear_bit(TOY_DEFER_RTX, &ts->deferred)) {
		toy_rtx_expired(sk);
		toy_live_dec(TOY_LIVE_TIMER);
		__sock_put(sk);
	}
	if (test_and_clear_bit(TOY_DEFER_MISC, &ts->deferred)) {
		toy_misc_expired(sk);
		toy_live_dec(TOY_LIVE_TIMER);
		__sock_put(sk);
	}
	if (test_and_clear_bit(TOY_DEFER_MTU, &ts->deferred)) {
		toy_mtu_reduced(sk);
		toy_live_dec(TOY_LIVE_TIMER);
		__sock_put(sk);
	}
}

/* proto.keepalive: SO_KEEPALIVE was set or cleared (socket locked). */
void toy_keepalive(struct sock *sk, int val)
{
	struct toy_sock *ts = toy_sk(sk);

	if (!((1 << sk->sk_state) & (TCPF_ESTABLISHED | TCPF_CLOSE_WAIT)))
		return;
	if (val) {
		ts->ka_probes = 0;
		toy_timer_arm(sk, &ts->misc_timer,
			      jiffies + ts->keepidle * HZ);
	} else {
		toy_timer_stop(sk, &ts->misc_timer);
		toy_clear_deferred(sk, TOY_DEFER_MISC);
	}
}

void toy_stream_init_sock(struct sock *sk)
{
	struct toy_sock *ts = toy_sk(sk);

	timer_setup(&ts->rtx_timer, toy_rtx_timer, 0);
	timer_setup(&ts->misc_timer, toy_misc_timer, 0);
	skb_queue_head_init(&ts->ooo_queue);
	ts->keepidle = 7200;
	ts->keepintvl = 75;
	ts->keepcnt = 9;
	ts->scaling_ratio = TOY_DEFAULT_RATIO;
	toy_listen_init(sk);
}

/*
 * connect(): the socket is in SYN_SENT with its 4-tuple in the
 * connection table; choose the ISN (@isn if it took the 4-tuple over
 * from a TIME_WAIT entry), send the SYN, start the timer.
 * Caller holds lock_sock().
 */
void toy_stream_connect_start(struct sock *sk, u32 isn)
{
	struct toy_sock *ts = toy_sk(sk);

	toy_conn_reset(ts);
	ts->iss = isn ? isn : toy_isn(sk->sk_rcv_saddr, htons(sk->sk_num),
				      sk->sk_daddr, sk->sk_dport);
	ts->snd_una = ts->iss;
	ts->snd_nxt = ts->iss + 1;
	ts->snd_max = ts->snd_nxt;
	ts->write_seq = ts->snd_nxt;
	ts->rto = TOY_RTO_INIT;
	ts->syn_us = (u32)div_u64(ktime_get_ns(), NSEC_PER_USEC);
	sk->sk_err = 0;
	sock_reset_flag(sk, SOCK_DONE);
	TOY_INC_STATS(sock_net(sk), TOY_MIB_ACTIVEOPENS);
	toy_send_syn(sk, false);
	toy_timer_arm(sk, &ts->rtx_timer, jiffies + ts->rto);
}

/*
 * Disarm every timer (close, disconnect, end of the connection), and
 * forget work a timer deferred to the owner.  A handler already running
 * finds the socket in a state with nothing to do, or defers to the
 * owner, whose release_cb then finds nothing to do.
 */
void toy_stream_stop(struct sock *sk)
{
	struct toy_sock *ts = toy_sk(sk);

	toy_timer_stop(sk, &ts->rtx_timer);
	toy_timer_stop(sk, &ts->misc_timer);
	toy_clear_deferred(sk, TOY_DEFER_RTX);
	toy_clear_deferred(sk, TOY_DEFER_MISC);
	toy_clear_deferred(sk, TOY_DEFER_MTU);
}

/* ---- input -------------------------------------------------------- */

/*
 * A valid reset (RFC 793 3.4, with RFC 5961's exact-sequence rule
 * applied by the caller): the error the user sees depends on the state.
 */
static void toy_reset(struct sock *sk)
{
	int err;

	switch (sk->sk_state) {
	case TCP_SYN_RECV:
		err = ECONNREFUSED;
		break;
	case TCP_CLOSE_WAIT:
		err = EPIPE;
		break;
	case TCP_CLOSING:
	case TCP_LAST_ACK:
	case TCP_TIME_WAIT:
		err = 0;
		break;
	default:
		err = ECONNRESET;
	}
	if (err)
		WRITE_ONCE(sk->sk_err, err);
	TOY_INC_STATS(sock_net(sk), TOY_MIB_ESTABRESETS);
	toy_done(sk);
}

/* The peer's FIN is next in sequence: it has nothing more to send. */
static void toy_fin(struct sock *sk)
{
	struct toy_sock *ts = toy_sk(sk);

	ts->rcv_nxt++;
	ts->fin_rcvd = true;
	WRITE_ONCE(sk->sk_shutdown, sk->sk_shutdown | RCV_SHUTDOWN);
	sock_set_flag(sk, SOCK_DONE);

	switch (sk->sk_state) {
	case TCP_SYN_RECV:
	case TCP_ESTABLISHED:
		toy_set_state(sk, TCP_CLOSE_WAIT);
		break;
	case TCP_FIN_WAIT1:
		/* Our FIN is not acknowledged yet: simultaneous close. */
		toy_set_state(sk, TCP_CLOSING);
		break;
	case TCP_FIN_WAIT2:
		/* Our ACK first: the socket closes (timewait.c). */
		toy_send_ack(sk);
		toy_time_wait(sk);
		break;
	}
	if (!sock_flag(sk, SOCK_DEAD)) {
		sk->sk_state_change(sk);
		if (sk->sk_shutdown == SHUTDOWN_MASK ||
		    sk->sk_state == TCP_CLOSE)
			sk_wake_async(sk, SOCK_WAKE_WAITD, POLL_HUP);
		else
			sk_wake_async(sk, SOCK_WAKE_WAITD, POLL_IN);
	}
}

/* Queue in-order data (header pulled) for recvmsg(). */
static void toy_queue_rcv(struct sock *sk, struct sk_buff *skb)
{
	struct toy_sock *ts = toy_sk(sk);

	ts->rcv_nxt += skb->len;
	skb_dst_drop(skb);
	skb_set_owner_r(skb, sk);
	__skb_queue_tail(&sk->sk_receive_queue, skb);
}

/*
 * @skb (header pulled; cb seq/end_seq/flags set) starts beyond
 * rcv_nxt: keep it, in order, unless it adds nothing.  A walk from
 * the tail, where most arrivals belong.
 */
static void toy_ooo_insert(struct sock *sk, struct sk_buff *skb)
{
	struct toy_sock *ts = toy_sk(sk);
	struct toy_skb_cb *cb = TOY_SKB_CB(skb);
	struct sk_buff *pos;

	skb_queue_reverse_walk(&ts->ooo_queue, pos) {
		struct toy_skb_cb *pcb = TOY_SKB_CB(pos);

		if (toy_after(cb->seq, pcb->seq))
			break;
		if (cb->seq == pcb->seq && !toy_after(cb->end_seq,
						      pcb->end_seq)) {
			TOY_INC_STATS(sock_net(sk), TOY_MIB_DUPSEGS);
			kfree_skb(skb);
			return;
		}
	}
	skb_dst_drop(skb);
	skb_set_owner_r(skb, sk);
	if (pos == (struct sk_buff *)&ts->ooo_queue)
		__skb_queue_head(&ts->ooo_queue, skb);
	else
		__skb_queue_after(&ts->ooo_queue, pos, skb);
	TOY_INC_STATS(sock_net(sk), TOY_MIB_OFOQUEUE);
}

/* Trim what is below rcv_nxt off the front of @skb; false: drop it. */
static bool toy_trim_front(struct sock *sk, struct sk_buff *skb)
{
	struct toy_skb_cb *cb = TOY_SKB_CB(skb);
	u32 rcv_nxt = toy_sk(sk)->rcv_nxt;
	u32 dup;

	if (!toy_before(cb->seq, rcv_nxt))
		return true;
	dup = rcv_nxt - cb->seq;
	if (dup > skb->len || !pskb_pull(skb, dup))
		return false;
	cb->seq = rcv_nxt;
	return true;
}

/* Move what the new data made contiguous from the OOO queue. */
static void toy_ooo_drain(struct sock *sk)
{
	struct toy_sock *ts = toy_sk(sk);
	struct sk_buff *skb;

	while ((skb = skb_peek(&ts->ooo_queue))) {
		struct toy_skb_cb *cb = TOY_SKB_CB(skb);

		if (toy_after(cb->seq, ts->rcv_nxt) || ts->fin_rcvd)
			break;
		__skb_unlink(skb, &ts->ooo_queue);
		if (!toy_after(cb->end_seq, ts->rcv_nxt) ||
		    !toy_trim_front(sk, skb)) {
			kfree_skb(skb);
			continue;
		}
		if (skb->len) {
			/* Already charged: hand it over as it is. */
			ts->rcv_nxt += skb->len;
			__skb_queue_tail(&sk->sk_receive_queue, skb);
			if (cb->flags & TOY_FIN)
				toy_fin(sk);
		} else {
			if (cb->flags & TOY_FIN)
				toy_fin(sk);
			kfree_skb(skb);
		}
	}
}

/*
 * Drop the out-of-order segment farthest from rcv_nxt, if it lies
 * beyond @skb, to make room for @skb: as tcp_prune_ofo_queue(), the
 * data the peer would send last goes first, and what can fill the
 * hole stays.  True if one was dropped.
 */
static bool toy_ooo_prune(struct sock *sk, const struct sk_buff *skb)
{
	struct toy_sock *ts = toy_sk(sk);
	struct sk_buff *last = skb_peek_tail(&ts->ooo_queue);

	if (!last || toy_after(TOY_SKB_CB(skb)->seq, TOY_SKB_CB(last)->seq))
		return false;
	__skb_unlink(last, &ts->ooo_queue);
	kfree_skb(last);	/* its memory back (sock_rfree()) */
	TOY_INC_STATS(sock_net(sk), TOY_MIB_OFOPRUNED);
	return true;
}

/* The largest buffer toy_collapse() makes: four pages, as TCP's. */
#define TOY_COLLAPSE_MAX	SKB_MAX_ORDER(0, 2)

/*
 * Copy the data waiting to be read into as few buffers as it fits
 * (tcp_collapse()).  Segments that came in page-sized buffers, or as a
 * stream of tiny segments, hold several times their data in memory, and
 * a window already offered (it never shrinks) must not be refused for
 * that overhead: the window says data, the buffer counts memory.  Done
 * only when it frees at least @need bytes (the segment waiting for
 * room), since copying is not free.  True if it did.
 */
static bool toy_collapse(struct sock *sk, unsigned int need)
{
	struct sk_buff_head *q = &sk->sk_receive_queue;
	unsigned int truesize = 0, len = 0;
	struct sk_buff_head done;
	struct sk_buff *skb, *p;

	skb_queue_walk(q, skb) {
		truesize += skb->truesize;
		len += skb->len;
	}
	if (truesize < SKB_TRUESIZE(len) + need)
		return false;
	__skb_queue_head_init(&done);
	while ((skb = skb_peek(q))) {
		unsigned int size = 0;
		struct sk_buff *nskb;

		skb_queue_walk(q, p) {
			if (size && size + p->len > TOY_COLLAPSE_MAX)
				break;
			size += p->len;
		}
		nskb = alloc_skb(size, GFP_ATOMIC);
		if (!nskb)
			break;
		*TOY_SKB_CB(nskb) = *TOY_SKB_CB(skb);
		while ((p = skb_peek(q)) && nskb->len + p->len <= size) {
			skb_copy_bits(p, 0, skb_put(nskb, p->len), p->len);
			__skb_unlink(p, q);
			kfree_skb(p);	/* its memory back (sock_rfree()) */
		}
		TOY_SKB_CB(nskb)->end_seq = TOY_SKB_CB(nskb)->seq + nskb->len;
		sk_rmem_schedule(sk, nskb, nskb->truesize);
		skb_set_owner_r(nskb, sk);
		__skb_queue_tail(&done, nskb);
	}
	/* The copies come first: what could not be copied follows them. */
	skb_queue_splice(&done, q);
	return true;
}

/*
 * Room for @skb in the receive buffer and in the protocol's memory
 * (mem.c), as tcp_try_rmem_schedule(), pruning the out-of-order queue
 * from its far end until @skb fits.  An in-order segment fits while the
 * buffer is not over SO_RCVBUF (it may go over by this one segment, as
 * TCP's), and always when nothing waits to be read, so that a
 * connection can always move on (tcp_data_queue() forces the charge
 * with sk_forced_mem_schedule(), which modules cannot call: pages that
 * cannot be scheduled leave sk_forward_alloc below zero until the next
 * schedule).  An out-of-order one must fit whole: the out-of-order
 * queue alone never takes more than SO_RCVBUF, and the segment that
 * fills the hole finds room.
 */
static bool toy_rmem_schedule(struct sock *sk, struct sk_buff *skb)
{
	bool ooo = toy_after(TOY_SKB_CB(skb)->seq, toy_sk(sk)->rcv_nxt);
	int rcvbuf = READ_ONCE(sk->sk_rcvbuf);
	bool collapsed = false;

	if (!ooo && skb_queue_empty(&sk->sk_receive_queue)) {
		sk_rmem_schedule(sk, skb, skb->truesize);
		return true;
	}
	while (atomic_read(&sk->sk_rmem_alloc) + (ooo ? skb->truesize : 0) >
	       rcvbuf || !sk_rmem_schedule(sk, skb, skb->truesize)) {
		if (toy_ooo_prune(sk, skb))
			continue;
		if (ooo || collapsed || !toy_collapse(sk, skb->truesize))
			return false;
		collapsed = true;
	}
	return true;
}

/*
 * The data and FIN of an acceptable segment (header pulled).  Consumes
 * @skb.  Answers with an ACK whenever the segment carried anything.
 */
static void toy_rcv_data(struct sock *sk, struct sk_buff *skb)
{
	struct toy_skb_cb *cb = TOY_SKB_CB(skb);
	struct toy_sock *ts = toy_sk(sk);
	bool fin = cb->flags & TOY_FIN;

	if (!skb->len && !fin)
		goto drop;
	toy_measure_ratio(sk, skb);
	if (!((1 << sk->sk_state) &
	      (TCPF_ESTABLISHED | TCPF_FIN_WAIT1 | TCPF_FIN_WAIT2)) ||
	    ts->fin_rcvd)
		goto ack;	/* after the peer's FIN: nothing more counts */
	if (!toy_after(cb->end_seq, ts->rcv_nxt)) {
		TOY_INC_STATS(sock_net(sk), TOY_MIB_DUPSEGS);
		goto ack;	/* all duplicate: tell the sender again */
	}
	/* Data after close() or SHUT_RD in FIN_WAIT: reset, as TCP. */
	if ((1 << sk->sk_state) & (TCPF_FIN_WAIT1 | TCPF_FIN_WAIT2) &&
	    sk->sk_shutdown & RCV_SHUTDOWN && skb->len &&
	    toy_after(cb->end_seq - fin, ts->rcv_nxt)) {
		toy_send_active_reset(sk);
		toy_reset(sk);
		goto drop;
	}
	if (!toy_rmem_schedule(sk, skb)) {
		TOY_INC_STATS(sock_net(sk), TOY_MIB_RCVPRUNED);
		goto ack;	/* no room: the sender will retransmit */
	}
	if (toy_after(cb->seq, ts->rcv_nxt)) {
		toy_ooo_insert(sk, skb);
		toy_send_ack(sk);	/* a duplicate ACK: a hole here */
		return;
	}
	if (!toy_trim_front(sk, skb))
		goto ack;
	if (skb->len) {
		toy_queue_rcv(sk, skb);
		skb = NULL;
	}
	if (fin)
		toy_fin(sk);
	toy_ooo_drain(sk);
	toy_send_ack(sk);
	if (!sock_flag(sk, SOCK_DEAD))
		sk->sk_data_ready(sk);
	kfree_skb(skb);
	return;
ack:
	toy_send_ack(sk);
drop:
	kfree_skb(skb);
}

/*
 * RFC 793's acceptability test, as Linux applies it (tcp_sequence()):
 * the segment must not end before rcv_wup (the rcv_nxt of our last
 * window offer) nor start beyond the right edge of that offer.  A
 * segment at exactly rcv_nxt is acceptable even into a zero window.
 */
bool toy_seq_ok(const struct toy_sock *ts, u32 seq, u32 end_seq)
{
	return !toy_before(end_seq, ts->rcv_wup) &&
	       !toy_after(seq, ts->rcv_nxt + toy_receive_window(ts));
}

/*
 * May we answer a segment we cannot accept (__tcp_oow_rate_limited())?
 * At most once per net.toy.invalid_ratelimit per connection: two peers
 * that each find the other's segments unacceptable would otherwise
 * ping-pong ACKs for ever, and a flood of forged segments would draw a
 * flood of answers.  @last_time: the connection's last answer, jiffies
 * (0: none yet).  True: skip this answer, counted in @mib.
 */
bool toy_oow_rate_limited(struct net *net, u32 *last_time, int mib)
{
	u32 now = (u32)jiffies, last = READ_ONCE(*last_time);

	if (last) {
		s32 elapsed = now - last;

		if (elapsed >= 0 &&
		    elapsed < READ_ONCE(toy_pernet(net)->invalid_ratelimit)) {
			TOY_INC_STATS(net, mib);
			return true;
		}
	}
	WRITE_ONCE(*last_time, now);
	return false;
}

/*
 * The namespace's budget of challenge ACKs (RFC 5961 7): at most about
 * net.toy.challenge_ack_limit a second, the count of each second
 * randomised as tcp_challenge_ack_allowed() does, so that an attacker
 * cannot learn from the limit which of its guesses drew an answer.
 */
static bool toy_challenge_ack_allowed(struct net *net)
{
	struct toy_net *tn = toy_pernet(net);
	u32 limit = READ_ONCE(tn->challenge_ack_limit);
	u32 now = jiffies / HZ, count;

	if (limit == INT_MAX)
		return true;
	if (now != READ_ONCE(tn->challenge_stamp)) {
		WRITE_ONCE(tn->challenge_stamp, now);
		WRITE_ONCE(tn->challenge_count,
			   (limit + 1) / 2 + prandom_u32_max(limit));
	}
	count = READ_ONCE(tn->challenge_count);
	if (!count)
		return false;
	WRITE_ONCE(tn->challenge_count, count - 1);
	return true;
}

/*
 * RFC 5961 challenge ACK: "prove you are in the window".  Under both
 * limits: the connection's (toy_oow_rate_limited()) and the
 * namespace's.
 */
static void toy_challenge_ack(struct sock *sk)
{
	struct net *net = sock_net(sk);

	if (toy_oow_rate_limited(net, &toy_sk(sk)->last_oow_ack_time,
				 TOY_MIB_ACKSKIPPEDCHALLENGE))
		return;
	if (!toy_challenge_ack_allowed(net)) {
		TOY_INC_STATS(net, TOY_MIB_ACKSKIPPEDCHALLENGE);
		return;
	}
	TOY_INC_STATS(net, TOY_MIB_CHALLENGEACKS);
	toy_send_ack(sk);
}

/*
 * A segment outside the window (tcp_validate_incoming()): answered with
 * an ACK that says where the window is, unless it is part of a loop
 * (no data, or a SYN: rate limited); never a reset.  A reset just below
 * the window, at the sequence number of the FIN the peer sent, is one
 * some stacks send after their FIN: obeyed (tcp_reset_check()).
 */
static void toy_rcv_unacceptable(struct sock *sk, struct sk_buff *skb)
{
	struct toy_skb_cb *cb = TOY_SKB_CB(skb);
	struct toy_sock *ts = toy_sk(sk);

	if (cb->flags & TOY_RST) {
		if (cb->seq == ts->rcv_nxt - 1 &&
		    (1 << sk->sk_state) &
		    (TCPF_CLOSE_WAIT | TCPF_LAST_ACK | TCPF_CLOSING))
			toy_reset(sk);
		return;
	}
	if ((skb->len && !(cb->flags & TOY_SYN)) ||
	    !toy_oow_rate_limited(sock_net(sk), &ts->last_oow_ack_time,
				  TOY_MIB_ACKSKIPPEDSEQ))
		toy_send_ack(sk);
}

/* SYN_SENT (RFC 793 3.9). */
static int toy_rcv_synsent(struct sock *sk, struct sk_buff *skb)
{
	const struct toyhdr *th = toy_hdr(skb);
	struct toy_sock *ts = toy_sk(sk);
	u32 seq = ntohl(th->seq);
	u32 ack = ntohl(th->ack_seq);

	if (th->flags & TOY_ACK && ack != ts->snd_nxt) {
		toy_send_reset(sock_net(sk), skb);
		goto drop;
	}
	if (th->flags & TOY_RST) {
		if (th->flags & TOY_ACK) {
			WRITE_ONCE(sk->sk_err, ECONNREFUSED);
			TOY_INC_STATS(sock_net(sk), TOY_MIB_ATTEMPTFAILS);
			toy_done(sk);
		}
		goto drop;
	}
	if (!(th->flags & TOY_SYN))
		goto drop;

	ts->irs = seq;
	ts->rcv_nxt = seq + 1;
	ts->rcv_wup = ts->rcv_nxt;
	ts->copied_seq = ts->rcv_nxt;
	ts->snd_wnd = ntohs(th->window);
	ts->max_window = ts->snd_wnd;
	ts->snd_wl1 = seq;
	ts->rcv_tstamp = jiffies;
	if (th->flags & TOY_ACK) {
		u32 now = (u32)div_u64(ktime_get_ns(), NSEC_PER_USEC);

		ts->snd_una = ack;
		ts->snd_wl2 = ack;
		/* Karn: a sample only if the SYN went once. */
		if (!ts->retries)
			toy_rtt_sample(sk, now - ts->syn_us);
		toy_established(sk);
		toy_send_ack(sk);
	} else {
		/* Simultaneous open: both sent a SYN. */
		toy_set_state(sk, TCP_SYN_RECV);
		ts->retries = 0;
		ts->rto = TOY_RTO_INIT;
		toy_send_syn(sk, true);
		toy_timer_stop(sk, &ts->rtx_timer);
		toy_timer_arm(sk, &ts->rtx_timer, jiffies + ts->rto);
	}
drop:
	kfree_skb(skb);
	return 0;
}

/*
 * Every synchronized state, and SYN_RECV of a simultaneous open.
 * Also the first segment of a child (listen.c), with the child locked.
 */
int toy_rcv_state(struct sock *sk, struct sk_buff *skb)
{
	const struct toyhdr *th = toy_hdr(skb);
	struct toy_sock *ts = toy_sk(sk);
	struct toy_skb_cb *cb = TOY_SKB_CB(skb);
	u32 seq = ntohl(th->seq);
	u32 ack = ntohl(th->ack_seq);
	u16 window = ntohs(th->window);
	u8 flags = th->flags;
	u32 len;

	/* From here on the skb holds only data; cb says what it was. */
	__skb_pull(skb, sizeof(*th));
	len = skb->len;
	memset(cb, 0, sizeof(*cb));
	cb->seq = seq;
	cb->end_seq = seq + len + !!(flags & TOY_SYN) + !!(flags & TOY_FIN);
	cb->flags = flags;

	if (!toy_seq_ok(ts, seq, cb->end_seq)) {
		toy_rcv_unacceptable(sk, skb);
		goto drop;
	}
	ts->rcv_tstamp = jiffies;
	ts->ka_probes = 0;

	if (flags & TOY_RST) {
		if (seq == ts->rcv_nxt)
			toy_reset(sk);
		else
			toy_challenge_ack(sk);
		goto drop;
	}
	if (flags & TOY_SYN && sk->sk_state == TCP_SYN_RECV &&
	    seq == ts->irs && flags & TOY_ACK) {
		/* Simultaneous open: the peer's SYN-ACK; its ACK counts. */
		flags &= ~TOY_SYN;
		cb->flags = flags;
		cb->seq = ++seq;
	}
	if (flags & TOY_SYN) {
		if (sk->sk_state == TCP_SYN_RECV && seq == ts->irs)
			toy_send_syn(sk, true);	/* our SYN-ACK was lost */
		else
			toy_challenge_ack(sk);
		goto drop;
	}
	if (!(flags & TOY_ACK))
		goto drop;

	if (sk->sk_state == TCP_SYN_RECV) {
		if (ack != ts->snd_nxt) {
			toy_send_reset(sock_net(sk), skb);
			goto drop;
		}
		ts->snd_una = ack;
		ts->snd_wnd = window;
		ts->max_window = window;
		ts->snd_wl1 = seq;
		ts->snd_wl2 = ack;
		toy_established(sk);
	}

	switch (toy_ack_check(sk, ack)) {
	case TOY_ACK_UNSENT:
		goto drop;
	case TOY_ACK_BLIND:
		toy_challenge_ack(sk);
		goto drop;
	case TOY_ACK_OK:
		toy_ack_rcvd(sk, ack, seq, window, !len && !(flags & TOY_FIN));
		break;
	}

	/* Is our FIN acknowledged? */
	if (ts->fin_queued && ts->snd_una == ts->write_seq) {
		switch (sk->sk_state) {
		case TCP_FIN_WAIT1:
			toy_set_state(sk, TCP_FIN_WAIT2);
			if (sock_flag(sk, SOCK_DEAD)) {
				int t = READ_ONCE(toy_pernet(sock_net(sk))->fin_timeout);

				toy_timer_arm(sk, &ts->misc_timer,
					      jiffies + t * HZ);
			} else {
				sk->sk_state_change(sk);
			}
			break;
		case TCP_CLOSING:
			toy_time_wait(sk);
			goto drop;
		case TCP_LAST_ACK:
			toy_done(sk);
			goto drop;
		}
	}
	toy_rcv_data(sk, skb);
	return 0;
drop:
	kfree_skb(skb);
	return 0;
}

/*
 * A segment for @sk, with the socket lock held and not owned by a user
 * (or from the backlog, by the owner).  Consumes @skb.
 */
static int toy_stream_process(struct sock *sk, struct sk_buff *skb)
{
	switch (sk->sk_state) {
	case TCP_LISTEN:
		return toy_listen_rcv(sk, skb);
	case TCP_SYN_SENT:
		return toy_rcv_synsent(sk, skb);
	case TCP_CLOSE:
		kfree_skb(skb);
		return 0;
	default:
		return toy_rcv_state(sk, skb);
	}
}

/*
 * The backlog, processed by the owner in release_sock() with bottom
 * halves enabled.  Segment processing takes locks that softirq takes too
 * (a child's socket lock, a listener's req_lock, table slots), so it
 * runs with bottom halves off, as on the receive path.
 */
int toy_stream_backlog_rcv(struct sock *sk, struct sk_buff *skb)
{
	int ret;

	local_bh_disable();
	ret = toy_stream_process(sk, skb);
	local_bh_enable();
	return ret;
}

/* From toy_rcv(): consumes @skb and the reference on @sk. */
void toy_stream_rcv(struct sock *sk, struct sk_buff *skb)
{
	if (toy_is_req(sk)) {
		toy_req_rcv(sk, skb);
		return;
	}
	if (toy_is_tw(sk)) {
		toy_tw_rcv(sk, skb);
		return;
	}
	bh_lock_sock_nested(sk);
	if (!sock_owned_by_user(sk)) {
		toy_stream_process(sk, skb);
	} else if (sk_add_backlog(sk, skb, READ_ONCE(sk->sk_rcvbuf) +
				  READ_ONCE(sk->sk_sndbuf))) {
		kfree_skb(skb);
	}
	bh_unlock_sock(sk);
	sock_put(sk);
}

/*
 * close() of a stream socket (socket locked), as tcp_close(): a
 * listener stops; a connection with unread data, or SO_LINGER with a
 * zero timeout, is aborted with a reset; otherwise our FIN is queued and
 * the connection closes in the background as an orphan.  With SO_LINGER
 * (@timeout), wait for the FIN to be acknowledged first.
 */
void toy_stream_close(struct sock *sk, long timeout)
{
	struct toy_sock *ts = toy_sk(sk);
	bool unread;

	WRITE_ONCE(sk->sk_shutdown, SHUTDOWN_MASK);
	switch (sk->sk_state) {
	case TCP_CLOSE:
		return;
	case TCP_LISTEN:
		toy_listen_stop(sk);
		return;
	case TCP_SYN_SENT:
		toy_done(sk);
		return;
	}

	unread = ts->rcv_nxt - ts->copied_seq - ts->fin_rcvd > 0;
	__skb_queue_purge(&sk->sk_receive_queue);
	ts->copied_seq = ts->rcv_nxt;

	if (unread || (sock_flag(sk, SOCK_LINGER) && !sk->sk_lingertime)) {
		/* RFC 2525: data the user never read is lost: say so. */
		if (sk->sk_state != TCP_TIME_WAIT)
			toy_send_active_reset(sk);
		toy_done(sk);
		return;
	}
	toy_stream_shutdown(sk, SEND_SHUTDOWN);
	if (timeout)
		sk_stream_wait_close(sk, timeout);
}

/*
 * Send our FIN if the state allows (shutdown(SHUT_WR), close()).  In
 * SYN_RECV (a simultaneous open) the FIN waits for the handshake to
 * complete (RFC 793 3.9, CLOSE in SYN-RECEIVED: "queue for processing
 * after entering ESTABLISHED state"): toy_established() sends it.
 * Until then the SYN's retransmission timer bounds the wait.
 */
void toy_stream_shutdown(struct sock *sk, int how)
{
	if (!(how & SEND_SHUTDOWN))
		return;
	switch (sk->sk_state) {
	case TCP_ESTABLISHED:
		toy_set_state(sk, TCP_FIN_WAIT1);
		break;
	case TCP_CLOSE_WAIT:
		toy_set_state(sk, TCP_LAST_ACK);
		break;
	default:
		return;
	}
	toy_send_fin(sk, sk->sk_allocation);	/* process context */
}
