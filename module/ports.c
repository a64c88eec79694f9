// SPDX-License-Identifier: GPL-2.0
/*
 * AF_TOY port tables: who holds which port, and who receives a segment.
 *
 * Every network namespace has two port spaces, stream and datagram (as
 * TCP and UDP have), each with its own tables (struct toy_ports, toy.h):
 *
 *   bind table        port -> struct toy_bind_bucket -> owners.  Every
 *                     socket that holds a port is an owner, whether it
 *                     got the port from bind() or from connect().
 *   listener table    (local address, port) -> listening sockets.  Stream.
 *   connection table  (local addr, local port, remote addr, remote port)
 *                     -> the one socket of that connection.  Stream.
 *
 * All hashes are SipHash with a secret drawn at module load and mixed
 * with the namespace (net_hash_mix()), so nobody outside can aim many
 * connections at one chain.
 *
 * Who may hold a port (toy_bind_conflict(), TCP's rules): two sockets
 * holding the same port in one space conflict when their local addresses
 * overlap (equal, or either is INADDR_ANY) and neither exemption applies:
 *   - SO_REUSEADDR on both, and the one already there is not listening
 *     (so a listener always blocks; only for an explicit port);
 *   - SO_REUSEPORT on both (TOY_REUSEPORT, see uapi) and the same owner
 *     uid (only for an explicit port).
 * Sockets bound to different devices (SO_BINDTODEVICE) never conflict.
 *
 * Automatic ports.  bind() with port 0 and listen() on an unbound socket
 * start at a random point of ip_local_port_range and take the first port
 * no owner overlaps.  connect() on an unbound socket follows RFC 6056
 * algorithm 4, as TCP does: the walk starts at a keyed hash of (local
 * address, remote address, remote port) plus a per-destination
 * perturbation that advances by a small random step after every success,
 * and it may take a port that other connections already use, as long as
 * no bind() holds it and the 4-tuple is new.  That is why one local port
 * serves many destinations.  Both walks skip ip_local_reserved_ports and
 * visit each port of the range at most once, so the work is bounded by
 * the range even when it is nearly full.  (TCP also tries ports of one
 * parity first; AF_TOY keeps the walk plain.)
 *
 * Receive path (toy_lookup_stream(), toy_lookup_dgram()), under RCU only:
 * stream: the exact 4-tuple, then a listener on the specific local
 * address, then a wildcard listener; datagram: the owners of the
 * destination port, best match first (a specific address beats the
 * wildcard, a connected socket beats an unconnected one).  Equal matches
 * that all set SO_REUSEPORT share the traffic: the choice is a hash of
 * the 4-tuple, so one flow always reaches the same member.  A socket
 * bound to a device (SO_BINDTODEVICE) only receives what arrived on that
 * device (or, bound to a VRF, on one of its slaves), and beats an unbound
 * one; an unbound one receives from every device (inet_bound_dev_eq()
 * with l3mdev_accept on).
 *
 * Locks and references: see struct toy_hslot and struct toy_sock in
 * toy.h.  Lock order lock_sock -> bind slot -> listener/connection slot.
 * A socket in the listener or connection table holds a reference for it
 * (sk_nulls_add_node_rcu()); a socket in a bind bucket holds one too.  Sockets
 * are SOCK_RCU_FREE, buckets are kfree_rcu()'d: a reader under RCU never
 * touches freed memory, and takes a reference with
 * refcount_inc_not_zero() before leaving the read side.
 */

#include <linux/prandom.h>
#include <linux/random.h>
#include <linux/rculist.h>
#include <linux/slab.h>
#include <net/netns/hash.h>
#include <net/sock.h>
#include <net/tcp_states.h>

#include "toy.h"

static siphash_key_t toy_hash_secret __read_mostly;

void toy_ports_init(void)
{
	get_random_bytes(&toy_hash_secret, sizeof(toy_hash_secret));
}

static u64 toy_hash(const struct net *net, u32 a, u32 b, u32 c)
{
	return siphash_4u32(a, b, c, net_hash_mix(net), &toy_hash_secret);
}

static struct toy_ports *toy_ports(const struct net *net, enum toy_space sp)
{
	return &toy_pernet(net)->ports[sp];
}

/* The slot of each table; the constants keep the three hashes apart. */
static struct toy_hslot *toy_bslot(const struct net *net,
				   struct toy_ports *tp, u16 port)
{
	return &tp->bhash[toy_hash(net, 1, 0, port) &
			  (BIT(TOY_BHASH_BITS) - 1)];
}

static u32 toy_lhashfn(const struct net *net, __be32 addr, u16 port)
{
	return toy_hash(net, 2, (__force u32)addr, port);
}

static u32 toy_ehashfn(const struct net *net, __be32 laddr, u16 lport,
		       __be32 raddr, __be16 rport)
{
	return toy_hash(net, (__force u32)laddr, (__force u32)raddr,
			(u32)lport << 16 | ntohs(rport));
}

static u32 toy_lslot_nr(u32 hash)
{
	return hash & (BIT(TOY_LHASH_BITS) - 1);
}

static u32 toy_eslot_nr(u32 hash)
{
	return hash & (BIT(TOY_EHASH_BITS) - 1);
}

static struct toy_hslot *toy_lslot(struct toy_ports *tp, u32 hash)
{
	return &tp->lhash[toy_lslot_nr(hash)];
}

static struct toy_hslot *toy_eslot(struct toy_ports *tp, u32 hash)
{
	return &tp->ehash[toy_eslot_nr(hash)];
}

/* ---- bind buckets (caller holds the bind slot lock: "__") ---------- */

/* Also called under rcu_read_lock() alone, by toy_lookup_dgram(). */

static struct toy_bind_bucket *__toy_bucket_find(struct toy_hslot *slot,
						 u16 port)
{
	struct toy_bind_bucket *tb;

	hlist_for_each_entry_rcu(tb, &slot->head, node,
				 lockdep_is_held(&slot->lock))
		if (tb->port == port)
			return tb;
	return NULL;
}

static struct toy_bind_bucket *__toy_bucket_create(struct toy_hslot *slot,
						   u16 port)
{
	struct toy_bind_bucket *tb = kmalloc(sizeof(*tb), GFP_ATOMIC);

	if (!tb)
		return NULL;
	tb->port = port;
	tb->nr_owners = 0;
	tb->nr_user = 0;
	INIT_HLIST_HEAD(&tb->owners);
	hlist_add_head_rcu(&tb->node, &slot->head);
	toy_live_inc(TOY_LIVE_BUCKET);
	return tb;
}

static void __toy_bucket_put(struct toy_bind_bucket *tb)
{
	if (tb->nr_owners)
		return;
	hlist_del_rcu(&tb->node);
	kfree_rcu(tb, rcu);
	toy_live_dec(TOY_LIVE_BUCKET);
}

static void __toy_bucket_add(struct toy_bind_bucket *tb, struct sock *sk,
			     bool user)
{
	struct toy_sock *ts = toy_sk(sk);

	sock_hold(sk);
	ts->tb = tb;
	ts->bind_user = user;
	WRITE_ONCE(sk->sk_num, tb->port);
	hlist_add_head_rcu(&sk->sk_bind_node, &tb->owners);
	tb->nr_owners++;
	if (user)
		tb->nr_user++;
}

static void __toy_bucket_del(struct sock *sk)
{
	struct toy_sock *ts = toy_sk(sk);
	struct toy_bind_bucket *tb = ts->tb;

	hlist_del_init_rcu(&sk->sk_bind_node);
	tb->nr_owners--;
	if (ts->bind_user)
		tb->nr_user--;
	ts->tb = NULL;
	ts->bind_user = false;
	WRITE_ONCE(sk->sk_num, 0);
	__toy_bucket_put(tb);
	__sock_put(sk);		/* the bucket's reference; the caller has one */
}

/*
 * Would @sk, about to hold @addr on the port, conflict with @sk2, which
 * holds it already?  @relax: an explicit port (bind() or listen() of a
 * bound socket), for which SO_REUSEADDR and SO_REUSEPORT may exempt;
 * an automatic choice takes only a port nobody overlaps.
 */
bool toy_bind_conflict(const struct sock *sk, __be32 addr,
		       const struct sock *sk2, bool relax)
{
	__be32 addr2 = READ_ONCE(sk2->sk_rcv_saddr);
	int dev = READ_ONCE(sk->sk_bound_dev_if);
	int dev2 = READ_ONCE(sk2->sk_bound_dev_if);

	if (sk == sk2)
		return false;
	if (addr && addr2 && addr != addr2)
		return false;
	if (dev && dev2 && dev != dev2)
		return false;
	if (sk->sk_reuse && sk2->sk_reuse && sk2->sk_state != TCP_LISTEN)
		return !relax;
	/* A TIME_WAIT entry has no owner to compare: any uid, as TCP. */
	if (relax && sk->sk_reuseport && sk2->sk_reuseport &&
	    (toy_is_tw(sk2) || uid_eq(sk->sk_uid, sk2->sk_uid)))
		return false;
	return true;
}

static bool __toy_bucket_conflict(const struct toy_bind_bucket *tb,
				  const struct sock *sk, __be32 addr,
				  bool relax)
{
	struct sock *sk2;

	sk_for_each_bound(sk2, &tb->owners)
		if (toy_bind_conflict(sk, addr, sk2, relax))
			return true;
	return false;
}

/* Take @port for @sk at @addr, or fail with -EADDRINUSE. */
static int toy_bind_fixed(struct sock *sk, __be32 addr, u16 port, bool relax)
{
	struct net *net = sock_net(sk);
	struct toy_ports *tp = toy_ports(net, toy_space_of(sk));
	struct toy_hslot *slot = toy_bslot(net, tp, port);
	struct toy_bind_bucket *tb;
	int err = 0;

	spin_lock_bh(&slot->lock);
	tb = __toy_bucket_find(slot, port);
	if (tb && __toy_bucket_conflict(tb, sk, addr, relax)) {
		err = -EADDRINUSE;
		goto out;
	}
	if (!tb) {
		tb = __toy_bucket_create(slot, port);
		if (!tb) {
			err = -ENOMEM;
			goto out;
		}
	}
	WRITE_ONCE(sk->sk_rcv_saddr, addr);
	__toy_bucket_add(tb, sk, true);
out:
	spin_unlock_bh(&slot->lock);
	return err;
}

/* bind(port 0): a random start, then the first port nobody overlaps. */
static int toy_bind_ephemeral(struct sock *sk, __be32 addr)
{
	struct net *net = sock_net(sk);
	u32 offset, remaining, i;
	int low, high, err;

	toy_port_range(net, &low, &high);
	remaining = high - low + 1;
	offset = get_random_u32_below(remaining);

	for (i = 0; i < remaining; i++) {
		u16 port = low + (offset + i) % remaining;

		if (toy_port_reserved(net, port))
			continue;
		err = toy_bind_fixed(sk, addr, port, false);
		if (err != -EADDRINUSE)
			return err;
		cond_resched();
	}
	return -EADDRINUSE;
}

/*
 * bind(): the caller holds lock_sock(), has checked the address and the
 * privilege, and knows @sk is not bound.  Port 0 picks one.
 */
int toy_bind_port(struct sock *sk, __be32 addr, u16 port)
{
	if (port)
		return toy_bind_fixed(sk, addr, port, true);
	return toy_bind_ephemeral(sk, addr);
}

/* Leave the bind bucket (release, failed or dissolved connect). */
void toy_put_port(struct sock *sk)
{
	struct toy_sock *ts = toy_sk(sk);
	struct net *net = sock_net(sk);
	struct toy_hslot *slot;

	if (!ts->tb)
		return;
	slot = toy_bslot(net, toy_ports(net, toy_space_of(sk)), ts->tb->port);
	spin_lock_bh(&slot->lock);
	__toy_bucket_del(sk);
	spin_unlock_bh(&slot->lock);
}

/* Forget a local address that only connect() chose. */
void toy_reset_saddr(struct sock *sk)
{
	struct toy_sock *ts = toy_sk(sk);
	struct net *net = sock_net(sk);
	struct toy_hslot *slot;

	if (sk->sk_userlocks & SOCK_BINDADDR_LOCK)
		return;
	if (!ts->tb) {
		WRITE_ONCE(sk->sk_rcv_saddr, 0);
		return;
	}
	slot = toy_bslot(net, toy_ports(net, toy_space_of(sk)), ts->tb->port);
	spin_lock_bh(&slot->lock);
	WRITE_ONCE(sk->sk_rcv_saddr, 0);
	spin_unlock_bh(&slot->lock);
}

/*
 * A datagram socket's peer (connect(); 0s: none) and, unless bind() fixed
 * it, the local address that goes with it (0: back to the wildcard).
 * Under the bind slot lock, as the receive path reads them with no lock.
 */
static void __toy_set_peer(struct sock *sk, __be32 saddr, __be32 daddr,
			   __be16 dport)
{
	if (!(sk->sk_userlocks & SOCK_BINDADDR_LOCK))
		WRITE_ONCE(sk->sk_rcv_saddr, saddr);
	WRITE_ONCE(sk->sk_daddr, daddr);
	WRITE_ONCE(sk->sk_dport, dport);
}

void toy_set_peer(struct sock *sk, __be32 saddr, __be32 daddr, __be16 dport)
{
	struct toy_sock *ts = toy_sk(sk);
	struct net *net = sock_net(sk);
	struct toy_hslot *slot;

	if (!ts->tb) {
		__toy_set_peer(sk, saddr, daddr, dport);
		return;
	}
	slot = toy_bslot(net, toy_ports(net, toy_space_of(sk)), ts->tb->port);
	spin_lock_bh(&slot->lock);
	__toy_set_peer(sk, saddr, daddr, dport);
	spin_unlock_bh(&slot->lock);
}

/* ---- listener table ------------------------------------------------ */

/*
 * listen(): @sk is bound and already in TCP_LISTEN.  Check the port
 * again with the listener rule (an earlier SO_REUSEADDR sharer may have
 * started listening) and enter the listener table, all under the bind
 * slot lock so two listen() calls cannot both pass.
 */
int toy_listen_hash(struct sock *sk)
{
	struct toy_bind_bucket *tb = toy_sk(sk)->tb;
	struct net *net = sock_net(sk);
	struct toy_ports *tp = toy_ports(net, TOY_SPACE_STREAM);
	struct toy_hslot *bslot = toy_bslot(net, tp, tb->port);
	struct toy_hslot *lslot;
	int err = 0;

	spin_lock_bh(&bslot->lock);
	if (__toy_bucket_conflict(tb, sk, sk->sk_rcv_saddr, true)) {
		err = -EADDRINUSE;
		goto out;
	}
	sk->sk_hash = toy_lhashfn(net, sk->sk_rcv_saddr, sk->sk_num);
	lslot = toy_lslot(tp, sk->sk_hash);
	spin_lock(&lslot->lock);
	sk_nulls_add_node_rcu(sk, &lslot->nhead);
	spin_unlock(&lslot->lock);
out:
	spin_unlock_bh(&bslot->lock);
	return err;
}

/* ---- connection table ---------------------------------------------- */

static bool toy_match4(const struct sock *sk, const struct net *net,
		       __be32 laddr, u16 lport, __be32 raddr, __be16 rport)
{
	return READ_ONCE(sk->sk_num) == lport &&
	       READ_ONCE(sk->sk_dport) == rport &&
	       READ_ONCE(sk->sk_rcv_saddr) == laddr &&
	       READ_ONCE(sk->sk_daddr) == raddr &&
	       net_eq(sock_net(sk), net);
}

/* Out of its bind bucket; the caller holds the bind slot lock. */
static void __toy_tw_bind_unhash(struct toy_tw *tw)
{
	struct toy_bind_bucket *tb = tw->tb;

	if (!tb)
		return;
	hlist_del_init_rcu(&tw->common.skc_bind_node);
	tb->nr_owners--;
	if (tw->bind_user)
		tb->nr_user--;
	tw->tb = NULL;
	__toy_bucket_put(tb);
	refcount_dec(&tw->common.skc_refcnt);	/* the bucket's */
}

/* Out of the connection table; the caller holds its slot lock. */
static bool __toy_tw_ehash_unhash(struct toy_tw *tw)
{
	struct sock *sk = toy_tw_sk(tw);

	if (!sk_nulls_del_node_init_rcu(sk))
		return false;
	atomic_dec(&toy_pernet(sock_net(sk))->tw_count);
	return true;
}

/*
 * Enter @sk in the connection table as (@laddr, @lport, @raddr, @rport)
 * unless that 4-tuple is taken (-EADDRNOTAVAIL, as TCP).  A TIME_WAIT
 * entry takes it too, unless @reuse (a port connect() chose) and
 * net.toy.tw_reuse let the new connection take it over: then the entry
 * leaves the connection table here, *@twp gets it with a reference, and
 * the caller takes it out of its bind bucket and, once the locks are
 * dropped, stops its timer (toy_tw_deschedule_put()).  The caller
 * holds the bind slot lock of @lport with bottom halves off.
 */
static int __toy_ehash_insert(struct sock *sk, __be32 laddr, u16 lport,
			      __be32 raddr, __be16 rport, bool reuse,
			      struct toy_tw **twp)
{
	struct net *net = sock_net(sk);
	struct toy_ports *tp = toy_ports(net, TOY_SPACE_STREAM);
	u32 hash = toy_ehashfn(net, laddr, lport, raddr, rport);
	struct toy_hslot *slot = toy_eslot(tp, hash);
	struct hlist_nulls_node *node;
	struct toy_tw *tw = NULL;
	struct sock *sk2;

	spin_lock(&slot->lock);
	sk_nulls_for_each(sk2, node, &slot->nhead) {
		if (!toy_match4(sk2, net, laddr, lport, raddr, rport))
			continue;
		if (reuse && toy_is_tw(sk2) && toy_tw_unique(toy_tw(sk2))) {
			tw = toy_tw(sk2);
			break;
		}
		spin_unlock(&slot->lock);
		return -EADDRNOTAVAIL;
	}
	WRITE_ONCE(sk->sk_rcv_saddr, laddr);
	WRITE_ONCE(sk->sk_daddr, raddr);
	WRITE_ONCE(sk->sk_dport, rport);
	sk->sk_hash = hash;
	if (tw) {
		/*
		 * Ours now, with a reference to stop it: out of this
		 * table; the caller takes it out of the bucket once @sk
		 * is in, so the bucket never empties meanwhile.
		 */
		refcount_inc(&tw->common.skc_refcnt);
		__toy_tw_ehash_unhash(tw);
		TOY_INC_STATS(net, TOY_MIB_TWRECYCLED);
		*twp = tw;
	}
	sk_nulls_add_node_rcu(sk, &slot->nhead);
	spin_unlock(&slot->lock);
	return 0;
}

/*
 * connect() of a bound socket: only the 4-tuple must be new.  A
 * TIME_WAIT entry of the same 4-tuple blocks it whatever tw_reuse says
 * (TCP's rule for a connection that had no timestamps).
 */
static int toy_connect_bound(struct sock *sk, __be32 saddr, __be32 daddr,
			     __be16 dport)
{
	struct net *net = sock_net(sk);
	struct toy_ports *tp = toy_ports(net, TOY_SPACE_STREAM);
	struct toy_hslot *slot = toy_bslot(net, tp, sk->sk_num);
	int err;

	spin_lock_bh(&slot->lock);
	err = __toy_ehash_insert(sk, saddr, sk->sk_num, daddr, dport, false,
				 NULL);
	spin_unlock_bh(&slot->lock);
	return err;
}

/*
 * connect(): @sk (lock_sock held, in SYN_SENT) gets a local port, if it
 * has none, and enters the connection table as (@saddr, port, @daddr,
 * @dport).  RFC 6056 algorithm 4; see the top of this file.  A port
 * whose 4-tuple to @daddr:@dport is in TIME_WAIT is skipped unless
 * tw_reuse allows taking the entry over; then *@tw_isn is the initial
 * sequence number the connection must start from (else 0).
 */
int toy_connect_hash(struct sock *sk, __be32 saddr, __be32 daddr,
		     __be16 dport, u32 *tw_isn)
{
	struct net *net = sock_net(sk);
	struct toy_ports *tp = toy_ports(net, TOY_SPACE_STREAM);
	u32 offset, remaining, i, index, step;
	struct toy_tw *tw = NULL;
	int low, high;
	u64 h;

	*tw_isn = 0;
	if (toy_sk(sk)->tb)
		return toy_connect_bound(sk, saddr, daddr, dport);

	toy_port_range(net, &low, &high);
	remaining = high - low + 1;
	h = toy_hash(net, (__force u32)saddr, (__force u32)daddr,
		     (__force u32)dport);
	index = h & (BIT(TOY_PERTURB_BITS) - 1);
	offset = ((u32)(h >> 32) + READ_ONCE(tp->perturb[index])) % remaining;

	for (i = 0; i < remaining; i++) {
		u16 port = low + (offset + i) % remaining;
		struct toy_bind_bucket *tb;
		struct toy_hslot *slot;
		bool created = false;

		if (toy_port_reserved(net, port))
			continue;
		slot = toy_bslot(net, tp, port);
		spin_lock_bh(&slot->lock);
		tb = __toy_bucket_find(slot, port);
		if (tb && tb->nr_user)
			goto next;	/* bind() holds it: not shared */
		if (!tb) {
			tb = __toy_bucket_create(slot, port);
			if (!tb) {
				spin_unlock_bh(&slot->lock);
				return -ENOMEM;
			}
			created = true;
		}
		if (__toy_ehash_insert(sk, saddr, port, daddr, dport, true,
				       &tw)) {
			if (created)
				__toy_bucket_put(tb);
			goto next;
		}
		__toy_bucket_add(tb, sk, false);
		if (tw)
			__toy_tw_bind_unhash(tw);
		spin_unlock_bh(&slot->lock);
		if (tw) {
			*tw_isn = toy_tw_isn(tw);
			toy_tw_deschedule_put(tw);
		}

		/* As TCP: a random step when contention is low. */
		step = max_t(u32, i, get_random_u32_below(8) * 2);
		WRITE_ONCE(tp->perturb[index],
			   READ_ONCE(tp->perturb[index]) + step + 1);
		return 0;
next:
		spin_unlock_bh(&slot->lock);
		cond_resched();
	}
	return -EADDRNOTAVAIL;
}

/*
 * A listener's half-open entry enters the connection table under its
 * 4-tuple, unless the tuple is taken (a connection, or another entry
 * for the same SYN on another CPU): -EADDRNOTAVAIL.  The caller holds
 * the listener's req_lock.
 */
int __toy_req_hash(struct sock *reqsk)
{
	struct net *net = sock_net(reqsk);
	struct toy_ports *tp = toy_ports(net, TOY_SPACE_STREAM);
	u32 hash = toy_ehashfn(net, reqsk->sk_rcv_saddr, reqsk->sk_num,
			       reqsk->sk_daddr, reqsk->sk_dport);
	struct toy_hslot *slot = toy_eslot(tp, hash);
	struct hlist_nulls_node *node;
	struct sock *sk2;

	spin_lock(&slot->lock);
	sk_nulls_for_each(sk2, node, &slot->nhead) {
		if (toy_match4(sk2, net, reqsk->sk_rcv_saddr, reqsk->sk_num,
			       reqsk->sk_daddr, reqsk->sk_dport)) {
			spin_unlock(&slot->lock);
			return -EADDRNOTAVAIL;
		}
	}
	reqsk->sk_hash = hash;
	sk_nulls_add_node_rcu(reqsk, &slot->nhead);
	spin_unlock(&slot->lock);
	return 0;
}

/* Out of the connection table; the caller holds the listener's req_lock. */
bool __toy_req_unhash(struct sock *reqsk)
{
	struct toy_ports *tp = toy_ports(sock_net(reqsk), TOY_SPACE_STREAM);
	struct toy_hslot *slot = toy_eslot(tp, reqsk->sk_hash);
	bool done;

	spin_lock(&slot->lock);
	done = sk_nulls_del_node_init_rcu(reqsk);
	spin_unlock(&slot->lock);
	return done;
}

/*
 * The handshake of @reqsk completed: @child (4-tuple set) takes the
 * listener's port, as TCP's __inet_inherit_port(), and replaces the
 * request in the connection table in one step, so a segment of the
 * connection always finds one or the other.  The caller holds the
 * listener's req_lock and knows the request is still hashed.
 */
int __toy_child_hash(struct sock *child, struct sock *listener,
		     struct sock *reqsk)
{
	struct toy_bind_bucket *tb = toy_sk(listener)->tb;
	struct net *net = sock_net(child);
	struct toy_ports *tp = toy_ports(net, TOY_SPACE_STREAM);
	struct toy_hslot *bslot = toy_bslot(net, tp, tb->port);
	struct toy_hslot *eslot = toy_eslot(tp, reqsk->sk_hash);

	spin_lock(&bslot->lock);
	__toy_bucket_add(tb, child, false);
	child->sk_hash = reqsk->sk_hash;
	spin_lock(&eslot->lock);
	sk_nulls_del_node_init_rcu(reqsk);
	sk_nulls_add_node_rcu(child, &eslot->nhead);
	spin_unlock(&eslot->lock);
	spin_unlock(&bslot->lock);
	return 0;
}

/*
 * @sk (socket lock held) enters TIME_WAIT: @tw, filled in from it with
 * its three references set, joins @sk's bind bucket and takes @sk's place
 * in the connection table in one step under both slot locks, so a segment
 * of the connection finds one or the other, and its timer is armed
 * before the locks drop (see struct toy_tw).  @sk keeps its own bucket
 * membership; toy_done() decides about that.
 */
void toy_tw_hashdance(struct toy_tw *tw, struct sock *sk,
		      unsigned long expires)
{
	struct toy_bind_bucket *tb = toy_sk(sk)->tb;
	struct net *net = sock_net(sk);
	struct toy_ports *tp = toy_ports(net, TOY_SPACE_STREAM);
	struct toy_hslot *bslot = toy_bslot(net, tp, tb->port);
	struct toy_hslot *eslot = toy_eslot(tp, sk->sk_hash);

	spin_lock_bh(&bslot->lock);
	tw->tb = tb;
	tw->bind_user = toy_sk(sk)->bind_user;
	hlist_add_head_rcu(&tw->common.skc_bind_node, &tb->owners);
	tb->nr_owners++;
	if (tw->bind_user)
		tb->nr_user++;

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
 * @tw leaves the connection table and its bind bucket, if it is still in
 * them; true if this call took it out of the connection table (whoever
 * does is the one that ends it), and then counts @mib (-1: nothing).
 * @timer: called by the entry's timer handler, whose reference is given
 * up here too.  All of that under the slot locks, and the connection
 * slot lock is released last, after the bind slot's: a namespace's exit
 * that does not find an entry in the connection table any more, because
 * a handler took it out, takes that slot lock after the handler let it
 * go, so the handler touches nothing of the namespace (its bind table
 * included, which the exit frees next) but its stack from then on, and
 * module unload's grace periods cover its return.  Unlocking in the
 * nesting order instead would leave the handler on a bind slot that the
 * exit may already have freed.  Any context.
 */
bool toy_tw_unhash(struct toy_tw *tw, int mib, bool timer)
{
	struct net *net = sock_net(toy_tw_sk(tw));
	struct toy_ports *tp = toy_ports(net, TOY_SPACE_STREAM);
	struct toy_hslot *bslot = toy_bslot(net, tp, tw->common.skc_num);
	struct toy_hslot *eslot = toy_eslot(tp, tw->common.skc_hash);
	bool done;

	spin_lock_bh(&bslot->lock);
	__toy_tw_bind_unhash(tw);
	spin_lock(&eslot->lock);
	done = __toy_tw_ehash_unhash(tw);
	if (done && mib >= 0)
		TOY_INC_STATS(net, mib);
	if (timer) {
		toy_live_dec(TOY_LIVE_TIMER);
		toy_tw_put(tw);		/* @tw may be gone (after RCU) */
	}
	spin_unlock(&bslot->lock);
	spin_unlock_bh(&eslot->lock);	/* last: see above */
	return done;
}

/*
 * The namespace is going away (no socket of it is left, no segment can
 * arrive) or the module is: end every TIME_WAIT entry now, timer
 * included, as inet_twsk_purge() does.
 */
void toy_tw_purge_net(struct net *net)
{
	struct toy_ports *tp = toy_ports(net, TOY_SPACE_STREAM);
	struct hlist_nulls_node *node;
	struct toy_hslot *slot;
	struct toy_tw *tw;
	struct sock *sk;
	u32 i;

	for (i = 0; i < BIT(TOY_EHASH_BITS); i++) {
		slot = &tp->ehash[i];
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

/* Leave the listener or connection table, whichever @sk is in. */
void toy_unhash(struct sock *sk)
{
	struct toy_ports *tp = toy_ports(sock_net(sk), TOY_SPACE_STREAM);
	struct toy_hslot *slot;

	if (sk_unhashed(sk))
		return;
	slot = sk->sk_state == TCP_LISTEN ? toy_lslot(tp, sk->sk_hash) :
					    toy_eslot(tp, sk->sk_hash);
	spin_lock_bh(&slot->lock);
	sk_nulls_del_node_init_rcu(sk);
	spin_unlock_bh(&slot->lock);
}

/* ---- receive-path lookups (RCU) ------------------------------------ */

static struct sock *toy_sk_get_rcu(struct sock *sk)
{
	return sk && refcount_inc_not_zero(&sk->sk_refcnt) ? sk : NULL;
}

/*
 * May @sk take a segment that arrived on device @dif?  (@sdif: 0, or,
 * when that device is a VRF slave, the slave, and @dif its VRF.)  As
 * TCP's and UDP's inet_bound_dev_eq(): a socket bound to a device only
 * takes what came in on it, or, bound to a VRF, on its slaves; an
 * unbound one takes everything.
 */
static bool toy_dev_match(const struct sock *sk, int dif, int sdif)
{
	int bound = READ_ONCE(sk->sk_bound_dev_if);

	return !bound || bound == dif || bound == sdif;
}

/* The 4-tuple and the device of a received segment (inet_match()). */
static bool toy_match_rcv(const struct sock *sk, const struct net *net,
			  __be32 laddr, u16 lport, __be32 raddr,
			  __be16 rport, int dif, int sdif)
{
	return toy_match4(sk, net, laddr, lport, raddr, rport) &&
	       toy_dev_match(sk, dif, sdif);
}

/*
 * How well listener @sk matches; -1: not at all.  One bound to the
 * device the segment came in on beats an unbound one (TCP's
 * compute_score()).
 */
int toy_listener_score(const struct sock *sk, const struct net *net,
		       __be32 addr, u16 hnum, int dif, int sdif)
{
	if (READ_ONCE(sk->sk_num) != hnum ||
	    READ_ONCE(sk->sk_rcv_saddr) != addr ||
	    READ_ONCE(sk->sk_state) != TCP_LISTEN ||
	    !net_eq(sock_net(sk), net) || !toy_dev_match(sk, dif, sdif))
		return -1;
	return READ_ONCE(sk->sk_bound_dev_if) ? 2 : 1;
}

/*
 * One listener for (@addr, @hnum) and the device (@dif, @sdif), with a
 * reference: the best match, or, among equally good members of a
 * SO_REUSEPORT group, the one @phash picks (reservoir sampling with a
 * generator seeded by the 4-tuple, so each member is equally likely and
 * one flow always gets the same member while the group is unchanged).
 */
static struct sock *toy_lookup_listener(const struct net *net,
					struct toy_ports *tp, __be32 addr,
					u16 hnum, int dif, int sdif, u32 phash)
{
	u32 nr = toy_lslot_nr(toy_lhashfn(net, addr, hnum));
	struct hlist_nulls_node *node;
	struct sock *sk, *result;
	int score, best;
	u32 matches, h;

begin:
	result = NULL;
	best = 0;
	matches = 0;
	h = phash;
	sk_nulls_for_each_rcu(sk, node, &tp->lhash[nr].nhead) {
		score = toy_listener_score(sk, net, addr, hnum, dif, sdif);
		if (score > best) {
			result = sk;
			best = score;
			matches = 1;
			h = next_pseudo_random32(phash);
		} else if (score == best && sk->sk_reuseport &&
			   result->sk_reuseport) {
			matches++;
			if (reciprocal_scale(h, matches) == 0)
				result = sk;
			h = next_pseudo_random32(h);
		}
	}
	if (!result && get_nulls_value(node) != nr)
		goto begin;	/* moved to another chain under us */

	result = toy_sk_get_rcu(result);
	/* It may have stopped listening, or been rebound, meanwhile. */
	if (result &&
	    toy_listener_score(result, net, addr, hnum, dif, sdif) != best) {
		sock_put(result);
		goto begin;
	}
	return result;
}

/*
 * Who receives a stream segment from @saddr:@sport to @daddr:@dport that
 * arrived on device @dif (@sdif: see toy_dev_match())?  Returns the
 * socket with a reference, or NULL.
 */
struct sock *toy_lookup_stream(struct net *net, __be32 saddr, __be16 sport,
			       __be32 daddr, __be16 dport, int dif, int sdif)
{
	struct toy_ports *tp = toy_ports(net, TOY_SPACE_STREAM);
	u16 hnum = ntohs(dport);
	struct hlist_nulls_node *node;
	struct sock *sk;
	u32 nr;

	nr = toy_eslot_nr(toy_ehashfn(net, daddr, hnum, saddr, sport));
	rcu_read_lock();
begin:
	sk_nulls_for_each_rcu(sk, node, &tp->ehash[nr].nhead) {
		if (!toy_match_rcv(sk, net, daddr, hnum, saddr, sport, dif,
				   sdif))
			continue;
		sk = toy_sk_get_rcu(sk);
		if (!sk)
			goto begin;	/* being freed: look again */
		/* It may have been rehashed for another tuple meanwhile. */
		if (!toy_match_rcv(sk, net, daddr, hnum, saddr, sport, dif,
				   sdif)) {
			toy_sk_put(sk);
			goto begin;
		}
		goto out;
	}
	if (get_nulls_value(node) != nr)
		goto begin;	/* moved to another chain under us */
	rcu_read_unlock();
	return toy_lookup_stream_listener(net, saddr, sport, daddr, dport, dif,
					  sdif);
out:
	rcu_read_unlock();
	return sk;
}

/* The listener part of toy_lookup_stream() alone (a SYN on TIME_WAIT). */
struct sock *toy_lookup_stream_listener(struct net *net, __be32 saddr,
					__be16 sport, __be32 daddr,
					__be16 dport, int dif, int sdif)
{
	struct toy_ports *tp = toy_ports(net, TOY_SPACE_STREAM);
	u16 hnum = ntohs(dport);
	struct sock *sk;
	u32 phash;

	phash = toy_hash(net, (__force u32)saddr, (__force u32)daddr,
			 (u32)ntohs(sport) << 16 | hnum);
	rcu_read_lock();
	sk = toy_lookup_listener(net, tp, daddr, hnum, dif, sdif, phash);
	if (!sk)
		sk = toy_lookup_listener(net, tp, htonl(INADDR_ANY), hnum, dif,
					 sdif, phash);
	rcu_read_unlock();
	return sk;
}

/*
 * How well a datagram socket matches; -1: not at all (as UDP scores;
 * binding to the device the datagram came in on counts as much as an
 * address).  The port is checked too: a socket that left this bucket for
 * another while we stood on it leads the walk into the other bucket's
 * owners (UDP's chains have the same property; such a race may miss a
 * socket, never deliver to a wrong one).
 */
int toy_dgram_score(const struct sock *sk, __be32 saddr, __be16 sport,
		    __be32 daddr, u16 hnum, int dif, int sdif)
{
	__be32 rcv_saddr = READ_ONCE(sk->sk_rcv_saddr);
	__be32 peer = READ_ONCE(sk->sk_daddr);
	__be16 peer_port = READ_ONCE(sk->sk_dport);
	int score = 1;

	if (READ_ONCE(sk->sk_num) != hnum)
		return -1;

	if (rcv_saddr) {
		if (rcv_saddr != daddr)
			return -1;
		score += 4;
	}
	if (peer) {
		if (peer != saddr)
			return -1;
		score += 4;
	}
	if (peer_port) {
		if (peer_port != sport)
			return -1;
		score += 4;
	}
	if (!toy_dev_match(sk, dif, sdif))
		return -1;
	if (READ_ONCE(sk->sk_bound_dev_if))
		score += 4;
	return score;
}

/*
 * Who receives a datagram from @saddr:@sport to @daddr:@dport that
 * arrived on device @dif (@sdif: see toy_dev_match())?  Only the destination
 * port selects the candidates (the owners of its bucket).  Returns the
 * socket with a reference, or NULL.
 */
struct sock *toy_lookup_dgram(struct net *net, __be32 saddr, __be16 sport,
			      __be32 daddr, __be16 dport, int dif, int sdif)
{
	struct toy_ports *tp = toy_ports(net, TOY_SPACE_DGRAM);
	u16 hnum = ntohs(dport);
	struct toy_bind_bucket *tb;
	struct sock *sk, *result = NULL;
	int score, best = 0;
	u32 phash = 0, matches = 0;

	rcu_read_lock();
	tb = __toy_bucket_find(toy_bslot(net, tp, hnum), hnum);
	if (!tb)
		goto out;
	hlist_for_each_entry_rcu(sk, &tb->owners, sk_bind_node) {
		score = toy_dgram_score(sk, saddr, sport, daddr, hnum, dif,
					sdif);
		if (score > best) {
			result = sk;
			best = score;
			matches = 1;
			phash = toy_hash(net, (__force u32)saddr,
					 (__force u32)daddr,
					 (u32)ntohs(sport) << 16 | hnum);
		} else if (score == best && sk->sk_reuseport &&
			   result->sk_reuseport) {
			matches++;
			if (reciprocal_scale(phash, matches) == 0)
				result = sk;
			phash = next_pseudo_random32(phash);
		}
	}
	result = toy_sk_get_rcu(result);
	if (result &&
	    toy_dgram_score(result, saddr, sport, daddr, hnum, dif, sdif) < 0) {
		sock_put(result);	/* rebound meanwhile */
		result = NULL;
	}
out:
	rcu_read_unlock();
	return result;
}

/* ---- per-namespace tables ------------------------------------------ */

/* @nulls: chains are hlist_nulls ending in their slot number. */
static struct toy_hslot *toy_hslots_alloc(unsigned int bits, bool nulls,
					  struct lock_class_key *key)
{
	struct toy_hslot *slots;
	unsigned int i;

	slots = kvmalloc_array(BIT(bits), sizeof(*slots), GFP_KERNEL);
	if (!slots)
		return NULL;
	for (i = 0; i < BIT(bits); i++) {
		if (nulls)
			INIT_HLIST_NULLS_HEAD(&slots[i].nhead, i);
		else
			INIT_HLIST_HEAD(&slots[i].head);
		spin_lock_init(&slots[i].lock);
		lockdep_set_class(&slots[i].lock, key);
	}
	return slots;
}

/* Every table is empty by now: each socket held the namespace. */
static void toy_hslots_free(struct toy_hslot *slots, unsigned int bits,
			    bool nulls)
{
	unsigned int i;

	if (!slots)
		return;
	for (i = 0; i < BIT(bits); i++)
		WARN_ON_ONCE(nulls ? !hlist_nulls_empty(&slots[i].nhead) :
				     !hlist_empty(&slots[i].head));
	kvfree(slots);
}

/* Distinct lock classes, so lockdep checks the bind -> ehash order. */
static struct lock_class_key toy_bhash_key, toy_lhash_key, toy_ehash_key;

int toy_ports_init_net(struct net *net)
{
	struct toy_net *tn = toy_pernet(net);
	struct toy_ports *stream = &tn->ports[TOY_SPACE_STREAM];
	struct toy_ports *dgram = &tn->ports[TOY_SPACE_DGRAM];

	stream->bhash = toy_hslots_alloc(TOY_BHASH_BITS, false, &toy_bhash_key);
	stream->lhash = toy_hslots_alloc(TOY_LHASH_BITS, true, &toy_lhash_key);
	stream->ehash = toy_hslots_alloc(TOY_EHASH_BITS, true, &toy_ehash_key);
	dgram->bhash = toy_hslots_alloc(TOY_BHASH_BITS, false, &toy_bhash_key);
	if (!stream->bhash || !stream->lhash || !stream->ehash ||
	    !dgram->bhash) {
		toy_ports_exit_net(net);
		return -ENOMEM;
	}
	get_random_bytes(stream->perturb, sizeof(stream->perturb));
	return 0;
}

void toy_ports_exit_net(struct net *net)
{
	struct toy_net *tn = toy_pernet(net);
	struct toy_ports *stream = &tn->ports[TOY_SPACE_STREAM];
	struct toy_ports *dgram = &tn->ports[TOY_SPACE_DGRAM];

	toy_hslots_free(stream->bhash, TOY_BHASH_BITS, false);
	toy_hslots_free(stream->lhash, TOY_LHASH_BITS, true);
	toy_hslots_free(stream->ehash, TOY_EHASH_BITS, true);
	toy_hslots_free(dgram->bhash, TOY_BHASH_BITS, false);
	memset(stream, 0, sizeof(*stream));
	memset(dgram, 0, sizeof(*dgram));
}
