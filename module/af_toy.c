// SPDX-License-Identifier: GPL-2.0
/*
 * AF_TOY: the address family, socket creation and the module's life.
 *
 * Implementation notes
 * --------------------
 *
 * Socket kinds.  An AF_TOY socket is SOCK_STREAM (connection-oriented) or
 * SOCK_DGRAM (connectionless); each kind has its own struct proto, so its
 * own slab cache and its own line ("TOY", "TOY-DGRAM") in
 * /proc/net/protocols, whose "sockets" column counts the sockets of the
 * reader's network namespace.  Both are struct toy_sock (toy.h).
 *
 * Family number.  AF_TOY borrows the free slot 18 (see uapi/linux/toy.h);
 * the "family" module parameter moves it.  The parameter is read-only once
 * loaded, so every socket of one module instance has the same family.
 *
 * References.
 *   - Every socket pins the module twice, as the core does for any family:
 *     through sock->ops->owner (taken by __sock_create()) and through
 *     sk->sk_prot->owner (taken by sk_alloc()).  rmmod therefore waits for
 *     the last socket, and module exit runs with no socket left.
 *   - Every socket holds its network namespace (sk_alloc() with kern == 0),
 *     so per-namespace state (struct toy_net) outlives its sockets.
 *   - The socket holds one reference on its struct sock from sk_alloc();
 *     toy_release() drops it.  Whoever else keeps a pointer to the sock
 *     (tables, timers, queues; later) takes its own reference first.
 *
 * Locking.  lock_sock() guards a socket's state.  The live-object counters
 * and the per-namespace statistics are atomic or per-CPU and need no lock.
 *
 * Init and exit.  toy_init() registers the pieces in dependency order and
 * unwinds in exactly the reverse order on failure; toy_exit() is the same
 * unwind.  The family is registered last, so no socket can be created
 * before everything it needs exists.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/net.h>
#include <linux/socket.h>
#include <net/sock.h>

#include "toy.h"

int toy_family = AF_TOY;
module_param_named(family, toy_family, int, 0444);
MODULE_PARM_DESC(family, "address family number to register (default 18)");

unsigned int toy_ipproto = IPPROTO_TOY;
module_param_named(ipproto, toy_ipproto, uint, 0444);
MODULE_PARM_DESC(ipproto, "IPv4 protocol number of AF_TOY (default 253)");

static struct proto toy_stream_prot = {
	.name		= "TOY",
	.owner		= THIS_MODULE,
	.obj_size	= sizeof(struct toy_sock),
};

static struct proto toy_dgram_prot = {
	.name		= "TOY-DGRAM",
	.owner		= THIS_MODULE,
	.obj_size	= sizeof(struct toy_sock),
};

/*
 * Runs once, when the last reference to the sock is dropped.  Queues are
 * purged here rather than in release so that nothing queued by a late
 * writer can outlive the sock.
 */
static void toy_sock_destruct(struct sock *sk)
{
	skb_queue_purge(&sk->sk_receive_queue);
	skb_queue_purge(&sk->sk_write_queue);
	skb_queue_purge(&sk->sk_error_queue);
	toy_live_dec(TOY_LIVE_SOCK);
}

static int toy_release(struct socket *sock)
{
	struct sock *sk = sock->sk;

	if (!sk)
		return 0;

	lock_sock(sk);
	sk->sk_shutdown = SHUTDOWN_MASK;
	sock_orphan(sk);
	release_sock(sk);

	sock_prot_inuse_add(sock_net(sk), sk->sk_prot, -1);
	TOY_INC_STATS(sock_net(sk), TOY_MIB_SOCKRELEASE);
	sock->sk = NULL;
	sock_put(sk);
	return 0;
}

/*
 * No ioctl of our own yet: -ENOIOCTLCMD lets the socket layer fall back to
 * the generic device ioctls (SIOCGIFADDR and friends), as for every family.
 */
static int toy_ioctl(struct socket *sock, unsigned int cmd, unsigned long arg)
{
	return -ENOIOCTLCMD;
}

/* No AF_TOY option exists yet; TCP answers unknown ones with ENOPROTOOPT. */
static int toy_setsockopt(struct socket *sock, int level, int optname,
			  sockptr_t optval, unsigned int optlen)
{
	return -ENOPROTOOPT;
}

static int toy_getsockopt(struct socket *sock, int level, int optname,
			  char __user *optval, int __user *optlen)
{
	return -ENOPROTOOPT;
}

/*
 * Only socket creation and release exist so far; every other operation
 * answers EOPNOTSUPP through the sock_no_*() helpers until the features
 * that give it meaning land.
 *
 * proto_ops.family is informational on 6.1 (SCM code only compares it with
 * PF_UNIX), so it names the default slot; the number actually registered,
 * which the "family" parameter may change, is in toy_family_ops and in
 * every sk->sk_family.
 */
static const struct proto_ops toy_stream_ops = {
	.family		= PF_TOY,
	.owner		= THIS_MODULE,
	.release	= toy_release,
	.bind		= sock_no_bind,
	.connect	= sock_no_connect,
	.socketpair	= sock_no_socketpair,
	.accept		= sock_no_accept,
	.getname	= sock_no_getname,
	.poll		= datagram_poll,
	.ioctl		= toy_ioctl,
	.listen		= sock_no_listen,
	.shutdown	= sock_no_shutdown,
	.setsockopt	= toy_setsockopt,
	.getsockopt	= toy_getsockopt,
	.sendmsg	= sock_no_sendmsg,
	.recvmsg	= sock_no_recvmsg,
	.mmap		= sock_no_mmap,
	.sendpage	= sock_no_sendpage,
};

static const struct proto_ops toy_dgram_ops = {
	.family		= PF_TOY,
	.owner		= THIS_MODULE,
	.release	= toy_release,
	.bind		= sock_no_bind,
	.connect	= sock_no_connect,
	.socketpair	= sock_no_socketpair,
	.accept		= sock_no_accept,
	.getname	= sock_no_getname,
	.poll		= datagram_poll,
	.ioctl		= toy_ioctl,
	.listen		= sock_no_listen,
	.shutdown	= sock_no_shutdown,
	.setsockopt	= toy_setsockopt,
	.getsockopt	= toy_getsockopt,
	.sendmsg	= sock_no_sendmsg,
	.recvmsg	= sock_no_recvmsg,
	.mmap		= sock_no_mmap,
	.sendpage	= sock_no_sendpage,
};

/*
 * socket(AF_TOY, type, protocol).  The errors follow inet_create(): a
 * protocol outside [0, IPPROTO_MAX) is EINVAL, a type we do not provide
 * is ESOCKTNOSUPPORT, and a protocol other than 0 or ours is
 * EPROTONOSUPPORT.  SOCK_NONBLOCK and SOCK_CLOEXEC are applied to the
 * file by the socket layer.
 */
static int toy_create(struct net *net, struct socket *sock, int protocol,
		      int kern)
{
	const struct proto_ops *ops;
	struct proto *prot;
	struct sock *sk;

	if (protocol < 0 || protocol >= IPPROTO_MAX)
		return -EINVAL;

	switch (sock->type) {
	case SOCK_STREAM:
		ops = &toy_stream_ops;
		prot = &toy_stream_prot;
		break;
	case SOCK_DGRAM:
		ops = &toy_dgram_ops;
		prot = &toy_dgram_prot;
		break;
	default:
		return -ESOCKTNOSUPPORT;
	}

	if (protocol && protocol != toy_ipproto)
		return -EPROTONOSUPPORT;

	sk = sk_alloc(net, toy_family, GFP_KERNEL, prot, kern);
	if (!sk)
		return -ENOBUFS;

	sock->state = SS_UNCONNECTED;
	sock->ops = ops;
	sock_init_data(sock, sk);
	sk->sk_protocol = toy_ipproto;
	sk->sk_destruct = toy_sock_destruct;

	toy_live_inc(TOY_LIVE_SOCK);
	sock_prot_inuse_add(net, prot, 1);
	TOY_INC_STATS(net, TOY_MIB_SOCKCREATE);
	return 0;
}

static struct net_proto_family toy_family_ops __ro_after_init = {
	.create	= toy_create,
	.owner	= THIS_MODULE,
};

static int __init toy_init(void)
{
	int err;

	BUILD_BUG_ON(offsetof(struct toy_sock, sk) != 0);
	BUILD_BUG_ON(sizeof(struct sockaddr_toy) != sizeof(struct sockaddr_in));

	if (toy_family <= AF_UNSPEC || toy_family >= AF_MAX) {
		pr_err("family=%d is outside 1..%d\n", toy_family, AF_MAX - 1);
		return -EINVAL;
	}
	if (toy_ipproto < 1 || toy_ipproto > 255) {
		pr_err("ipproto=%u is outside 1..255\n", toy_ipproto);
		return -EINVAL;
	}
	toy_family_ops.family = toy_family;

	err = proto_register(&toy_stream_prot, 1);
	if (err)
		goto out;
	err = proto_register(&toy_dgram_prot, 1);
	if (err)
		goto out_stream_prot;
	err = toy_net_register();
	if (err)
		goto out_dgram_prot;
	err = toy_live_init();
	if (err)
		goto out_net;
	err = sock_register(&toy_family_ops);
	if (err) {
		pr_err("cannot register family %d: %d%s\n", toy_family, err,
		       err == -EEXIST ? " (slot taken by another family)" : "");
		goto out_live;
	}

	pr_info("AF_TOY registered as family %d, IP protocol %u\n",
		toy_family, toy_ipproto);
	return 0;

out_live:
	toy_live_exit();
out_net:
	toy_net_unregister();
out_dgram_prot:
	proto_unregister(&toy_dgram_prot);
out_stream_prot:
	proto_unregister(&toy_stream_prot);
out:
	return err;
}

static void __exit toy_exit(void)
{
	sock_unregister(toy_family);
	toy_live_exit();
	toy_net_unregister();
	proto_unregister(&toy_dgram_prot);
	proto_unregister(&toy_stream_prot);
	pr_info("AF_TOY unregistered\n");
}

module_init(toy_init);
module_exit(toy_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("AF_TOY: a small transport protocol family over IPv4");
MODULE_ALIAS_NETPROTO(AF_TOY);
