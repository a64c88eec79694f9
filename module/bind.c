// SPDX-License-Identifier: GPL-2.0
/*
 * AF_TOY bind table: who holds which port.
 *
 * Every network namespace has two port spaces, stream and datagram (as
 * TCP and UDP have), each with a bind table (struct toy_ports, toy.h):
 * port -> struct toy_bind_bucket -> owners.  Every socket that holds a
 * port is an owner, whether it got the port from bind() or from
 * connect(), and so is a TIME_WAIT entry (timewait.c): a bucket is
 * joined and left by __toy_bucket_join() and __toy_bucket_leave() alone.
 * The listener and connection tables, and the hashes of all three, are
 * lookup.c's.
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
 * Locks and references: the Implementation notes (af_toy.c).  A
 * bucket's owners change under its bind slot lock; an owner holds a
 * reference for its membership.  Buckets are kfree_rcu()'d, so the
 * datagram receive path may walk the owners under RCU alone.
 */

#include <linux/random.h>
#include <linux/rculist.h>
#include <linux/slab.h>
#include <net/sock.h>
#include <net/tcp_states.h>

#include "toy.h"

/**
 * toy_bslot() - The bind table slot of a port.
 * @net: the namespace.
 * @sp: the port space.
 * @port: the port, host order.
 *
 * Return: the slot of @port in @sp's bind table of @net.
 */
struct toy_hslot *toy_bslot(const struct net *net, enum toy_space sp,
			    u16 port)
{
	u32 hash = toy_hash(net, TOY_HASH_BIND, 0, port);

	return &toy_ports(net, sp)->bhash[hash & (BIT(TOY_BHASH_BITS) - 1)];
}

static struct toy_hslot *toy_sk_bslot(const struct sock *sk)
{
	return toy_bslot(sock_net(sk), toy_space_of(sk), toy_sk(sk)->tb->port);
}

/* ---- buckets (caller holds the bind slot lock: "__") ---------------- */

/**
 * __toy_bucket_find() - The bind bucket of a port.
 * @slot: the port's bind slot (toy_bslot()).
 * @port: the port, host order.
 *
 * Context: holds @slot's lock, or, in toy_lookup_dgram(), only
 *          rcu_read_lock().
 * Return: the bucket, or NULL if nobody holds @port.
 */
struct toy_bind_bucket *__toy_bucket_find(struct toy_hslot *slot, u16 port)
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

/* Free @tb if nobody holds its port any more. */
static void __toy_bucket_put(struct toy_bind_bucket *tb)
{
	if (tb->nr_owners)
		return;
	hlist_del_rcu(&tb->node);
	kfree_rcu(tb, rcu);
	toy_live_dec(TOY_LIVE_BUCKET);
}

/**
 * __toy_bucket_join() - Become an owner of a bind bucket's port.
 * @tb: the bucket.
 * @skc: a socket or a TIME_WAIT entry; the bucket takes a reference.
 * @user: counted in @tb->nr_user (toy_sock.bind_user): connect() then
 *        does not share the port.
 *
 * Context: holds the bind slot lock of @tb.
 */
void __toy_bucket_join(struct toy_bind_bucket *tb, struct sock_common *skc,
		       bool user)
{
	refcount_inc(&skc->skc_refcnt);
	hlist_add_head_rcu(&skc->skc_bind_node, &tb->owners);
	tb->nr_owners++;
	if (user)
		tb->nr_user++;
}

/**
 * __toy_bucket_leave() - The reverse of __toy_bucket_join().
 * @tb: the bucket; it goes (after a grace period) with its last owner.
 * @skc: the owner; the bucket's reference on it is dropped.
 * @user: as given to __toy_bucket_join().
 *
 * Context: holds the bind slot lock of @tb; the caller still has a
 *          reference on @skc.
 */
void __toy_bucket_leave(struct toy_bind_bucket *tb, struct sock_common *skc,
			bool user)
{
	hlist_del_init_rcu(&skc->skc_bind_node);
	tb->nr_owners--;
	if (user)
		tb->nr_user--;
	__toy_bucket_put(tb);
	refcount_dec(&skc->skc_refcnt);		/* the bucket's */
}

/**
 * __toy_sk_bucket_add() - A socket takes a bind bucket's port.
 * @tb: the bucket.
 * @sk: the socket; its tb, bind_user and sk_num are set.
 * @user: as for __toy_bucket_join().
 *
 * Context: holds the bind slot lock of @tb.
 */
void __toy_sk_bucket_add(struct toy_bind_bucket *tb, struct sock *sk,
			 bool user)
{
	struct toy_sock *ts = toy_sk(sk);

	ts->tb = tb;
	ts->bind_user = user;
	WRITE_ONCE(sk->sk_num, tb->port);
	__toy_bucket_join(tb, &sk->__sk_common, user);
}

static void __toy_sk_bucket_del(struct sock *sk)
{
	struct toy_sock *ts = toy_sk(sk);

	__toy_bucket_leave(ts->tb, &sk->__sk_common, ts->bind_user);
	ts->tb = NULL;
	ts->bind_user = false;
	WRITE_ONCE(sk->sk_num, 0);
}

/* ---- who may hold a port -------------------------------------------- */

/**
 * toy_bind_conflict() - Would two holders of one port conflict?
 * @sk: the socket about to hold the port.
 * @addr: the local address @sk would hold it on.
 * @sk2: a socket or TIME_WAIT entry that holds the port already.
 * @relax: an explicit port (bind() with a port, or listen()), for which
 *         SO_REUSEADDR and SO_REUSEPORT may exempt; an automatic choice
 *         takes only a port nobody overlaps.
 *
 * TCP's rules; see the top of this file.
 *
 * Return: true if they conflict.
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

/* ---- bind() and listen() -------------------------------------------- */

/* Take @port for @sk at @addr, or fail with -EADDRINUSE. */
static int toy_bind_fixed(struct sock *sk, __be32 addr, u16 port, bool relax)
{
	struct toy_hslot *slot = toy_bslot(sock_net(sk), toy_space_of(sk),
					   port);
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
	__toy_sk_bucket_add(tb, sk, true);
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

/**
 * toy_bind_port() - Take a port for bind(), or an automatic bind.
 * @sk: the socket, not bound.
 * @addr: the local address it holds the port on; INADDR_ANY: all.
 * @port: the port, host order; 0: the first unreserved one nobody
 *        overlaps, from a random point of ip_local_port_range.
 *
 * The caller has checked the address and the privilege.  @sk becomes an
 * owner that connect() does not share the port with (toy_sock.bind_user).
 *
 * Context: holds lock_sock(); may sleep when @port is 0.
 * Return: 0, -EADDRINUSE (taken, or no free port) or -ENOMEM.
 */
int toy_bind_port(struct sock *sk, __be32 addr, u16 port)
{
	if (port)
		return toy_bind_fixed(sk, addr, port, true);
	return toy_bind_ephemeral(sk, addr);
}

/**
 * toy_put_port() - Give a socket's port back.
 * @sk: the socket; nothing happens if it holds no port.
 *
 * Leaves the bind bucket (release, failed or dissolved connect): sk_num
 * goes back to 0, and the bucket with its last owner.
 *
 * Context: holds @sk's socket lock; takes the bind slot lock.
 */
void toy_put_port(struct sock *sk)
{
	struct toy_hslot *slot;

	if (!toy_sk(sk)->tb)
		return;
	slot = toy_sk_bslot(sk);
	spin_lock_bh(&slot->lock);
	__toy_sk_bucket_del(sk);
	spin_unlock_bh(&slot->lock);
}

/**
 * toy_reset_saddr() - Forget a local address that only connect() chose.
 * @sk: the socket.
 *
 * Back to INADDR_ANY unless bind() fixed the address
 * (SOCK_BINDADDR_LOCK); under the bind slot lock if @sk holds a port.
 *
 * Context: holds @sk's socket lock.
 */
void toy_reset_saddr(struct sock *sk)
{
	struct toy_hslot *slot;

	if (sk->sk_userlocks & SOCK_BINDADDR_LOCK)
		return;
	if (!toy_sk(sk)->tb) {
		WRITE_ONCE(sk->sk_rcv_saddr, 0);
		return;
	}
	slot = toy_sk_bslot(sk);
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

/**
 * toy_set_peer() - Set or clear a datagram socket's peer.
 * @sk: the datagram socket.
 * @saddr: the local address that goes with the peer, unless bind() fixed
 *         it; 0: back to the wildcard.
 * @daddr: the peer's address; 0: none.
 * @dport: the peer's port; 0: none.
 *
 * Under the bind slot lock if @sk holds a port (see __toy_set_peer()).
 *
 * Context: holds @sk's socket lock.
 */
void toy_set_peer(struct sock *sk, __be32 saddr, __be32 daddr, __be16 dport)
{
	struct toy_hslot *slot;

	if (!toy_sk(sk)->tb) {
		__toy_set_peer(sk, saddr, daddr, dport);
		return;
	}
	slot = toy_sk_bslot(sk);
	spin_lock_bh(&slot->lock);
	__toy_set_peer(sk, saddr, daddr, dport);
	spin_unlock_bh(&slot->lock);
}

/**
 * toy_listen_hash() - Enter a listener in the listener table.
 * @sk: the socket, bound and already in TCP_LISTEN.
 *
 * Check the port again with the listener rule (an earlier SO_REUSEADDR
 * sharer may have started listening) and enter the listener table, all
 * under the bind slot lock so two listen() calls cannot both pass.
 *
 * Context: holds lock_sock(); takes the bind slot lock, then the
 *          listener slot lock.
 * Return: 0, or -EADDRINUSE.
 */
int toy_listen_hash(struct sock *sk)
{
	struct toy_hslot *bslot = toy_sk_bslot(sk);
	int err = 0;

	spin_lock_bh(&bslot->lock);
	if (__toy_bucket_conflict(toy_sk(sk)->tb, sk, sk->sk_rcv_saddr, true))
		err = -EADDRINUSE;
	else
		__toy_listener_insert(sk);
	spin_unlock_bh(&bslot->lock);
	return err;
}

/* ---- connect() ------------------------------------------------------ */

/*
 * connect() of a bound socket: only the 4-tuple must be new.  A
 * TIME_WAIT entry of the same 4-tuple blocks it whatever tw_reuse says
 * (TCP's rule for a connection that had no timestamps).
 */
static int toy_connect_bound(struct sock *sk, __be32 saddr, __be32 daddr,
			     __be16 dport)
{
	struct toy_hslot *slot = toy_sk_bslot(sk);
	int err;

	spin_lock_bh(&slot->lock);
	err = __toy_ehash_insert_unique(sk, saddr, sk->sk_num, daddr, dport,
					NULL);
	spin_unlock_bh(&slot->lock);
	return err;
}

/*
 * Try @port for connect(): unless bind() holds it, @sk joins its bucket
 * and enters the connection table, taking over a TIME_WAIT entry of the
 * 4-tuple if tw_reuse allows (*@tw_isn: where the new connection must
 * start; else unchanged).  -EADDRINUSE: try another port.
 */
static int toy_connect_port(struct sock *sk, __be32 saddr, u16 port,
			    __be32 daddr, __be16 dport, u32 *tw_isn)
{
	struct toy_hslot *slot = toy_bslot(sock_net(sk), TOY_SPACE_STREAM,
					   port);
	struct toy_bind_bucket *tb;
	struct toy_tw *tw = NULL;
	bool created = false;

	spin_lock_bh(&slot->lock);
	tb = __toy_bucket_find(slot, port);
	if (tb && tb->nr_user)
		goto busy;	/* bind() holds it: not shared */
	if (!tb) {
		tb = __toy_bucket_create(slot, port);
		if (!tb) {
			spin_unlock_bh(&slot->lock);
			return -ENOMEM;
		}
		created = true;
	}
	if (__toy_ehash_insert_unique(sk, saddr, port, daddr, dport, &tw)) {
		if (created)
			__toy_bucket_put(tb);
		goto busy;
	}
	__toy_sk_bucket_add(tb, sk, false);
	if (tw)
		__toy_tw_bind_unhash(tw);
	spin_unlock_bh(&slot->lock);
	if (tw) {
		*tw_isn = toy_tw_isn(tw);
		toy_tw_deschedule_put(tw);
	}
	return 0;
busy:
	spin_unlock_bh(&slot->lock);
	return -EADDRINUSE;
}

/**
 * toy_connect_hash() - Take a local port and the 4-tuple for connect().
 * @sk: the socket, in SYN_SENT.
 * @saddr: the local address.
 * @daddr: the remote address.
 * @dport: the remote port, network order.
 * @tw_isn: the initial sequence number the connection must start from
 *          if it took a TIME_WAIT entry over, else 0.
 *
 * @sk gets a local port, if it has none, and enters the connection table
 * as (@saddr, port, @daddr, @dport).  A bound socket keeps its port, and
 * a TIME_WAIT entry of its 4-tuple blocks it whatever tw_reuse says.  An
 * unbound one walks the ports as RFC 6056 algorithm 4 (see the top of
 * this file), skipping those that bind() or listen() holds and those
 * whose 4-tuple to @daddr:@dport is taken, unless by a TIME_WAIT entry
 * that tw_reuse allows taking over.
 *
 * Context: holds lock_sock(); may sleep.
 * Return: 0; -EADDRNOTAVAIL if the 4-tuple of a bound socket is taken, or
 *         no port will do; -ENOMEM.
 */
int toy_connect_hash(struct sock *sk, __be32 saddr, __be32 daddr,
		     __be16 dport, u32 *tw_isn)
{
	struct net *net = sock_net(sk);
	struct toy_ports *tp = toy_ports(net, TOY_SPACE_STREAM);
	u32 offset, remaining, i, index, step;
	int low, high, err;
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

		if (toy_port_reserved(net, port))
			continue;
		err = toy_connect_port(sk, saddr, port, daddr, dport, tw_isn);
		if (err == -EADDRINUSE) {
			cond_resched();
			continue;
		}
		if (err)
			return err;
		/* As TCP: a random step when contention is low. */
		step = max_t(u32, i, get_random_u32_below(8) * 2);
		WRITE_ONCE(tp->perturb[index],
			   READ_ONCE(tp->perturb[index]) + step + 1);
		trace_toy_connect_port(sk);
		return 0;
	}
	return -EADDRNOTAVAIL;
}
