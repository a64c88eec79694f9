// SPDX-License-Identifier: GPL-2.0
/*
 * AF_TOY stream sockets: the socket calls that move data, as TCP's.
 *
 * sendmsg() copies the user's bytes into segments of at most one MSS
 * on the write queue, the first into the last segment if it is short
 * and unsent (output.c sends them as the windows and Nagle allow),
 * waiting for room in SO_SNDBUF and in the protocol's memory (mem.c)
 * unless nonblocking; recvmsg() copies
 * from the receive queue in order.  A bad user buffer ends the call
 * with EFAULT (or the count so far) and loses nothing: a segment is
 * queued only after its bytes were copied in, and received data is
 * consumed only after it was copied out.
 *
 * Both hold the socket lock for the whole call, so one call's bytes are
 * never interleaved with another's; they release it only while
 * sleeping, when segments that arrived meanwhile are processed.
 */

#include <asm/ioctls.h>
#include <linux/sockios.h>
#include <net/sock.h>
#include <net/tcp_states.h>

#include "toy.h"

/* May we queue more data?  0, or the error a writer gets. */
static int toy_send_check(struct sock *sk)
{
	int err = sock_error(sk);

	if (err)
		return err;
	if (sk->sk_shutdown & SEND_SHUTDOWN)
		return -EPIPE;
	if (!((1 << sk->sk_state) & (TCPF_ESTABLISHED | TCPF_CLOSE_WAIT)))
		return -EPIPE;
	return 0;
}

/*
 * Copy up to @size of the user's bytes into page fragments at the end of
 * @skb (sk_page_frag(), as tcp_sendmsg_locked()): a page the stack is
 * done with is used again, not allocated (and cleared) anew.  @skb,
 * sk_wmem_queued and the socket's memory charge grow by what was
 * copied.  Returns that; 0 when the memory is short; -E2BIG when @skb
 * has no fragment left; -EFAULT, with nothing copied.
 */
static int toy_skb_add_data(struct sock *sk, struct sk_buff *skb,
			    struct msghdr *msg, size_t size)
{
	struct page_frag *pfrag = sk_page_frag(sk);
	int i = skb_shinfo(skb)->nr_frags, copy;
	bool merge;

	if (!sk_page_frag_refill(sk, pfrag))
		return 0;
	merge = skb_can_coalesce(skb, i, pfrag->page, pfrag->offset);
	if (!merge && i >= MAX_SKB_FRAGS)
		return -E2BIG;
	copy = min_t(size_t, size, pfrag->size - pfrag->offset);
	if (!sk_wmem_schedule(sk, copy))
		return 0;
	if (skb_copy_to_page_nocache(sk, &msg->msg_iter, skb, pfrag->page,
				     pfrag->offset, copy))
		return -EFAULT;
	if (merge) {
		skb_frag_size_add(&skb_shinfo(skb)->frags[i - 1], copy);
	} else {
		skb_fill_page_desc(skb, i, pfrag->page, pfrag->offset, copy);
		page_ref_inc(pfrag->page);
	}
	pfrag->offset += copy;
	return copy;
}

/*
 * Copy @size (at most an MSS) of the user's bytes into a new segment at
 * the tail of the write queue: a header-only skb, its data in page
 * fragments (toy_skb_add_data()).  Returns the bytes queued (fewer than
 * @size when the skb ran out of fragments), 0 when the memory for it is
 * short (wait for some), or an errno; on 0 or an errno nothing is queued
 * and the user's bytes are not consumed.
 */
static int toy_queue_segment(struct sock *sk, struct msghdr *msg,
			     size_t size)
{
	struct toy_sock *ts = toy_sk(sk);
	struct sk_buff *skb;
	int err = 0;

	skb = alloc_skb(TOY_MAX_HEADER, sk->sk_allocation);
	if (!skb)
		return -ENOBUFS;
	/* The protocol's memory too, as tcp_stream_alloc_skb(). */
	if (!sk_wmem_schedule(sk, skb->truesize)) {
		kfree_skb(skb);
		return 0;
	}
	skb_reserve(skb, TOY_MAX_HEADER);
	/* Summed when sent (toy_ip_out()): copying in computes no sum. */
	skb->ip_summed = CHECKSUM_PARTIAL;
	sk_wmem_queued_add(sk, skb->truesize);
	sk_mem_charge(sk, skb->truesize);
	while (skb->len < size) {
		err = toy_skb_add_data(sk, skb, msg, size - skb->len);
		if (err <= 0)
			break;
	}
	if (!skb->len || (err <= 0 && err != -E2BIG)) {
		/* Give the bytes back to the caller's iterator, and the memory. */
		iov_iter_revert(&msg->msg_iter, skb->len);
		toy_free_queued(sk, skb);
		return err == -E2BIG ? -ENOBUFS : err;
	}
	memset(TOY_SKB_CB(skb), 0, sizeof(struct toy_skb_cb));
	TOY_SKB_CB(skb)->seq = ts->write_seq;
	TOY_SKB_CB(skb)->end_seq = ts->write_seq + skb->len;
	ts->write_seq += skb->len;
	__skb_queue_tail(&sk->sk_write_queue, skb);
	if (!ts->send_head)
		ts->send_head = skb;
	return skb->len;
}

/*
 * Append up to @size of the user's bytes to the segment at the tail of
 * the write queue, if it was never sent and is shorter than the MSS, as
 * tcp_sendmsg_locked() fills its last skb: small writes then leave as
 * one segment.  Returns the bytes appended; 0 when the tail takes none
 * (none there, sent, full, out of fragments, or memory short); or
 * -EFAULT, with nothing appended.
 */
static int toy_fill_tail(struct sock *sk, struct msghdr *msg, size_t size)
{
	struct sk_buff *skb = skb_peek_tail(&sk->sk_write_queue);
	struct toy_sock *ts = toy_sk(sk);
	int copy;

	if (!skb || toy_before(TOY_SKB_CB(skb)->seq, ts->snd_max) ||
	    TOY_SKB_CB(skb)->flags & TOY_FIN || skb->len >= ts->mss)
		return 0;
	copy = toy_skb_add_data(sk, skb, msg,
				min_t(size_t, size, ts->mss - skb->len));
	if (copy <= 0)
		return copy == -EFAULT ? -EFAULT : 0;
	TOY_SKB_CB(skb)->end_seq += copy;
	ts->write_seq += copy;
	return copy;
}

/**
 * toy_stream_sendmsg() - Queue a user's bytes on a stream socket.
 * @sock: the socket.
 * @msg: the data; msg_flags: MSG_DONTWAIT, MSG_NOSIGNAL ...
 * @len: its length.
 *
 * As tcp_sendmsg(): waits for the handshake to complete, then copies
 * the bytes into segments of at most one MSS on the write queue (the
 * first into the last segment, if it is short and unsent) and pushes
 * them, waiting for room in SO_SNDBUF and in the protocol's memory
 * unless nonblocking (SO_SNDTIMEO bounds the wait).  Bytes are queued
 * only once copied in; a bad buffer queues none of the bytes from the
 * fault on.  EPIPE raises SIGPIPE unless MSG_NOSIGNAL.
 *
 * Context: process context; may sleep; holds the socket lock except
 * while sleeping.
 * Return: the bytes queued if any were, else a negative errno:
 * -EOPNOTSUPP for MSG_OOB, -EPIPE when the socket cannot send (not
 * connected, shut down for writing), a pending socket error, -EAGAIN,
 * a signal's, -ENOBUFS or -EFAULT.
 */
int toy_stream_sendmsg(struct socket *sock, struct msghdr *msg, size_t len)
{
	int flags = msg->msg_flags;
	enum toy_push_how how = flags & MSG_MORE ? TOY_PUSH_MORE :
						   TOY_PUSH_NAGLE;
	struct sock *sk = sock->sk;
	struct toy_sock *ts = toy_sk(sk);
	size_t copied = 0, pushed = 0;
	long timeo;
	int err;

	if (flags & MSG_OOB)
		return -EOPNOTSUPP;

	lock_sock(sk);
	timeo = sock_sndtimeo(sk, flags & MSG_DONTWAIT);
	/*
	 * Wait for the handshake, as tcp_sendmsg(): a connect(AF_UNSPEC)
	 * meanwhile ends the wait with EPIPE, so that these bytes never
	 * go to a connection made after it.
	 */
	if ((1 << sk->sk_state) & (TCPF_SYN_SENT | TCPF_SYN_RECV)) {
		err = sk_stream_wait_connect(sk, &timeo);
		if (err)
			goto error;
	}
	/* As TCP, even an empty send() learns that it cannot send. */
	err = toy_send_check(sk);
	if (err)
		goto error;

	while (copied < len) {
		err = toy_send_check(sk);
		if (err)
			goto error;
		if (!sk_stream_memory_free(sk))
			goto wait_for_memory;
		err = toy_fill_tail(sk, msg, len - copied) ? :
		      toy_queue_segment(sk, msg,
					min_t(size_t, len - copied, ts->mss));
		if (err < 0)
			goto error;
		if (!err)
			goto wait_for_memory;
		copied += err;
		/*
		 * Queue before sending, so that runs of segments go as one
		 * packet (gso.c); but not so much that the first waits long.
		 */
		if (copied - pushed >= TOY_PUSH_EVERY) {
			toy_push_with(sk, TOY_PUSH_MORE);
			pushed = copied;
		}
		continue;

wait_for_memory:
		toy_push_with(sk, how);
		pushed = copied;
		set_bit(SOCK_NOSPACE, &sk->sk_socket->flags);
		err = sk_stream_wait_memory(sk, &timeo);
		if (err)
			goto error;
	}
	toy_push_with(sk, how);
	release_sock(sk);
	return copied;

error:
	if (copied)
		toy_push_with(sk, how);
	release_sock(sk);
	if (copied)
		return copied;
	if (err == -EPIPE && !(flags & MSG_NOSIGNAL))
		send_sig(SIGPIPE, current, 0);
	return err;
}

/*
 * After reading: offer the peer the room we made, if it is worth it
 * (__tcp_cleanup_rbuf()): a window that was closed, or one that grows
 * by a segment or more beyond what is left of the last offer.
 */
static void toy_window_update(struct sock *sk)
{
	struct toy_sock *ts = toy_sk(sk);
	u32 cur = toy_receive_window(ts);
	u32 win = toy_space_window(sk);

	if (!((1 << sk->sk_state) &
	      (TCPF_ESTABLISHED | TCPF_FIN_WAIT1 | TCPF_FIN_WAIT2)))
		return;
	if (win > cur &&
	    (win - cur >= min_t(u32, ts->mss, TOY_MAX_WINDOW / 2) || !cur))
		toy_send_ack(sk);
}

/*
 * After a read: the receive buffer may grow (toy_rcv_space_adjust()),
 * an ACK that waited for the reader goes, or else a window update.
 */
static void toy_read_done(struct sock *sk)
{
	toy_rcv_space_adjust(sk);
	if (!toy_delack_after_read(sk))
		toy_window_update(sk);
}

/*
 * Nothing (more) to read now: 1 to wait for data, or 0 to return what
 * was copied, or, when nothing was, 0 (end of stream) or the errno
 * (tcp_recvmsg_locked()'s rules).
 */
static int toy_recv_may_wait(struct sock *sk, int copied, long timeo)
{
	if (copied)
		return !(sk->sk_err || sk->sk_state == TCP_CLOSE ||
			 (sk->sk_shutdown & RCV_SHUTDOWN) || !timeo ||
			 signal_pending(current));
	if (sock_flag(sk, SOCK_DONE))
		return 0;
	if (sk->sk_err)
		return sock_error(sk);
	if (sk->sk_shutdown & RCV_SHUTDOWN)
		return 0;
	if (sk->sk_state == TCP_CLOSE)
		return -ENOTCONN;	/* never connected */
	if (!timeo)
		return -EAGAIN;
	if (signal_pending(current))
		return sock_intr_errno(timeo);
	return 1;
}

/* The skb that holds sequence number @seq, and @seq's offset in it. */
static struct sk_buff *toy_recv_find(struct sock *sk, u32 seq, u32 *offset)
{
	struct sk_buff *skb;

	skb_queue_walk(&sk->sk_receive_queue, skb) {
		*offset = seq - TOY_SKB_CB(skb)->seq;
		if (*offset < skb->len)
			return skb;
	}
	return NULL;
}

/*
 * Wait for data beyond the last skb queued (or one that was peeked), or
 * a change of state.  0, or an errno: connect(AF_UNSPEC) meanwhile
 * (-EPIPE): what is queued now belongs to another connection, and one
 * call never returns bytes of two (tcp_recvmsg_locked()).
 */
static int toy_recv_wait(struct sock *sk, long *timeo)
{
	int err = sk_wait_data(sk, timeo,
			       skb_peek_tail(&sk->sk_receive_queue));

	return err < 0 ? err : 0;
}

/**
 * toy_stream_recvmsg() - Read in-order bytes from a stream socket.
 * @sock: the socket.
 * @msg: where the bytes go.
 * @len: room in @msg.
 * @flags: MSG_DONTWAIT, MSG_PEEK, MSG_WAITALL, MSG_ERRQUEUE ...
 *
 * As tcp_recvmsg(): copies from the receive queue in order, waiting
 * until SO_RCVLOWAT bytes (all @len with MSG_WAITALL) were copied, or
 * until the stream ends, an error, a signal or the timeout.  Data is
 * consumed only after it was copied out, so a bad buffer loses nothing;
 * MSG_PEEK consumes nothing.  Room made in the receive queue is offered
 * to the peer (a window update) when worth it.  MSG_ERRQUEUE reads the
 * error queue instead (sock_recv_errqueue()).
 *
 * Context: process context; may sleep; holds the socket lock except
 * while sleeping.
 * Return: the bytes copied, 0 at the end of the stream, or a negative
 * errno: -EOPNOTSUPP for MSG_OOB, -ENOTCONN on a listener or a socket
 * never connected, a pending socket error, -EAGAIN, -EPIPE after
 * connect(AF_UNSPEC) meanwhile, a signal's, or -EFAULT.
 */
int toy_stream_recvmsg(struct socket *sock, struct msghdr *msg, size_t len,
		       int flags)
{
	struct sock *sk = sock->sk;
	struct toy_sock *ts = toy_sk(sk);
	u32 peek_seq, *seq;
	int copied = 0;
	long timeo;
	int target;
	int err;

	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	if (flags & MSG_ERRQUEUE)
		return sock_recv_errqueue(sk, msg, len, SOL_IP, IP_RECVERR);

	lock_sock(sk);
	if (sk->sk_state == TCP_LISTEN) {
		copied = -ENOTCONN;
		goto out;
	}
	timeo = sock_rcvtimeo(sk, flags & MSG_DONTWAIT);
	target = sock_rcvlowat(sk, flags & MSG_WAITALL, len);
	seq = &ts->copied_seq;
	if (flags & MSG_PEEK) {
		peek_seq = ts->copied_seq;
		seq = &peek_seq;
	}

	do {
		struct sk_buff *skb;
		u32 offset = 0;
		size_t used;

		skb = toy_recv_find(sk, *seq, &offset);
		if (!skb) {
			/* Nothing to read here: do we wait? */
			if (copied >= target)
				break;
			err = toy_recv_may_wait(sk, copied, timeo);
			if (err > 0)
				err = toy_recv_wait(sk, &timeo) ? : 1;
			if (err <= 0) {
				if (!copied)
					copied = err;
				break;
			}
			continue;
		}
		used = min_t(size_t, skb->len - offset, len);
		if (skb_copy_datagram_msg(skb, offset, msg, used)) {
			/* Nothing consumed: the data stays for a retry. */
			if (!copied)
				copied = -EFAULT;
			break;
		}
		*seq += used;
		copied += used;
		len -= used;
		if (!(flags & MSG_PEEK) && offset + used == skb->len) {
			__skb_unlink(skb, &sk->sk_receive_queue);
			kfree_skb(skb);
			toy_window_update(sk);
		}
	} while (len > 0);

	if (copied > 0 && !(flags & MSG_PEEK))
		toy_read_done(sk);
out:
	release_sock(sk);
	return copied;
}

/**
 * toy_stream_poll() - poll() of a stream socket.
 * @file: the socket's file.
 * @sock: the socket.
 * @wait: the poll table.
 *
 * As tcp_poll(): a listener is readable when a child waits; a
 * connection is readable with data or once its receive side is shut
 * (the peer's FIN or SHUT_RD: RDHUP too), writable while a third of
 * SO_SNDBUF is free (and after SHUT_WR, so a writer learns EPIPE), HUP
 * when both directions are shut or it is closed, ERR with a pending
 * error or a non-empty error queue.  Data and room are not reported
 * during the handshake.
 *
 * Context: process context; takes no socket lock (reads the state with
 * an acquire, the rest with READ_ONCE).
 * Return: the EPOLL* mask.
 */
__poll_t toy_stream_poll(struct file *file, struct socket *sock,
			 poll_table *wait)
{
	struct sock *sk = sock->sk;
	__poll_t mask = 0;
	u8 shutdown;
	int state;

	sock_poll_wait(file, sock, wait);
	/* Pairs with the state's writers: what the state says is visible. */
	state = smp_load_acquire(&sk->sk_state);
	if (state == TCP_LISTEN)
		return READ_ONCE(sk->sk_ack_backlog) ?
		       EPOLLIN | EPOLLRDNORM : 0;

	shutdown = READ_ONCE(sk->sk_shutdown);
	if (shutdown == SHUTDOWN_MASK || state == TCP_CLOSE)
		mask |= EPOLLHUP;
	if (shutdown & RCV_SHUTDOWN)
		mask |= EPOLLIN | EPOLLRDNORM | EPOLLRDHUP;

	if (state != TCP_SYN_SENT && state != TCP_SYN_RECV) {
		if (!skb_queue_empty_lockless(&sk->sk_receive_queue))
			mask |= EPOLLIN | EPOLLRDNORM;
		if (!(shutdown & SEND_SHUTDOWN)) {
			if (__sk_stream_is_writeable(sk, 1)) {
				mask |= EPOLLOUT | EPOLLWRNORM;
			} else {
				sk_set_bit(SOCKWQ_ASYNC_NOSPACE, sk);
				set_bit(SOCK_NOSPACE, &sk->sk_socket->flags);
				/* Race with an ACK freeing room: look again
				 * after SOCK_NOSPACE is visible to it.
				 */
				smp_mb__after_atomic();
				if (__sk_stream_is_writeable(sk, 1))
					mask |= EPOLLOUT | EPOLLWRNORM;
			}
		} else {
			mask |= EPOLLOUT | EPOLLWRNORM;
		}
	}
	/* As tcp_poll(): sk_err is read after the state and queues. */
	smp_rmb();
	if (READ_ONCE(sk->sk_err) ||
	    !skb_queue_empty_lockless(&sk->sk_error_queue))
		mask |= EPOLLERR;
	return mask;
}

/**
 * toy_stream_ioctl() - ioctl() of a stream socket.
 * @sock: the socket.
 * @cmd: SIOCINQ, SIOCOUTQ or SIOCOUTQNSD; others are not this family's.
 * @arg: user pointer to the int answer.
 *
 * SIOCINQ (FIONREAD): bytes received in order and not yet read;
 * SIOCOUTQ: bytes not yet acknowledged; SIOCOUTQNSD: bytes not yet
 * sent (both 0 in SYN_SENT and CLOSE).  Others fall back to the generic
 * device ioctls.
 *
 * Context: process context; takes the socket lock.
 * Return: 0, -EINVAL on a listener, -EFAULT, or -ENOIOCTLCMD for
 * another @cmd.
 */
int toy_stream_ioctl(struct socket *sock, unsigned int cmd,
		     unsigned long arg)
{
	struct sock *sk = sock->sk;
	struct toy_sock *ts = toy_sk(sk);
	int answ;

	switch (cmd) {
	case SIOCINQ:
		if (sk->sk_state == TCP_LISTEN)
			return -EINVAL;
		lock_sock(sk);
		answ = ts->rcv_nxt - ts->copied_seq - ts->fin_rcvd;
		if (answ < 0 || sk->sk_state == TCP_SYN_SENT ||
		    sk->sk_state == TCP_CLOSE)
			answ = max(answ, 0);
		release_sock(sk);
		break;
	case SIOCOUTQ:
	case SIOCOUTQNSD:
		if (sk->sk_state == TCP_LISTEN)
			return -EINVAL;
		lock_sock(sk);
		if ((1 << sk->sk_state) & (TCPF_SYN_SENT | TCPF_CLOSE))
			answ = 0;
		else if (cmd == SIOCOUTQ)
			answ = ts->write_seq - ts->snd_una;
		else
			answ = ts->write_seq - ts->snd_nxt;
		release_sock(sk);
		break;
	default:
		return -ENOIOCTLCMD;
	}
	return put_user(answ, (int __user *)arg);
}

/* The stream protocol; its memory fields are TCP's (mem.c). */
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
	.sysctl_wmem		= sysctl_toy_wmem,
	.sysctl_rmem		= sysctl_toy_rmem,
};

/*
 * A stream socket's calls.  Those it does not have (socketpair, mmap,
 * sendpage) answer EOPNOTSUPP through the sock_no_*() helpers.
 *
 * proto_ops.family is informational on 6.1 (SCM code only compares it with
 * PF_UNIX), so it names the default slot; the number actually registered,
 * which the "family" parameter may change, is in toy_family_ops and in
 * every sk->sk_family.
 */
const struct proto_ops toy_stream_ops = {
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
