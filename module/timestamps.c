// SPDX-License-Identifier: GPL-2.0
/*
 * AF_TOY timestamps (RFC 7323): the clock every segment of a connection
 * carries, what it measures and what it protects.
 *
 * Negotiated on the SYNs (options.c).  Then every segment carries TSval,
 * our clock in milliseconds plus the connection's offset, and TSecr,
 * ts_recent: the TSval of the peer's latest segment in sequence.  The
 * offset is a keyed hash of the two addresses (toy_ts_offset()), as
 * TCP's: a TSval tells nobody our uptime, yet every connection between
 * two hosts sees one clock, which TIME_WAIT needs (below).
 *
 * ts_recent (RFC 7323 4.3, tcp_replace_ts_recent()) is taken from an
 * acceptable segment that starts at or before rcv_wup, the left edge of
 * the window we offered last: what we echo is then the TSval of the
 * first segment our next ACK answers, the earliest one under delayed
 * ACKs, so the peer's RTT sample includes the delay.
 *
 * RTT (RFC 7323 4): an ACK of new data echoes the TSval of the segment
 * it answers, so now - TSecr is a sample even when that data went twice
 * and Karn's rule leaves the sequence-based sample none.  Only then, as
 * tcp_ack_update_rtt(): the millisecond clock is the coarser one.
 *
 * PAWS (RFC 7323 5): at loopback speed the 32-bit sequence space wraps
 * within seconds, and a delayed segment of the previous lap would fit
 * the window again.  A segment whose TSval is older than ts_recent is
 * such an old duplicate: dropped, counted in PAWSEstab, and answered
 * with an ACK (rate limited like every answer to an unacceptable
 * segment: ACKSkippedPAWS).  As TCP, these pass: a reset (RFC 7323
 * 5.3); any segment when ts_recent is over 24 days old (the peer's
 * clock may have wrapped while the connection idled) or 0 (stacks that
 * send 0 in their SYNs); and a duplicate ACK that merely overtook the
 * one before it (tcp_disordered_ack()), which fast retransmit counts.
 * A TIME_WAIT entry keeps ts_recent, applies PAWS the same way, and lets
 * a SYN with a later TSval take its 4-tuple over (timewait.c, RFC 6191).
 * In SYN_SENT, a SYN-ACK must echo a TSval our SYN could have carried
 * (toy_ts_synack_ok()), else it answers another SYN: a reset, and the
 * connection goes on waiting (PAWSActive).
 *
 * Everything here runs under the socket lock of the connection, or on
 * an entry whose timestamps are fixed at its creation.
 */

#include <linux/jiffies.h>
#include <linux/ktime.h>
#include <net/sock.h>

#include "toy.h"

/* ts_recent older than this may be from before the peer's clock wrapped. */
#define TOY_PAWS_24DAYS		(60 * 60 * 24 * 24)
/* A TSval this much older than ts_recent still passes (tcp_paws_check()). */
#define TOY_PAWS_WINDOW		1

/**
 * toy_ts_clock() - Our timestamp clock, without a connection's offset.
 *
 * Return: the monotonic clock in milliseconds, truncated to 32 bits.
 */
u32 toy_ts_clock(void)
{
	return (u32)div_u64(ktime_get_ns(), NSEC_PER_MSEC);
}

/**
 * toy_ts_seconds() - The clock of ts_recent_stamp.
 *
 * Return: seconds since boot, never 0 (0 means "no ts_recent").
 */
u32 toy_ts_seconds(void)
{
	return (u32)ktime_get_seconds() ?: 1;
}

/**
 * toy_seg_set_ts() - Put timestamps on a segment to send.
 * @seg: its header fields.
 * @off: the connection's offset to our clock.
 * @ecr: the TSval to echo.
 */
void toy_seg_set_ts(struct toy_seg *seg, u32 off, u32 ecr)
{
	seg->ts_ok = true;
	seg->tsval = toy_ts_clock() + off;
	seg->tsecr = ecr;
}

/**
 * toy_ts_fill() - A connection's timestamps on its segment.
 * @sk: the connection; in SYN_SENT its SYN offers them (TSecr 0).
 * @seg: the segment's header fields.
 *
 * Context: socket lock held.
 */
void toy_ts_fill(const struct sock *sk, struct toy_seg *seg)
{
	const struct toy_sock *ts = toy_sk(sk);

	if (ts->ts_ok)
		toy_seg_set_ts(seg, ts->ts_off, ts->ts_recent);
}

/**
 * toy_paws_old() - Is a TSval older than the latest one?
 * @recent: the latest TSval of the connection (ts_recent).
 * @stamp: when it came (toy_ts_seconds()); 0: none yet.
 * @tsval: the TSval of the segment at hand.
 * @win: how much older it may be and still pass.
 *
 * As tcp_paws_check() negated: a @recent over 24 days old, or 0, says
 * nothing.
 *
 * Return: true if @tsval is older than @recent by more than @win.
 */
bool toy_paws_old(u32 recent, u32 stamp, u32 tsval, u32 win)
{
	if (!stamp || !recent || (s32)(recent - tsval) <= (s32)win)
		return false;
	return (s32)(toy_ts_seconds() - stamp) < TOY_PAWS_24DAYS;
}

/*
 * A duplicate ACK that overtook the ACK before it (tcp_disordered_ack()):
 * no data, at rcv_nxt, acknowledging snd_una, not a window update, and
 * its TSval within an RTO of ts_recent.
 */
static bool toy_disordered_ack(const struct sock *sk,
			       const struct sk_buff *skb, u32 ack, u32 window,
			       u32 tsval)
{
	const struct toy_skb_cb *cb = TOY_SKB_CB(skb);
	const struct toy_sock *ts = toy_sk(sk);

	return cb->flags & TOY_ACK && cb->seq == cb->end_seq &&
	       cb->seq == ts->rcv_nxt && ack == ts->snd_una &&
	       !toy_after(cb->seq, ts->snd_wl1) &&
	       !(cb->seq == ts->snd_wl1 && window > ts->snd_wnd) &&
	       (s32)(ts->ts_recent - tsval) <= (s32)jiffies_to_msecs(ts->rto);
}

/**
 * toy_paws_discard() - Is a segment an old duplicate by its timestamp?
 * @sk: the connection.
 * @skb: the segment; its struct toy_skb_cb filled in.
 * @ack: its acknowledgment number.
 * @window: the window it offers, scaled.
 * @opt: its options.
 *
 * Counted in PAWSEstab when it is.
 *
 * Context: socket lock held.
 * Return: true to drop it.
 */
bool toy_paws_discard(struct sock *sk, const struct sk_buff *skb, u32 ack,
		      u32 window, const struct toy_options *opt)
{
	const struct toy_sock *ts = toy_sk(sk);

	if (!ts->ts_ok || !opt->saw_ts || TOY_SKB_CB(skb)->flags & TOY_RST)
		return false;
	if (!toy_paws_old(ts->ts_recent, ts->ts_recent_stamp, opt->tsval,
			  TOY_PAWS_WINDOW) ||
	    toy_disordered_ack(sk, skb, ack, window, opt->tsval))
		return false;
	TOY_INC_STATS(sock_net(sk), TOY_MIB_PAWSESTAB);
	return true;
}

/**
 * toy_ts_store_recent() - Take a segment's TSval as the one to echo.
 * @sk: the connection.
 * @opt: the options of an acceptable segment.
 * @seq: its first sequence number.
 *
 * When it starts at or before rcv_wup, and is not older.
 *
 * Context: socket lock held.
 */
void toy_ts_store_recent(struct sock *sk, const struct toy_options *opt,
			 u32 seq)
{
	struct toy_sock *ts = toy_sk(sk);

	if (!ts->ts_ok || !opt->saw_ts || toy_after(seq, ts->rcv_wup) ||
	    toy_paws_old(ts->ts_recent, ts->ts_recent_stamp, opt->tsval, 0))
		return;
	ts->ts_recent = opt->tsval;
	ts->ts_recent_stamp = toy_ts_seconds();
}

/**
 * toy_ts_synack_ok() - Does a SYN-ACK echo a TSval our SYN could carry?
 * @sk: a connection in SYN_SENT.
 * @opt: the options of its SYN-ACK.
 *
 * As tcp_rcv_synsent_state_process(): with timestamps offered, a
 * SYN-ACK whose TSecr is not 0 must echo a time between our first SYN
 * and now, else it answers some other SYN (a blind or stale one).
 * Counted in PAWSActive when it does not.
 *
 * Context: socket lock held.
 * Return: true if it may be taken.
 */
bool toy_ts_synack_ok(struct sock *sk, const struct toy_options *opt)
{
	const struct toy_sock *ts = toy_sk(sk);
	u32 now, since;

	if (!ts->ts_ok || !opt->saw_ts || !opt->tsecr)
		return true;
	now = toy_ts_clock() + ts->ts_off;
	since = (toy_now_us() - ts->syn_us) / USEC_PER_MSEC + 1;
	if (now - opt->tsecr <= since)
		return true;
	TOY_INC_STATS(sock_net(sk), TOY_MIB_PAWSACTIVE);
	return false;
}

/**
 * toy_ts_rtt_us() - The RTT an ACK's echo measures.
 * @sk: the connection.
 * @opt: the options of an ACK of new data.
 *
 * Context: socket lock held.
 * Return: now less its TSecr, in microseconds, at least 1 ms; 0 when
 * it echoes nothing, or a time we never sent (later than now, or more
 * than TOY_RTO_MAX ago).
 */
u32 toy_ts_rtt_us(const struct sock *sk, const struct toy_options *opt)
{
	const struct toy_sock *ts = toy_sk(sk);
	u32 delta;

	if (!ts->ts_ok || !opt->saw_ts || !opt->tsecr)
		return 0;
	delta = toy_ts_clock() + ts->ts_off - opt->tsecr;
	if ((s32)delta < 0 || delta > jiffies_to_msecs(TOY_RTO_MAX))
		return 0;
	return max_t(u32, delta, 1) * USEC_PER_MSEC;
}
