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
 *     (bind.c, lookup.c).  toy_release() unhashes before it drops its own.
 *   - Half-open entries (listen.c) hold a reference on their listener.
 *     TIME_WAIT entries (timewait.c) hold none, on anything: neither the
 *     module nor the namespace waits 2 MSL for them; the namespace's exit
 *     (run for every namespace by module unload too) ends them, timers
 *     included, and module exit waits for their RCU frees.
 *   - Sockets are SOCK_RCU_FREE: the memory outlives the last reference
 *     by an RCU grace period, so a receive-path lookup under
 *     rcu_read_lock() may read a socket it finds and takes a reference
 *     with refcount_inc_not_zero().  The core's RCU callback frees it
 *     and only then drops the module reference, so rmmod cannot run
 *     ahead of it.
 *
 * Locking.  lock_sock() guards a socket's state; the port tables have a
 * spinlock per hash slot (toy.h, struct toy_hslot).  Order:
 *   lock_sock(sk) -> bind slot -> listener or connection slot.
 * Slot locks are taken with bottom halves off, since the receive path
 * will write the tables from softirq.  The live-object counters and the
 * per-namespace statistics are atomic or per-CPU and need no lock; the
 * per-namespace sysctls are read with READ_ONCE or under their seqlock.
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

/* The memory fields are TCP's and UDP's (mem.c). */
struct proto toy_stream_prot = {
	.name		= "TOY",
	.owner		= THIS_MODULE,
	.obj_size	= sizeof(struct toy_sock),
	.backlog_rcv	= toy_stream_backlog_rcv,
	.release_cb	= toy_stream_release_cb,
	.keepalive	= toy_keepalive,
	.enter_memory_pressure	= toy_enter_memory_pressure,
	.leave_memory_pressure	= toy_leave_memory_pressure,
	.memory_allocated	= &toy_memory_allocated,
	.per_cpu_fw_alloc	= &toy_memory_per_cpu_fw_alloc,
	.sockets_allocated	= &toy_sockets_allocated,
	.memory_pressure	= &toy_memory_pressure,
	.sysctl_mem		= sysctl_toy_mem,
	.sysctl_wmem		= sysctl_toy_wmem_min,
	.sysctl_rmem		= sysctl_toy_rmem_min,
};

struct proto toy_dgram_prot = {
	.name		= "TOY-DGRAM",
	.owner		= THIS_MODULE,
	.obj_size	= sizeof(struct toy_sock),
	.enter_memory_pressure	= toy_enter_memory_pressure,
	.leave_memory_pressure	= toy_leave_memory_pressure,
	.memory_allocated	= &toy_dgram_memory_allocated,
	.per_cpu_fw_alloc	= &toy_dgram_memory_per_cpu_fw_alloc,
	.sockets_allocated	= &toy_dgram_sockets_allocated,
	.memory_pressure	= &toy_dgram_memory_pressure,
	.sysctl_mem		= sysctl_toy_dgram_mem,
	.sysctl_wmem		= sysctl_toy_wmem_min,
	.sysctl_rmem		= sysctl_toy_rmem_min,
};

/*
 * Runs once, when the last reference to the sock is dropped.  Queues are
 * purged here rather than in release so that nothing queued by a late
 * writer can outlive the sock.
 */
static void toy_sock_destruct(struct sock *sk)
{
	skb_queue_purge(&sk->sk_receive_queue);
	toy_write_queue_purge(sk);
	skb_queue_purge(&sk->sk_error_queue);
	dst_release(rcu_dereference_protected(sk->sk_dst_cache, 1));
	RCU_INIT_POINTER(sk->sk_dst_cache, NULL);
	WARN_ON_ONCE(sk->sk_wmem_queued);
	toy_mem_sock_destruct(sk);
	toy_live_dec(TOY_LIVE_SOCK);
}

/*
 * What every AF_TOY socket gets, whether socket() or a listener made it
 * (listen.c): the protocol number, destructor, RCU freeing, timers,
 * backlog and write-space handlers.
 */
void toy_sock_setup(struct sock *sk)
{
	sk->sk_protocol = toy_ipproto;
	sk->sk_destruct = toy_sock_destruct;
	/* Table readers run under RCU: free only after a grace period. */
	sock_set_flag(sk, SOCK_RCU_FREE);
	toy_stream_init_sock(sk);
	/* Segments that arrive while a user holds the socket wait here. */
	sk->sk_backlog_rcv = sk->sk_prot->backlog_rcv;
	if (sk->sk_type == SOCK_STREAM)
		sk->sk_write_space = toy_write_space;
	toy_mem_sock_init(sk);
}

static int toy_release(struct socket *sock)
{
	struct sock *sk = sock->sk;
	long linger = 0;

	if (!sk)
		return 0;

	lock_sock(sk);
	if (sk->sk_type == SOCK_STREAM) {
		if (sock_flag(sk, SOCK_LINGER) && !(current->flags & PF_EXITING))
			linger = sk->sk_lingertime;
		toy_stream_close(sk, linger);
		/* An orphan in FIN_WAIT2 may wait only so long (TCP's too). */
		if (sk->sk_state == TCP_FIN_WAIT2)
			toy_timer_arm(sk, &toy_sk(sk)->misc_timer, jiffies +
				      READ_ONCE(toy_pernet(sock_net(sk))->fin_timeout) * HZ);
	}
	/* A closing connection lives on as an orphan (stream.c). */
	if (sk->sk_type != SOCK_STREAM || sk->sk_state == TCP_CLOSE) {
		toy_stream_stop(sk);
		toy_unhash(sk);
		toy_put_port(sk);
	}
	WRITE_ONCE(sk->sk_shutdown, SHUTDOWN_MASK);
	sock_orphan(sk);
	if (sk->sk_type == SOCK_STREAM)
		toy_orphan_add(sk);
	release_sock(sk);

	sock_prot_inuse_add(sock_net(sk), sk->sk_prot, -1);
	TOY_INC_STATS(sock_net(sk), TOY_MIB_SOCKRELEASE);
	sock->sk = NULL;
	sock_put(sk);
	return 0;
}

/*
 * bind().  The checks and their order are __inet_bind()'s: the address
 * length, the family (AF_TOY only; AF_TOY has no AF_UNSPEC compatibility
 * case), an address this namespace owns, the privilege for a low port,
 * then "already bound" and the port table.
 */
static int toy_bind(struct socket *sock, struct sockaddr *uaddr, int addr_len)
{
	struct sockaddr_toy *addr = (struct sockaddr_toy *)uaddr;
	struct sock *sk = sock->sk;
	struct net *net = sock_net(sk);
	__be32 a;
	u16 port;
	int err;

	if (addr_len < (int)sizeof(*addr))
		return -EINVAL;
	if (addr->stoy_family != sk->sk_family)
		return -EAFNOSUPPORT;

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

/*
 * getsockname()/getpeername(), as inet_getname(): the peer of a socket
 * that is not connected (or still in SYN_SENT) is ENOTCONN; padding is
 * zeroed so no kernel bytes reach the user.
 */
static int toy_getname(struct socket *sock, struct sockaddr *uaddr, int peer)
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

/*
 * listen(), as inet_listen(): only an unconnected stream socket in CLOSE
 * or LISTEN; an unbound one gets an ephemeral port first; the port is
 * checked again, because a listener may not share it with anyone
 * SO_REUSEADDR let in before.  The socket layer has already clamped the
 * backlog to net.core.somaxconn.  (Accepting connections comes with the
 * stream protocol.)
 */
static int toy_listen(struct socket *sock, int backlog)
{
	struct sock *sk = sock->sk;
	bool autobound = false;
	int err;

	lock_sock(sk);
	err = -EINVAL;
	if (sock->state != SS_UNCONNECTED ||
	    !((1 << sk->sk_state) & (TCPF_CLOSE | TCPF_LISTEN)))
		goto out;

	WRITE_ONCE(sk->sk_max_ack_backlog, backlog);
	err = 0;
	if (sk->sk_state == TCP_LISTEN)
		goto out;

	if (!toy_sk(sk)->tb) {
		err = toy_bind_port(sk, htonl(INADDR_ANY), 0);
		if (err)
			goto out;
		autobound = true;
	}
	WRITE_ONCE(sk->sk_state, TCP_LISTEN);
	err = toy_listen_hash(sk);
	if (err) {
		WRITE_ONCE(sk->sk_state, TCP_CLOSE);
		if (autobound)
			toy_put_port(sk);
	}
out:
	release_sock(sk);
	return err;
}

/*
 * Back to CLOSE, as tcp_disconnect(): out of the tables, forgetting the
 * peer, the local address and the port unless bind() chose them.  An
 * attempt in progress ends with ECONNRESET, and whoever sleeps in
 * connect() wakes up (the caller counts sk_disconnects, so that sleeper
 * knows the socket is no longer its attempt).
 */
static void toy_disconnect(struct sock *sk)
{
	struct toy_sock *ts = toy_sk(sk);
	int old_state = sk->sk_state;

	if (old_state == TCP_LISTEN) {
		toy_listen_stop(sk);
	} else if (!((1 << old_state) & (TCPF_CLOSE | TCPF_SYN_SENT |
					   TCPF_TIME_WAIT))) {
		/* A synchronized connection is aborted, as TCP does. */
		toy_send_active_reset(sk);
	}
	toy_stream_stop(sk);
	toy_write_queue_purge(sk);
	__skb_queue_purge(&sk->sk_receive_queue);
	toy_unhash(sk);
	WRITE_ONCE(sk->sk_state, TCP_CLOSE);
	WRITE_ONCE(sk->sk_daddr, 0);
	WRITE_ONCE(sk->sk_dport, 0);
	if (!(sk->sk_userlocks & SOCK_BINDPORT_LOCK))
		toy_put_port(sk);
	toy_reset_saddr(sk);
	sk_dst_reset(sk);
	if (old_state == TCP_SYN_SENT || (1 << old_state) &
	    (TCPF_ESTABLISHED | TCPF_CLOSE_WAIT | TCPF_FIN_WAIT1 |
	     TCPF_FIN_WAIT2 | TCPF_SYN_RECV))
		WRITE_ONCE(sk->sk_err, ECONNRESET);
	toy_conn_reset(ts);
	sock_reset_flag(sk, SOCK_DONE);
	/* A failed attempt shut it down; the next one starts afresh. */
	WRITE_ONCE(sk->sk_shutdown, 0);
	sk_error_report(sk);
}

/*
 * The address part of a stream connect(), as tcp_v4_connect(): route to
 * the peer (which picks the local address of a wildcard-bound socket and
 * turns 0.0.0.0 into the loopback address), then take a local port and
 * the 4-tuple in the tables and enter SYN_SENT.
 */
static int toy_v4_connect(struct sock *sk, struct sockaddr *uaddr,
			  int addr_len)
{
	struct sockaddr_toy *usin = (struct sockaddr_toy *)uaddr;
	struct toy_flow flow;
	struct rtable *rt;
	u32 isn;
	int err;

	if (addr_len < (int)sizeof(*usin))
		return -EINVAL;
	if (usin->stoy_family != sk->sk_family)
		return -EAFNOSUPPORT;

	toy_flow_to(&flow, sk, usin->stoy_addr.s_addr, usin->stoy_port);
	rt = toy_route_output(sock_net(sk), &flow, sk);
	if (IS_ERR(rt))
		return PTR_ERR(rt);
	if (rt->rt_flags & (RTCF_MULTICAST | RTCF_BROADCAST)) {
		ip_rt_put(rt);
		return -ENETUNREACH;
	}
	ip_rt_put(rt);

	WRITE_ONCE(sk->sk_state, TCP_SYN_SENT);
	err = toy_connect_hash(sk, flow.saddr, flow.daddr, usin->stoy_port,
			       &isn);
	if (err) {
		WRITE_ONCE(sk->sk_state, TCP_CLOSE);
		return err;
	}
	toy_stream_connect_start(sk, isn);
	return 0;
}

/* Sleep until the handshake ends; 0 when @timeo ran out. */
static long toy_wait_for_connect(struct sock *sk, long timeo)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);

	add_wait_queue(sk_sleep(sk), &wait);
	while ((1 << sk->sk_state) & (TCPF_SYN_SENT | TCPF_SYN_RECV)) {
		release_sock(sk);
		timeo = wait_woken(&wait, TASK_INTERRUPTIBLE, timeo);
		lock_sock(sk);
		if (signal_pending(current) || !timeo)
			break;
	}
	remove_wait_queue(sk_sleep(sk), &wait);
	return timeo;
}

/*
 * connect() on a stream socket, with inet_stream_connect()'s errors:
 * AF_UNSPEC dissolves, EISCONN when connected or listening, EALREADY
 * while connecting, EINPROGRESS when nonblocking or when SO_SNDTIMEO
 * runs out.
 *
 * The handshake itself comes with the stream protocol: for now connect()
 * chooses the local address and port, reserves the 4-tuple and leaves
 * the socket in SYN_SENT, so a blocking connect() waits until a signal
 * or its SO_SNDTIMEO.
 */
static int toy_stream_connect(struct socket *sock, struct sockaddr *uaddr,
			      int addr_len, int flags)
{
	struct sock *sk = sock->sk;
	long timeo;
	int err;

	if (addr_len < (int)sizeof(uaddr->sa_family))
		return -EINVAL;

	lock_sock(sk);
	if (uaddr->sa_family == AF_UNSPEC) {
		toy_disconnect(sk);	/* a listener stops listening, as TCP */
		sk->sk_disconnects++;
		sock->state = SS_UNCONNECTED;
		err = 0;
		goto out;
	}

	switch (sock->state) {
	case SS_CONNECTED:
		err = -EISCONN;
		goto out;
	case SS_CONNECTING:
		err = -EALREADY;
		break;
	case SS_UNCONNECTED:
		err = -EISCONN;
		if (sk->sk_state != TCP_CLOSE)
			goto out;
		err = toy_v4_connect(sk, uaddr, addr_len);
		if (err)
			goto out;
		sock->state = SS_CONNECTING;
		err = -EINPROGRESS;
		break;
	default:
		err = -EINVAL;
		goto out;
	}

	timeo = sock_sndtimeo(sk, flags & O_NONBLOCK);
	if ((1 << sk->sk_state) & (TCPF_SYN_SENT | TCPF_SYN_RECV)) {
		int dis = sk->sk_disconnects;

		if (!timeo || !toy_wait_for_connect(sk, timeo))
			goto out;
		err = sock_intr_errno(timeo);
		if (signal_pending(current))
			goto out;
		/* Another thread dissolved this attempt: not ours any more. */
		if (dis != sk->sk_disconnects) {
			err = -EPIPE;
			goto out;
		}
	}

	if (sk->sk_state == TCP_CLOSE) {
		err = sock_error(sk) ? : -ECONNABORTED;
		sock->state = SS_UNCONNECTED;
		toy_disconnect(sk);
		sk->sk_disconnects++;
		goto out;
	}
	sock->state = SS_CONNECTED;
	err = 0;
out:
	release_sock(sk);
	return err;
}

/*
 * Options at SOL_TOY (uapi/linux/toy.h); SOL_SOCKET ones never get here.
 * Unknown levels and names are ENOPROTOOPT, as TCP answers; values out
 * of range are EINVAL, as for TCP_KEEPIDLE and friends.
 */
static int toy_setsockopt(struct socket *sock, int level, int optname,
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
		if (val < 1 || val > 32767) {
			err = -EINVAL;
			break;
		}
		ts->keepidle = val;
		if (sock_flag(sk, SOCK_KEEPOPEN))
			toy_keepalive(sk, 1);
		break;
	case TOY_KEEPINTVL:
		if (val < 1 || val > 32767)
			err = -EINVAL;
		else
			ts->keepintvl = val;
		break;
	case TOY_KEEPCNT:
		if (val < 1 || val > 127)
			err = -EINVAL;
		else
			ts->keepcnt = val;
		break;
	}
	release_sock(sk);
	return err;
}

static int toy_getsockopt(struct socket *sock, int level, int optname,
			  char __user *optval, int __user *optlen)
{
	struct toy_sock *ts = toy_sk(sock->sk);
	int val, len;

	if (level != SOL_TOY)
		return -ENOPROTOOPT;
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
 * shutdown(), as inet_shutdown() and tcp_shutdown(): SHUT_WR sends our
 * FIN once the data before it is sent; SHUT_RD makes reads return 0; a
 * socket that is not connected gets ENOTCONN; a listener (SHUT_RD) or a
 * connect in progress is dissolved.
 */
int toy_shutdown(struct socket *sock, int how)
{
	struct sock *sk = sock->sk;
	int err = 0;

	how++;	/* SHUT_RD 0 -> RCV_SHUTDOWN 1, ... SHUT_RDWR -> 3 */
	if ((how & ~SHUTDOWN_MASK) || !how)
		return -EINVAL;

	lock_sock(sk);
	if (sock->state == SS_CONNECTING) {
		if ((1 << sk->sk_state) &
		    (TCPF_SYN_SENT | TCPF_SYN_RECV | TCPF_CLOSE))
			sock->state = SS_DISCONNECTING;
		else
			sock->state = SS_CONNECTED;
	}
	switch (sk->sk_state) {
	case TCP_CLOSE:
		err = -ENOTCONN;
		fallthrough;
	default:
		WRITE_ONCE(sk->sk_shutdown, sk->sk_shutdown | how);
		if (sk->sk_type == SOCK_STREAM)
			toy_stream_shutdown(sk, how);
		break;
	case TCP_LISTEN:
		if (!(how & RCV_SHUTDOWN))
			break;
		fallthrough;
	case TCP_SYN_SENT:
		toy_disconnect(sk);
		sk->sk_disconnects++;
		sock->state = SS_UNCONNECTED;
		break;
	}
	sk->sk_state_change(sk);
	release_sock(sk);
	return err;
}

/*
 * Operations not implemented yet answer EOPNOTSUPP through the
 * sock_no_*() helpers until the features that give them meaning land.
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
	.bind		= toy_bind,
	.connect	= toy_stream_connect,
	.socketpair	= sock_no_socketpair,
	.accept		= toy_accept,
	.getname	= toy_getname,
	.poll		= toy_stream_poll,
	.ioctl		= toy_stream_ioctl,
	.listen		= toy_listen,
	.shutdown	= toy_shutdown,
	.setsockopt	= toy_setsockopt,
	.getsockopt	= toy_getsockopt,
	.sendmsg	= toy_stream_sendmsg,
	.recvmsg	= toy_stream_recvmsg,
	.mmap		= sock_no_mmap,
	.sendpage	= sock_no_sendpage,
};

static const struct proto_ops toy_dgram_ops = {
	.family		= PF_TOY,
	.owner		= THIS_MODULE,
	.release	= toy_release,
	.bind		= toy_bind,
	.connect	= toy_dgram_connect,
	.socketpair	= sock_no_socketpair,
	.accept		= sock_no_accept,
	.getname	= toy_getname,
	.poll		= datagram_poll,
	.ioctl		= toy_dgram_ioctl,
	.listen		= sock_no_listen,
	.shutdown	= toy_shutdown,
	.setsockopt	= toy_setsockopt,
	.getsockopt	= toy_getsockopt,
	.sendmsg	= toy_dgram_sendmsg,
	.recvmsg	= toy_dgram_recvmsg,
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
		return -ENOMEM;

	sock->state = SS_UNCONNECTED;
	sock->ops = ops;
	sock_init_data(sock, sk);
	toy_sock_setup(sk);

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

	pr_info("AF_TOY registered as family %d, IP protocol %u (a socket is %zu bytes, a half-open entry %zu, a TIME_WAIT entry %zu)\n",
		toy_family, toy_ipproto, sizeof(struct toy_sock),
		sizeof(struct toy_request), sizeof(struct toy_tw));
	return 0;

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
