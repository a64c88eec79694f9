// SPDX-License-Identifier: GPL-2.0
/*
 * AF_TOY passive open: half-open entries, children and the accept queue.
 *
 * A listener never carries data.  A SYN to it creates a half-open entry
 * (struct toy_request, toy.h: 240 bytes on x86_64 against 1104 for a
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
 * ACK (its entry stays; the client retransmits).  Both count in
 * ListenOverflows and ListenDrops.  Half-open entries are limited to the
 * backlog for each listener and to net.toy.max_syn_backlog for the
 * namespace; a SYN beyond either is answered with a SYN cookie and no
 * entry (net.toy.syncookies, syncookies.c), or dropped.
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
	toy_cookie_listen_init(sk);
}

void toy_req_put(struct toy_request *req)
{
	if (refcount_dec_and_test(&req->common.skc_refcnt)) {
		sock_put(req->listener);
		toy_live_dec(TOY_LIVE_REQ);
		kfree_rcu(req, rcu);
	}
}

/* The window a listener's SYN-ACK offers. */
static u16 toy_synack_window(const struct sock *l)
{
	return min_t(u32, READ_ONCE(l->sk_rcvbuf) / 2, TOY_MAX_WINDOW);
}

/* A segment with no data from @req's side of the connection. */
static void toy_req_xmit(struct toy_request *req, u32 seq, u8 flags)
{
	struct sock *rsk = toy_req_sk(req);
	struct toy_xmit_ctx ctx;

	toy_xmit_ctx_of(req->listener, &ctx);
	toy_xmit_ctl(sock_net(rsk), &ctx, rsk->sk_rcv_saddr,
		     htons(rsk->sk_num), rsk->sk_daddr, rsk->sk_dport,
		     seq, req->irs + 1, flags, req->rcv_wnd);
}

static void toy_send_synack(struct toy_request *req)
{
	toy_req_xmit(req, req->iss, TOY_SYN | TOY_ACK);
}

/*
 * Into the connection table and onto the listener's list, counted for
 * the listener and the namespace; caller holds req_lock.
 */
static int __toy_req_insert(struct toy_request *req)
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

/* Off the listener's list, uncounted; caller holds req_lock. */
static void __toy_req_unlist(struct toy_request *req)
{
	struct toy_sock *lts = toy_sk(req->listener);

	hlist_del_init(&req->lnode);
	lts->nr_reqs--;
	atomic_dec(&toy_pernet(sock_net(req->listener))->req_count);
}

/* Off the listener's list and the table; caller holds req_lock. */
static void __toy_req_unlink(struct toy_request *req)
{
	__toy_req_unlist(req);
	__toy_req_unhash(toy_req_sk(req));
}

static void toy_req_stop_timer(struct toy_request *req)
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
		if (READ_ONCE(l->sk_state) == TCP_LISTEN && req->retries < max) {
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

/*
 * A new entry for listener @sk from the SYN in @skb: the 4-tuple, the
 * peer's ISN and window; not yet in any table, its timer not armed.
 */
static struct toy_request *toy_req_alloc(struct sock *sk, struct sk_buff *skb)
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
	req->window = ntohs(th->window);
	req->rcv_wnd = toy_synack_window(sk);
	timer_setup(&req->timer, toy_req_timer, 0);
	toy_live_inc(TOY_LIVE_REQ);
	return req;
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
	const struct toyhdr *th = toy_hdr(skb);
	const struct iphdr *iph = ip_hdr(skb);
	struct toy_xmit_ctx ctx;
	u32 cookie;

	cookie = toy_cookie_init_sequence(sk, skb);
	toy_xmit_ctx_of(sk, &ctx);
	toy_xmit_ctl(sock_net(sk), &ctx, iph->daddr, th->dest, iph->saddr,
		     th->source, cookie, ntohl(th->seq) + 1,
		     TOY_SYN | TOY_ACK, toy_synack_window(sk));
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
	struct toy_sock *ts = toy_sk(sk);
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

	spin_lock(&ts->req_lock);
	if (__toy_req_insert(req)) {
		spin_unlock(&ts->req_lock);
		toy_req_put(req);
		goto drop;
	}
	refcount_inc(&req->common.skc_refcnt);	/* the timer's */
	toy_live_inc(TOY_LIVE_TIMER);
	mod_timer(&req->timer, jiffies + TOY_SYNACK_RTO);
	spin_unlock(&ts->req_lock);

	toy_send_synack(req);
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
	u16 mss;

	child = toy_child_create(sk, req, th);
	if (!child)
		goto drop;
	/* Listener, then child (listen.c's lock order). */
	bh_lock_sock(child);
	mss = toy_route_mss(child);
	/* A cookie's MSS is the table's, at or below the route's. */
	toy_sk(child)->mss = req->mss ? min(mss, req->mss) : mss;
	toy_init_cc(child);

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
	toy_req_finish(sk, req, skb, true);
	toy_req_put(req);
	return true;
drop:
	kfree_skb(skb);
	return true;
}

/*
 * A segment for listener @sk (locked, not owned; LISTEN).  Consumes
 * @skb.  A reset is ignored; a SYN makes a half-open entry (or a
 * cookie), unless it also carries a FIN; an ACK completes the entry of
 * its 4-tuple, or returns a cookie, or is answered with a reset (as TCP
 * answers).
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

/*
 * Take @req off its listener and the table, if it is still there; true
 * if this call did (and so may answer for it).
 */
static bool toy_req_drop(struct toy_request *req)
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

/* tcp_in_window(): does [@seq, @end_seq) touch [@s_win, @e_win)? */
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
	u32 end_seq = seq + skb->len - sizeof(*th) + 1 +
		      !!(th->flags & TOY_FIN);
	u32 rcv_nxt = req->irs + 1;

	if (th->flags == TOY_SYN && seq == req->irs) {
		if (!toy_req_oow_rate_limited(req))
			toy_send_synack(req);
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

/*
 * A segment the receive path found a half-open entry for (no lock
 * held).  Consumes @skb and the reference on @rsk.  A reset at the
 * right sequence number ends the entry; a SYN is handled as
 * toy_req_syn() says; an ACK goes to the listener, which completes the
 * handshake under its lock.
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
	/* A later listen() starts with no cookies out, as tcp_disconnect(). */
	toy_cookie_listen_init(sk);

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
