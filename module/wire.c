// SPDX-License-Identifier: GPL-2.0
/*
 * AF_TOY on the wire: segments (struct toyhdr, uapi) in IPv4 packets of
 * protocol IPPROTO_TOY (the "ipproto" module parameter).
 *
 * Receive.  toy_rcv() is the IPv4 protocol handler (inet_add_protocol());
 * it runs in softirq under rcu_read_lock().  Nothing in a segment is
 * trusted before it passes, in this order: addressed to this host (not a
 * broadcast or multicast), long enough for the header, a header length
 * of TOY_DOFF, the checksum over the pseudo-header.  A segment that fails
 * is dropped and counted (InErrs, InCsumErrors).  A good one goes to the
 * socket toy_lookup_stream() names; when none has its port, it is
 * answered with a reset, as TCP answers (RFC 793: never a reset to a
 * reset).
 *
 * Send.  A reset needs no socket: toy_send_reset() writes the IPv4 header
 * itself and passes no socket to ip_local_out(), because AF_TOY sockets
 * are not struct inet_sock and IPv4 output code reads inet_sock fields of
 * the socket it is given.
 */

#include <linux/ip.h>
#include <linux/skbuff.h>
#include <net/checksum.h>
#include <net/ip.h>
#include <net/protocol.h>
#include <net/route.h>

#include "toy.h"

/* Room for the link layer, IPv4 and our header in front of the data. */
#define TOY_MAX_HEADER	(MAX_HEADER + sizeof(struct iphdr) + \
			 sizeof(struct toyhdr))

static struct toyhdr *toy_hdr(const struct sk_buff *skb)
{
	return (struct toyhdr *)skb_transport_header(skb);
}

/* Bytes of sequence space a segment uses: data, SYN and FIN count. */
static u32 toy_seg_len(const struct sk_buff *skb, const struct toyhdr *th)
{
	return skb->len - th->doff * 4 + !!(th->flags & TOY_SYN) +
	       !!(th->flags & TOY_FIN);
}

/*
 * Answer @skb, which reached no socket, with a reset (tcp_v4_send_reset's
 * rules): if it carried an ACK, the reset takes that number as its
 * sequence number; otherwise it acknowledges everything the segment
 * occupied.  Called with the segment's header validated.
 */
static void toy_send_reset(struct net *net, struct sk_buff *skb)
{
	const struct toyhdr *th = toy_hdr(skb);
	const struct iphdr *iph = ip_hdr(skb);
	struct toyhdr *rth;
	struct sk_buff *rskb;
	struct iphdr *riph;
	struct flowi4 fl4;
	struct rtable *rt;

	if (th->flags & TOY_RST)
		return;

	flowi4_init_output(&fl4, 0, 0, 0, RT_SCOPE_UNIVERSE, toy_ipproto, 0,
			   iph->saddr, iph->daddr, th->source, th->dest,
			   sock_net_uid(net, NULL));
	rt = ip_route_output_key(net, &fl4);
	if (IS_ERR(rt))
		return;

	rskb = alloc_skb(TOY_MAX_HEADER, GFP_ATOMIC);
	if (!rskb) {
		ip_rt_put(rt);
		return;
	}
	skb_reserve(rskb, TOY_MAX_HEADER);

	rth = skb_push(rskb, sizeof(*rth));
	skb_reset_transport_header(rskb);
	memset(rth, 0, sizeof(*rth));
	rth->source = th->dest;
	rth->dest = th->source;
	rth->doff = TOY_DOFF;
	if (th->flags & TOY_ACK) {
		rth->seq = th->ack_seq;
		rth->flags = TOY_RST;
	} else {
		rth->ack_seq = htonl(ntohl(th->seq) + toy_seg_len(skb, th));
		rth->flags = TOY_RST | TOY_ACK;
	}
	rth->check = csum_tcpudp_magic(fl4.saddr, fl4.daddr, sizeof(*rth),
				       toy_ipproto,
				       csum_partial(rth, sizeof(*rth), 0));

	riph = skb_push(rskb, sizeof(*riph));
	skb_reset_network_header(rskb);
	riph->version = 4;
	riph->ihl = sizeof(*riph) / 4;
	riph->tos = 0;
	riph->frag_off = htons(IP_DF);
	riph->ttl = ip4_dst_hoplimit(&rt->dst);
	riph->protocol = toy_ipproto;
	riph->saddr = fl4.saddr;
	riph->daddr = fl4.daddr;
	skb_dst_set(rskb, &rt->dst);
	ip_select_ident(net, rskb, NULL);

	TOY_INC_STATS(net, TOY_MIB_OUTSEGS);
	TOY_INC_STATS(net, TOY_MIB_OUTRSTS);
	ip_local_out(net, NULL, rskb);
}

/* The IPv4 protocol handler: validate, demultiplex, deliver or reset. */
static int toy_rcv(struct sk_buff *skb)
{
	struct net *net = dev_net(skb->dev);
	const struct toyhdr *th;
	const struct iphdr *iph;
	struct sock *sk;

	if (skb->pkt_type != PACKET_HOST)
		goto drop;
	TOY_INC_STATS(net, TOY_MIB_INSEGS);

	if (!pskb_may_pull(skb, sizeof(struct toyhdr)))
		goto bad;
	th = toy_hdr(skb);
	if (th->doff != TOY_DOFF)
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
	sk = toy_lookup_stream(net, iph->saddr, th->source, iph->daddr,
			       th->dest);
	if (!sk) {
		toy_send_reset(net, skb);
		goto drop;
	}
	/* Connection handling comes with the stream protocol. */
	sock_put(sk);
	goto drop;

bad:
	TOY_INC_STATS(net, TOY_MIB_INERRS);
drop:
	kfree_skb(skb);
	return 0;
}

static const struct net_protocol toy_protocol = {
	.handler	= toy_rcv,
};

int toy_wire_init(void)
{
	return inet_add_protocol(&toy_protocol, toy_ipproto) ? -EBUSY : 0;
}

/* After this, no toy_rcv() runs or will run. */
void toy_wire_exit(void)
{
	inet_del_protocol(&toy_protocol, toy_ipproto);
	synchronize_net();
}
