// SPDX-License-Identifier: GPL-2.0
/*
 * AF_TOY stream protocol: connection states, segments and timers.
 *
 * What exists so far is the active opener's first step: connect() sends a
 * SYN from an initial sequence number chosen as RFC 6528 says (a keyed
 * hash of the 4-tuple plus a clock), retransmits it with exponential
 * backoff (1 s, 2 s, 4 s ...) up to net.toy.syn_retries times and then
 * fails with ETIMEDOUT; a reset that acknowledges the SYN fails it with
 * ECONNREFUSED.  The passive side and the rest of the state machine come
 * with the handshake; until then a SYN-ACK is dropped.
 *
 * Locking.  The socket lock protects every field of the connection
 * state: lock_sock() in process context; bh_lock_sock() on the receive
 * path and in timers.  When a user holds the socket, the receive path
 * queues the segment on the socket's backlog (processed by
 * toy_stream_backlog_rcv() at release_sock()) and a timer leaves its
 * work to the owner (a bit in toy_sock.deferred, done by
 * toy_stream_release_cb() at release_sock(), as TCP's tcp_release_cb()).
 *
 * Timers.  An armed timer holds a reference on its socket and counts in
 * the "timers" live-object counter; whoever disarms it (del_timer() that
 * found it pending, or the handler itself when it has run) drops both.
 * A handler that runs after close() finds the socket in CLOSE and only
 * drops its reference, so the socket, and with it the module, outlives
 * every timer.
 */

#include <linux/jiffies.h>
#include <linux/ktime.h>
#include <linux/random.h>
#include <linux/siphash.h>
#include <net/sock.h>
#include <net/tcp_states.h>

#include "toy.h"

#define TOY_RTO_INIT	HZ		/* RFC 6298 initial timeout, 1 s */
#define TOY_RTO_MAX	(120 * HZ)	/* TCP's ceiling */

static siphash_key_t toy_isn_secret __read_mostly;

void toy_stream_init(void)
{
	get_random_bytes(&toy_isn_secret, sizeof(toy_isn_secret));
}

/* RFC 6528: ISN = M + F(localip, localport, remoteip, remoteport, key). */
static u32 toy_isn(__be32 saddr, __be16 sport, __be32 daddr, __be16 dport)
{
	u32 hash = siphash_3u32((__force u32)saddr, (__force u32)daddr,
				(u32)ntohs(sport) << 16 | ntohs(dport),
				&toy_isn_secret);

	/* M: a clock ticking every 64 ns, as TCP's. */
	return hash + (u32)(ktime_get_real_ns() >> 6);
}

static void toy_timer_arm(struct sock *sk, struct timer_list *t,
			  unsigned long expires)
{
	if (!mod_timer(t, expires)) {
		sock_hold(sk);
		toy_live_inc(TOY_LIVE_TIMER);
	}
}

static void toy_timer_stop(struct sock *sk, struct timer_list *t)
{
	if (del_timer(t)) {
		toy_live_dec(TOY_LIVE_TIMER);
		__sock_put(sk);
	}
}

static void toy_send_syn(struct sock *sk)
{
	const struct toy_xmit_ctx ctx = {
		.oif		= sk->sk_bound_dev_if,
		.mark		= READ_ONCE(sk->sk_mark),
		.uid		= sk->sk_uid,
		.priority	= READ_ONCE(sk->sk_priority),
	};

	toy_xmit_ctl(sock_net(sk), &ctx, sk->sk_rcv_saddr, htons(sk->sk_num),
		     sk->sk_daddr, sk->sk_dport, toy_sk(sk)->iss, 0, TOY_SYN,
		     min_t(u32, READ_ONCE(sk->sk_rcvbuf), U16_MAX));
}

/*
 * The connection is over (refused, timed out): out of the tables, the
 * port given back unless bind() chose it, and whoever waits is woken to
 * read sk_err.  Caller holds the socket lock.
 */
static void toy_done(struct sock *sk)
{
	toy_stream_stop(sk);
	toy_unhash(sk);
	WRITE_ONCE(sk->sk_state, TCP_CLOSE);
	if (!(sk->sk_userlocks & SOCK_BINDPORT_LOCK))
		toy_put_port(sk);
	WRITE_ONCE(sk->sk_shutdown, SHUTDOWN_MASK);
	sk_error_report(sk);
}

/* The retransmission timeout, with the socket lock held (not owned). */
static void toy_rtx_expired(struct sock *sk)
{
	struct toy_sock *ts = toy_sk(sk);

	if (sk->sk_state != TCP_SYN_SENT)
		return;
	if (ts->syn_tries >= READ_ONCE(toy_pernet(sock_net(sk))->syn_retries)) {
		WRITE_ONCE(sk->sk_err, ETIMEDOUT);
		toy_done(sk);
		return;
	}
	ts->syn_tries++;
	ts->rto = min_t(unsigned long, ts->rto * 2, TOY_RTO_MAX);
	toy_send_syn(sk);
	toy_timer_arm(sk, &ts->rtx_timer, jiffies + ts->rto);
}

static void toy_rtx_timer(struct timer_list *t)
{
	struct toy_sock *ts = from_timer(ts, t, rtx_timer);
	struct sock *sk = &ts->sk;

	bh_lock_sock(sk);
	if (!sock_owned_by_user(sk)) {
		toy_rtx_expired(sk);
	} else if (!test_and_set_bit(TOY_DEFER_RTX, &ts->deferred)) {
		/* The owner runs it in release_sock(); that holds a ref. */
		sock_hold(sk);
		toy_live_inc(TOY_LIVE_TIMER);
	}
	bh_unlock_sock(sk);
	toy_live_dec(TOY_LIVE_TIMER);
	sock_put(sk);
}

/*
 * proto.release_cb: release_sock() calls it with the socket lock held,
 * before giving up ownership; work deferred by a timer is done here.
 */
void toy_stream_release_cb(struct sock *sk)
{
	struct toy_sock *ts = toy_sk(sk);

	if (test_and_clear_bit(TOY_DEFER_RTX, &ts->deferred)) {
		toy_rtx_expired(sk);
		toy_live_dec(TOY_LIVE_TIMER);
		__sock_put(sk);
	}
}

void toy_stream_init_sock(struct sock *sk)
{
	timer_setup(&toy_sk(sk)->rtx_timer, toy_rtx_timer, 0);
}

/*
 * connect(): the socket is in SYN_SENT with its 4-tuple in the
 * connection table; choose the ISN, send the SYN, start the timer.
 * Caller holds lock_sock().
 */
void toy_stream_connect_start(struct sock *sk)
{
	struct toy_sock *ts = toy_sk(sk);

	ts->iss = toy_isn(sk->sk_rcv_saddr, htons(sk->sk_num), sk->sk_daddr,
			  sk->sk_dport);
	ts->snd_nxt = ts->iss + 1;
	ts->syn_tries = 0;
	ts->rto = TOY_RTO_INIT;
	sk->sk_err = 0;
	toy_send_syn(sk);
	toy_timer_arm(sk, &ts->rtx_timer, jiffies + ts->rto);
}

/*
 * Disarm every timer (close, disconnect, end of the connection), and
 * forget work a timer deferred to the owner.  A handler already running
 * finds the socket in a state with nothing to do, or defers to the
 * owner, whose release_cb then finds nothing to do.
 */
void toy_stream_stop(struct sock *sk)
{
	struct toy_sock *ts = toy_sk(sk);

	toy_timer_stop(sk, &ts->rtx_timer);
	if (test_and_clear_bit(TOY_DEFER_RTX, &ts->deferred)) {
		toy_live_dec(TOY_LIVE_TIMER);
		__sock_put(sk);
	}
}

/*
 * A segment for @sk, with the socket lock held and not owned by a user.
 * SYN_SENT, as RFC 793 (3.9, "SEGMENT ARRIVES"): an ACK must acknowledge
 * exactly our SYN, else the segment is answered with a reset (unless it
 * is one); a reset with an acceptable ACK refuses the connection; any
 * other reset is ignored, so a blind reset does nothing.
 */
static int toy_stream_process(struct sock *sk, struct sk_buff *skb)
{
	const struct toyhdr *th = toy_hdr(skb);
	struct toy_sock *ts = toy_sk(sk);

	if (sk->sk_state != TCP_SYN_SENT)
		goto drop;	/* the other states come with the handshake */

	if (th->flags & TOY_ACK && ntohl(th->ack_seq) != ts->snd_nxt) {
		toy_send_reset(sock_net(sk), skb);
		goto drop;
	}
	if (th->flags & TOY_RST) {
		if (th->flags & TOY_ACK) {
			WRITE_ONCE(sk->sk_err, ECONNREFUSED);
			toy_done(sk);
		}
		goto drop;
	}
	/* SYN (or SYN-ACK): the handshake is not there yet. */
drop:
	kfree_skb(skb);
	return 0;
}

int toy_stream_backlog_rcv(struct sock *sk, struct sk_buff *skb)
{
	return toy_stream_process(sk, skb);
}

/* From toy_rcv(): consumes @skb and the reference on @sk. */
void toy_stream_rcv(struct sock *sk, struct sk_buff *skb)
{
	bh_lock_sock_nested(sk);
	if (!sock_owned_by_user(sk)) {
		toy_stream_process(sk, skb);
	} else if (sk_add_backlog(sk, skb, READ_ONCE(sk->sk_rcvbuf) +
				  READ_ONCE(sk->sk_sndbuf))) {
		kfree_skb(skb);
	}
	bh_unlock_sock(sk);
	sock_put(sk);
}
