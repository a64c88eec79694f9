// SPDX-License-Identifier: GPL-2.0
/*
 * AF_TOY listener and connection tables: who receives a stream segment.
 *
 * The stream space of every namespace has, besides its bind table
 * (bind.c), two tables (struct toy_ports, toy.h):
 *
 *   listener table    (local address, port) -> listening sockets.
 *   connection table  (local addr, local port, remote addr, remote port)
 *                     -> the one socket, half-open entry or TIME_WAIT
 *                     entry of that connection.
 *
 * All hashes are SipHash with a secret drawn at module load and mixed
 * with the namespace (net_hash_mix()), so nobody outside can aim many
 * connections at one chain.  A 4-tuple enters the connection table only
 * through __toy_ehash_insert_unique(), whoever brings it: connect(), a
 * half-open entry, a TIME_WAIT takeover.
 *
 * Receive path (toy_lookup_stream()), under RCU only: the exact 4-tuple,
 * then a listener on the specific local address, then a wildcard
 * listener.  Equal listeners that all set SO_REUSEPORT share the
 * traffic: the choice is a hash of the 4-tuple, so one flow always
 * reaches the same member.  A socket bound to a device (SO_BINDTODEVICE)
 * only receives what arrived on that device (or, bound to a VRF, on one
 * of its slaves), and beats an unbound one; an unbound one receives from
 * every device (inet_bound_dev_eq() with l3mdev_accept on).
 *
 * Locks and references: the Implementation notes (af_toy.c).  A socket
 * in the listener or connection table holds a reference for it
 * (sk_nulls_add_node_rcu()).  Sockets are SOCK_RCU_FREE: a reader under
 * RCU never touches freed memory, and takes a reference with
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

/**
 * toy_ports_init() - Draw the secret of every table hash.
 *
 * Once, at module load, before any namespace has tables.
 */
void toy_ports_init(void)
{
	get_random_bytes(&toy_hash_secret, sizeof(toy_hash_secret));
}

/**
 * toy_hash() - The hash of every table, keyed, per namespace.
 * @net: the namespace, mixed in (net_hash_mix()).
 * @a: first word; the bind and listener tables put their tag here
 *     (TOY_HASH_BIND, TOY_HASH_LISTEN).
 * @b: second word.
 * @c: third word.
 *
 * SipHash with the secret of toy_ports_init(), so nobody outside can aim
 * many entries at one chain.
 *
 * Return: the hash.
 */
u64 toy_hash(const struct net *net, u32 a, u32 b, u32 c)
{
	return siphash_4u32(a, b, c, net_hash_mix(net), &toy_hash_secret);
}

static u32 toy_lhashfn(const struct net *net, __be32 addr, u16 port)
{
	return toy_hash(net, TOY_HASH_LISTEN, (__force u32)addr, port);
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

static struct toy_hslot *toy_lslot(const struct net *net, u32 hash)
{
	return &toy_ports(net, TOY_SPACE_STREAM)->lhash[toy_lslot_nr(hash)];
}

/**
 * toy_eslot() - The connection table's slot of a hash.
 * @net: the namespace.
 * @hash: the hash (sk_hash of the table's entries).
 *
 * Return: the slot of @hash in @net's connection table.
 */
struct toy_hslot *toy_eslot(const struct net *net, u32 hash)
{
	return &toy_ports(net, TOY_SPACE_STREAM)->ehash[toy_eslot_nr(hash)];
}

/* ---- listener table -------------------------------------------------- */

/**
 * __toy_listener_insert() - Enter a listener in the listener table.
 * @sk: the listener, bound, in TCP_LISTEN.
 *
 * @sk is hashed by its local address and port (sk_hash); the table
 * takes a reference.
 *
 * Context: holds @sk's bind slot lock, bottom halves off
 *          (toy_listen_hash()); takes the listener slot lock.
 */
void __toy_listener_insert(struct sock *sk)
{
	struct toy_hslot *lslot;

	sk->sk_hash = toy_lhashfn(sock_net(sk), sk->sk_rcv_saddr, sk->sk_num);
	lslot = toy_lslot(sock_net(sk), sk->sk_hash);
	spin_lock(&lslot->lock);
	sk_nulls_add_node_rcu(sk, &lslot->nhead);
	spin_unlock(&lslot->lock);
}

/* ---- connection table ------------------------------------------------ */

static bool toy_match4(const struct sock *sk, const struct net *net,
		       __be32 laddr, u16 lport, __be32 raddr, __be16 rport)
{
	return READ_ONCE(sk->sk_num) == lport &&
	       READ_ONCE(sk->sk_dport) == rport &&
	       READ_ONCE(sk->sk_rcv_saddr) == laddr &&
	       READ_ONCE(sk->sk_daddr) == raddr &&
	       net_eq(sock_net(sk), net);
}

/**
 * __toy_ehash_insert_unique() - Enter a new 4-tuple in the connection table.
 * @sk: a socket or a half-open entry.
 * @laddr: local address.
 * @lport: local port, host order.
 * @raddr: remote address.
 * @rport: remote port, network order.
 * @twp: NULL, or where a TIME_WAIT entry taken over goes.
 *
 * Enter @sk as (@laddr, @lport, @raddr, @rport), its addresses, remote
 * port and sk_hash set, unless that 4-tuple is taken: by a connection, a
 * half-open entry (the same SYN on another CPU), or a TIME_WAIT entry.
 * The last may be taken over when @twp is given (a port connect() chose)
 * and net.toy.tw_reuse allows it (toy_tw_unique()): then the entry
 * leaves the connection table here, *@twp gets it with a reference, and
 * the caller takes it out of its bind bucket and, once the locks are
 * dropped, stops its timer (toy_tw_deschedule_put()).
 *
 * Context: holds the bind slot lock of @lport, or the listener's
 *          req_lock, with bottom halves off; takes the connection slot
 *          lock.
 * Return: 0, or -EADDRNOTAVAIL (as TCP) if the 4-tuple is taken.
 */
int __toy_ehash_insert_unique(struct sock *sk, __be32 laddr, u16 lport,
			      __be32 raddr, __be16 rport, struct toy_tw **twp)
{
	struct net *net = sock_net(sk);
	u32 hash = toy_ehashfn(net, laddr, lport, raddr, rport);
	struct toy_hslot *slot = toy_eslot(net, hash);
	struct hlist_nulls_node *node;
	struct toy_tw *tw = NULL;
	struct sock *sk2;

	spin_lock(&slot->lock);
	sk_nulls_for_each(sk2, node, &slot->nhead) {
		if (!toy_match4(sk2, net, laddr, lport, raddr, rport))
			continue;
		if (twp && toy_is_tw(sk2) && toy_tw_unique(toy_tw(sk2))) {
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

/**
 * __toy_req_hash() - Enter a half-open entry in the connection table.
 * @reqsk: the entry, its 4-tuple set.
 *
 * Context: holds the listener's req_lock, with bottom halves off.
 * Return: 0, or -EADDRNOTAVAIL if the 4-tuple is taken.
 */
int __toy_req_hash(struct sock *reqsk)
{
	return __toy_ehash_insert_unique(reqsk, reqsk->sk_rcv_saddr,
					 reqsk->sk_num, reqsk->sk_daddr,
					 reqsk->sk_dport, NULL);
}

/**
 * __toy_req_unhash() - Take a half-open entry out of the connection table.
 * @reqsk: the entry.
 *
 * The table's reference on @reqsk goes with it.
 *
 * Context: holds the listener's req_lock, with bottom halves off.
 * Return: true if @reqsk was in the table.
 */
bool __toy_req_unhash(struct sock *reqsk)
{
	struct toy_hslot *slot = toy_eslot(sock_net(reqsk), reqsk->sk_hash);
	bool done;

	spin_lock(&slot->lock);
	done = sk_nulls_del_node_init_rcu(reqsk);
	spin_unlock(&slot->lock);
	return done;
}

/**
 * __toy_child_hash() - Put a new child in its half-open entry's place.
 * @child: the new socket, its 4-tuple set.
 * @listener: the listener, whose port @child takes.
 * @reqsk: the entry whose handshake completed; still in the table.
 *
 * @child joins the bind bucket of the listener's port, as TCP's
 * __inet_inherit_port(), and replaces @reqsk in the connection table in
 * one step, so a segment of the connection always finds one or the
 * other.  The table's reference on @reqsk goes; the bucket and the table
 * each take one on @child.
 *
 * Context: holds the listener's req_lock, with bottom halves off; takes
 *          the bind slot lock, then the connection slot lock.
 */
void __toy_child_hash(struct sock *child, struct sock *listener,
		      struct sock *reqsk)
{
	struct toy_bind_bucket *tb = toy_sk(listener)->tb;
	struct net *net = sock_net(child);
	struct toy_hslot *bslot = toy_bslot(net, TOY_SPACE_STREAM, tb->port);
	struct toy_hslot *eslot = toy_eslot(net, reqsk->sk_hash);

	spin_lock(&bslot->lock);
	__toy_sk_bucket_add(tb, child, false);
	child->sk_hash = reqsk->sk_hash;
	spin_lock(&eslot->lock);
	sk_nulls_del_node_init_rcu(reqsk);
	sk_nulls_add_node_rcu(child, &eslot->nhead);
	spin_unlock(&eslot->lock);
	spin_unlock(&bslot->lock);
}

/**
 * toy_unhash() - Leave the listener or connection table.
 * @sk: the socket: the listener table's if in TCP_LISTEN, else the
 *      connection table's; nothing happens if it is in neither.
 *
 * The table's reference goes with it.
 *
 * Context: holds @sk's socket lock; takes the slot lock with bottom
 *          halves off.
 */
void toy_unhash(struct sock *sk)
{
	struct toy_hslot *slot;

	if (sk_unhashed(sk))
		return;
	slot = sk->sk_state == TCP_LISTEN ?
	       toy_lslot(sock_net(sk), sk->sk_hash) :
	       toy_eslot(sock_net(sk), sk->sk_hash);
	spin_lock_bh(&slot->lock);
	sk_nulls_del_node_init_rcu(sk);
	spin_unlock_bh(&slot->lock);
}

/* ---- receive-path lookups (RCU) -------------------------------------- */

/**
 * toy_sk_get_rcu() - Take a reference on what a lookup found.
 * @sk: a socket, a half-open or TIME_WAIT entry, or NULL.
 *
 * Context: rcu_read_lock(), under which @sk was found.
 * Return: @sk with a new reference, or NULL if @sk is NULL or its count
 *         already reached zero (it is being freed).
 */
struct sock *toy_sk_get_rcu(struct sock *sk)
{
	return sk && refcount_inc_not_zero(&sk->sk_refcnt) ? sk : NULL;
}

/**
 * toy_dev_match() - May a socket take a segment from this device?
 * @sk: the socket, or an entry of the connection table.
 * @dif: the device the segment arrived on; its VRF if it is a VRF slave.
 * @sdif: 0, or, when that device is a VRF slave, the slave.
 *
 * As TCP's and UDP's inet_bound_dev_eq() with l3mdev_accept on: a socket
 * bound to a device only takes what came in on it, or, bound to a VRF,
 * on its slaves; an unbound one takes everything.
 *
 * Return: true if @sk may take the segment.
 */
bool toy_dev_match(const struct sock *sk, int dif, int sdif)
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

/**
 * toy_listener_score() - How well a listener matches a segment.
 * @sk: an entry of the listener table.
 * @net: the segment's namespace.
 * @addr: the local address looked up (the destination, or INADDR_ANY).
 * @hnum: the local port, host order.
 * @dif: the device the segment came in on (see toy_dev_match()).
 * @sdif: 0, or the VRF slave it came in on.
 *
 * @sk matches if it listens on exactly (@addr, @hnum) in @net and may
 * take the segment from that device.  One bound to the device beats an
 * unbound one (TCP's compute_score()).
 *
 * Return: -1 if @sk does not match; 2 if it is bound to a device; 1.
 */
int toy_listener_score(const struct sock *sk, const struct net *net,
		       __be32 addr, u16 hnum, int dif, int sdif)
{
	if (READ_ONCE(sk->sk_num) != hnum ||
	    READ_ONCE(sk->sk_rcv_saddr) != addr ||
	    toy_state_load(sk) != TCP_LISTEN ||
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
static struct sock *toy_lookup_listener(const struct net *net, __be32 addr,
					u16 hnum, int dif, int sdif, u32 phash)
{
	u32 nr = toy_lslot_nr(toy_lhashfn(net, addr, hnum));
	struct toy_hslot *slot = toy_lslot(net, nr);
	struct hlist_nulls_node *node;
	struct sock *sk, *result;
	int score, best;
	u32 matches, h;

begin:
	result = NULL;
	best = 0;
	matches = 0;
	h = phash;
	sk_nulls_for_each_rcu(sk, node, &slot->nhead) {
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

/**
 * toy_lookup_stream() - Who receives a stream segment.
 * @net: the namespace it arrived in.
 * @saddr: its source address.
 * @sport: its source port.
 * @daddr: its destination address.
 * @dport: its destination port.
 * @dif: the device it arrived on (see toy_dev_match()).
 * @sdif: 0, or the VRF slave it arrived on.
 *
 * The connection table's entry of the exact 4-tuple (a socket, a
 * half-open entry or a TIME_WAIT entry), else a listener
 * (toy_lookup_stream_listener()).
 *
 * Context: softirq or process context; takes rcu_read_lock() itself.
 * Return: the receiver with a reference (drop it with toy_sk_put()), or
 *         NULL.
 */
struct sock *toy_lookup_stream(struct net *net, __be32 saddr, __be16 sport,
			       __be32 daddr, __be16 dport, int dif, int sdif)
{
	u16 hnum = ntohs(dport);
	struct hlist_nulls_node *node;
	struct toy_hslot *slot;
	struct sock *sk;
	u32 nr;

	nr = toy_eslot_nr(toy_ehashfn(net, daddr, hnum, saddr, sport));
	slot = toy_eslot(net, nr);
	rcu_read_lock();
begin:
	sk_nulls_for_each_rcu(sk, node, &slot->nhead) {
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

/**
 * toy_lookup_stream_listener() - The listener part of toy_lookup_stream().
 * @net: the namespace the segment arrived in.
 * @saddr: its source address.
 * @sport: its source port.
 * @daddr: its destination address.
 * @dport: its destination port.
 * @dif: the device it arrived on (see toy_dev_match()).
 * @sdif: 0, or the VRF slave it arrived on.
 *
 * A listener on @daddr first, then a wildcard one; among equal members
 * of a SO_REUSEPORT group, the one a hash of the 4-tuple picks.  Called
 * alone for a SYN that finds a TIME_WAIT entry.
 *
 * Context: softirq or process context; takes rcu_read_lock() itself.
 * Return: the listener with a reference, or NULL.
 */
struct sock *toy_lookup_stream_listener(struct net *net, __be32 saddr,
					__be16 sport, __be32 daddr,
					__be16 dport, int dif, int sdif)
{
	u16 hnum = ntohs(dport);
	struct sock *sk;
	u32 phash;

	phash = toy_hash(net, (__force u32)saddr, (__force u32)daddr,
			 (u32)ntohs(sport) << 16 | hnum);
	rcu_read_lock();
	sk = toy_lookup_listener(net, daddr, hnum, dif, sdif, phash);
	if (!sk)
		sk = toy_lookup_listener(net, htonl(INADDR_ANY), hnum, dif,
					 sdif, phash);
	rcu_read_unlock();
	return sk;
}

/* ---- walking the tables (/proc) -------------------------------------- */

/* The @idx-th entry of a listener or connection chain, or NULL. */
static struct sock *toy_walk_nulls(struct hlist_nulls_head *head, u32 idx)
{
	struct hlist_nulls_node *node;
	struct sock *sk;

	sk_nulls_for_each_rcu(sk, node, head)
		if (!idx--)
			return sk;
	return NULL;
}

/*
 * The @idx-th owner of the buckets of a bind chain, or NULL; @closed:
 * only sockets in CLOSE (the stream space's, which the other two tables
 * do not show).
 */
static struct sock *toy_walk_owners(struct hlist_head *head, u32 idx,
				    bool closed)
{
	struct toy_bind_bucket *tb;
	struct sock *sk;

	hlist_for_each_entry_rcu(tb, head, node)
		hlist_for_each_entry_rcu(sk, &tb->owners, sk_bind_node) {
			if (closed && toy_state_load(sk) != TCP_CLOSE)
				continue;
			if (!idx--)
				return sk;
		}
	return NULL;
}

static const u32 toy_walk_slots[TOY_WALK_DONE] = {
	[TOY_WALK_LISTENERS]	= BIT(TOY_LHASH_BITS),
	[TOY_WALK_CONNECTIONS]	= BIT(TOY_EHASH_BITS),
	[TOY_WALK_BOUND]	= BIT(TOY_BHASH_BITS),
};

/**
 * toy_walk_start() - Start a walk of one port space's tables.
 * @w: the walk.
 * @sp: the space.
 *
 * The stream space: every listener, then every entry of the connection
 * table, then every socket that only holds a port.  The datagram space:
 * every socket that holds a port.
 */
void toy_walk_start(struct toy_walk *w, enum toy_space sp)
{
	w->space = sp;
	w->table = sp == TOY_SPACE_STREAM ? TOY_WALK_LISTENERS : TOY_WALK_BOUND;
	w->slot = 0;
	w->idx = 0;
}

/**
 * toy_walk_find() - The entry a walk stands on.
 * @net: the namespace.
 * @w: the walk (toy_walk_start()).
 *
 * The entry @w stands on or, if it is gone, the next one, with @w moved
 * there.  Step on with w->idx++.  Entries that move while the walk runs
 * may be missed or seen twice.
 *
 * Context: rcu_read_lock(); no reference is taken.
 * Return: the entry, or NULL at the end.
 */
struct sock *toy_walk_find(struct net *net, struct toy_walk *w)
{
	struct toy_ports *tp = toy_ports(net, w->space);
	struct sock *sk;

	for (; w->table < TOY_WALK_DONE; w->table++, w->slot = 0, w->idx = 0)
		for (; w->slot < toy_walk_slots[w->table];
		     w->slot++, w->idx = 0) {
			if (w->table == TOY_WALK_LISTENERS)
				sk = toy_walk_nulls(&tp->lhash[w->slot].nhead,
						    w->idx);
			else if (w->table == TOY_WALK_CONNECTIONS)
				sk = toy_walk_nulls(&tp->ehash[w->slot].nhead,
						    w->idx);
			else
				sk = toy_walk_owners(&tp->bhash[w->slot].head,
						     w->idx,
						     w->space == TOY_SPACE_STREAM);
			if (sk)
				return sk;
		}
	return NULL;
}

/* ---- per-namespace tables -------------------------------------------- */

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

/**
 * toy_ports_init_net() - Allocate a namespace's port tables.
 * @net: the new namespace.
 *
 * The stream space's bind, listener and connection tables, the datagram
 * space's bind table, and random RFC 6056 perturbations.  On failure
 * nothing is left allocated.
 *
 * Context: process context (pernet init); may sleep.
 * Return: 0 or -ENOMEM.
 */
int toy_ports_init_net(struct net *net)
{
	struct toy_ports *stream = toy_ports(net, TOY_SPACE_STREAM);
	struct toy_ports *dgram = toy_ports(net, TOY_SPACE_DGRAM);

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

/**
 * toy_ports_exit_net() - Free a namespace's port tables.
 * @net: the namespace.
 *
 * Every table is empty by now (each socket held the namespace, and
 * toy_tw_purge_net() ended the TIME_WAIT entries); a chain that is not
 * draws a warning.  Also undoes a failed toy_ports_init_net().
 */
void toy_ports_exit_net(struct net *net)
{
	struct toy_ports *stream = toy_ports(net, TOY_SPACE_STREAM);
	struct toy_ports *dgram = toy_ports(net, TOY_SPACE_DGRAM);

	toy_hslots_free(stream->bhash, TOY_BHASH_BITS, false);
	toy_hslots_free(stream->lhash, TOY_LHASH_BITS, true);
	toy_hslots_free(stream->ehash, TOY_EHASH_BITS, true);
	toy_hslots_free(dgram->bhash, TOY_BHASH_BITS, false);
	memset(stream, 0, sizeof(*stream));
	memset(dgram, 0, sizeof(*dgram));
}
