// SPDX-License-Identifier: GPL-2.0
/*
 * AF_TOY memory accounting and the orphan limit, as TCP's and UDP's.
 *
 * Every byte a socket queues is charged twice, as the core does it for
 * TCP: to the socket (sk_wmem_queued against SO_SNDBUF, sk_rmem_alloc
 * against SO_RCVBUF) and, through sk_forward_alloc, to its protocol
 * (memory_allocated, in pages, against net.toy.mem for stream sockets
 * and net.toy.dgram_mem for datagram sockets) and to the memory cgroup
 * of the socket's creator (sk->sk_memcg).  The core does the arithmetic
 * (__sk_mem_schedule(), __sk_mem_reclaim()); a socket asks for pages
 * with sk_wmem_schedule() or sk_rmem_schedule() before it queues, pays
 * with sk_mem_charge() (skb_set_owner_r() for received data), and gets
 * the pages back with sk_mem_uncharge() when the skb is freed.  Each
 * limit is "min pressure max", as tcp_mem and udp_mem: below min
 * anything goes; above pressure the protocol is under memory pressure
 * and a socket gets more only while it holds no more than its share;
 * above max nothing more is scheduled beyond a small minimum per socket
 * (net.toy.rmem and wmem's min for stream sockets, as tcp_rmem[0] and
 * tcp_wmem[0]; sysctl_toy_rmem_min and sysctl_toy_wmem_min for datagram
 * sockets).  Then sendmsg() waits (or fails with EAGAIN), data that arrives is
 * dropped (RcvPruned, RcvbufErrors) and the sender retransmits it.
 *
 * The pages are counted per CPU first (per_cpu_fw_alloc) and reach the
 * shared counter, which the limits and /proc/net/protocols look at, in
 * steps of net.core.mem_pcpu_rsv pages, as TCP's do;
 * /proc/net/toy_sockstat adds the per-CPU parts in, so its "mem" is
 * exact and reads 0 when nothing is charged.
 *
 * An orphan (a stream socket that close() left to finish in the
 * background) is counted from close() until it is freed; beyond
 * net.toy.max_orphans, or when the protocol is over its hard limit, an
 * orphan is reset at close() or at its next timeout rather than kept
 * (OrphanOverflow), as TCP's tcp_check_oom() and tcp_out_of_resources().
 *
 * A stream socket's buffers start at net.toy.rmem and wmem's default and
 * grow with the connection up to their max (buffer autotuning): the
 * receive buffer in reassembly.c, the send buffer here
 * (toy_sndbuf_expand()).
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/percpu_counter.h>
#include <linux/swap.h>
#include <net/sock.h>
#include <net/tcp_states.h>

#include "toy.h"

atomic_long_t toy_memory_allocated ____cacheline_aligned_in_smp;
DEFINE_PER_CPU(int, toy_memory_per_cpu_fw_alloc);
struct percpu_counter toy_sockets_allocated;
unsigned long toy_memory_pressure;
long sysctl_toy_mem[3];

atomic_long_t toy_dgram_memory_allocated ____cacheline_aligned_in_smp;
DEFINE_PER_CPU(int, toy_dgram_memory_per_cpu_fw_alloc);
struct percpu_counter toy_dgram_sockets_allocated;
unsigned long toy_dgram_memory_pressure;
long sysctl_toy_dgram_mem[3];

/* What a datagram socket may always hold, pressure or not (udp_rmem_min). */
int sysctl_toy_rmem_min[1] = { 4096 };
int sysctl_toy_wmem_min[1] = { 4096 };

/*
 * A stream socket's buffers, net.toy.rmem and net.toy.wmem as tcp_rmem
 * and tcp_wmem: what it may always hold, pressure or not; what it starts
 * with (net.core's rmem_default and wmem_default, where TCP starts
 * smaller); how far autotuning may grow it (toy_rcv_space_adjust(),
 * toy_sndbuf_expand()).  SO_RCVBUF and SO_SNDBUF set their own and stop
 * autotuning.
 */
int sysctl_toy_rmem[3] = { 4096, 212992, 6291456 };
int sysctl_toy_wmem[3] = { 4096, 212992, 4194304 };

/* Orphans of every namespace, for /proc/net/toy_sockstat. */
static struct percpu_counter toy_orphan_count;

/*
 * Defaults as tcp_init_mem() (@div 16) and udp_init() (@div 8) compute
 * them: a fraction of the memory the page allocator may hand out.
 */
static void toy_mem_defaults(long *mem, unsigned long div)
{
	unsigned long limit = max(nr_free_buffer_pages() / div, 128UL);

	mem[0] = limit / 4 * 3;
	mem[1] = limit;
	mem[2] = mem[0] * 2;
}

/**
 * toy_mem_init() - Set up the memory limits and counters of both protocols.
 *
 * Description: net.toy.mem and net.toy.dgram_mem get their defaults
 * (as tcp_mem's and udp_mem's), the socket and orphan counters are
 * made, and the two global sysctls registered.
 *
 * Context: module init, before either protocol is registered; may sleep.
 * Return: 0, or a negative errno with nothing left allocated.
 */
int toy_mem_init(void)
{
	int err;

	toy_mem_defaults(sysctl_toy_mem, 16);
	toy_mem_defaults(sysctl_toy_dgram_mem, 8);
	err = percpu_counter_init(&toy_sockets_allocated, 0, GFP_KERNEL);
	if (err)
		return err;
	err = percpu_counter_init(&toy_dgram_sockets_allocated, 0, GFP_KERNEL);
	if (err)
		goto out_stream;
	err = percpu_counter_init(&toy_orphan_count, 0, GFP_KERNEL);
	if (err)
		goto out_dgram;
	err = toy_sysctl_global_init();
	if (err)
		goto out_orphans;
	return 0;

out_orphans:
	percpu_counter_destroy(&toy_orphan_count);
out_dgram:
	percpu_counter_destroy(&toy_dgram_sockets_allocated);
out_stream:
	percpu_counter_destroy(&toy_sockets_allocated);
	return err;
}

/**
 * toy_mem_exit() - Undo toy_mem_init().
 *
 * Description: No socket is left: every page and every count must be
 * back, and a warning says which is not.
 *
 * Context: module exit or failed init; may sleep.
 */
void toy_mem_exit(void)
{
	toy_sysctl_global_exit();
	WARN_ON(toy_mem_pages(&toy_stream_prot));
	WARN_ON(toy_mem_pages(&toy_dgram_prot));
	WARN_ON(percpu_counter_sum(&toy_sockets_allocated));
	WARN_ON(percpu_counter_sum(&toy_dgram_sockets_allocated));
	WARN_ON(percpu_counter_sum(&toy_orphan_count));
	percpu_counter_destroy(&toy_orphan_count);
	percpu_counter_destroy(&toy_dgram_sockets_allocated);
	percpu_counter_destroy(&toy_sockets_allocated);
}

/**
 * toy_enter_memory_pressure() - Put @sk's protocol under memory pressure.
 * @sk: the socket being charged.
 *
 * proto.enter_memory_pressure, as tcp_enter_memory_pressure(): the flag
 * holds when it began (jiffies, never 0), and each start is counted once
 * (MemoryPressures, in @sk's namespace).
 *
 * Context: any; the flag is set with cmpxchg().
 */
void toy_enter_memory_pressure(struct sock *sk)
{
	unsigned long *pressure = sk->sk_prot->memory_pressure;
	unsigned long val = jiffies;

	if (READ_ONCE(*pressure))
		return;
	if (!val)
		val--;
	if (!cmpxchg(pressure, 0, val))
		TOY_INC_STATS(sock_net(sk), TOY_MIB_MEMORYPRESSURES);
}

/**
 * toy_leave_memory_pressure() - End memory pressure of @sk's protocol.
 * @sk: the socket being charged or uncharged.
 *
 * proto.leave_memory_pressure: the core calls it once the protocol's
 * pages are at or below the min limit again (not merely below pressure).
 *
 * Context: any; the flag is cleared with xchg().
 */
void toy_leave_memory_pressure(struct sock *sk)
{
	unsigned long *pressure = sk->sk_prot->memory_pressure;

	if (READ_ONCE(*pressure))
		xchg(pressure, 0);
}

/**
 * toy_mem_pages() - Pages charged to a protocol.
 * @prot: toy_stream_prot or toy_dgram_prot.
 *
 * The per-CPU parts are included (a racy sum: each part is read once,
 * while others may change).
 *
 * Return: the pages charged to @prot, 0 when nothing is.
 */
long toy_mem_pages(const struct proto *prot)
{
	long pages = atomic_long_read(prot->memory_allocated);
	int cpu;

	for_each_possible_cpu(cpu)
		pages += READ_ONCE(*per_cpu_ptr(prot->per_cpu_fw_alloc, cpu));
	return pages;
}

/**
 * toy_orphans_sum() - Count the orphans of every namespace.
 *
 * Return: the number of stream sockets counted as orphans, never below 0.
 */
s64 toy_orphans_sum(void)
{
	return percpu_counter_sum_positive(&toy_orphan_count);
}

/**
 * toy_mem_sock_init() - Count a new socket in its protocol's sockets.
 * @sk: the new socket (socket() or a listener's child), of either kind.
 *
 * As tcp_init_sock() does.  toy_mem_sock_destruct() undoes it.
 */
void toy_mem_sock_init(struct sock *sk)
{
	sk_sockets_allocated_inc(sk);
}

/**
 * toy_mem_sock_destruct() - Give back what a socket being freed holds.
 * @sk: the socket, its queues already purged (toy_sock_destruct()).
 *
 * The pages it still holds go back, and it leaves the counts: its
 * protocol's sockets and, if it was an orphan, the orphans.
 *
 * Context: the socket's destructor, once its last reference is gone.
 */
void toy_mem_sock_destruct(struct sock *sk)
{
	sk_mem_reclaim_final(sk);
	WARN_ON_ONCE(sk->sk_forward_alloc);
	sk_sockets_allocated_dec(sk);
	if (toy_sk(sk)->orphan) {
		percpu_counter_dec(&toy_orphan_count);
		atomic_dec(&toy_pernet(sock_net(sk))->orphans);
	}
}

/**
 * toy_mem_child_init() - Give a new child its listener's memory cgroup.
 * @child: the child, just allocated.
 * @listener: its listener.
 *
 * A child is made on the receive path, where sk_alloc() associates no
 * memory cgroup (mem_cgroup_sk_alloc() needs a task): charge it to its
 * listener's cgroup, as sk_clone_lock() did before Linux 5.9.  (6.1
 * associates the accepting task's cgroup in inet_csk_accept() and
 * charges what the child already holds there, with memcg calls that are
 * not exported to modules.)  A child made in process context, from the
 * listener's backlog, already has the cgroup of that task and is left
 * alone.  The reference taken on the cgroup is the core's to drop when
 * the child is freed.
 *
 * Context: softirq or process context; holds the listener's socket lock.
 */
void toy_mem_child_init(struct sock *child, const struct sock *listener)
{
#ifdef CONFIG_MEMCG
	struct mem_cgroup *memcg = listener->sk_memcg;

	if (!mem_cgroup_sockets_enabled || child->sk_memcg || !memcg)
		return;
	css_get(&memcg->css);
	child->sk_memcg = memcg;
#endif
}

/**
 * toy_wmem_charge_forced() - Charge an skb to the write queue, limits or not.
 * @sk: the stream socket.
 * @skb: the skb about to be queued (its truesize is charged).
 *
 * As TCP's sk_forced_mem_schedule() does for a FIN or for the new skb
 * that takes the rest of a split segment, which must not fail.  That
 * function is not exported: when the pages cannot be scheduled,
 * sk_forward_alloc goes below zero and the next schedule of this socket
 * takes them.
 *
 * Context: holds the socket lock.
 */
void toy_wmem_charge_forced(struct sock *sk, struct sk_buff *skb)
{
	sk_wmem_schedule(sk, skb->truesize);
	sk_wmem_queued_add(sk, skb->truesize);
	sk_mem_charge(sk, skb->truesize);
}

/* tcp_too_many_orphans(): @shift counts this namespace's orphans double. */
static bool toy_too_many_orphans(const struct sock *sk, int shift)
{
	struct toy_net *tn = toy_pernet(sock_net(sk));

	return atomic_read(&tn->orphans) << shift >
	       READ_ONCE(tn->max_orphans);
}

/* tcp_out_of_memory(): the protocol is over its hard limit. */
static bool toy_out_of_memory(struct sock *sk)
{
	return sk->sk_wmem_queued > SOCK_MIN_SNDBUF &&
	       sk_memory_allocated(sk) > sk_prot_mem_limits(sk, 2);
}

/* tcp_check_oom(): should an orphan give up its memory now? */
static bool toy_check_oom(struct sock *sk, int shift)
{
	bool too_many_orphans = toy_too_many_orphans(sk, shift);
	bool out_of_memory = toy_out_of_memory(sk);

	if (too_many_orphans)
		net_info_ratelimited("too many orphaned sockets\n");
	if (out_of_memory)
		net_info_ratelimited("out of memory -- consider tuning net.toy.mem\n");
	return too_many_orphans || out_of_memory;
}

/**
 * toy_orphan_add() - Count a closed stream socket as an orphan.
 * @sk: the socket close() just orphaned (SOCK_DEAD).
 *
 * Count it, and when there are too many (net.toy.max_orphans), or the
 * protocol is over its hard limit, reset it now instead of letting it
 * finish in the background, as tcp_close() does (OrphanOverflow).  A
 * socket already in TCP_CLOSE is no orphan: it is freed with its last
 * reference.
 *
 * Context: holds the socket lock.
 */
void toy_orphan_add(struct sock *sk)
{
	if (sk->sk_state == TCP_CLOSE)
		return;		/* freed with the last reference, no orphan */
	toy_sk(sk)->orphan = true;
	percpu_counter_inc(&toy_orphan_count);
	atomic_inc(&toy_pernet(sock_net(sk))->orphans);
	if (toy_check_oom(sk, 0)) {
		toy_send_active_reset(sk);
		toy_done(sk);
		TOY_INC_STATS(sock_net(sk), TOY_MIB_ORPHANOVERFLOW);
	}
}

/**
 * toy_out_of_resources() - End an orphan that holds memory it should not.
 * @sk: a socket whose retransmission or probe timer fired.
 * @do_reset: whether to send a reset when ending it.
 *
 * As tcp_out_of_resources(): if @sk is an orphan and there are too many
 * orphans or the protocol is over its hard limit, end it (with a reset
 * if @do_reset) rather than keep its memory (OrphanOverflow).  Orphans
 * count double without a reset.
 *
 * Context: holds the socket lock.
 * Return: true if @sk was ended (closed, out of the tables; it is freed
 * with its last reference), false if it goes on.
 */
bool toy_out_of_resources(struct sock *sk, bool do_reset)
{
	if (!sock_flag(sk, SOCK_DEAD) || !toy_check_oom(sk, !do_reset))
		return false;
	if (do_reset)
		toy_send_active_reset(sk);
	toy_done(sk);
	TOY_INC_STATS(sock_net(sk), TOY_MIB_ORPHANOVERFLOW);
	return true;
}

/**
 * toy_sndbuf_expand() - Room in the send buffer for the congestion window.
 * @sk: the connection.
 *
 * Send buffer autotuning, as tcp_sndbuf_expand(): twice the congestion
 * window, in what a segment of the MSS costs in memory (rounded up as
 * TCP does), at most net.toy.wmem's maximum; it never shrinks.  Not with
 * SO_SNDBUF set, under memory pressure, or above net.toy.mem's first
 * threshold.
 *
 * Context: socket lock held.
 */
void toy_sndbuf_expand(struct sock *sk)
{
	struct toy_sock *ts = toy_sk(sk);
	u32 per_mss;
	u64 want;

	if (sk->sk_userlocks & SOCK_SNDBUF_LOCK ||
	    sk_under_memory_pressure(sk) ||
	    sk_memory_allocated(sk) >= sk_prot_mem_limits(sk, 0))
		return;
	per_mss = roundup_pow_of_two(ts->mss + TOY_MAX_HEADER +
				     SKB_DATA_ALIGN(sizeof(struct skb_shared_info))) +
		  SKB_DATA_ALIGN(sizeof(struct sk_buff));
	want = min_t(u64, 2ULL * ts->cwnd * per_mss,
		     READ_ONCE(sysctl_toy_wmem[2]));
	if (want > READ_ONCE(sk->sk_sndbuf))
		WRITE_ONCE(sk->sk_sndbuf, want);
}
