// SPDX-License-Identifier: GPL-2.0
/*
 * AF_TOY segmentation offload: a run of segments travels through the
 * stack as one packet, as TCP's do (GSO).
 *
 * Send.  When a connection's route leaves by a device that sums any
 * checksum (NETIF_F_HW_CSUM) and takes such packets whole, output.c sends
 * a run of full segments as one (toy_gso_build()): one header, the data
 * of them all (their pages, not copied), gso_size the MSS, the checksum
 * left to whoever cuts it up.  IPv4, the qdisc (netem too) and a veth
 * pair handle it once, and the receiver at the veth's other end takes it
 * whole, as one segment of many MSS.  The connection still counts every
 * segment of the run on its own: the write queue holds one skb per
 * segment, so the congestion window, SACK and retransmissions never see
 * a run.
 *
 * Cut up.  Where the packet must become segments (a device that does not
 * take it, a host that forwards it, a qdisc that corrupts it),
 * toy_gso_segment() is what IPv4's inet_gso_segment() calls for our
 * protocol: each piece gets the header with its own sequence number, the
 * FIN only on the last, and its checksum, summed in software unless the
 * device sums any checksum (one that sums only TCP and UDP would take
 * ours, at TCP's offset, for TCP's, and then not sum it).
 *
 * The type.  The kernel has no GSO type for a protocol it does not know,
 * and gso_type is what offload engines read.  Ours is SKB_GSO_SCTP: no
 * NIC driver offers NETIF_F_GSO_SCTP, only software devices (veth,
 * loopback, bridges, bonds: NETIF_F_GSO_SOFTWARE), so such a packet never
 * reaches hardware that would segment it as something it is not; every
 * other device has the stack call us.  What the stack itself reads from
 * the type: skb_gso_transport_seglen() counts a 12-byte SCTP header
 * where ours has 20 to 60 bytes.  A router whose next hop's MTU is less
 * than that much below ours would forward the pieces too large, and
 * they would be dropped, not answered with an ICMP error; the segments
 * resent after it go one by one, get the error, and lower the MSS.
 */

#include <linux/netdevice.h>
#include <linux/skbuff.h>
#include <net/ip.h>
#include <net/protocol.h>

#include "toy.h"

static bool toy_gso_registered __read_mostly;

/* The checksum of a piece: partial for the device, or summed here. */
static void toy_gso_piece_csum(struct sk_buff *seg, struct toyhdr *th)
{
	__wsum res = ~csum_unfold(th->check);

	if (seg->ip_summed == CHECKSUM_PARTIAL)
		gso_reset_checksum(seg, res);
	else
		th->check = gso_make_checksum(seg, res);
}

/*
 * inet_gso_segment() calls this with @skb->data at our header and the
 * pseudo-header's sum in its checksum field (toy_csum()).  The pieces'
 * pseudo-headers differ from it only in the length, which the sums
 * below adjust, as tcp_gso_segment() does.
 */
static struct sk_buff *toy_gso_segment(struct sk_buff *skb,
				       netdev_features_t features)
{
	struct sk_buff *segs, *seg;
	unsigned int thlen, mss;
	struct toyhdr *th;
	__sum16 newcheck;
	__wsum delta;
	u32 oldlen;
	u32 seq;

	if (!(skb_shinfo(skb)->gso_type & SKB_GSO_SCTP) ||
	    !pskb_may_pull(skb, sizeof(*th)))
		return ERR_PTR(-EINVAL);
	th = toy_hdr(skb);
	thlen = toy_hdr_len(th);
	if (thlen < sizeof(*th) || th->type != TOY_TYPE_STREAM ||
	    skb_checksum_start(skb) != skb_transport_header(skb) ||
	    !pskb_may_pull(skb, thlen))
		return ERR_PTR(-EINVAL);
	oldlen = ~skb->len;
	__skb_pull(skb, thlen);
	mss = skb_shinfo(skb)->gso_size;

	/* NETIF_F_IP_CSUM would take our checksum field for TCP's. */
	if (!(features & NETIF_F_HW_CSUM))
		features &= ~NETIF_F_CSUM_MASK;
	segs = skb_segment(skb, features);
	if (IS_ERR(segs))
		return segs;

	th = toy_hdr(segs);
	seq = ntohl(th->seq);
	delta = (__force __wsum)htonl(oldlen + thlen + mss);
	newcheck = ~csum_fold(csum_add(csum_unfold(th->check), delta));
	for (seg = segs; seg->next; seg = seg->next) {
		th = toy_hdr(seg);
		th->flags &= ~TOY_FIN;
		th->check = newcheck;
		toy_gso_piece_csum(seg, th);
		seq += mss;
		toy_hdr(seg->next)->seq = htonl(seq);
	}
	/* The last piece may be shorter. */
	th = toy_hdr(seg);
	delta = (__force __wsum)htonl(oldlen + (skb_tail_pointer(seg) -
						skb_transport_header(seg)) +
				      seg->data_len);
	th->check = ~csum_fold(csum_add(csum_unfold(th->check), delta));
	toy_gso_piece_csum(seg, th);
	return segs;
}

static const struct net_offload toy_offload = {
	.callbacks = {
		.gso_segment	= toy_gso_segment,
	},
};

/**
 * toy_gso_max_segs() - How many segments one packet may carry.
 * @dev: the device the connection's route leaves by.
 * @mss: the connection's MSS.
 *
 * As many as fit in an IPv4 packet and the device's GSO limits, when it
 * sums any checksum and takes our packets whole; else 1.
 *
 * Return: at least 1.
 */
u32 toy_gso_max_segs(const struct net_device *dev, u16 mss)
{
	const netdev_features_t need = NETIF_F_HW_CSUM | NETIF_F_SG |
				       NETIF_F_GSO_SCTP;
	u32 room;

	if (!READ_ONCE(toy_gso_registered) || !mss ||
	    (dev->features & need) != need)
		return 1;
	room = min_t(u32, READ_ONCE(dev->gso_max_size), IP_MAX_MTU) -
	       sizeof(struct iphdr) - sizeof(struct toyhdr) - TOY_MAX_OPTIONS;
	return clamp_t(u32, room / mss, 1, READ_ONCE(dev->gso_max_segs));
}

/**
 * toy_gso_run_add() - May a segment join a run of segments in one packet?
 * @run: what the run's packet holds so far (zeroed for a new run).
 * @skb: the next segment of the write queue.
 *
 * Its data must be in page fragments (a segment's data is, but for a
 * header-only FIN), and the packet must have room for them: one
 * fragment per page run, the ones that continue the last page joined.
 *
 * Return: true, and @run counts it; false, @run unchanged.
 */
bool toy_gso_run_add(struct toy_gso_run *run, const struct sk_buff *skb)
{
	const struct skb_shared_info *shi = skb_shinfo(skb);
	struct toy_gso_run next = *run;
	int i;

	if (skb_headlen(skb) || !shi->nr_frags || skb_has_frag_list(skb))
		return false;
	for (i = 0; i < shi->nr_frags; i++) {
		const skb_frag_t *f = &shi->frags[i];

		if (skb_frag_page(f) != next.page ||
		    skb_frag_off(f) != next.end) {
			if (next.frags == MAX_SKB_FRAGS)
				return false;
			next.frags++;
			next.page = skb_frag_page(f);
		}
		next.end = skb_frag_off(f) + skb_frag_size(f);
	}
	*run = next;
	return true;
}

/* Refer to @from's data from the end of @skb, as toy_gso_run_add() said. */
static void toy_gso_add_data(struct sk_buff *skb, const struct sk_buff *from)
{
	const struct skb_shared_info *shi = skb_shinfo(from);
	int i;

	for (i = 0; i < shi->nr_frags; i++) {
		const skb_frag_t *f = &shi->frags[i];
		struct page *page = skb_frag_page(f);
		int n = skb_shinfo(skb)->nr_frags;

		if (skb_can_coalesce(skb, n, page, skb_frag_off(f))) {
			skb_frag_size_add(&skb_shinfo(skb)->frags[n - 1],
					  skb_frag_size(f));
		} else {
			get_page(page);
			skb_fill_page_desc(skb, n, page, skb_frag_off(f),
					   skb_frag_size(f));
		}
	}
	skb->len += from->len;
	skb->data_len += from->len;
	skb->truesize += from->len;
}

/**
 * toy_gso_build() - One packet for a run of segments.
 * @first: the first segment of the run, in the write queue.
 * @n: how many, each accepted by toy_gso_run_add(); all but the last
 *     exactly @mss bytes.
 * @mss: the size of the pieces it is cut into.
 *
 * The packet refers to the segments' pages (a reference of its own to
 * each): the segments may be acknowledged and freed before it is gone.
 *
 * Return: the packet, without a header, or NULL without memory.
 */
struct sk_buff *toy_gso_build(struct sk_buff *first, u32 n, u16 mss)
{
	struct sk_buff *skb = alloc_skb(TOY_MAX_HEADER, GFP_ATOMIC);
	struct sk_buff *seg = first;

	if (!skb)
		return NULL;
	skb_reserve(skb, TOY_MAX_HEADER);
	while (n--) {
		toy_gso_add_data(skb, seg);
		seg = seg->next;
	}
	skb_shinfo(skb)->gso_size = mss;
	skb_shinfo(skb)->gso_segs = DIV_ROUND_UP(skb->len, mss);
	skb_shinfo(skb)->gso_type = SKB_GSO_SCTP;
	return skb;
}

/**
 * toy_gso_init() - Offer IPv4 our segmentation callback.
 *
 * Description: without it (another module holds the protocol's slot) every segment
 * goes on its own.
 */
void toy_gso_init(void)
{
	WRITE_ONCE(toy_gso_registered,
		   !inet_add_offload(&toy_offload, toy_ipproto));
}

/**
 * toy_gso_exit() - Take the callback back.
 *
 * Description: inet_del_offload() waits for every caller (synchronize_net()).  A
 * packet that must be cut up after this is dropped.
 *
 * Context: process context; sleeps.
 */
void toy_gso_exit(void)
{
	if (toy_gso_registered)
		inet_del_offload(&toy_offload, toy_ipproto);
	WRITE_ONCE(toy_gso_registered, false);
}
