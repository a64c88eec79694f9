// SPDX-License-Identifier: GPL-2.0
/*
 * AF_TOY passive open: half-open entries, children and the accept queue.
 *
 * A listener never carries data.  A SYN to it creates a half-open entry
 * (struct toy_request, toy.h: 232 bytes on x86_64 against 1096 for a
 * socket; the load message prints both) that sits
 * in the connection table under the connection's 4-tuple, answers with
 * a SYN-ACK and retransmits it (1 s, 2 s, 4 s ... up to
 * net.toy.synack_retries), then disappears.  The ACK that completes the
 * handshake finds the entry in the table; only then is a full socket,
 * the child, made: it takes the listener's port, network namespace,
 * owner uid and socket options, replaces the entry in the table in one
 * step, and waits in the listener's accept queue until accept() hands
 * it to a new file.
 *
 * Limits, as TCP: when the accept queue is full (more than the backlog
 * given to listen(), which the socket layer clamped to
 * net.core.somaxconn), a new SYN is dropped, and so is a completing
 * ACK (its entry stays; the client retransmits); half-open entries are
 * limited to the backlog as well.  Both count in ListenOverflows and
 * ListenDrops.
 *
 * Closing a listener resets every half-open entry and every child that
 * was never accepted.
 *
 * Locks, outermost first:
 *   listener socket lock (lock_sock, or bh_lock_sock on the receive path)
 *     -> child socket lock (a child being made or reset)
 *   listener req_lock (its entry list)
 *     -> bind slot -> connection slot (ports.c)
 * An entry's timer takes only req_lock.  An entry is on the listener's
 * list exactly while it is in the connection table; both change under
 * req_lock, and whoever takes it off (timer, completing ACK, reset,
 * close) is the one that drops the table's reference.
 */

#include <linux/slab.h>
#include <net/sock.h>
#include <net/tcp_states.h>

#include "toy.h"

#define TOY_SYNACK_RTO	HZ
#define TOY_RTO_MAX	(120 * HZ)

void toy_listen_init(struct sock *sk)
{
	struct toy_sock *ts = toy_sk(sk);

	spin_lock_init(&ts->req_lock);
	INIT_HLIST_HEAD(&ts->reqs);
	INIT_LIST_HEAD(&ts->accept_q);
	INIT_LIST_HEAD(&ts->accept_node);
}

void toy_req_put(struct toy_request *req)
{
	if (refcount_dec_and_test(&req->common.skc_refcnt)) {
		sock_put(req->listener);
		toy_live_dec(TOY_LIVE_REQ);
		kfree_rcu(req, rcu);
	}
}

static void toy_send_synack(struct toy_request *req)
{
	struct sock *rsk = toy_req_sk(req);
	struct sock *l = req->listener;
	struct toy_xmit_ctx ctx;

	toy_xmit_ctx_of(l, &ctx);
	toy_xmit_ctl(sock_net(rsk), &ctx, rsk->sk_rcv_saddr,
		     htons(rsk->sk_num), rsk->sk_daddr, rsk->sk_dport,
		     req->iss, req->irs + 1, TOY_SYN | TOY_ACK,
		     min_t(u32, READ_ONCE(l->sk_rcvbuf) / 2, TOY_MAX_WINDOW));
}

/* Off the listener's list and the table; caller holds req_lock. */
static void __toy_req_unlink(struct toy_request *req)
{
	struct toy_sock *lts = toy_sk(req->listener);

	hlist_del_init(&req->lnode);
	lts->nr_reqs--;
	__toy_req_unhash(toy_req_sk(req));
}

static void toy_req_stop_timer(struct toy_request *req)
{
	if (del_timer(&req->timer)) {
		toy_live_dec(TOY_LIVE_TIMER);
		toy_req_put(req);
	}
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
		if (READ_ONCE(l->sk_state) == TCP_LISTEN && req->retries < max) {
			req->retries++;
			mod_timer(&req->timer, jiffies +
				  min_t(unsigned long,
					TOY_SYNACK_RTO << req->retries,
					TOY_RTO_MAX));
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

/* A SYN to listener @sk (locked, LISTEN): a new half-open entry. */
static void toy_conn_request(struct sock *sk, struct sk_buff *skb)
{
	const struct toyhdr *th = toy_hdr(skb);
	const struct iphdr *iph = ip_hdr(skb);
	struct toy_sock *ts = toy_sk(sk);
	struct toy_request *req;
	struct sock *rsk;

	if (sk_acceptq_is_full(sk)) {
		TOY_INC_STATS(sock_net(sk), TOY_MIB_LISTENOVERFLOWS);
		goto drop;
	}
	if (READ_ONCE(ts->nr_reqs) >= max_t(u32, sk->sk_max_ack_backlog, 1))
		goto drop;
	req = kzalloc(sizeof(*req), GFP_ATOMIC | __GFP_ACCOUNT);
	if (!req)
		goto drop;

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
	/* Above the old connection's, if it reopens a TIME_WAIT 4-tuple. */
	req->iss = TOY_SKB_CB(skb)->tw_isn;
	if (!req->iss)
		req->iss = toy_isn(iph->daddr, th->dest, iph->saddr,
				   th->source);
	req->window = ntohs(th->window);
	timer_setup(&req->timer, toy_req_timer, 0);
	toy_live_inc(TOY_LIVE_REQ);

	spin_lock(&ts->req_lock);
	if (__toy_req_hash(rsk)) {
		spin_unlock(&ts->req_lock);
		toy_req_put(req);
		goto drop;
	}
	hlist_add_head(&req->lnode, &ts->reqs);
	ts->nr_reqs++;
	refcount_inc(&rsk->sk_refcnt);		/* the timer's */
	toy_live_inc(TOY_LIVE_TIMER);
	mod_timer(&req->timer, jiffies + TOY_SYNACK_RTO);
	spin_unlock(&ts->req_lock);

	toy_send_synack(req);
	toy_req_put(req);
	kfree_skb(skb);
	return;
drop:
	TOY_INC_STATS(sock_net(sk), TOY_MIB_LISTENDROPS);
	kfree_skb(skb);
}

/*
 * The child of listener @l for @req: a new socket with the listener's
 * options, ESTABLISHED, not yet in any table; or NULL.
 */
static struct sock *toy_child_create(struct sock *l, struct toy_request *req,
				     const struct toyhdr *th)
{
	struct sock *rsk = toy_req_sk(req);
	struct net *net = sock_net(l);
	struct toy_sock *cts;
	struct sock *child;

	child = sk_alloc(net, l->sk_family, GFP_ATOMIC, l->sk_prot,
			 !l->sk_net_refcnt);
	if (!child)
		return NULL;
	sock_init_data_uid(NULL, child, l->sk_uid);
	child->sk_type = SOCK_STREAM;
	toy_sock_setup(child);
	toy_mem_child_init(child, l);

	/* What the child inherits (the anchors' lesson: the uid too). */
	child->sk_rcvbuf = READ_ONCE(l->sk_rcvbuf);
	child->sk_sndbuf = READ_ONCE(l->sk_sndbuf);
	child->sk_userlocks = l->sk_userlocks &
			      (SOCK_SNDBUF_LOCK | SOCK_RCVBUF_LOCK);
	child->sk_reuse = l->sk_reuse;
	child->sk_reuseport = l->sk_reuseport;
	child->sk_bound_dev_if = l->sk_bound_dev_if;
	child->sk_mark = READ_ONCE(l->sk_mark);
	child->sk_priority = READ_ONCE(l->sk_priority);
	child->sk_rcvtimeo = READ_ONCE(l->sk_rcvtimeo);
	child->sk_sndtimeo = READ_ONCE(l->sk_sndtimeo);
	child->sk_rcvlowat = READ_ONCE(l->sk_rcvlowat);
	child->sk_lingertime = READ_ONCE(l->sk_lingertime);
	if (sock_flag(l, SOCK_LINGER))
		sock_set_flag(child, SOCK_LINGER);
	if (sock_flag(l, SOCK_KEEPOPEN))
		sock_set_flag(child, SOCK_KEEPOPEN);
	cts = toy_sk(child);
	cts->keepidle = toy_sk(l)->keepidle;
	cts->keepintvl = toy_sk(l)->keepintvl;
	cts->keepcnt = toy_sk(l)->keepcnt;

	child->sk_rcv_saddr = rsk->sk_rcv_saddr;
	child->sk_daddr = rsk->sk_daddr;
	child->sk_dport = rsk->sk_dport;

	cts->iss = req->iss;
	cts->snd_una = req->iss + 1;
	cts->snd_nxt = cts->snd_una;
	cts->snd_max = cts->snd_una;
	cts->write_seq = cts->snd_una;
	cts->irs = req->irs;
	cts->rcv_nxt = req->irs + 1;
	cts->copied_seq = cts->rcv_nxt;
	cts->snd_wnd = ntohs(th->window);
	cts->max_window = cts->snd_wnd;
	cts->snd_wl1 = ntohl(th->seq);
	cts->snd_wl2 = ntohl(th->ack_seq);
	cts->rcv_wnd = min_t(u32, child->sk_rcvbuf / 2, TOY_MAX_WINDOW);
	cts->rcv_wup = cts->rcv_nxt;
	cts->rcv_tstamp = jiffies;
	cts->lsndtime = jiffies;

	child->sk_state = TCP_ESTABLISHED;
	/* As tcp_create_openreq_child(): the inherited SO_KEEPALIVE runs. */
	if (sock_flag(child, SOCK_KEEPOPEN))
		toy_keepalive(child, 1);

	toy_live_inc(TOY_LIVE_SOCK);
	sock_prot_inuse_add(net, child->sk_prot, 1);
	TOY_INC_STATS(net, TOY_MIB_SOCKCREATE);
	return child;
}

/* A child that never made it into the tables. */
static void toy_child_discard(struct sock *child)
{
	toy_stream_stop(child);
	sock_set_flag(child, SOCK_DEAD);
	sk_dst_reset(child);
	sock_prot_inuse_add(sock_net(child), child->sk_prot, -1);
	TOY_INC_STATS(sock_net(child), TOY_MIB_SOCKRELEASE);
	sock_put(child);
}

/*
 * The ACK of a handshake, for listener @sk (locked, not owned) and its
 * half-open entry @req (a reference we hold).  Consumes @skb.
 */
static void toy_req_complete(struct sock *sk, struct toy_request *req,
			     struct sk_buff *skb)
{
	const struct toyhdr *th = toy_hdr(skb);
	struct toy_sock *ts = toy_sk(sk);
	struct sock *child;

	if (ntohl(th->ack_seq) != req->iss + 1) {
		toy_send_reset(sock_net(sk), skb);
		goto drop;
	}
	if (ntohl(th->seq) != req->irs + 1 || th->flags & TOY_SYN)
		goto drop;
	if (sk_acceptq_is_full(sk)) {
		/* As TCP: keep the entry; the client's retransmits retry. */
		TOY_INC_STATS(sock_net(sk), TOY_MIB_LISTENOVERFLOWS);
		TOY_INC_STATS(sock_net(sk), TOY_MIB_LISTENDROPS);
		goto drop;
	}
	child = toy_child_create(sk, req, th);
	if (!child)
		goto drop;
	/* Listener, then child (listen.c's lock order). */
	bh_lock_sock(child);
	toy_sk(child)->mss = toy_route_mss(child);
	toy_init_cc(child);

	spin_lock(&ts->req_lock);
	if (hlist_unhashed(&req->lnode)) {
		/* Its timer or a reset took it meanwhile. */
		spin_unlock(&ts->req_lock);
		bh_unlock_sock(child);
		toy_child_discard(child);
		goto drop;
	}
	hlist_del_init(&req->lnode);
	ts->nr_reqs--;
	__toy_child_hash(child, sk, toy_req_sk(req));
	spin_unlock(&ts->req_lock);
	toy_req_stop_timer(req);

	/* The child's first reference (sk_alloc()) is the queue's. */
	list_add_tail(&toy_sk(child)->accept_node, &ts->accept_q);
	sk_acceptq_added(sk);
	TOY_INC_STATS(sock_net(sk), TOY_MIB_PASSIVEOPENS);

	/* Data or a FIN may ride on the ACK. */
	toy_rcv_state(child, skb);
	bh_unlock_sock(child);
	sk->sk_data_ready(sk);
	return;
drop:
	kfree_skb(skb);
}

/*
 * A segment for listener @sk (locked, not owned; LISTEN).  Consumes
 * @skb.  A reset is ignored; a SYN makes a half-open entry; an ACK
 * completes the entry of its 4-tuple, or is answered with a reset when
 * there is none (as TCP answers).
 */
int toy_listen_rcv(struct sock *sk, struct sk_buff *skb)
{
	const struct toyhdr *th = toy_hdr(skb);
	const struct iphdr *iph = ip_hdr(skb);
	struct sock *found;

	if (th->flags & TOY_RST)
		goto drop;
	if (th->flags & TOY_ACK) {
		found = toy_lookup_stream(sock_net(sk), iph->saddr, th->source,
					  iph->daddr, th->dest);
		if (found && toy_is_req(found) &&
		    toy_req(found)->listener == sk) {
			toy_req_complete(sk, toy_req(found), skb);
			toy_req_put(toy_req(found));
			return 0;
		}
		/* A child that already exists: a duplicate, dropped. */
		if (found && found != sk && !toy_is_req(found)) {
			toy_sk_put(found);
			goto drop;
		}
		if (found)
			toy_sk_put(found);
		toy_send_reset(sock_net(sk), skb);
		goto drop;
	}
	if (th->flags & TOY_SYN) {
		toy_conn_request(sk, skb);
		return 0;
	}
drop:
	kfree_skb(skb);
	return 0;
}

/*
 * A segment the receive path found a half-open entry for (no lock
 * held).  Consumes @skb and the reference on @rsk.  A reset at the
 * right sequence number ends the entry; a retransmitted SYN gets the
 * SYN-ACK again; an ACK goes to the listener, which completes the
 * handshake under its lock.
 */
void toy_req_rcv(struct sock *rsk, struct sk_buff *skb)
{
	const struct toyhdr *th = toy_hdr(skb);
	struct toy_request *req = toy_req(rsk);
	struct sock *l = req->listener;
	u32 seq = ntohl(th->seq);

	if (th->flags & TOY_RST) {
		if (seq == req->irs + 1) {
			struct toy_sock *lts = toy_sk(l);
			bool mine = false;

			spin_lock(&lts->req_lock);
			if (!hlist_unhashed(&req->lnode)) {
				__toy_req_unlink(req);
				mine = true;
			}
			spin_unlock(&lts->req_lock);
			if (mine)
				toy_req_stop_timer(req);
		}
		goto drop;
	}
	if (th->flags & TOY_SYN) {
		if (!(th->flags & TOY_ACK) && seq == req->irs)
			toy_send_synack(req);
		goto drop;
	}
	if (!(th->flags & TOY_ACK))
		goto drop;
	sock_hold(l);
	toy_req_put(req);
	toy_stream_rcv(l, skb);
	return;
drop:
	kfree_skb(skb);
	toy_req_put(req);
}

/*
 * close() of a listener, or shutdown(SHUT_RD) and connect(AF_UNSPEC) of
 * one (socket locked and owned): out of the listener table, then every
 * half-open entry and every child nobody accepted is reset.  Segments
 * that arrive meanwhile wait in the backlog and find the socket closed.
 */
void toy_listen_stop(struct sock *sk)
{
	struct toy_sock *ts = toy_sk(sk);
	struct toy_request *req;
	struct toy_sock *cts;

	toy_unhash(sk);
	toy_set_state(sk, TCP_CLOSE);

	for (;;) {
		struct sock *rsk;
		struct toy_xmit_ctx ctx;

		spin_lock_bh(&ts->req_lock);
		req = hlist_empty(&ts->reqs) ? NULL :
		      hlist_entry(ts->reqs.first, struct toy_request, lnode);
		if (req) {
			refcount_inc(&req->common.skc_refcnt);
			__toy_req_unlink(req);
		}
		spin_unlock_bh(&ts->req_lock);
		if (!req)
			break;
		rsk = toy_req_sk(req);
		toy_xmit_ctx_of(sk, &ctx);
		toy_xmit_ctl(sock_net(sk), &ctx, rsk->sk_rcv_saddr,
			     htons(rsk->sk_num), rsk->sk_daddr, rsk->sk_dport,
			     req->iss + 1, req->irs + 1, TOY_RST | TOY_ACK, 0);
		toy_req_stop_timer(req);
		toy_req_put(req);
	}

	while ((cts = list_first_entry_or_null(&ts->accept_q, struct toy_sock,
					       accept_node))) {
		struct sock *child = &cts->sk;

		list_del_init(&cts->accept_node);
		sk_acceptq_removed(sk);
		lock_sock_nested(child, SINGLE_DEPTH_NESTING);
		sock_orphan(child);
		if (child->sk_state != TCP_CLOSE) {
			if (child->sk_state != TCP_TIME_WAIT)
				toy_send_active_reset(child);
			toy_done(child);
		}
		release_sock(child);
		sock_prot_inuse_add(sock_net(child), child->sk_prot, -1);
		TOY_INC_STATS(sock_net(child), TOY_MIB_SOCKRELEASE);
		sock_put(child);	/* the queue's reference */
	}
}

/*
 * accept(): the oldest child, grafted onto @newsock.  Blocks (up to
 * SO_RCVTIMEO) unless O_NONBLOCK; EINVAL when not listening.
 */
int toy_accept(struct socket *sock, struct socket *newsock, int flags,
	       bool kern)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	struct sock *sk = sock->sk;
	struct toy_sock *ts = toy_sk(sk);
	struct toy_sock *cts;
	struct sock *child;
	long timeo;
	int err;

	lock_sock(sk);
	err = -EINVAL;
	if (sk->sk_state != TCP_LISTEN)
		goto out;
	timeo = sock_rcvtimeo(sk, flags & O_NONBLOCK);
	add_wait_queue_exclusive(sk_sleep(sk), &wait);
	while (list_empty(&ts->accept_q)) {
		err = -EAGAIN;
		if (!timeo)
			break;
		release_sock(sk);
		timeo = wait_woken(&wait, TASK_INTERRUPTIBLE, timeo);
		lock_sock(sk);
		err = -EINVAL;
		if (sk->sk_state != TCP_LISTEN)
			break;
		err = sock_intr_errno(timeo);
		if (signal_pending(current))
			break;
		err = -EAGAIN;
	}
	remove_wait_queue(sk_sleep(sk), &wait);
	if (list_empty(&ts->accept_q) || sk->sk_state != TCP_LISTEN)
		goto out;

	cts = list_first_entry(&ts->accept_q, struct toy_sock, accept_node);
	list_del_init(&cts->accept_node);
	sk_acceptq_removed(sk);
	release_sock(sk);

	child = &cts->sk;
	lock_sock(child);
	sock_graft(child, newsock);
	newsock->state = SS_CONNECTED;
	release_sock(child);
	return 0;
out:
	release_sock(sk);
	return err;
}
