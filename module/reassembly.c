// SPDX-License-Identifier: GPL-2.0
/*
 * AF_TOY stream reassembly: the text and FIN of acceptable segments
 * (input.c) into the receive queue, in sequence order, and the window
 * that the room left in it lets us offer.
 *
 * Data at rcv_nxt goes to sk_receive_queue for recvmsg(), and rcv_nxt
 * moves past it; data beyond rcv_nxt waits in the out-of-order queue
 * (toy_sock.ooo_queue, sorted by sequence) until the hole before
 * it is filled, and each such segment is answered with an ACK that
 * still says rcv_nxt (the duplicate ACK that tells the sender of the
 * hole).  Bytes already received are discarded (DupSegs).  The peer's
 * FIN counts only in sequence: it ends the peer's side (CLOSE_WAIT,
 * CLOSING or, from FIN_WAIT2, TIME_WAIT).
 *
 * Memory.  Both queues are charged to the socket (sk_rmem_alloc)
 * against SO_RCVBUF and to the protocol's accounting (mem.c); when a
 * segment does not fit, the out-of-order queue gives up what lies
 * beyond it, from the far end, and the data waiting to be read is
 * copied into fewer buffers (toy_rmem_schedule(), as TCP's
 * tcp_try_rmem_schedule()); a segment that still does not fit is
 * dropped (RcvPruned) for the sender to send again.
 *
 * Every function here runs with the socket lock held.
 */

#include <linux/skbuff.h>
#include <net/sock.h>
#include <net/tcp_states.h>

#include "toy.h"

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
		/*
		 * As tcp_fin(): interactive mode, so that the ACK waits
		 * for the close() that usually follows and rides on our
		 * FIN.
		 */
		WRITE_ONCE(ts->ack_pingpong, true);
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

/* ---- the window we offer -------------------------------------------- */

/**
 * toy_receive_window() - What is left of the window we last offered.
 * @ts: the connection.
 *
 * As tcp_receive_window(): the peer may send up to rcv_wup + rcv_wnd,
 * wherever rcv_nxt is now.
 *
 * Return: the bytes from rcv_nxt to that edge; 0 if rcv_nxt is past it.
 */
u32 toy_receive_window(const struct toy_sock *ts)
{
	s32 win = ts->rcv_wup + ts->rcv_wnd - ts->rcv_nxt;

	return win > 0 ? win : 0;
}

/**
 * toy_space_window() - The data the free receive buffer can take.
 * @sk: the connection.
 *
 * Free memory (SO_RCVBUF less sk_rmem_alloc) times the measured share of
 * data in it (scaling_ratio: an skb costs its data plus its overhead).
 *
 * Return: that many bytes, at most the largest window the window field
 * can say (TOY_MAX_WINDOW, shifted by our window scale); 0 when the
 * buffer is full.
 */
u32 toy_space_window(const struct sock *sk)
{
	int free = READ_ONCE(sk->sk_rcvbuf) - atomic_read(&sk->sk_rmem_alloc);
	u64 win = free > 0 ? ((u64)free * toy_sk(sk)->scaling_ratio) >> 8 : 0;

	return min_t(u64, win, TOY_MAX_WINDOW << toy_sk(sk)->rcv_wscale);
}

/**
 * toy_choose_wscale() - Our window scale, chosen before our SYN.
 * @sk: the connection, or the listener of a half-open one.
 *
 * As tcp_select_initial_window(): the smallest shift that lets the
 * window field say as much as the largest receive buffer this socket
 * could have: the one SO_RCVBUF set, or else the largest of its own,
 * net.core.rmem_max and what autotuning may grow it to (net.toy.rmem's
 * maximum).
 *
 * Return: the shift, at most TOY_MAX_WSCALE.
 */
u8 toy_choose_wscale(const struct sock *sk)
{
	u32 space = READ_ONCE(sk->sk_rcvbuf);

	/* A buffer the user set never grows (tcp_connect_init()'s clamp). */
	if (!(sk->sk_userlocks & SOCK_RCVBUF_LOCK))
		space = max3(space, (u32)READ_ONCE(sysctl_rmem_max),
			     (u32)READ_ONCE(sysctl_toy_rmem[2]));

	return clamp_t(int, ilog2(space) - 15, 0, TOY_MAX_WSCALE);
}

/**
 * toy_measure_ratio() - Learn the share of data in a segment's memory.
 * @sk: the connection.
 * @skb: a received segment, header pulled.
 *
 * As Linux's scaling_ratio: skb->len / skb->truesize in 1/256, kept
 * between 1 and 255, taken only from segments of TOY_MIN_RATIO_LEN bytes
 * or more, large enough to be representative.
 *
 * Context: socket lock held.
 */
void toy_measure_ratio(struct sock *sk, const struct sk_buff *skb)
{
	u32 val;

	if (skb->len < TOY_MIN_RATIO_LEN)
		return;
	val = div_u64((u64)skb->len << 8, skb->truesize);
	toy_sk(sk)->scaling_ratio = clamp_t(u32, val, 1, 255);
}

/**
 * toy_select_window() - Choose the window to offer, and remember it.
 * @sk: the connection.
 * @syn: for a SYN, whose window field is never scaled (RFC 7323 2.2).
 *
 * As tcp_select_window(): what the free buffer can take, but never less
 * than what is left of the last offer, because the peer may already
 * have sent up to its right edge (RFC 9293 3.8.6.2.2: the right edge
 * never moves left).  With window scaling the field says the window in
 * units of 1 << rcv_wscale: the free space is rounded down to one, what
 * is left of the last offer up.  Remembered in rcv_wnd exactly as the
 * peer reads it, with the rcv_nxt it starts from in rcv_wup: the
 * acceptability test (toy_seq_ok()) holds us to it.
 *
 * Context: socket lock held; called for every segment the connection
 * sends.
 * Return: the window field.
 */
u16 toy_select_window(struct sock *sk, bool syn)
{
	struct toy_sock *ts = toy_sk(sk);
	u8 ws = syn ? 0 : ts->rcv_wscale;
	u32 limit = TOY_MAX_WINDOW << ws;
	u32 left = toy_receive_window(ts);
	u32 win;

	win = round_down(min(toy_space_window(sk), limit), 1U << ws);
	if (win < left)
		win = min(ALIGN(left, 1U << ws), limit);
	WRITE_ONCE(ts->rcv_wnd, win);
	ts->rcv_wup = ts->rcv_nxt;
	return win >> ws;
}

/* ---- receive buffer autotuning ---------------------------------------- */

/*
 * The receiver's RTT (tcp_rcv_rtt_measure()): from offering a window
 * until the data reaches its right edge takes at least a round trip.
 * The smallest such time is kept: the window, not the path, may have
 * held the sender back.
 */
static void toy_rcv_rtt_measure(struct toy_sock *ts)
{
	u32 now = toy_now_us();

	if (ts->rcv_rtt_time_us) {
		if (toy_before(ts->rcv_nxt, ts->rcv_rtt_seq))
			return;
		ts->rcv_rtt_us = min_not_zero(ts->rcv_rtt_us,
					      max(now - ts->rcv_rtt_time_us, 1U));
	}
	ts->rcv_rtt_seq = ts->rcv_nxt + ts->rcv_wnd;
	ts->rcv_rtt_time_us = now ? : 1;
}

/**
 * toy_init_buffer_space() - Start autotuning a new connection's buffers.
 * @sk: the connection, ESTABLISHED, its MSS and congestion window set.
 *
 * As tcp_init_buffer_space(): what the reader drains per round trip is
 * first taken as the initial window's worth (ten segments, at most the
 * window we offered); the send buffer gets room for the congestion
 * window (toy_sndbuf_expand()).
 *
 * Context: socket lock held.
 */
void toy_init_buffer_space(struct sock *sk)
{
	struct toy_sock *ts = toy_sk(sk);

	ts->rcvq_space = min_t(u32, ts->rcv_wnd, 10 * ts->mss);
	ts->rcvq_seq = ts->copied_seq;
	ts->rcvq_time_us = toy_now_us();
	toy_sndbuf_expand(sk);
}

/**
 * toy_rcv_space_adjust() - Grow the receive buffer to what the reader drains.
 * @sk: the connection, after recvmsg() took data.
 *
 * Receive buffer autotuning, as tcp_rcv_space_adjust(): once per
 * receiver RTT, if the reader took more in the last one than in the one
 * before, the sender is opening its window: make room for twice what was
 * read (a loss must not stall it) and twice what it grew by (slow start
 * doubles it by the next round trip), as memory (scaling_ratio), at most
 * net.toy.rmem's maximum.  Never with SO_RCVBUF set.  The window follows
 * the buffer (toy_space_window()).
 *
 * Context: socket lock held.
 */
void toy_rcv_space_adjust(struct sock *sk)
{
	struct toy_sock *ts = toy_sk(sk);
	u32 now = toy_now_us(), copied;
	u64 rcvwin, rcvbuf;

	if (!ts->rcv_rtt_us || now - ts->rcvq_time_us < ts->rcv_rtt_us)
		return;
	copied = ts->copied_seq - ts->rcvq_seq;
	if (copied > ts->rcvq_space) {
		if (!(sk->sk_userlocks & SOCK_RCVBUF_LOCK)) {
			rcvwin = ((u64)copied << 1) + 16 * ts->mss;
			if (ts->rcvq_space)
				rcvwin += div_u64(rcvwin * (copied - ts->rcvq_space),
						  ts->rcvq_space) << 1;
			rcvbuf = min_t(u64, div_u64(rcvwin << 8, ts->scaling_ratio),
				       READ_ONCE(sysctl_toy_rmem[2]));
			if (rcvbuf > READ_ONCE(sk->sk_rcvbuf))
				WRITE_ONCE(sk->sk_rcvbuf, rcvbuf);
		}
		ts->rcvq_space = copied;
	}
	ts->rcvq_seq = ts->copied_seq;
	ts->rcvq_time_us = now;
}

/* ---- the queues ------------------------------------------------------ */

/* Queue in-order data (header pulled) for recvmsg(). */
static void toy_queue_rcv(struct sock *sk, struct sk_buff *skb)
{
	struct toy_sock *ts = toy_sk(sk);

	ts->rcv_nxt += skb->len;
	ts->bytes_received += skb->len;
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
	ts->sack_recent = cb->seq;	/* its block goes first (sack.c) */
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

/**
 * toy_rcv_data() - Take the text and FIN of an acceptable segment.
 * @sk: the connection.
 * @skb: the segment, header pulled, its seq, end_seq and flags in
 *       struct toy_skb_cb; consumed.
 *
 * RFC 9293 3.10.7.4 steps 7 and 8.  In sequence, the data goes to the
 * receive queue and the FIN ends the peer's side; beyond rcv_nxt, the
 * segment waits in the out-of-order queue; all duplicate, or without
 * room, it is dropped.  After the peer's FIN, or in a state other than
 * ESTABLISHED, FIN_WAIT1 and FIN_WAIT2, nothing more counts.  Answers
 * with an ACK whenever the segment carried anything, at once or a
 * little later for data in sequence (toy_ack_snd_check()), except new data
 * after close() or SHUT_RD in FIN_WAIT1 or FIN_WAIT2, which resets the
 * connection, as TCP does.
 *
 * Context: socket lock held.
 */
void toy_rcv_data(struct sock *sk, struct sk_buff *skb)
{
	struct toy_skb_cb *cb = TOY_SKB_CB(skb);
	struct toy_sock *ts = toy_sk(sk);
	bool fin = cb->flags & TOY_FIN;
	bool hole;

	if (!skb->len && !fin)
		goto drop;
	toy_measure_ratio(sk, skb);
	if (!((1 << sk->sk_state) &
	      (TCPF_ESTABLISHED | TCPF_FIN_WAIT1 | TCPF_FIN_WAIT2)) ||
	    ts->fin_rcvd)
		goto ack;	/* after the peer's FIN: nothing more counts */
	if (!toy_after(cb->end_seq, ts->rcv_nxt)) {
		TOY_INC_STATS(sock_net(sk), TOY_MIB_DUPSEGS);
		toy_enter_quickack_mode(sk);
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
		toy_enter_quickack_mode(sk);
		toy_send_ack(sk);	/* a duplicate ACK: a hole here */
		return;
	}
	if (!toy_trim_front(sk, skb))
		goto ack;
	hole = !skb_queue_empty(&ts->ooo_queue);
	if (skb->len) {
		/* A run of segments in one packet (gso.c): their size. */
		toy_delack_data_rcvd(sk, skb_shinfo(skb)->gso_size ?: skb->len);
		toy_queue_rcv(sk, skb);
		skb = NULL;
	}
	if (fin)
		toy_fin(sk);
	toy_ooo_drain(sk);
	toy_rcv_rtt_measure(ts);
	/*
	 * RFC 5681 4.2: a hole filled is acknowledged now; so is a FIN,
	 * unless it left us in CLOSE_WAIT (see toy_fin()).
	 */
	toy_ack_snd_check(sk, hole || (fin && sk->sk_state != TCP_CLOSE_WAIT));
	if (!sock_flag(sk, SOCK_DEAD))
		sk->sk_data_ready(sk);
	kfree_skb(skb);
	return;
ack:
	toy_send_ack(sk);
drop:
	kfree_skb(skb);
}
