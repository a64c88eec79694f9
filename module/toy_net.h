/* SPDX-License-Identifier: GPL-2.0 */
/*
 * AF_TOY's state in one network namespace (netns.c): its tables, its
 * sysctls (sysctl.c) and its statistics; and the module-wide counters of
 * live objects (live.c).  Included through toy.h.
 */
#ifndef _TOY_NET_H
#define _TOY_NET_H

#include <linux/atomic.h>
#include <linux/percpu.h>
#include <linux/seqlock.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "toy_tables.h"

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
	TOY_MIB_INOPTERRORS,	/* segments dropped: options do not parse */
	TOY_MIB_DELAYEDACKS,	/* ACKs the delayed-ACK timer sent */
	TOY_MIB_PAWSESTAB,	/* segments PAWS dropped as old duplicates */
	TOY_MIB_ACKSKIPPEDPAWS,	/* answers to those skipped: rate limit */
	TOY_MIB_PAWSACTIVE,	/* SYN-ACKs echoing no TSval of our SYN */
	TOY_MIB_TLPPROBES,	/* tail loss probes sent */
	TOY_MIB_TLPRECOVERY,	/* losses a tail loss probe repaired */
	TOY_MIB_LOSTRETRANSMIT,	/* resent segments found lost again (rack.c) */
	TOY_MIB_MAX
};

/**
 * struct toy_mib - one CPU's share of a namespace's statistics.
 * @mibs: a counter for each enum toy_mib_field.
 */
struct toy_mib {
	unsigned long	mibs[TOY_MIB_MAX];
};

/**
 * struct toy_net - AF_TOY's state in one network namespace.
 *
 * @mib: the statistics, per CPU; never NULL while the namespace lives.
 * @ports: the tables of the stream and the datagram port space.
 *
 * Sysctls under /proc/sys/net/toy/ (sysctl.c), named and checked as their
 * net.ipv4 namesakes; single words read with READ_ONCE, but for the port
 * range:
 * @port_range_lock: a reader of @port_range never sees a half-written
 *      pair.
 * @port_range: ip_local_port_range.
 * @unpriv_port_start: ip_unprivileged_port_start.
 * @syn_retries: syn_retries.
 * @synack_retries: synack_retries.
 * @fin_timeout: fin_timeout, seconds.
 * @msl_ms: msl_ms: TIME_WAIT lasts twice as long.
 * @retries2: retries2: data timeouts before the connection is dropped.
 * @tw_reuse_mode: tw_reuse: 0, 1, or 2 (loopback only).
 * @max_tw_buckets: max_tw_buckets.
 * @tw_count: TIME_WAIT entries the namespace holds.
 * @orphan_retries: orphan_retries.
 * @invalid_ratelimit: invalid_ratelimit, jiffies.
 * @challenge_ack_limit: challenge_ack_limit, per second.
 * @challenge_stamp: the second that @challenge_count counts.
 * @challenge_count: challenge ACKs left in that second.
 * @reserved_ports: ip_local_reserved_ports, a bitmap of 65536 ports.
 * @sysctl_hdr: the registered table.
 * @syncookies: tcp_syncookies: 0, 1, 2 (listen.c, syncookies.c).
 * @max_syn_backlog: tcp_max_syn_backlog.
 * @req_count: half-open entries the namespace holds.
 * @max_orphans: tcp_max_orphans.
 * @orphans: orphans of the namespace.
 * @window_scaling: tcp_window_scaling: 0 or 1 (options.c).
 * @sack: tcp_sack: 0 or 1 (options.c, sack.c).
 * @timestamps: tcp_timestamps: 0 or 1 (options.c, timestamps.c).
 *
 * Created by toy_net_init() when a namespace appears (or for every
 * existing namespace when the module loads) and freed by toy_net_exit()
 * after every user socket of the namespace is gone: each holds a
 * reference on its namespace (sk_alloc() with kern == 0).  A kernel
 * socket (kern == 1) holds none, so, as with every family, whoever
 * creates one must release it before its own pernet exit runs.
 */
struct toy_net {
	struct toy_mib __percpu	*mib;
	struct toy_ports	ports[TOY_SPACE_NR];

	/* Sysctls. */
	seqlock_t		port_range_lock;
	int			port_range[2];
	int			unpriv_port_start;
	int			syn_retries;
	int			synack_retries;
	int			fin_timeout;
	int			msl_ms;
	int			retries2;
	int			tw_reuse_mode;
	int			max_tw_buckets;
	atomic_t		tw_count;
	int			orphan_retries;
	int			invalid_ratelimit;
	int			challenge_ack_limit;
	u32			challenge_stamp;
	u32			challenge_count;
	unsigned long		*reserved_ports;
	struct ctl_table_header	*sysctl_hdr;

	/* SYN flood and orphan defences. */
	int			syncookies;
	int			max_syn_backlog;
	atomic_t		req_count;
	int			max_orphans;
	atomic_t		orphans;

	/* Header options. */
	int			window_scaling;
	int			sack;
	int			timestamps;
};

extern unsigned int toy_net_id;

static inline struct toy_net *toy_pernet(const struct net *net)
{
	return net_generic(net, toy_net_id);
}

#define TOY_INC_STATS(net, field) \
	this_cpu_inc(toy_pernet(net)->mib->mibs[field])
#define TOY_ADD_STATS(net, field, n) \
	this_cpu_add(toy_pernet(net)->mib->mibs[field], n)

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

#endif /* _TOY_NET_H */
