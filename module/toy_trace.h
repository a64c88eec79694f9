/* SPDX-License-Identifier: GPL-2.0 */
/*
 * AF_TOY tracepoints, system "toy": /sys/kernel/tracing/events/toy/,
 * trace-cmd record -e toy, bpftrace -e 'tracepoint:toy:* { ... }'.
 *
 *   toy_state_change     a socket changes state (toy_set_state())
 *   toy_segment_send     a packet leaves (toy_ip_out()): every segment,
 *                        datagram and unreachable answer, sockets' or not
 *   toy_segment_recv     a packet with a good checksum arrives (toy_rcv())
 *   toy_retransmit       a connection sends a segment again
 *   toy_reset_send       a reset leaves
 *   toy_reset_recv       a connection takes a reset
 *   toy_timewait_enter   a connection's TIME_WAIT entry starts
 *   toy_timewait_leave   it leaves the connection table (expired, taken
 *                        over by a new connection, or purged)
 *   toy_connect_port     connect() chose an ephemeral port
 *   toy_syncookie_send   a listener answers a SYN with a cookie
 *   toy_syncookie_accept an ACK brought a good cookie back
 *
 * Addresses and ports are printed as the packet or socket has them:
 * src is the local end of a socket, the sender of a packet.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM toy

#if !defined(_TOY_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _TOY_TRACE_H

#include <linux/ip.h>
#include <linux/skbuff.h>
#include <linux/tracepoint.h>
#include <net/sock.h>
#include <net/tcp_states.h>
#include <linux/toy.h>

/*
 * The states are an enum: tools that print the events from their
 * format (trace-cmd, perf) learn the numbers from these.
 */
TRACE_DEFINE_ENUM(TCP_ESTABLISHED);
TRACE_DEFINE_ENUM(TCP_SYN_SENT);
TRACE_DEFINE_ENUM(TCP_SYN_RECV);
TRACE_DEFINE_ENUM(TCP_FIN_WAIT1);
TRACE_DEFINE_ENUM(TCP_FIN_WAIT2);
TRACE_DEFINE_ENUM(TCP_TIME_WAIT);
TRACE_DEFINE_ENUM(TCP_CLOSE);
TRACE_DEFINE_ENUM(TCP_CLOSE_WAIT);
TRACE_DEFINE_ENUM(TCP_LAST_ACK);
TRACE_DEFINE_ENUM(TCP_LISTEN);
TRACE_DEFINE_ENUM(TCP_CLOSING);
TRACE_DEFINE_ENUM(TCP_NEW_SYN_RECV);

#define toy_show_state(state)						\
	__print_symbolic(state,						\
		{ TCP_ESTABLISHED,	"ESTABLISHED" },		\
		{ TCP_SYN_SENT,		"SYN_SENT" },			\
		{ TCP_SYN_RECV,		"SYN_RECV" },			\
		{ TCP_FIN_WAIT1,	"FIN_WAIT1" },			\
		{ TCP_FIN_WAIT2,	"FIN_WAIT2" },			\
		{ TCP_TIME_WAIT,	"TIME_WAIT" },			\
		{ TCP_CLOSE,		"CLOSE" },			\
		{ TCP_CLOSE_WAIT,	"CLOSE_WAIT" },			\
		{ TCP_LAST_ACK,		"LAST_ACK" },			\
		{ TCP_LISTEN,		"LISTEN" },			\
		{ TCP_CLOSING,		"CLOSING" },			\
		{ TCP_NEW_SYN_RECV,	"NEW_SYN_RECV" })

#define toy_show_flags(flags)						\
	__print_flags(flags, "|",					\
		{ TOY_FIN, "FIN" },					\
		{ TOY_SYN, "SYN" },					\
		{ TOY_RST, "RST" },					\
		{ TOY_ACK, "ACK" })

#define toy_show_type(type)						\
	__print_symbolic(type,						\
		{ TOY_TYPE_STREAM,	"stream" },			\
		{ TOY_TYPE_DGRAM,	"dgram" },			\
		{ TOY_TYPE_UNREACH,	"unreach" })

/*
 * A packet, from its IPv4 and AF_TOY headers: skb's network and
 * transport headers are set, and skb->data is at one of them.
 */
DECLARE_EVENT_CLASS(toy_segment,
	TP_PROTO(const struct sk_buff *skb),
	TP_ARGS(skb),

	TP_STRUCT__entry(
		__array(u8, saddr, 4)
		__array(u8, daddr, 4)
		__field(u16, sport)
		__field(u16, dport)
		__field(u32, seq)
		__field(u32, ack)
		__field(u8, flags)
		__field(u8, type)
		__field(u16, window)
		__field(u32, len)
	),

	TP_fast_assign(
		const struct iphdr *iph = ip_hdr(skb);
		const struct toyhdr *th =
			(const struct toyhdr *)skb_transport_header(skb);

		memcpy(__entry->saddr, &iph->saddr, 4);
		memcpy(__entry->daddr, &iph->daddr, 4);
		__entry->sport = ntohs(th->source);
		__entry->dport = ntohs(th->dest);
		__entry->seq = ntohl(th->seq);
		__entry->ack = ntohl(th->ack_seq);
		__entry->flags = th->flags;
		__entry->type = th->type;
		__entry->window = ntohs(th->window);
		__entry->len = skb->len - skb_transport_offset(skb) -
			       th->doff * 4;
	),

	TP_printk("src=%pI4:%u dst=%pI4:%u type=%s flags=%s seq=%u ack=%u win=%u len=%u",
		  __entry->saddr, __entry->sport, __entry->daddr,
		  __entry->dport, toy_show_type(__entry->type),
		  toy_show_flags(__entry->flags), __entry->seq, __entry->ack,
		  __entry->window, __entry->len)
);

DEFINE_EVENT(toy_segment, toy_segment_send,
	TP_PROTO(const struct sk_buff *skb),
	TP_ARGS(skb)
);

DEFINE_EVENT(toy_segment, toy_segment_recv,
	TP_PROTO(const struct sk_buff *skb),
	TP_ARGS(skb)
);

DEFINE_EVENT(toy_segment, toy_reset_send,
	TP_PROTO(const struct sk_buff *skb),
	TP_ARGS(skb)
);

/* The SYN that was answered with a cookie. */
DEFINE_EVENT(toy_segment, toy_syncookie_send,
	TP_PROTO(const struct sk_buff *skb),
	TP_ARGS(skb)
);

/* The ACK whose cookie was good. */
DEFINE_EVENT(toy_segment, toy_syncookie_accept,
	TP_PROTO(const struct sk_buff *skb),
	TP_ARGS(skb)
);

/* A socket or an entry, by its 4-tuple and state. */
DECLARE_EVENT_CLASS(toy_sock_event,
	TP_PROTO(const struct sock *sk),
	TP_ARGS(sk),

	TP_STRUCT__entry(
		__field(const void *, skaddr)
		__array(u8, saddr, 4)
		__array(u8, daddr, 4)
		__field(u16, sport)
		__field(u16, dport)
		__field(int, state)
	),

	TP_fast_assign(
		__entry->skaddr = sk;
		memcpy(__entry->saddr, &sk->sk_rcv_saddr, 4);
		memcpy(__entry->daddr, &sk->sk_daddr, 4);
		__entry->sport = sk->sk_num;
		__entry->dport = ntohs(sk->sk_dport);
		__entry->state = sk->sk_state;
	),

	TP_printk("src=%pI4:%u dst=%pI4:%u state=%s",
		  __entry->saddr, __entry->sport, __entry->daddr,
		  __entry->dport, toy_show_state(__entry->state))
);

DEFINE_EVENT(toy_sock_event, toy_reset_recv,
	TP_PROTO(const struct sock *sk),
	TP_ARGS(sk)
);

DEFINE_EVENT(toy_sock_event, toy_timewait_enter,
	TP_PROTO(const struct sock *sk),
	TP_ARGS(sk)
);

DEFINE_EVENT(toy_sock_event, toy_timewait_leave,
	TP_PROTO(const struct sock *sk),
	TP_ARGS(sk)
);

/* connect()'s choice: the socket's port is the one chosen. */
DEFINE_EVENT(toy_sock_event, toy_connect_port,
	TP_PROTO(const struct sock *sk),
	TP_ARGS(sk)
);

TRACE_EVENT(toy_state_change,
	TP_PROTO(const struct sock *sk, int oldstate, int newstate),
	TP_ARGS(sk, oldstate, newstate),

	TP_STRUCT__entry(
		__field(const void *, skaddr)
		__array(u8, saddr, 4)
		__array(u8, daddr, 4)
		__field(u16, sport)
		__field(u16, dport)
		__field(int, oldstate)
		__field(int, newstate)
	),

	TP_fast_assign(
		__entry->skaddr = sk;
		memcpy(__entry->saddr, &sk->sk_rcv_saddr, 4);
		memcpy(__entry->daddr, &sk->sk_daddr, 4);
		__entry->sport = sk->sk_num;
		__entry->dport = ntohs(sk->sk_dport);
		__entry->oldstate = oldstate;
		__entry->newstate = newstate;
	),

	TP_printk("src=%pI4:%u dst=%pI4:%u oldstate=%s newstate=%s",
		  __entry->saddr, __entry->sport, __entry->daddr,
		  __entry->dport, toy_show_state(__entry->oldstate),
		  toy_show_state(__entry->newstate))
);

TRACE_EVENT(toy_retransmit,
	TP_PROTO(const struct sock *sk, u32 seq, u32 len),
	TP_ARGS(sk, seq, len),

	TP_STRUCT__entry(
		__field(const void *, skaddr)
		__array(u8, saddr, 4)
		__array(u8, daddr, 4)
		__field(u16, sport)
		__field(u16, dport)
		__field(int, state)
		__field(u32, seq)
		__field(u32, len)
	),

	TP_fast_assign(
		__entry->skaddr = sk;
		memcpy(__entry->saddr, &sk->sk_rcv_saddr, 4);
		memcpy(__entry->daddr, &sk->sk_daddr, 4);
		__entry->sport = sk->sk_num;
		__entry->dport = ntohs(sk->sk_dport);
		__entry->state = sk->sk_state;
		__entry->seq = seq;
		__entry->len = len;
	),

	TP_printk("src=%pI4:%u dst=%pI4:%u state=%s seq=%u len=%u",
		  __entry->saddr, __entry->sport, __entry->daddr,
		  __entry->dport, toy_show_state(__entry->state),
		  __entry->seq, __entry->len)
);

#endif /* _TOY_TRACE_H */

/* This part must be outside the include guard. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE toy_trace
#include <trace/define_trace.h>
