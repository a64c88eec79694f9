// SPDX-License-Identifier: GPL-2.0
/*
 * AF_TOY sysctls: /proc/sys/net/toy/, one copy per network namespace.
 *
 * Each namespace gets its own copy of toy_sysctl_template with .data
 * pointing into its struct toy_net, so a new namespace starts from the
 * defaults below whatever its parent has set (as net.ipv4 does).  The
 * names, ranges and checks are those of the net.ipv4 namesakes:
 *
 *   ip_local_port_range         "low high": ports for automatic choice;
 *                               1 <= low <= high <= 65535, and low may not
 *                               be below ip_unprivileged_port_start.
 *   ip_local_reserved_ports     ports (lists and ranges, "8000,9000-9010")
 *                               that automatic choice skips; bind() with an
 *                               explicit port may still take them.
 *   ip_unprivileged_port_start  ports below it need CAP_NET_BIND_SERVICE in
 *                               the namespace's user namespace; 0..65535,
 *                               and not above the range's low end.
 *   syn_retries                 SYN retransmissions before connect() gives
 *                               up with ETIMEDOUT; 1..127, default 6.
 *   synack_retries              SYN-ACK retransmissions of a half-open
 *                               entry before it is dropped; 0..255 (TCP's
 *                               u8), default 5.  The waits double from
 *                               1 s up to 120 s, however many there are.
 *   retries2                    retransmission timeouts in a row before an
 *                               established connection fails with
 *                               ETIMEDOUT; 1..255, default 15.
 *   fin_timeout                 seconds an orphaned connection may stay in
 *                               FIN_WAIT2; 1..86400, default 60.
 *   msl_ms                      the maximum segment lifetime in ms; the
 *                               active closer holds TIME_WAIT for twice
 *                               this; 1..3600000, default 30000.  An
 *                               entry keeps the length it started with.
 *   tw_reuse                    may connect() take over a TIME_WAIT
 *                               4-tuple for a port it chooses (timewait.c):
 *                               0 no, 1 yes, 2 (default) loopback only.
 *   max_tw_buckets              TIME_WAIT entries the namespace may hold;
 *                               beyond it a closing socket skips TIME_WAIT
 *                               (TimeWaitOverflow); 0..INT_MAX, default
 *                               131072 (TCP derives its own from the size
 *                               of its table).
 *   orphan_retries              attempts (retransmissions, probes) an
 *                               orphaned connection gets before it is
 *                               given up; 0..255, default 0, which means
 *                               8 while the peer may be alive.
 *   invalid_ratelimit           ms: a connection answers segments it
 *                               cannot accept (out of window, challenge
 *                               ACKs, TIME_WAIT) at most once per this;
 *                               default 500.
 *   challenge_ack_limit         RFC 5961 challenge ACKs per second in the
 *                               namespace; default INT_MAX (no limit
 *                               beyond invalid_ratelimit, as TCP's).
 *   syncookies                  (tcp_syncookies) answer a SYN with a
 *                               cookie instead of a half-open entry:
 *                               0 never (a SYN beyond the limits is
 *                               dropped), 1 (default) when a limit below
 *                               is reached, 2 always.
 *   max_syn_backlog             (tcp_max_syn_backlog) half-open entries
 *                               the namespace may hold, all listeners
 *                               together; beyond it SYNs get cookies or
 *                               are dropped, as beyond a listener's own
 *                               backlog; 0..INT_MAX, default 1024 (TCP
 *                               scales its own, 128 or more, with the
 *                               size of its table).
 *   max_orphans                 orphans (connections closed by the user,
 *                               still finishing) the namespace may hold;
 *                               beyond it they are reset, at close() or
 *                               at their next timeout (OrphanOverflow);
 *                               0..INT_MAX, default 8192: half the
 *                               connection table's slots, as
 *                               tcp_max_orphans is half of TCP's.
 *   window_scaling              (tcp_window_scaling) offer and accept the
 *                               window scale option (options.c): 0 or 1,
 *                               default 1.
 *   sack                        (tcp_sack) offer and accept SACK
 *                               (options.c, sack.c): 0 or 1, default 1.
 *   timestamps                  (tcp_timestamps) offer and accept
 *                               timestamps (options.c, timestamps.c): 0
 *                               or 1, default 1.
 *
 * Two more exist in the initial namespace only, since the memory they
 * limit is the whole system's (as net.ipv4.tcp_mem and udp_mem):
 *
 *   mem                         "min pressure max" in pages: the memory
 *                               all stream sockets may hold (mem.c);
 *                               defaults from the free memory at load,
 *                               as tcp_mem's.
 *   dgram_mem                   the same for datagram sockets, as udp_mem.
 *   rmem, wmem                  "min default max" in bytes, as tcp_rmem and
 *                               tcp_wmem: a stream socket's buffers
 *                               (mem.c); defaults 4096 212992 6291456
 *                               and 4096 212992 4194304.
 */

#include <linux/bitmap.h>
#include <linux/slab.h>
#include <linux/sysctl.h>
#include <net/net_namespace.h>

#include "toy.h"

#define TOY_PORT_RANGE_LOW	32768
#define TOY_PORT_RANGE_HIGH	60999
#define TOY_UNPRIV_PORT_START	1024

static int toy_one = 1;
static int toy_syn_retries_max = 127;	/* TCP's MAX_TCP_SYNCNT */
static int toy_retries2_max = 255;	/* toy_sock.retries is a u8 */
static int toy_fin_timeout_max = 86400;
static int toy_msl_max = 3600000;
static int toy_two = 2;
static int toy_port_min = 1;
static int toy_zero;
static int toy_port_max = 65535;
static int toy_u8_max = 255;
static int toy_synack_retries_max = 255;	/* TCP's: a u8 */

/* The range as one consistent pair (a writer may be changing it). */
static void toy_tn_port_range(const struct toy_net *tn, int *low, int *high)
{
	unsigned int seq;

	do {
		seq = read_seqbegin(&tn->port_range_lock);
		*low = tn->port_range[0];
		*high = tn->port_range[1];
	} while (read_seqretry(&tn->port_range_lock, seq));
}

/**
 * toy_port_range() - Read net.toy.ip_local_port_range.
 * @net: the namespace.
 * @low: set to the lowest port for automatic choice.
 * @high: set to the highest.
 *
 * The pair is read as one, under the range's seqlock: a writer may be
 * changing it.
 *
 * Context: any; takes no lock, retries while a writer is active.
 */
void toy_port_range(const struct net *net, int *low, int *high)
{
	toy_tn_port_range(toy_pernet(net), low, high);
}

/**
 * toy_port_reserved() - Is @port in net.toy.ip_local_reserved_ports?
 * @net: the namespace.
 * @port: the port, host order.
 *
 * Return: true if automatic choice must skip @port.
 */
bool toy_port_reserved(const struct net *net, u16 port)
{
	return test_bit(port, toy_pernet(net)->reserved_ports);
}

static int toy_sysctl_port_range(struct ctl_table *table, int write,
				 void *buffer, size_t *lenp, loff_t *ppos)
{
	struct toy_net *tn = container_of(table->data, struct toy_net,
					  port_range);
	int range[2];
	struct ctl_table tmp = {
		.data	= range,
		.maxlen	= sizeof(range),
		.mode	= table->mode,
		.extra1	= &toy_port_min,
		.extra2	= &toy_port_max,
	};
	int err;

	toy_tn_port_range(tn, &range[0], &range[1]);
	err = proc_dointvec_minmax(&tmp, write, buffer, lenp, ppos);
	if (!write || err)
		return err;

	/* An empty range, or one reaching into the privileged ports. */
	if (range[1] < range[0] ||
	    range[0] < READ_ONCE(tn->unpriv_port_start))
		return -EINVAL;

	write_seqlock_bh(&tn->port_range_lock);
	tn->port_range[0] = range[0];
	tn->port_range[1] = range[1];
	write_sequnlock_bh(&tn->port_range_lock);
	return 0;
}

static int toy_sysctl_unpriv_start(struct ctl_table *table, int write,
				   void *buffer, size_t *lenp, loff_t *ppos)
{
	struct toy_net *tn = container_of(table->data, struct toy_net,
					  unpriv_port_start);
	int start = READ_ONCE(tn->unpriv_port_start);
	struct ctl_table tmp = {
		.data	= &start,
		.maxlen	= sizeof(start),
		.mode	= table->mode,
		.extra1	= &toy_zero,
		.extra2	= &toy_port_max,
	};
	int err, low, high;

	err = proc_dointvec_minmax(&tmp, write, buffer, lenp, ppos);
	if (!write || err)
		return err;

	/* The automatic range may not hold privileged ports. */
	toy_tn_port_range(tn, &low, &high);
	if (low < start)
		return -EINVAL;
	WRITE_ONCE(tn->unpriv_port_start, start);
	return 0;
}

static const struct ctl_table toy_sysctl_template[] = {
	{
		.procname	= "ip_local_port_range",
		.maxlen		= 2 * sizeof(int),
		.mode		= 0644,
		.proc_handler	= toy_sysctl_port_range,
	},
	{
		.procname	= "ip_local_reserved_ports",
		.maxlen		= 65536,
		.mode		= 0644,
		.proc_handler	= proc_do_large_bitmap,
	},
	{
		.procname	= "ip_unprivileged_port_start",
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= toy_sysctl_unpriv_start,
	},
	{
		.procname	= "syn_retries",
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= &toy_one,
		.extra2		= &toy_syn_retries_max,
	},
	{
		.procname	= "synack_retries",
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= &toy_zero,
		.extra2		= &toy_synack_retries_max,
	},
	{
		.procname	= "retries2",
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= &toy_one,
		.extra2		= &toy_retries2_max,
	},
	{
		.procname	= "fin_timeout",
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= &toy_one,
		.extra2		= &toy_fin_timeout_max,
	},
	{
		.procname	= "msl_ms",
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= &toy_one,
		.extra2		= &toy_msl_max,
	},
	{
		.procname	= "tw_reuse",
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= &toy_zero,
		.extra2		= &toy_two,
	},
	{
		.procname	= "max_tw_buckets",
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= &toy_zero,
	},
	{
		.procname	= "orphan_retries",
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= &toy_zero,
		.extra2		= &toy_u8_max,
	},
	{
		.procname	= "invalid_ratelimit",
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_ms_jiffies,
	},
	{
		.procname	= "challenge_ack_limit",
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= &toy_zero,
	},
	{
		.procname	= "syncookies",
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= &toy_zero,
		.extra2		= &toy_two,
	},
	{
		.procname	= "max_syn_backlog",
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= &toy_zero,
	},
	{
		.procname	= "max_orphans",
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= &toy_zero,
	},
	{
		.procname	= "window_scaling",
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= &toy_zero,
		.extra2		= &toy_one,
	},
	{
		.procname	= "sack",
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= &toy_zero,
		.extra2		= &toy_one,
	},
	{
		.procname	= "timestamps",
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= &toy_zero,
		.extra2		= &toy_one,
	},
	{ }
};

/**
 * toy_sysctl_init_net() - Set up a namespace's sysctls and their defaults.
 * @net: the new namespace.
 *
 * Sets every value the template lists to its default (and zeroes the
 * counters the limits apply to: TIME_WAIT entries, half-open entries,
 * orphans), allocates the reserved-ports bitmap and registers a copy
 * of toy_sysctl_template whose .data point into @net's struct toy_net.
 *
 * Context: namespace init (toy_net_init()); may sleep.
 * Return: 0, or -ENOMEM (nothing is left allocated).
 */
int toy_sysctl_init_net(struct net *net)
{
	struct toy_net *tn = toy_pernet(net);
	struct ctl_table *table;

	seqlock_init(&tn->port_range_lock);
	tn->port_range[0] = TOY_PORT_RANGE_LOW;
	tn->port_range[1] = TOY_PORT_RANGE_HIGH;
	tn->unpriv_port_start = TOY_UNPRIV_PORT_START;
	tn->syn_retries = 6;	/* TCP's defaults */
	tn->synack_retries = 5;
	tn->retries2 = 15;
	tn->fin_timeout = 60;
	tn->msl_ms = 30000;
	tn->tw_reuse_mode = 2;
	tn->max_tw_buckets = 131072;
	atomic_set(&tn->tw_count, 0);
	tn->orphan_retries = 0;
	tn->invalid_ratelimit = HZ / 2;
	tn->challenge_ack_limit = INT_MAX;
	tn->syncookies = 1;
	tn->max_syn_backlog = 1024;
	atomic_set(&tn->req_count, 0);
	tn->max_orphans = BIT(TOY_EHASH_BITS) / 2;
	atomic_set(&tn->orphans, 0);
	tn->window_scaling = 1;
	tn->sack = 1;
	tn->timestamps = 1;

	tn->reserved_ports = bitmap_zalloc(65536, GFP_KERNEL);
	if (!tn->reserved_ports)
		goto err;

	table = kmemdup(toy_sysctl_template, sizeof(toy_sysctl_template),
			GFP_KERNEL);
	if (!table)
		goto err_bitmap;
	table[0].data = &tn->port_range;
	table[1].data = &tn->reserved_ports;
	table[2].data = &tn->unpriv_port_start;
	table[3].data = &tn->syn_retries;
	table[4].data = &tn->synack_retries;
	table[5].data = &tn->retries2;
	table[6].data = &tn->fin_timeout;
	table[7].data = &tn->msl_ms;
	table[8].data = &tn->tw_reuse_mode;
	table[9].data = &tn->max_tw_buckets;
	table[10].data = &tn->orphan_retries;
	table[11].data = &tn->invalid_ratelimit;
	table[12].data = &tn->challenge_ack_limit;
	table[13].data = &tn->syncookies;
	table[14].data = &tn->max_syn_backlog;
	table[15].data = &tn->max_orphans;
	table[16].data = &tn->window_scaling;
	table[17].data = &tn->sack;
	table[18].data = &tn->timestamps;

	tn->sysctl_hdr = register_net_sysctl(net, "net/toy", table);
	if (!tn->sysctl_hdr)
		goto err_table;
	return 0;

err_table:
	kfree(table);
err_bitmap:
	bitmap_free(tn->reserved_ports);
	tn->reserved_ports = NULL;
err:
	return -ENOMEM;
}

/**
 * toy_sysctl_exit_net() - Remove a namespace's sysctls.
 * @net: the namespace.
 *
 * Unregisters the table, then frees it and the reserved-ports bitmap.
 *
 * Context: namespace exit, or init unwinding; may sleep.
 */
void toy_sysctl_exit_net(struct net *net)
{
	struct toy_net *tn = toy_pernet(net);
	struct ctl_table *table = tn->sysctl_hdr->ctl_table_arg;

	unregister_net_sysctl_table(tn->sysctl_hdr);
	kfree(table);
	bitmap_free(tn->reserved_ports);
	tn->reserved_ports = NULL;
}

static struct ctl_table toy_sysctl_global[] = {
	{
		.procname	= "mem",
		.data		= &sysctl_toy_mem,
		.maxlen		= sizeof(sysctl_toy_mem),
		.mode		= 0644,
		.proc_handler	= proc_doulongvec_minmax,
	},
	{
		.procname	= "dgram_mem",
		.data		= &sysctl_toy_dgram_mem,
		.maxlen		= sizeof(sysctl_toy_dgram_mem),
		.mode		= 0644,
		.proc_handler	= proc_doulongvec_minmax,
	},
	{
		.procname	= "rmem",
		.data		= &sysctl_toy_rmem,
		.maxlen		= sizeof(sysctl_toy_rmem),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= &toy_one,
	},
	{
		.procname	= "wmem",
		.data		= &sysctl_toy_wmem,
		.maxlen		= sizeof(sysctl_toy_wmem),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= &toy_one,
	},
	{ }
};

static struct ctl_table_header *toy_sysctl_global_hdr;

/**
 * toy_sysctl_global_init() - Register net.toy.mem, dgram_mem, rmem, wmem.
 *
 * Description: They exist in the initial namespace only: the memory
 * they limit is the whole system's.
 *
 * Context: module init (toy_mem_init()); may sleep.
 * Return: 0, or -ENOMEM.
 */
int toy_sysctl_global_init(void)
{
	toy_sysctl_global_hdr = register_net_sysctl(&init_net, "net/toy",
						    toy_sysctl_global);
	return toy_sysctl_global_hdr ? 0 : -ENOMEM;
}

/**
 * toy_sysctl_global_exit() - Unregister net.toy.mem and net.toy.dgram_mem.
 *
 * Context: module exit or failed init (toy_mem_exit()); may sleep.
 */
void toy_sysctl_global_exit(void)
{
	unregister_net_sysctl_table(toy_sysctl_global_hdr);
}
