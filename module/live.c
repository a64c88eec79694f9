// SPDX-License-Identifier: GPL-2.0
/*
 * AF_TOY live-object counters, read from /sys/module/toy/live/<kind>.
 *
 * One atomic counter per kind of object (enum toy_live_kind).  They are
 * module-wide, not per namespace: their job is to prove that nothing the
 * module allocates or arms outlives its use, whichever namespace it was
 * in.  The files sit in the module's own sysfs directory, so they appear
 * and disappear with the module.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/sysfs.h>

#include "toy.h"

static atomic_long_t toy_live[TOY_LIVE_NR];

/**
 * toy_live_inc() - Count one more live object.
 * @kind: what kind of object was allocated or armed.
 *
 * Context: any; the counter is atomic.
 */
void toy_live_inc(enum toy_live_kind kind)
{
	atomic_long_inc(&toy_live[kind]);
}

/**
 * toy_live_dec() - Count one live object less.
 * @kind: what kind of object was freed or disarmed.
 *
 * Warns once if the count goes below zero: a decrement without its
 * increment.
 *
 * Context: any; the counter is atomic.
 */
void toy_live_dec(enum toy_live_kind kind)
{
	WARN_ON_ONCE(atomic_long_dec_return(&toy_live[kind]) < 0);
}

/**
 * toy_live_read() - Read a live-object counter.
 * @kind: the kind of object.
 *
 * Return: how many objects of @kind are live now.
 */
long toy_live_read(enum toy_live_kind kind)
{
	return atomic_long_read(&toy_live[kind]);
}

/*
 * Files in a module's own kobject are dispatched by module_sysfs_ops,
 * which hands the show method a struct module_attribute.
 */
struct toy_live_attr {
	struct module_attribute	attr;
	enum toy_live_kind	kind;
};

static ssize_t toy_live_show(struct module_attribute *attr,
			     struct module_kobject *mk, char *buf)
{
	struct toy_live_attr *la = container_of(attr, struct toy_live_attr, attr);

	return sysfs_emit(buf, "%ld\n", toy_live_read(la->kind));
}

#define TOY_LIVE_ATTR(_name, _kind)					\
	static struct toy_live_attr toy_live_attr_##_name = {		\
		.attr = __ATTR(_name, 0444, toy_live_show, NULL),	\
		.kind = _kind,						\
	}

TOY_LIVE_ATTR(sockets, TOY_LIVE_SOCK);
TOY_LIVE_ATTR(requests, TOY_LIVE_REQ);
TOY_LIVE_ATTR(timewait, TOY_LIVE_TW);
TOY_LIVE_ATTR(timers, TOY_LIVE_TIMER);
TOY_LIVE_ATTR(buckets, TOY_LIVE_BUCKET);

static struct attribute *toy_live_attrs[] = {
	&toy_live_attr_sockets.attr.attr,
	&toy_live_attr_requests.attr.attr,
	&toy_live_attr_timewait.attr.attr,
	&toy_live_attr_timers.attr.attr,
	&toy_live_attr_buckets.attr.attr,
	NULL
};

static const struct attribute_group toy_live_group = {
	.name	= "live",
	.attrs	= toy_live_attrs,
};

/**
 * toy_live_init() - Create the counters' files in /sys/module/toy/live/.
 *
 * Context: module init; may sleep.
 * Return: 0, or the error of sysfs_create_group().
 */
int toy_live_init(void)
{
	return sysfs_create_group(&THIS_MODULE->mkobj.kobj, &toy_live_group);
}

/**
 * toy_live_exit() - Remove the counters' files and check that all are zero.
 *
 * Description: Called from module exit, and when module init fails after
 * toy_live_init(), when no socket can exist any more: anything still
 * counted here is a leak (or a timer that may run freed code), and
 * gets a warning with its kind.
 *
 * Context: module exit or failed init; may sleep.
 */
void toy_live_exit(void)
{
	int i;

	sysfs_remove_group(&THIS_MODULE->mkobj.kobj, &toy_live_group);
	for (i = 0; i < TOY_LIVE_NR; i++)
		WARN(toy_live_read(i), "%s: %ld live objects of kind %d at exit\n",
		     KBUILD_MODNAME, toy_live_read(i), i);
}
