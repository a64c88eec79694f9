/* SPDX-License-Identifier: GPL-2.0 */
/*
 * AF_TOY on the wire (wire.c): where a packet goes, the header it
 * carries, the one path by which every packet reaches IP, and the sizes
 * that follow from IPv4 and a 16-bit window.  Included through toy.h.
 */
#ifndef _TOY_WIRE_H
#define _TOY_WIRE_H

#include <linux/ip.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>
#include <linux/uidgid.h>
#include <linux/toy.h>

struct rtable;
struct sock;
struct net;

/* wire.c: the IPv4 protocol handler and control segments. */
int toy_wire_init(void);
void toy_wire_exit(void);

/**
 * struct toy_flow - where a packet goes, and how it is routed.
 * @saddr: source address (0 before routing: the route's choice).
 * @daddr: destination address.
 * @sport: source port.
 * @dport: destination port.
 * @oif: output interface, 0: any.
 * @mark: fwmark, for policy routing.
 * @uid: for uid routing rules.
 * @priority: skb->priority.
 * @frag: may be fragmented (datagrams): no DF.
 *
 * A socket's own (toy_flow_tuple() and toy_flow_route_of()), or, for an
 * answer with no socket, the reverse of what it answers
 * (toy_flow_reply_tuple()) with a context of its own.
 */
struct toy_flow {
	__be32	saddr;
	__be32	daddr;
	__be16	sport;
	__be16	dport;
	int	oif;
	u32	mark;
	kuid_t	uid;
	u32	priority;
	bool	frag;
};

/**
 * struct toy_sack_block - a SACK block: sequence numbers a receiver holds.
 * @start: the first.
 * @end: the one after the last.
 */
struct toy_sack_block {
	u32	start;
	u32	end;
};

/**
 * struct toy_seg - the header fields of a packet to send (struct toyhdr).
 * @seq: sequence number.
 * @ack: acknowledgment number (sent as is: 0 unless @flags has TOY_ACK).
 * @window: receive window.
 * @flags: TOY_SYN, TOY_ACK, TOY_FIN, TOY_RST.
 * @type: TOY_TYPE_STREAM (0), TOY_TYPE_DGRAM or TOY_TYPE_UNREACH.
 * @mss: a SYN's MSS option; set by the function that routes the SYN,
 *       from the route (toy_seg_set_mss()).  Every SYN carries one.
 * @wscale: a SYN's window scale option, when @wscale_ok.
 * @wscale_ok: the SYN offers window scaling.
 * @sack_ok: the SYN offers SACK (SACK permitted).
 * @nr_sack: SACK blocks an ACK carries (sack.c), at most
 *      TOY_MAX_SACK_BLOCKS; 0 on a SYN.
 * @sack: the blocks.
 * @ts_ok: it carries timestamps: @tsval and @tsecr.
 * @tsval: our clock, with the connection's offset (timestamps.c).
 * @tsecr: the peer's TSval we echo; 0 in a SYN.
 */
struct toy_seg {
	u32	seq;
	u32	ack;
	u16	window;
	u8	flags;
	u8	type;
	u16	mss;
	u8	wscale;
	bool	wscale_ok;
	bool	sack_ok;
	u8	nr_sack;
	struct toy_sack_block sack[TOY_MAX_SACK_BLOCKS];
	bool	ts_ok;
	u32	tsval;
	u32	tsecr;
};

/**
 * struct toy_options - the options a received segment carries (options.c).
 * @mss: its MSS option; 0: none.
 * @wscale: its window scale shift, at most TOY_MAX_WSCALE.
 * @wscale_ok: it has a window scale option.
 * @sack_ok: it has a SACK permitted option.
 * @nr_sack: SACK blocks it carries.
 * @sack: the blocks, in host order, as sent (not checked yet).
 * @saw_ts: it has a timestamps option: @tsval and @tsecr.
 * @tsval: the sender's clock.
 * @tsecr: the echo of ours.
 */
struct toy_options {
	u16	mss;
	u8	wscale;
	bool	wscale_ok;
	bool	sack_ok;
	u8	nr_sack;
	struct toy_sack_block sack[TOY_MAX_SACK_BLOCKS];
	bool	saw_ts;
	u32	tsval;
	u32	tsecr;
};

void toy_flow_tuple(struct toy_flow *flow, const struct sock *sk);
void toy_flow_reply_tuple(struct toy_flow *flow, const struct sk_buff *skb);
void toy_flow_route_of(struct toy_flow *flow, const struct sock *sk);
void toy_flow_to(struct toy_flow *flow, struct sock *sk, __be32 daddr,
		 __be16 dport);
void toy_flow_no_socket(struct toy_flow *flow, struct net *net,
			const struct sk_buff *skb);
struct rtable *toy_route_output(struct net *net, struct toy_flow *flow,
				const struct sock *sk);
void toy_push_header(struct sk_buff *skb, const struct toy_flow *flow,
		     const struct toy_seg *seg);
int toy_ip_out(struct net *net, struct sk_buff *skb, struct rtable *rt,
	       const struct toy_flow *flow);
int toy_xmit_ctl(struct net *net, struct toy_flow *flow,
		 const struct toy_seg *seg);
u16 toy_mtu_to_mss(u32 mtu);
void toy_seg_set_mss(struct toy_seg *seg, const struct rtable *rt);

/* options.c: header options. */
int toy_parse_options(const struct toyhdr *th, struct toy_options *opt);
unsigned int toy_options_size(const struct toy_seg *seg);
void toy_write_options(u8 *ptr, const struct toy_seg *seg);
u16 toy_negotiated_mss(u16 route_mss, u16 peer_mss, bool scaled);

/* Header length of a segment, options included. */
static inline unsigned int toy_hdr_len(const struct toyhdr *th)
{
	return th->doff * 4;
}

#define TOY_MAX_OPTIONS	40	/* doff 15 less the 20-byte header */
/* Room for the link layer, IPv4, our header and options before the data. */
#define TOY_MAX_HEADER	(MAX_HEADER + sizeof(struct iphdr) + \
			 sizeof(struct toyhdr) + TOY_MAX_OPTIONS)
#define TOY_MAX_WINDOW	65535U	/* the 16-bit window field */
/* The largest MSS: an IPv4 packet of 65535 bytes (loopback's 64 KiB MTU). */
#define TOY_MAX_MSS	(65535U - sizeof(struct iphdr) - sizeof(struct toyhdr))
/* Without window scaling, four segments must fit the 64 KiB window. */
#define TOY_MAX_MSS_UNSCALED	16384U
#define TOY_MIN_MSS	64	/* the floor of toy_mtu_to_mss() */
#define TOY_DEFAULT_MTU	576	/* with no route: what every IPv4 host takes */

void toy_send_reset(struct net *net, struct sk_buff *skb);

#endif /* _TOY_WIRE_H */
