/* SPDX-License-Identifier: GPL-2.0 */
/*
 * AF_TOY internal declarations, shared by the files of toy.ko: the
 * sockets and the entries that stand in for them (this file), the port
 * tables (toy_tables.h), the per-namespace state (toy_net.h) and the
 * wire (toy_wire.h).  Every file includes this one only.
 *
 * Conventions (as in net/mctp): a function whose name starts with "__"
 * expects its caller to hold the lock named in its comment; every lock and
 * reference rule is written next to the data it protects, and the whole
 * lock order and reference list once, in the Implementation notes of
 * af_toy.c.
 */
#ifndef _TOY_H
#define _TOY_H

#include <linux/list.h>
#include <linux/timer.h>
#include <net/sock.h>
#include <net/tcp_states.h>
#include <linux/toy.h>

#include "toy_net.h"
#include "toy_wire.h"
#include "toy_trace.h"

/* Module parameters (af_toy.c); fixed once the module is loaded. */
extern int toy_family;
extern unsigned int toy_ipproto;

/**
 * struct toy_sock - an AF_TOY socket, stream or datagram.
 *
 * @sk: the core socket; must stay the first member (checked at build
 *      time) because the core allocates and frees it by proto->obj_size.
 *      Its addressing lives in the struct sock_common fields that inet
 *      uses, so the names read the same as in TCP:
 *      sk_rcv_saddr (local address, INADDR_ANY the wildcard), sk_num
 *      (local port, host order, 0 when not bound), sk_daddr and sk_dport
 *      (remote address and port, network order), sk_hash (hash of the
 *      listener or connection table the socket is in), sk_node (its
 *      place in that table) and sk_bind_node (in its bind bucket's
 *      owners).  They change only under lock_sock() *and* the slot lock
 *      of the table being changed; a receive-path reader under RCU reads
 *      them with no lock, so writers use WRITE_ONCE where it matters.
 * @tb: the bind bucket that holds the socket's port, or NULL.  Set and
 *      cleared under lock_sock() and the bucket's bind slot lock.
 * @bind_user: the port was taken by bind() or listen()'s automatic bind,
 *      not by connect()'s automatic choice.  Only ports that no bind()
 *      holds are shared by connections to different destinations.
 *
 * The connection state, RFC 793's (3.2) names and meanings, from @iss to
 * @rto zeroed for each attempt (toy_conn_reset()):
 * @iss: initial send sequence number.
 * @snd_una: oldest unacknowledged sequence number.
 * @snd_nxt: next sequence number to send.
 * @snd_max: highest sequence number sent, plus one.
 * @write_seq: end of the data queued by send().
 * @snd_wnd: the window the peer offers.
 * @max_window: the largest window the peer has offered.
 * @snd_wl1: sequence number of the segment of the last window update.
 * @snd_wl2: acknowledgment number of that segment.
 * @irs: initial receive sequence number.
 * @rcv_nxt: next sequence number expected.
 * @copied_seq: next byte recvmsg() reads.
 * @rcv_wnd: the window last advertised.
 * @rcv_wup: @rcv_nxt when that window was advertised.
 * @mss: largest data per segment.
 * @snd_wscale: the peer's window scale: its window fields are shifted
 *      left by this (RFC 7323); 0 without scaling.
 * @rcv_wscale: ours: the windows we send are shifted right by this.
 *      Chosen before our SYN; 0 once the handshake ends unscaled.
 * @wscale_ok: window scaling: offered (SYN_SENT), or agreed by both.
 * @sack_ok: SACK: offered (SYN_SENT), or agreed by both (sack.c).
 * @sacked_out: segments of the write queue the peer SACKed.
 * @lost_out: in SACK recovery, segments taken as lost and not resent
 *      yet (toy_sack_count_lost()).
 * @highest_sack: the right edge of the highest block SACKed.
 * @rack_sent_us: when the latest transmission known to have reached the
 *      peer went (rack.c); meaningful once @rack_seen.
 * @rack_end_seq: the end of that segment.
 * @rack_seen: a segment sent once was SACKed or acknowledged since
 *      recovery began.
 * @rack_fack: the highest data delivered before the ACK being taken.
 * @rack_reord: a segment sent once arrived after one sent later.
 * @sack_recent: the sequence number of the segment last queued out of
 *      order: the block that holds it goes first (RFC 2018 4).
 * @ts_ok: timestamps: offered (SYN_SENT), or agreed by both
 *      (timestamps.c).
 * @ts_off: added to our clock in the TSvals we send.
 * @ts_recent: the peer's TSval we echo, from its latest segment in
 *      sequence.
 * @ts_recent_stamp: when it was taken (ktime_get_seconds(), low 32
 *      bits); 0: none yet.
 * @peer_mss: the MSS option of the peer's SYN; 0: none.
 * @rcv_rtt_us: the receiver's RTT, microseconds; 0: not measured yet.
 * @rcv_rtt_seq: the right edge of the window being timed for it.
 * @rcv_rtt_time_us: when that window was offered (toy_now_us(); 0:
 *      not started).
 * @rcvq_space: bytes the reader took in the last receiver RTT.
 * @rcvq_seq: copied_seq when that RTT began.
 * @rcvq_time_us: when it began.
 * @retries: timeouts in a row (SYN, data).
 * @probes: zero-window probes unanswered in a row.
 * @backoff: zero-window probe interval: @rto << @backoff.
 * @fin_rcvd: the peer's FIN is counted in @rcv_nxt.
 * @fin_queued: our FIN is counted in @write_seq.
 * @in_recovery: in fast recovery (RFC 6582; with SACK, RFC 6675 and
 *      PRR).
 * @rtx_probe: the armed rtx_timer is a tail loss probe's, not an RTO
 *      (tlp.c).
 * @rto_deadline: jiffies when the RTO of what is in flight fires; a
 *      loss probe never goes later.
 * @tlp_out: a loss probe went and no ACK has covered it yet.
 * @tlp_retrans: that probe sent old data again.
 * @tlp_high_seq: snd_nxt when it went.
 * @syn_us: when the SYN went (toy_now_us()), for the first RTT sample.
 * @rcv_tstamp: jiffies of the last segment received (keepalive).
 * @lsndtime: jiffies of the last data sent (idle restart of the window).
 * @last_oow_ack_time: jiffies of the last answer to an unacceptable
 *      segment, to rate-limit them.
 * @ka_probes: keepalive probes unanswered.
 * @rcv_mss: the peer's segment size, as the receiver measures it
 *      (delack.c); 0 before any data.
 * @ack_quick: ACKs still to send at once (quick-ACK mode).
 * @ack_pending: an ACK waits on @delack_timer.
 * @ack_pushed: a short segment arrived since our last ACK.
 * @ack_pingpong: interactive mode: ACKs wait for data to ride on.
 * @ack_ato: how long an ACK may wait, jiffies; 0 before any data.
 * @ack_lrcvtime: jiffies when data last arrived.
 * @snd_sml: the end of the last segment sent shorter than the MSS
 *      (Nagle's algorithm, Minshall's refinement).
 * @bytes_acked: sequence space the peer acknowledged, our SYN and FIN
 *      counted as one byte each, as TCP's (info.c shows these counters).
 * @bytes_received: data bytes received in order.
 * @bytes_sent: data bytes sent, retransmissions included.
 * @bytes_retrans: data bytes sent again.
 * @segs_out: segments sent, each of a GSO packet counted.
 * @segs_in: segments received.
 * @data_segs_out: of @segs_out, those with data.
 * @data_segs_in: of @segs_in, those with data.
 * @total_retrans: segments sent again.
 * @rate_stamp_us: when the present delivery rate interval began
 *      (toy_now_us()); 0: not begun.
 * @rate_acked: @bytes_acked then.
 * @delivery_rate: bytes per second acknowledged over the last interval.
 * @cwnd: congestion window (RFC 5681, with NewReno), in segments.
 * @ssthresh: slow start threshold, in segments.
 * @cwnd_cnt: ACKs counted toward the next increase in congestion
 *      avoidance.
 * @dupacks: duplicate ACKs in a row.
 * @recover: @snd_max when fast recovery began.
 * @packets_out: segments sent and not acknowledged.
 * @recover_fs: @packets_out when SACK recovery began (PRR's RecoverFS).
 * @prr_delivered: segments the peer received since then (RFC 6937).
 * @prr_out: segments sent since then.
 * @srtt_us: smoothed RTT (RFC 6298), microseconds; 0: no sample yet.
 * @rttvar_us: RTT variation, microseconds.
 * @rto: retransmission timeout, jiffies.
 *
 * @send_head: the first skb of sk_write_queue not sent yet (NULL: all
 *      sent).  sk_write_queue holds the data not yet acknowledged, one
 *      skb a segment, in sequence order.
 * @keepidle: TOY_KEEPIDLE, seconds.  The options (SOL_TOY) are under
 *      the socket lock and kept by disconnect.
 * @keepintvl: TOY_KEEPINTVL, seconds.
 * @keepcnt: TOY_KEEPCNT.
 * @nodelay: TOY_NODELAY: Nagle's algorithm off.
 * @cork: TOY_CORK: short segments wait (toy_push_with()).
 * @scaling_ratio: data bytes per byte of receive buffer memory (skb
 *      truesize), in 1/256: measured on every data segment received, it
 *      turns free buffer space into the window we offer
 *      (toy_select_window()).
 * @ooo_queue: received segments beyond @rcv_nxt, in sequence order.
 * @rtx_timer: retransmits (SYN, SYN-ACK, data, FIN), probes a zero window.
 * @misc_timer: ends an orphaned FIN_WAIT_2 and sends keepalive probes.
 * @delack_timer: sends an ACK that waited (delack.c).
 *      Each timer holds a socket reference while armed (stream.c).
 * @deferred: TOY_DEFER_* bits, changed atomically: work a timer left to
 *      the owner of the socket lock.
 * @req_lock: a listener's lock of @reqs and @nr_reqs; it nests outside
 *      the bind and connection slot locks.
 * @reqs: a listener's half-open entries (struct toy_request).
 * @nr_reqs: entries of @reqs.
 * @accept_q: a listener's children whose handshake is complete, oldest
 *      first, each holding the reference accept() hands to the new
 *      socket; under the listener's socket lock.
 * @accept_node: a child's place in its listener's @accept_q.
 * @synq_overflow_ts: when this listener last sent a SYN cookie (32-bit
 *      jiffies, refreshed at most once a second, read and written
 *      without a lock: a lost update only shifts the time by a second).
 * @synflood_warned: the log has said this listener is flooded.
 * @orphan: counted in the orphan counters since close() (mem.c).
 *
 * The connection state, the queues, the options and the listener's
 * fields are under the socket lock (lock_sock() in process context,
 * bh_lock_sock() on the receive path and in timers, which defer to the
 * owner while it holds the socket) unless their line says otherwise.
 *
 * Lifetime: allocated in toy_create(), freed when the last reference to
 * @sk is dropped (sock_put()); toy_sock_destruct() runs then.  Every
 * AF_TOY socket has SOCK_RCU_FREE, so the memory outlives an RCU grace
 * period after the last reference: a reader that found the socket in a
 * table under rcu_read_lock() may look at it and take a reference with
 * refcount_inc_not_zero().  Each table entry holds one reference of its
 * own (sock_hold() at insertion, __sock_put() at removal).
 */
struct toy_sock {
	struct sock		sk;
	struct toy_bind_bucket	*tb;
	bool			bind_user;

	/* Connection state (input.c, output.c, cong.c). */
	u32			iss;
	u32			snd_una;
	u32			snd_nxt;
	u32			snd_max;
	u32			write_seq;
	u32			snd_wnd;
	u32			max_window;
	u32			snd_wl1;
	u32			snd_wl2;
	u32			irs;
	u32			rcv_nxt;
	u32			copied_seq;
	u32			rcv_wnd;
	u32			rcv_wup;
	u16			mss;
	u8			snd_wscale;
	u8			rcv_wscale;
	bool			wscale_ok;
	bool			sack_ok;
	u32			sacked_out;
	u32			lost_out;
	u32			highest_sack;
	u32			rack_sent_us;
	u32			rack_end_seq;
	bool			rack_seen;
	u32			rack_fack;
	bool			rack_reord;
	u32			sack_recent;
	bool			ts_ok;
	u32			ts_off;
	u32			ts_recent;
	u32			ts_recent_stamp;
	u16			peer_mss;
	u32			rcv_rtt_us;
	u32			rcv_rtt_seq;
	u32			rcv_rtt_time_us;
	u32			rcvq_space;
	u32			rcvq_seq;
	u32			rcvq_time_us;
	u8			retries;
	u8			probes;
	u8			backoff;
	bool			fin_rcvd;
	bool			fin_queued;
	bool			in_recovery;
	bool			rtx_probe;
	unsigned long		rto_deadline;
	bool			tlp_out;
	bool			tlp_retrans;
	u32			tlp_high_seq;
	u32			syn_us;
	unsigned long		rcv_tstamp;
	unsigned long		lsndtime;
	u32			last_oow_ack_time;
	u8			ka_probes;
	u16			rcv_mss;
	u8			ack_quick;
	bool			ack_pending;
	bool			ack_pushed;
	bool			ack_pingpong;
	u32			ack_ato;
	unsigned long		ack_lrcvtime;
	u32			snd_sml;

	/* Counters (TOY_INFO, sock_diag). */
	u64			bytes_acked;
	u64			bytes_received;
	u64			bytes_sent;
	u64			bytes_retrans;
	u32			segs_out;
	u32			segs_in;
	u32			data_segs_out;
	u32			data_segs_in;
	u32			total_retrans;
	u32			rate_stamp_us;
	u64			rate_acked;
	u64			delivery_rate;

	/* Congestion control and RTT estimation (cong.c). */
	u32			cwnd;
	u32			ssthresh;
	u32			cwnd_cnt;
	u32			dupacks;
	u32			recover;
	u32			packets_out;
	u32			recover_fs;
	u32			prr_delivered;
	u32			prr_out;
	u32			srtt_us;
	u32			rttvar_us;
	unsigned long		rto;

	/* Queues and options. */
	struct sk_buff		*send_head;
	u16			keepidle;
	u16			keepintvl;
	u8			keepcnt;
	bool			nodelay;
	bool			cork;
	u8			scaling_ratio;
	struct sk_buff_head	ooo_queue;

	/* Timers (stream.c). */
	struct timer_list	rtx_timer;
	struct timer_list	misc_timer;
	struct timer_list	delack_timer;
	unsigned long		deferred;

	/* Listener (listen.c, request.c, syncookies.c). */
	spinlock_t		req_lock;
	struct hlist_head	reqs;
	u32			nr_reqs;
	struct list_head	accept_q;
	struct list_head	accept_node;
	unsigned int		synq_overflow_ts;
	u8			synflood_warned;

	bool			orphan;
};

/*
 * The most data a segment of @ts carries, for an MSS from a route or a
 * peer: options count against it (RFC 6691), and with timestamps every
 * segment has 12 bytes of them.
 */
static inline u16 toy_data_mss(const struct toy_sock *ts, u16 mss)
{
	return ts->ts_ok ? mss - TOY_OLEN_TSTAMP_ALIGNED : mss;
}

/* Keepalive (TOY_KEEPIDLE and friends): TCP's defaults and bounds. */
#define TOY_KEEPIDLE_DEFAULT	7200	/* seconds */
#define TOY_KEEPINTVL_DEFAULT	75	/* seconds */
#define TOY_KEEPCNT_DEFAULT	9
#define TOY_KEEP_TIME_MAX	32767	/* MAX_TCP_KEEPIDLE, seconds */
#define TOY_KEEPCNT_MAX		127	/* MAX_TCP_KEEPCNT */

/* A new connection attempt starts from a clean connection state. */
static inline void toy_conn_reset(struct toy_sock *ts)
{
	memset((u8 *)ts + offsetof(struct toy_sock, iss), 0,
	       offsetofend(struct toy_sock, rto) -
	       offsetof(struct toy_sock, iss));
}

/*
 * Work a timer (or an ICMP error) found it could not do because a user
 * held the socket; the owner does it in release_sock()
 * (proto.release_cb).  A set bit holds a socket reference and counts as
 * a live timer, like the timer itself.
 */
enum {
	TOY_DEFER_RTX,		/* the retransmission timer fired */
	TOY_DEFER_MISC,		/* the misc timer fired */
	TOY_DEFER_MTU,		/* ICMP lowered the path MTU (wire.c) */
	TOY_DEFER_DELACK,	/* the delayed-ACK timer fired */
};

/**
 * struct toy_request - a half-open connection (SYN_RECEIVED) of a
 * listener: what the SYN said and what our SYN-ACK said, nothing more.
 * A full socket is made only when the handshake completes.
 *
 * @common: first, so the entry sits in the connection table like a
 *      socket, as TCP's request_sock does: the 4-tuple, the netns, the
 *      refcount, and skc_state TCP_NEW_SYN_RECV, which tells a reader
 *      it found a request and not a socket.
 * @listener: holds a reference on the listener.
 * @lnode: in the listener's @reqs, under its req_lock.  An entry is on
 *      that list exactly while it is in the connection table: both
 *      change together under req_lock.
 * @timer: retransmits the SYN-ACK; holds a reference while armed.
 * @rcu: frees the entry after a grace period.
 * @iss: our initial sequence number (the SYN-ACK's).
 * @irs: the peer's initial sequence number (the SYN's).
 * @mss: the MSS option of the SYN (0: none), or the cookie's MSS.
 * @snd_wscale: the window scale option of the SYN.
 * @rcv_wscale: the one our SYN-ACK offers.
 * @wscale_ok: both SYNs carry one: the connection scales its windows.
 * @sack_ok: both SYNs carry SACK permitted.
 * @ts_ok: both SYNs carry timestamps.
 * @ts_recent: the TSval of the SYN, which the SYN-ACK echoes.
 * @retries: SYN-ACKs sent again.
 * @synack_us: when the first SYN-ACK went (toy_now_us()), for the
 *      child's first RTT sample; 0: none (a SYN-ACK sent again).
 * @rcv_wnd: the window our SYN-ACK offers (a SYN's: never scaled).
 * @last_oow_ack: jiffies of the last answer to a segment out of the
 *      window, to rate-limit them.
 *
 * References: the connection table, the armed timer, and each user
 * (a lookup) hold one; the last toy_req_put() frees it after an RCU
 * grace period, so a lookup under RCU may still look at it.
 */
struct toy_request {
	struct sock_common	common;
	struct sock		*listener;
	struct hlist_node	lnode;
	struct timer_list	timer;
	struct rcu_head		rcu;
	u32			iss;
	u32			irs;
	u16			mss;
	u8			snd_wscale;
	u8			rcv_wscale;
	bool			wscale_ok;
	bool			sack_ok;
	bool			ts_ok;
	u32			ts_recent;
	u8			retries;
	u16			rcv_wnd;
	u32			last_oow_ack;
	u32			synack_us;
};

static inline struct sock *toy_req_sk(struct toy_request *req)
{
	return (struct sock *)req;
}

static inline struct toy_request *toy_req(struct sock *sk)
{
	return (struct toy_request *)sk;
}

/**
 * struct toy_tw - a connection in TIME_WAIT (timewait.c): what is left
 * of the socket of the side that closed first once the full socket is
 * gone, as TCP's tcp_timewait_sock (264 bytes on 6.1; the load message
 * prints this one's size).
 *
 * @common: first, so the entry sits in the connection table (by
 *      skc_nulls_node) and in its port's bind bucket (by skc_bind_node)
 *      like a socket: the 4-tuple, the netns (not a counted reference:
 *      the namespace's exit purges its entries), the refcount,
 *      skc_reuse/skc_reuseport for bind(), and skc_state TCP_TIME_WAIT,
 *      which tells a reader it found an entry and not a socket.
 * @tb: the bind bucket, or NULL once it left it; under the bind slot
 *      lock.
 * @rcu: frees the entry after a grace period.
 * @timer: ends the entry after 2 x msl_ms.  Armed under the bind and
 *      connection slot locks before anyone else can see the entry, so
 *      whoever unhashes an entry and then stops the timer with
 *      del_timer_sync() knows no handler will run afterwards.
 * @created: jiffies when it was made (tw_reuse wants it a second old).
 * @snd_nxt: our next sequence number, to ACK a retransmitted FIN again.
 * @rcv_nxt: the peer's next one: the same ACK, and an initial sequence
 *      number beyond the old connection's for a new one that takes the
 *      4-tuple over.
 * @last_oow_ack_time: jiffies of the last answer, to rate-limit them.
 * @mark: fwmark of the socket, the routing context of those ACKs.
 * @priority: its skb priority, likewise.
 * @uid: its owner, for uid routing rules, likewise.
 * @rcv_wnd: the window field of those ACKs (scaled, if the connection
 *      scaled its windows).
 * @bind_user: the socket's port came from bind().
 * @ts_ok: the connection carried timestamps: so do those ACKs, and a
 *      new SYN with a later TSval may take the 4-tuple over.
 * @ts_off: the connection's offset to our clock, for their TSvals.
 * @ts_recent: the peer's latest TSval, which they echo and PAWS checks.
 * @ts_recent_stamp: when it came (seconds, as the socket's).
 *
 * References: the connection table, the bind bucket and the armed timer
 * hold one each, and so does each user (a lookup); the last
 * toy_tw_put() frees it after an RCU grace period.
 */
struct toy_tw {
	struct sock_common	common;
	struct toy_bind_bucket	*tb;
	struct timer_list	timer;
	struct rcu_head		rcu;
	unsigned long		created;
	u32			snd_nxt;
	u32			rcv_nxt;
	u32			last_oow_ack_time;
	u32			mark;
	u32			priority;
	kuid_t			uid;
	u16			rcv_wnd;
	bool			bind_user;
	bool			ts_ok;
	u32			ts_off;
	u32			ts_recent;
	u32			ts_recent_stamp;
};

static inline struct sock *toy_tw_sk(struct toy_tw *tw)
{
	return (struct sock *)tw;
}

static inline struct toy_tw *toy_tw(struct sock *sk)
{
	return (struct toy_tw *)sk;
}

/**
 * struct toy_skb_cb - a segment's state in skb->cb.
 * @seq: first sequence number.
 * @end_seq: @seq + data + SYN + FIN.
 * @sent_us: when our segment was last sent (toy_now_us()), for RTT
 *      samples.
 * @flags: the control flags it carries (TOY_SYN, TOY_FIN ...).
 * @retrans: sent more than once: no RTT sample from it (Karn's rule).
 * @sacked: the peer holds it (a SACK block covers it all).
 * @rexmit: retransmitted in the present fast recovery.
 * @tw_isn: a SYN that takes over a TIME_WAIT 4-tuple: the initial
 *      sequence number the new connection must use (beyond the old
 *      one's); 0: none.  Set by the receive path before the listener
 *      sees the SYN.
 * @dif: where a received segment arrived: inet_iif(), or the VRF of a
 *      VRF slave.
 * @sdif: inet_sdif(): the VRF slave's index; 0: none.
 *
 * toy_rcv() keeps @dif and @sdif here because this struct overwrites
 * IPCB, as TCP keeps them in TCP_SKB_CB; the lookups match them against
 * SO_BINDTODEVICE.
 */
struct toy_skb_cb {
	u32	seq;
	u32	end_seq;
	u32	sent_us;
	u8	flags;
	u8	retrans;
	u8	sacked:1,
		rexmit:1;
	u32	tw_isn;
	int	dif;
	int	sdif;
};

#define TOY_SKB_CB(skb)	((struct toy_skb_cb *)&((skb)->cb[0]))

/* Sequence number arithmetic, modulo 2^32 (RFC 793 3.3). */
static inline bool toy_before(u32 a, u32 b)
{
	return (s32)(a - b) < 0;
}

static inline bool toy_after(u32 a, u32 b)
{
	return toy_before(b, a);
}

/* Is @sk a request (a half-open entry), not a full socket? */
static inline bool toy_is_req(const struct sock *sk)
{
	return READ_ONCE(sk->sk_state) == TCP_NEW_SYN_RECV;
}

/*
 * Is @sk a TIME_WAIT entry, not a full socket?  A full socket never is
 * in TIME_WAIT: it hands the state to an entry and closes.
 */
static inline bool toy_is_tw(const struct sock *sk)
{
	return READ_ONCE(sk->sk_state) == TCP_TIME_WAIT;
}

/* A full socket, not an entry that only looks like one. */
static inline bool toy_is_full(const struct sock *sk)
{
	return !toy_is_req(sk) && !toy_is_tw(sk);
}

static inline struct toyhdr *toy_hdr(const struct sk_buff *skb)
{
	return (struct toyhdr *)skb_transport_header(skb);
}

static inline struct toy_sock *toy_sk(const struct sock *sk)
{
	return (struct toy_sock *)sk;
}

/* af_toy.c: what every AF_TOY socket shares. */
void toy_sock_setup(struct sock *sk);
void toy_sock_count_new(struct sock *sk);
void toy_sock_count_gone(struct sock *sk);
int toy_addr_check(const struct sock *sk, const struct sockaddr *uaddr,
		   int addr_len);
int toy_shutdown(struct socket *sock, int how);
int toy_release(struct socket *sock);
int toy_bind(struct socket *sock, struct sockaddr *uaddr, int addr_len);
int toy_getname(struct socket *sock, struct sockaddr *uaddr, int peer);
int toy_setsockopt(struct socket *sock, int level, int optname,
		   sockptr_t optval, unsigned int optlen);
int toy_getsockopt(struct socket *sock, int level, int optname,
		   char __user *optval, int __user *optlen);

/* stream.c: the stream protocol's states and timers. */
void toy_stream_init(void);
void toy_stream_init_sock(struct sock *sk);
void toy_stream_connect_start(struct sock *sk, u32 isn);
void toy_stream_stop(struct sock *sk);
void toy_stream_release_cb(struct sock *sk);
u32 toy_isn(__be32 saddr, __be16 sport, __be32 daddr, __be16 dport);
u32 toy_ts_offset(__be32 saddr, __be32 daddr);
void toy_timer_arm(struct sock *sk, struct timer_list *t,
		   unsigned long expires);
void toy_timer_stop(struct sock *sk, struct timer_list *t);
void toy_done(struct sock *sk);
void toy_set_state(struct sock *sk, int state);

/* A socket's state, read without its lock (inet_sk_state_load()). */
static inline int toy_state_load(const struct sock *sk)
{
	/* Pairs with the release in toy_set_state(). */
	return smp_load_acquire(&sk->sk_state);
}

/* states.c: the state diagram, one table. */
enum toy_edge_by {
	TOY_EDGE_SOCKET,	/* the socket itself changes state */
	TOY_EDGE_REQUEST,	/* a request entry holds the new state */
	TOY_EDGE_TIMEWAIT,	/* a TIME_WAIT entry holds it */
};

/**
 * struct toy_state_edge - One edge of the state diagram.
 * @from: the state left (TCP_*).
 * @to: the state entered.
 * @by: who holds @to afterwards (enum toy_edge_by).
 * @event: what takes the edge, and what the module sends then.
 */
struct toy_state_edge {
	u8		from;
	u8		to;
	u8		by;
	const char	*event;
};

const struct toy_state_edge *toy_state_edges_get(unsigned int *n);
bool toy_state_edge_known(int from, int to);
void toy_states_debugfs_init(struct dentry *dir);

void toy_stream_close(struct sock *sk, long timeout);
void toy_shutdown_send(struct sock *sk, int how);
void toy_established(struct sock *sk);
void toy_keepalive(struct sock *sk, int val);
bool toy_clear_deferred(struct sock *sk, int bit);

/* input.c: a segment's arrival at a connection (RFC 9293 3.10.7). */
void toy_stream_rcv(struct sock *sk, struct sk_buff *skb);
int toy_stream_backlog_rcv(struct sock *sk, struct sk_buff *skb);
int toy_rcv_state(struct sock *sk, struct sk_buff *skb);
void toy_reset(struct sock *sk);

/* delack.c: when to acknowledge data, now or a little later. */
void toy_enter_quickack_mode(struct sock *sk);
void toy_delack_data_rcvd(struct sock *sk, unsigned int len);
void toy_ack_snd_check(struct sock *sk, bool now);
void toy_delack_ack_sent(struct sock *sk);
void toy_delack_data_sent(struct sock *sk);
void toy_delack_expired(struct sock *sk);
bool toy_delack_after_read(struct sock *sk);
void toy_set_quickack(struct sock *sk, int val);

/* sack.c: SACK blocks, sent and received (RFC 2018). */
void toy_sack_fill(struct sock *sk, struct toy_seg *seg);
u32 toy_sack_rcvd(struct sock *sk, const struct toy_options *opt);
void toy_sack_clear(struct sock *sk);
void toy_sack_recovery_start(struct sock *sk);
struct sk_buff *toy_sack_next_hole(struct sock *sk, struct sk_buff *from);
void toy_sack_count_lost(struct sock *sk);

/* rack.c: resent segments lost again (RFC 8985). */
void toy_rack_reset(struct toy_sock *ts);
void toy_rack_ack_begin(struct toy_sock *ts);
void toy_rack_delivered(struct toy_sock *ts, const struct toy_skb_cb *cb);
void toy_rack_detect_lost(struct sock *sk);

/* timestamps.c: the timestamps option, RTT from it, and PAWS. */
u32 toy_ts_clock(void);
u32 toy_ts_seconds(void);
void toy_seg_set_ts(struct toy_seg *seg, u32 off, u32 ecr);
void toy_ts_fill(const struct sock *sk, struct toy_seg *seg);
bool toy_paws_old(u32 recent, u32 stamp, u32 tsval, u32 win);
bool toy_paws_discard(struct sock *sk, const struct sk_buff *skb, u32 ack,
		      u32 window, const struct toy_options *opt);
void toy_ts_store_recent(struct sock *sk, const struct toy_options *opt,
			 u32 seq);
u32 toy_ts_rtt_us(const struct sock *sk, const struct toy_options *opt);
bool toy_ts_synack_ok(struct sock *sk, const struct toy_options *opt);

/* tlp.c: the tail loss probe. */
bool toy_tlp_allowed(const struct toy_sock *ts);
void toy_arm_rto(struct sock *sk);
void toy_schedule_loss_probe(struct sock *sk);
void toy_send_loss_probe(struct sock *sk);
void toy_tlp_ack(struct sock *sk, u32 ack);
int toy_retransmit(struct sock *sk, struct sk_buff *skb);

/**
 * struct toy_gso_run - the data of a run of segments in one packet so far
 *      (gso.c), while output.c gathers the run.
 * @page: the page of the packet's last fragment.
 * @end: where that fragment ends in its page: data that starts there
 *      joins it.
 * @frags: the packet's fragments, at most MAX_SKB_FRAGS.
 */
struct toy_gso_run {
	struct page	*page;
	unsigned int	end;
	unsigned int	frags;
};

u32 toy_gso_max_segs(const struct net_device *dev, u16 mss);
bool toy_gso_run_add(struct toy_gso_run *run, const struct sk_buff *skb);
struct sk_buff *toy_gso_build(struct sk_buff *first, u32 n, u16 mss);
void toy_gso_init(void);
void toy_gso_exit(void);

/* options.c: what the SYNs say, for a connection. */
void toy_offer_options(struct sock *sk);
void toy_take_syn_options(struct toy_sock *ts, const struct toy_options *opt);
void toy_req_take_options(struct toy_request *req, const struct sock *l,
			  const struct toy_options *opt);

/* reassembly.c: the text and FIN of acceptable segments, in order. */
void toy_rcv_data(struct sock *sk, struct sk_buff *skb);
u32 toy_receive_window(const struct toy_sock *ts);
u32 toy_space_window(const struct sock *sk);
/* Segments shorter than this say little about an skb's overhead. */
#define TOY_MIN_RATIO_LEN	536
#define TOY_DEFAULT_RATIO	128	/* half: until a segment says more */
void toy_measure_ratio(struct sock *sk, const struct sk_buff *skb);
u16 toy_select_window(struct sock *sk, bool syn);
void toy_init_buffer_space(struct sock *sk);
void toy_rcv_space_adjust(struct sock *sk);
u8 toy_choose_wscale(const struct sock *sk);

/* timewait.c: TIME_WAIT entries. */
int toy_tw_init(void);
void toy_tw_exit(void);
void toy_time_wait(struct sock *sk);
void toy_tw_rcv(struct sock *sk, struct sk_buff *skb);
void toy_tw_put(struct toy_tw *tw);
bool toy_tw_deschedule_put(struct toy_tw *tw);
void __toy_tw_bind_unhash(struct toy_tw *tw);
bool __toy_tw_ehash_unhash(struct toy_tw *tw);
void toy_tw_purge_net(struct net *net);
u32 toy_tw_isn(const struct toy_tw *tw);
bool toy_tw_unique(const struct toy_tw *tw);

/* output.c: segments out, the write queue, retransmission. */
u16 toy_route_mss(struct sock *sk);
void toy_send_syn(struct sock *sk, bool ack);
void toy_send_ack(struct sock *sk);
void toy_send_active_reset(struct sock *sk);
void toy_send_fin(struct sock *sk, gfp_t gfp);
void toy_push(struct sock *sk);
enum toy_push_how { TOY_PUSH_NAGLE, TOY_PUSH_MORE, TOY_PUSH_FORCE };
/* A long write sends what it queued every so many bytes, and at its end. */
#define TOY_PUSH_EVERY	65536U
void toy_push_with(struct sock *sk, enum toy_push_how how);
void toy_set_nodelay(struct sock *sk, bool on);
void toy_set_cork(struct sock *sk, bool on);
enum { TOY_ACK_OK, TOY_ACK_OLD, TOY_ACK_BLIND, TOY_ACK_UNSENT };
int toy_ack_check(const struct sock *sk, u32 ack);
void toy_ack_rcvd(struct sock *sk, u32 ack, u32 seq, u32 window,
		  bool pure, const struct toy_options *opt);
unsigned long toy_probe_when(const struct toy_sock *ts);
bool toy_oow_rate_limited(struct net *net, u32 *last_time, int mib);
void toy_write_queue_purge(struct sock *sk);
void toy_free_queued(struct sock *sk, struct sk_buff *skb);
void toy_send_probe(struct sock *sk);

/* cong.c: RTT, RTO and the congestion window (RFC 6298, 5681, 6582). */
#define TOY_INIT_CWND	10	/* RFC 6928's initial window */
/*
 * The congestion window's ceiling, in segments, and ssthresh before the
 * first loss.  As good as none, as TCP's: the send buffer
 * (net.toy.wmem) bounds what is in flight long before.
 */
#define TOY_MAX_CWND	65535
#define TOY_RTO_INIT	HZ		/* before any RTT sample */
#define TOY_RTO_MIN	(HZ / 5)
#define TOY_RTO_MAX	(120 * HZ)	/* TCP's ceiling */

u32 toy_now_us(void);
unsigned long toy_calc_rto(const struct toy_sock *ts);
void toy_rtt_sample(struct sock *sk, u32 rtt_us);
void toy_rto_backoff(struct toy_sock *ts);
void toy_cc_init(struct sock *sk);
bool toy_cc_on_dupack(struct sock *sk);
void toy_cc_prr(struct sock *sk, u32 delivered);
bool toy_cc_on_ack(struct sock *sk, u32 ack, u32 acked);
void toy_cc_on_timeout(struct toy_sock *ts);
void toy_cc_on_tlp_repair(struct toy_sock *ts);
u32 toy_cc_send_limit(struct toy_sock *ts);
void toy_write_space(struct sock *sk);
u16 toy_current_mss(struct sock *sk);
void toy_mtu_reduced(struct sock *sk);

/* listen.c: the passive side. */
void toy_listen_init(struct sock *sk);
int toy_listen_rcv(struct sock *sk, struct sk_buff *skb);
void toy_listen_stop(struct sock *sk);
int toy_accept(struct socket *sock, struct socket *newsock, int flags,
	       bool kern);

/* request.c: half-open entries.  "__": the caller holds req_lock. */
struct toy_request *toy_req_alloc(struct sock *sk, struct sk_buff *skb);
int toy_req_start(struct toy_request *req);
int __toy_req_insert(struct toy_request *req);
void __toy_req_unlist(struct toy_request *req);
void __toy_req_unlink(struct toy_request *req);
void toy_req_stop_timer(struct toy_request *req);
bool toy_req_drop(struct toy_request *req);
void toy_req_put(struct toy_request *req);
void toy_req_rcv(struct sock *reqsk, struct sk_buff *skb);
void toy_send_synack(struct toy_request *req);
u16 toy_synack_window(const struct sock *l);

/* A reference from a lookup: a socket's or a request's. */
static inline void toy_sk_put(struct sock *sk)
{
	if (toy_is_req(sk))
		toy_req_put(toy_req(sk));
	else if (toy_is_tw(sk))
		toy_tw_put(toy_tw(sk));
	else
		sock_put(sk);
}

/* stream_ops.c: the socket calls of a stream socket. */
int toy_stream_sendmsg(struct socket *sock, struct msghdr *msg, size_t len);
int toy_stream_recvmsg(struct socket *sock, struct msghdr *msg, size_t len,
		       int flags);
__poll_t toy_stream_poll(struct file *file, struct socket *sock,
			 poll_table *wait);
int toy_stream_ioctl(struct socket *sock, unsigned int cmd,
		     unsigned long arg);
extern const struct proto_ops toy_stream_ops;

/* connect.c: the calls that make and end stream connections. */
int toy_listen(struct socket *sock, int backlog);
int toy_stream_connect(struct socket *sock, struct sockaddr *uaddr,
		       int addr_len, int flags);
int toy_stream_shutdown(struct socket *sock, int how);
void toy_stream_release(struct sock *sk);

/* dgram.c: the socket calls of a datagram socket, and its input. */
int toy_dgram_connect(struct socket *sock, struct sockaddr *uaddr,
		      int addr_len, int flags);
int toy_dgram_sendmsg(struct socket *sock, struct msghdr *msg, size_t len);
int toy_dgram_recvmsg(struct socket *sock, struct msghdr *msg, size_t len,
		      int flags);
int toy_dgram_ioctl(struct socket *sock, unsigned int cmd, unsigned long arg);
extern const struct proto_ops toy_dgram_ops;
int toy_dgram_shutdown(struct sock *sk, int how);
void toy_dgram_rcv(struct net *net, struct sk_buff *skb);
void toy_dgram_unreach(struct net *net, struct sk_buff *skb);
struct sock *toy_lookup_dgram(struct net *net, __be32 saddr, __be16 sport,
			      __be32 daddr, __be16 dport, int dif, int sdif);

/* info.c: what TOY_INFO and sock_diag tell about a connection. */
void toy_snd_una_update(struct toy_sock *ts, u32 ack);
void toy_count_sent(struct sock *sk, const struct sk_buff *skb,
		    unsigned int len);
void toy_count_retrans(struct sock *sk, const struct sk_buff *skb);
void toy_rate_sample(struct toy_sock *ts);
void toy_get_info(struct sock *sk, struct toy_info *info);

/* diag.c: the sock_diag handler (ss for AF_TOY). */
int toy_diag_init(void);
void toy_diag_exit(void);

/* debugfs.c: /sys/kernel/debug/toy/: lookup (the receive-path demux), states. */
int toy_debugfs_init(void);
void toy_debugfs_exit(void);

/* proc.c: /proc/net files of one namespace. */
int toy_proc_init_net(struct net *net);
void toy_proc_exit_net(struct net *net);

/* syncookies.c: SYN cookies, as TCP's (net/ipv4/syncookies.c). */
bool toy_syn_flood_action(struct sock *sk);
u32 toy_cookie_init_sequence(struct sock *sk, struct sk_buff *skb);
u16 toy_cookie_check(struct sock *sk, struct sk_buff *skb);
void toy_cookie_synack_options(struct sock *sk, struct sk_buff *skb,
			       struct toy_seg *seg);
bool toy_cookie_take_options(struct sock *sk, struct sk_buff *skb,
			     struct toy_request *req);
void toy_cookie_listen_init(struct sock *sk);
/*
 * mem.c: memory accounting of both protocols (as TCP's and UDP's), the
 * orphan limit.  The struct proto of each (stream_ops.c, dgram.c)
 * points at these.
 */
extern struct proto toy_stream_prot;
extern struct proto toy_dgram_prot;
extern atomic_long_t toy_memory_allocated;
DECLARE_PER_CPU(int, toy_memory_per_cpu_fw_alloc);
extern struct percpu_counter toy_sockets_allocated;
extern unsigned long toy_memory_pressure;
extern long sysctl_toy_mem[3];
extern atomic_long_t toy_dgram_memory_allocated;
DECLARE_PER_CPU(int, toy_dgram_memory_per_cpu_fw_alloc);
extern struct percpu_counter toy_dgram_sockets_allocated;
extern unsigned long toy_dgram_memory_pressure;
extern long sysctl_toy_dgram_mem[3];
extern int sysctl_toy_rmem_min[1];
extern int sysctl_toy_wmem_min[1];
extern int sysctl_toy_rmem[3];
extern int sysctl_toy_wmem[3];
int toy_mem_init(void);
void toy_mem_exit(void);
void toy_sndbuf_expand(struct sock *sk);
void toy_enter_memory_pressure(struct sock *sk);
void toy_leave_memory_pressure(struct sock *sk);
long toy_mem_pages(const struct proto *prot);
s64 toy_orphans_sum(void);
void toy_mem_sock_init(struct sock *sk);
void toy_mem_sock_destruct(struct sock *sk);
void toy_mem_child_init(struct sock *child, const struct sock *listener);
void toy_wmem_charge_forced(struct sock *sk, struct sk_buff *skb);
void toy_orphan_add(struct sock *sk);
bool toy_out_of_resources(struct sock *sk, bool do_reset);

/* sysctl.c: the sysctls of init_net only (net.toy.mem, dgram_mem). */
int toy_sysctl_global_init(void);
void toy_sysctl_global_exit(void);

/*
 * Pure rules that the KUnit suites (module/kunit/) call directly, each
 * defined next to its caller.  They touch no table and no lock, only
 * their arguments, so a test can feed them fake sockets.
 */
/* input.c: RFC 793's acceptability test of a segment. */
bool toy_seq_ok(const struct toy_sock *ts, u32 seq, u32 end_seq);
/* request.c: the same for a segment to a half-open entry. */
bool toy_req_in_window(u32 seq, u32 end_seq, u32 s_win, u32 e_win);
/* bind.c: who may share a port. */
bool toy_bind_conflict(const struct sock *sk, __be32 addr,
		       const struct sock *sk2, bool relax);
/* lookup.c, dgram.c: who receives a segment, a datagram. */
int toy_listener_score(const struct sock *sk, const struct net *net,
		       __be32 addr, u16 hnum, int dif, int sdif);
int toy_dgram_score(const struct sock *sk, __be32 saddr, __be16 sport,
		    __be32 daddr, u16 hnum, int dif, int sdif);

#endif /* _TOY_H */
