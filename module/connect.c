// SPDX-License-Identifier: GPL-2.0
/*
 * AF_TOY stream sockets: the calls that make and end connections.
 *
 * listen() enters the listener table (bind.c, lookup.c); what a listener
 * does with SYNs, and accept(), are listen.c's.  connect() routes to the
 * peer, takes a local port and the 4-tuple (bind.c) and sends the SYN
 * (stream.c); a blocking one sleeps until the handshake ends.
 * shutdown() and close() send our FIN after the data queued before it;
 * connect(AF_UNSPEC) takes the socket back to CLOSE (toy_disconnect()),
 * as TCP's does, from any state.
 *
 * Every call holds the socket lock (lock_sock()) from start to end, and
 * releases it only while sleeping.
 */

#include <linux/sched/signal.h>
#include <net/route.h>
#include <net/sock.h>
#include <net/tcp_states.h>

#include "toy.h"

/**
 * toy_listen() - listen() of a stream socket.
 * @sock: the socket.
 * @backlog: the accept queue's limit, already clamped to
 *           net.core.somaxconn by the socket layer.
 *
 * As inet_listen(): only an unconnected stream socket in CLOSE or
 * LISTEN; a listener only takes the new @backlog.  An unbound one gets
 * an ephemeral port first (given back if listen() fails).  The port is
 * checked again (toy_listen_hash()), because sockets that SO_REUSEADDR
 * let share it may not both listen.
 *
 * Context: process context; takes the socket lock.
 * Return: 0, -EINVAL, -EADDRINUSE or -ENOMEM.
 */
int toy_listen(struct socket *sock, int backlog)
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
	toy_set_state(sk, TCP_LISTEN);
	err = toy_listen_hash(sk);
	if (err) {
		toy_set_state(sk, TCP_CLOSE);
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
	} else if (!((1 << old_state) & (TCPF_CLOSE | TCPF_SYN_SENT))) {
		/* A synchronized connection is aborted, as TCP does. */
		toy_send_active_reset(sk);
	}
	toy_stream_stop(sk);
	toy_write_queue_purge(sk);
	__skb_queue_purge(&sk->sk_receive_queue);
	toy_unhash(sk);
	toy_set_state(sk, TCP_CLOSE);
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

	err = toy_addr_check(sk, uaddr, addr_len);
	if (err)
		return err;

	toy_flow_to(&flow, sk, usin->stoy_addr.s_addr, usin->stoy_port);
	rt = toy_route_output(sock_net(sk), &flow, sk);
	if (IS_ERR(rt))
		return PTR_ERR(rt);
	if (rt->rt_flags & (RTCF_MULTICAST | RTCF_BROADCAST)) {
		ip_rt_put(rt);
		return -ENETUNREACH;
	}
	ip_rt_put(rt);

	toy_set_state(sk, TCP_SYN_SENT);
	err = toy_connect_hash(sk, flow.saddr, flow.daddr, usin->stoy_port,
			       &isn);
	if (err) {
		toy_set_state(sk, TCP_CLOSE);
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

/**
 * toy_stream_connect() - connect() of a stream socket.
 * @sock: the socket.
 * @uaddr: the peer's address; AF_UNSPEC dissolves.
 * @addr_len: its length.
 * @flags: the file's flags (O_NONBLOCK).
 *
 * With inet_stream_connect()'s errors: EISCONN when connected or
 * listening, EALREADY while connecting, EINPROGRESS when nonblocking or
 * when SO_SNDTIMEO runs out.  A blocking connect() sleeps until the
 * handshake ends (toy_wait_for_connect()): established; refused or timed
 * out (the socket's error, else ECONNABORTED); dissolved by another
 * thread's connect(AF_UNSPEC) or shutdown() (EPIPE); or until a signal.
 *
 * Context: process context; takes the socket lock, and lets it go while
 *          it sleeps.
 * Return: 0 once connected, else a negative errno.
 */
int toy_stream_connect(struct socket *sock, struct sockaddr *uaddr,
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

/**
 * toy_stream_shutdown() - shutdown() of a stream socket.
 * @sock: the socket.
 * @how: sk_shutdown bits (RCV_SHUTDOWN, SEND_SHUTDOWN), from
 *       toy_shutdown().
 *
 * As inet_shutdown() and tcp_shutdown(): SHUT_WR sends our FIN once the
 * data before it is sent; SHUT_RD makes reads return 0; a listener
 * (SHUT_RD) or a connect in SYN_SENT is dissolved.
 *
 * Context: holds the socket lock.
 * Return: 0, or -ENOTCONN for a socket in CLOSE.
 */
int toy_stream_shutdown(struct socket *sock, int how)
{
	struct sock *sk = sock->sk;
	int err = 0;

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
		toy_shutdown_send(sk, how);
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
	return err;
}

/**
 * toy_stream_release() - close() of a stream socket.
 * @sk: the socket.
 *
 * The connection closes (toy_stream_close(); with SO_LINGER, unless the
 * task is exiting, it waits up to the linger time for our FIN to be
 * acknowledged), in the background as an orphan if it still has a FIN
 * to send or to wait for: in FIN_WAIT2 for at most net.toy.fin_timeout.
 * A socket in CLOSE leaves the tables and its port at once.  The socket
 * loses its file.
 *
 * Context: holds the socket lock (toy_release()); may sleep.
 */
void toy_stream_release(struct sock *sk)
{
	long linger = 0;

	if (sock_flag(sk, SOCK_LINGER) && !(current->flags & PF_EXITING))
		linger = sk->sk_lingertime;
	toy_stream_close(sk, linger);
	/* An orphan in FIN_WAIT2 may wait only so long (TCP's too). */
	if (sk->sk_state == TCP_FIN_WAIT2)
		toy_timer_arm(sk, &toy_sk(sk)->misc_timer, jiffies +
			      READ_ONCE(toy_pernet(sock_net(sk))->fin_timeout) * HZ);
	if (sk->sk_state == TCP_CLOSE) {
		toy_stream_stop(sk);
		toy_unhash(sk);
		toy_put_port(sk);
	}
	WRITE_ONCE(sk->sk_shutdown, SHUTDOWN_MASK);
	sock_orphan(sk);
	toy_orphan_add(sk);
}
