// SPDX-License-Identifier: GPL-2.0
/*
 * AF_TOY SYN cookies, as TCP's (net/ipv4/syncookies.c; the decision is
 * tcp_conn_request()'s, in listen.c).
 *
 * A listener keeps a half-open entry for every SYN it answers, and only
 * so many: its backlog, and net.toy.max_syn_backlog for the whole
 * namespace.  Spoofed SYNs never complete, so a flood of them fills those
 * places and keeps every real client out for as long as an entry lives
 * (about a minute of SYN-ACK retransmissions).  With net.toy.syncookies
 * at 1, the default, a SYN beyond the limits is answered without making
 * an entry: the SYN-ACK's initial sequence number, the cookie, encodes
 * what the entry would have held, and the ACK that completes the
 * handshake hands it back (its acknowledgment number - 1), so the child
 * is made from that ACK alone.  At 2 every SYN is answered that way; at
 * 0 none, and a SYN beyond the limits is dropped.
 *
 * The cookie is secure_tcp_syn_cookie()'s:
 *
 *	H0(addrs, ports) + their ISN + (count << 24)
 *	    + ((H1(addrs, ports, count) + index) mod 2^24)
 *
 * count ticks once a minute, index is the place of the route's MSS in
 * toy_msstab[], and H0, H1 are SipHash under two secret keys.  Checking
 * an ACK subtracts H0 and the ISN (the ACK's sequence number - 1), reads
 * count back from the top 8 bits, refuses it unless it is this minute's
 * or the last one's (TCP's two-minute validity), subtracts H1 of that
 * count, and must be left with a valid index.  A blind guess passes with
 * probability 8 / 2^24.
 *
 * What a cookie connection loses is what only an entry can do: its
 * SYN-ACK is never retransmitted (the client's retransmitted SYN gets a
 * new one), and its MSS is the table's value at or below what the route
 * and the SYN's MSS option allow, at most TOY_MAX_MSS_UNSCALED.  The
 * window scale and SACK have no room in the cookie: with timestamps
 * they ride in the low bits of the SYN-ACK's TSval, which the ACK
 * echoes (toy_cookie_synack_options(), as TCP); without, the connection
 * goes without them.
 * ACKs are checked as cookies only while the listener has sent cookies
 * in the last two minutes (tcp_synq_no_recent_overflow()), so a stray
 * ACK to a quiet listener gets its reset without two hashes.
 */

#include <linux/jiffies.h>
#include <linux/net.h>
#include <linux/siphash.h>
#include <linux/time.h>
#include <net/ip.h>
#include <net/route.h>
#include <net/sock.h>

#include "toy.h"

#define TOY_COOKIEBITS		24	/* the count is kept above them */
#define TOY_COOKIEMASK		(((u32)1 << TOY_COOKIEBITS) - 1)
#define TOY_COOKIE_PERIOD	(60 * HZ)	/* TCP_SYNCOOKIE_PERIOD */
#define TOY_COOKIE_MAX_AGE	2		/* MAX_SYNCOOKIE_AGE */
#define TOY_COOKIE_VALID	(TOY_COOKIE_MAX_AGE * TOY_COOKIE_PERIOD)

static siphash_aligned_key_t toy_cookie_secret[2];

/*
 * The MSS values a cookie can carry, sorted: what toy_negotiated_mss()
 * gives without window scaling (MTU - 40, 64 to TOY_MAX_MSS_UNSCALED)
 * for the common MTUs.
 */
static const u16 toy_msstab[] = {
	64,		/* toy_route_mss()'s floor */
	536,		/* 576, the MTU every IPv4 host takes */
	1240,		/* 1280, tunnels sized for IPv6 */
	1300,		/* tunnels: TCP's most common value below 1460 */
	1452,		/* 1492, PPPoE */
	1460,		/* 1500, Ethernet */
	8960,		/* 9000, jumbo frames */
	TOY_MAX_MSS_UNSCALED, /* loopback: the most a cookie keeps */
};

static u32 toy_cookie_hash(__be32 saddr, __be32 daddr, __be16 sport,
			   __be16 dport, u32 count, int c)
{
	net_get_random_once(toy_cookie_secret, sizeof(toy_cookie_secret));
	return siphash_4u32((__force u32)saddr, (__force u32)daddr,
			    (__force u32)sport << 16 | (__force u32)dport,
			    count, &toy_cookie_secret[c]);
}

/* The minute counter (tcp_cookie_time()). */
static u32 toy_cookie_time(void)
{
	u64 val = get_jiffies_64();

	do_div(val, TOY_COOKIE_PERIOD);
	return val;
}

/* secure_tcp_syn_cookie(): @sseq is the peer's ISN, @data the index. */
static u32 toy_make_cookie(__be32 saddr, __be32 daddr, __be16 sport,
			   __be16 dport, u32 sseq, u32 data)
{
	u32 count = toy_cookie_time();

	return toy_cookie_hash(saddr, daddr, sport, dport, 0, 0) + sseq +
	       (count << TOY_COOKIEBITS) +
	       ((toy_cookie_hash(saddr, daddr, sport, dport, count, 1) + data)
		& TOY_COOKIEMASK);
}

/*
 * check_tcp_syn_cookie(): the index @cookie carries, out of range if it
 * is not ours, or (u32)-1 if it is too old.
 */
static u32 toy_read_cookie(u32 cookie, __be32 saddr, __be32 daddr,
			   __be16 sport, __be16 dport, u32 sseq)
{
	u32 diff, count = toy_cookie_time();

	cookie -= toy_cookie_hash(saddr, daddr, sport, dport, 0, 0) + sseq;
	diff = (count - (cookie >> TOY_COOKIEBITS)) &
	       ((u32)-1 >> TOY_COOKIEBITS);
	if (diff >= TOY_COOKIE_MAX_AGE)
		return (u32)-1;
	return (cookie -
		toy_cookie_hash(saddr, daddr, sport, dport, count - diff, 1)) &
	       TOY_COOKIEMASK;
}

/*
 * The MSS the child would get from toy_route_mss(): from the MTU of the
 * route back to the SYN's sender, looked up as the SYN-ACK's is.
 */
static u16 toy_syn_route_mss(struct sock *sk, struct sk_buff *skb)
{
	struct toy_flow flow;
	struct rtable *rt;
	u32 mtu = TOY_DEFAULT_MTU;

	toy_flow_reply_tuple(&flow, skb);
	toy_flow_route_of(&flow, sk);
	rt = toy_route_output(sock_net(sk), &flow, NULL);
	if (!IS_ERR(rt)) {
		mtu = dst_mtu(&rt->dst);
		ip_rt_put(rt);
	}
	return toy_mtu_to_mss(mtu);
}

/**
 * toy_cookie_listen_init() - Reset a listener's SYN cookie state.
 * @sk: the socket: new, or a listener that stops.
 *
 * It has sent no cookie within the validity, so no ACK is checked as a
 * cookie, and the SYN flood warning may be logged again.
 */
void toy_cookie_listen_init(struct sock *sk)
{
	struct toy_sock *ts = toy_sk(sk);

	WRITE_ONCE(ts->synq_overflow_ts,
		   (unsigned int)jiffies - TOY_COOKIE_VALID - 2 * HZ);
	ts->synflood_warned = 0;
}

/* tcp_synq_overflow(): a cookie went now (noted once a second at most). */
static void toy_synq_overflow(struct sock *sk)
{
	struct toy_sock *ts = toy_sk(sk);
	unsigned int last = READ_ONCE(ts->synq_overflow_ts);
	unsigned int now = jiffies;

	if (!time_between32(now, last, last + HZ))
		WRITE_ONCE(ts->synq_overflow_ts, now);
}

/* tcp_synq_no_recent_overflow(): no cookie went in the validity. */
static bool toy_synq_no_recent_overflow(const struct sock *sk)
{
	unsigned int last = READ_ONCE(toy_sk(sk)->synq_overflow_ts);
	unsigned int now = jiffies;

	/*
	 * From a second before: another CPU may have stored a time later
	 * than the jiffies we read.
	 */
	return !time_between32(now, last - HZ, last + TOY_COOKIE_VALID);
}

/**
 * toy_syn_flood_action() - A cookie, or a drop? (tcp_syn_flood_action())
 * @sk: the listener.
 *
 * A SYN found the half-open entries at a limit, or syncookies is 2.  The
 * first time for a listener, unless syncookies is 2, the log says which
 * (rate limited).
 *
 * Return: true if the SYN gets a cookie, false if it is dropped.
 */
bool toy_syn_flood_action(struct sock *sk)
{
	int syncookies = READ_ONCE(toy_pernet(sock_net(sk))->syncookies);
	struct toy_sock *ts = toy_sk(sk);

	if (!READ_ONCE(ts->synflood_warned) && syncookies != 2 &&
	    xchg(&ts->synflood_warned, 1) == 0)
		net_info_ratelimited("AF_TOY: Possible SYN flooding on port %d. %s.  Check /proc/net/toy_stat.\n",
				     sk->sk_num, syncookies ?
				     "Sending cookies" : "Dropping request");
	return syncookies;
}

/**
 * toy_cookie_init_sequence() - The cookie: a SYN-ACK's ISN.
 * @sk: the listener.
 * @skb: the SYN, answered without an entry.
 *
 * cookie_v4_init_sequence().  The cookie carries the largest MSS of
 * toy_msstab[] at or below the one the connection would get without
 * window scaling (toy_negotiated_mss(): the route's and the SYN's); the listener notes that it sent
 * a cookie, and SyncookiesSent counts it.
 *
 * Return: the ISN.
 */
u32 toy_cookie_init_sequence(struct sock *sk, struct sk_buff *skb)
{
	const struct toyhdr *th = toy_hdr(skb);
	const struct iphdr *iph = ip_hdr(skb);
	struct toy_options opt;
	u32 idx;
	u16 mss;

	toy_parse_options(th, &opt);	/* toy_rcv() found them good */
	mss = toy_negotiated_mss(toy_syn_route_mss(sk, skb), opt.mss, false);

	for (idx = ARRAY_SIZE(toy_msstab) - 1; idx; idx--)
		if (mss >= toy_msstab[idx])
			break;
	toy_synq_overflow(sk);
	TOY_INC_STATS(sock_net(sk), TOY_MIB_SYNCOOKIESSENT);
	trace_toy_syncookie_send(skb);
	return toy_make_cookie(iph->saddr, iph->daddr, th->source, th->dest,
			       ntohl(th->seq), idx);
}

/**
 * toy_cookie_check() - Does an ACK return one of our cookies?
 * @sk: the listener.
 * @skb: an ACK that found no half-open entry.
 *
 * cookie_v4_check().  Checked only while syncookies is on and the
 * listener sent cookies in the last two minutes; a wrong or old cookie
 * then counts in SyncookiesFailed, a good one in SyncookiesRecv.
 *
 * Return: the MSS the cookie carries, or 0 when it brings none of ours:
 * the listener's reset answers it then.
 */
u16 toy_cookie_check(struct sock *sk, struct sk_buff *skb)
{
	const struct toyhdr *th = toy_hdr(skb);
	const struct iphdr *iph = ip_hdr(skb);
	u32 idx;

	if (!READ_ONCE(toy_pernet(sock_net(sk))->syncookies) ||
	    toy_synq_no_recent_overflow(sk))
		return 0;
	idx = toy_read_cookie(ntohl(th->ack_seq) - 1, iph->saddr, iph->daddr,
			      th->source, th->dest, ntohl(th->seq) - 1);
	if (idx >= ARRAY_SIZE(toy_msstab)) {
		TOY_INC_STATS(sock_net(sk), TOY_MIB_SYNCOOKIESFAILED);
		return 0;
	}
	TOY_INC_STATS(sock_net(sk), TOY_MIB_SYNCOOKIESRECV);
	trace_toy_syncookie_accept(skb);
	return toy_msstab[idx];
}

/*
 * With timestamps, the low bits of a cookie SYN-ACK's TSval keep what
 * its SYN offered (cookie_init_timestamp()): the peer's window scale
 * (15: none) and SACK.  The peer echoes them in every TSecr.
 */
#define TOY_TS_OPT_BITS		6
#define TOY_TS_OPT_WSCALE	0xf
#define TOY_TS_OPT_SACK		BIT(4)

/**
 * toy_cookie_synack_options() - The options of a cookie's SYN-ACK.
 * @sk: the listener.
 * @skb: the SYN.
 * @seg: the SYN-ACK's header fields; its options are set here.
 *
 * Without timestamps in the SYN (or net.toy.timestamps 0), only the
 * MSS: nothing would bring the rest back.  With them, window scaling
 * and SACK as an entry would answer, and timestamps whose TSval is our
 * clock with its low 6 bits replaced by what the SYN offered, moved
 * back a step if that put it ahead of the clock.
 */
void toy_cookie_synack_options(struct sock *sk, struct sk_buff *skb,
			       struct toy_seg *seg)
{
	const struct iphdr *iph = ip_hdr(skb);
	struct toy_net *tn = toy_pernet(sock_net(sk));
	struct toy_options opt;
	u32 now, tsval, bits;

	toy_parse_options(toy_hdr(skb), &opt);	/* toy_rcv() checked */
	if (!opt.saw_ts || !READ_ONCE(tn->timestamps))
		return;
	seg->wscale_ok = opt.wscale_ok && READ_ONCE(tn->window_scaling);
	seg->wscale = seg->wscale_ok ? toy_choose_wscale(sk) : 0;
	seg->sack_ok = opt.sack_ok && READ_ONCE(tn->sack);
	bits = seg->wscale_ok ? opt.wscale : TOY_TS_OPT_WSCALE;
	if (seg->sack_ok)
		bits |= TOY_TS_OPT_SACK;
	now = toy_ts_clock();
	tsval = (now & ~(BIT(TOY_TS_OPT_BITS) - 1)) | bits;
	if (toy_after(tsval, now))
		tsval -= BIT(TOY_TS_OPT_BITS);
	seg->ts_ok = true;
	seg->tsval = tsval + toy_ts_offset(iph->daddr, iph->saddr);
	seg->tsecr = opt.tsval;
}

/**
 * toy_cookie_take_options() - What a cookie's ACK says its SYN offered.
 * @sk: the listener.
 * @skb: the ACK, its cookie good.
 * @req: the entry made from it; its window scale, SACK and timestamps
 *       are set here.
 *
 * cookie_timestamp_decode(): an ACK without timestamps brings none of
 * them back; one with them, the bits of its TSecr.
 *
 * Return: false if it claims an option net.toy no longer allows: no
 * connection then, as TCP.
 */
bool toy_cookie_take_options(struct sock *sk, struct sk_buff *skb,
			     struct toy_request *req)
{
	const struct iphdr *iph = ip_hdr(skb);
	struct toy_net *tn = toy_pernet(sock_net(sk));
	struct toy_options opt;
	u32 bits;

	toy_parse_options(toy_hdr(skb), &opt);	/* toy_rcv() checked */
	if (!opt.saw_ts)
		return true;
	if (!READ_ONCE(tn->timestamps))
		return false;
	bits = opt.tsecr - toy_ts_offset(iph->daddr, iph->saddr);
	req->ts_ok = true;
	req->ts_recent = opt.tsval;
	req->sack_ok = bits & TOY_TS_OPT_SACK;
	if (req->sack_ok && !READ_ONCE(tn->sack))
		return false;
	if ((bits & TOY_TS_OPT_WSCALE) == TOY_TS_OPT_WSCALE)
		return true;
	req->wscale_ok = true;
	req->snd_wscale = bits & TOY_TS_OPT_WSCALE;
	req->rcv_wscale = toy_choose_wscale(sk);
	return READ_ONCE(tn->window_scaling);
}
