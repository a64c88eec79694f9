// SPDX-License-Identifier: GPL-2.0
/*
 * AF_TOY half-open entries: a listener's memory of a SYN it answered.
 *
 * An entry (struct toy_request, toy.h: a quarter of a socket's size) is
 * made for a SYN that a listener accepts (listen.c), enters the
 * connection table under the connection's 4-tuple and its listener's
 * list, answers with a SYN-ACK, and retransmits it (1 s, 2 s, 4 s ...
 * up to net.toy.synack_retries) from its timer; then it disappears.
 *
 * What an entry does with a segment (toy_req_rcv(), as tcp_check_req()):
 *   - an ACK goes to the listener, which completes the handshake under
 *     its lock and makes the child (listen.c);
 *   - a reset at the right sequence number ends the entry;
 *   - the same SYN again is answered with the SYN-ACK again; a SYN with
 *     a wrong ACK gets a reset; one outside the window offered, an ACK
 *     that restates where we are; one inside it means the peer started
 *     over: the entry is reset and dropped.
 * The answers to what an attacker may send at will go out at most once
 * per net.toy.invalid_ratelimit per entry.
 *
 * References and locks: an entry holds its listener; the connection
 * table and the armed timer each hold the entry.  It is on the
 * listener's list exactly while it is in the connection table; both
 * change under the listener's req_lock, and whoever takes it off (timer,
 * completing ACK, reset, close) drops the table's reference.  The timer
 * takes only req_lock, never the listener's socket lock.
 */

#include <linux/slab.h>
#include <net/sock.h>
#include <net/tcp_states.h>

#include "toy.h"

#define TOY_SYNACK_RTO	HZ	/* the first SYN-ACK retransmission */

/**
 * toy_req_put() - Drop a reference on a half-open entry.
 * @req: the entry.
 *
 * The last one drops the entry's reference on its listener and frees the
 * entry after an RCU grace period.
 */
void toy_req_put(struct toy_request *req)
{
	if (refcount_dec_and_test(&req->common.skc_refcnt)) {
		sock_put(req->listener);
		toy_live_dec(TOY_LIVE_REQ);
		kfree_rcu(req, rcu);
	}
}

/**
 * toy_synack_window() - The window a listener's SYN-ACK offers.
 * @l: the listener.
 *
 * Return: half its receive buffer, at most TOY_MAX_WINDOW.
 */
u16 toy_synack_window(const struct sock *l)
{
	return min_t(u32, READ_ONCE(l->sk_rcvbuf) / 2, TOY_MAX_WINDOW);
}

/* A segment with no data from @req's side of the connection. */
static void toy_req_xmit(struct toy_request *req, u32 seq, u8 flags)
{
	struct sock *rsk = toy_req_sk(req);
	struct toy_seg seg = {
		.seq	= seq,
		.ack	= req->irs + 1,
		.flags	= flags,
		/* A SYN-ACK's window is never scaled; an ACK's is. */
		.window	= flags & TOY_SYN ? req->rcv_wnd :
			  req->rcv_wnd >> req->rcv_wscale,
		.wscale	= req->rcv_wscale,
		.wscale_ok = req->wscale_ok,
		.sack_ok = req->sack_ok,
	};
	struct toy_flow flow;

	if (req->ts_ok)
		toy_seg_set_ts(&seg, toy_ts_offset(rsk->sk_rcv_saddr,
						   rsk->sk_daddr),
			       req->ts_recent);
	toy_flow_tuple(&flow, rsk);
	toy_flow_route_of(&flow, req->listener);
	toy_xmit_ctl(sock_net(rsk), &flow, &seg);
}

/**
 * toy_send_synack() - Send a half-open entry's SYN-ACK (again).
 * @req: the entry.
 *
 * From the entry's ISN, acknowledging the peer's SYN and offering the
 * entry's window, routed as the listener's own segments are.
 */
void toy_send_synack(struct toy_request *req)
{
	toy_req_xmit(req, req->iss, TOY_SYN | TOY_ACK);
}

/**
 * __toy_req_insert() - Put a new half-open entry in the tables.
 * @req: the entry, in none yet.
 *
 * Into the connection table (which takes a reference) and onto the
 * listener's list, counted for the listener and the namespace.
 *
 * Context: the listener's req_lock held, bottom halves off.
 * Return: 0, or -EADDRNOTAVAIL if its 4-tuple is taken.
 */
int __toy_req_insert(struct toy_request *req)
{
	struct toy_sock *lts = toy_sk(req->listener);
	int err;

	err = __toy_req_hash(toy_req_sk(req));
	if (err)
		return err;
	hlist_add_head(&req->lnode, &lts->reqs);
	lts->nr_reqs++;
	atomic_inc(&toy_pernet(sock_net(req->listener))->req_count);
	return 0;
}

/**
 * __toy_req_unlist() - Take a half-open entry off its listener's list.
 * @req: the entry, on the list.
 *
 * Uncounted too.  It stays in the connection table: a completing
 * handshake replaces it there with the child (__toy_child_hash()).
 *
 * Context: the listener's req_lock held.
 */
void __toy_req_unlist(struct toy_request *req)
{
	struct toy_sock *lts = toy_sk(req->listener);

	hlist_del_init(&req->lnode);
	lts->nr_reqs--;
	atomic_dec(&toy_pernet(sock_net(req->listener))->req_count);
}

/**
 * __toy_req_unlink() - Take a half-open entry off its list and the table.
 * @req: the entry, on the list.
 *
 * Leaving the connection table drops the table's reference; the caller
 * has one of its own.
 *
 * Context: the listener's req_lock held, bottom halves off.
 */
void __toy_req_unlink(struct toy_request *req)
{
	__toy_req_unlist(req);
	__toy_req_unhash(toy_req_sk(req));
}

/**
 * toy_req_stop_timer() - Disarm a half-open entry's timer.
 * @req: the entry, already off its listener's list.
 *
 * If the timer was pending, its reference and live count are dropped.
 * A handler already running finds the entry off the list, does not
 * rearm, and drops its own.
 */
void toy_req_stop_timer(struct toy_request *req)
{
	if (del_timer(&req->timer)) {
		toy_live_dec(TOY_LIVE_TIMER);
		toy_req_put(req);
	}
}

/*
 * The n-th retransmission waits TOY_SYNACK_RTO << n, at most TOY_RTO_MAX,
 * computed in 64 bits as reqsk_timeout() does: synack_retries goes up
 * to 255, and a shift that wide would be undefined.
 */
static unsigned long toy_synack_timeout(u8 retries)
{
	u64 when = (u64)TOY_SYNACK_RTO << min_t(u8, retries, 32);

	return (unsigned long)min_t(u64, when, TOY_RTO_MAX);
}

/* Retransmit the SYN-ACK, or give up; never touches the listener lock. */
static void toy_req_timer(struct timer_list *t)
{
	struct toy_request *req = from_timer(req, t, timer);
	struct sock *l = req->listener;
	struct toy_sock *lts = toy_sk(l);
	int max = READ_ONCE(toy_pernet(sock_net(l))->synack_retries);
	bool again = false;

	spin_lock(&lts->req_lock);
	if (!hlist_unhashed(&req->lnode)) {
		if (toy_state_load(l) == TCP_LISTEN && req->retries < max) {
			req->retries++;
			mod_timer(&req->timer,
				  jiffies + toy_synack_timeout(req->retries));
			/* The timer keeps its reference; this one is ours. */
			refcount_inc(&req->common.skc_refcnt);
			again = true;
		} else {
			__toy_req_unlink(req);
		}
	}
	spin_unlock(&lts->req_lock);
	if (again) {
		toy_send_synack(req);
		toy_req_put(req);
		return;
	}
	toy_live_dec(TOY_LIVE_TIMER);
	toy_req_put(req);
}

/**
 * toy_req_alloc() - A new half-open entry for a listener.
 * @sk: the listener.
 * @skb: the SYN (or the ACK that returns a cookie).
 *
 * Filled in from @skb and @sk: the 4-tuple, the peer's ISN, the window
 * our SYN-ACK offers and, from a SYN, the options (from an ACK that
 * returns a cookie, the caller sets both ISNs and the MSS itself).  Not
 * yet in any table, its timer not armed, its own ISN not chosen; it
 * holds a reference on @sk.  Allocated with GFP_ATOMIC.
 *
 * Return: the entry, with one reference (the caller's), or NULL.
 */
struct toy_request *toy_req_alloc(struct sock *sk, struct sk_buff *skb)
{
	const struct toyhdr *th = toy_hdr(skb);
	const struct iphdr *iph = ip_hdr(skb);
	struct toy_request *req;
	struct sock *rsk;

	req = kzalloc(sizeof(*req), GFP_ATOMIC | __GFP_ACCOUNT);
	if (!req)
		return NULL;

	rsk = toy_req_sk(req);
	rsk->sk_family = sk->sk_family;
	rsk->sk_state = TCP_NEW_SYN_RECV;
	write_pnet(&rsk->sk_net, sock_net(sk));
	rsk->sk_rcv_saddr = iph->daddr;
	rsk->sk_num = sk->sk_num;
	rsk->sk_daddr = iph->saddr;
	rsk->sk_dport = th->source;
	refcount_set(&rsk->sk_refcnt, 1);	/* ours, until the end */
	sock_hold(sk);
	req->listener = sk;
	req->irs = ntohl(th->seq);
	req->rcv_wnd = toy_synack_window(sk);
	if (th->flags & TOY_SYN) {
		struct toy_options opt;

		toy_parse_options(th, &opt);	/* toy_rcv() found them good */
		toy_req_take_options(req, sk, &opt);
	}
	timer_setup(&req->timer, toy_req_timer, 0);
	toy_live_inc(TOY_LIVE_REQ);
	return req;
}

/**
 * toy_req_drop() - Take a half-open entry off its listener and the table.
 * @req: the entry.
 *
 * If it is still there; its timer is stopped too.
 *
 * Context: bottom halves off (the receive path); takes req_lock.
 * Return: true if this call took it off (and so may answer for it).
 */
bool toy_req_drop(struct toy_request *req)
{
	struct toy_sock *lts = toy_sk(req->listener);
	bool mine = false;

	spin_lock(&lts->req_lock);
	if (!hlist_unhashed(&req->lnode)) {
		__toy_req_unlink(req);
		mine = true;
	}
	spin_unlock(&lts->req_lock);
	if (mine)
		toy_req_stop_timer(req);
	return mine;
}

/**
 * toy_req_in_window() - tcp_in_window(): does a segment touch a window?
 * @seq: the segment's first sequence number.
 * @end_seq: the sequence number after it (data, SYN and FIN counted).
 * @s_win: the window's left edge.
 * @e_win: its right edge.
 *
 * Return: true if [@seq, @end_seq) touches [@s_win, @e_win): it starts at
 * @s_win, overlaps the window, or is empty and sits at @e_win.
 */
bool toy_req_in_window(u32 seq, u32 end_seq, u32 s_win, u32 e_win)
{
	if (seq == s_win)
		return true;
	if (toy_after(end_seq, s_win) && toy_before(seq, e_win))
		return true;
	return seq == e_win && seq == end_seq;
}

/*
 * Answers to segments an attacker may send at will (the same SYN again,
 * a SYN out of the window) go at most once per net.toy.invalid_ratelimit
 * for each entry (toy_oow_rate_limited()).
 */
static bool toy_req_oow_rate_limited(struct toy_request *req)
{
	return toy_oow_rate_limited(sock_net(toy_req_sk(req)),
				    &req->last_oow_ack,
				    TOY_MIB_ACKSKIPPEDSYNRECV);
}

/*
 * A SYN for half-open entry @req (no lock held), as tcp_check_req():
 * the SYN it has already seen is answered with the SYN-ACK again; one
 * whose ACK is wrong gets the reset a listener gives; one outside the
 * window our SYN-ACK offered is answered with an ACK that restates
 * where we are; one inside it means the peer started over, and the
 * entry is reset and dropped (embryonic reset).  Does not consume @skb.
 */
static void toy_req_syn(struct toy_request *req, struct sk_buff *skb)
{
	const struct toyhdr *th = toy_hdr(skb);
	struct net *net = sock_net(req->listener);
	u32 seq = ntohl(th->seq);
	u32 end_seq = seq + skb->len - toy_hdr_len(th) + 1 +
		      !!(th->flags & TOY_FIN);
	u32 rcv_nxt = req->irs + 1;

	if (th->flags == TOY_SYN && seq == req->irs) {
		if (!toy_req_oow_rate_limited(req)) {
			req->synack_us = 0;	/* Karn: sent twice, no sample */
			toy_send_synack(req);
		}
		return;
	}
	if (th->flags & TOY_ACK && ntohl(th->ack_seq) != req->iss + 1) {
		toy_send_reset(net, skb);
		return;
	}
	if (!toy_req_in_window(seq, end_seq, rcv_nxt, rcv_nxt + req->rcv_wnd)) {
		if (!toy_req_oow_rate_limited(req))
			toy_req_xmit(req, req->iss + 1, TOY_ACK);
		return;
	}
	if (toy_req_drop(req)) {
		toy_send_reset(net, skb);
		TOY_INC_STATS(net, TOY_MIB_ATTEMPTFAILS);
	}
}

/*
 * @skb's entry turned out to be stale: deliver it as if the receive
 * path had not found the entry (tcp_v4_rcv()'s "goto lookup").  Another
 * entry found again means the table is changing under us: the segment
 * is dropped, and the peer retransmits.
 */
static void toy_rcv_again(struct net *net, struct sk_buff *skb)
{
	const struct toyhdr *th = toy_hdr(skb);
	const struct iphdr *iph = ip_hdr(skb);
	struct sock *sk;

	sk = toy_lookup_stream(net, iph->saddr, th->source, iph->daddr,
			       th->dest, TOY_SKB_CB(skb)->dif,
			       TOY_SKB_CB(skb)->sdif);
	if (!sk) {
		toy_send_reset(net, skb);
		kfree_skb(skb);
		return;
	}
	if (toy_is_req(sk)) {
		toy_req_put(toy_req(sk));
		kfree_skb(skb);
		return;
	}
	toy_stream_rcv(sk, skb);
}

/**
 * toy_req_rcv() - A segment the receive path found a half-open entry for.
 * @rsk: the entry, with the lookup's reference.
 * @skb: the segment.
 *
 * A reset at the right sequence number ends the entry; a SYN is handled
 * as toy_req_syn() says; an ACK goes to the listener, which completes
 * the handshake under its lock (toy_listen_rcv(), or its backlog while a
 * user holds it).  An entry that is gone, or whose listener no longer
 * listens, is dropped and the segment looked up again.  Consumes @skb
 * and the reference on @rsk.
 *
 * Context: softirq, no lock held; takes the listener's socket lock.
 */
void toy_req_rcv(struct sock *rsk, struct sk_buff *skb)
{
	const struct toyhdr *th = toy_hdr(skb);
	struct toy_request *req = toy_req(rsk);
	struct sock *l = req->listener;
	struct net *net = sock_net(l);

	if (th->flags & TOY_RST) {
		if (ntohl(th->seq) == req->irs + 1)
			toy_req_drop(req);
		goto drop;
	}
	if (th->flags & TOY_SYN) {
		toy_req_syn(req, skb);
		goto drop;
	}
	if (!(th->flags & TOY_ACK))
		goto drop;
	/*
	 * As tcp_v4_rcv(): an entry that is gone (its timer, a reset), or
	 * whose listener stopped listening (closed, or disconnected and
	 * perhaps listening or connecting again since), owns nothing: the
	 * entry is dropped and the segment looked up again.  The state is
	 * read under the listener's lock, where it cannot change but to
	 * CLOSE before a backlogged segment is processed.
	 */
	bh_lock_sock_nested(l);
	if (l->sk_state != TCP_LISTEN ||
	    hlist_unhashed_lockless(&req->lnode)) {
		bh_unlock_sock(l);
		toy_req_drop(req);
		toy_req_put(req);
		toy_rcv_again(net, skb);
		return;
	}
	if (!sock_owned_by_user(l))
		toy_listen_rcv(l, skb);
	else if (sk_add_backlog(l, skb, READ_ONCE(l->sk_rcvbuf) +
				READ_ONCE(l->sk_sndbuf)))
		kfree_skb(skb);
	bh_unlock_sock(l);
	toy_req_put(req);	/* it held the listener for us */
	return;
drop:
	kfree_skb(skb);
	toy_req_put(req);
}

/**
 * toy_req_start() - Start a new half-open entry.
 * @req: the entry, new, its ISN chosen.
 *
 * It enters the table and its listener's list, and answers its SYN; its
 * timer will send the SYN-ACK again.  The caller's reference stays the
 * caller's.
 *
 * Context: bottom halves off (the listener's receive path); takes
 * req_lock.
 * Return: 0, or -EADDRNOTAVAIL if the 4-tuple is taken (the same SYN on
 * another CPU, say): then @req is in no table, its timer not armed.
 */
int toy_req_start(struct toy_request *req)
{
	struct toy_sock *lts = toy_sk(req->listener);

	spin_lock(&lts->req_lock);
	if (__toy_req_insert(req)) {
		spin_unlock(&lts->req_lock);
		return -EADDRNOTAVAIL;
	}
	refcount_inc(&req->common.skc_refcnt);	/* the timer's */
	toy_live_inc(TOY_LIVE_TIMER);
	mod_timer(&req->timer, jiffies + TOY_SYNACK_RTO);
	spin_unlock(&lts->req_lock);
	req->synack_us = toy_now_us();
	toy_send_synack(req);
	return 0;
}
