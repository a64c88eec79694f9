// SPDX-License-Identifier: GPL-2.0
/*
 * AF_TOY /proc/net files, one set per network namespace.
 *
 * /proc/net/toy_sockstat: sockets and memory, in the format of
 * /proc/net/sockstat (below).
 *
 * /proc/net/toy_stat: the namespace's counters in the format of
 * /proc/net/netstat, a line of names then a line of values, each starting
 * with "Toy:", so that tools that parse netstat read it unchanged.
 *
 * /proc/net/toy: one row per stream socket of the namespace that is in
 * the listener or the connection table, in the columns of /proc/net/tcp
 * (addresses as raw hex in network order, ports in hex, st the TCP_*
 * state number: 0A LISTEN, 02 SYN_SENT ...), so netstat-style parsers
 * and people used to /proc/net/tcp read it unchanged.  For a listener,
 * rx_queue is its accept queue; half-open entries show as SYN_RECV rows
 * with inode 0, as TCP shows its request sockets; TIME_WAIT entries show
 * as TIME_WAIT (06) rows with timer 3 and the time they have left, inode
 * 0, as TCP shows its timewait sockets; sockets that hold a
 * port but are in neither table (bound, not listening or connected)
 * show as CLOSE (07) rows, so every one of the eleven states can be
 * seen here.  A socket's row goes on, as TCP's, with its reference
 * count, its address (%pK), the RTO and the delayed-ACK timeout (clock
 * ticks), quick-ACK count << 1 | interactive mode, the congestion
 * window, and ssthresh (-1 before the first loss; 0 for a listener).
 * The walk runs under RCU: rows of
 * sockets that move while it runs may be missed or shown twice, as with
 * any /proc/net listing.
 */

#include <linux/jiffies.h>
#include <linux/percpu.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <net/net_namespace.h>
#include <net/tcp_states.h>

#include "toy.h"

static const char * const toy_mib_names[TOY_MIB_MAX] = {
	[TOY_MIB_SOCKCREATE]	= "SockCreate",
	[TOY_MIB_SOCKRELEASE]	= "SockRelease",
	[TOY_MIB_INSEGS]	= "InSegs",
	[TOY_MIB_OUTSEGS]	= "OutSegs",
	[TOY_MIB_INERRS]	= "InErrs",
	[TOY_MIB_OUTRSTS]	= "OutRsts",
	[TOY_MIB_INCSUMERRORS]	= "InCsumErrors",
	[TOY_MIB_ACTIVEOPENS]	= "ActiveOpens",
	[TOY_MIB_PASSIVEOPENS]	= "PassiveOpens",
	[TOY_MIB_ATTEMPTFAILS]	= "AttemptFails",
	[TOY_MIB_ESTABRESETS]	= "EstabResets",
	[TOY_MIB_RETRANSSEGS]	= "RetransSegs",
	[TOY_MIB_LISTENOVERFLOWS] = "ListenOverflows",
	[TOY_MIB_LISTENDROPS]	= "ListenDrops",
	[TOY_MIB_OFOQUEUE]	= "OFOQueue",
	[TOY_MIB_DUPSEGS]	= "DupSegs",
	[TOY_MIB_FASTRETRANS]	= "FastRetrans",
	[TOY_MIB_TIMEOUTS]	= "Timeouts",
	[TOY_MIB_CHALLENGEACKS]	= "ChallengeACKs",
	[TOY_MIB_RCVPRUNED]	= "RcvPruned",
	[TOY_MIB_TWCREATED]	= "TWCreated",
	[TOY_MIB_TWEXPIRED]	= "TWExpired",
	[TOY_MIB_TWRECYCLED]	= "TWRecycled",
	[TOY_MIB_TWOVERFLOW]	= "TimeWaitOverflow",
	[TOY_MIB_TWDROPS]	= "TWDrops",
	[TOY_MIB_INDATAGRAMS]	= "InDatagrams",
	[TOY_MIB_OUTDATAGRAMS]	= "OutDatagrams",
	[TOY_MIB_NOPORTS]	= "NoPorts",
	[TOY_MIB_RCVBUFERRORS]	= "RcvbufErrors",
	[TOY_MIB_ACKSKIPPEDSEQ]	= "ACKSkippedSeq",
	[TOY_MIB_ACKSKIPPEDCHALLENGE] = "ACKSkippedChallenge",
	[TOY_MIB_ACKSKIPPEDTIMEWAIT] = "ACKSkippedTimeWait",
	[TOY_MIB_ACKSKIPPEDSYNRECV] = "ACKSkippedSynRecv",
	[TOY_MIB_MTUREDUCED]	= "MTUReduced",
	[TOY_MIB_OUTOFWINDOWICMPS] = "OutOfWindowIcmps",
	[TOY_MIB_SYNCOOKIESSENT] = "SyncookiesSent",
	[TOY_MIB_SYNCOOKIESRECV] = "SyncookiesRecv",
	[TOY_MIB_SYNCOOKIESFAILED] = "SyncookiesFailed",
	[TOY_MIB_OFOPRUNED]	= "OfoPruned",
	[TOY_MIB_ORPHANOVERFLOW] = "OrphanOverflow",
	[TOY_MIB_MEMORYPRESSURES] = "MemoryPressures",
	[TOY_MIB_INOPTERRORS]	= "InOptErrors",
	[TOY_MIB_DELAYEDACKS]	= "DelayedACKs",
	[TOY_MIB_PAWSESTAB]	= "PAWSEstab",
	[TOY_MIB_ACKSKIPPEDPAWS] = "ACKSkippedPAWS",
	[TOY_MIB_PAWSACTIVE]	= "PAWSActive",
	[TOY_MIB_TLPPROBES]	= "LossProbes",
	[TOY_MIB_TLPRECOVERY]	= "LossProbeRecovery",
	[TOY_MIB_LOSTRETRANSMIT] = "LostRetransmit",
};

static int toy_stat_show(struct seq_file *seq, void *v)
{
	struct toy_net *tn = toy_pernet(seq_file_single_net(seq));
	unsigned long sum[TOY_MIB_MAX] = {};
	int cpu, i;

	for_each_possible_cpu(cpu)
		for (i = 0; i < TOY_MIB_MAX; i++)
			sum[i] += per_cpu_ptr(tn->mib, cpu)->mibs[i];

	seq_puts(seq, "Toy:");
	for (i = 0; i < TOY_MIB_MAX; i++)
		seq_printf(seq, " %s", toy_mib_names[i]);
	seq_puts(seq, "\nToy:");
	for (i = 0; i < TOY_MIB_MAX; i++)
		seq_printf(seq, " %lu", sum[i]);
	seq_putc(seq, '\n');
	return 0;
}

/* Where the /proc/net/toy walk stands. */
struct toy_seq_state {
	struct seq_net_private	p;	/* first, for seq_file_net() */
	struct toy_walk		walk;
	int			num;	/* row number ("sl") */
	loff_t			last_pos; /* *pos of the row the state is on */
};

/* The socket the state points at, or the next one after it; RCU. */
static struct sock *toy_seq_find(struct seq_file *seq)
{
	struct toy_seq_state *st = seq->private;

	return toy_walk_find(seq_file_net(seq), &st->walk);
}

static void *toy_seq_start(struct seq_file *seq, loff_t *pos)
	__acquires(RCU)
{
	struct toy_seq_state *st = seq->private;
	struct sock *sk;
	loff_t i;

	rcu_read_lock();
	if (!*pos)
		return SEQ_START_TOKEN;
	/*
	 * The next read() of a long listing goes on where the last one
	 * stopped (as tcp_seek_last_pos()): only that chain is walked
	 * again, not every row before it.
	 */
	if (*pos == st->last_pos) {
		sk = toy_seq_find(seq);
		if (sk)
			return sk;
	}
	toy_walk_start(&st->walk, TOY_SPACE_STREAM);
	sk = toy_seq_find(seq);
	for (i = 1; sk && i < *pos; i++) {
		st->walk.idx++;
		sk = toy_seq_find(seq);
	}
	st->num = *pos - 1;
	st->last_pos = *pos;
	return sk;
}

static void *toy_seq_next(struct seq_file *seq, void *v, loff_t *pos)
{
	struct toy_seq_state *st = seq->private;

	++*pos;
	if (v == SEQ_START_TOKEN) {
		toy_walk_start(&st->walk, TOY_SPACE_STREAM);
		st->num = 0;
	} else {
		st->walk.idx++;
		st->num++;
	}
	st->last_pos = *pos;
	return toy_seq_find(seq);
}

static void toy_seq_stop(struct seq_file *seq, void *v)
	__releases(RCU)
{
	rcu_read_unlock();
}

/* A half-open entry's row: SYN_RECV, its SYN-ACK timer, no inode. */
static void toy_seq_show_req(struct seq_file *seq, int num,
			     struct toy_request *req)
{
	struct sock *sk = toy_req_sk(req);
	unsigned long expires = READ_ONCE(req->timer.expires);

	seq_printf(seq, "%4d: %08X:%04X %08X:%04X %02X %08X:%08X %02X:%08lX %08X %5u %8d %lu",
		   num, sk->sk_rcv_saddr, sk->sk_num, sk->sk_daddr,
		   ntohs(sk->sk_dport), TCP_SYN_RECV, 0, 0, 1,
		   jiffies_delta_to_clock_t(expires - jiffies),
		   READ_ONCE(req->retries),
		   from_kuid_munged(seq_user_ns(seq),
				    sock_i_uid(req->listener)), 0, 0UL);
}

/* A TIME_WAIT entry's row: its time left (timer 3), as TCP's. */
static void toy_seq_show_tw(struct seq_file *seq, int num, struct toy_tw *tw)
{
	struct sock *sk = toy_tw_sk(tw);
	unsigned long expires = READ_ONCE(tw->timer.expires);

	seq_printf(seq, "%4d: %08X:%04X %08X:%04X %02X %08X:%08X %02X:%08lX %08X %5u %8d %lu",
		   num, sk->sk_rcv_saddr, sk->sk_num, sk->sk_daddr,
		   ntohs(sk->sk_dport), TCP_TIME_WAIT, 0, 0, 3,
		   jiffies_delta_to_clock_t(expires - jiffies), 0, 0, 0, 0UL);
}

/*
 * tr (which timer) and tm->when as in /proc/net/tcp: 1 retransmission
 * (or zero-window probe), 2 keepalive or FIN_WAIT_2, 3 TIME_WAIT.
 */
static int toy_seq_timer(struct sock *sk, unsigned long *when)
{
	struct toy_sock *ts = toy_sk(sk);

	if (timer_pending(&ts->rtx_timer)) {
		*when = READ_ONCE(ts->rtx_timer.expires);
		return 1;
	}
	if (timer_pending(&ts->misc_timer)) {
		*when = READ_ONCE(ts->misc_timer.expires);
		return 2;
	}
	return 0;
}

/*
 * ssthresh as /proc/net/tcp shows it: -1 in the initial slow start (and
 * before the handshake ends).
 */
static int toy_seq_ssthresh(struct sock *sk, int state)
{
	u32 ssthresh = READ_ONCE(toy_sk(sk)->ssthresh);

	if (state == TCP_LISTEN)
		return 0;
	return !ssthresh || ssthresh >= TOY_MAX_CWND ? -1 : ssthresh;
}

static int toy_seq_show(struct seq_file *seq, void *v)
{
	struct toy_seq_state *st = seq->private;
	u32 tx_queue = 0, rx_queue = 0;
	struct sock *sk = v;
	struct toy_sock *ts = toy_sk(sk);
	unsigned long expires = 0;
	int timer, state;

	seq_setwidth(seq, 149);
	if (v == SEQ_START_TOKEN) {
		seq_puts(seq, "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode");
		goto out;
	}
	if (toy_is_req(sk)) {
		toy_seq_show_req(seq, st->num, toy_req(sk));
		goto out;
	}
	if (toy_is_tw(sk)) {
		toy_seq_show_tw(seq, st->num, toy_tw(sk));
		goto out;
	}
	state = toy_state_load(sk);
	timer = toy_seq_timer(sk, &expires);
	if (state == TCP_LISTEN) {
		rx_queue = READ_ONCE(sk->sk_ack_backlog);
	} else {
		tx_queue = READ_ONCE(ts->write_seq) - READ_ONCE(ts->snd_una);
		rx_queue = max_t(int, READ_ONCE(ts->rcv_nxt) -
				 READ_ONCE(ts->copied_seq), 0);
	}
	seq_printf(seq, "%4d: %08X:%04X %08X:%04X %02X %08X:%08X %02X:%08lX %08X %5u %8d %lu %d %pK %lu %lu %u %u %d",
		   st->num, READ_ONCE(sk->sk_rcv_saddr), READ_ONCE(sk->sk_num),
		   READ_ONCE(sk->sk_daddr), ntohs(READ_ONCE(sk->sk_dport)),
		   state, tx_queue, rx_queue, timer,
		   timer ? jiffies_delta_to_clock_t(expires - jiffies) : 0UL,
		   READ_ONCE(ts->retries),
		   from_kuid_munged(seq_user_ns(seq), sock_i_uid(sk)), 0,
		   sock_i_ino(sk), refcount_read(&sk->sk_refcnt), sk,
		   jiffies_to_clock_t(READ_ONCE(ts->rto)),
		   jiffies_to_clock_t(READ_ONCE(ts->ack_ato)),
		   READ_ONCE(ts->ack_quick) << 1 | READ_ONCE(ts->ack_pingpong),
		   READ_ONCE(ts->cwnd), toy_seq_ssthresh(sk, state));
out:
	seq_pad(seq, '\n');
	return 0;
}

/*
 * /proc/net/toy_dgram: one row per datagram socket that holds a port, in
 * the columns of /proc/net/udp (st 07 unconnected, 01 connected;
 * tx_queue and rx_queue in bytes; drops: datagrams the socket refused
 * for its receive buffer, or lost to a failed copy).  Walked from the
 * start at each read, as UDP's.
 */
static struct sock *toy_dgram_idx(struct seq_file *seq, loff_t pos)
{
	struct net *net = seq_file_net(seq);
	struct toy_walk w;
	struct sock *sk;

	toy_walk_start(&w, TOY_SPACE_DGRAM);
	for (sk = toy_walk_find(net, &w); sk && pos--;
	     sk = toy_walk_find(net, &w))
		w.idx++;
	return sk;
}

static void *toy_dgram_seq_start(struct seq_file *seq, loff_t *pos)
	__acquires(RCU)
{
	rcu_read_lock();
	return *pos ? toy_dgram_idx(seq, *pos - 1) : SEQ_START_TOKEN;
}

static void *toy_dgram_seq_next(struct seq_file *seq, void *v, loff_t *pos)
{
	++*pos;
	return toy_dgram_idx(seq, *pos - 1);
}

static int toy_dgram_seq_show(struct seq_file *seq, void *v)
{
	struct sock *sk = v;

	seq_setwidth(seq, 127);
	if (v == SEQ_START_TOKEN) {
		seq_puts(seq, "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops");
	} else {
		seq_printf(seq, "%5d: %08X:%04X %08X:%04X %02X %08X:%08X %02X:%08lX %08X %5u %8d %lu %d %pK %u",
			   (int)seq->index - 1, READ_ONCE(sk->sk_rcv_saddr), READ_ONCE(sk->sk_num),
			   READ_ONCE(sk->sk_daddr),
			   ntohs(READ_ONCE(sk->sk_dport)),
			   toy_state_load(sk), sk_wmem_alloc_get(sk),
			   sk_rmem_alloc_get(sk), 0, 0UL, 0,
			   from_kuid_munged(seq_user_ns(seq), sock_i_uid(sk)),
			   0, sock_i_ino(sk), refcount_read(&sk->sk_refcnt), sk,
			   atomic_read(&sk->sk_drops));
	}
	seq_pad(seq, '\n');
	return 0;
}

static const struct seq_operations toy_dgram_seq_ops = {
	.start	= toy_dgram_seq_start,
	.next	= toy_dgram_seq_next,
	.stop	= toy_seq_stop,
	.show	= toy_dgram_seq_show,
};

static const struct seq_operations toy_seq_ops = {
	.start	= toy_seq_start,
	.next	= toy_seq_next,
	.stop	= toy_seq_stop,
	.show	= toy_seq_show,
};

/*
 * /proc/net/toy_sockstat, in the format of /proc/net/sockstat: sockets
 * in use in this namespace (as /proc/net/protocols counts them),
 * TIME_WAIT entries of this namespace; orphans, sockets allocated and
 * pages charged across all namespaces, as TCP's.  "mem" counts the
 * per-CPU parts too (mem.c), so it is exact.
 */
static int toy_sockstat_show(struct seq_file *seq, void *v)
{
	struct net *net = seq_file_single_net(seq);

	seq_printf(seq, "TOY: inuse %d orphan %lld tw %d alloc %lld mem %ld\n",
		   sock_prot_inuse_get(net, &toy_stream_prot),
		   toy_orphans_sum(),
		   atomic_read(&toy_pernet(net)->tw_count),
		   percpu_counter_sum_positive(&toy_sockets_allocated),
		   toy_mem_pages(&toy_stream_prot));
	seq_printf(seq, "TOY-DGRAM: inuse %d mem %ld\n",
		   sock_prot_inuse_get(net, &toy_dgram_prot),
		   toy_mem_pages(&toy_dgram_prot));
	return 0;
}

/**
 * toy_proc_init_net() - Create a namespace's /proc/net files.
 * @net: the namespace.
 *
 * toy_stat, toy, toy_dgram and toy_sockstat; on failure none is left.
 *
 * Return: 0 or -ENOMEM.
 */
int toy_proc_init_net(struct net *net)
{
	if (!proc_create_net_single("toy_stat", 0444, net->proc_net,
				    toy_stat_show, NULL))
		return -ENOMEM;
	if (!proc_create_net("toy", 0444, net->proc_net, &toy_seq_ops,
			     sizeof(struct toy_seq_state)))
		goto err_stat;
	if (!proc_create_net("toy_dgram", 0444, net->proc_net,
			     &toy_dgram_seq_ops, sizeof(struct seq_net_private)))
		goto err_toy;
	if (!proc_create_net_single("toy_sockstat", 0444, net->proc_net,
				    toy_sockstat_show, NULL))
		goto err_dgram;
	return 0;

err_dgram:
	remove_proc_entry("toy_dgram", net->proc_net);
err_toy:
	remove_proc_entry("toy", net->proc_net);
err_stat:
	remove_proc_entry("toy_stat", net->proc_net);
	return -ENOMEM;
}

/**
 * toy_proc_exit_net() - Remove a namespace's /proc/net files.
 * @net: the namespace.
 */
void toy_proc_exit_net(struct net *net)
{
	remove_proc_entry("toy_sockstat", net->proc_net);
	remove_proc_entry("toy_dgram", net->proc_net);
	remove_proc_entry("toy", net->proc_net);
	remove_proc_entry("toy_stat", net->proc_net);
}
