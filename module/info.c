// SPDX-License-Identifier: GPL-2.0
/*
 * AF_TOY connection counters and struct toy_info (TOY_INFO, and the
 * TOY_DIAG_INFO attribute of sock_diag), as TCP's tcp_get_info().
 *
 * The counters live in struct toy_sock and change under the socket
 * lock, each at the one place its event happens: a segment leaving
 * (toy_send_skb()), arriving (toy_stream_process()), sent again
 * (toy_count_retrans()), data queued in order (reassembly.c), snd_una
 * moving (toy_snd_una_update()).  They start from zero with each
 * connection attempt (toy_conn_reset()).
 *
 * The delivery rate is a simple one: bytes acknowledged over an
 * interval of at least one smoothed RTT (at least 1 ms), measured at
 * the ACK that ends it.  Unlike TCP's rate samples it does not tell
 * application-limited intervals apart, so an idle sender lowers it.
 */

#include <linux/jiffies.h>
#include <linux/math64.h>
#include <net/sock.h>

#include "toy.h"

/**
 * toy_snd_una_update() - The peer acknowledged up to @ack.
 * @ts: the connection.
 * @ack: the new snd_una, after the old one.
 *
 * Context: socket lock held.
 */
void toy_snd_una_update(struct toy_sock *ts, u32 ack)
{
	ts->bytes_acked += ack - ts->snd_una;
	ts->snd_una = ack;
}

/**
 * toy_count_sent() - A packet of @sk is leaving.
 * @sk: the connection.
 * @skb: the packet, a GSO packet counting for each of its segments.
 * @len: its data bytes.
 *
 * Context: socket lock held.
 */
void toy_count_sent(struct sock *sk, const struct sk_buff *skb,
		    unsigned int len)
{
	struct toy_sock *ts = toy_sk(sk);
	u16 segs = skb_shinfo(skb)->gso_segs ?: 1;

	ts->segs_out += segs;
	if (len) {
		ts->data_segs_out += segs;
		ts->bytes_sent += len;
	}
}

/**
 * toy_count_retrans() - A segment of @sk was sent again.
 * @sk: the connection.
 * @skb: the segment, on the write queue.
 *
 * Context: socket lock held.
 */
void toy_count_retrans(struct sock *sk, const struct sk_buff *skb)
{
	struct toy_sock *ts = toy_sk(sk);

	TOY_INC_STATS(sock_net(sk), TOY_MIB_RETRANSSEGS);
	ts->total_retrans++;
	ts->bytes_retrans += skb->len;
	trace_toy_retransmit(sk, TOY_SKB_CB(skb)->seq, skb->len);
}

/**
 * toy_rate_sample() - An ACK advanced snd_una: close a rate interval?
 * @ts: the connection.
 *
 * Context: socket lock held.
 */
void toy_rate_sample(struct toy_sock *ts)
{
	u32 now = toy_now_us() ?: 1;	/* 0 means "not begun" */
	u32 elapsed = now - ts->rate_stamp_us;

	if (ts->rate_stamp_us) {
		if (elapsed < max_t(u32, ts->srtt_us, USEC_PER_MSEC))
			return;
		ts->delivery_rate = div_u64((ts->bytes_acked - ts->rate_acked) *
					    USEC_PER_SEC, elapsed);
	}
	ts->rate_stamp_us = now;
	ts->rate_acked = ts->bytes_acked;
}

static u32 toy_msecs_since(unsigned long then)
{
	return then ? jiffies_to_msecs(jiffies - then) : 0;
}

static u8 toy_info_options(const struct toy_sock *ts)
{
	return (ts->ts_ok ? TOYI_OPT_TIMESTAMPS : 0) |
	       (ts->sack_ok ? TOYI_OPT_SACK : 0) |
	       (ts->wscale_ok ? TOYI_OPT_WSCALE : 0);
}

static u8 toy_info_ca_state(const struct toy_sock *ts)
{
	if (ts->in_recovery)
		return TOYI_CA_RECOVERY;
	return ts->retries ? TOYI_CA_LOSS : TOYI_CA_OPEN;
}

/* The fields a connection has; the caller holds the socket lock. */
static void toy_fill_conn_info(struct sock *sk, struct toy_info *info)
{
	struct toy_sock *ts = toy_sk(sk);
	struct dst_entry *dst;

	info->toyi_options = toy_info_options(ts);
	info->toyi_ca_state = toy_info_ca_state(ts);
	if (ts->wscale_ok) {
		info->toyi_snd_wscale = ts->snd_wscale;
		info->toyi_rcv_wscale = ts->rcv_wscale;
	}
	info->toyi_retransmits = ts->retries;
	info->toyi_probes = ts->probes;
	info->toyi_backoff = ts->backoff;
	info->toyi_rto = jiffies_to_usecs(ts->rto);
	info->toyi_ato = jiffies_to_usecs(ts->ack_ato);
	info->toyi_snd_mss = ts->mss;
	info->toyi_rcv_mss = ts->rcv_mss;
	info->toyi_peer_mss = ts->peer_mss;
	info->toyi_unacked = ts->packets_out;
	info->toyi_sacked = ts->sacked_out;
	info->toyi_lost = ts->lost_out;
	info->toyi_total_retrans = ts->total_retrans;
	info->toyi_last_data_sent = toy_msecs_since(ts->lsndtime);
	info->toyi_last_data_recv = toy_msecs_since(ts->ack_lrcvtime ?:
						    ts->lsndtime);
	info->toyi_last_ack_recv = toy_msecs_since(ts->rcv_tstamp);
	info->toyi_rtt = ts->srtt_us;
	info->toyi_rttvar = ts->rttvar_us;
	info->toyi_snd_ssthresh = !ts->ssthresh || ts->ssthresh >= TOY_MAX_CWND ?
				  0x7fffffff : ts->ssthresh;
	info->toyi_snd_cwnd = ts->cwnd;
	info->toyi_snd_wnd = ts->snd_wnd;
	info->toyi_rcv_wnd = ts->rcv_wnd;
	info->toyi_rcv_rtt = ts->rcv_rtt_us;
	info->toyi_rcv_space = ts->rcvq_space;
	dst = __sk_dst_get(sk);
	info->toyi_pmtu = dst ? dst_mtu(dst) : 0;
	info->toyi_bytes_acked = ts->bytes_acked;
	info->toyi_bytes_received = ts->bytes_received;
	info->toyi_bytes_sent = ts->bytes_sent;
	info->toyi_bytes_retrans = ts->bytes_retrans;
	info->toyi_segs_out = ts->segs_out;
	info->toyi_segs_in = ts->segs_in;
	info->toyi_data_segs_out = ts->data_segs_out;
	info->toyi_data_segs_in = ts->data_segs_in;
	info->toyi_delivery_rate = ts->delivery_rate;
}

/**
 * toy_get_info() - Fill a struct toy_info for a stream socket.
 * @sk: the socket (a full one), with a reference held.
 * @info: filled whole; bytes the socket has no value for are zero.
 *
 * A listener has only a state: its connection fields mean nothing.
 *
 * Context: process context, socket lock not held (taken here).
 */
void toy_get_info(struct sock *sk, struct toy_info *info)
{
	bool slow;

	memset(info, 0, sizeof(*info));
	info->toyi_version = TOY_INFO_VERSION;
	slow = lock_sock_fast(sk);
	info->toyi_state = sk->sk_state;
	if (sk->sk_state != TCP_LISTEN)
		toy_fill_conn_info(sk, info);
	unlock_sock_fast(sk, slow);
}
