// SPDX-License-Identifier: GPL-2.0
/*
 * AF_TOY on the wire: segments (struct toyhdr, uapi) in IPv4 packets of
 * protocol IPPROTO_TOY (the "ipproto" module parameter).
 *
 * Receive.  toy_rcv() is the IPv4 protocol handler (inet_add_protocol());
 * it runs in softirq under rcu_read_lock().  Nothing in a segment is
 * trusted before it passes, in this order: addressed to this host (not a
 * broadcast or multicast), long enough for the header and the length
 * it claims (doff), the checksum over the pseudo-header, options that
 * parse (options.c; a datagram has none).  A segment that fails is
 * dropped and counted (InErrs, InCsumErrors, InOptErrors), and so is one
 * of an unknown type.  A datagram goes to dgram.c.  A good segment goes to the
 * socket toy_lookup_stream() names; when none has its port, it is
 * answered with a reset, as TCP answers (RFC 793: never a reset to a
 * reset).
 *
 * Send.  Every packet leaves through toy_ip_out(), with its route from
 * toy_route_output() and its header from toy_push_header(): a struct
 * toy_flow says where it goes and how it is routed, a struct toy_seg
 * what its header says.  toy_ip_out() writes the IPv4 header itself and
 * passes no socket to ip_local_out(), because AF_TOY sockets are not
 * struct inet_sock and IPv4 output code reads inet_sock fields of the
 * socket it is given.  Packets with no data and no socket of their own
 * (resets, SYN-ACKs of half-open entries, TIME_WAIT ACKs) need no socket
 * memory: toy_xmit_ctl().
 *
 * Errors.  toy_err() is the ICMP error handler (the net_protocol's
 * err_handler), as tcp_v4_err() and udp_err(): path MTU discovery,
 * and unreachable errors for connections and connected datagram
 * sockets.
 */

#include <linux/icmp.h>
#include <linux/ip.h>
#include <linux/skbuff.h>
#include <net/checksum.h>
#include <net/icmp.h>
#include <net/ip.h>
#include <net/protocol.h>
#include <net/route.h>

#include "toy.h"

/* Bytes of sequence space a segment uses: data, SYN and FIN count. */
static u32 toy_seg_len(const struct sk_buff *skb, const struct toyhdr *th)
{
	return skb->len - th->doff * 4 + !!(th->flags & TOY_SYN) +
	       !!(th->flags & TOY_FIN);
}

/* ---- send ------------------------------------------------------------ */

/**
 * toy_flow_tuple() - Fill in a flow's 4-tuple from a socket's.
 * @flow: the flow; only its addresses and ports are written.
 * @sk: a socket, half-open entry or TIME_WAIT entry.
 */
void toy_flow_tuple(struct toy_flow *flow, const struct sock *sk)
{
	flow->saddr = sk->sk_rcv_saddr;
	flow->daddr = sk->sk_daddr;
	flow->sport = htons(sk->sk_num);
	flow->dport = sk->sk_dport;
}

/**
 * toy_flow_reply_tuple() - Fill in a flow's 4-tuple back to a sender.
 * @flow: the flow; only its addresses and ports are written.
 * @skb: a received segment, its IPv4 and transport headers set.
 */
void toy_flow_reply_tuple(struct toy_flow *flow, const struct sk_buff *skb)
{
	const struct toyhdr *th = toy_hdr(skb);
	const struct iphdr *iph = ip_hdr(skb);

	flow->saddr = iph->daddr;
	flow->daddr = iph->saddr;
	flow->sport = th->dest;
	flow->dport = th->source;
}

/**
 * toy_flow_route_of() - Fill in how a socket's packets are routed.
 * @flow: the flow; its addresses and ports are left as they are.
 * @sk: a full socket (for a half-open entry's packets, its listener).
 *
 * Its device, mark and uid, so that policy routing sees what connect()
 * saw, and its priority; @flow->frag is cleared (DF).
 */
void toy_flow_route_of(struct toy_flow *flow, const struct sock *sk)
{
	flow->oif = sk->sk_bound_dev_if;
	flow->mark = READ_ONCE(sk->sk_mark);
	flow->uid = sk->sk_uid;
	flow->priority = READ_ONCE(sk->sk_priority);
	flow->frag = false;
}

/**
 * toy_flow_to() - A socket's flow to a destination, before routing.
 * @flow: the flow, all of it written.
 * @sk: the socket.
 * @daddr: the destination address.
 * @dport: the destination port, network order.
 *
 * From @sk's port and bound address, routed as @sk is
 * (toy_flow_route_of()).  A bound address that is not a local one of
 * this host (a broadcast or multicast one) is left out: the route picks
 * the source.
 */
void toy_flow_to(struct toy_flow *flow, struct sock *sk, __be32 daddr,
		 __be16 dport)
{
	toy_flow_route_of(flow, sk);
	flow->saddr = sk->sk_rcv_saddr;
	if (flow->saddr &&
	    inet_addr_type(sock_net(sk), flow->saddr) != RTN_LOCAL)
		flow->saddr = 0;
	flow->daddr = daddr;
	flow->sport = htons(sk->sk_num);
	flow->dport = dport;
}

/**
 * toy_flow_no_socket() - The flow of an answer that no socket sends.
 * @flow: the flow, all of it written.
 * @net: the namespace @skb arrived in.
 * @skb: the segment answered (with a reset, a port unreachable).
 *
 * Back to the sender of @skb, with its mark if net.ipv4.fwmark_reflect
 * says so and the namespace's uid, as ip_send_unicast_reply(); any
 * device, priority 0.
 */
void toy_flow_no_socket(struct toy_flow *flow, struct net *net,
			const struct sk_buff *skb)
{
	memset(flow, 0, sizeof(*flow));
	toy_flow_reply_tuple(flow, skb);
	flow->mark = IP4_REPLY_MARK(net, skb->mark);
	flow->uid = sock_net_uid(net, NULL);
}

/**
 * toy_route_output() - Route a flow.
 * @net: the namespace.
 * @flow: what to route.  On success its addresses are the route's: the
 *        source address it chose when @flow had none.
 * @sk: the socket sending, for its IPsec policy, or NULL.
 *
 * Return: the route, a reference for the caller (toy_ip_out() consumes
 * it), or an ERR_PTR().
 */
struct rtable *toy_route_output(struct net *net, struct toy_flow *flow,
				const struct sock *sk)
{
	struct flowi4 fl4;
	struct rtable *rt;

	flowi4_init_output(&fl4, flow->oif, flow->mark, 0, RT_SCOPE_UNIVERSE,
			   toy_ipproto, 0, flow->daddr, flow->saddr,
			   flow->dport, flow->sport, flow->uid);
	rt = ip_route_output_flow(net, &fl4, sk);
	if (!IS_ERR(rt)) {
		flow->saddr = fl4.saddr;
		flow->daddr = fl4.daddr;
	}
	return rt;
}

/*
 * The checksum over the pseudo-header and the segment (skb->data on).
 * On loopback, which sums any protocol (NETIF_F_HW_CSUM) and never lets
 * a packet out of the host, the device is left the sum over the
 * segment, as TCP leaves it: the field holds the pseudo-header's sum,
 * and csum_start/csum_offset say where the rest goes (CHECKSUM_PARTIAL).
 * Nowhere else: a packet that leaves by another device (veth into a
 * bridge, say) may reach a NIC that sums only TCP and UDP, and our
 * checksum field sits where TCP's does, so the stack's software fallback
 * would take the NIC's word (skb_csum_hwoffload_help()) and the NIC
 * would not sum it.  There, all in software; but for a run of segments
 * in one packet (gso.c), whose pieces toy_gso_segment() sums where the
 * device will not.
 */
static void toy_csum(struct sk_buff *skb, const struct rtable *rt,
		     const struct toy_flow *flow)
{
	struct toyhdr *th = (struct toyhdr *)skb->data;

	if (skb_is_gso(skb) ||
	    (rt->dst.dev->flags & IFF_LOOPBACK &&
	     rt->dst.dev->features & NETIF_F_HW_CSUM)) {
		th->check = ~csum_tcpudp_magic(flow->saddr, flow->daddr,
					       skb->len, toy_ipproto, 0);
		skb->ip_summed = CHECKSUM_PARTIAL;
		skb->csum_start = skb_transport_header(skb) - skb->head;
		skb->csum_offset = offsetof(struct toyhdr, check);
		return;
	}
	th->check = 0;
	th->check = csum_tcpudp_magic(flow->saddr, flow->daddr, skb->len,
				      toy_ipproto,
				      skb_checksum(skb, 0, skb->len, 0));
	skb->ip_summed = CHECKSUM_NONE;
}

/**
 * toy_seg_set_mss() - Fill in a SYN's MSS option from its route.
 * @seg: the segment; left alone unless it is a SYN.
 * @rt: the route it leaves by.
 *
 * The most data we can take in one segment from the peer: what the
 * route's MTU leaves (toy_mtu_to_mss()).
 */
void toy_seg_set_mss(struct toy_seg *seg, const struct rtable *rt)
{
	if (seg->flags & TOY_SYN)
		seg->mss = toy_mtu_to_mss(dst_mtu(&rt->dst));
}

/**
 * toy_push_header() - Put our header in front of a segment's data.
 * @skb: the data (perhaps none), with headroom for the header.
 * @flow: the ports, and the addresses of the pseudo-header.
 * @seg: what the header says.
 *
 * Options too (toy_write_options()).  Sets the transport header; the
 * checksum is toy_ip_out()'s, which knows the device.
 */
void toy_push_header(struct sk_buff *skb, const struct toy_flow *flow,
		     const struct toy_seg *seg)
{
	unsigned int optlen = toy_options_size(seg);
	struct toyhdr *th = skb_push(skb, sizeof(*th) + optlen);

	skb_reset_transport_header(skb);
	memset(th, 0, sizeof(*th));
	toy_write_options((u8 *)(th + 1), seg);
	th->source = flow->sport;
	th->dest = flow->dport;
	th->seq = htonl(seg->seq);
	th->ack_seq = htonl(seg->ack);
	th->doff = (sizeof(*th) + optlen) / 4;
	th->flags = seg->flags;
	th->window = htons(seg->window);
	th->type = seg->type;
}

/**
 * toy_ip_out() - Send a packet: the one place AF_TOY hands them to IPv4.
 * @net: the namespace.
 * @skb: the packet, our header on (toy_push_header()); consumed.
 * @rt: its route; the reference is consumed.
 * @flow: its addresses, mark and priority; @flow->frag: no DF.
 *
 * Checksums the segment, or leaves it to the device (toy_csum()), puts
 * the IPv4 header on and hands the packet to ip_local_out().  No
 * socket is passed to the IPv4 output path: AF_TOY sockets are not
 * inet_sock.  Counted in OutSegs, and a reset in OutRsts too.
 *
 * Return: what ip_local_out() returns.
 */
int toy_ip_out(struct net *net, struct sk_buff *skb, struct rtable *rt,
	       const struct toy_flow *flow)
{
	struct iphdr *iph;

	if (toy_hdr(skb)->flags & TOY_RST)
		TOY_INC_STATS(net, TOY_MIB_OUTRSTS);
	toy_csum(skb, rt, flow);
	/*
	 * skb->cb is ours until here (struct toy_skb_cb); from here on IPv4
	 * reads it as struct inet_skb_parm (IPCB: options, flags), e.g. when
	 * ip_fragment() answers an oversized segment with icmp_send(),
	 * which echoes the options IPCB describes.  Hand IPv4 a clean one.
	 */
	memset(IPCB(skb), 0, sizeof(*IPCB(skb)));
	iph = skb_push(skb, sizeof(*iph));
	skb_reset_network_header(skb);
	iph->version = 4;
	iph->ihl = sizeof(*iph) / 4;
	iph->tos = 0;
	/* Segments are sized to the path; a datagram may be fragmented. */
	iph->frag_off = flow->frag ? 0 : htons(IP_DF);
	iph->ttl = ip4_dst_hoplimit(&rt->dst);
	iph->protocol = toy_ipproto;
	iph->saddr = flow->saddr;
	iph->daddr = flow->daddr;
	skb_dst_set(skb, &rt->dst);
	ip_select_ident_segs(net, skb, NULL, skb_shinfo(skb)->gso_segs ?: 1);
	skb->mark = flow->mark;
	skb->priority = flow->priority;
	skb->protocol = htons(ETH_P_IP);

	TOY_ADD_STATS(net, TOY_MIB_OUTSEGS, skb_shinfo(skb)->gso_segs ?: 1);
	if (toy_hdr(skb)->flags & TOY_RST)
		trace_toy_reset_send(skb);
	trace_toy_segment_send(skb);
	return ip_local_out(net, NULL, skb);
}

/**
 * toy_xmit_ctl() - Send a packet with no data and no socket of its own.
 * @net: the namespace.
 * @flow: where it goes; routed here (toy_route_output()).
 * @seg: what its header says.
 *
 * For resets, a listener's SYN-ACKs, a TIME_WAIT entry's ACKs, port
 * unreachable: no socket memory is charged.
 *
 * Context: any; does not sleep.
 * Return: toy_ip_out()'s result, or a negative errno when there is no
 * route or no memory.
 */
int toy_xmit_ctl(struct net *net, struct toy_flow *flow,
		 const struct toy_seg *seg)
{
	struct toy_seg hdr = *seg;
	struct sk_buff *skb;
	struct rtable *rt;

	rt = toy_route_output(net, flow, NULL);
	if (IS_ERR(rt))
		return PTR_ERR(rt);
	toy_seg_set_mss(&hdr, rt);

	skb = alloc_skb(TOY_MAX_HEADER, GFP_ATOMIC);
	if (!skb) {
		ip_rt_put(rt);
		return -ENOBUFS;
	}
	skb_reserve(skb, TOY_MAX_HEADER);
	toy_push_header(skb, flow, &hdr);
	return toy_ip_out(net, skb, rt, flow);
}

/**
 * toy_send_reset() - Answer a segment with a reset.
 * @net: the namespace @skb arrived in.
 * @skb: the segment, its header validated; not consumed.
 *
 * tcp_v4_send_reset()'s rules: if it carried an ACK, the reset takes
 * that number as its sequence number; otherwise it acknowledges
 * everything the segment occupied, counted from skb->data, which must
 * then still be at our header.  Never a reset to a reset.
 *
 * Context: any; does not sleep.
 */
void toy_send_reset(struct net *net, struct sk_buff *skb)
{
	const struct toyhdr *th = toy_hdr(skb);
	struct toy_seg seg = { .flags = TOY_RST };
	struct toy_flow flow;

	if (th->flags & TOY_RST)
		return;
	if (th->flags & TOY_ACK) {
		seg.seq = ntohl(th->ack_seq);
	} else {
		seg.ack = ntohl(th->seq) + toy_seg_len(skb, th);
		seg.flags |= TOY_ACK;
	}
	toy_flow_no_socket(&flow, net, skb);
	toy_xmit_ctl(net, &flow, &seg);
}

/* ---- receive --------------------------------------------------------- */

/* The IPv4 protocol handler: validate, demultiplex, deliver or reset. */
static int toy_rcv(struct sk_buff *skb)
{
	struct net *net = dev_net(skb->dev);
	struct toy_options opt;
	const struct toyhdr *th;
	const struct iphdr *iph;
	struct sock *sk;
	int sdif;

	if (skb->pkt_type != PACKET_HOST)
		goto drop;
	TOY_INC_STATS(net, TOY_MIB_INSEGS);

	if (!pskb_may_pull(skb, sizeof(struct toyhdr)))
		goto bad;
	th = toy_hdr(skb);
	if (th->doff < TOY_DOFF || !pskb_may_pull(skb, toy_hdr_len(th)))
		goto bad;
	if (skb_checksum_init(skb, toy_ipproto, inet_compute_pseudo) ||
	    skb_checksum_complete(skb)) {
		TOY_INC_STATS(net, TOY_MIB_INCSUMERRORS);
		goto bad;
	}
	if (skb_rtable(skb)->rt_flags & (RTCF_BROADCAST | RTCF_MULTICAST))
		goto drop;

	th = toy_hdr(skb);
	iph = ip_hdr(skb);
	trace_toy_segment_recv(skb);
	if (th->type != TOY_TYPE_STREAM && th->doff != TOY_DOFF)
		goto bad;		/* options are for streams */
	switch (th->type) {
	case TOY_TYPE_STREAM:
		if (th->doff > TOY_DOFF && toy_parse_options(th, &opt)) {
			TOY_INC_STATS(net, TOY_MIB_INOPTERRORS);
			goto bad;
		}
		break;
	case TOY_TYPE_DGRAM:
		toy_dgram_rcv(net, skb);
		return 0;
	case TOY_TYPE_UNREACH:
		toy_dgram_unreach(net, skb);
		return 0;
	default:
		goto bad;
	}
	sdif = inet_sdif(skb);		/* read IPCB before it is gone */
	memset(TOY_SKB_CB(skb), 0, sizeof(struct toy_skb_cb));
	TOY_SKB_CB(skb)->dif = inet_iif(skb);
	TOY_SKB_CB(skb)->sdif = sdif;
	sk = toy_lookup_stream(net, iph->saddr, th->source, iph->daddr,
			       th->dest, TOY_SKB_CB(skb)->dif, sdif);
	if (!sk) {
		toy_send_reset(net, skb);
		goto drop;
	}
	toy_stream_rcv(sk, skb);	/* consumes skb and the reference */
	return 0;

bad:
	TOY_INC_STATS(net, TOY_MIB_INERRS);
drop:
	kfree_skb(skb);
	return 0;
}

/*
 * ICMP reports that a segment could not pass.  Only a sequence number
 * we may still have in flight (snd_una..snd_max, as tcp_v4_err()) is
 * believed: anyone can send ICMP, and a blind one must not touch the
 * connection.
 *
 * Fragmentation needed (RFC 1191): the route learns the path MTU for
 * every socket that uses it (ipv4_update_pmtu(), a nexthop exception
 * that expires after net.ipv4.route.mtu_expires, never below
 * net.ipv4.route.min_pmtu); the socket then follows it with its MSS
 * and resends what was too big (toy_mtu_reduced()), or leaves that to
 * its owner in release_sock() when a user holds it, as TCP's
 * TCP_MTU_REDUCED_DEFERRED.  IPv4 sends us one of these itself when a
 * segment is larger than the route allows.
 *
 * Other errors, as TCP's: during the handshake they fail connect()
 * (port or protocol unreachable: ECONNREFUSED, others EHOSTUNREACH,
 * ENETUNREACH ...); on a connection they are soft (sk_err_soft, read by
 * SO_ERROR): routing may recover, so the connection keeps trying
 * until its own timeout (RFC 1122 4.2.3.9).
 */
static void toy_stream_err(struct net *net, struct sk_buff *skb, u32 info)
{
	const struct iphdr *iph = (const struct iphdr *)skb->data;
	const struct toyhdr *th = (void *)(skb->data + iph->ihl * 4);
	int type = icmp_hdr(skb)->type, code = icmp_hdr(skb)->code;
	u32 seq = ntohl(th->seq);
	struct toy_sock *ts;
	struct sock *sk;
	int err;

	sk = toy_lookup_stream(net, iph->daddr, th->dest, iph->saddr,
			       th->source, inet_iif(skb), inet_sdif(skb));
	if (!sk)
		return;
	if (!toy_is_full(sk)) {
		/* A SYN-ACK or an ACK of TIME_WAIT: nothing to resend. */
		toy_sk_put(sk);
		return;
	}
	ts = toy_sk(sk);
	bh_lock_sock(sk);
	if ((1 << sk->sk_state) & (TCPF_CLOSE | TCPF_LISTEN))
		goto out;
	if (toy_before(seq, ts->snd_una) || toy_after(seq, ts->snd_max)) {
		TOY_INC_STATS(net, TOY_MIB_OUTOFWINDOWICMPS);
		goto out;
	}

	switch (type) {
	case ICMP_DEST_UNREACH:
		if (code > NR_ICMP_UNREACH)
			goto out;
		if (code == ICMP_FRAG_NEEDED) {
			ipv4_update_pmtu(skb, net, info, sk->sk_bound_dev_if,
					 toy_ipproto);
			if (!sock_owned_by_user(sk)) {
				toy_mtu_reduced(sk);
			} else if (!test_and_set_bit(TOY_DEFER_MTU,
						     &ts->deferred)) {
				sock_hold(sk);
				toy_live_inc(TOY_LIVE_TIMER);
			}
			goto out;
		}
		err = icmp_err_convert[code].errno;
		break;
	case ICMP_PARAMETERPROB:
		err = EPROTO;
		break;
	case ICMP_TIME_EXCEEDED:
		err = EHOSTUNREACH;
		break;
	default:
		goto out;
	}

	if ((1 << sk->sk_state) & (TCPF_SYN_SENT | TCPF_SYN_RECV) &&
	    !sock_owned_by_user(sk)) {
		WRITE_ONCE(sk->sk_err, err);
		TOY_INC_STATS(net, TOY_MIB_ATTEMPTFAILS);
		toy_done(sk);
	} else {
		WRITE_ONCE(sk->sk_err_soft, err);
	}
out:
	bh_unlock_sock(sk);
	sock_put(sk);
}

/*
 * An ICMP error about a datagram, as UDP without IP_RECVERR: only a
 * hard error (port or protocol unreachable ...), and only to a socket
 * connected to where the datagram went; its next call fails with it.
 * Datagrams go without DF: fragmentation needed does not concern them.
 */
static void toy_dgram_err(struct net *net, struct sk_buff *skb)
{
	const struct iphdr *iph = (const struct iphdr *)skb->data;
	const struct toyhdr *th = (void *)(skb->data + iph->ihl * 4);
	int type = icmp_hdr(skb)->type, code = icmp_hdr(skb)->code;
	struct sock *sk;

	if (type != ICMP_DEST_UNREACH || code > NR_ICMP_UNREACH ||
	    !icmp_err_convert[code].fatal)
		return;
	sk = toy_lookup_dgram(net, iph->daddr, th->dest, iph->saddr,
			      th->source, inet_iif(skb), inet_sdif(skb));
	if (!sk)
		return;
	if (toy_state_load(sk) == TCP_ESTABLISHED &&
	    READ_ONCE(sk->sk_daddr) == iph->daddr &&
	    READ_ONCE(sk->sk_dport) == th->dest) {
		WRITE_ONCE(sk->sk_err, icmp_err_convert[code].errno);
		sk_error_report(sk);
	}
	sock_put(sk);
}

/*
 * The net_protocol err_handler: icmp_unreach() calls it in softirq
 * under RCU, @skb->data at the IPv4 header of the packet we sent, of
 * which 8 bytes of ours are there: the ports and the sequence number.
 * The type is further on; an error that quotes no more (RFC 792's
 * minimum) is taken as a stream segment's, whose sequence check
 * guards the rest.
 */
static int toy_err(struct sk_buff *skb, u32 info)
{
	struct net *net = dev_net(skb->dev);
	const struct iphdr *iph = (const struct iphdr *)skb->data;
	u8 type = TOY_TYPE_STREAM;

	if (pskb_may_pull(skb, iph->ihl * 4 + sizeof(struct toyhdr))) {
		iph = (const struct iphdr *)skb->data;
		type = ((struct toyhdr *)(skb->data + iph->ihl * 4))->type;
	}
	switch (type) {
	case TOY_TYPE_STREAM:
		toy_stream_err(net, skb, info);
		break;
	case TOY_TYPE_DGRAM:
		toy_dgram_err(net, skb);
		break;
	}
	return 0;
}

static const struct net_protocol toy_protocol = {
	.handler	= toy_rcv,
	.err_handler	= toy_err,
};

/**
 * toy_wire_init() - Register the IPv4 protocol handler.
 *
 * Description: From here on toy_rcv() receives the segments of protocol
 * toy_ipproto, and toy_err() the ICMP errors about ours; IPv4 cuts our
 * runs of segments up with toy_gso_segment() (gso.c).
 *
 * Return: 0, or -EBUSY if another handler holds the protocol number.
 */
int toy_wire_init(void)
{
	if (inet_add_protocol(&toy_protocol, toy_ipproto))
		return -EBUSY;
	toy_gso_init();
	return 0;
}

/**
 * toy_wire_exit() - Unregister the IPv4 protocol handler and the offload.
 *
 * Description: After this, no toy_rcv(), toy_err() or toy_gso_segment()
 * runs or will run (synchronize_net()).
 *
 * Context: process context; sleeps.
 */
void toy_wire_exit(void)
{
	toy_gso_exit();
	inet_del_protocol(&toy_protocol, toy_ipproto);
	synchronize_net();
}
