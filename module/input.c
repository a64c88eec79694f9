// SPDX-License-Identifier: GPL-2.0
/*
 * AF_TOY stream input: what a connection does with a segment.
 *
 * toy_stream_rcv() takes a segment from the receive path (wire.c) to its
 * socket: to a half-open entry (listen.c) or a TIME_WAIT entry
 * (timewait.c), or, under the socket lock, to toy_stream_process(),
 * which dispatches on the state: a listener (listen.c), SYN_SENT
 * (toy_rcv_synsent()) or a synchronized state (toy_rcv_state()).  When
 * a user holds the socket, the segment waits on the socket's backlog
 * and the owner processes it in release_sock().
 *
 * toy_rcv_state() follows RFC 9293 3.10.7.4 ("Other states"), step by
 * step, with RFC 5961's hardening:
 *   1. PAWS (timestamps.c), then the sequence number: a segment must
 *      fall in the receive window, else it is answered with an ACK (rate
 *      limited) and dropped;
 *   2. RST: obeyed only when its sequence number is exactly rcv_nxt (in
 *      the window but not exact: a challenge ACK);
 *   4. SYN: in a synchronized state, a challenge ACK;
 *   5. ACK: the TSval to echo (timestamps.c), the window update and
 *      what it acknowledges (output.c);
 *   7, 8. the text and the FIN, in sequence order (reassembly.c).
 * So a blind reset or SYN with a guessed sequence number does nothing.
 *
 * Every function here runs with the socket lock held (bh_lock_sock() on
 * the receive path, or the owner's lock_sock() for the backlog).
 */

#include <linux/jiffies.h>
#include <linux/prandom.h>
#include <net/sock.h>
#include <net/tcp_states.h>

#include "toy.h"

/**
 * toy_reset() - End a connection by a reset.
 * @sk: the connection.
 *
 * A valid reset (RFC 793 3.4, with RFC 5961's exact-sequence rule
 * applied by the caller), or the one we send ourselves for data after
 * close() (toy_rcv_data()).  As tcp_reset(), the error the user sees
 * depends on the state: ECONNREFUSED in SYN_RECV, EPIPE in CLOSE_WAIT,
 * none in CLOSING and LAST_ACK, ECONNRESET otherwise.  Counted in
 * EstabResets.
 *
 * Context: socket lock held.
 */
void toy_reset(struct sock *sk)
{
	int err;

	switch (sk->sk_state) {
	case TCP_SYN_RECV:
		err = ECONNREFUSED;
		break;
	case TCP_CLOSE_WAIT:
		err = EPIPE;
		break;
	case TCP_CLOSING:
	case TCP_LAST_ACK:
	case TCP_TIME_WAIT:
		err = 0;
		break;
	default:
		err = ECONNRESET;
	}
	if (err)
		WRITE_ONCE(sk->sk_err, err);
	TOY_INC_STATS(sock_net(sk), TOY_MIB_ESTABRESETS);
	toy_done(sk);
}

/**
 * toy_seq_ok() - RFC 793's acceptability test of a segment.
 * @ts: the connection.
 * @seq: the segment's first sequence number.
 * @end_seq: @seq plus its data, SYN and FIN.
 *
 * As Linux applies it (tcp_sequence()): the segment must not end before
 * rcv_wup (the rcv_nxt of our last window offer) nor start beyond the
 * right edge of that offer.  A segment at exactly rcv_nxt is acceptable
 * even into a zero window.
 *
 * Return: true if the segment is acceptable.
 */
bool toy_seq_ok(const struct toy_sock *ts, u32 seq, u32 end_seq)
{
	return !toy_before(end_seq, ts->rcv_wup) &&
	       !toy_after(seq, ts->rcv_nxt + toy_receive_window(ts));
}

/**
 * toy_oow_rate_limited() - Rate limit answers to unacceptable segments.
 * @net: the namespace, for net.toy.invalid_ratelimit and @mib.
 * @last_time: jiffies of the last answer of this connection, half-open
 *             entry or TIME_WAIT entry (0: none yet); set to now when
 *             this answer may go.
 * @mib: the counter (TOY_MIB_*) of answers skipped.
 *
 * As __tcp_oow_rate_limited(): at most one answer per
 * net.toy.invalid_ratelimit.  Two peers that each find the other's
 * segments unacceptable would otherwise ping-pong ACKs for ever, and a
 * flood of forged segments would draw a flood of answers.
 *
 * Context: any; the time at @last_time is read and written with
 * READ_ONCE() and WRITE_ONCE(): no lock needed.
 * Return: true to skip this answer (counted in @mib), false to send it.
 */
bool toy_oow_rate_limited(struct net *net, u32 *last_time, int mib)
{
	u32 now = (u32)jiffies, last = READ_ONCE(*last_time);

	if (last) {
		s32 elapsed = now - last;

		if (elapsed >= 0 &&
		    elapsed < READ_ONCE(toy_pernet(net)->invalid_ratelimit)) {
			TOY_INC_STATS(net, mib);
			return true;
		}
	}
	WRITE_ONCE(*last_time, now);
	return false;
}

/*
 * The namespace's budget of challenge ACKs (RFC 5961 7): at most about
 * net.toy.challenge_ack_limit a second, the count of each second
 * randomised as tcp_challenge_ack_allowed() does, so that an attacker
 * cannot learn from the limit which of its guesses drew an answer.
 */
static bool toy_challenge_ack_allowed(struct net *net)
{
	struct toy_net *tn = toy_pernet(net);
	u32 limit = READ_ONCE(tn->challenge_ack_limit);
	u32 now = jiffies / HZ, count;

	if (limit == INT_MAX)
		return true;
	if (now != READ_ONCE(tn->challenge_stamp)) {
		WRITE_ONCE(tn->challenge_stamp, now);
		WRITE_ONCE(tn->challenge_count,
			   (limit + 1) / 2 + prandom_u32_max(limit));
	}
	count = READ_ONCE(tn->challenge_count);
	if (!count)
		return false;
	WRITE_ONCE(tn->challenge_count, count - 1);
	return true;
}

/*
 * RFC 5961 challenge ACK: "prove you are in the window".  Under both
 * limits: the connection's (toy_oow_rate_limited()) and the
 * namespace's.
 */
static void toy_challenge_ack(struct sock *sk)
{
	struct net *net = sock_net(sk);

	if (toy_oow_rate_limited(net, &toy_sk(sk)->last_oow_ack_time,
				 TOY_MIB_ACKSKIPPEDCHALLENGE))
		return;
	if (!toy_challenge_ack_allowed(net)) {
		TOY_INC_STATS(net, TOY_MIB_ACKSKIPPEDCHALLENGE);
		return;
	}
	TOY_INC_STATS(net, TOY_MIB_CHALLENGEACKS);
	toy_send_ack(sk);
}

/*
 * A segment outside the window (tcp_validate_incoming()): answered with
 * an ACK that says where the window is, unless it is part of a loop
 * (no data, or a SYN: rate limited); never a reset.  A reset just below
 * the window, at the sequence number of the FIN the peer sent, is one
 * some stacks send after their FIN: obeyed (tcp_reset_check()).
 */
static void toy_rcv_unacceptable(struct sock *sk, struct sk_buff *skb,
				 int mib)
{
	struct toy_skb_cb *cb = TOY_SKB_CB(skb);
	struct toy_sock *ts = toy_sk(sk);

	if (cb->flags & TOY_RST) {
		if (cb->seq == ts->rcv_nxt - 1 &&
		    (1 << sk->sk_state) &
		    (TCPF_CLOSE_WAIT | TCPF_LAST_ACK | TCPF_CLOSING))
			toy_reset(sk);
		return;
	}
	if ((skb->len && !(cb->flags & TOY_SYN)) ||
	    !toy_oow_rate_limited(sock_net(sk), &ts->last_oow_ack_time, mib))
		toy_send_ack(sk);
}

/* SYN_SENT (RFC 793 3.9). */
static int toy_rcv_synsent(struct sock *sk, struct sk_buff *skb)
{
	const struct toyhdr *th = toy_hdr(skb);
	struct toy_sock *ts = toy_sk(sk);
	struct toy_options opt;
	u32 seq = ntohl(th->seq);
	u32 ack = ntohl(th->ack_seq);

	if (th->flags & TOY_ACK && ack != ts->snd_nxt) {
		toy_send_reset(sock_net(sk), skb);
		goto drop;
	}
	if (th->flags & TOY_RST) {
		if (th->flags & TOY_ACK) {
			trace_toy_reset_recv(sk);
			WRITE_ONCE(sk->sk_err, ECONNREFUSED);
			TOY_INC_STATS(sock_net(sk), TOY_MIB_ATTEMPTFAILS);
			toy_done(sk);
		}
		goto drop;
	}
	if (!(th->flags & TOY_SYN))
		goto drop;

	toy_parse_options(th, &opt);	/* toy_rcv() found them good */
	if (th->flags & TOY_ACK && !toy_ts_synack_ok(sk, &opt)) {
		toy_send_reset(sock_net(sk), skb);
		goto drop;
	}
	toy_take_syn_options(ts, &opt);
	ts->irs = seq;
	ts->rcv_nxt = seq + 1;
	ts->rcv_wup = ts->rcv_nxt;
	ts->copied_seq = ts->rcv_nxt;
	ts->snd_wnd = ntohs(th->window);
	ts->max_window = ts->snd_wnd;
	ts->snd_wl1 = seq;
	ts->rcv_tstamp = jiffies;
	if (th->flags & TOY_ACK) {
		toy_snd_una_update(ts, ack);
		ts->snd_wl2 = ack;
		/* Karn: a sample only if the SYN went once. */
		if (!ts->retries)
			toy_rtt_sample(sk, toy_now_us() - ts->syn_us);
		toy_established(sk);
		toy_send_ack(sk);
	} else {
		/* Simultaneous open: both sent a SYN. */
		toy_set_state(sk, TCP_SYN_RECV);
		ts->retries = 0;
		ts->rto = TOY_RTO_INIT;
		toy_send_syn(sk, true);
		toy_timer_stop(sk, &ts->rtx_timer);
		toy_timer_arm(sk, &ts->rtx_timer, jiffies + ts->rto);
	}
drop:
	kfree_skb(skb);
	return 0;
}

/* Step 2, the RST bit (RFC 5961 3.2: only an exact match resets). */
static void toy_rcv_rst(struct sock *sk, u32 seq)
{
	if (seq == toy_sk(sk)->rcv_nxt) {
		trace_toy_reset_recv(sk);
		toy_reset(sk);
	} else {
		toy_challenge_ack(sk);
	}
}

/*
 * Step 4, the SYN bit: in a synchronized state a SYN draws a challenge
 * ACK (RFC 5961 4.2).  In SYN_RECV the peer's SYN again means our
 * SYN-ACK was lost, and a SYN-ACK is the other half of a simultaneous
 * open, whose ACK counts once its SYN is stripped.  True: go on.
 */
static bool toy_rcv_syn(struct sock *sk, struct toy_skb_cb *cb)
{
	if (!(cb->flags & TOY_SYN))
		return true;
	if (sk->sk_state != TCP_SYN_RECV || cb->seq != toy_sk(sk)->irs) {
		toy_challenge_ack(sk);
		return false;
	}
	if (!(cb->flags & TOY_ACK)) {
		toy_send_syn(sk, true);
		return false;
	}
	cb->flags &= ~TOY_SYN;
	cb->seq++;
	return true;
}

/* SYN_RECV of a simultaneous open: the ACK of our SYN completes it. */
static bool toy_rcv_synrecv_ack(struct sock *sk, struct sk_buff *skb,
				u32 ack, u32 window)
{
	struct toy_sock *ts = toy_sk(sk);

	if (ack != ts->snd_nxt) {
		toy_send_reset(sock_net(sk), skb);
		return false;
	}
	toy_snd_una_update(ts, ack);
	ts->snd_wnd = window;
	ts->max_window = window;
	ts->snd_wl1 = TOY_SKB_CB(skb)->seq;
	ts->snd_wl2 = ack;
	toy_established(sk);
	return true;
}

/*
 * The ACK of our FIN moves FIN_WAIT1 to FIN_WAIT2 (an orphan's then
 * lasts net.toy.fin_timeout), CLOSING to TIME_WAIT and LAST_ACK to the
 * end.  True: the connection still takes the segment's text and FIN.
 */
static bool toy_rcv_fin_acked(struct sock *sk)
{
	struct toy_sock *ts = toy_sk(sk);
	int t;

	if (!ts->fin_queued || ts->snd_una != ts->write_seq)
		return true;
	switch (sk->sk_state) {
	case TCP_FIN_WAIT1:
		toy_set_state(sk, TCP_FIN_WAIT2);
		if (!sock_flag(sk, SOCK_DEAD)) {
			sk->sk_state_change(sk);
			return true;
		}
		t = READ_ONCE(toy_pernet(sock_net(sk))->fin_timeout);
		toy_timer_arm(sk, &ts->misc_timer, jiffies + t * HZ);
		return true;
	case TCP_CLOSING:
		toy_time_wait(sk);
		return false;
	case TCP_LAST_ACK:
		toy_done(sk);
		return false;
	}
	return true;
}

/*
 * Step 5, the ACK field: a segment without one is dropped; one that
 * acknowledges what was never sent, or is older than the peer could
 * have seen (RFC 5961 5.2), is dropped, data and all.  True: go on.
 */
static bool toy_rcv_ack(struct sock *sk, struct sk_buff *skb, u32 ack,
			u32 window, const struct toy_options *opt)
{
	struct toy_skb_cb *cb = TOY_SKB_CB(skb);

	if (!(cb->flags & TOY_ACK))
		return false;
	if (sk->sk_state == TCP_SYN_RECV &&
	    !toy_rcv_synrecv_ack(sk, skb, ack, window))
		return false;
	switch (toy_ack_check(sk, ack)) {
	case TOY_ACK_UNSENT:
		return false;
	case TOY_ACK_BLIND:
		toy_challenge_ack(sk);
		return false;
	case TOY_ACK_OK:
		/* Before what it acknowledges sends more: they echo it. */
		toy_ts_store_recent(sk, opt, cb->seq);
		toy_ack_rcvd(sk, ack, cb->seq, window,
			     !skb->len && !(cb->flags & TOY_FIN), opt);
		break;
	}
	return toy_rcv_fin_acked(sk);
}

/**
 * toy_rcv_state() - Process a segment in a synchronized state.
 * @sk: the connection: in a synchronized state, in SYN_RECV of a
 *      simultaneous open, or a child on its first segment (listen.c).
 * @skb: the segment, skb->data at our header; consumed.
 *
 * RFC 9293 3.10.7.4's steps in order (3, security, and 6, URG, have
 * nothing to do here).  Our header is pulled off first: from then on
 * the skb holds only data, and its struct toy_skb_cb says what it was.
 *
 * Context: @sk's socket lock held.
 * Return: 0.
 */
int toy_rcv_state(struct sock *sk, struct sk_buff *skb)
{
	const struct toyhdr *th = toy_hdr(skb);
	struct toy_skb_cb *cb = TOY_SKB_CB(skb);
	struct toy_sock *ts = toy_sk(sk);
	u32 ack = ntohl(th->ack_seq);
	u32 seq = ntohl(th->seq);
	u8 flags = th->flags;
	/* RFC 7323 2.2: a SYN's window is never scaled. */
	u32 window = (u32)ntohs(th->window) <<
		     (flags & TOY_SYN ? 0 : ts->snd_wscale);
	struct toy_options opt;

	toy_parse_options(th, &opt);	/* toy_rcv() found them good */
	/* From here on the skb holds only data; cb says what it was. */
	__skb_pull(skb, toy_hdr_len(th));
	memset(cb, 0, sizeof(*cb));
	cb->seq = seq;
	cb->end_seq = seq + skb->len + !!(flags & TOY_SYN) +
		      !!(flags & TOY_FIN);
	cb->flags = flags;

	if (toy_paws_discard(sk, skb, ack, window, &opt)) {	/* 1 */
		toy_rcv_unacceptable(sk, skb, TOY_MIB_ACKSKIPPEDPAWS);
		goto drop;
	}
	if (!toy_seq_ok(ts, cb->seq, cb->end_seq)) {
		toy_rcv_unacceptable(sk, skb, TOY_MIB_ACKSKIPPEDSEQ);
		goto drop;
	}
	ts->rcv_tstamp = jiffies;
	ts->ka_probes = 0;
	if (cb->flags & TOY_RST) {				/* 2 */
		toy_rcv_rst(sk, cb->seq);
		goto drop;
	}
	if (!toy_rcv_syn(sk, cb) ||				/* 4 */
	    !toy_rcv_ack(sk, skb, ack, window, &opt))		/* 5 */
		goto drop;
	toy_rcv_data(sk, skb);					/* 7, 8 */
	return 0;
drop:
	kfree_skb(skb);
	return 0;
}

/*
 * A segment for @sk, with the socket lock held and not owned by a user
 * (or from the backlog, by the owner).  Consumes @skb.
 */
static int toy_stream_process(struct sock *sk, struct sk_buff *skb)
{
	struct toy_sock *ts = toy_sk(sk);
	/* A GSO packet (loopback passes them up whole) counts each. */
	u16 segs = max_t(u16, 1, skb_shinfo(skb)->gso_segs);

	ts->segs_in += segs;
	if (skb->len > toy_hdr_len(toy_hdr(skb)))
		ts->data_segs_in += segs;
	switch (sk->sk_state) {
	case TCP_LISTEN:
		return toy_listen_rcv(sk, skb);
	case TCP_SYN_SENT:
		return toy_rcv_synsent(sk, skb);
	case TCP_CLOSE:
		kfree_skb(skb);
		return 0;
	default:
		return toy_rcv_state(sk, skb);
	}
}

/**
 * toy_stream_backlog_rcv() - Process a segment from the socket's backlog.
 * @sk: the socket.
 * @skb: the segment, skb->data at our header; consumed.
 *
 * proto.backlog_rcv: the owner runs it in release_sock() with bottom
 * halves enabled.  Segment processing takes locks that softirq takes too
 * (a child's socket lock, a listener's req_lock, table slots), so it
 * runs with bottom halves off, as on the receive path.
 *
 * Context: process context; the caller owns the socket (release_sock()).
 * Return: 0.
 */
int toy_stream_backlog_rcv(struct sock *sk, struct sk_buff *skb)
{
	int ret;

	local_bh_disable();
	ret = toy_stream_process(sk, skb);
	local_bh_enable();
	return ret;
}

/**
 * toy_stream_rcv() - Deliver a segment to what the lookup found.
 * @sk: a socket, half-open entry or TIME_WAIT entry, and the lookup's
 *      reference on it, which is consumed.
 * @skb: the segment, skb->data at our header; consumed.
 *
 * From toy_rcv(), or from an entry that passes the segment on.  A
 * half-open entry takes it to request.c, a TIME_WAIT entry to
 * timewait.c.  A socket processes it under bh_lock_sock(), or, when a
 * user holds it, queues it on its backlog (dropped if that is full).
 *
 * Context: softirq, on the receive path.
 */
void toy_stream_rcv(struct sock *sk, struct sk_buff *skb)
{
	if (toy_is_req(sk)) {
		toy_req_rcv(sk, skb);
		return;
	}
	if (toy_is_tw(sk)) {
		toy_tw_rcv(sk, skb);
		return;
	}
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
