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
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <net/sock.h>
#include <linux/toy.h>

/* Module parameters (af_toy.c); fixed once the module is loaded. */
extern int toy_family;
extern unsigned int toy_ipproto;

/*
 * struct toy_sock - an AF_TOY socket, stream or datagram.
 *
 * @sk: the core socket; must stay the first member (checked at build
 *      time) because the core allocates and frees it by proto->obj_size.
 *
 * Lifetime: allocated in toy_create(), freed when the last reference to
 * @sk is dropped (sock_put()); toy_sock_destruct() runs then.  Locking:
 * lock_sock() protects the socket's own state, as in every family.
 */
struct toy_sock {
	struct sock	sk;
};

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
	TOY_MIB_MAX
};

struct toy_mib {
	unsigned long	mibs[TOY_MIB_MAX];
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

/* proc.c: /proc/net files of one namespace. */
int toy_proc_init_net(struct net *net);
void toy_proc_exit_net(struct net *net);

#endif /* _TOY_H */
