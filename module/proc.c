// SPDX-License-Identifier: GPL-2.0
/*
 * AF_TOY /proc/net files, one set per network namespace.
 *
 * /proc/net/toy_stat: the namespace's counters in the format of
 * /proc/net/netstat, a line of names then a line of values, each starting
 * with "Toy:", so that tools that parse netstat read it unchanged.
 */

#include <linux/percpu.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <net/net_namespace.h>

#include "toy.h"

static const char * const toy_mib_names[TOY_MIB_MAX] = {
	[TOY_MIB_SOCKCREATE]	= "SockCreate",
	[TOY_MIB_SOCKRELEASE]	= "SockRelease",
	[TOY_MIB_INSEGS]	= "InSegs",
	[TOY_MIB_OUTSEGS]	= "OutSegs",
	[TOY_MIB_INERRS]	= "InErrs",
	[TOY_MIB_OUTRSTS]	= "OutRsts",
	[TOY_MIB_INCSUMERRORS]	= "InCsumErrors",
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

int toy_proc_init_net(struct net *net)
{
	if (!proc_create_net_single("toy_stat", 0444, net->proc_net,
				    toy_stat_show, NULL))
		return -ENOMEM;
	return 0;
}

void toy_proc_exit_net(struct net *net)
{
	remove_proc_entry("toy_stat", net->proc_net);
}
