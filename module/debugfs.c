// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/debug/toy/lookup: ask the receive path who would receive a
 * segment, without sending one.  It makes demultiplexing inspectable (and
 * testable): write
 *
 *	stream|dgram SADDR:SPORT DADDR:DPORT [DEVICE]
 *
 * (the segment's source, then its destination, and the device it came
 * in on: without one, only sockets bound to no device can answer; as
 * in the receive path, a device that is a VRF slave comes in on its VRF
 * too) and read the answer back
 * from the same open file, at offset 0:
 *
 *	ino=INODE port=LOCALPORT state=STATE	the receiving socket
 *	none					no socket: a reset would answer
 *
 * INODE is the socket's inode number, as in /proc/PID/fd and fstat().
 * The lookup runs in the writer's network namespace through
 * toy_lookup_stream() or toy_lookup_dgram(), the functions the receive
 * path uses.  Root only (0600): it tells which sockets exist.
 */

#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/inet.h>
#include <linux/nsproxy.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <net/l3mdev.h>
#include <net/sock.h>

#include "toy.h"

struct toy_lookup_answer {
	size_t	len;
	char	buf[64];
};

static struct dentry *toy_debugfs_dir;

static int toy_lookup_open(struct inode *inode, struct file *file)
{
	struct toy_lookup_answer *ans = kzalloc(sizeof(*ans), GFP_KERNEL);

	file->private_data = ans;
	return ans ? 0 : -ENOMEM;
}

static int toy_lookup_release(struct inode *inode, struct file *file)
{
	kfree(file->private_data);
	return 0;
}

/* "A.B.C.D:PORT" -> address and port (network order). */
static int toy_parse_endpoint(char *s, __be32 *addr, __be16 *port)
{
	char *colon = strrchr(s, ':');
	u16 p;

	if (!colon)
		return -EINVAL;
	*colon = '\0';
	if (!in4_pton(s, -1, (u8 *)addr, '\0', NULL) ||
	    kstrtou16(colon + 1, 10, &p))
		return -EINVAL;
	*port = htons(p);
	return 0;
}

/* A device name as the receive path sees its segments: inet_iif/sdif. */
static int toy_parse_device(struct net *net, const char *name, int *dif,
			    int *sdif)
{
	struct net_device *dev;
	int err = 0;

	rcu_read_lock();
	dev = dev_get_by_name_rcu(net, name);
	if (!dev) {
		err = -ENODEV;
	} else if (netif_is_l3_slave(dev)) {
		*dif = l3mdev_master_ifindex_rcu(dev);
		*sdif = dev->ifindex;
	} else {
		*dif = dev->ifindex;
	}
	rcu_read_unlock();
	return err;
}

static ssize_t toy_lookup_write(struct file *file, const char __user *ubuf,
				size_t count, loff_t *ppos)
{
	struct toy_lookup_answer *ans = file->private_data;
	struct net *net = current->nsproxy->net_ns;
	char req[80], *p = req, *kind, *src, *dst, *dev;
	int dif = 0, sdif = 0;
	__be16 sport, dport;
	__be32 saddr, daddr;
	struct sock *sk;

	if (count >= sizeof(req))
		return -EINVAL;
	if (copy_from_user(req, ubuf, count))
		return -EFAULT;
	req[count] = '\0';
	strim(req);

	kind = strsep(&p, " ");
	src = strsep(&p, " ");
	dst = strsep(&p, " ");
	dev = strsep(&p, " ");
	if (!dst || p || toy_parse_endpoint(src, &saddr, &sport) ||
	    toy_parse_endpoint(dst, &daddr, &dport))
		return -EINVAL;
	if (dev && toy_parse_device(net, dev, &dif, &sdif))
		return -ENODEV;

	if (!strcmp(kind, "stream"))
		sk = toy_lookup_stream(net, saddr, sport, daddr, dport, dif,
				       sdif);
	else if (!strcmp(kind, "dgram"))
		sk = toy_lookup_dgram(net, saddr, sport, daddr, dport, dif,
				      sdif);
	else
		return -EINVAL;

	if (sk) {
		/*
		 * Half-open and TIME_WAIT entries have no inode; the first
		 * show as SYN_RECV, the others as TIME_WAIT.
		 */
		bool full = toy_is_full(sk);

		ans->len = scnprintf(ans->buf, sizeof(ans->buf),
				     "ino=%lu port=%u state=%u\n",
				     full ? sock_i_ino(sk) : 0, sk->sk_num,
				     toy_is_req(sk) ? TCP_SYN_RECV :
						      sk->sk_state);
		toy_sk_put(sk);
	} else {
		ans->len = scnprintf(ans->buf, sizeof(ans->buf), "none\n");
	}
	return count;
}

static ssize_t toy_lookup_read(struct file *file, char __user *ubuf,
			       size_t count, loff_t *ppos)
{
	struct toy_lookup_answer *ans = file->private_data;

	return simple_read_from_buffer(ubuf, count, ppos, ans->buf, ans->len);
}

static const struct file_operations toy_lookup_fops = {
	.owner		= THIS_MODULE,
	.open		= toy_lookup_open,
	.release	= toy_lookup_release,
	.write		= toy_lookup_write,
	.read		= toy_lookup_read,
	.llseek		= default_llseek,
};

/**
 * toy_debugfs_init() - Create /sys/kernel/debug/toy/lookup and states.
 *
 * Return: 0 always: debugfs may be absent or off, and the module works
 *         without the file, so a failure is ignored.
 */
int toy_debugfs_init(void)
{
	toy_debugfs_dir = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_file("lookup", 0600, toy_debugfs_dir, NULL,
			    &toy_lookup_fops);
	toy_states_debugfs_init(toy_debugfs_dir);
	return 0;
}

/**
 * toy_debugfs_exit() - Remove what toy_debugfs_init() created, if anything.
 */
void toy_debugfs_exit(void)
{
	debugfs_remove_recursive(toy_debugfs_dir);
	toy_debugfs_dir = NULL;
}
