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
 *     toy_release() drops it.  Every table entry holds one more: a bind
 *     bucket's owner list, the listener table, the connection table
 *     (bind.c, lookup.c).  A socket is unhashed before its own reference
 *     goes.
 *   - Every armed timer holds one, and so does work a timer left to the
 *     socket's owner (a bit in toy_sock.deferred); whoever disarms the
 *     timer or does the work drops it (stream.c).
 *   - A half-open entry (request.c) holds its listener; the connection
 *     table and its armed timer each hold the entry.
 *   - TIME_WAIT entries (timewait.c) hold none, on anything: neither the
 *     module nor the namespace waits 2 MSL for them; the namespace's exit
 *     (run for every namespace by module unload too) ends them, timers
 *     included, and module exit waits for their RCU frees.  The
 *     connection table, the bind bucket and the armed timer each hold
 *     the entry.
 *   - Sockets are SOCK_RCU_FREE, entries and buckets freed after a grace
 *     period: a receive-path lookup under rcu_read_lock() may read what
 *     it finds, and takes a reference with refcount_inc_not_zero().  The
 *     core's RCU callback frees a socket and only then drops the module
 *     reference, so rmmod cannot run ahead of it.
 *
 * Locks, outermost first (each file's comments point here):
 *   1. a listener's socket lock (lock_sock(), or bh_lock_sock() on the
 *      receive path), or any socket's;
 *   2. a child's socket lock, nested (a child being made or reset);
 *   3. a listener's req_lock (its half-open entries, request.c);
 *   4. a bind slot lock (bind.c);
 *   5. a listener or connection slot lock (lookup.c).
 * No code holds two slots of one table.  Slot locks are taken with
 * bottom halves off, since the receive path writes the tables from
 * softirq.  Timers: a connection's take its socket lock (bh_lock_sock(),
 * or leave the work to the owner); a half-open entry's takes only
 * req_lock; a TIME_WAIT entry's takes 4 then 5 and releases 5 last
 * (timewait.c says why).  A datagram socket's receive queue lock is
 * taken alone.  The live-object counters and the per-namespace
 * statistics are atomic or per-CPU and need no lock; the per-namespace
 * sysctls are read with READ_ONCE or under their seqlock.  A socket's
 * state changes only through toy_set_state() (a release); who reads it
 * without the socket lock uses toy_state_load() (an acquire).
 *
 * Memory.  As TCP's and UDP's (mem.c): what a socket queues is charged
 * to its buffers (SO_SNDBUF, SO_RCVBUF), to its protocol's pages
 * (net.toy.mem, net.toy.dgram_mem, system-wide) and to the memory
 * cgroup of its creator; sockets, orphans and pages are counted in
 * /proc/net/toy_sockstat, and orphans are bounded by net.toy.max_orphans.
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
#include <net/route.h>
#include <net/sock.h>
#include <net/tcp_states.h>

#include "toy.h"

int toy_family = AF_TOY;
module_param_named(family, toy_family, int, 0444);
MODULE_PARM_DESC(family, "address family number to register (default 18)");

unsigned int toy_ipproto = IPPROTO_TOY;
module_param_named(ipproto, toy_ipproto, uint, 0444);
MODULE_PARM_DESC(ipproto, "IPv4 protocol number of AF_TOY (default 253)");

/*
 * Runs once, when the last reference to the sock is dropped.  Queues are
 * purged here rather than in release so that nothing queued by a late
 * writer can outlive the sock.
 */
static void toy_sock_destruct(struct sock *sk)
{
	skb_queue_purge(&sk->sk_receive_queue);
	if (sk->sk_type == SOCK_STREAM)
		toy_write_queue_purge(sk);
	skb_queue_purge(&sk->sk_error_queue);
	dst_release(rcu_dereference_protected(sk->sk_dst_cache, 1));
	RCU_INIT_POINTER(sk->sk_dst_cache, NULL);
	WARN_ON_ONCE(sk->sk_wmem_queued);
	toy_mem_sock_destruct(sk);
	toy_live_dec(TOY_LIVE_SOCK);
}

/**
 * toy_sock_setup() - What every AF_TOY socket gets.
 * @sk: a new socket, made by socket() or by a listener (listen.c).
 *
 * The protocol number, destructor, RCU freeing, memory accounting; a
 * stream socket also its timers, queues, option defaults, backlog and
 * write-space handlers.
 */
void toy_sock_setup(struct sock *sk)
{
	sk->sk_protocol = toy_ipproto;
	sk->sk_destruct = toy_sock_destruct;
	/* Table readers run under RCU: free only after a grace period. */
	sock_set_flag(sk, SOCK_RCU_FREE);
	if (sk->sk_type == SOCK_STREAM) {
		toy_stream_init_sock(sk);
		/* Segments that arrive while a user holds it wait here. */
		sk->sk_backlog_rcv = sk->sk_prot->backlog_rcv;
		sk->sk_write_space = toy_write_space;
	}
	toy_mem_sock_init(sk);
}

/**
 * toy_sock_count_new() - Count a new socket.
 * @sk: the socket, from socket() or a listener.
 *
 * In the live objects, in /proc/net/protocols and in SockCreate.
 */
void toy_sock_count_new(struct sock *sk)
{
	toy_live_inc(TOY_LIVE_SOCK);
	sock_prot_inuse_add(sock_net(sk), sk->sk_prot, 1);
	TOY_INC_STATS(sock_net(sk), TOY_MIB_SOCKCREATE);
}

/**
 * toy_sock_count_gone() - Count a socket that was let go.
 * @sk: the socket, let go by its user or, for a child never accepted, by
 *      its listener.
 *
 * SockRelease, and out of /proc/net/protocols.  It leaves the live
 * objects when it is freed (toy_sock_destruct()).
 */
void toy_sock_count_gone(struct sock *sk)
{
	sock_prot_inuse_add(sock_net(sk), sk->sk_prot, -1);
	TOY_INC_STATS(sock_net(sk), TOY_MIB_SOCKRELEASE);
}

/**
 * toy_release() - close() of an AF_TOY socket.
 * @sock: the socket; nothing to do if it has no sock.
 *
 * A stream socket closes its connection (toy_stream_release()); a
 * datagram socket gives its port back and shuts down.  Either is
 * orphaned and loses the reference it held since sk_alloc(); what the
 * tables and timers hold keeps it until they let go.
 *
 * Context: process context; takes the socket lock.
 * Return: 0.
 */
int toy_release(struct socket *sock)
{
	struct sock *sk = sock->sk;

	if (!sk)
		return 0;

	lock_sock(sk);
	if (sk->sk_type == SOCK_STREAM) {
		toy_stream_release(sk);
	} else {
		toy_put_port(sk);
		WRITE_ONCE(sk->sk_shutdown, SHUTDOWN_MASK);
		sock_orphan(sk);
	}
	release_sock(sk);

	toy_sock_count_gone(sk);
	sock->sk = NULL;
	sock_put(sk);
	return 0;
}

/**
 * toy_addr_check() - Check an AF_TOY address from the user.
 * @sk: the socket it is for.
 * @uaddr: the address.
 * @addr_len: its length.
 *
 * Long enough, and of the socket's family, as inet's calls check theirs.
 *
 * Return: 0, -EINVAL (too short) or -EAFNOSUPPORT (another family).
 */
int toy_addr_check(const struct sock *sk, const struct sockaddr *uaddr,
		   int addr_len)
{
	if (addr_len < (int)sizeof(struct sockaddr_toy))
		return -EINVAL;
	if (uaddr->sa_family != sk->sk_family)
		return -EAFNOSUPPORT;
	return 0;
}

/**
 * toy_shutdown() - shutdown() of an AF_TOY socket.
 * @sock: the socket.
 * @how: SHUT_RD, SHUT_WR or SHUT_RDWR.
 *
 * @how is checked and turned into sk_shutdown bits, then the kind of
 * socket does what they mean (toy_stream_shutdown(),
 * toy_dgram_shutdown()) under the socket lock; whoever waits on the
 * socket is woken.
 *
 * Context: process context; takes the socket lock.
 * Return: 0, -EINVAL for a bad @how, or -ENOTCONN for a socket in CLOSE
 *         (its bits are set all the same).
 */
int toy_shutdown(struct socket *sock, int how)
{
	struct sock *sk = sock->sk;
	int err;

	how++;	/* SHUT_RD 0 -> RCV_SHUTDOWN 1, ... SHUT_RDWR -> 3 */
	if ((how & ~SHUTDOWN_MASK) || !how)
		return -EINVAL;
	lock_sock(sk);
	if (sk->sk_type == SOCK_STREAM)
		err = toy_stream_shutdown(sock, how);
	else
		err = toy_dgram_shutdown(sk, how);
	sk->sk_state_change(sk);
	release_sock(sk);
	return err;
}

/**
 * toy_bind() - bind() of an AF_TOY socket.
 * @sock: the socket.
 * @uaddr: the address, a struct sockaddr_toy.
 * @addr_len: its length.
 *
 * The checks and their order are __inet_bind()'s: the address length,
 * the family (AF_TOY only; AF_TOY has no AF_UNSPEC compatibility case),
 * an address of this namespace (local, multicast or broadcast), the
 * privilege for a port below ip_unprivileged_port_start, then "already
 * bound" and the port table (toy_bind_port()).  A nonzero address or
 * port is locked (SOCK_BINDADDR_LOCK, SOCK_BINDPORT_LOCK): a disconnect
 * keeps it.
 *
 * Context: process context; takes the socket lock.
 * Return: 0, -EINVAL, -EAFNOSUPPORT, -EADDRNOTAVAIL, -EACCES,
 *         -EADDRINUSE or -ENOMEM.
 */
int toy_bind(struct socket *sock, struct sockaddr *uaddr, int addr_len)
{
	struct sockaddr_toy *addr = (struct sockaddr_toy *)uaddr;
	struct sock *sk = sock->sk;
	struct net *net = sock_net(sk);
	__be32 a;
	u16 port;
	int err;

	err = toy_addr_check(sk, uaddr, addr_len);
	if (err)
		return err;

	a = addr->stoy_addr.s_addr;
	if (a != htonl(INADDR_ANY)) {
		unsigned int type = inet_addr_type(net, a);

		if (type != RTN_LOCAL && type != RTN_MULTICAST &&
		    type != RTN_BROADCAST)
			return -EADDRNOTAVAIL;
	}

	port = ntohs(addr->stoy_port);
	if (port && port < READ_ONCE(toy_pernet(net)->unpriv_port_start) &&
	    !ns_capable(net->user_ns, CAP_NET_BIND_SERVICE))
		return -EACCES;

	lock_sock(sk);
	err = -EINVAL;
	if (sk->sk_state != TCP_CLOSE || toy_sk(sk)->tb)
		goto out;
	err = toy_bind_port(sk, a, port);
	if (err)
		goto out;
	if (a)
		sk->sk_userlocks |= SOCK_BINDADDR_LOCK;
	if (port)
		sk->sk_userlocks |= SOCK_BINDPORT_LOCK;
out:
	release_sock(sk);
	return err;
}

/**
 * toy_getname() - getsockname() and getpeername() of an AF_TOY socket.
 * @sock: the socket.
 * @uaddr: where the address goes, a struct sockaddr_toy.
 * @peer: 0 for the local address, else the peer's.
 *
 * As inet_getname(): the peer of a socket that is not connected (or
 * still in SYN_SENT) is ENOTCONN; padding is zeroed so no kernel bytes
 * reach the user.
 *
 * Context: process context; takes the socket lock.
 * Return: the length of the address, or -ENOTCONN.
 */
int toy_getname(struct socket *sock, struct sockaddr *uaddr, int peer)
{
	struct sockaddr_toy *sin = (struct sockaddr_toy *)uaddr;
	struct sock *sk = sock->sk;

	memset(sin, 0, sizeof(*sin));
	sin->stoy_family = sk->sk_family;
	lock_sock(sk);
	if (peer) {
		if (!sk->sk_dport ||
		    (((1 << sk->sk_state) & (TCPF_CLOSE | TCPF_SYN_SENT)) &&
		     peer == 1)) {
			release_sock(sk);
			return -ENOTCONN;
		}
		sin->stoy_port = sk->sk_dport;
		sin->stoy_addr.s_addr = sk->sk_daddr;
	} else {
		sin->stoy_port = htons(sk->sk_num);
		sin->stoy_addr.s_addr = sk->sk_rcv_saddr;
	}
	release_sock(sk);
	return sizeof(*sin);
}

/**
 * toy_setsockopt() - setsockopt() at SOL_TOY.
 * @sock: the socket.
 * @level: the level; SOL_SOCKET never gets here.
 * @optname: TOY_REUSEPORT, or, for a stream socket, TOY_KEEPIDLE,
 *           TOY_KEEPINTVL, TOY_KEEPCNT, TOY_NODELAY, TOY_CORK or
 *           TOY_QUICKACK (uapi/linux/toy.h).
 * @optval: the value, an int.
 * @optlen: its length.
 *
 * Unknown levels and names are ENOPROTOOPT, as TCP answers; values out
 * of range are EINVAL, as for TCP_KEEPIDLE and friends.  A new
 * TOY_KEEPIDLE restarts the keepalive timer if SO_KEEPALIVE is on.
 *
 * Context: process context; takes the socket lock.
 * Return: 0, -ENOPROTOOPT, -EINVAL or -EFAULT.
 */
int toy_setsockopt(struct socket *sock, int level, int optname,
		   sockptr_t optval, unsigned int optlen)
{
	struct sock *sk = sock->sk;
	struct toy_sock *ts = toy_sk(sk);
	int val, err = 0;

	if (level != SOL_TOY)
		return -ENOPROTOOPT;
	switch (optname) {
	case TOY_REUSEPORT:
		break;
	case TOY_KEEPIDLE:
	case TOY_KEEPINTVL:
	case TOY_KEEPCNT:
	case TOY_NODELAY:
	case TOY_CORK:
	case TOY_QUICKACK:
		if (sk->sk_type != SOCK_STREAM)
			return -ENOPROTOOPT;
		break;
	default:
		return -ENOPROTOOPT;
	}
	if (optlen < sizeof(int))
		return -EINVAL;
	if (copy_from_sockptr(&val, optval, sizeof(val)))
		return -EFAULT;

	lock_sock(sk);
	switch (optname) {
	case TOY_REUSEPORT:
		sk->sk_reuseport = !!val;
		break;
	case TOY_KEEPIDLE:
		if (val < 1 || val > TOY_KEEP_TIME_MAX) {
			err = -EINVAL;
			break;
		}
		WRITE_ONCE(ts->keepidle, val);
		if (sock_flag(sk, SOCK_KEEPOPEN))
			toy_keepalive(sk, 1);
		break;
	case TOY_KEEPINTVL:
		if (val < 1 || val > TOY_KEEP_TIME_MAX)
			err = -EINVAL;
		else
			WRITE_ONCE(ts->keepintvl, val);
		break;
	case TOY_KEEPCNT:
		if (val < 1 || val > TOY_KEEPCNT_MAX)
			err = -EINVAL;
		else
			WRITE_ONCE(ts->keepcnt, val);
		break;
	case TOY_NODELAY:
		toy_set_nodelay(sk, val);
		break;
	case TOY_CORK:
		toy_set_cork(sk, val);
		break;
	case TOY_QUICKACK:
		toy_set_quickack(sk, val);
		break;
	}
	release_sock(sk);
	return err;
}

/*
 * TOY_INFO, as TCP_INFO: the first *@optlen bytes of struct toy_info at
 * most, and *@optlen set to what was copied.
 */
static int toy_getsockopt_info(struct sock *sk, char __user *optval,
			       int __user *optlen)
{
	struct toy_info info;
	int len;

	if (get_user(len, optlen))
		return -EFAULT;
	if (len < 0)
		return -EINVAL;
	toy_get_info(sk, &info);
	len = min_t(unsigned int, len, sizeof(info));
	if (put_user(len, optlen) || copy_to_user(optval, &info, len))
		return -EFAULT;
	return 0;
}

/**
 * toy_getsockopt() - getsockopt() at SOL_TOY.
 * @sock: the socket.
 * @level: the level; SOL_SOCKET never gets here.
 * @optname: as for toy_setsockopt().
 * @optval: where the value goes, an int (TOY_INFO: a struct toy_info), cut
 *          to *@optlen bytes.
 * @optlen: the room at @optval; set to the length written.
 *
 * Reads the option without the socket lock.
 *
 * Return: 0; -ENOPROTOOPT for an unknown level or name, or a keepalive
 *         option of a datagram socket; -EINVAL for a negative *@optlen;
 *         -EFAULT.
 */
int toy_getsockopt(struct socket *sock, int level, int optname,
		   char __user *optval, int __user *optlen)
{
	struct toy_sock *ts = toy_sk(sock->sk);
	int val, len;

	if (level != SOL_TOY)
		return -ENOPROTOOPT;
	if (optname != TOY_REUSEPORT && sock->sk->sk_type != SOCK_STREAM)
		return -ENOPROTOOPT;	/* keepalive is the stream's */
	if (optname == TOY_INFO)
		return toy_getsockopt_info(sock->sk, optval, optlen);
	switch (optname) {
	case TOY_REUSEPORT:
		val = sock->sk->sk_reuseport;
		break;
	case TOY_KEEPIDLE:
		val = READ_ONCE(ts->keepidle);
		break;
	case TOY_KEEPINTVL:
		val = READ_ONCE(ts->keepintvl);
		break;
	case TOY_KEEPCNT:
		val = READ_ONCE(ts->keepcnt);
		break;
	case TOY_NODELAY:
		val = READ_ONCE(ts->nodelay);
		break;
	case TOY_CORK:
		val = READ_ONCE(ts->cork);
		break;
	case TOY_QUICKACK:
		val = !READ_ONCE(ts->ack_pingpong);
		break;
	default:
		return -ENOPROTOOPT;
	}
	if (get_user(len, optlen))
		return -EFAULT;
	if (len < 0)
		return -EINVAL;
	len = min_t(unsigned int, len, sizeof(int));
	if (put_user(len, optlen) || copy_to_user(optval, &val, len))
		return -EFAULT;
	return 0;
}

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
		return -ENOMEM;

	sock->state = SS_UNCONNECTED;
	sock->ops = ops;
	sock_init_data(sock, sk);
	toy_sock_setup(sk);
	toy_sock_count_new(sk);
	return 0;
}

static struct net_proto_family toy_family_ops __ro_after_init = {
	.create	= toy_create,
	.owner	= THIS_MODULE,
};

/* The module parameters: a family slot and an IP protocol we may take. */
static int __init toy_check_params(void)
{
	if (toy_family <= AF_UNSPEC || toy_family >= AF_MAX) {
		pr_err("family=%d is outside 1..%d\n", toy_family, AF_MAX - 1);
		return -EINVAL;
	}
	if (toy_ipproto < 1 || toy_ipproto > 255) {
		pr_err("ipproto=%u is outside 1..255\n", toy_ipproto);
		return -EINVAL;
	}
	/*
	 * sk_protocol must not name a transport the kernel has: code that
	 * looks only at the protocol (BPF helpers, for one) would take an
	 * AF_TOY socket for a TCP or UDP one.
	 */
	switch (toy_ipproto) {
	case IPPROTO_ICMP: case IPPROTO_IGMP: case IPPROTO_IPIP:
	case IPPROTO_TCP: case IPPROTO_UDP: case IPPROTO_DCCP:
	case IPPROTO_IPV6: case IPPROTO_RSVP: case IPPROTO_GRE:
	case IPPROTO_ESP: case IPPROTO_AH: case IPPROTO_L2TP:
	case IPPROTO_SCTP: case IPPROTO_UDPLITE: case IPPROTO_RAW:
		pr_err("ipproto=%u belongs to another protocol\n", toy_ipproto);
		return -EINVAL;
	}
	return 0;
}

static int __init toy_init(void)
{
	int err;

	BUILD_BUG_ON(offsetof(struct toy_sock, sk) != 0);
	BUILD_BUG_ON(sizeof(struct sockaddr_toy) != sizeof(struct sockaddr_in));

	err = toy_check_params();
	if (err)
		return err;
	toy_family_ops.family = toy_family;
	toy_ports_init();
	toy_stream_init();

	err = toy_tw_init();
	if (err)
		goto out;
	/* First in, last out: it checks at exit that nothing is left. */
	err = toy_live_init();
	if (err)
		goto out_tw;
	err = toy_mem_init();
	if (err)
		goto out_live;
	err = proto_register(&toy_stream_prot, 1);
	if (err)
		goto out_mem;
	err = proto_register(&toy_dgram_prot, 1);
	if (err)
		goto out_stream_prot;
	err = toy_net_register();
	if (err)
		goto out_dgram_prot;
	toy_debugfs_init();
	err = toy_wire_init();
	if (err) {
		pr_err("IP protocol %u is taken\n", toy_ipproto);
		goto out_debugfs;
	}
	err = sock_register(&toy_family_ops);
	if (err) {
		pr_err("cannot register family %d: %d%s\n", toy_family, err,
		       err == -EEXIST ? " (slot taken by another family)" : "");
		goto out_wire;
	}
	err = toy_diag_init();
	if (err) {
		pr_err("cannot register sock_diag of family %d: %d\n",
		       toy_family, err);
		goto out_family;
	}

	pr_info("AF_TOY registered as family %d, IP protocol %u (a socket is %zu bytes, a half-open entry %zu, a TIME_WAIT entry %zu)\n",
		toy_family, toy_ipproto, sizeof(struct toy_sock),
		sizeof(struct toy_request), sizeof(struct toy_tw));
	return 0;

out_family:
	sock_unregister(toy_family);
out_wire:
	toy_wire_exit();
out_debugfs:
	toy_debugfs_exit();
	toy_net_unregister();
out_dgram_prot:
	proto_unregister(&toy_dgram_prot);
out_stream_prot:
	proto_unregister(&toy_stream_prot);
out_mem:
	toy_mem_exit();
out_live:
	toy_live_exit();
out_tw:
	toy_tw_exit();
out:
	return err;
}

/*
 * No socket exists (each pins the module).  The namespaces' exits end
 * every TIME_WAIT entry (timewait.c) before the counters are checked.
 */
static void __exit toy_exit(void)
{
	toy_diag_exit();
	sock_unregister(toy_family);
	toy_wire_exit();
	toy_debugfs_exit();
	toy_net_unregister();
	proto_unregister(&toy_dgram_prot);
	proto_unregister(&toy_stream_prot);
	toy_mem_exit();
	toy_live_exit();
	toy_tw_exit();
	pr_info("AF_TOY unregistered\n");
}

module_init(toy_init);
module_exit(toy_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("AF_TOY: a small transport protocol family over IPv4");
MODULE_ALIAS_NETPROTO(AF_TOY);
/* sock_diag asks for this when a request names AF_TOY (toyss). */
MODULE_ALIAS_NET_PF_PROTO_TYPE(PF_NETLINK, NETLINK_SOCK_DIAG, AF_TOY);
