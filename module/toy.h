/* SPDX-License-Identifier: GPL-2.0 */
/*
 * AF_TOY internal declarations, shared by the files of toy.ko.
 *
 * Conventions (as in net/mctp): a function whose name starts with "__"
 * expects its caller to hold the lock named in its comment; every lock and
 * reference rule is written next to the data it protects.
 */
#ifndef _TOY_H
#define _TOY_H

#include <linux/atomic.h>
#include <linux/percpu.h>
#include <linux/seqlock.h>
#include <linux/siphash.h>
#include <linux/spinlock.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <net/sock.h>
#include <linux/toy.h>

/* Module parameters (af_toy.c); fixed once the module is loaded. */
extern int toy_family;
extern unsigned int toy_ipproto;

struct toy_bind_bucket;

/*
 * struct toy_sock - an AF_TOY socket, stream or datagram.
 *
 * @sk: the core socket; must stay the first member (checked at build
 *      time) because the core allocates and frees it by proto->obj_size.
 *      Its addressing lives in the struct sock_common fields that inet
 *      uses, so the names read the same as in TCP:
 *        sk_rcv_saddr  local address (INADDR_ANY = wildcard)
 *        sk_num        local port, host order (0 = not bound)
 *        sk_daddr      remote address, sk_dport remote port (network order)
 *        sk_hash       hash of the table (ehash/lhash) the socket is in
 *        sk_node       membership of the connection or listener table
 *        sk_bind_node  membership of the bind bucket's owner list
 *      They change only under lock_sock() *and* the table slot lock of
 *      the table being changed; a receive-path reader under RCU reads
 *      them with no lock, so writers use WRITE_ONCE where it matters.
 * @tb: the bind bucket that holds the socket's port, or NULL.  Set and
 *      cleared under lock_sock() and the bucket's bhash slot lock.
 * @bind_user: the port was taken by bind() or listen()'s automatic bind,
 *      not by connect()'s automatic choice.  Only ports that no bind()
 *      holds are shared by connections to different destinations.
 *
 * Lifetime: allocated in toy_create(), freed when the last reference to
 * @sk is dropped (sock_put()); toy_sock_destruct() runs then.  Every
 * AF_TOY socket has SOCK_RCU_FREE, so the memory outlives an RCU grace
 * period after the last reference: a reader that found the socket in a
 * table under rcu_read_lock() may look at it and take a reference with
 * refcount_inc_not_zero().  Each table entry holds one reference of its
 * own (sock_hold() at insertion, __sock_put() at removal).
 */
struct toy_sock {
	struct sock		sk;
	struct toy_bind_bucket	*tb;
	bool			bind_user;

	/*
	 * Connection state (stream.c), under the socket lock: lock_sock()
	 * in process context, bh_lock_sock() on the receive path and in
	 * timers, which defer to the owner while it holds the socket.
	 */
	u32			iss;		/* initial send sequence */
	u32			snd_nxt;	/* next sequence to send */
	u8			syn_tries;	/* SYN retransmissions so far */
	unsigned long		rto;		/* retransmission timeout */
	struct timer_list	rtx_timer;	/* holds a sock reference */
	unsigned long		deferred;	/* TOY_DEFER_* bits, atomic */
};

/*
 * Work a timer found it could not do because a user held the socket; the
 * owner does it in release_sock() (proto.release_cb).  A set bit holds a
 * socket reference and counts as a live timer, like the timer itself.
 */
enum {
	TOY_DEFER_RTX,		/* the retransmission timer fired */
};

static inline struct toyhdr *toy_hdr(const struct sk_buff *skb)
{
	return (struct toyhdr *)skb_transport_header(skb);
}

static inline struct toy_sock *toy_sk(const struct sock *sk)
{
	return (struct toy_sock *)sk;
}

/*
 * Live-object counters (live.c), module-wide, exported read-only under
 * /sys/module/toy/live/.  Each kind is counted up when an object is
 * created (or a timer armed) and down when it is freed (or the timer has
 * run or been cancelled), so every count must be back at zero whenever
 * no AF_TOY socket is open and nothing is pending: the selftests assert
 * it, and module exit warns if it is not.
 */
enum toy_live_kind {
	TOY_LIVE_SOCK,		/* struct toy_sock, listeners and children */
	TOY_LIVE_REQ,		/* half-open connection entries */
	TOY_LIVE_TW,		/* TIME_WAIT entries */
	TOY_LIVE_TIMER,		/* armed timers */
	TOY_LIVE_BUCKET,	/* bind buckets (one per port in use) */
	TOY_LIVE_NR
};

void toy_live_inc(enum toy_live_kind kind);
void toy_live_dec(enum toy_live_kind kind);
long toy_live_read(enum toy_live_kind kind);
int toy_live_init(void);
void toy_live_exit(void);

/*
 * Per-namespace statistics, shown in /proc/net/toy_stat in the two-line
 * "Toy: names / Toy: values" format of /proc/net/netstat.  Per-CPU, so
 * counting on a hot path never bounces a cache line; summed when read.
 */
enum toy_mib_field {
	TOY_MIB_SOCKCREATE,	/* sockets created in this namespace */
	TOY_MIB_SOCKRELEASE,	/* sockets released (closed) */
	TOY_MIB_INSEGS,		/* segments received (as TCP's InSegs) */
	TOY_MIB_OUTSEGS,	/* segments sent */
	TOY_MIB_INERRS,		/* segments dropped as malformed */
	TOY_MIB_OUTRSTS,	/* resets sent */
	TOY_MIB_INCSUMERRORS,	/* segments dropped for their checksum */
	TOY_MIB_MAX
};

struct toy_mib {
	unsigned long	mibs[TOY_MIB_MAX];
};

/*
 * Port tables (ports.c).  Each network namespace has two port spaces,
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
 * Lock order: lock_sock(sk) -> bind slot -> listener or connection slot.
 * No code holds two slots of the same table at once.
 */
struct toy_hslot {
	union {
		struct hlist_head	head;	/* bind table */
		struct hlist_nulls_head	nhead;	/* listener, connection */
	};
	spinlock_t		lock;	/* serialises writers of the chain */
};

/*
 * struct toy_bind_bucket - one port in use in one port space.
 *
 * @node: in the bind table slot of hash(@port), RCU.
 * @owners: the sockets that hold @port, by sk_bind_node, RCU.
 * @port: the port, host order.
 * @nr_owners: entries of @owners.
 * @nr_user: owners that hold the port through bind() (toy_sock.bind_user).
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
#define TOY_EHASH_BITS		12	/* connection table: 4096 slots */
#define TOY_PERTURB_BITS	8	/* RFC 6056 algorithm 4 table */

/*
 * struct toy_ports - the tables of one port space of one namespace.
 * @lhash and @ehash are NULL in the datagram space.  @perturb is RFC
 * 6056's table of per-destination offsets, updated with WRITE_ONCE by
 * connect(); a lost update only changes which free port is tried first.
 */
struct toy_ports {
	struct toy_hslot	*bhash;
	struct toy_hslot	*lhash;
	struct toy_hslot	*ehash;
	u32			perturb[1 << TOY_PERTURB_BITS];
};

/*
 * struct toy_net - AF_TOY's state in one network namespace.
 *
 * Created by toy_net_init() when a namespace appears (or for every
 * existing namespace when the module loads) and freed by toy_net_exit()
 * after every user socket of the namespace is gone: each holds a
 * reference on its namespace (sk_alloc() with kern == 0).  A kernel
 * socket (kern == 1) holds none, so, as with every family, whoever
 * creates one must release it before its own pernet exit runs.
 */
struct toy_net {
	struct toy_mib __percpu	*mib;	/* never NULL while the netns lives */
	struct toy_ports	ports[TOY_SPACE_NR];

	/*
	 * Sysctls under /proc/sys/net/toy/ (sysctl.c), named and checked
	 * as their net.ipv4 namesakes.  @port_range is read under the
	 * @port_range_lock seqlock so a reader never sees a half-written
	 * pair; the others are single words read with READ_ONCE.
	 */
	seqlock_t		port_range_lock;
	int			port_range[2];	/* ip_local_port_range */
	int			unpriv_port_start; /* ip_unprivileged_port_start */
	int			syn_retries;	/* syn_retries */
	unsigned long		*reserved_ports; /* ip_local_reserved_ports */
	struct ctl_table_header	*sysctl_hdr;
};

extern unsigned int toy_net_id;

static inline struct toy_net *toy_pernet(const struct net *net)
{
	return net_generic(net, toy_net_id);
}

#define TOY_INC_STATS(net, field) \
	this_cpu_inc(toy_pernet(net)->mib->mibs[field])

/* netns.c */
int toy_net_register(void);
void toy_net_unregister(void);

/* sysctl.c: /proc/sys/net/toy/ of one namespace. */
int toy_sysctl_init_net(struct net *net);
void toy_sysctl_exit_net(struct net *net);
void toy_port_range(const struct net *net, int *low, int *high);
bool toy_port_reserved(const struct net *net, u16 port);

/* ports.c */
void toy_ports_init(void);
int toy_ports_init_net(struct net *net);
void toy_ports_exit_net(struct net *net);
int toy_bind_port(struct sock *sk, __be32 addr, u16 port);
int toy_listen_hash(struct sock *sk);
int toy_connect_hash(struct sock *sk, __be32 saddr, __be32 daddr,
		     __be16 dport);
void toy_unhash(struct sock *sk);
void toy_put_port(struct sock *sk);
void toy_reset_saddr(struct sock *sk);
struct sock *toy_lookup_stream(struct net *net, __be32 saddr, __be16 sport,
			       __be32 daddr, __be16 dport);
struct sock *toy_lookup_dgram(struct net *net, __be32 saddr, __be16 sport,
			      __be32 daddr, __be16 dport);

/* wire.c: the IPv4 protocol handler and control segments. */
int toy_wire_init(void);
void toy_wire_exit(void);
/* Routing context of a segment: its socket's, or a reply's. */
struct toy_xmit_ctx {
	int	oif;		/* output interface, 0: any */
	u32	mark;		/* fwmark, for policy routing */
	kuid_t	uid;		/* for uid routing rules */
	u32	priority;	/* skb->priority */
};

int toy_xmit_ctl(struct net *net, const struct toy_xmit_ctx *ctx,
		 __be32 saddr, __be16 sport, __be32 daddr, __be16 dport,
		 u32 seq, u32 ack, u8 flags, u16 window);
void toy_send_reset(struct net *net, struct sk_buff *skb);

/* stream.c: the stream protocol's states and timers. */
void toy_stream_init(void);
void toy_stream_init_sock(struct sock *sk);
void toy_stream_connect_start(struct sock *sk);
void toy_stream_stop(struct sock *sk);
void toy_stream_rcv(struct sock *sk, struct sk_buff *skb);
int toy_stream_backlog_rcv(struct sock *sk, struct sk_buff *skb);
void toy_stream_release_cb(struct sock *sk);

/* debugfs.c: /sys/kernel/debug/toy/lookup, the receive-path demux. */
int toy_debugfs_init(void);
void toy_debugfs_exit(void);

static inline enum toy_space toy_space_of(const struct sock *sk)
{
	return sk->sk_type == SOCK_STREAM ? TOY_SPACE_STREAM : TOY_SPACE_DGRAM;
}

/* proc.c: /proc/net files of one namespace. */
int toy_proc_init_net(struct net *net);
void toy_proc_exit_net(struct net *net);

#endif /* _TOY_H */
