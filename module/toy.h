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
#include <linux/ip.h>
#include <linux/percpu.h>
#include <linux/seqlock.h>
#include <linux/siphash.h>
#include <linux/spinlock.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <net/sock.h>
#include <net/tcp_states.h>
#include <linux/toy.h>

/* Module parameters (af_toy.c); fixed once the module is loaded. */
extern int toy_family;
extern unsigned int toy_ipproto;

struct toy_bind_bucket;
struct rtable;

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
	 * Connection state (input.c, output.c, cong.c), under the socket lock:
	 * lock_sock() in process context; bh_lock_sock() on the receive
	 * path and in timers, which defer to the owner while it holds the
	 * socket.  Names and meanings are RFC 793's (3.2).
	 */
	/* From @iss to @rto: zeroed for each attempt (toy_conn_reset()). */
	u32			iss;		/* initial send sequence */
	u32			snd_una;	/* oldest unacknowledged */
	u32			snd_nxt;	/* next sequence to send */
	u32			snd_max;	/* highest sequence sent, + 1 */
	u32			write_seq;	/* end of the queued data */
	u32			snd_wnd;	/* the peer's window */
	u32			max_window;	/* largest window it offered */
	u32			snd_wl1;	/* seq of the last window update */
	u32			snd_wl2;	/* ack of the last window update */
	u32			irs;		/* initial receive sequence */
	u32			rcv_nxt;	/* next sequence expected */
	u32			copied_seq;	/* next byte recvmsg() reads */
	u32			rcv_wnd;	/* window last advertised */
	u32			rcv_wup;	/* rcv_nxt when it was advertised */
	u16			mss;		/* largest data per segment */
	u8			retries;	/* timeouts in a row (SYN, data) */
	u8			probes;		/* probes unanswered in a row */
	u8			backoff;	/* probe interval: rto << backoff */
	bool			fin_rcvd;	/* the peer's FIN is in rcv_nxt */
	bool			fin_queued;	/* our FIN is in write_seq */
	bool			in_recovery;	/* fast recovery (RFC 6582) */
	u32			syn_us;		/* when the SYN went (RTT) */
	unsigned long		rcv_tstamp;	/* jiffies of the last segment */
	unsigned long		lsndtime;	/* jiffies of the last data sent */
	u32			last_oow_ack_time; /* jiffies: rate limit */
	u8			ka_probes;	/* keepalive probes unanswered */

	/* Congestion control (RFC 5681 with NewReno), in segments. */
	u32			cwnd;
	u32			ssthresh;
	u32			cwnd_cnt;	/* ACKs toward the next increase */
	u32			dupacks;	/* duplicate ACKs in a row */
	u32			recover;	/* snd_max when recovery began */
	u32			packets_out;	/* segments sent, not acked */

	/* RTT estimation (RFC 6298), microseconds; 0: no sample yet. */
	u32			srtt_us;
	u32			rttvar_us;
	unsigned long		rto;		/* retransmission timeout */

	/*
	 * sk_write_queue holds the data not yet acknowledged, one skb a
	 * segment, in sequence order; @send_head is the first one not sent
	 * (NULL: all sent).  @ooo_queue holds received segments beyond
	 * rcv_nxt, in sequence order.  Both under the socket lock.
	 */
	struct sk_buff		*send_head;
	/* Options (SOL_TOY), under the socket lock; kept by disconnect. */
	u16			keepidle;	/* seconds */
	u16			keepintvl;	/* seconds */
	u8			keepcnt;
	/*
	 * Data bytes per byte of receive buffer memory (skb truesize), in
	 * 1/256: measured on every data segment received, it turns free
	 * buffer space into the window we offer (toy_select_window()).
	 */
	u8			scaling_ratio;
	struct sk_buff_head	ooo_queue;

	/*
	 * Timers, each holding a socket reference while armed (stream.c):
	 * @rtx_timer retransmits (SYN, SYN-ACK, data, FIN) and probes a
	 * zero window; @misc_timer ends an orphaned FIN_WAIT_2 and sends
	 * keepalive probes.
	 */
	struct timer_list	rtx_timer;
	struct timer_list	misc_timer;
	unsigned long		deferred;	/* TOY_DEFER_* bits, atomic */

	/*
	 * Listener (listen.c).  @reqs: its half-open entries (struct
	 * toy_request), under @req_lock, which nests outside the bind and
	 * connection slot locks.  @accept_q: children whose handshake is
	 * complete, oldest first, each holding the reference accept()
	 * hands to the new socket; under the listener's socket lock.
	 * @accept_node: a child's place in it.
	 */
	spinlock_t		req_lock;
	struct hlist_head	reqs;
	u32			nr_reqs;
	struct list_head	accept_q;
	struct list_head	accept_node;

	/*
	 * SYN flood (syncookies.c), as TCP's: when this listener last sent
	 * a SYN cookie (32-bit jiffies, refreshed at most once a second,
	 * read and written without a lock: a lost update only shifts the
	 * time by a second); whether the log has said it is flooded.
	 */
	unsigned int		synq_overflow_ts;
	u8			synflood_warned;
	/* Counted in the orphan counters since close() (mem.c). */
	bool			orphan;
};

/* A new connection attempt starts from a clean connection state. */
static inline void toy_conn_reset(struct toy_sock *ts)
{
	memset((u8 *)ts + offsetof(struct toy_sock, iss), 0,
	       offsetofend(struct toy_sock, rto) -
	       offsetof(struct toy_sock, iss));
}

/*
 * Work a timer (or an ICMP error) found it could not do because a user
 * held the socket; the owner does it in release_sock()
 * (proto.release_cb).  A set bit holds a socket reference and counts as
 * a live timer, like the timer itself.
 */
enum {
	TOY_DEFER_RTX,		/* the retransmission timer fired */
	TOY_DEFER_MISC,		/* the misc timer fired */
	TOY_DEFER_MTU,		/* ICMP lowered the path MTU (wire.c) */
};

/*
 * struct toy_request - a half-open connection (SYN_RECEIVED) of a
 * listener: what the SYN said and what our SYN-ACK said, nothing more.
 * A full socket is made only when the handshake completes.
 *
 * @common: first, so the entry sits in the connection table like a
 *      socket, as TCP's request_sock does: the 4-tuple, the netns, the
 *      refcount, and skc_state TCP_NEW_SYN_RECV, which tells a reader
 *      it found a request and not a socket.
 * @listener: holds a reference on the listener.
 * @lnode: in the listener's @reqs, under its req_lock.  An entry is on
 *      that list exactly while it is in the connection table: both
 *      change together under req_lock.
 * @timer: retransmits the SYN-ACK; holds a reference while armed.
 *
 * References: the connection table, the armed timer, and each user
 * (a lookup) hold one; the last toy_req_put() frees it after an RCU
 * grace period, so a lookup under RCU may still look at it.
 */
struct toy_request {
	struct sock_common	common;
	struct sock		*listener;
	struct hlist_node	lnode;
	struct timer_list	timer;
	struct rcu_head		rcu;
	u32			iss;
	u32			irs;
	u16			mss;
	u8			retries;
	u16			rcv_wnd;	/* the window our SYN-ACK offers */
	u32			last_oow_ack;	/* jiffies of the last answer
						 * to a SYN out of the window
						 */
};

static inline struct sock *toy_req_sk(struct toy_request *req)
{
	return (struct sock *)req;
}

static inline struct toy_request *toy_req(struct sock *sk)
{
	return (struct toy_request *)sk;
}

/*
 * struct toy_tw - a connection in TIME_WAIT (timewait.c): what is left
 * of the socket of the side that closed first once the full socket is
 * gone, as TCP's tcp_timewait_sock (264 bytes on 6.1; the load message
 * prints this one's size).
 *
 * @common: first, so the entry sits in the connection table (by
 *      skc_nulls_node) and in its port's bind bucket (by skc_bind_node)
 *      like a socket: the 4-tuple, the netns (not a counted reference:
 *      the namespace's exit purges its entries), the refcount,
 *      skc_reuse/skc_reuseport for bind(), and skc_state TCP_TIME_WAIT,
 *      which tells a reader it found an entry and not a socket.
 * @tb: the bind bucket, or NULL once it left it; under the bind slot
 *      lock.  @bind_user: the socket's port came from bind().
 * @timer: ends the entry after 2 x msl_ms.  Armed under the bind and
 *      connection slot locks before anyone else can see the entry, so
 *      whoever unhashes an entry and then stops the timer with
 *      del_timer_sync() knows no handler will run afterwards.
 * @created: jiffies when it was made (tw_reuse wants it a second old).
 * @snd_nxt, @rcv_nxt, @rcv_wnd: to ACK a retransmitted FIN again, and
 *      to choose an initial sequence number beyond the old connection's
 *      when a new one takes the 4-tuple over.
 * @mark, @priority, @uid: the routing context of those ACKs.
 *
 * References: the connection table, the bind bucket and the armed timer
 * hold one each, and so does each user (a lookup); the last
 * toy_tw_put() frees it after an RCU grace period.
 */
struct toy_tw {
	struct sock_common	common;
	struct toy_bind_bucket	*tb;
	struct timer_list	timer;
	struct rcu_head		rcu;
	unsigned long		created;
	u32			snd_nxt;
	u32			rcv_nxt;
	u32			last_oow_ack_time; /* jiffies: rate limit */
	u32			mark;
	u32			priority;
	kuid_t			uid;
	u16			rcv_wnd;
	bool			bind_user;
};

static inline struct sock *toy_tw_sk(struct toy_tw *tw)
{
	return (struct sock *)tw;
}

static inline struct toy_tw *toy_tw(struct sock *sk)
{
	return (struct toy_tw *)sk;
}

/*
 * Per-skb state of a segment (skb->cb): its sequence range, the control
 * flags it carries, and, for our own segments, when it was last sent.
 */
struct toy_skb_cb {
	u32	seq;		/* first sequence number */
	u32	end_seq;	/* seq + data + SYN + FIN */
	u32	sent_us;	/* when last sent (RTT samples) */
	u8	flags;		/* TOY_SYN, TOY_FIN ... */
	u8	retrans;	/* sent more than once: no RTT sample (Karn) */
	/*
	 * A SYN that takes over a TIME_WAIT 4-tuple: the initial sequence
	 * number the new connection must use (beyond the old one's); 0:
	 * none.  Set by the receive path before the listener sees it.
	 */
	u32	tw_isn;
	/*
	 * Where a received segment arrived: inet_iif() and inet_sdif() (a
	 * VRF slave's index, its VRF then being @dif; 0: none), kept here
	 * by toy_rcv() because this struct overwrites IPCB, as TCP keeps
	 * them in TCP_SKB_CB.  The lookups match them against
	 * SO_BINDTODEVICE.
	 */
	int	dif;
	int	sdif;
};

#define TOY_SKB_CB(skb)	((struct toy_skb_cb *)&((skb)->cb[0]))

/* Sequence number arithmetic, modulo 2^32 (RFC 793 3.3). */
static inline bool toy_before(u32 a, u32 b)
{
	return (s32)(a - b) < 0;
}

static inline bool toy_after(u32 a, u32 b)
{
	return toy_before(b, a);
}

/* Is @sk a request (a half-open entry), not a full socket? */
static inline bool toy_is_req(const struct sock *sk)
{
	return READ_ONCE(sk->sk_state) == TCP_NEW_SYN_RECV;
}

/*
 * Is @sk a TIME_WAIT entry, not a full socket?  A full socket never is
 * in TIME_WAIT: it hands the state to an entry and closes.
 */
static inline bool toy_is_tw(const struct sock *sk)
{
	return READ_ONCE(sk->sk_state) == TCP_TIME_WAIT;
}

/* A full socket, not an entry that only looks like one. */
static inline bool toy_is_full(const struct sock *sk)
{
	return !toy_is_req(sk) && !toy_is_tw(sk);
}

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
	TOY_MIB_ACTIVEOPENS,	/* connect()s that sent a SYN */
	TOY_MIB_PASSIVEOPENS,	/* connections accepted by a listener */
	TOY_MIB_ATTEMPTFAILS,	/* handshakes that failed */
	TOY_MIB_ESTABRESETS,	/* connections reset */
	TOY_MIB_RETRANSSEGS,	/* segments retransmitted */
	TOY_MIB_LISTENOVERFLOWS, /* handshakes dropped: accept queue full */
	TOY_MIB_LISTENDROPS,	/* SYNs and ACKs a listener dropped */
	TOY_MIB_OFOQUEUE,	/* segments queued out of order */
	TOY_MIB_DUPSEGS,	/* segments that were all duplicate */
	TOY_MIB_FASTRETRANS,	/* fast retransmits (three duplicate ACKs) */
	TOY_MIB_TIMEOUTS,	/* retransmission timeouts */
	TOY_MIB_CHALLENGEACKS,	/* RFC 5961 challenge ACKs sent */
	TOY_MIB_RCVPRUNED,	/* segments dropped: receive buffer full */
	TOY_MIB_TWCREATED,	/* TIME_WAIT entries made */
	TOY_MIB_TWEXPIRED,	/* TIME_WAIT entries that lasted 2 MSL */
	TOY_MIB_TWRECYCLED,	/* taken over by connect() or a new SYN */
	TOY_MIB_TWOVERFLOW,	/* closes that skipped TIME_WAIT: the cap */
	TOY_MIB_TWDROPS,	/* late segments a TIME_WAIT entry dropped */
	TOY_MIB_INDATAGRAMS,	/* datagrams delivered to a socket (UDP's) */
	TOY_MIB_OUTDATAGRAMS,	/* datagrams sent */
	TOY_MIB_NOPORTS,	/* datagrams to a port nobody holds */
	TOY_MIB_RCVBUFERRORS,	/* datagrams dropped: receive buffer full */
	TOY_MIB_ACKSKIPPEDSEQ,	/* answers to unacceptable segments skipped */
	TOY_MIB_ACKSKIPPEDCHALLENGE, /* challenge ACKs skipped: rate limits */
	TOY_MIB_ACKSKIPPEDTIMEWAIT, /* TIME_WAIT answers skipped: rate limit */
	TOY_MIB_ACKSKIPPEDSYNRECV, /* half-open answers skipped: rate limit */
	TOY_MIB_MTUREDUCED,	/* MSS lowered to a smaller path MTU */
	TOY_MIB_OUTOFWINDOWICMPS, /* ICMP errors quoting a stale sequence */
	TOY_MIB_SYNCOOKIESSENT,	/* SYN-ACKs that carried a cookie */
	TOY_MIB_SYNCOOKIESRECV,	/* ACKs whose cookie made a connection */
	TOY_MIB_SYNCOOKIESFAILED, /* ACKs whose cookie was wrong or old */
	TOY_MIB_OFOPRUNED,	/* out-of-order segments dropped for room */
	TOY_MIB_ORPHANOVERFLOW,	/* orphans reset: too many, or no memory */
	TOY_MIB_MEMORYPRESSURES, /* times a protocol entered memory pressure */
	TOY_MIB_MAX
};

struct toy_mib {
	unsigned long	mibs[TOY_MIB_MAX];
};

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
#define TOY_EHASH_BITS		14	/* connection table: 16384 slots */
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
	int			synack_retries;	/* synack_retries */
	int			fin_timeout;	/* fin_timeout, seconds */
	int			msl_ms;		/* msl_ms: TIME_WAIT is 2 x */
	int			retries2;	/* retries2 (data timeouts) */
	int			tw_reuse_mode;	/* tw_reuse: 0, 1, 2 (loopback) */
	int			max_tw_buckets;	/* max_tw_buckets */
	atomic_t		tw_count;	/* TIME_WAIT entries held */
	int			orphan_retries;	/* orphan_retries */
	int			invalid_ratelimit; /* invalid_ratelimit, jiffies */
	int			challenge_ack_limit; /* challenge_ack_limit */
	u32			challenge_stamp; /* second of challenge_count */
	u32			challenge_count; /* challenge ACKs left in it */
	unsigned long		*reserved_ports; /* ip_local_reserved_ports */
	struct ctl_table_header	*sysctl_hdr;

	/* SYN flood defences (listen.c, syncookies.c). */
	int			syncookies;	/* tcp_syncookies: 0, 1, 2 */
	int			max_syn_backlog; /* tcp_max_syn_backlog */
	atomic_t		req_count;	/* half-open entries held */
	int			max_orphans;	/* tcp_max_orphans */
	atomic_t		orphans;	/* orphans of this namespace */
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

static inline struct toy_ports *toy_ports(const struct net *net,
					  enum toy_space sp)
{
	return &toy_pernet(net)->ports[sp];
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

/*
 * struct toy_walk - where a walk of one space's tables stands (/proc):
 * @table (TOY_WALK_*), its @slot, and the @idx-th entry of that slot.
 */
enum {
	TOY_WALK_LISTENERS,
	TOY_WALK_CONNECTIONS,
	TOY_WALK_BOUND,		/* sockets that hold a port and nothing else */
	TOY_WALK_DONE
};

struct toy_walk {
	enum toy_space	space;
	int		table;
	u32		slot;
	u32		idx;
};

void toy_walk_start(struct toy_walk *w, enum toy_space sp);
struct sock *toy_walk_find(struct net *net, struct toy_walk *w);

/* wire.c: the IPv4 protocol handler and control segments. */
int toy_wire_init(void);
void toy_wire_exit(void);

/**
 * struct toy_flow - where a packet goes, and how it is routed.
 * @saddr: source address (0 before routing: the route's choice).
 * @daddr: destination address.
 * @sport: source port.
 * @dport: destination port.
 * @oif: output interface, 0: any.
 * @mark: fwmark, for policy routing.
 * @uid: for uid routing rules.
 * @priority: skb->priority.
 * @frag: may be fragmented (datagrams): no DF.
 *
 * A socket's own (toy_flow_tuple() and toy_flow_route_of()), or, for an
 * answer with no socket, the reverse of what it answers
 * (toy_flow_reply_tuple()) with a context of its own.
 */
struct toy_flow {
	__be32	saddr;
	__be32	daddr;
	__be16	sport;
	__be16	dport;
	int	oif;
	u32	mark;
	kuid_t	uid;
	u32	priority;
	bool	frag;
};

/**
 * struct toy_seg - the header fields of a packet to send (struct toyhdr).
 * @seq: sequence number.
 * @ack: acknowledgment number (sent as is: 0 unless @flags has TOY_ACK).
 * @window: receive window.
 * @flags: TOY_SYN, TOY_ACK, TOY_FIN, TOY_RST.
 * @type: TOY_TYPE_STREAM (0), TOY_TYPE_DGRAM or TOY_TYPE_UNREACH.
 */
struct toy_seg {
	u32	seq;
	u32	ack;
	u16	window;
	u8	flags;
	u8	type;
};

void toy_flow_tuple(struct toy_flow *flow, const struct sock *sk);
void toy_flow_reply_tuple(struct toy_flow *flow, const struct sk_buff *skb);
void toy_flow_route_of(struct toy_flow *flow, const struct sock *sk);
void toy_flow_to(struct toy_flow *flow, struct sock *sk, __be32 daddr,
		 __be16 dport);
void toy_flow_no_socket(struct toy_flow *flow, struct net *net,
			const struct sk_buff *skb);
struct rtable *toy_route_output(struct net *net, struct toy_flow *flow,
				const struct sock *sk);
void toy_push_header(struct sk_buff *skb, const struct toy_flow *flow,
		     const struct toy_seg *seg);
int toy_ip_out(struct net *net, struct sk_buff *skb, struct rtable *rt,
	       const struct toy_flow *flow);
int toy_xmit_ctl(struct net *net, struct toy_flow *flow,
		 const struct toy_seg *seg);
u16 toy_mtu_to_mss(u32 mtu);

/* Room for the link layer, IPv4 and our header in front of the data. */
#define TOY_MAX_HEADER	(MAX_HEADER + sizeof(struct iphdr) + \
			 sizeof(struct toyhdr))
#define TOY_MAX_WINDOW	65535U	/* 16-bit window, no scaling */
#define TOY_MAX_MSS	16384U	/* four segments fit the window */
#define TOY_MIN_MSS	64	/* the floor of toy_mtu_to_mss() */
#define TOY_DEFAULT_MTU	576	/* with no route: what every IPv4 host takes */

/* Keepalive (TOY_KEEPIDLE and friends): TCP's defaults and bounds. */
#define TOY_KEEPIDLE_DEFAULT	7200	/* seconds */
#define TOY_KEEPINTVL_DEFAULT	75	/* seconds */
#define TOY_KEEPCNT_DEFAULT	9
#define TOY_KEEP_TIME_MAX	32767	/* MAX_TCP_KEEPIDLE, seconds */
#define TOY_KEEPCNT_MAX		127	/* MAX_TCP_KEEPCNT */

void toy_send_reset(struct net *net, struct sk_buff *skb);

/* af_toy.c: what every AF_TOY socket shares. */
void toy_sock_setup(struct sock *sk);
void toy_sock_count_new(struct sock *sk);
void toy_sock_count_gone(struct sock *sk);
int toy_addr_check(const struct sock *sk, const struct sockaddr *uaddr,
		   int addr_len);
int toy_shutdown(struct socket *sock, int how);
int toy_release(struct socket *sock);
int toy_bind(struct socket *sock, struct sockaddr *uaddr, int addr_len);
int toy_getname(struct socket *sock, struct sockaddr *uaddr, int peer);
int toy_setsockopt(struct socket *sock, int level, int optname,
		   sockptr_t optval, unsigned int optlen);
int toy_getsockopt(struct socket *sock, int level, int optname,
		   char __user *optval, int __user *optlen);

/* stream.c: the stream protocol's states and timers. */
void toy_stream_init(void);
void toy_stream_init_sock(struct sock *sk);
void toy_stream_connect_start(struct sock *sk, u32 isn);
void toy_stream_stop(struct sock *sk);
void toy_stream_release_cb(struct sock *sk);
u32 toy_isn(__be32 saddr, __be16 sport, __be32 daddr, __be16 dport);
void toy_timer_arm(struct sock *sk, struct timer_list *t,
		   unsigned long expires);
void toy_timer_stop(struct sock *sk, struct timer_list *t);
void toy_done(struct sock *sk);
void toy_set_state(struct sock *sk, int state);

/* A socket's state, read without its lock (inet_sk_state_load()). */
static inline int toy_state_load(const struct sock *sk)
{
	/* Pairs with the release in toy_set_state(). */
	return smp_load_acquire(&sk->sk_state);
}

void toy_stream_close(struct sock *sk, long timeout);
void toy_shutdown_send(struct sock *sk, int how);
void toy_established(struct sock *sk);
void toy_keepalive(struct sock *sk, int val);
bool toy_clear_deferred(struct sock *sk, int bit);

/* input.c: a segment's arrival at a connection (RFC 9293 3.10.7). */
void toy_stream_rcv(struct sock *sk, struct sk_buff *skb);
int toy_stream_backlog_rcv(struct sock *sk, struct sk_buff *skb);
int toy_rcv_state(struct sock *sk, struct sk_buff *skb);
void toy_reset(struct sock *sk);

/* reassembly.c: the text and FIN of acceptable segments, in order. */
void toy_rcv_data(struct sock *sk, struct sk_buff *skb);
u32 toy_receive_window(const struct toy_sock *ts);
u32 toy_space_window(const struct sock *sk);
/* Segments shorter than this say little about an skb's overhead. */
#define TOY_MIN_RATIO_LEN	536
#define TOY_DEFAULT_RATIO	128	/* half: until a segment says more */
void toy_measure_ratio(struct sock *sk, const struct sk_buff *skb);
u16 toy_select_window(struct sock *sk);

/* timewait.c: TIME_WAIT entries. */
int toy_tw_init(void);
void toy_tw_exit(void);
void toy_time_wait(struct sock *sk);
void toy_tw_rcv(struct sock *sk, struct sk_buff *skb);
void toy_tw_put(struct toy_tw *tw);
bool toy_tw_deschedule_put(struct toy_tw *tw);
void __toy_tw_bind_unhash(struct toy_tw *tw);
bool __toy_tw_ehash_unhash(struct toy_tw *tw);
void toy_tw_purge_net(struct net *net);
u32 toy_tw_isn(const struct toy_tw *tw);
bool toy_tw_unique(const struct toy_tw *tw);

/* output.c: segments out, the write queue, retransmission. */
u16 toy_route_mss(struct sock *sk);
void toy_send_syn(struct sock *sk, bool ack);
void toy_send_ack(struct sock *sk);
void toy_send_active_reset(struct sock *sk);
void toy_send_fin(struct sock *sk, gfp_t gfp);
void toy_push(struct sock *sk);
enum { TOY_ACK_OK, TOY_ACK_OLD, TOY_ACK_BLIND, TOY_ACK_UNSENT };
int toy_ack_check(const struct sock *sk, u32 ack);
void toy_ack_rcvd(struct sock *sk, u32 ack, u32 seq, u16 window,
		  bool pure);
unsigned long toy_probe_when(const struct toy_sock *ts);
bool toy_oow_rate_limited(struct net *net, u32 *last_time, int mib);
void toy_rtx_expired_data(struct sock *sk);
void toy_write_queue_purge(struct sock *sk);
void toy_send_probe(struct sock *sk);

/* cong.c: RTT, RTO and the congestion window (RFC 6298, 5681, 6582). */
#define TOY_RTO_INIT	HZ		/* before any RTT sample */
#define TOY_RTO_MIN	(HZ / 5)
#define TOY_RTO_MAX	(120 * HZ)	/* TCP's ceiling */

u32 toy_now_us(void);
unsigned long toy_calc_rto(const struct toy_sock *ts);
void toy_rtt_sample(struct sock *sk, u32 rtt_us);
void toy_rto_backoff(struct toy_sock *ts);
void toy_cc_init(struct sock *sk);
bool toy_cc_on_dupack(struct sock *sk);
bool toy_cc_on_ack(struct sock *sk, u32 ack, u32 acked);
void toy_cc_on_timeout(struct toy_sock *ts);
u32 toy_cc_send_limit(struct toy_sock *ts);
void toy_write_space(struct sock *sk);
u16 toy_current_mss(struct sock *sk);
void toy_mtu_reduced(struct sock *sk);

/* listen.c: the passive side. */
void toy_listen_init(struct sock *sk);
int toy_listen_rcv(struct sock *sk, struct sk_buff *skb);
void toy_listen_stop(struct sock *sk);
int toy_accept(struct socket *sock, struct socket *newsock, int flags,
	       bool kern);

/* request.c: half-open entries.  "__": the caller holds req_lock. */
struct toy_request *toy_req_alloc(struct sock *sk, struct sk_buff *skb);
int toy_req_start(struct toy_request *req);
int __toy_req_insert(struct toy_request *req);
void __toy_req_unlist(struct toy_request *req);
void __toy_req_unlink(struct toy_request *req);
void toy_req_stop_timer(struct toy_request *req);
bool toy_req_drop(struct toy_request *req);
void toy_req_put(struct toy_request *req);
void toy_req_rcv(struct sock *reqsk, struct sk_buff *skb);
void toy_send_synack(struct toy_request *req);
u16 toy_synack_window(const struct sock *l);

/* A reference from a lookup: a socket's or a request's. */
static inline void toy_sk_put(struct sock *sk)
{
	if (toy_is_req(sk))
		toy_req_put(toy_req(sk));
	else if (toy_is_tw(sk))
		toy_tw_put(toy_tw(sk));
	else
		sock_put(sk);
}

/* stream_ops.c: the socket calls of a stream socket. */
int toy_stream_sendmsg(struct socket *sock, struct msghdr *msg, size_t len);
int toy_stream_recvmsg(struct socket *sock, struct msghdr *msg, size_t len,
		       int flags);
__poll_t toy_stream_poll(struct file *file, struct socket *sock,
			 poll_table *wait);
int toy_stream_ioctl(struct socket *sock, unsigned int cmd,
		     unsigned long arg);
extern const struct proto_ops toy_stream_ops;

/* connect.c: the calls that make and end stream connections. */
int toy_listen(struct socket *sock, int backlog);
int toy_stream_connect(struct socket *sock, struct sockaddr *uaddr,
		       int addr_len, int flags);
int toy_stream_shutdown(struct socket *sock, int how);
void toy_stream_release(struct sock *sk);

/* dgram.c: the socket calls of a datagram socket, and its input. */
int toy_dgram_connect(struct socket *sock, struct sockaddr *uaddr,
		      int addr_len, int flags);
int toy_dgram_sendmsg(struct socket *sock, struct msghdr *msg, size_t len);
int toy_dgram_recvmsg(struct socket *sock, struct msghdr *msg, size_t len,
		      int flags);
int toy_dgram_ioctl(struct socket *sock, unsigned int cmd, unsigned long arg);
extern const struct proto_ops toy_dgram_ops;
int toy_dgram_shutdown(struct sock *sk, int how);
void toy_dgram_rcv(struct net *net, struct sk_buff *skb);
void toy_dgram_unreach(struct net *net, struct sk_buff *skb);
struct sock *toy_lookup_dgram(struct net *net, __be32 saddr, __be16 sport,
			      __be32 daddr, __be16 dport, int dif, int sdif);

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

/* syncookies.c: SYN cookies, as TCP's (net/ipv4/syncookies.c). */
bool toy_syn_flood_action(struct sock *sk);
u32 toy_cookie_init_sequence(struct sock *sk, struct sk_buff *skb);
u16 toy_cookie_check(struct sock *sk, struct sk_buff *skb);
void toy_cookie_listen_init(struct sock *sk);
/*
 * mem.c: memory accounting of both protocols (as TCP's and UDP's), the
 * orphan limit.  The struct proto of each (stream_ops.c, dgram.c)
 * points at these.
 */
extern struct proto toy_stream_prot;
extern struct proto toy_dgram_prot;
extern atomic_long_t toy_memory_allocated;
DECLARE_PER_CPU(int, toy_memory_per_cpu_fw_alloc);
extern struct percpu_counter toy_sockets_allocated;
extern unsigned long toy_memory_pressure;
extern long sysctl_toy_mem[3];
extern atomic_long_t toy_dgram_memory_allocated;
DECLARE_PER_CPU(int, toy_dgram_memory_per_cpu_fw_alloc);
extern struct percpu_counter toy_dgram_sockets_allocated;
extern unsigned long toy_dgram_memory_pressure;
extern long sysctl_toy_dgram_mem[3];
extern int sysctl_toy_rmem_min[1];
extern int sysctl_toy_wmem_min[1];
int toy_mem_init(void);
void toy_mem_exit(void);
void toy_enter_memory_pressure(struct sock *sk);
void toy_leave_memory_pressure(struct sock *sk);
long toy_mem_pages(const struct proto *prot);
s64 toy_orphans_sum(void);
void toy_mem_sock_init(struct sock *sk);
void toy_mem_sock_destruct(struct sock *sk);
void toy_mem_child_init(struct sock *child, const struct sock *listener);
void toy_wmem_charge_forced(struct sock *sk, struct sk_buff *skb);
void toy_orphan_add(struct sock *sk);
bool toy_out_of_resources(struct sock *sk, bool do_reset);

/* sysctl.c: the sysctls of init_net only (net.toy.mem, dgram_mem). */
int toy_sysctl_global_init(void);
void toy_sysctl_global_exit(void);

/*
 * Pure rules that the KUnit suites (module/kunit/) call directly, each
 * defined next to its caller.  They touch no table and no lock, only
 * their arguments, so a test can feed them fake sockets.
 */
/* input.c: RFC 793's acceptability test of a segment. */
bool toy_seq_ok(const struct toy_sock *ts, u32 seq, u32 end_seq);
/* request.c: the same for a segment to a half-open entry. */
bool toy_req_in_window(u32 seq, u32 end_seq, u32 s_win, u32 e_win);
/* bind.c: who may share a port. */
bool toy_bind_conflict(const struct sock *sk, __be32 addr,
		       const struct sock *sk2, bool relax);
/* lookup.c, dgram.c: who receives a segment, a datagram. */
int toy_listener_score(const struct sock *sk, const struct net *net,
		       __be32 addr, u16 hnum, int dif, int sdif);
int toy_dgram_score(const struct sock *sk, __be32 saddr, __be16 sport,
		    __be32 daddr, u16 hnum, int dif, int sdif);

#endif /* _TOY_H */
