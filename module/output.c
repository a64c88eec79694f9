// SPDX-License-Identifier: GPL-2.0
/*
 * AF_TOY stream output: the write queue, segments, acknowledgements
 * and retransmission.
 *
 * The write queue (sk_write_queue) holds every byte sendmsg() accepted
 * that the peer has not acknowledged, one skb per segment, in sequence
 * order; toy_sock.send_head is the first one never sent.  A segment is
 * sent as a clone (or a copy, while an earlier clone may still sit in a
 * queue below us), so the original stays for retransmission.  The queue
 * is charged to sk_wmem_queued against SO_SNDBUF, as TCP charges it.
 *
 * What may be in flight is the smaller of the peer's window and the
 * congestion window; the window, the RTT estimator and the RTO are
 * cong.c's.  Three duplicate ACKs resend the first segment (fast
 * retransmit).  A timeout retransmits from the first unacknowledged
 * segment with a window of one (go-back-N), when the retransmission
 * timer (stream.c) says so.  A zero window is probed at RTO intervals
 * with a segment the peer must acknowledge.
 *
 * Segment size.  The handshake settles the MSS (options.c): what the
 * route's MTU leaves (MTU - 40) and the peer's MSS option allow, at
 * most TOY_MAX_MSS_UNSCALED unless the windows are scaled, so that four
 * segments fit in a 64 KiB window.  A segment that no longer
 * fits the window the peer offers is split, and so is one larger than
 * the route's MTU allows now (a smaller device MTU, or a path MTU that
 * ICMP taught the route: wire.c): the MSS follows the route down.
 *
 * Every function here runs with the socket lock held.
 */

#include <net/ip.h>
#include <net/route.h>
#include <net/sock.h>

#include "toy.h"

/* Where @sk's segments go, and how they are routed. */
static void toy_flow_of(const struct sock *sk, struct toy_flow *flow)
{
	toy_flow_tuple(flow, sk);
	toy_flow_route_of(flow, sk);
}

/* The socket's route to its peer, cached in sk_dst_cache (no reference
 * for the caller: take one with dst_clone() to keep it).
 */
static struct rtable *toy_sk_route(struct sock *sk)
{
	struct rtable *rt = (struct rtable *)__sk_dst_check(sk, 0);
	struct toy_flow flow;

	if (rt)
		return rt;
	toy_flow_of(sk, &flow);
	rt = toy_route_output(sock_net(sk), &flow, NULL);
	if (IS_ERR(rt))
		return NULL;
	__sk_dst_set(sk, &rt->dst);
	return rt;
}

/**
 * toy_mtu_to_mss() - The data a segment may carry on a path.
 * @mtu: the path MTU.
 *
 * What the IPv4 header and ours leave, at least TOY_MIN_MSS (TCP's
 * floor, tcp_min_snd_mss, is 48; ICMP cannot push a route below
 * ip_rt_min_pmtu, 552, so only a device with a smaller MTU meets the
 * floor), at most TOY_MAX_MSS.
 *
 * A route's mtu metric has no floor, so an MTU smaller than the two
 * headers is possible too; it gets the floor, not a wrapped subtraction.
 *
 * Return: the MSS.
 */
u16 toy_mtu_to_mss(u32 mtu)
{
	u32 hdrs = sizeof(struct iphdr) + sizeof(struct toyhdr);

	if (mtu < hdrs + TOY_MIN_MSS)
		return TOY_MIN_MSS;
	return min_t(u32, mtu - hdrs, TOY_MAX_MSS);
}

/**
 * toy_route_mss() - The MSS of a connection's route.
 * @sk: the connection, or a child, its 4-tuple set.
 *
 * The route is looked up and cached in sk_dst_cache if it is not there
 * yet.  The handshake takes the connection's MSS from this.
 *
 * Context: socket lock held.
 * Return: toy_mtu_to_mss() of the route's MTU, or of TOY_DEFAULT_MTU
 * when there is no route.
 */
u16 toy_route_mss(struct sock *sk)
{
	struct rtable *rt = toy_sk_route(sk);

	return toy_mtu_to_mss(rt ? dst_mtu(&rt->dst) : TOY_DEFAULT_MTU);
}

/**
 * toy_current_mss() - The MSS for the next segment.
 * @sk: the connection.
 *
 * As tcp_current_mss(): the route's MTU may have shrunk since the
 * connection began (a device's MTU lowered, a path MTU learnt from
 * ICMP), and a segment larger than the route takes is never sent: IPv4
 * refuses it (DF) with EMSGSIZE.  The MSS only goes down: the one of the
 * handshake's route is the ceiling.  A lower one is kept in the
 * connection's mss and counted (TOY_MIB_MTUREDUCED).
 *
 * Context: socket lock held.
 * Return: the MSS; 0 before the handshake completed (no MSS yet).
 */
u16 toy_current_mss(struct sock *sk)
{
	struct toy_sock *ts = toy_sk(sk);
	struct rtable *rt;
	u16 mss;

	if (!ts->mss)
		return 0;
	rt = toy_sk_route(sk);
	if (!rt)
		return ts->mss;
	mss = toy_data_mss(ts, toy_mtu_to_mss(dst_mtu(&rt->dst)));
	if (mss < ts->mss) {
		ts->mss = mss;
		TOY_INC_STATS(sock_net(sk), TOY_MIB_MTUREDUCED);
	}
	return ts->mss;
}

/**
 * toy_mtu_reduced() - Follow a path MTU that ICMP lowered.
 * @sk: the connection.
 *
 * ICMP said a segment was too big for the path (the route already knows
 * the new MTU: wire.c updated it), as tcp_v4_mtu_reduced(): follow it
 * with the MSS.  A segment in flight larger than that was dropped, so if
 * there is one, everything from snd_una is sent again at once at the
 * new size, as tcp_simple_retransmit() does for the large ones.  This is
 * no congestion signal: the congestion window and the RTO stay as they
 * are.
 *
 * Context: socket lock held: bh_lock_sock() in the ICMP handler, or the
 * owner in release_sock() when the handler deferred it (TOY_DEFER_MTU).
 */
void toy_mtu_reduced(struct sock *sk)
{
	struct toy_sock *ts = toy_sk(sk);
	struct sk_buff *skb;
	u16 mss;

	if ((1 << sk->sk_state) & (TCPF_CLOSE | TCPF_LISTEN | TCPF_SYN_SENT))
		return;
	mss = toy_current_mss(sk);
	if (!mss)
		return;
	skb_queue_walk(&sk->sk_write_queue, skb) {
		if (skb == ts->send_head)
			break;
		if (skb->len > mss) {
			/*
			 * Back to snd_una, as a timeout, windows untouched;
			 * a recovery's scoreboard is gone with it.
			 */
			ts->send_head = skb_peek(&sk->sk_write_queue);
			ts->snd_nxt = ts->snd_una;
			ts->packets_out = 0;
			ts->in_recovery = false;
			ts->dupacks = 0;
			toy_sack_clear(sk);
			toy_push(sk);
			return;
		}
	}
}

/*
 * The sequence number of a segment without data (tcp_acceptable_seq()):
 * the highest sent, unless the peer's window ends before it; a segment
 * beyond the window the peer offered would be refused, its ACK with it.
 */
static u32 toy_acceptable_seq(const struct toy_sock *ts)
{
	u32 wnd_end = ts->snd_una + ts->snd_wnd;

	return toy_after(ts->snd_max, wnd_end) ? wnd_end : ts->snd_max;
}

/*
 * Put our header on @skb (data or none) and send it to the peer.
 * @skb is consumed.
 */
static int toy_send_skb(struct sock *sk, struct sk_buff *skb, u32 seq,
			u8 flags)
{
	struct toy_seg seg = { .seq = seq, .flags = flags };
	unsigned int len = skb->len;
	struct toy_flow flow;
	struct rtable *rt;

	rt = toy_sk_route(sk);
	if (!rt) {
		kfree_skb(skb);
		return -EHOSTUNREACH;
	}
	if (flags & TOY_ACK) {
		seg.ack = toy_sk(sk)->rcv_nxt;
		toy_delack_ack_sent(sk);	/* this one takes it */
	}
	seg.window = toy_select_window(sk, flags & TOY_SYN);
	seg.wscale_ok = toy_sk(sk)->wscale_ok;
	seg.wscale = toy_sk(sk)->rcv_wscale;
	seg.sack_ok = toy_sk(sk)->sack_ok;
	toy_ts_fill(sk, &seg);
	/* SACK blocks only where they cannot push data past the MSS. */
	if (!skb->len && !(flags & (TOY_SYN | TOY_RST)))
		toy_sack_fill(sk, &seg);
	toy_seg_set_mss(&seg, rt);
	toy_flow_of(sk, &flow);
	toy_push_header(skb, &flow, &seg);
	toy_count_sent(sk, skb, len);
	/*
	 * ICMP cannot drive a path MTU below net.ipv4.route.min_pmtu: the
	 * route locks it there, and then our segments go without DF, so
	 * that a router with a smaller MTU fragments them instead of
	 * dropping them again and again (TCP's ip_dont_fragment()).
	 */
	flow.frag = ip_mtu_locked(&rt->dst);
	dst_hold(&rt->dst);
	return toy_ip_out(sock_net(sk), skb, rt, &flow);
}

/* A segment with no data. */
static int toy_send_ctl(struct sock *sk, u32 seq, u8 flags)
{
	struct sk_buff *skb = alloc_skb(TOY_MAX_HEADER, GFP_ATOMIC);

	if (!skb)
		return -ENOBUFS;
	skb_reserve(skb, TOY_MAX_HEADER);
	return toy_send_skb(sk, skb, seq, flags);
}

/**
 * toy_send_syn() - Send our SYN, or the SYN-ACK of a simultaneous open.
 * @sk: the connection, in SYN_SENT or SYN_RECV.
 * @ack: a SYN-ACK (SYN_RECV of a simultaneous open), acknowledging the
 *       peer's SYN.
 *
 * Its sequence number is iss.  A failure to send is not reported: the
 * retransmission timer sends it again.
 *
 * Context: socket lock held.
 */
void toy_send_syn(struct sock *sk, bool ack)
{
	toy_send_ctl(sk, toy_sk(sk)->iss, TOY_SYN | (ack ? TOY_ACK : 0));
}

/**
 * toy_send_ack() - Send an ACK, with the window we offer.
 * @sk: the connection; nothing is sent in CLOSE.
 *
 * An ACK carries toy_acceptable_seq(), never snd_nxt, which a timeout
 * moves back: the peer takes window updates only from segments that do
 * not go backwards (RFC 793's SND.WL1 rule), and one that did would
 * never reopen a window it sees closed.
 *
 * Context: socket lock held.
 */
void toy_send_ack(struct sock *sk)
{
	if (sk->sk_state == TCP_CLOSE)
		return;		/* no connection to acknowledge */
	toy_send_ctl(sk, toy_acceptable_seq(toy_sk(sk)), TOY_ACK);
}

/**
 * toy_send_active_reset() - Send a reset from a connection.
 * @sk: the connection.
 *
 * An abort: unread data at close, SO_LINGER with a zero timeout, a
 * connection given up.  RST and ACK, at toy_acceptable_seq().
 *
 * Context: socket lock held.
 */
void toy_send_active_reset(struct sock *sk)
{
	toy_send_ctl(sk, toy_acceptable_seq(toy_sk(sk)), TOY_RST | TOY_ACK);
}

/**
 * toy_send_probe() - Send a segment the peer must answer.
 * @sk: the connection.
 *
 * A segment below the window (snd_una - 1, no data) that the peer must
 * answer with an ACK carrying its window: zero-window and keepalive
 * probes, as TCP's tcp_xmit_probe_skb().
 *
 * Context: socket lock held.
 */
void toy_send_probe(struct sock *sk)
{
	toy_send_ctl(sk, toy_sk(sk)->snd_una - 1, TOY_ACK);
}

/*
 * Send one queued segment (clone it; copy it if a clone is around).  As
 * TCP, a packet a qdisc took while congested (NET_XMIT_CN) went.
 */
static int toy_transmit(struct sock *sk, struct sk_buff *skb)
{
	struct toy_skb_cb *cb = TOY_SKB_CB(skb);
	struct sk_buff *nskb;
	int err;

	if (skb_cloned(skb))
		nskb = pskb_copy(skb, GFP_ATOMIC);
	else
		nskb = skb_clone(skb, GFP_ATOMIC);
	if (!nskb)
		return -ENOBUFS;
	err = toy_send_skb(sk, nskb, cb->seq, TOY_ACK | cb->flags);
	return net_xmit_eval(err);	/* a macro: @err is read twice */
}

/**
 * toy_free_queued() - Free a segment of the write queue, and its memory.
 * @sk: the connection.
 * @skb: the segment, unlinked (or never queued); its truesize was
 *       charged to @sk.
 */
void toy_free_queued(struct sock *sk, struct sk_buff *skb)
{
	sk_wmem_queued_add(sk, -skb->truesize);
	sk_mem_uncharge(sk, skb->truesize);
	kfree_skb(skb);
}

/* Split @skb after @len bytes of data; the rest follows it. */
static int toy_split(struct sock *sk, struct sk_buff *skb, u32 len)
{
	struct toy_skb_cb *cb = TOY_SKB_CB(skb), *ncb;
	u32 nlen = skb->len - len;
	struct sk_buff *buff;

	if (skb_unclone(skb, GFP_ATOMIC))
		return -ENOMEM;
	buff = alloc_skb(TOY_MAX_HEADER, GFP_ATOMIC);
	if (!buff)
		return -ENOMEM;
	skb_reserve(buff, TOY_MAX_HEADER);
	toy_wmem_charge_forced(sk, buff);
	skb_split(skb, buff, len);
	/* The memory goes with the data, as TCP's tso_fragment() says. */
	skb->truesize -= nlen;
	buff->truesize += nlen;
	ncb = TOY_SKB_CB(buff);
	*ncb = *cb;
	if (cb->sacked)
		toy_sk(sk)->sacked_out++;	/* both halves are */
	ncb->seq = cb->seq + len;
	cb->end_seq = ncb->seq;
	cb->flags &= ~TOY_FIN;
	__skb_queue_after(&sk->sk_write_queue, skb, buff);
	return 0;
}

/**
 * toy_probe_when() - The interval of zero-window probes.
 * @ts: the connection.
 *
 * Also of attempts to send when every transmission fails: the RTO,
 * doubled for each probe sent since data was last in flight (backoff),
 * as TCP's inet_csk_rto_backoff().  The data RTO itself is not touched,
 * so a window that opens again finds it as it was.
 *
 * Return: the interval in jiffies, at most TOY_RTO_MAX.
 */
unsigned long toy_probe_when(const struct toy_sock *ts)
{
	u64 when = (u64)ts->rto << min_t(u8, ts->backoff, 31);

	return min_t(u64, when, TOY_RTO_MAX);
}

/* Page fragments of @shi that hold its first @len bytes. */
static int toy_frags_for(const struct skb_shared_info *shi, u32 len)
{
	int i = 0;

	while (len) {
		len -= min_t(u32, len, skb_frag_size(&shi->frags[i]));
		i++;
	}
	return i;
}

/*
 * Move the first @len bytes of @from to the end of @to, both segments
 * of page fragments only, unsent and never cloned (a fragment split in
 * two takes a page reference for the new half).  False, nothing moved,
 * when @to has no room for the fragments.
 */
static bool toy_pull_data(struct sk_buff *to, struct sk_buff *from, u32 len)
{
	struct skb_shared_info *tsh = skb_shinfo(to), *fsh = skb_shinfo(from);
	int n = tsh->nr_frags, i = 0;
	u32 left = len;

	if (skb_headlen(from) || skb_headlen(to) || skb_cloned(to) ||
	    skb_cloned(from) || len > from->len ||
	    n + toy_frags_for(fsh, len) > MAX_SKB_FRAGS)
		return false;
	while (left) {
		skb_frag_t *f = &fsh->frags[i];
		u32 take = min_t(u32, left, skb_frag_size(f));
		bool whole = take == skb_frag_size(f);

		if (skb_can_coalesce(to, n, skb_frag_page(f), skb_frag_off(f))) {
			skb_frag_size_add(&tsh->frags[n - 1], take);
			if (whole)
				__skb_frag_unref(f, false);
		} else {
			tsh->frags[n] = *f;
			skb_frag_size_set(&tsh->frags[n++], take);
			if (!whole)
				__skb_frag_ref(f);
		}
		if (whole) {
			i++;
		} else {
			skb_frag_off_add(f, take);
			skb_frag_size_sub(f, take);
		}
		left -= take;
	}
	memmove(fsh->frags, fsh->frags + i,
		(fsh->nr_frags - i) * sizeof(skb_frag_t));
	fsh->nr_frags -= i;
	tsh->nr_frags = n;
	to->len += len;
	to->data_len += len;
	to->truesize += len;
	from->len -= len;
	from->data_len -= len;
	from->truesize -= len;
	return true;
}

/*
 * Fill the unsent segments from @skb on up to @mss each, with bytes of
 * the ones after them, as the writes that queued them would have had
 * they come later (toy_fill_tail()); a segment emptied so is freed.
 * None with a FIN is touched.
 */
static void toy_repack_unsent(struct sock *sk, struct sk_buff *skb, u16 mss)
{
	struct toy_sock *ts = toy_sk(sk);
	struct sk_buff *next;
	u32 len;

	while (!skb_queue_is_last(&sk->sk_write_queue, skb)) {
		next = skb->next;
		if (skb->len >= mss || TOY_SKB_CB(skb)->flags & TOY_FIN ||
		    TOY_SKB_CB(next)->flags & TOY_FIN ||
		    toy_before(TOY_SKB_CB(skb)->seq, ts->snd_max))
			return;
		len = min_t(u32, mss - skb->len, next->len);
		if (!toy_pull_data(skb, next, len))
			return;
		TOY_SKB_CB(skb)->end_seq += len;
		TOY_SKB_CB(next)->seq += len;
		if (next->len) {
			skb = next;
		} else {
			__skb_unlink(next, &sk->sk_write_queue);
			toy_free_queued(sk, next);
		}
	}
}

/*
 * Split @skb, the next to send with nothing in flight, at the peer's
 * window's right edge, @len bytes on.  A write queues its segments
 * before it sends them, so the rest would be a short segment between
 * full ones, and Nagle's algorithm (toy_nagle_holds()) would hold the
 * write's short tail behind it: the segments after it are filled up
 * again (toy_repack_unsent()).  0 or -ENOMEM.
 */
static int toy_split_at_window(struct sock *sk, struct sk_buff *skb, u32 len,
			       u16 mss)
{
	if (toy_split(sk, skb, len))
		return -ENOMEM;
	toy_repack_unsent(sk, skb->next, mss);
	return 0;
}

/* Split @skb to @mss (the current MSS); the rest follows it.  0 or -ENOMEM. */
static int toy_fit_mss(struct sock *sk, struct sk_buff *skb, u16 mss)
{
	if (!mss || skb->len <= mss)
		return 0;
	return toy_split(sk, skb, mss);
}

/* A state in which queued data may be sent. */
static bool toy_can_push(const struct sock *sk)
{
	return (1 << sk->sk_state) & (TCPF_ESTABLISHED | TCPF_CLOSE_WAIT |
				      TCPF_FIN_WAIT1 | TCPF_CLOSING |
				      TCPF_LAST_ACK);
}

/*
 * Nagle's algorithm (RFC 896, with Minshall's refinement, as
 * tcp_nagle_test()): a short segment, never sent, at the tail of the
 * queue (where more bytes of the next write would join it), waits while
 * the socket is corked (TOY_CORK, or MSG_MORE on this send), or, unless
 * TOY_NODELAY, while an earlier short segment is unacknowledged.  A FIN
 * never waits.  What ends the wait: an ACK (toy_push() again), the
 * next write filling the segment, uncorking, TOY_NODELAY, or the probe
 * timer, which pushes with TOY_PUSH_FORCE after an RTO (200 ms at
 * least): TCP_CORK's ceiling.
 */
static bool toy_nagle_holds(const struct sock *sk, const struct sk_buff *skb,
			    u16 mss, enum toy_push_how how)
{
	const struct toy_sock *ts = toy_sk(sk);
	const struct toy_skb_cb *cb = TOY_SKB_CB(skb);

	if (how == TOY_PUSH_FORCE || skb->len >= mss ||
	    cb->flags & TOY_FIN || toy_before(cb->seq, ts->snd_max) ||
	    !skb_queue_is_last(&sk->sk_write_queue, skb))
		return false;
	if (ts->cork || how == TOY_PUSH_MORE)
		return true;
	/* Minshall: a short segment sent and not yet acknowledged. */
	return !ts->nodelay && ts->packets_out &&
	       toy_after(ts->snd_sml, ts->snd_una) &&
	       !toy_after(ts->snd_sml, ts->snd_nxt);
}

/**
 * toy_set_nodelay() - TOY_NODELAY, as TCP_NODELAY.
 * @sk: the connection.
 * @on: Nagle's algorithm off; what it held goes now.
 *
 * Context: lock_sock() held.
 */
void toy_set_nodelay(struct sock *sk, bool on)
{
	WRITE_ONCE(toy_sk(sk)->nodelay, on);
	if (on && toy_can_push(sk))
		toy_push_with(sk, TOY_PUSH_FORCE);
}

/**
 * toy_set_cork() - TOY_CORK, as TCP_CORK.
 * @sk: the connection.
 * @on: short segments wait; off: they go, as Nagle's algorithm allows
 *      (all of them with TOY_NODELAY).
 *
 * Context: lock_sock() held.
 */
void toy_set_cork(struct sock *sk, bool on)
{
	struct toy_sock *ts = toy_sk(sk);

	WRITE_ONCE(ts->cork, on);
	if (!on && toy_can_push(sk))
		toy_push_with(sk, ts->nodelay ? TOY_PUSH_FORCE :
						TOY_PUSH_NAGLE);
}

/**
 * toy_push() - Send what the windows and Nagle allow, from send_head on.
 * @sk: the connection.
 *
 * toy_push_with() with Nagle's algorithm as the socket's options say.
 *
 * Context: socket lock held; does not sleep.
 */
void toy_push(struct sock *sk)
{
	toy_push_with(sk, TOY_PUSH_NAGLE);
}

/*
 * May @skb, the segment after @ahead others of the same run, go now?  Up
 * to the congestion limit and the peer's window; split to the current
 * MSS first, and, with nothing in flight, to the window's right edge (a
 * zero-window probe); not a short one Nagle's algorithm holds.
 */
static bool toy_may_send(struct sock *sk, struct sk_buff *skb, u32 ahead,
			 u32 limit, u16 mss, enum toy_push_how how)
{
	struct toy_sock *ts = toy_sk(sk);
	u32 in_flight = ts->packets_out + ahead;
	u32 seq = TOY_SKB_CB(skb)->seq;
	u32 wnd_end = ts->snd_una + ts->snd_wnd;

	if (in_flight >= limit || toy_fit_mss(sk, skb, mss))
		return false;
	if (toy_after(seq + skb->len, wnd_end)) {
		/* Wait for ACKs, or probe a zero window. */
		if (in_flight || !toy_after(wnd_end, seq) ||
		    toy_split_at_window(sk, skb, wnd_end - seq, mss))
			return false;
	}
	return !toy_nagle_holds(sk, skb, mss, how);
}

/* How many segments one packet may carry on @sk's route (gso.c). */
static u32 toy_route_max_segs(struct sock *sk, u16 mss)
{
	struct rtable *rt = toy_sk_route(sk);

	return rt ? toy_gso_max_segs(rt->dst.dev, mss) : 1;
}

/*
 * How many segments from @skb (send_head) on go now, in one packet: at
 * most what the route's device takes (toy_route_max_segs(), asked only
 * when a second segment could join), all full but the last, none with a
 * FIN but a run of one.  0: none may go.
 */
static u32 toy_run_to_send(struct sock *sk, struct sk_buff *skb, u32 limit,
			   u16 mss, enum toy_push_how how)
{
	struct toy_gso_run run = {};
	u32 n = 0, max_segs = 0;

	while (toy_may_send(sk, skb, n, limit, mss, how)) {
		n++;
		if (skb->len != mss || TOY_SKB_CB(skb)->flags & TOY_FIN ||
		    skb_queue_is_last(&sk->sk_write_queue, skb))
			break;
		if (!max_segs)
			max_segs = toy_route_max_segs(sk, mss);
		if (n == max_segs || (n == 1 && !toy_gso_run_add(&run, skb)))
			break;
		skb = skb->next;
		if (TOY_SKB_CB(skb)->flags & TOY_FIN ||
		    !toy_gso_run_add(&run, skb))
			break;
	}
	return n;
}

/* Send the @n segments from @skb on, in one packet. */
static int toy_transmit_run(struct sock *sk, struct sk_buff *skb, u32 n,
			    u16 mss)
{
	struct sk_buff *packet;
	int err;

	if (n == 1)
		return toy_transmit(sk, skb);
	packet = toy_gso_build(skb, n, mss);
	if (!packet)
		return -ENOBUFS;
	err = toy_send_skb(sk, packet, TOY_SKB_CB(skb)->seq, TOY_ACK);
	return net_xmit_eval(err);
}

/*
 * @skb (send_head) went: one below snd_max is a retransmission (no RTT
 * sample), and the first segment in flight starts the retransmission
 * timer.  True if it was new data.
 */
static bool toy_segment_sent(struct sock *sk, struct sk_buff *skb, u16 mss)
{
	struct toy_sock *ts = toy_sk(sk);
	struct toy_skb_cb *cb = TOY_SKB_CB(skb);

	if (toy_before(cb->seq, ts->snd_max)) {
		cb->retrans = 1;
		toy_count_retrans(sk, skb);
	}
	if (!cb->retrans)
		toy_delack_data_sent(sk);
	if (skb->len < mss)
		ts->snd_sml = cb->end_seq;	/* Minshall */
	cb->sent_us = toy_now_us();
	ts->lsndtime = jiffies;
	ts->snd_nxt = cb->end_seq;
	if (toy_after(ts->snd_nxt, ts->snd_max))
		ts->snd_max = ts->snd_nxt;
	ts->send_head = skb_queue_is_last(&sk->sk_write_queue, skb) ?
			NULL : skb->next;
	/*
	 * The first segment in flight: the RTO starts now, not when a
	 * probe interval (perhaps minutes) would have ended.
	 */
	if (!ts->packets_out++) {
		ts->probes = 0;
		ts->backoff = 0;
		toy_arm_rto(sk);
	}
	if (ts->in_recovery)
		ts->prr_out++;
	return !cb->retrans;
}

/**
 * toy_push_with() - Send what the windows allow, from send_head on.
 * @sk: the connection.
 * @how: TOY_PUSH_NAGLE: a short last segment may wait
 *       (toy_nagle_holds()); TOY_PUSH_MORE: it waits (MSG_MORE);
 *       TOY_PUSH_FORCE: it goes.
 *
 * Up to the congestion limit (toy_cc_send_limit()) and the peer's
 * window (toy_may_send()).  Where the route's device takes them, runs of
 * segments go as one packet (gso.c); each still counts on its own.  The
 * first segment in flight starts the retransmission timer; data left
 * waiting with nothing in flight (a closed window, a failed
 * transmission, a cork) starts the probe timer instead.
 *
 * Context: socket lock held; does not sleep.
 */
void toy_push_with(struct sock *sk, enum toy_push_how how)
{
	struct toy_sock *ts = toy_sk(sk);
	u16 mss = toy_current_mss(sk);
	u32 limit = toy_cc_send_limit(ts);
	bool sent_new = false;
	struct sk_buff *skb;
	u32 n;

	while ((skb = ts->send_head)) {
		n = toy_run_to_send(sk, skb, limit, mss, how);
		if (!n || toy_transmit_run(sk, skb, n, mss))
			break;
		while (n--) {
			struct sk_buff *next = skb->next;

			sent_new |= toy_segment_sent(sk, skb, mss);
			skb = next;
		}
	}
	if (sent_new)
		toy_schedule_loss_probe(sk);
	/* Nothing in flight but data waiting: the timer probes. */
	if (ts->send_head && !ts->packets_out &&
	    !timer_pending(&ts->rtx_timer))
		toy_timer_arm(sk, &ts->rtx_timer,
			      jiffies + toy_probe_when(ts));
}

/**
 * toy_send_fin() - Queue our FIN and send what the windows allow.
 * @sk: the connection, just moved to FIN_WAIT1 or LAST_ACK.
 * @gfp: allocation flags, for a FIN in a segment of its own.
 *
 * The FIN goes on the last unsent segment, or in a segment of its own.
 * When that allocation fails (only if @gfp may not block), the
 * connection is aborted with a reset: without a FIN it could never end.
 *
 * Context: socket lock held; sleeps only if @gfp allows it.
 */
void toy_send_fin(struct sock *sk, gfp_t gfp)
{
	struct toy_sock *ts = toy_sk(sk);
	struct sk_buff *tail = skb_peek_tail(&sk->sk_write_queue);

	if (tail && ts->send_head) {
		TOY_SKB_CB(tail)->flags |= TOY_FIN;
		TOY_SKB_CB(tail)->end_seq++;
	} else {
		struct sk_buff *skb;

		/*
		 * close() and shutdown() may wait for the memory (@gfp
		 * allows it); the receive path (a FIN that waited for the
		 * handshake to complete) may not.  Without a FIN this
		 * connection could never end: abort it instead.
		 */
		if (gfpflags_allow_blocking(gfp))
			gfp |= __GFP_NOFAIL;
		skb = alloc_skb(TOY_MAX_HEADER, gfp);
		if (!skb) {
			toy_send_active_reset(sk);
			toy_done(sk);
			return;
		}
		skb_reserve(skb, TOY_MAX_HEADER);
		memset(TOY_SKB_CB(skb), 0, sizeof(struct toy_skb_cb));
		TOY_SKB_CB(skb)->seq = ts->write_seq;
		TOY_SKB_CB(skb)->end_seq = ts->write_seq + 1;
		TOY_SKB_CB(skb)->flags = TOY_FIN;
		toy_wmem_charge_forced(sk, skb);
		__skb_queue_tail(&sk->sk_write_queue, skb);
		if (!ts->send_head)
			ts->send_head = skb;
	}
	ts->write_seq++;
	ts->fin_queued = true;
	toy_push(sk);
}

/**
 * toy_retransmit() - Send a segment again.
 * @sk: the connection.
 * @skb: a segment of its write queue sent before.
 *
 * It gives no RTT sample any more (Karn), even if this fails.  Only once
 * it went is it resent in this recovery, counted, and its send time the
 * one RACK compares (rack.c).
 *
 * Context: socket lock held.
 * Return: 0, or the error of the transmission.
 */
int toy_retransmit(struct sock *sk, struct sk_buff *skb)
{
	int err;

	TOY_SKB_CB(skb)->retrans = 1;
	err = toy_transmit(sk, skb);
	if (err)
		return err;
	TOY_SKB_CB(skb)->rexmit = 1;
	TOY_SKB_CB(skb)->sent_us = toy_now_us();
	toy_count_retrans(sk, skb);
	if (toy_sk(sk)->in_recovery)
		toy_sk(sk)->prr_out++;
	return 0;
}

/*
 * Without SACK, fast retransmit and a partial ACK in recovery resend the
 * first unacknowledged segment (RFC 6582).
 */
static void toy_retransmit_first(struct sock *sk)
{
	struct sk_buff *skb = skb_peek(&sk->sk_write_queue);

	if (skb && skb != toy_sk(sk)->send_head)
		toy_retransmit(sk, skb);
}

/*
 * With SACK, an ACK in recovery: @delivered segments reached the peer.
 * PRR sets the window (toy_cc_prr()); while the pipe has room, the
 * holes go, each once (RFC 6675's NextSeg, rule 1) unless RACK finds
 * that copy lost too; new data after them (toy_push(), within
 * toy_cc_send_limit()).
 */
static void toy_sack_recovery_ack(struct sock *sk, u32 delivered)
{
	struct toy_sock *ts = toy_sk(sk);
	struct sk_buff *hole = NULL;

	toy_rack_detect_lost(sk);
	toy_sack_count_lost(sk);
	toy_cc_prr(sk, delivered);
	while (ts->packets_out < toy_cc_send_limit(ts) &&
	       (hole = toy_sack_next_hole(sk, hole))) {
		if (toy_retransmit(sk, hole))
			break;
		ts->lost_out--;
	}
}

/*
 * A duplicate ACK while data is in flight (toy_cc_on_dupack()), which
 * SACKed @sacked segments for the first time.  The one that starts
 * recovery resends the first unacknowledged segment; with SACK, every
 * one in recovery sends what PRR allows, the holes first.
 */
static void toy_dupack(struct sock *sk, u32 sacked)
{
	struct toy_sock *ts = toy_sk(sk);
	bool start = toy_cc_on_dupack(sk);

	if (start) {
		/* Recovery repairs the tail: no probe, the RTO again. */
		ts->tlp_out = false;
		if (ts->rtx_probe)
			toy_arm_rto(sk);
		if (ts->sack_ok)
			toy_sack_recovery_start(sk);
		else
			toy_retransmit_first(sk);
	}
	if (ts->in_recovery && ts->sack_ok)
		toy_sack_recovery_ack(sk, sacked);
}

/**
 * toy_write_space() - Wake writers once a third of SO_SNDBUF is free.
 * @sk: the socket.
 *
 * The socket's sk_write_space (toy_sock_setup()), called when ACKs free
 * queued segments and when SO_SNDBUF is set: wakes poll() and sendmsg()
 * waiters, and SIGIO owners unless sending is shut down.
 */
void toy_write_space(struct sock *sk)
{
	struct socket *sock = sk->sk_socket;
	struct socket_wq *wq;

	if (!sock || !__sk_stream_is_writeable(sk, 1))
		return;
	clear_bit(SOCK_NOSPACE, &sock->flags);
	rcu_read_lock();
	wq = rcu_dereference(sk->sk_wq);
	if (skwq_has_sleeper(wq))
		wake_up_interruptible_poll(&wq->wait, EPOLLOUT | EPOLLWRNORM |
					   EPOLLWRBAND);
	if (wq && wq->fasync_list && !(sk->sk_shutdown & SEND_SHUTDOWN))
		sock_wake_async(wq, SOCK_WAKE_SPACE, POLL_OUT);
	rcu_read_unlock();
}

/**
 * toy_ack_check() - May a segment carrying an ACK be processed?
 * @sk: the connection.
 * @ack: the segment's acknowledgment number.
 *
 * tcp_ack()'s first checks.
 *
 * Return:
 * * %TOY_ACK_UNSENT - it acknowledges what we never sent: drop the whole
 *   segment, unanswered (RFC 793 would answer; an answer is how two
 *   confused peers ping-pong ACKs);
 * * %TOY_ACK_BLIND - it is older than any the peer could have seen
 *   (before snd_una - max_window, or before iss): a blind injection (RFC
 *   5961 5.2): drop the segment, data and all, and send a challenge ACK;
 * * %TOY_ACK_OLD - an old duplicate: its data counts, its ACK does not;
 * * %TOY_ACK_OK - the rest.
 */
int toy_ack_check(const struct sock *sk, u32 ack)
{
	const struct toy_sock *ts = toy_sk(sk);
	/* Not even max_window back beyond what was ever acknowledged. */
	u32 max_back = min(ts->max_window, ts->snd_una - ts->iss);

	if (toy_after(ack, ts->snd_max))
		return TOY_ACK_UNSENT;
	if (!toy_before(ack, ts->snd_una))
		return TOY_ACK_OK;
	if (toy_before(ack, ts->snd_una - max_back))
		return TOY_ACK_BLIND;
	return TOY_ACK_OLD;
}

/*
 * RFC 793's window update rule (SND.WL1, SND.WL2): only a segment newer
 * than the last one that updated the window may update it.  True: the
 * window changed.
 */
static bool toy_snd_wnd_update(struct toy_sock *ts, u32 ack, u32 seq,
			       u32 window)
{
	bool changed = false;

	if (toy_before(ts->snd_wl1, seq) ||
	    (ts->snd_wl1 == seq && !toy_before(ack, ts->snd_wl2))) {
		changed = ts->snd_wnd != window;
		ts->snd_wnd = window;
		ts->max_window = max_t(u32, ts->max_window, window);
		ts->snd_wl1 = seq;
		ts->snd_wl2 = ack;
	}
	return changed;
}

/*
 * Free the segments @ack covers; returns how many.  *@rtt_us: a sample
 * from one that went only once (Karn), else unchanged.  *@was_sacked:
 * how many of them were SACKed.
 */
static u32 toy_clean_write_queue(struct sock *sk, u32 ack, u32 *rtt_us,
				 u32 *was_sacked)
{
	struct toy_sock *ts = toy_sk(sk);
	struct sk_buff *skb;
	u32 acked = 0;

	while ((skb = skb_peek(&sk->sk_write_queue))) {
		struct toy_skb_cb *cb = TOY_SKB_CB(skb);

		if (toy_after(cb->end_seq, ack))
			break;
		if (skb == ts->send_head) {
			/* Acked before we resent it (after a timeout). */
			ts->send_head = skb_queue_is_last(&sk->sk_write_queue,
							  skb) ? NULL : skb->next;
		} else if (ts->packets_out) {
			ts->packets_out--;
			if (!cb->retrans)
				*rtt_us = toy_now_us() - cb->sent_us;
			if (!cb->sacked)
				toy_rack_delivered(ts, cb);
		}
		if (cb->sacked) {
			ts->sacked_out--;
			(*was_sacked)++;
		}
		acked++;
		__skb_unlink(skb, &sk->sk_write_queue);
		toy_free_queued(sk, skb);
	}
	return acked;
}

/**
 * toy_ack_rcvd() - Take an acceptable ACK.
 * @sk: the connection.
 * @ack: the acknowledgment number; toy_ack_check() said TOY_ACK_OK.
 * @seq: the segment's sequence number, for the window update rule.
 * @window: the window the segment offers, scaled (in bytes).
 * @pure: no data, no FIN, so it may count as a duplicate ACK.
 * @opt: its options: SACK blocks (toy_sack_rcvd()), timestamps.
 *
 * The window update (RFC 793's SND.WL1 and SND.WL2 rule), then what it
 * acknowledges.  One that acknowledges nothing new is a duplicate ACK
 * while data is in flight if it SACKs new data, or if it is @pure and
 * leaves the window as it was (toy_cc_on_dupack()).  One that
 * acknowledges new data frees the segments it covers, takes an RTT
 * sample (Karn's rule; else from the timestamp it echoes,
 * toy_ts_rtt_us()) or else computes the RTO again, restarts the
 * retransmission timer while data is in flight (RFC 6298 5.3) or stops
 * it, and wakes writers; in SACK recovery it tells PRR what the peer
 * received, and outside it, if it SACKs new data too, it may show a
 * loss as a duplicate ACK would.  Either way, what the windows allow
 * now is sent.
 *
 * Context: socket lock held.
 */
void toy_ack_rcvd(struct sock *sk, u32 ack, u32 seq, u32 window, bool pure,
		  const struct toy_options *opt)
{
	struct toy_sock *ts = toy_sk(sk);
	u32 sacked, acked, rtt_us = 0, was_sacked = 0;
	bool win_changed;

	toy_rack_ack_begin(ts);
	sacked = toy_sack_rcvd(sk, opt);
	win_changed = toy_snd_wnd_update(ts, ack, seq, window);
	/* The peer answered: a probe or a keepalive is not unanswered. */
	ts->probes = 0;

	if (ack == ts->snd_una) {
		if (ts->packets_out && (sacked || (pure && !win_changed)))
			toy_dupack(sk, sacked);
		toy_push(sk);
		return;
	}

	acked = toy_clean_write_queue(sk, ack, &rtt_us, &was_sacked);
	toy_snd_una_update(ts, ack);
	if (toy_after(ack, ts->snd_nxt))
		ts->snd_nxt = ack;
	ts->retries = 0;
	if (!rtt_us)
		rtt_us = toy_ts_rtt_us(sk, opt);
	if (rtt_us)
		toy_rtt_sample(sk, rtt_us);
	else
		ts->rto = toy_calc_rto(ts);
	toy_rate_sample(ts);
	toy_tlp_ack(sk, ack);	/* before recovery may end below */
	if (toy_cc_on_ack(sk, ack, acked))
		toy_retransmit_first(sk);
	else if (ts->in_recovery && ts->sack_ok)
		toy_sack_recovery_ack(sk, acked - was_sacked + sacked);
	else if (sacked && ts->packets_out)
		toy_dupack(sk, sacked);	/* it may show a loss too */

	/* RFC 6298 (5.3): restart the timer while data is in flight. */
	if (ts->packets_out) {
		toy_arm_rto(sk);
		toy_schedule_loss_probe(sk);
	} else {
		toy_timer_stop(sk, &ts->rtx_timer);
	}
	/* A congestion window that is not full may grow: room for it. */
	if (ts->packets_out < ts->cwnd)
		toy_sndbuf_expand(sk);
	sk->sk_write_space(sk);
	toy_push(sk);
}

/**
 * toy_write_queue_purge() - Drop every queued segment.
 * @sk: the connection, which is over.
 *
 * The write queue, its memory given back, and the out-of-order queue;
 * nothing is left in flight or to send.
 *
 * Context: socket lock held, or the socket's destructor.
 */
void toy_write_queue_purge(struct sock *sk)
{
	struct toy_sock *ts = toy_sk(sk);
	struct sk_buff *skb;

	while ((skb = __skb_dequeue(&sk->sk_write_queue)))
		toy_free_queued(sk, skb);
	__skb_queue_purge(&ts->ooo_queue);
	ts->send_head = NULL;
	ts->packets_out = 0;
}
