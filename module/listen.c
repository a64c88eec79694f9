// SPDX-License-Identifier: GPL-2.0
/*
 * AF_TOY passive open: a listener, its children and the accept queue.
 *
 * A listener never carries data.  A SYN to it creates a half-open entry
 * (request.c: a few hundred bytes against a socket's kilobyte; the load
 * message prints both) that sits in the connection table under the
 * connection's 4-tuple and answers with a SYN-ACK.  The ACK that
 * completes the handshake finds the entry in the table; only then is a
 * full socket,
 * the child, made: it takes the listener's port, network namespace,
 * owner uid and socket options, replaces the entry in the table in one
 * step, and waits in the listener's accept queue until accept() hands
 * it to a new file.
 *
 * Limits, as TCP: when the accept queue is full (more than the backlog
 * given to listen(), which the socket layer clamped to
 * net.core.somaxconn), a new SYN is dropped, and so is a completing
 * ACK (its entry stays; the client retransmits).  Both count in
 * ListenOverflows and ListenDrops.  Half-open entries are limited to the
 * backlog for each listener and to net.toy.max_syn_backlog for the
 * namespace; a SYN beyond either is answered with a SYN cookie and no
 * entry (net.toy.syncookies, syncookies.c), or dropped.
 *
 * Closing a listener resets every half-open entry and every child that
 * was never accepted.
 *
 * Locks: the listener's socket lock, then a child's (see the
 * Implementation notes, af_toy.c); an entry's rules are request.c's.
 */

#include <linux/slab.h>
#include <net/sock.h>
#include <net/tcp_states.h>

#include "toy.h"

/**
 * toy_listen_init() - Set up the listener fields of a new stream socket.
 * @sk: the socket.
 *
 * req_lock, the lists of half-open entries and of children, a child's
 * place in one (accept_node), and the SYN cookie state.  Every stream
 * socket gets them (toy_stream_init_sock()): any may listen() later.
 */
void toy_listen_init(struct sock *sk)
{
	struct toy_sock *ts = toy_sk(sk);

	spin_lock_init(&ts->req_lock);
	INIT_HLIST_HEAD(&ts->reqs);
	INIT_LIST_HEAD(&ts->accept_q);
	INIT_LIST_HEAD(&ts->accept_node);
	toy_cookie_listen_init(sk);
}

/*
 * Are the half-open entries at a limit (inet_csk_reqsk_queue_is_full()):
 * the listener's backlog, or net.toy.max_syn_backlog in the namespace?
 * Read without a lock: SYNs on other CPUs may pass it together, by one
 * each at most, as TCP's check lets them.
 */
static bool toy_req_queue_full(struct sock *sk)
{
	struct toy_net *tn = toy_pernet(sock_net(sk));

	return READ_ONCE(toy_sk(sk)->nr_reqs) >=
	       max_t(u32, sk->sk_max_ack_backlog, 1) ||
	       atomic_read(&tn->req_count) >= READ_ONCE(tn->max_syn_backlog);
}

/* Answer SYN @skb to listener @sk with a cookie, keeping nothing. */
static void toy_send_cookie_synack(struct sock *sk, struct sk_buff *skb)
{
	struct toy_seg seg = {
		.seq	= toy_cookie_init_sequence(sk, skb),
		.ack	= ntohl(toy_hdr(skb)->seq) + 1,
		.flags	= TOY_SYN | TOY_ACK,
		.window	= toy_synack_window(sk),
	};
	struct toy_flow flow;

	toy_cookie_synack_options(sk, skb, &seg);
	toy_flow_reply_tuple(&flow, skb);
	toy_flow_route_of(&flow, sk);
	toy_xmit_ctl(sock_net(sk), &flow, &seg);
}

/*
 * A SYN to listener @sk (locked, LISTEN): a new half-open entry, or, as
 * tcp_conn_request() decides, a cookie instead when the entries are at
 * a limit or syncookies is 2.  A SYN that reopens a TIME_WAIT 4-tuple
 * (tw_isn) comes from a peer known to be real and gets an entry
 * whatever the limits, as in TCP.
 */
static void toy_conn_request(struct sock *sk, struct sk_buff *skb)
{
	u32 tw_isn = TOY_SKB_CB(skb)->tw_isn;
	const struct toyhdr *th = toy_hdr(skb);
	const struct iphdr *iph = ip_hdr(skb);
	struct net *net = sock_net(sk);
	struct toy_request *req;
	bool want_cookie = false;

	if (!tw_isn && (READ_ONCE(toy_pernet(net)->syncookies) == 2 ||
			toy_req_queue_full(sk))) {
		want_cookie = toy_syn_flood_action(sk);
		if (!want_cookie)
			goto drop;
	}
	if (sk_acceptq_is_full(sk)) {
		TOY_INC_STATS(net, TOY_MIB_LISTENOVERFLOWS);
		goto drop;
	}
	if (want_cookie) {
		toy_send_cookie_synack(sk, skb);
		kfree_skb(skb);
		return;
	}
	req = toy_req_alloc(sk, skb);
	if (!req)
		goto drop;
	/* Above the old connection's, if it reopens a TIME_WAIT 4-tuple. */
	req->iss = tw_isn;
	if (!req->iss)
		req->iss = toy_isn(iph->daddr, th->dest, iph->saddr,
				   th->source);

	if (toy_req_start(req)) {
		toy_req_put(req);
		goto drop;
	}
	toy_req_put(req);
	kfree_skb(skb);
	return;
drop:
	TOY_INC_STATS(net, TOY_MIB_LISTENDROPS);
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
	/*
	 * Born in the request's state, SYN_RECV, not seen by anyone until
	 * toy_set_state() below makes it ESTABLISHED.
	 */
	child->sk_state = TCP_SYN_RECV;
	toy_sock_setup(child);
	toy_mem_child_init(child, l);

	/* What the child inherits: the uid too, or uid-based rules break. */
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
	cts->nodelay = toy_sk(l)->nodelay;
	cts->cork = toy_sk(l)->cork;

	child->sk_rcv_saddr = rsk->sk_rcv_saddr;
	child->sk_daddr = rsk->sk_daddr;
	child->sk_dport = rsk->sk_dport;

	cts->iss = req->iss;
	cts->snd_una = req->iss + 1;
	cts->bytes_acked = 1;		/* the ACK that made it: our SYN */
	cts->segs_in = 2;		/* the SYN, and that ACK */
	cts->snd_nxt = cts->snd_una;
	cts->snd_max = cts->snd_una;
	cts->write_seq = cts->snd_una;
	cts->irs = req->irs;
	cts->rcv_nxt = req->irs + 1;
	cts->copied_seq = cts->rcv_nxt;
	cts->wscale_ok = req->wscale_ok;
	cts->sack_ok = req->sack_ok;
	cts->ts_ok = req->ts_ok;
	cts->ts_off = toy_ts_offset(child->sk_rcv_saddr, child->sk_daddr);
	cts->ts_recent = req->ts_recent;
	cts->ts_recent_stamp = req->ts_ok ? toy_ts_seconds() : 0;
	cts->snd_wscale = req->snd_wscale;
	cts->rcv_wscale = req->rcv_wscale;
	cts->snd_wnd = (u32)ntohs(th->window) << cts->snd_wscale;
	cts->max_window = cts->snd_wnd;
	cts->snd_wl1 = ntohl(th->seq);
	cts->snd_wl2 = ntohl(th->ack_seq);
	cts->rcv_wnd = req->rcv_wnd;
	cts->rcv_wup = cts->rcv_nxt;
	cts->rcv_tstamp = jiffies;
	cts->lsndtime = jiffies;

	toy_set_state(child, TCP_ESTABLISHED);
	/* As tcp_create_openreq_child(): the inherited SO_KEEPALIVE runs. */
	if (sock_flag(child, SOCK_KEEPOPEN))
		toy_keepalive(child, 1);

	toy_sock_count_new(child);
	return child;
}

/* A child that never made it into the tables. */
static void toy_child_discard(struct sock *child)
{
	toy_stream_stop(child);
	sock_set_flag(child, SOCK_DEAD);
	sk_dst_reset(child);
	toy_sock_count_gone(child);
	sock_put(child);
}

/*
 * The handshake of @req completed with ACK @skb, for listener @sk
 * (locked, not owned): the child replaces the entry in the table and
 * joins the accept queue.  An entry made from a cookie (@cookie) was in
 * no table: it enters it and is replaced at once, under req_lock, so its
 * 4-tuple is checked as any entry's is.  Consumes @skb.
 */
static void toy_req_finish(struct sock *sk, struct toy_request *req,
			   struct sk_buff *skb, bool cookie)
{
	const struct toyhdr *th = toy_hdr(skb);
	struct toy_sock *ts = toy_sk(sk);
	struct sock *child;

	child = toy_child_create(sk, req, th);
	if (!child)
		goto drop;
	/* Listener, then child (the lock order, af_toy.c). */
	bh_lock_sock(child);
	/* A cookie's MSS is the table's, at or below the route's. */
	toy_sk(child)->mss =
		toy_data_mss(toy_sk(child),
			     toy_negotiated_mss(toy_route_mss(child), req->mss,
						req->wscale_ok));
	/* The passive side's first RTT sample: SYN-ACK to ACK, sent once. */
	if (!cookie && !req->retries && req->synack_us)
		toy_rtt_sample(child, toy_now_us() - req->synack_us);
	toy_cc_init(child);
	toy_init_buffer_space(child);

	spin_lock(&ts->req_lock);
	if (cookie ? __toy_req_hash(toy_req_sk(req)) != 0 :
		     hlist_unhashed(&req->lnode)) {
		/*
		 * Its timer or a reset took it meanwhile; or the cookie's
		 * 4-tuple is taken (a connection, or another entry).
		 */
		spin_unlock(&ts->req_lock);
		bh_unlock_sock(child);
		toy_child_discard(child);
		goto drop;
	}
	if (!cookie)
		__toy_req_unlist(req);
	__toy_child_hash(child, sk, toy_req_sk(req));
	spin_unlock(&ts->req_lock);
	if (!cookie)
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

/* The accept queue is full: the ACK is dropped, as TCP drops it. */
static bool toy_acceptq_overflow(struct sock *sk)
{
	if (!sk_acceptq_is_full(sk))
		return false;
	TOY_INC_STATS(sock_net(sk), TOY_MIB_LISTENOVERFLOWS);
	TOY_INC_STATS(sock_net(sk), TOY_MIB_LISTENDROPS);
	return true;
}

/*
 * The ACK of a handshake, for listener @sk (locked, not owned) and its
 * half-open entry @req (a reference we hold).  Consumes @skb.
 */
static void toy_req_complete(struct sock *sk, struct toy_request *req,
			     struct sk_buff *skb)
{
	const struct toyhdr *th = toy_hdr(skb);

	if (ntohl(th->ack_seq) != req->iss + 1) {
		toy_send_reset(sock_net(sk), skb);
		goto drop;
	}
	if (ntohl(th->seq) != req->irs + 1 || th->flags & TOY_SYN)
		goto drop;
	/* As TCP: keep the entry; the client's retransmits retry. */
	if (toy_acceptq_overflow(sk))
		goto drop;
	toy_req_finish(sk, req, skb, false);
	return;
drop:
	kfree_skb(skb);
}

/*
 * An ACK that found no entry at listener @sk (locked, not owned): if it
 * returns one of our cookies, the child is made from it alone
 * (cookie_v4_check(), tcp_get_cookie_sock()).  True if it was a cookie,
 * and @skb is consumed; false: the caller answers with a reset.
 */
static bool toy_cookie_complete(struct sock *sk, struct sk_buff *skb)
{
	const struct toyhdr *th = toy_hdr(skb);
	struct toy_request *req;
	u16 mss;

	if (th->flags & TOY_SYN)
		return false;
	mss = toy_cookie_check(sk, skb);
	if (!mss)
		return false;
	if (toy_acceptq_overflow(sk))
		goto drop;
	req = toy_req_alloc(sk, skb);
	if (!req)
		goto drop;
	/* What the entry would have held, from the ACK and its cookie. */
	req->irs = ntohl(th->seq) - 1;
	req->iss = ntohl(th->ack_seq) - 1;
	req->mss = mss;
	if (!toy_cookie_take_options(sk, skb, req)) {
		toy_req_put(req);
		return false;
	}
	toy_req_finish(sk, req, skb, true);
	toy_req_put(req);
	return true;
drop:
	kfree_skb(skb);
	return true;
}

/**
 * toy_listen_rcv() - A segment for a listener.
 * @sk: the listener, in LISTEN.
 * @skb: the segment.
 *
 * A reset is ignored; a SYN makes a half-open entry (or a cookie),
 * unless it also carries a FIN; an ACK completes the entry of its
 * 4-tuple, or returns a cookie, or is answered with a reset (as TCP
 * answers), but one for a connection that already exists is dropped.
 * Consumes @skb.
 *
 * Context: the listener's socket lock held and not owned by a user (or
 * from the backlog, by the owner); bottom halves off.
 * Return: 0.
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
					  iph->daddr, th->dest,
					  TOY_SKB_CB(skb)->dif,
					  TOY_SKB_CB(skb)->sdif);
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
		if (toy_cookie_complete(sk, skb))
			return 0;
		toy_send_reset(sock_net(sk), skb);
		goto drop;
	}
	if (th->flags & TOY_SYN) {
		/*
		 * SYN and FIN together make no sense to a listener:
		 * tcp_rcv_state_process() discards them.
		 */
		if (th->flags & TOY_FIN)
			goto drop;
		toy_conn_request(sk, skb);
		return 0;
	}
drop:
	kfree_skb(skb);
	return 0;
}

/**
 * toy_listen_stop() - Stop listening.
 * @sk: the listener.
 *
 * For close(), shutdown(SHUT_RD) and connect(AF_UNSPEC): out of the
 * listener table, CLOSE, the cookie state reset, then every half-open
 * entry and every child nobody accepted is reset.  Segments that arrive
 * meanwhile wait in the backlog and find the socket closed.
 *
 * Context: lock_sock() held; may sleep (each child's socket lock).
 */
void toy_listen_stop(struct sock *sk)
{
	struct toy_sock *ts = toy_sk(sk);
	struct toy_request *req;
	struct toy_sock *cts;

	toy_unhash(sk);
	toy_set_state(sk, TCP_CLOSE);
	/* A later listen() starts with no cookies out, as tcp_disconnect(). */
	toy_cookie_listen_init(sk);

	for (;;) {
		struct toy_seg seg = { .flags = TOY_RST | TOY_ACK };
		struct toy_flow flow;

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
		seg.seq = req->iss + 1;
		seg.ack = req->irs + 1;
		toy_flow_tuple(&flow, toy_req_sk(req));
		toy_flow_route_of(&flow, sk);
		toy_xmit_ctl(sock_net(sk), &flow, &seg);
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
			toy_send_active_reset(child);
			toy_done(child);
		}
		release_sock(child);
		toy_sock_count_gone(child);
		sock_put(child);	/* the queue's reference */
	}
}

/**
 * toy_accept() - accept(): hand the oldest child to a new socket.
 * @sock: the listening socket.
 * @newsock: the new socket, which the child is grafted onto.
 * @flags: O_NONBLOCK: do not wait.
 * @kern: unused.
 *
 * Waits for a child (up to SO_RCVTIMEO) unless O_NONBLOCK.  The
 * reference the accept queue held on the child passes to @newsock.
 *
 * Context: process context; may sleep.
 * Return: 0; -EINVAL when @sock is not listening, or stops while we
 * wait; -EAGAIN when no child came in time; -ERESTARTSYS or -EINTR on a
 * signal.
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
