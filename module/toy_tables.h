/* SPDX-License-Identifier: GPL-2.0 */
/*
 * AF_TOY's port tables: who holds which port (bind.c), who listens and
 * which connections exist (lookup.c), and the walk of them that
 * /proc/net/toy uses (proc.c).  Included through toy.h.
 */
#ifndef _TOY_TABLES_H
#define _TOY_TABLES_H

#include <linux/list.h>
#include <linux/list_nulls.h>
#include <linux/spinlock.h>
#include <net/sock.h>

struct toy_tw;

/*
 * Port tables (bind.c, lookup.c).  Each network namespace has two port spaces,
 * stream and datagram, as TCP and UDP do; each space has a bind table, and
 * the stream space also a listener table and a connection table.
 *
 * A table is an array of slots, each a hash chain and the spinlock that
 * serialises its writers.  Readers on the receive path walk a chain under
 * rcu_read_lock() only.  Writers run in process context and later in
 * softirq (a connection completing), so slot locks are taken with _bh.
 *
 * A socket may leave a listener or connection chain and enter another at
 * once (connect(AF_UNSPEC), then connect() elsewhere), and a reader
 * standing on it would follow it into the wrong chain.  So those chains
 * are hlist_nulls lists ending in their own slot number, as TCP's: a
 * reader that ends on another slot's number walks its chain again.
 *
 * Lock order: the Implementation notes (af_toy.c).
 */

/**
 * struct toy_hslot - one slot of a table: a hash chain and its lock.
 * @head: the chain of a bind table slot (struct toy_bind_bucket).
 * @nhead: the chain of a listener or connection table slot, ending in
 *      the slot's number.
 * @lock: serialises the writers of the chain.
 */
struct toy_hslot {
	union {
		struct hlist_head	head;
		struct hlist_nulls_head	nhead;
	};
	spinlock_t		lock;	/* serialises writers */
};

/**
 * struct toy_bind_bucket - one port in use in one port space.
 *
 * @node: in the bind table slot of hash(@port), RCU.
 * @owners: the sockets that hold @port, by sk_bind_node, RCU.
 * @port: the port, host order.
 * @nr_owners: entries of @owners.
 * @nr_user: owners that hold the port through bind() (toy_sock.bind_user).
 * @rcu: frees the bucket after a grace period.
 *
 * Created when the first owner arrives, unlinked and freed (after a grace
 * period) when the last one leaves; all of it under the slot lock.
 */
struct toy_bind_bucket {
	struct hlist_node	node;
	struct hlist_head	owners;
	struct rcu_head		rcu;
	u16			port;
	u32			nr_owners;
	u32			nr_user;
};

enum toy_space {
	TOY_SPACE_STREAM,
	TOY_SPACE_DGRAM,
	TOY_SPACE_NR
};

#define TOY_BHASH_BITS		10	/* bind table: 1024 slots per space */
#define TOY_LHASH_BITS		8	/* listener table: 256 slots */
#define TOY_EHASH_BITS		14	/* connection table: 16384 slots */
#define TOY_PERTURB_BITS	8	/* RFC 6056 algorithm 4 table */

/**
 * struct toy_ports - the tables of one port space of one namespace.
 * @bhash: the bind table, 1 << TOY_BHASH_BITS slots.
 * @lhash: the listener table, 1 << TOY_LHASH_BITS slots; NULL in the
 *      datagram space.
 * @ehash: the connection table, 1 << TOY_EHASH_BITS slots; NULL in the
 *      datagram space.
 * @perturb: RFC 6056's table of per-destination offsets (algorithm 4),
 *      updated with WRITE_ONCE by connect(); a lost update only changes
 *      which free port is tried first.
 */
struct toy_ports {
	struct toy_hslot	*bhash;
	struct toy_hslot	*lhash;
	struct toy_hslot	*ehash;
	u32			perturb[1 << TOY_PERTURB_BITS];
};

/* The port space of a socket: TCP's or UDP's, so to speak. */
static inline enum toy_space toy_space_of(const struct sock *sk)
{
	return sk->sk_type == SOCK_STREAM ? TOY_SPACE_STREAM : TOY_SPACE_DGRAM;
}

/* Domain tags: the bind and listener hashes never meet the 4-tuple's. */
#define TOY_HASH_BIND		1
#define TOY_HASH_LISTEN		2

/* bind.c: who holds which port.  "__": the caller holds the slot lock. */
struct toy_hslot *toy_bslot(const struct net *net, enum toy_space sp,
			    u16 port);
struct toy_bind_bucket *__toy_bucket_find(struct toy_hslot *slot, u16 port);
void __toy_bucket_join(struct toy_bind_bucket *tb, struct sock_common *skc,
		       bool user);
void __toy_bucket_leave(struct toy_bind_bucket *tb, struct sock_common *skc,
			bool user);
void __toy_sk_bucket_add(struct toy_bind_bucket *tb, struct sock *sk,
			 bool user);
int toy_bind_port(struct sock *sk, __be32 addr, u16 port);
void toy_put_port(struct sock *sk);
void toy_reset_saddr(struct sock *sk);
void toy_set_peer(struct sock *sk, __be32 saddr, __be32 daddr, __be16 dport);
int toy_listen_hash(struct sock *sk);
int toy_connect_hash(struct sock *sk, __be32 saddr, __be32 daddr,
		     __be16 dport, u32 *tw_isn);

/* lookup.c: the listener and connection tables, the tables' hashes. */
void toy_ports_init(void);
int toy_ports_init_net(struct net *net);
void toy_ports_exit_net(struct net *net);
u64 toy_hash(const struct net *net, u32 a, u32 b, u32 c);
struct toy_hslot *toy_eslot(const struct net *net, u32 hash);
void __toy_listener_insert(struct sock *sk);
int __toy_ehash_insert_unique(struct sock *sk, __be32 laddr, u16 lport,
			      __be32 raddr, __be16 rport, struct toy_tw **twp);
int __toy_req_hash(struct sock *reqsk);
bool __toy_req_unhash(struct sock *reqsk);
void __toy_child_hash(struct sock *child, struct sock *listener,
		      struct sock *reqsk);
void toy_unhash(struct sock *sk);
struct sock *toy_sk_get_rcu(struct sock *sk);
bool toy_dev_match(const struct sock *sk, int dif, int sdif);
struct sock *toy_lookup_stream(struct net *net, __be32 saddr, __be16 sport,
			       __be32 daddr, __be16 dport, int dif, int sdif);
struct sock *toy_lookup_stream_listener(struct net *net, __be32 saddr,
					__be16 sport, __be32 daddr,
					__be16 dport, int dif, int sdif);

/* The tables a walk visits, in its order. */
enum {
	TOY_WALK_LISTENERS,
	TOY_WALK_CONNECTIONS,
	TOY_WALK_BOUND,		/* sockets that hold a port and nothing else */
	TOY_WALK_DONE
};

/**
 * struct toy_walk - where a walk of one space's tables stands (/proc).
 * @space: the port space walked.
 * @table: the table it is in (TOY_WALK_*).
 * @slot: the slot of that table.
 * @idx: the entry of that slot, counted from its head.
 */
struct toy_walk {
	enum toy_space	space;
	int		table;
	u32		slot;
	u32		idx;
};

void toy_walk_start(struct toy_walk *w, enum toy_space sp);
struct sock *toy_walk_find(struct net *net, struct toy_walk *w);

#endif /* _TOY_TABLES_H */
