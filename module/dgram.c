// SPDX-License-Identifier: GPL-2.0
/*
 * AF_TOY datagram sockets: connectionless and unreliable, as UDP.
 *
 * A datagram is one IPv4 packet (IP fragments if it is longer than the
 * path's MTU) with the AF_TOY header of type TOY_TYPE_DGRAM (uapi): the
 * ports, the checksum, the message.  Nothing is acknowledged, resent or
 * ordered; a datagram that arrives twice because IP duplicated it is
 * delivered twice, as UDP's would be, and the protocol itself never
 * sends one twice.
 *
 * Demultiplexing is by destination port only (toy_lookup_dgram(),
 * below): the owners of the port's bind bucket are scored, a socket
 * bound to the exact address beats a wildcard, a connected socket whose
 * peer is the sender beats an unconnected one, and a connected socket
 * never receives from anyone but its peer.  A TOY_REUSEPORT group shares
 * datagrams by a hash of the sender's address and port.
 *
 * connect() only sets the default destination, and filters what is
 * received; connect(AF_UNSPEC) dissolves it (and gives back a port that
 * only an automatic bind took, as UDP).  A socket with no port gets one
 * on its first send or connect.
 *
 * A datagram to a port nobody holds is answered with a TOY_TYPE_UNREACH
 * packet (ICMP port unreachable's role, under the kernel's ICMP rate
 * limit): it reaches the sender's socket by the same lookup, and a
 * socket connected to that port fails its next call with ECONNREFUSED
 * (sk_err); an unconnected one is not disturbed.
 *
 * Receive queue and limits are the core's: a datagram beyond SO_RCVBUF,
 * or beyond what net.toy.dgram_mem lets the protocol hold (mem.c), is
 * refused (counted in the socket's drops and in RcvbufErrors) as
 * sock_queue_rcv_skb() and UDP refuse it; skb_recv_datagram() does the
 * waiting (MSG_DONTWAIT, SO_RCVTIMEO, MSG_PEEK), sock_alloc_send_pskb()
 * the SO_SNDBUF limit.
 *
 * Locking: a datagram socket's fields change under lock_sock() (bind,
 * connect) and the bind slot lock for those the receive path reads
 * (bind.c); the receive path takes no socket lock, only the receive
 * queue's; sending takes the socket lock only to bind and to read the
 * peer.
 */

#include <asm/ioctls.h>
#include <linux/filter.h>
#include <linux/icmp.h>
#include <linux/prandom.h>
#include <linux/skbuff.h>
#include <linux/sockios.h>
#include <net/icmp.h>
#include <net/ip.h>
#include <net/route.h>
#include <net/sock.h>
#include <net/tcp_states.h>

#include "toy.h"

/* A free port for a socket that has none (UDP's inet_autobind()). */
static int toy_dgram_autobind(struct sock *sk)
{
	int err;

	if (toy_sk(sk)->tb)
		return 0;
	err = toy_bind_port(sk, htonl(INADDR_ANY), 0);
	return err == -EADDRINUSE ? -EAGAIN : err;
}

/* connect(AF_UNSPEC), and a new connect(): forget the peer.  Locked. */
static void toy_dgram_disconnect(struct sock *sk)
{
	toy_set_peer(sk, 0, 0, 0);
	toy_set_state(sk, TCP_CLOSE);
	if (!(sk->sk_userlocks & SOCK_BINDPORT_LOCK))
		toy_put_port(sk);
	sk_dst_reset(sk);
}

/**
 * toy_dgram_connect() - connect() of a datagram socket: set its peer.
 * @sock: the socket.
 * @uaddr: the peer, or a sockaddr of family AF_UNSPEC.
 * @addr_len: length of @uaddr.
 * @flags: file flags (unused: nothing to wait for).
 *
 * As UDP's: the peer becomes the default destination and the only
 * sender received from, and the local address becomes the route's
 * source unless bind() set one.  A socket with no port gets one.  A
 * broadcast peer needs SO_BROADCAST.  AF_UNSPEC forgets the peer (and
 * gives back a port that only an automatic bind took).
 *
 * Context: process context; takes the socket lock.
 * Return: 0; -EINVAL or -EAFNOSUPPORT for a bad address, the routing
 * error, -EACCES for a broadcast peer without SO_BROADCAST, or the error
 * of the automatic bind (-EAGAIN: no port free).
 */
int toy_dgram_connect(struct socket *sock, struct sockaddr *uaddr,
		      int addr_len, int flags)
{
	struct sockaddr_toy *usin = (struct sockaddr_toy *)uaddr;
	struct sock *sk = sock->sk;
	struct toy_flow flow;
	struct rtable *rt;
	int err;

	if (addr_len < (int)sizeof(usin->stoy_family))
		return -EINVAL;
	if (usin->stoy_family == AF_UNSPEC) {
		lock_sock(sk);
		toy_dgram_disconnect(sk);
		release_sock(sk);
		return 0;
	}
	err = toy_addr_check(sk, uaddr, addr_len);
	if (err)
		return err;

	lock_sock(sk);
	toy_flow_to(&flow, sk, usin->stoy_addr.s_addr, usin->stoy_port);
	rt = toy_route_output(sock_net(sk), &flow, sk);
	if (IS_ERR(rt)) {
		err = PTR_ERR(rt);
		goto out;
	}
	err = -EACCES;
	if (rt->rt_flags & RTCF_BROADCAST && !sock_flag(sk, SOCK_BROADCAST))
		goto out_rt;
	err = toy_dgram_autobind(sk);
	if (err)
		goto out_rt;
	toy_set_peer(sk, flow.saddr, flow.daddr, usin->stoy_port);
	toy_set_state(sk, TCP_ESTABLISHED);
	sock->state = SS_CONNECTED;
	sk_dst_reset(sk);
out_rt:
	ip_rt_put(rt);
out:
	release_sock(sk);
	return err;
}

/*
 * A buffer holding the @len bytes of the message, with room for the
 * headers in front: small messages in the head, large ones in pages,
 * under SO_SNDBUF (waiting for room unless MSG_DONTWAIT).
 */
static struct sk_buff *toy_dgram_alloc(struct sock *sk, struct msghdr *msg,
				       size_t len, int *err)
{
	size_t linear = len <= SKB_MAX_HEAD(TOY_MAX_HEADER) ? len : 0;
	struct sk_buff *skb;

	skb = sock_alloc_send_pskb(sk, TOY_MAX_HEADER + linear, len - linear,
				   msg->msg_flags & MSG_DONTWAIT, err,
				   PAGE_ALLOC_COSTLY_ORDER);
	if (!skb)
		return NULL;
	skb_reserve(skb, TOY_MAX_HEADER);
	skb_put(skb, linear);
	skb->data_len = len - linear;
	skb->len += len - linear;
	*err = skb_copy_datagram_from_iter(skb, 0, &msg->msg_iter, len);
	if (*err) {
		kfree_skb(skb);
		return NULL;
	}
	return skb;
}

/*
 * The route of a connected socket, which connect() gave its source
 * address: cached in sk_dst_cache as a connection's is, so that a
 * datagram costs no routing lookup (UDP's sk_dst_check()).  The socket
 * lock is held.  @flow is written from the socket; the route is a
 * reference for the caller.  NULL: route it (toy_dgram_route()).
 */
static struct rtable *toy_dgram_cached_route(struct sock *sk,
					     struct toy_flow *flow)
{
	struct rtable *rt;

	if (sk->sk_userlocks & SOCK_BINDADDR_LOCK)
		return NULL;
	rt = (struct rtable *)__sk_dst_check(sk, 0);
	if (!rt)
		return NULL;
	toy_flow_tuple(flow, sk);
	toy_flow_route_of(flow, sk);
	dst_hold(&rt->dst);
	return rt;
}

/*
 * Route a datagram to @usin, or to a connected socket's peer: then
 * cached for the next one, if it kept the source address connect()
 * chose (a removed address makes the route choose another, and the
 * cached path would send from the socket's).  The socket lock is held.
 */
static struct rtable *toy_dgram_route(struct sock *sk,
				      const struct sockaddr_toy *usin,
				      struct toy_flow *flow)
{
	struct rtable *rt;

	if (usin) {
		toy_flow_to(flow, sk, usin->stoy_addr.s_addr, usin->stoy_port);
		return toy_route_output(sock_net(sk), flow, sk);
	}
	rt = toy_dgram_cached_route(sk, flow);
	if (rt)
		return rt;
	toy_flow_to(flow, sk, sk->sk_daddr, sk->sk_dport);
	rt = toy_route_output(sock_net(sk), flow, sk);
	if (!IS_ERR(rt) && !(sk->sk_userlocks & SOCK_BINDADDR_LOCK) &&
	    flow->saddr == sk->sk_rcv_saddr && flow->daddr == sk->sk_daddr)
		__sk_dst_set(sk, dst_clone(&rt->dst));
	return rt;
}

/**
 * toy_dgram_sendmsg() - Send one datagram.
 * @sock: the socket.
 * @msg: the message, and the destination if msg_name is set.
 * @len: its length, at most TOY_DGRAM_MAX.
 *
 * To msg_name, or to the peer of a connected socket.  A socket with no
 * port gets one.  The datagram is sent at once, in IP fragments if it
 * is longer than the path's MTU; only the room for it in SO_SNDBUF is
 * waited for (unless MSG_DONTWAIT).  The socket lock is held only to
 * bind, to read the peer and to route (a connected socket's route is
 * cached).
 *
 * Context: process context; may sleep.
 * Return: @len, or a negative errno: -EOPNOTSUPP for MSG_OOB, -EMSGSIZE,
 * -EINVAL or -EAFNOSUPPORT for a bad address, -EDESTADDRREQ without one
 * on an unconnected socket, the error of the automatic bind (-EAGAIN: no
 * port free), -EACCES for a broadcast without SO_BROADCAST, or the error
 * of routing, allocation, copying or sending.
 */
int toy_dgram_sendmsg(struct socket *sock, struct msghdr *msg, size_t len)
{
	DECLARE_SOCKADDR(struct sockaddr_toy *, usin, msg->msg_name);
	struct sock *sk = sock->sk;
	const struct toy_seg seg = { .type = TOY_TYPE_DGRAM };
	struct net *net = sock_net(sk);
	struct toy_flow flow;
	struct sk_buff *skb;
	struct rtable *rt;
	int err;

	if (msg->msg_flags & MSG_OOB)
		return -EOPNOTSUPP;
	if (len > TOY_DGRAM_MAX)
		return -EMSGSIZE;
	if (usin) {
		if (msg->msg_namelen < sizeof(*usin))
			return -EINVAL;
		/* As UDP: AF_UNSPEC is taken for the family, for old code. */
		if (usin->stoy_family != sk->sk_family &&
		    usin->stoy_family != AF_UNSPEC)
			return -EAFNOSUPPORT;
		if (!usin->stoy_port)
			return -EINVAL;
	}

	lock_sock(sk);
	if (!usin && sk->sk_state != TCP_ESTABLISHED) {
		release_sock(sk);
		return -EDESTADDRREQ;
	}
	err = toy_dgram_autobind(sk);
	if (err) {
		release_sock(sk);
		return err;
	}
	rt = toy_dgram_route(sk, usin, &flow);
	release_sock(sk);
	if (IS_ERR(rt))
		return PTR_ERR(rt);
	if (rt->rt_flags & RTCF_BROADCAST && !sock_flag(sk, SOCK_BROADCAST)) {
		ip_rt_put(rt);
		return -EACCES;
	}

	skb = toy_dgram_alloc(sk, msg, len, &err);
	if (!skb) {
		ip_rt_put(rt);
		return err;
	}

	toy_push_header(skb, &flow, &seg);
	flow.frag = true;
	err = toy_ip_out(net, skb, rt, &flow);
	if (err > 0)
		err = net_xmit_errno(err);
	if (err)
		return err;
	TOY_INC_STATS(net, TOY_MIB_OUTDATAGRAMS);
	return len;
}

/**
 * toy_dgram_recvmsg() - Receive one datagram.
 * @sock: the socket.
 * @msg: where the data and, if msg_name is set, the sender go.
 * @len: room in @msg.
 * @flags: MSG_DONTWAIT, MSG_PEEK, MSG_TRUNC ...
 *
 * As UDP's: a datagram longer than @len is cut (MSG_TRUNC in
 * msg_flags), and one that cannot be copied is dropped (unless
 * peeked).  skb_recv_datagram() does the waiting (SO_RCVTIMEO).  There
 * is no error queue.
 *
 * Context: process context; may sleep; takes no socket lock.
 * Return: the bytes copied (the datagram's full length with MSG_TRUNC
 * in @flags); 0 instead of waiting after shutdown(SHUT_RD); or a
 * negative errno: -EAGAIN for MSG_ERRQUEUE or when nothing came in
 * time, a pending sk_err, a signal's, or -EFAULT.
 */
int toy_dgram_recvmsg(struct socket *sock, struct msghdr *msg, size_t len,
		      int flags)
{
	DECLARE_SOCKADDR(struct sockaddr_toy *, sin, msg->msg_name);
	struct sock *sk = sock->sk;
	struct sk_buff *skb;
	int copied, err;

	if (flags & MSG_ERRQUEUE)
		return -EAGAIN;		/* no error queue: nothing in it */
	skb = skb_recv_datagram(sk, flags, &err);
	if (!skb)
		return err;

	copied = skb->len;
	if (copied > len) {
		copied = len;
		msg->msg_flags |= MSG_TRUNC;
	}
	err = skb_copy_datagram_msg(skb, 0, msg, copied);
	if (err) {
		/* As UDP: a datagram that could not be copied is gone. */
		if (!(flags & MSG_PEEK))
			atomic_inc(&sk->sk_drops);
		skb_free_datagram(sk, skb);
		return err;
	}
	if (sin) {
		memset(sin, 0, sizeof(*sin));
		sin->stoy_family = sk->sk_family;
		sin->stoy_port = toy_hdr(skb)->source;
		sin->stoy_addr.s_addr = ip_hdr(skb)->saddr;
		msg->msg_namelen = sizeof(*sin);
	}
	err = flags & MSG_TRUNC ? skb->len : copied;
	skb_free_datagram(sk, skb);
	return err;
}

/**
 * toy_dgram_ioctl() - ioctl() of a datagram socket.
 * @sock: the socket.
 * @cmd: SIOCINQ or SIOCOUTQ; others are not this family's.
 * @arg: user pointer to the int answer.
 *
 * SIOCINQ: the length of the next datagram, 0 if none (UDP's);
 * SIOCOUTQ: the bytes of sent datagrams not yet freed (sk_wmem_alloc,
 * truesize included), as UDP's.
 *
 * Context: process context; takes the receive queue's lock.
 * Return: 0, -EFAULT, or -ENOIOCTLCMD for another @cmd (the core then
 * tries the generic device ioctls).
 */
int toy_dgram_ioctl(struct socket *sock, unsigned int cmd, unsigned long arg)
{
	struct sock *sk = sock->sk;
	struct sk_buff *skb;
	int amount;

	switch (cmd) {
	case SIOCINQ:
		spin_lock_bh(&sk->sk_receive_queue.lock);
		skb = skb_peek(&sk->sk_receive_queue);
		amount = skb ? skb->len : 0;
		spin_unlock_bh(&sk->sk_receive_queue.lock);
		break;
	case SIOCOUTQ:
		amount = sk_wmem_alloc_get(sk);
		break;
	default:
		return -ENOIOCTLCMD;
	}
	return put_user(amount, (int __user *)arg);
}

/* Answer a datagram nobody receives (rate-limited as ICMP errors are). */
static void toy_send_unreach(struct net *net, struct sk_buff *skb)
{
	const struct toy_seg seg = { .type = TOY_TYPE_UNREACH };
	struct toy_flow flow;

	if (!icmp_global_allow(net))
		return;
	toy_flow_no_socket(&flow, net, skb);
	toy_xmit_ctl(net, &flow, &seg);
	icmp_global_consume(net);
}

/*
 * skb->destructor of a queued datagram: its memory goes back to the
 * socket and the protocol under the receive queue's lock, as UDP's
 * udp_rmem_release().  recvmsg() frees datagrams without the socket
 * lock, so that lock is what keeps sk_forward_alloc consistent.
 */
static void toy_dgram_rfree(struct sk_buff *skb)
{
	struct sock *sk = skb->sk;
	unsigned long flags;

	spin_lock_irqsave(&sk->sk_receive_queue.lock, flags);
	atomic_sub(skb->truesize, &sk->sk_rmem_alloc);
	sk_mem_uncharge(sk, skb->truesize);
	spin_unlock_irqrestore(&sk->sk_receive_queue.lock, flags);
}

/*
 * Queue @skb for recvmsg(), as __sock_queue_rcv_skb() does, with the
 * pages scheduled and charged under the queue's lock (see above).
 * -ENOMEM: SO_RCVBUF is full; -ENOBUFS: the protocol's memory is.
 */
static int toy_dgram_queue_rcv(struct sock *sk, struct sk_buff *skb)
{
	struct sk_buff_head *list = &sk->sk_receive_queue;
	unsigned long flags;
	int err;

	err = sk_filter(sk, skb);
	if (err)
		return err;
	if (atomic_read(&sk->sk_rmem_alloc) >= READ_ONCE(sk->sk_rcvbuf)) {
		atomic_inc(&sk->sk_drops);
		return -ENOMEM;
	}
	skb_orphan(skb);
	skb->dev = NULL;
	skb_dst_drop(skb);	/* recvmsg() needs only the headers */

	spin_lock_irqsave(&list->lock, flags);
	if (!sk_rmem_schedule(sk, skb, skb->truesize)) {
		spin_unlock_irqrestore(&list->lock, flags);
		atomic_inc(&sk->sk_drops);
		return -ENOBUFS;
	}
	skb->sk = sk;
	skb->destructor = toy_dgram_rfree;
	atomic_add(skb->truesize, &sk->sk_rmem_alloc);
	sk_mem_charge(sk, skb->truesize);
	sock_skb_set_dropcount(sk, skb);
	__skb_queue_tail(list, skb);
	spin_unlock_irqrestore(&list->lock, flags);

	if (!sock_flag(sk, SOCK_DEAD))
		sk->sk_data_ready(sk);
	return 0;
}

/* ---- receive ------------------------------------------------------- */

/**
 * toy_dgram_score() - How well a datagram socket matches a datagram.
 * @sk: the candidate socket.
 * @saddr: the datagram's source address.
 * @sport: its source port.
 * @daddr: its destination address.
 * @hnum: its destination port, host order.
 * @dif: the device it came in on.
 * @sdif: see toy_dev_match().
 *
 * As UDP scores: a bound address, a peer address, a peer port and a
 * bound device each add the same, and each that differs from the
 * datagram's rules @sk out.  @sk's port is checked too: a socket that
 * left this bucket for another while we stood on it leads the walk into
 * the other bucket's owners (UDP's chains have the same property; such
 * a race may miss a socket, never deliver to a wrong one).
 *
 * Context: any; reads @sk's fields once each, without a lock.
 * Return: -1 if @sk must not receive it, else a score of 1 or more.
 */
int toy_dgram_score(const struct sock *sk, __be32 saddr, __be16 sport,
		    __be32 daddr, u16 hnum, int dif, int sdif)
{
	__be32 rcv_saddr = READ_ONCE(sk->sk_rcv_saddr);
	__be32 peer = READ_ONCE(sk->sk_daddr);
	__be16 peer_port = READ_ONCE(sk->sk_dport);
	int score = 1;

	if (READ_ONCE(sk->sk_num) != hnum)
		return -1;

	if (rcv_saddr) {
		if (rcv_saddr != daddr)
			return -1;
		score += 4;
	}
	if (peer) {
		if (peer != saddr)
			return -1;
		score += 4;
	}
	if (peer_port) {
		if (peer_port != sport)
			return -1;
		score += 4;
	}
	if (!toy_dev_match(sk, dif, sdif))
		return -1;
	if (READ_ONCE(sk->sk_bound_dev_if))
		score += 4;
	return score;
}

/**
 * toy_lookup_dgram() - Find the socket that receives a datagram.
 * @net: the namespace.
 * @saddr: the datagram's source address.
 * @sport: its source port.
 * @daddr: its destination address.
 * @dport: its destination port.
 * @dif: the device it came in on.
 * @sdif: see toy_dev_match().
 *
 * Only the destination port selects the candidates (the owners of its
 * bucket); the best toy_dgram_score() wins, and a TOY_REUSEPORT group
 * of equal scores is chosen from by a hash of the 4-tuple.  The winner
 * is scored again once referenced, in case it was rebound meanwhile.
 *
 * Context: any; takes rcu_read_lock() itself, no lock.
 * Return: the socket with a reference (the caller puts it), or NULL.
 */
struct sock *toy_lookup_dgram(struct net *net, __be32 saddr, __be16 sport,
			      __be32 daddr, __be16 dport, int dif, int sdif)
{
	u16 hnum = ntohs(dport);
	struct toy_bind_bucket *tb;
	struct sock *sk, *result = NULL;
	int score, best = 0;
	u32 hash = 0, phash = 0, matches = 0;
	bool hashed = false;

	rcu_read_lock();
	tb = __toy_bucket_find(toy_bslot(net, TOY_SPACE_DGRAM, hnum), hnum);
	if (!tb)
		goto out;
	hlist_for_each_entry_rcu(sk, &tb->owners, sk_bind_node) {
		score = toy_dgram_score(sk, saddr, sport, daddr, hnum, dif,
					sdif);
		if (score > best) {
			result = sk;
			best = score;
			matches = 1;
			phash = hash;
		} else if (score == best && sk->sk_reuseport &&
			   result->sk_reuseport) {
			/* Hashed once a group needs it, not per datagram. */
			if (!hashed) {
				hash = toy_hash(net, (__force u32)saddr,
						(__force u32)daddr,
						(u32)ntohs(sport) << 16 | hnum);
				phash = hash;
				hashed = true;
			}
			matches++;
			if (reciprocal_scale(phash, matches) == 0)
				result = sk;
			phash = next_pseudo_random32(phash);
		}
	}
	result = toy_sk_get_rcu(result);
	if (result &&
	    toy_dgram_score(result, saddr, sport, daddr, hnum, dif, sdif) < 0) {
		sock_put(result);	/* rebound meanwhile */
		result = NULL;
	}
out:
	rcu_read_unlock();
	return result;
}

/**
 * toy_dgram_rcv() - Deliver a received datagram.
 * @net: the namespace it arrived in.
 * @skb: the datagram, header validated and checksum good; consumed.
 *
 * Queued on the socket toy_lookup_dgram() finds (InDatagrams), or
 * dropped if that socket's limits refuse it (RcvbufErrors).  With no
 * socket, the sender gets a TOY_TYPE_UNREACH packet (NoPorts).
 *
 * Context: softirq, under rcu_read_lock() (from toy_rcv()).
 */
void toy_dgram_rcv(struct net *net, struct sk_buff *skb)
{
	const struct toyhdr *th = toy_hdr(skb);
	const struct iphdr *iph = ip_hdr(skb);
	struct sock *sk;

	sk = toy_lookup_dgram(net, iph->saddr, th->source, iph->daddr,
			      th->dest, inet_iif(skb), inet_sdif(skb));
	if (!sk) {
		TOY_INC_STATS(net, TOY_MIB_NOPORTS);
		toy_send_unreach(net, skb);
		kfree_skb(skb);
		return;
	}
	/* The headers stay where they are: recvmsg() reads the sender. */
	__skb_pull(skb, sizeof(*th));
	if (toy_dgram_queue_rcv(sk, skb) < 0) {
		TOY_INC_STATS(net, TOY_MIB_RCVBUFERRORS);
		kfree_skb(skb);
	} else {
		TOY_INC_STATS(net, TOY_MIB_INDATAGRAMS);
	}
	sock_put(sk);
}

/**
 * toy_dgram_unreach() - Handle a received TOY_TYPE_UNREACH packet.
 * @net: the namespace it arrived in.
 * @skb: the packet, header validated and checksum good; consumed.
 *
 * The port it comes from has no socket.  The socket that sent there, if
 * it is connected to exactly that address and port, learns ECONNREFUSED
 * (sk_err); an unconnected one is not disturbed.
 *
 * Context: softirq, under rcu_read_lock() (from toy_rcv()).
 */
void toy_dgram_unreach(struct net *net, struct sk_buff *skb)
{
	const struct toyhdr *th = toy_hdr(skb);
	const struct iphdr *iph = ip_hdr(skb);
	struct sock *sk;

	sk = toy_lookup_dgram(net, iph->saddr, th->source, iph->daddr,
			      th->dest, inet_iif(skb), inet_sdif(skb));
	if (sk) {
		if (toy_state_load(sk) == TCP_ESTABLISHED &&
		    READ_ONCE(sk->sk_daddr) == iph->saddr &&
		    READ_ONCE(sk->sk_dport) == th->source) {
			WRITE_ONCE(sk->sk_err, ECONNREFUSED);
			sk_error_report(sk);
		}
		sock_put(sk);
	}
	kfree_skb(skb);
}

/**
 * toy_dgram_shutdown() - shutdown() of a datagram socket.
 * @sk: the socket.
 * @how: sk_shutdown bits (RCV_SHUTDOWN, SEND_SHUTDOWN), already checked.
 *
 * As UDP's: the flags only, set even when the socket is not connected.
 *
 * Context: holds the socket lock (toy_shutdown()).
 * Return: 0, or -ENOTCONN if the socket is not connected.
 */
int toy_dgram_shutdown(struct sock *sk, int how)
{
	WRITE_ONCE(sk->sk_shutdown, sk->sk_shutdown | how);
	return sk->sk_state == TCP_CLOSE ? -ENOTCONN : 0;
}

/* The datagram protocol; its memory fields are UDP's (mem.c). */
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

/* A datagram socket's calls; proto_ops.family: see toy_stream_ops. */
const struct proto_ops toy_dgram_ops = {
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
