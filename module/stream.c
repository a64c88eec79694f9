// SPDX-License-Identifier: GPL-2.0
/*
 * AF_TOY stream protocol: connection states and timers.
 *
 * The states are TCP's, with TCP's numbers in sk_state (tools read
 * them): CLOSE, LISTEN, SYN_SENT, SYN_RECV, ESTABLISHED, FIN_WAIT1,
 * FIN_WAIT2, CLOSE_WAIT, CLOSING, LAST_ACK, TIME_WAIT.  A listener's
 * half-open entries are not sockets (listen.c); a full socket is in
 * SYN_RECV only after a simultaneous open.
 *
 *   active open   CLOSE -connect/SYN-> SYN_SENT -SYN-ACK/ACK-> ESTABLISHED
 *   simultaneous  SYN_SENT -SYN/SYN-ACK-> SYN_RECV -ACK-> ESTABLISHED
 *   active close  ESTABLISHED -close/FIN-> FIN_WAIT1 -ACK-> FIN_WAIT2
 *                 -FIN/ACK-> TIME_WAIT (an entry, timewait.c) -2 MSL-> gone
 *   simultaneous  FIN_WAIT1 -FIN/ACK-> CLOSING -ACK-> TIME_WAIT
 *   passive close ESTABLISHED -FIN/ACK-> CLOSE_WAIT -close/FIN-> LAST_ACK
 *                 -ACK-> CLOSE
 *
 * Input is input.c's (RFC 9293's steps, RFC 5961's hardening) and
 * reassembly.c's (data and FIN in sequence order).
 *
 * Locking.  The socket lock protects every field of the connection
 * state: lock_sock() in process context; bh_lock_sock() on the receive
 * path and in timers.  When a user holds the socket, the receive path
 * queues the segment on the socket's backlog (processed by
 * toy_stream_backlog_rcv() at release_sock()) and a timer leaves its
 * work to the owner (a bit in toy_sock.deferred, done by
 * toy_stream_release_cb() at release_sock(), as TCP's tcp_release_cb()).
 *
 * Retransmission (tcp_timer.c's part): a timeout in a synchronized
 * state sends again from the first unacknowledged segment (output.c),
 * or probes a closed window; after net.toy.retries2 timeouts in a row
 * the connection fails with ETIMEDOUT, and an orphan has its own limit.
 *
 * Timers.  An armed timer holds a reference on its socket and counts in
 * the "timers" live-object counter; whoever disarms it (del_timer() that
 * found it pending, or the handler itself when it has run) drops both.
 * A handler that runs after the connection ended finds nothing to do
 * and only drops its reference, so the socket, and with it the module,
 * outlives every timer.
 *
 * Orphans.  After close() a connection that still has a FIN to send or
 * to wait for lives on without a file (SOCK_DEAD), referenced by the
 * connection table, the bind bucket and its timers; toy_done() ends it.
 * Every orphan state has a timer that ends it: retransmission (FIN_WAIT1,
 * CLOSING, LAST_ACK) or net.toy.fin_timeout (FIN_WAIT2).  TIME_WAIT is
 * not a socket's state: the socket hands it to a small entry and closes
 * (timewait.c).
 */

#include <linux/jiffies.h>
#include <linux/ktime.h>
#include <linux/random.h>
#include <linux/siphash.h>
#include <net/sock.h>
#include <net/tcp_states.h>

#include "toy.h"

static siphash_key_t toy_isn_secret __read_mostly;
static siphash_key_t toy_ts_secret __read_mostly;

/**
 * toy_stream_init() - Draw the secret keys of toy_isn() and
 * toy_ts_offset(), at module init.
 */
void toy_stream_init(void)
{
	get_random_bytes(&toy_isn_secret, sizeof(toy_isn_secret));
	get_random_bytes(&toy_ts_secret, sizeof(toy_ts_secret));
}

/**
 * toy_isn() - The initial sequence number of a new connection.
 * @saddr: the local address.
 * @sport: the local port.
 * @daddr: the remote address.
 * @dport: the remote port.
 *
 * RFC 6528: ISN = M + F(localip, localport, remoteip, remoteport, key),
 * F being SipHash under the key toy_stream_init() drew.
 *
 * Return: the ISN.
 */
u32 toy_isn(__be32 saddr, __be16 sport, __be32 daddr, __be16 dport)
{
	u32 hash = siphash_3u32((__force u32)saddr, (__force u32)daddr,
				(u32)ntohs(sport) << 16 | ntohs(dport),
				&toy_isn_secret);

	/* M: a clock ticking every 64 ns, as TCP's. */
	return hash + (u32)(ktime_get_real_ns() >> 6);
}

/**
 * toy_ts_offset() - What a connection adds to our timestamp clock.
 * @saddr: the local address.
 * @daddr: the remote address.
 *
 * As secure_tcp_ts_off(): SipHash of the addresses under a key of its
 * own, so the TSvals a peer sees say nothing of our uptime, and all
 * connections between the same two addresses share one clock.
 *
 * Return: the offset.
 */
u32 toy_ts_offset(__be32 saddr, __be32 daddr)
{
	return siphash_2u32((__force u32)saddr, (__force u32)daddr,
			    &toy_ts_secret);
}

/**
 * toy_timer_arm() - Arm one of a socket's timers, or move its expiry.
 * @sk: the socket.
 * @t: its rtx_timer, misc_timer or delack_timer.
 * @expires: when it fires, in jiffies.
 *
 * A timer that was not pending takes a socket reference and counts in
 * the "timers" live-object counter; its handler, or toy_timer_stop(),
 * drops both.  A pending one only gets the new expiry.
 *
 * Context: the socket lock held (or a child not yet in any table).
 */
void toy_timer_arm(struct sock *sk, struct timer_list *t,
		   unsigned long expires)
{
	if (!mod_timer(t, expires)) {
		sock_hold(sk);
		toy_live_inc(TOY_LIVE_TIMER);
	}
}

/**
 * toy_timer_stop() - Disarm one of a socket's timers.
 * @sk: the socket.
 * @t: its rtx_timer, misc_timer or delack_timer.
 *
 * If @t was pending, the socket reference and the live count it held are
 * dropped.  A handler that has already started is not waited for: it
 * drops its own when it is done.
 *
 * Context: the socket lock held; the caller has a reference of its own.
 */
void toy_timer_stop(struct sock *sk, struct timer_list *t)
{
	if (del_timer(t)) {
		toy_live_dec(TOY_LIVE_TIMER);
		__sock_put(sk);
	}
}

/**
 * toy_clear_deferred() - Forget work a timer left to the owner.
 * @sk: the socket.
 * @bit: the TOY_DEFER_* bit of that work.
 *
 * A set bit's socket reference and live count are dropped.
 *
 * Context: the socket lock held; the caller has a reference of its own.
 * Return: true if there was some.
 */
bool toy_clear_deferred(struct sock *sk, int bit)
{
	if (!test_and_clear_bit(bit, &toy_sk(sk)->deferred))
		return false;
	toy_live_dec(TOY_LIVE_TIMER);
	__sock_put(sk);
	return true;
}

/**
 * toy_set_state() - Change a socket's state, as inet_sk_state_store().
 * @sk: the socket.
 * @state: the new state (TCP_*).
 *
 * Every change of a socket's state goes through here, and a stream
 * socket's follows an edge of the state diagram (states.c).
 *
 * Context: the socket lock held; or none for a new child's first state
 * (listen.c), set before anyone else can see the child.
 */
void toy_set_state(struct sock *sk, int state)
{
	if (sk->sk_state == state)
		return;
	/* The state diagram (states.c) is the code's: no other edge. */
	WARN_ONCE(sk->sk_type == SOCK_STREAM &&
		  !toy_state_edge_known(sk->sk_state, state),
		  "AF_TOY: state change %d -> %d not in the diagram\n",
		  sk->sk_state, state);
	trace_toy_state_change(sk, sk->sk_state, state);
	/*
	 * A release, paired with the acquire of toy_state_load() in those
	 * who read the state without the socket lock: what was written
	 * before the change is seen with it.
	 */
	smp_store_release(&sk->sk_state, state);
}

/**
 * toy_done() - The connection is over: refused, reset, timed out, closed.
 * @sk: the socket.
 *
 * Timers off, the data queued to send dropped, out of the connection
 * table, CLOSE and shut down both ways, the port given back unless
 * bind() chose it and a user still has the socket, and whoever waits is
 * woken (to read sk_err, if set).  An orphan goes away when the
 * references of the tables and timers it held are gone.
 *
 * Context: the socket lock held.
 */
void toy_done(struct sock *sk)
{
	toy_stream_stop(sk);
	toy_write_queue_purge(sk);
	toy_unhash(sk);
	toy_set_state(sk, TCP_CLOSE);
	if (sock_flag(sk, SOCK_DEAD) ||
	    !(sk->sk_userlocks & SOCK_BINDPORT_LOCK))
		toy_put_port(sk);
	WRITE_ONCE(sk->sk_shutdown, SHUTDOWN_MASK);
	sk_dst_reset(sk);
	if (sock_flag(sk, SOCK_DEAD))
		return;
	sk->sk_state_change(sk);
	if (READ_ONCE(sk->sk_err))
		sk_error_report(sk);
}

/**
 * toy_established() - The handshake is complete: enter ESTABLISHED.
 * @sk: the socket, in SYN_SENT or SYN_RECV (a simultaneous open).
 *
 * The SYN's retransmission stops; the MSS comes from the route and the
 * peer's option (toy_negotiated_mss());
 * congestion control and, with SO_KEEPALIVE, keepalive start.  From
 * SYN_RECV, a FIN that close() or shutdown() left for now goes out
 * (toy_shutdown_send()).  Unless the socket is an orphan, its user is
 * woken.
 *
 * Context: the socket lock held (the receive path, or the owner
 * processing the backlog).
 */
void toy_established(struct sock *sk)
{
	struct toy_sock *ts = toy_sk(sk);
	bool was_syn_recv = sk->sk_state == TCP_SYN_RECV;

	toy_timer_stop(sk, &ts->rtx_timer);
	toy_clear_deferred(sk, TOY_DEFER_RTX);
	ts->mss = toy_data_mss(ts, toy_negotiated_mss(toy_route_mss(sk),
						      ts->peer_mss,
						      ts->wscale_ok));
	toy_cc_init(sk);
	toy_init_buffer_space(sk);
	ts->retries = 0;
	ts->rcv_tstamp = jiffies;
	ts->lsndtime = jiffies;
	toy_set_state(sk, TCP_ESTABLISHED);
	if (sock_flag(sk, SOCK_KEEPOPEN))
		toy_keepalive(sk, 1);
	/* A FIN that close() or shutdown() left for now. */
	if (was_syn_recv && sk->sk_shutdown & SEND_SHUTDOWN) {
		toy_set_state(sk, TCP_FIN_WAIT1);
		toy_send_fin(sk, GFP_ATOMIC);	/* under the socket spinlock */
	}
	if (!sock_flag(sk, SOCK_DEAD)) {
		sk->sk_state_change(sk);
		sk_wake_async(sk, SOCK_WAKE_IO, POLL_OUT);
	}
}

/* ---- timers ------------------------------------------------------- */

/*
 * How many attempts an orphan gets (tcp_orphan_retries()):
 * net.toy.orphan_retries, where 0 means 8 while the peer may still be
 * alive (the interval has not reached its ceiling) and none after.
 */
static int toy_orphan_retries(const struct sock *sk, bool alive)
{
	int retries = READ_ONCE(toy_pernet(sock_net(sk))->orphan_retries);

	if (READ_ONCE(sk->sk_err_soft) && !alive)
		retries = 0;
	if (!retries && alive)
		retries = 8;
	return retries;
}

/*
 * Attempts in a row without an answer before the connection is given up
 * (tcp_write_timeout()): net.toy.retries2, or for an orphan, which no
 * user waits for, toy_orphan_retries().  @alive: the interval between
 * attempts has not reached its ceiling yet.
 */
static int toy_max_retries(const struct sock *sk, bool alive)
{
	if (sock_flag(sk, SOCK_DEAD))
		return toy_orphan_retries(sk, alive);
	return READ_ONCE(toy_pernet(sock_net(sk))->retries2);
}

/* Give the connection up: the peer never answered (tcp_write_err()). */
static void toy_write_err(struct sock *sk)
{
	WRITE_ONCE(sk->sk_err, READ_ONCE(sk->sk_err_soft) ? : ETIMEDOUT);
	toy_done(sk);		/* which tells the user */
}

/*
 * Data waits but nothing is in flight (tcp_probe_timer()): the peer's
 * window is closed, so probe it, or every transmission failed (no
 * route, a packet too big), so try again.  Each attempt the peer does
 * not answer counts, and toy_max_retries() of them end the connection:
 * no connection waits for ever.  A peer that answers keeps it open as
 * long as it likes (RFC 1122 4.2.2.17), except an orphan's, which may
 * wait only until the interval reaches its ceiling.
 */
static void toy_probe_timer(struct sock *sk)
{
	struct toy_sock *ts = toy_sk(sk);
	bool alive = toy_probe_when(ts) < TOY_RTO_MAX;
	int max = toy_max_retries(sk, alive);

	if ((sock_flag(sk, SOCK_DEAD) && !alive && ts->backoff >= max) ||
	    ts->probes >= max) {
		toy_write_err(sk);
		return;
	}
	ts->probes++;
	/* Perhaps the window is open now; a cork holds no longer. */
	toy_push_with(sk, TOY_PUSH_FORCE);
	if (ts->packets_out)
		return;
	toy_send_probe(sk);
	if (ts->backoff < U8_MAX)
		ts->backoff++;
	toy_timer_arm(sk, &ts->rtx_timer, jiffies + toy_probe_when(ts));
}

/**
 * toy_rtx_expired_data() - The retransmission timer in a synchronized state.
 * @sk: the connection.
 *
 * An orphan over the orphan or memory limits is reset and ended
 * (toy_out_of_resources()).  With nothing in flight but data waiting,
 * this is the probe timer.  Armed as a tail loss probe, the probe goes
 * (tlp.c).  With data in flight, a timeout: once
 * net.toy.retries2 timeouts in a row have passed (an orphan has its own
 * limit), the connection fails with ETIMEDOUT, or the soft error ICMP
 * left; else the window falls to one segment, the RTO doubles, and
 * everything from snd_una is sent again (go-back-N).
 *
 * Context: socket lock held: bh_lock_sock() in the timer, or the owner
 * in release_sock() when the timer deferred it (TOY_DEFER_RTX).
 */
static void toy_rtx_expired_data(struct sock *sk)
{
	struct toy_sock *ts = toy_sk(sk);
	bool loss_probe = ts->rtx_probe;

	ts->rtx_probe = false;
	if (toy_out_of_resources(sk, true))
		return;
	if (!ts->packets_out) {
		if (ts->send_head)
			toy_probe_timer(sk);
		return;
	}
	if (loss_probe && toy_tlp_allowed(ts)) {
		toy_send_loss_probe(sk);
		return;
	}
	if (loss_probe && time_before(jiffies, ts->rto_deadline)) {
		/* No probe now (recovery began): wait for the RTO itself. */
		toy_timer_arm(sk, &ts->rtx_timer, ts->rto_deadline);
		return;
	}
	TOY_INC_STATS(sock_net(sk), TOY_MIB_TIMEOUTS);
	/* Compared before the u8 counts on: retries2 may be 255. */
	if (ts->retries >= toy_max_retries(sk, ts->rto < TOY_RTO_MAX)) {
		toy_write_err(sk);
		return;
	}
	ts->retries++;
	ts->tlp_out = false;
	toy_cc_on_timeout(ts);
	ts->send_head = skb_peek(&sk->sk_write_queue);
	ts->snd_nxt = ts->snd_una;
	ts->packets_out = 0;
	toy_sack_clear(sk);	/* the receiver may have dropped it */
	toy_rto_backoff(ts);
	toy_push(sk);
}

/* The retransmission timer, with the socket lock held (not owned). */
static void toy_rtx_expired(struct sock *sk)
{
	struct toy_sock *ts = toy_sk(sk);
	int max;

	switch (sk->sk_state) {
	case TCP_SYN_SENT:
	case TCP_SYN_RECV:
		max = READ_ONCE(toy_pernet(sock_net(sk))->syn_retries);
		if (ts->retries >= max) {
			WRITE_ONCE(sk->sk_err, ETIMEDOUT);
			TOY_INC_STATS(sock_net(sk), TOY_MIB_ATTEMPTFAILS);
			toy_done(sk);
			return;
		}
		ts->retries++;
		ts->total_retrans++;
		trace_toy_retransmit(sk, ts->iss, 0);
		toy_rto_backoff(ts);
		toy_send_syn(sk, sk->sk_state == TCP_SYN_RECV);
		toy_timer_arm(sk, &ts->rtx_timer, jiffies + ts->rto);
		return;
	case TCP_CLOSE:
	case TCP_LISTEN:
		return;
	default:
		toy_rtx_expired_data(sk);
	}
}

/* Keepalive probes: TCP's tcp_keepalive_timer(), simplified. */
static void toy_keepalive_expired(struct sock *sk)
{
	struct toy_sock *ts = toy_sk(sk);
	unsigned long idle = jiffies - ts->rcv_tstamp;
	unsigned long keepidle = ts->keepidle * HZ;

	if (!sock_flag(sk, SOCK_KEEPOPEN) ||
	    !((1 << sk->sk_state) & (TCPF_ESTABLISHED | TCPF_CLOSE_WAIT)))
		return;
	/* Data in flight: the retransmission timer watches the peer. */
	if (ts->packets_out || ts->send_head) {
		toy_timer_arm(sk, &ts->misc_timer, jiffies + keepidle);
		return;
	}
	if (idle < keepidle && !ts->ka_probes) {
		toy_timer_arm(sk, &ts->misc_timer,
			      jiffies + keepidle - idle);
		return;
	}
	if (ts->ka_probes >= ts->keepcnt) {
		WRITE_ONCE(sk->sk_err, ETIMEDOUT);
		toy_send_active_reset(sk);
		toy_done(sk);
		return;
	}
	ts->ka_probes++;
	toy_send_probe(sk);
	toy_timer_arm(sk, &ts->misc_timer, jiffies + ts->keepintvl * HZ);
}

/* An orphan's FIN_WAIT2 limit, or keepalive. */
static void toy_misc_expired(struct sock *sk)
{
	switch (sk->sk_state) {
	case TCP_FIN_WAIT2:
		/* As TCP when fin_timeout is not longer than TIME_WAIT. */
		if (sock_flag(sk, SOCK_DEAD)) {
			toy_send_active_reset(sk);
			toy_done(sk);
		}
		return;
	default:
		toy_keepalive_expired(sk);
	}
}

static void toy_timer_run(struct sock *sk, int bit,
			  void (*work)(struct sock *sk))
{
	bh_lock_sock(sk);
	if (!sock_owned_by_user(sk)) {
		work(sk);
	} else if (!test_and_set_bit(bit, &toy_sk(sk)->deferred)) {
		/* The owner runs it in release_sock(); that holds a ref. */
		sock_hold(sk);
		toy_live_inc(TOY_LIVE_TIMER);
	}
	bh_unlock_sock(sk);
	toy_live_dec(TOY_LIVE_TIMER);
	sock_put(sk);
}

static void toy_rtx_timer(struct timer_list *t)
{
	struct toy_sock *ts = from_timer(ts, t, rtx_timer);

	toy_timer_run(&ts->sk, TOY_DEFER_RTX, toy_rtx_expired);
}

static void toy_misc_timer(struct timer_list *t)
{
	struct toy_sock *ts = from_timer(ts, t, misc_timer);

	toy_timer_run(&ts->sk, TOY_DEFER_MISC, toy_misc_expired);
}

static void toy_delack_timer(struct timer_list *t)
{
	struct toy_sock *ts = from_timer(ts, t, delack_timer);

	toy_timer_run(&ts->sk, TOY_DEFER_DELACK, toy_delack_expired);
}

/**
 * toy_stream_release_cb() - Do the work timers left to the owner.
 * @sk: the socket.
 *
 * proto.release_cb, as TCP's tcp_release_cb(): release_sock() calls it
 * before giving up ownership.  The work of each TOY_DEFER_* bit that is
 * set (a timer's, or ICMP's lowered path MTU) is done here, and the
 * reference the bit held dropped.
 *
 * Context: release_sock(), with the socket spinlock held and bottom
 * halves off: may not sleep.
 */
void toy_stream_release_cb(struct sock *sk)
{
	struct toy_sock *ts = toy_sk(sk);

	if (test_and_clear_bit(TOY_DEFER_RTX, &ts->deferred)) {
		toy_rtx_expired(sk);
		toy_live_dec(TOY_LIVE_TIMER);
		__sock_put(sk);
	}
	if (test_and_clear_bit(TOY_DEFER_MISC, &ts->deferred)) {
		toy_misc_expired(sk);
		toy_live_dec(TOY_LIVE_TIMER);
		__sock_put(sk);
	}
	if (test_and_clear_bit(TOY_DEFER_MTU, &ts->deferred)) {
		toy_mtu_reduced(sk);
		toy_live_dec(TOY_LIVE_TIMER);
		__sock_put(sk);
	}
	if (test_and_clear_bit(TOY_DEFER_DELACK, &ts->deferred)) {
		toy_delack_expired(sk);
		toy_live_dec(TOY_LIVE_TIMER);
		__sock_put(sk);
	}
}

/**
 * toy_keepalive() - Start or stop keepalive probes.
 * @sk: the socket.
 * @val: nonzero: (re)start the idle wait; 0: stop.
 *
 * proto.keepalive (SO_KEEPALIVE set or cleared); also when TOY_KEEPIDLE
 * changes and when a connection is established.  Only ESTABLISHED and
 * CLOSE_WAIT run it (on the misc timer); in other states this does
 * nothing.
 *
 * Context: the socket lock held (or a child not yet in any table).
 */
void toy_keepalive(struct sock *sk, int val)
{
	struct toy_sock *ts = toy_sk(sk);

	if (!((1 << sk->sk_state) & (TCPF_ESTABLISHED | TCPF_CLOSE_WAIT)))
		return;
	if (val) {
		ts->ka_probes = 0;
		toy_timer_arm(sk, &ts->misc_timer,
			      jiffies + ts->keepidle * HZ);
	} else {
		toy_timer_stop(sk, &ts->misc_timer);
		toy_clear_deferred(sk, TOY_DEFER_MISC);
	}
}

/**
 * toy_stream_init_sock() - Set up what a new stream socket needs.
 * @sk: the socket, new (from socket() or a listener).
 *
 * Its timers, out-of-order queue, keepalive defaults, buffer sizes
 * (net.toy.rmem and wmem), initial receive buffer ratio and listener
 * fields (toy_listen_init()).
 */
void toy_stream_init_sock(struct sock *sk)
{
	struct toy_sock *ts = toy_sk(sk);

	timer_setup(&ts->rtx_timer, toy_rtx_timer, 0);
	timer_setup(&ts->misc_timer, toy_misc_timer, 0);
	timer_setup(&ts->delack_timer, toy_delack_timer, 0);
	skb_queue_head_init(&ts->ooo_queue);
	ts->keepidle = TOY_KEEPIDLE_DEFAULT;
	ts->keepintvl = TOY_KEEPINTVL_DEFAULT;
	ts->keepcnt = TOY_KEEPCNT_DEFAULT;
	ts->scaling_ratio = TOY_DEFAULT_RATIO;
	sk->sk_rcvbuf = READ_ONCE(sysctl_toy_rmem[1]);
	sk->sk_sndbuf = READ_ONCE(sysctl_toy_wmem[1]);
	toy_listen_init(sk);
}

/**
 * toy_stream_connect_start() - Send the SYN of connect().
 * @sk: the socket, in SYN_SENT with its 4-tuple in the connection table.
 * @isn: the ISN, if it took the 4-tuple over from a TIME_WAIT entry; or 0.
 *
 * A clean connection state (toy_conn_reset()), the ISN (toy_isn()'s
 * unless @isn), the options to offer (toy_offer_options()), the SYN sent
 * and the retransmission timer started.
 *
 * Context: lock_sock() held.
 */
void toy_stream_connect_start(struct sock *sk, u32 isn)
{
	struct toy_sock *ts = toy_sk(sk);

	toy_conn_reset(ts);
	ts->iss = isn ? isn : toy_isn(sk->sk_rcv_saddr, htons(sk->sk_num),
				      sk->sk_daddr, sk->sk_dport);
	ts->snd_una = ts->iss;
	ts->snd_nxt = ts->iss + 1;
	ts->snd_max = ts->snd_nxt;
	ts->write_seq = ts->snd_nxt;
	ts->rto = TOY_RTO_INIT;
	ts->syn_us = toy_now_us();
	toy_offer_options(sk);
	sk->sk_err = 0;
	sock_reset_flag(sk, SOCK_DONE);
	TOY_INC_STATS(sock_net(sk), TOY_MIB_ACTIVEOPENS);
	toy_send_syn(sk, false);
	toy_timer_arm(sk, &ts->rtx_timer, jiffies + ts->rto);
}

/**
 * toy_stream_stop() - Disarm every timer and forget deferred work.
 * @sk: the socket.
 *
 * At close, disconnect and the end of the connection.  A handler already
 * running finds the socket in a state with nothing to do, or defers to
 * the owner, whose release_cb then finds nothing to do.
 *
 * Context: the socket lock held; the caller has a reference of its own.
 */
void toy_stream_stop(struct sock *sk)
{
	struct toy_sock *ts = toy_sk(sk);

	toy_timer_stop(sk, &ts->rtx_timer);
	toy_timer_stop(sk, &ts->misc_timer);
	toy_timer_stop(sk, &ts->delack_timer);
	toy_clear_deferred(sk, TOY_DEFER_RTX);
	toy_clear_deferred(sk, TOY_DEFER_MISC);
	toy_clear_deferred(sk, TOY_DEFER_MTU);
	toy_clear_deferred(sk, TOY_DEFER_DELACK);
	ts->ack_pending = false;
}

/**
 * toy_stream_close() - close() of a stream socket, as tcp_close().
 * @sk: the socket.
 * @timeout: SO_LINGER's time, in jiffies; 0: do not wait.
 *
 * A listener stops; a connection in SYN_SENT ends; one with unread data,
 * or SO_LINGER with a zero timeout, is aborted with a reset; otherwise
 * our FIN is queued and the connection closes in the background as an
 * orphan (toy_stream_release()).  With @timeout, wait up to that long
 * for the FIN to be acknowledged first.
 *
 * Context: lock_sock() held; may sleep.
 */
void toy_stream_close(struct sock *sk, long timeout)
{
	struct toy_sock *ts = toy_sk(sk);
	bool unread;

	WRITE_ONCE(sk->sk_shutdown, SHUTDOWN_MASK);
	switch (sk->sk_state) {
	case TCP_CLOSE:
		return;
	case TCP_LISTEN:
		toy_listen_stop(sk);
		return;
	case TCP_SYN_SENT:
		toy_done(sk);
		return;
	}

	unread = ts->rcv_nxt - ts->copied_seq - ts->fin_rcvd > 0;
	__skb_queue_purge(&sk->sk_receive_queue);
	ts->copied_seq = ts->rcv_nxt;

	if (unread || (sock_flag(sk, SOCK_LINGER) && !sk->sk_lingertime)) {
		/* RFC 2525: data the user never read is lost: say so. */
		if (sk->sk_state != TCP_TIME_WAIT)
			toy_send_active_reset(sk);
		toy_done(sk);
		return;
	}
	toy_shutdown_send(sk, SEND_SHUTDOWN);
	if (timeout)
		sk_stream_wait_close(sk, timeout);
}

/**
 * toy_shutdown_send() - Send our FIN if the state allows it.
 * @sk: the socket.
 * @how: sk_shutdown bits; only SEND_SHUTDOWN does anything.
 *
 * For shutdown(SHUT_WR) and close(): ESTABLISHED goes to FIN_WAIT1,
 * CLOSE_WAIT to LAST_ACK, and the FIN follows the data queued before
 * it.  In SYN_RECV (a simultaneous open) the FIN waits for the handshake
 * to complete (RFC 793 3.9, CLOSE in SYN-RECEIVED: "queue for processing
 * after entering ESTABLISHED state"): toy_established() sends it.
 * Until then the SYN's retransmission timer bounds the wait.  Other
 * states send nothing.
 *
 * Context: lock_sock() held; may sleep for the FIN's memory.
 */
void toy_shutdown_send(struct sock *sk, int how)
{
	if (!(how & SEND_SHUTDOWN))
		return;
	switch (sk->sk_state) {
	case TCP_ESTABLISHED:
		toy_set_state(sk, TCP_FIN_WAIT1);
		break;
	case TCP_CLOSE_WAIT:
		toy_set_state(sk, TCP_LAST_ACK);
		break;
	default:
		return;
	}
	toy_send_fin(sk, sk->sk_allocation);	/* process context */
}
