// SPDX-License-Identifier: GPL-2.0
/*
 * AF_TOY header options: TCP's encoding and kinds (uapi toy.h), read from
 * a received SYN and written into the SYNs we send.
 *
 * Negotiation, as TCP's (RFC 9293 3.7.1, RFC 7323 1.3):
 *
 *   MSS           every SYN and SYN-ACK carries the most data its sender
 *                 can take, from its route's MTU.  A connection sends
 *                 segments of at most the smaller of its own route's MSS
 *                 and the peer's.  A peer that sends none is taken to
 *                 accept TOY_MAX_MSS_UNSCALED.
 *   window scale  a SYN offers it when net.toy.window_scaling is on; the
 *                 SYN-ACK answers with its own only if the SYN offered
 *                 one.  Only when both SYNs carried it are the windows of
 *                 the connection scaled, each side's by its own count:
 *                 otherwise neither is, and the MSS stays at most
 *                 TOY_MAX_MSS_UNSCALED so that four segments fit in the
 *                 64 KiB window.
 *   SACK permitted  a SYN offers it when net.toy.sack is on; a SYN-ACK
 *                 answers in kind.  With both, ACKs carry SACK blocks
 *                 (sack.c).
 *   timestamps    a SYN offers them when net.toy.timestamps is on; a
 *                 SYN-ACK answers in kind.  With both, every segment
 *                 carries them (timestamps.c), and 12 bytes less data.
 *
 * A SYN cookie keeps an MSS (syncookies.c); with timestamps, the low
 * bits of the SYN-ACK's TSval keep the window scale and SACK, as TCP's
 * (the peer echoes them), so a SYN answered with a cookie loses them
 * only when it offers no timestamps.
 *
 * Every option of every stream segment is checked on arrival
 * (toy_rcv()): one that does not parse drops the segment.  A SYN's are
 * used, and the timestamps and SACK blocks of every segment.
 */

#include <asm/unaligned.h>

#include "toy.h"

/* SACK blocks: at least one, and whole (RFC 2018 3). */
static int toy_parse_sack(const u8 *ptr, u8 len, struct toy_options *opt)
{
	int i, n = (len - 2) / TOY_OLEN_SACK_BLOCK;

	if (len < 2 + TOY_OLEN_SACK_BLOCK || (len - 2) % TOY_OLEN_SACK_BLOCK)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		opt->sack[i].start = get_unaligned_be32(ptr + 2 + 8 * i);
		opt->sack[i].end = get_unaligned_be32(ptr + 6 + 8 * i);
	}
	opt->nr_sack = n;
	return 0;
}

/**
 * toy_parse_options() - Read the options of a received segment.
 * @th: its header; toy_hdr_len(@th) bytes of it are in the linear area.
 * @opt: filled in; zero where an option is absent.
 *
 * As tcp_parse_options(): EOL ends the list, NOP is skipped, an unknown
 * kind is skipped by its length.  A later option of a kind overrides
 * an earlier one.  Two NOPs and timestamps alone, what nearly every
 * segment of a connection carries, are read without the walk (as
 * tcp_parse_aligned_timestamp()).
 *
 * Return: 0, or -EINVAL if the options do not parse: a length byte
 * missing, below 2 or reaching past the header, an MSS, window scale,
 * SACK permitted or timestamps option of another length than its own,
 * or SACK blocks that are not whole.
 */
int toy_parse_options(const struct toyhdr *th, struct toy_options *opt)
{
	int left = toy_hdr_len(th) - sizeof(*th);
	const u8 *ptr = (const u8 *)(th + 1);

	memset(opt, 0, sizeof(*opt));
	/* Every segment of a connection with timestamps: read them at once. */
	if (left == TOY_OLEN_TSTAMP_ALIGNED &&
	    get_unaligned_be32(ptr) == (TOY_OPT_NOP << 24 | TOY_OPT_NOP << 16 |
					TOY_OPT_TIMESTAMP << 8 |
					TOY_OLEN_TIMESTAMP)) {
		opt->tsval = get_unaligned_be32(ptr + 4);
		opt->tsecr = get_unaligned_be32(ptr + 8);
		opt->saw_ts = true;
		return 0;
	}
	while (left > 0) {
		u8 kind = ptr[0], len;

		if (kind == TOY_OPT_EOL)
			break;
		if (kind == TOY_OPT_NOP) {
			ptr++;
			left--;
			continue;
		}
		if (left < 2)
			return -EINVAL;
		len = ptr[1];
		if (len < 2 || len > left)
			return -EINVAL;
		switch (kind) {
		case TOY_OPT_MSS:
			if (len != TOY_OLEN_MSS)
				return -EINVAL;
			opt->mss = get_unaligned_be16(ptr + 2);
			break;
		case TOY_OPT_WSCALE:
			if (len != TOY_OLEN_WSCALE)
				return -EINVAL;
			/* RFC 7323 2.3: a larger count is used as 14. */
			opt->wscale = min_t(u8, ptr[2], TOY_MAX_WSCALE);
			opt->wscale_ok = true;
			break;
		case TOY_OPT_SACK_PERM:
			if (len != TOY_OLEN_SACK_PERM)
				return -EINVAL;
			opt->sack_ok = true;
			break;
		case TOY_OPT_SACK:
			if (toy_parse_sack(ptr, len, opt))
				return -EINVAL;
			break;
		case TOY_OPT_TIMESTAMP:
			if (len != TOY_OLEN_TIMESTAMP)
				return -EINVAL;
			opt->tsval = get_unaligned_be32(ptr + 2);
			opt->tsecr = get_unaligned_be32(ptr + 6);
			opt->saw_ts = true;
			break;
		}
		ptr += len;
		left -= len;
	}
	return 0;
}

/**
 * toy_options_size() - The bytes of options a segment will carry.
 * @seg: the segment's header fields.
 *
 * Return: a multiple of 4: MSS, window scale, SACK permitted and
 * timestamps on a SYN; timestamps and SACK blocks on other segments
 * that have them.
 */
unsigned int toy_options_size(const struct toy_seg *seg)
{
	unsigned int size = seg->ts_ok ? TOY_OLEN_TSTAMP_ALIGNED : 0;

	if (!(seg->flags & TOY_SYN))
		return size + (seg->nr_sack ?
			       4 + seg->nr_sack * TOY_OLEN_SACK_BLOCK : 0);
	/* SACK permitted rides in the timestamps' padding if it can. */
	if (seg->sack_ok && !seg->ts_ok)
		size += 2 + TOY_OLEN_SACK_PERM;
	return size + TOY_OLEN_MSS +
	       (seg->wscale_ok ? 1 + TOY_OLEN_WSCALE : 0);
}

/* Timestamps, after SACK permitted or two NOPs: 12 bytes. */
static u8 *toy_write_timestamps(u8 *ptr, const struct toy_seg *seg,
				bool sack_perm)
{
	if (sack_perm) {
		*ptr++ = TOY_OPT_SACK_PERM;
		*ptr++ = TOY_OLEN_SACK_PERM;
	} else {
		*ptr++ = TOY_OPT_NOP;
		*ptr++ = TOY_OPT_NOP;
	}
	*ptr++ = TOY_OPT_TIMESTAMP;
	*ptr++ = TOY_OLEN_TIMESTAMP;
	put_unaligned_be32(seg->tsval, ptr);
	put_unaligned_be32(seg->tsecr, ptr + 4);
	return ptr + 8;
}

/**
 * toy_write_options() - Write a segment's options.
 * @ptr: where they go, right after the header; toy_options_size(@seg)
 *       bytes.
 * @seg: the segment's header fields.
 *
 * In the order of the diagram in uapi toy.h: MSS, then SACK permitted
 * (or two NOPs) and timestamps, then NOP and window scale, then, without
 * timestamps, two NOPs and SACK permitted; on other segments, two NOPs
 * and the timestamps, then two NOPs and the SACK blocks: each value
 * sits where its alignment wants it.
 */
void toy_write_options(u8 *ptr, const struct toy_seg *seg)
{
	int i;

	if (!(seg->flags & TOY_SYN)) {
		if (seg->ts_ok)
			ptr = toy_write_timestamps(ptr, seg, false);
		if (!seg->nr_sack)
			return;
		*ptr++ = TOY_OPT_NOP;
		*ptr++ = TOY_OPT_NOP;
		*ptr++ = TOY_OPT_SACK;
		*ptr++ = 2 + seg->nr_sack * TOY_OLEN_SACK_BLOCK;
		for (i = 0; i < seg->nr_sack; i++) {
			put_unaligned_be32(seg->sack[i].start, ptr);
			put_unaligned_be32(seg->sack[i].end, ptr + 4);
			ptr += TOY_OLEN_SACK_BLOCK;
		}
		return;
	}
	*ptr++ = TOY_OPT_MSS;
	*ptr++ = TOY_OLEN_MSS;
	put_unaligned_be16(seg->mss, ptr);
	ptr += 2;
	if (seg->ts_ok)
		ptr = toy_write_timestamps(ptr, seg, seg->sack_ok);
	if (seg->wscale_ok) {
		*ptr++ = TOY_OPT_NOP;
		*ptr++ = TOY_OPT_WSCALE;
		*ptr++ = TOY_OLEN_WSCALE;
		*ptr++ = seg->wscale;
	}
	if (seg->sack_ok && !seg->ts_ok) {
		*ptr++ = TOY_OPT_NOP;
		*ptr++ = TOY_OPT_NOP;
		*ptr++ = TOY_OPT_SACK_PERM;
		*ptr++ = TOY_OLEN_SACK_PERM;
	}
}

/**
 * toy_negotiated_mss() - A new connection's MSS.
 * @route_mss: what its own route allows (toy_route_mss()).
 * @peer_mss: the MSS option of the peer's SYN; 0: none.
 * @scaled: the connection's windows are scaled.
 *
 * Return: @route_mss, no more than @peer_mss (raised to the floor,
 * TOY_MIN_MSS) or, without one, TOY_MAX_MSS_UNSCALED; and no more than
 * TOY_MAX_MSS_UNSCALED when the windows are not scaled.
 */
u16 toy_negotiated_mss(u16 route_mss, u16 peer_mss, bool scaled)
{
	u16 peer = peer_mss ? max_t(u16, peer_mss, TOY_MIN_MSS) :
			      TOY_MAX_MSS_UNSCALED;
	u16 mss = min(route_mss, peer);

	if (!scaled)
		mss = min_t(u16, mss, TOY_MAX_MSS_UNSCALED);
	return mss;
}

/**
 * toy_offer_options() - Choose what our SYN offers.
 * @sk: a connection about to send its SYN, its state clean.
 *
 * Window scaling, with our shift, unless net.toy.window_scaling is 0;
 * SACK, unless net.toy.sack is 0; timestamps, unless
 * net.toy.timestamps is 0.
 *
 * Context: socket lock held; @sk has both its addresses.
 */
void toy_offer_options(struct sock *sk)
{
	struct toy_net *tn = toy_pernet(sock_net(sk));
	struct toy_sock *ts = toy_sk(sk);

	ts->wscale_ok = READ_ONCE(tn->window_scaling);
	ts->rcv_wscale = ts->wscale_ok ? toy_choose_wscale(sk) : 0;
	ts->sack_ok = READ_ONCE(tn->sack);
	ts->ts_ok = READ_ONCE(tn->timestamps);
	ts->ts_off = toy_ts_offset(sk->sk_rcv_saddr, sk->sk_daddr);
	ts->ts_recent = 0;
	ts->ts_recent_stamp = 0;
}

/**
 * toy_take_syn_options() - What the peer's SYN (or SYN-ACK) says.
 * @ts: a connection in SYN_SENT, @ts->wscale_ok if our SYN offered
 *      window scaling.
 * @opt: the options of the peer's SYN.
 *
 * Scaling stays on only if the peer offered it too; then the peer's
 * windows are shifted by its count, else neither side's is.  SACK and
 * timestamps too only if both offered them; the peer's TSval is then
 * the first to echo.  The peer's MSS is kept for toy_established().
 *
 * Context: socket lock held.
 */
void toy_take_syn_options(struct toy_sock *ts, const struct toy_options *opt)
{
	ts->wscale_ok = ts->wscale_ok && opt->wscale_ok;
	ts->snd_wscale = ts->wscale_ok ? opt->wscale : 0;
	if (!ts->wscale_ok)
		ts->rcv_wscale = 0;
	ts->sack_ok = ts->sack_ok && opt->sack_ok;
	ts->ts_ok = ts->ts_ok && opt->saw_ts;
	if (ts->ts_ok) {
		ts->ts_recent = opt->tsval;
		ts->ts_recent_stamp = toy_ts_seconds();
	}
	ts->peer_mss = opt->mss;
}

/**
 * toy_req_take_options() - What a SYN to a listener says, and the answer.
 * @req: the new half-open entry.
 * @l: its listener.
 * @opt: the options of the SYN.
 *
 * The SYN's MSS is kept for the child.  Window scaling when the SYN
 * offers it and net.toy.window_scaling is on: the SYN-ACK then answers
 * with our shift.  SACK likewise, with net.toy.sack, and timestamps,
 * with net.toy.timestamps: the SYN-ACK echoes the SYN's TSval.
 */
void toy_req_take_options(struct toy_request *req, const struct sock *l,
			  const struct toy_options *opt)
{
	req->mss = opt->mss;
	req->wscale_ok = opt->wscale_ok &&
			 READ_ONCE(toy_pernet(sock_net(l))->window_scaling);
	req->snd_wscale = req->wscale_ok ? opt->wscale : 0;
	req->rcv_wscale = req->wscale_ok ? toy_choose_wscale(l) : 0;
	req->sack_ok = opt->sack_ok &&
		       READ_ONCE(toy_pernet(sock_net(l))->sack);
	req->ts_ok = opt->saw_ts &&
		     READ_ONCE(toy_pernet(sock_net(l))->timestamps);
	req->ts_recent = req->ts_ok ? opt->tsval : 0;
}
