// SPDX-License-Identifier: GPL-2.0
/*
 * AF_TOY per-network-namespace state (struct toy_net, toy.h).
 *
 * The core allocates and zeroes struct toy_net for every namespace
 * (.id/.size), then calls toy_net_init(); toy_net_exit() runs when the
 * namespace dies, after all its sockets are gone because each one holds
 * a reference on its namespace.  On module load the core calls
 * toy_net_init() for every existing namespace, and on unload
 * toy_net_exit(), under pernet_ops_rwsem.  TIME_WAIT entries hold no
 * reference on their namespace: toy_net_exit() ends them (timewait.c),
 * so neither a namespace nor the module waits for 2 MSL to go away.
 */

#include <linux/percpu.h>
#include <net/net_namespace.h>

#include "toy.h"

unsigned int toy_net_id __read_mostly;

static int __net_init toy_net_init(struct net *net)
{
	struct toy_net *tn = toy_pernet(net);
	int err;

	tn->mib = alloc_percpu(struct toy_mib);
	if (!tn->mib)
		return -ENOMEM;

	err = toy_sysctl_init_net(net);
	if (err)
		goto out_mib;
	err = toy_ports_init_net(net);
	if (err)
		goto out_sysctl;
	err = toy_proc_init_net(net);
	if (err)
		goto out_ports;
	return 0;

out_ports:
	toy_ports_exit_net(net);
out_sysctl:
	toy_sysctl_exit_net(net);
out_mib:
	free_percpu(tn->mib);
	tn->mib = NULL;
	return err;
}

static void __net_exit toy_net_exit(struct net *net)
{
	struct toy_net *tn = toy_pernet(net);

	toy_proc_exit_net(net);
	toy_tw_purge_net(net);	/* TIME_WAIT entries hold no reference */
	toy_ports_exit_net(net);
	toy_sysctl_exit_net(net);
	free_percpu(tn->mib);
	tn->mib = NULL;
}

static struct pernet_operations toy_net_ops = {
	.init	= toy_net_init,
	.exit	= toy_net_exit,
	.id	= &toy_net_id,
	.size	= sizeof(struct toy_net),
};

/**
 * toy_net_register() - Set up AF_TOY's state in every network namespace.
 *
 * Description: Registers toy_net_ops: toy_net_init() runs now for
 * every existing namespace and later for each new one, toy_net_exit()
 * for each that dies.
 *
 * Context: module init; may sleep (takes pernet_ops_rwsem).
 * Return: 0, or the error of register_pernet_subsys(), such as one
 * toy_net_init() returned (the namespaces already set up are undone).
 */
int toy_net_register(void)
{
	return register_pernet_subsys(&toy_net_ops);
}

/**
 * toy_net_unregister() - Tear down AF_TOY's state in every namespace.
 *
 * Description: Runs toy_net_exit() for every namespace still alive,
 * which ends their TIME_WAIT entries too.
 *
 * Context: module exit or failed init; may sleep (takes pernet_ops_rwsem).
 */
void toy_net_unregister(void)
{
	unregister_pernet_subsys(&toy_net_ops);
}
