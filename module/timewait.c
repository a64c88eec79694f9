// SPDX-License-Identifier: GPL-2.0
/*
 * AF_TOY TIME_WAIT: the side that closes first holds the connection's
 * 4-tuple for 2 x net.toy.msl_ms, so that a delayed segment of the old
 * connection can never be taken for one of a new connection with the
 * same 4-tuple, and so that a peer whose last FIN was not acknowledged
 * gets the ACK again.
 *
 * The small entry.  On entering TIME_WAIT (FIN_WAIT2 receiving the FIN,
 * or CLOSING receiving the ACK of ours) the full socket hands over to a
 * struct toy_tw (toy.h), a few hundred bytes against a kilobyte, and
 * closes: the entry takes the socket's place in the connection table in
 * one step and joins its port's bind bucket, as inet_twsk_hashdance().
 * So the 4-tuple stays taken, and the port stays held, while the socket
 * itself (and, once its user closed it, its memory) is gone.  A user who
 * still has the file sees the socket CLOSED, as with TCP.
 *
 * What an entry does with a segment (toy_tw_rcv(); TCP's
 * tcp_timewait_state_process() with RFC 1337's advice taken):
 *   - a retransmitted FIN (it ends exactly at rcv_nxt: our last ACK was
 *     lost) is ACKed again and the 2 MSL timer starts over;
 *   - a SYN without ACK whose sequence number is above the old
 *     connection's rcv_nxt (RFC 1122 4.2.2.13), or, when the connection
 *     had timestamps, whose TSval is above the last one (RFC 6191),
 *     reopens the 4-tuple: if a listener has the port, the entry ends and the
 *     listener gets the SYN, answering from an initial sequence number
 *     above everything the old connection sent (old snd_nxt + 65537, as
 *     TCP); with no listener, it is answered as an old duplicate;
 *   - any other SYN is an old duplicate: answered with the old
 *     connection's ACK, as TCP answers it; its sender's reset to that
 *     ACK is then dropped like every reset;
 *   - with timestamps, a segment older than the last TSval (PAWS,
 *     timestamps.c) is an old duplicate too: counted in PAWSEstab and
 *     answered as below;
 *   - everything else is dropped and counted in TWDrops: resets (a reset
 *     would "assassinate" the entry: RFC 1337), a late bare ACK at
 *     rcv_nxt silently, and data or segments outside the window with
 *     the old connection's ACK, as TCP answers them.
 * The answers to old SYNs, data and segments outside the window go out
 * at most once per net.toy.invalid_ratelimit per entry
 * (toy_oow_rate_limited()): no answer loop, no answer flood.
 *
 * Taking a 4-tuple over from connect() (toy_tw_unique()): only for a
 * port connect() chooses (a socket bound to its port by bind() gets
 * EADDRNOTAVAIL, as TCP without timestamps), only when net.toy.tw_reuse
 * allows it (1: always; 2, the default as TCP's: loopback only) and
 * only when the entry is at least a second old.  The new connection then
 * starts from an initial sequence number above the old one (as above),
 * which is the argument of RFC 6191 for sequence numbers.
 *
 * The cap.  A namespace holds at most net.toy.max_tw_buckets entries;
 * a closing socket beyond it skips TIME_WAIT (and TimeWaitOverflow
 * counts it), as TCP does.  So does one whose entry cannot be allocated.
 *
 * Lifetime and references.  An entry holds no reference on its
 * namespace nor on the module: the namespace's exit (which is also what
 * module unload runs, for every namespace) purges them all
 * (toy_tw_purge_net()), and module exit waits for their RCU frees before
 * the cache goes.  Its references are counted in skc_refcnt: one each for
 * the connection table, the bind bucket and the armed timer, and one for
 * each user.  Whoever takes it out of the connection table ends it: the
 * timer (TWExpired), a connect() or SYN that takes the 4-tuple over
 * (TWRecycled), or the purge; each of those then stops the timer with
 * del_timer_sync() (except the timer itself), which cannot miss it: the
 * timer is armed under the table locks before the entry is visible.  The
 * handler does all it does under the slot locks and lets the connection
 * slot lock go last, so a purge that no longer finds an entry in the
 * connection table knows its handler is done with the namespace and its
 * tables, and module exit's rcu_barrier() outlasts the handler's return.
 * Memory is freed an RCU grace period after the last reference, because
 * receive-path lookups read entries under rcu_read_lock() alone.
 *
 * Locks: the bind slot lock, then the connection slot lock (af_toy.c);
 * an entry has no lock of its own; what it holds is fixed at creation
 * except @tb (bind slot lock) and the timer.
 */

#include <linux/jiffies.h>
#include <linux/slab.h>
#include <net/sock.h>
#include <net/tcp_states.h>

#include "toy.h"

static struct kmem_cache *toy_tw_cachep __read_mostly;

/**
 * toy_tw_init() - Create the entries' cache, at module init.
 *
 * Return: 0, or -ENOMEM.
 */
int toy_tw_init(void)
{
	/* No bigger than TCP's tcp_timewait_sock. */
	BUILD_BUG_ON(!IS_ENABLED(CONFIG_LOCKDEP) && sizeof(struct toy_tw) > 264);
	/* Charged to the memory cgroup, as TCP's timewait cache. */
	toy_tw_cachep = kmem_cache_create("toy_timewait", sizeof(struct toy_tw),
					  0, SLAB_ACCOUNT, NULL);
	return toy_tw_cachep ? 0 : -ENOMEM;
}

/**
 * toy_tw_exit() - Destroy the entries' cache, at module exit.
 *
 * Context: after every namespace purged its entries (or, when module
 * init fails, before any namespace had some); waits for their RCU frees,
 * so may sleep.
 */
void toy_tw_exit(void)
{
	rcu_barrier();		/* the entries' RCU frees */
	kmem_cache_destroy(toy_tw_cachep);
}

static void toy_tw_free_rcu(struct rcu_head *head)
{
	kmem_cache_free(toy_tw_cachep, container_of(head, struct toy_tw, rcu));
}

/**
 * toy_tw_put() - Drop a reference on a TIME_WAIT entry.
 * @tw: the entry.
 *
 * The last one frees it after an RCU grace period.
 */
void toy_tw_put(struct toy_tw *tw)
{
	if (refcount_dec_and_test(&tw->common.skc_refcnt)) {
		toy_live_dec(TOY_LIVE_TW);
		call_rcu(&tw->rcu, toy_tw_free_rcu);
	}
}

/* ---- the tables ------------------------------------------------------ */

/**
 * __toy_tw_bind_unhash() - Take a TIME_WAIT entry out of its bind bucket.
 * @tw: the entry.
 *
 * If it is still in one.  The bucket's reference goes with it (never the
 * last: the caller has one of its own).
 *
 * Context: the bind slot lock of its port held, bottom halves off.
 */
void __toy_tw_bind_unhash(struct toy_tw *tw)
{
	struct toy_bind_bucket *tb = tw->tb;

	if (!tb)
		return;
	tw->tb = NULL;
	__toy_bucket_leave(tb, &tw->common, tw->bind_user);
}

/**
 * __toy_tw_ehash_unhash() - Take a TIME_WAIT entry off the connection table.
 * @tw: the entry.
 *
 * The table's reference goes with it (never the last: the caller has one
 * of its own), and the namespace counts one entry less.
 *
 * Context: its connection slot lock held, bottom halves off.
 * Return: true if this call took it out, false if it was not there.
 */
bool __toy_tw_ehash_unhash(struct toy_tw *tw)
{
	struct sock *sk = toy_tw_sk(tw);

	if (!sk_nulls_del_node_init_rcu(sk))
		return false;
	trace_toy_timewait_leave(sk);
	atomic_dec(&toy_pernet(sock_net(sk))->tw_count);
	return true;
}

/*
 * @sk (socket lock held) enters TIME_WAIT: @tw, filled in from it with
 * its references set, joins @sk's bind bucket and takes @sk's place in
 * the connection table in one step under both slot locks, so a segment
 * of the connection finds one or the other, and its timer is armed
 * before the locks drop (see struct toy_tw).  @sk keeps its own bucket
 * membership; toy_done() decides about that.
 */
static void toy_tw_hashdance(struct toy_tw *tw, struct sock *sk,
			     unsigned long expires)
{
	struct toy_bind_bucket *tb = toy_sk(sk)->tb;
	struct net *net = sock_net(sk);
	struct toy_hslot *bslot = toy_bslot(net, TOY_SPACE_STREAM, tb->port);
	struct toy_hslot *eslot = toy_eslot(net, sk->sk_hash);

	spin_lock_bh(&bslot->lock);
	tw->tb = tb;
	tw->bind_user = toy_sk(sk)->bind_user;
	__toy_bucket_join(tb, &tw->common, tw->bind_user);

	spin_lock(&eslot->lock);
	tw->common.skc_hash = sk->sk_hash;
	hlist_nulls_add_head_rcu(&tw->common.skc_nulls_node, &eslot->nhead);
	atomic_inc(&toy_pernet(net)->tw_count);
	sk_nulls_del_node_init_rcu(sk);
	mod_timer(&tw->timer, expires);
	spin_unlock(&eslot->lock);
	spin_unlock_bh(&bslot->lock);
}

/*
 * Ending an entry: it leaves its bind bucket and the connection table
 * under both slot locks, and whoever takes it out of the connection table
 * is the one that ends it.  The connection slot lock is released last,
 * after the bind slot's: a namespace's exit that does not find an entry
 * in the connection table any more, because the timer handler took it
 * out, takes that slot lock after the handler let it go, so the handler
 * touches nothing of the namespace (its bind table included, which the
 * exit frees next) but its stack from then on, and module unload's grace
 * periods cover its return.  Unlocking in the nesting order instead
 * would leave the handler on a bind slot that the exit may already have
 * freed.
 */
static bool toy_tw_unhash_lock(struct toy_tw *tw, struct toy_hslot **bslot,
			       struct toy_hslot **eslot)
	__acquires(&(*bslot)->lock) __acquires(&(*eslot)->lock)
{
	struct net *net = sock_net(toy_tw_sk(tw));

	*bslot = toy_bslot(net, TOY_SPACE_STREAM, tw->common.skc_num);
	*eslot = toy_eslot(net, tw->common.skc_hash);
	spin_lock_bh(&(*bslot)->lock);
	__toy_tw_bind_unhash(tw);
	spin_lock(&(*eslot)->lock);
	return __toy_tw_ehash_unhash(tw);
}

static void toy_tw_unlock(struct toy_hslot *bslot, struct toy_hslot *eslot)
	__releases(&bslot->lock) __releases(&eslot->lock)
{
	spin_unlock(&bslot->lock);
	spin_unlock_bh(&eslot->lock);	/* last: see above */
}

/**
 * toy_tw_deschedule_put() - End a TIME_WAIT entry now; drop a reference.
 * @tw: the entry, with a reference of the caller's, given up here.
 *
 * Out of the tables, if still there, and the timer stopped, waiting for
 * a handler that has already started (del_timer_sync()).
 *
 * Context: no slot lock held: the timer handler takes them.
 * Return: true if this call took it out of the connection table.
 */
bool toy_tw_deschedule_put(struct toy_tw *tw)
{
	struct toy_hslot *bslot, *eslot;
	bool done;

	done = toy_tw_unhash_lock(tw, &bslot, &eslot);
	toy_tw_unlock(bslot, eslot);
	if (del_timer_sync(&tw->timer)) {
		toy_live_dec(TOY_LIVE_TIMER);
		toy_tw_put(tw);
	}
	toy_tw_put(tw);
	return done;
}

/*
 * 2 MSL are over.  Everything, the timer's reference included, is done
 * under the slot locks, the connection slot's released last (see
 * toy_tw_unhash_lock()), so a namespace's exit cannot free the tables
 * under a handler, nor module unload overtake one.
 */
static void toy_tw_timer(struct timer_list *t)
{
	struct toy_tw *tw = from_timer(tw, t, timer);
	struct net *net = sock_net(toy_tw_sk(tw));
	struct toy_hslot *bslot, *eslot;

	if (toy_tw_unhash_lock(tw, &bslot, &eslot))
		TOY_INC_STATS(net, TOY_MIB_TWEXPIRED);
	toy_live_dec(TOY_LIVE_TIMER);
	toy_tw_put(tw);		/* @tw may be gone (after RCU) */
	toy_tw_unlock(bslot, eslot);
}

/**
 * toy_tw_purge_net() - End every TIME_WAIT entry of a namespace now.
 * @net: the namespace.
 *
 * The namespace is going away (no socket of it is left, no segment can
 * arrive) or the module is: every entry ends, timer included, as
 * inet_twsk_purge() does.
 *
 * Context: the namespace's exit; may sleep.
 */
void toy_tw_purge_net(struct net *net)
{
	struct hlist_nulls_node *node;
	struct toy_hslot *slot;
	struct toy_tw *tw;
	struct sock *sk;
	u32 i;

	for (i = 0; i < BIT(TOY_EHASH_BITS); i++) {
		slot = toy_eslot(net, i);
again:
		tw = NULL;
		spin_lock_bh(&slot->lock);
		sk_nulls_for_each(sk, node, &slot->nhead) {
			if (toy_is_tw(sk) &&
			    refcount_inc_not_zero(&sk->sk_refcnt)) {
				tw = toy_tw(sk);
				break;
			}
		}
		spin_unlock_bh(&slot->lock);
		if (tw) {
			toy_tw_deschedule_put(tw);
			goto again;
		}
		cond_resched();
	}
}

/* ---- entering TIME_WAIT ---------------------------------------------- */

static unsigned long toy_tw_len(const struct net *net)
{
	return msecs_to_jiffies(2 * READ_ONCE(toy_pernet(net)->msl_ms));
}

/**
 * toy_tw_isn() - The ISN of a new connection on an entry's 4-tuple.
 * @tw: the entry.
 *
 * Above the old connection's: its snd_nxt + 65537, as TCP.
 *
 * Return: that ISN, never 0 (0 means "choose one").
 */
u32 toy_tw_isn(const struct toy_tw *tw)
{
	u32 isn = tw->snd_nxt + 65535 + 2;

	return isn ? isn : 1;	/* 0 means "choose one" */
}

/**
 * toy_tw_unique() - May connect() take an entry's 4-tuple over?
 * @tw: the TIME_WAIT entry.
 *
 * As tcp_twsk_unique(): net.toy.tw_reuse is 1, or 2 and the connection
 * went over loopback (bound to lo, or a loopback address at either end),
 * and the entry is at least a second old.
 *
 * Return: true if it may.
 */
bool toy_tw_unique(const struct toy_tw *tw)
{
	const struct sock *sk = (const struct sock *)tw;
	int reuse = READ_ONCE(toy_pernet(sock_net(sk))->tw_reuse_mode);

	if (reuse == 2 && sk->sk_bound_dev_if != LOOPBACK_IFINDEX &&
	    !ipv4_is_loopback(sk->sk_daddr) &&
	    !ipv4_is_loopback(sk->sk_rcv_saddr))
		reuse = 0;
	return reuse && time_after_eq(jiffies, tw->created + HZ);
}

/**
 * toy_time_wait() - Hand a connection that reached TIME_WAIT to an entry.
 * @sk: the socket, in FIN_WAIT2 or CLOSING; our last ACK has been sent.
 *
 * A new entry takes the 4-tuple for 2 x net.toy.msl_ms and @sk closes
 * (toy_done()).  Beyond net.toy.max_tw_buckets, or with no memory for an
 * entry, @sk closes without one (TimeWaitOverflow).
 *
 * Context: the socket lock held.
 */
void toy_time_wait(struct sock *sk)
{
	struct toy_sock *ts = toy_sk(sk);
	struct net *net = sock_net(sk);
	struct toy_net *tn = toy_pernet(net);
	struct toy_tw *tw = NULL;

	if (atomic_read(&tn->tw_count) < READ_ONCE(tn->max_tw_buckets))
		tw = kmem_cache_zalloc(toy_tw_cachep, GFP_ATOMIC);
	if (!tw) {
		TOY_INC_STATS(net, TOY_MIB_TWOVERFLOW);
		toy_done(sk);
		return;
	}
	tw->common.skc_family = sk->sk_family;
	tw->common.skc_state = TCP_TIME_WAIT;
	write_pnet(&tw->common.skc_net, net);
	tw->common.skc_rcv_saddr = sk->sk_rcv_saddr;
	tw->common.skc_num = sk->sk_num;
	tw->common.skc_daddr = sk->sk_daddr;
	tw->common.skc_dport = sk->sk_dport;
	tw->common.skc_bound_dev_if = sk->sk_bound_dev_if;
	tw->common.skc_reuse = sk->sk_reuse;
	tw->common.skc_reuseport = sk->sk_reuseport;
	/* The connection table's, the timer's; the bucket takes its own. */
	refcount_set(&tw->common.skc_refcnt, 2);
	timer_setup(&tw->timer, toy_tw_timer, 0);
	tw->created = jiffies;
	tw->snd_nxt = ts->snd_max;
	tw->rcv_nxt = ts->rcv_nxt;
	tw->rcv_wnd = min(ts->rcv_wnd >> ts->rcv_wscale, TOY_MAX_WINDOW);
	tw->mark = READ_ONCE(sk->sk_mark);
	tw->priority = READ_ONCE(sk->sk_priority);
	tw->uid = sk->sk_uid;
	tw->ts_ok = ts->ts_ok;
	tw->ts_off = ts->ts_off;
	tw->ts_recent = ts->ts_recent;
	tw->ts_recent_stamp = ts->ts_recent_stamp;
	toy_live_inc(TOY_LIVE_TW);
	toy_live_inc(TOY_LIVE_TIMER);

	trace_toy_timewait_enter(toy_tw_sk(tw));
	toy_tw_hashdance(tw, sk, jiffies + toy_tw_len(net));
	TOY_INC_STATS(net, TOY_MIB_TWCREATED);
	toy_done(sk);
}

static void toy_tw_send_ack(struct toy_tw *tw)
{
	struct sock *sk = toy_tw_sk(tw);
	struct toy_seg seg = {
		.seq	= tw->snd_nxt,
		.ack	= tw->rcv_nxt,
		.flags	= TOY_ACK,
		.window	= tw->rcv_wnd,
	};
	struct toy_flow flow = {
		.oif		= sk->sk_bound_dev_if,
		.mark		= tw->mark,
		.uid		= tw->uid,
		.priority	= tw->priority,
	};

	if (tw->ts_ok)
		toy_seg_set_ts(&seg, tw->ts_off, tw->ts_recent);
	toy_flow_tuple(&flow, sk);
	toy_xmit_ctl(sock_net(sk), &flow, &seg);
}

/* Does a SYN open a new connection on the 4-tuple (RFC 6191)? */
static bool toy_tw_syn_is_new(const struct toy_tw *tw, u32 seq,
			      const struct toy_options *opt)
{
	if (toy_after(seq, tw->rcv_nxt))
		return true;
	return tw->ts_ok && opt->saw_ts && (s32)(tw->ts_recent - opt->tsval) < 0;
}

/* An answer to a late segment: rate limited (toy_oow_rate_limited()). */
static void toy_tw_oow_ack(struct toy_tw *tw)
{
	if (!toy_oow_rate_limited(sock_net(toy_tw_sk(tw)),
				  &tw->last_oow_ack_time,
				  TOY_MIB_ACKSKIPPEDTIMEWAIT))
		toy_tw_send_ack(tw);
}

/**
 * toy_tw_rcv() - A segment the receive path found a TIME_WAIT entry for.
 * @sk: the entry, with the lookup's reference.
 * @skb: the segment.
 *
 * The rules are at the top of this file.  Consumes @skb and the
 * reference on @sk.
 *
 * Context: softirq, no lock held.
 */
void toy_tw_rcv(struct sock *sk, struct sk_buff *skb)
{
	const struct toyhdr *th = toy_hdr(skb);
	const struct iphdr *iph = ip_hdr(skb);
	struct toy_tw *tw = toy_tw(sk);
	struct net *net = sock_net(sk);
	u32 seq = ntohl(th->seq);
	struct toy_options opt;
	u8 flags = th->flags;
	struct sock *l;
	u32 end_seq;

	end_seq = seq + skb->len - toy_hdr_len(th) + !!(flags & TOY_SYN) +
		  !!(flags & TOY_FIN);
	if (flags & TOY_RST)
		goto drop;
	toy_parse_options(th, &opt);	/* toy_rcv() found them good */
	if (tw->ts_ok && opt.saw_ts &&
	    toy_paws_old(tw->ts_recent, tw->ts_recent_stamp, opt.tsval, 0)) {
		TOY_INC_STATS(net, TOY_MIB_PAWSESTAB);
		goto ack;	/* an old duplicate */
	}
	if (flags & TOY_SYN) {
		if (flags & TOY_ACK || !toy_tw_syn_is_new(tw, seq, &opt))
			goto ack;	/* an old duplicate */
		l = toy_lookup_stream_listener(net, iph->saddr, th->source,
					       iph->daddr, th->dest,
					       TOY_SKB_CB(skb)->dif,
					       TOY_SKB_CB(skb)->sdif);
		if (!l)
			goto ack;
		TOY_SKB_CB(skb)->tw_isn = toy_tw_isn(tw);
		if (toy_tw_deschedule_put(tw))
			TOY_INC_STATS(net, TOY_MIB_TWRECYCLED);
		toy_stream_rcv(l, skb);	/* consumes skb and @l's reference */
		return;
	}
	if (flags & TOY_FIN && end_seq == tw->rcv_nxt) {
		/* Our ACK of it was lost: again, and 2 MSL from now. */
		mod_timer_pending(&tw->timer, jiffies + toy_tw_len(net));
		toy_tw_send_ack(tw);
		goto free;
	}
	/* Data, or outside the window: say where the old one ended. */
	if (seq != tw->rcv_nxt || end_seq != seq)
		toy_tw_oow_ack(tw);
drop:
	TOY_INC_STATS(net, TOY_MIB_TWDROPS);
free:
	kfree_skb(skb);
	toy_tw_put(tw);
	return;
ack:
	toy_tw_oow_ack(tw);
	goto free;
}
