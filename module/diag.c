// SPDX-License-Identifier: GPL-2.0
/*
 * AF_TOY sock_diag: list the sockets of a namespace over netlink, as
 * inet_diag does for TCP and UDP (net/ipv4/inet_diag.c) and vsock_diag
 * for vsock (net/vmw_vsock/diag.c).  The messages are described field by
 * field in <linux/toy_diag.h>; tools/toyss reads them.
 *
 * A dump walks one port space's tables (toy_walk_find(): listeners,
 * connections with their half-open and TIME_WAIT entries, then sockets
 * that only hold a port), as /proc/net/toy does.  Entries are taken in
 * batches under RCU, each with a reference, and described after
 * rcu_read_unlock(): describing a full socket takes its lock
 * (toy_get_info()), which may sleep.  Where a netlink message fills up,
 * the walk's place is kept in the callback's context and the next
 * message goes on from there; entries that move meanwhile may be missed
 * or shown twice, as with any such listing.
 *
 * An exact lookup walks the same tables for the one entry with the
 * request's addresses and ports: slower than a hash lookup, but one
 * rule for every kind of entry, and a lookup is not on a fast path.
 */

#include <linux/inetdevice.h>
#include <linux/jiffies.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <net/netlink.h>
#include <net/sock.h>
#include <linux/toy_diag.h>

#include "toy.h"

/* The request's filter, checked once when a dump starts. */
struct toy_diag_filter {
	struct toy_diag_req		req;
	u32				nr_sports;
	u32				nr_dports;
	struct toy_diag_port_range	sports[TOY_DIAG_MAX_RANGES];
	struct toy_diag_port_range	dports[TOY_DIAG_MAX_RANGES];
};

/* Where a dump stands, in the netlink callback's context. */
struct toy_diag_ctx {
	struct toy_diag_filter	*filter;
	struct toy_walk		walk;
	bool			done;
};

/* Entries taken under RCU at a time, then described without it. */
#define TOY_DIAG_BATCH	16

static const struct nla_policy toy_diag_req_policy[TOY_DIAG_REQ_MAX + 1] = {
	[TOY_DIAG_REQ_SPORTS]	= { .type = NLA_BINARY },
	[TOY_DIAG_REQ_DPORTS]	= { .type = NLA_BINARY },
};

/* A port range list: whole ranges, TOY_DIAG_MAX_RANGES at most, lo <= hi. */
static int toy_diag_take_ranges(const struct nlattr *attr,
				struct toy_diag_port_range *ranges, u32 *nr,
				struct netlink_ext_ack *extack)
{
	int len = nla_len(attr);
	u32 i;

	if (!len || len % sizeof(*ranges) ||
	    len > TOY_DIAG_MAX_RANGES * sizeof(*ranges)) {
		NL_SET_ERR_MSG_ATTR(extack, attr, "bad port range list");
		return -EINVAL;
	}
	*nr = len / sizeof(*ranges);
	memcpy(ranges, nla_data(attr), len);
	for (i = 0; i < *nr; i++)
		if (ranges[i].lo > ranges[i].hi) {
			NL_SET_ERR_MSG_ATTR(extack, attr, "port range lo > hi");
			return -EINVAL;
		}
	return 0;
}

/* Check a request and take its filter into @f. */
static int toy_diag_parse(const struct nlmsghdr *nlh, struct toy_diag_filter *f,
			  struct netlink_ext_ack *extack)
{
	struct nlattr *tb[TOY_DIAG_REQ_MAX + 1];
	const struct toy_diag_req *req;
	int err;

	if (nlmsg_len(nlh) < sizeof(*req))
		return -EINVAL;
	req = nlmsg_data(nlh);
	if ((req->sdiag_protocol != SOCK_STREAM &&
	     req->sdiag_protocol != SOCK_DGRAM) ||
	    req->tdiag_src_len > 32 || req->tdiag_dst_len > 32 ||
	    memchr_inv(req->tdiag_pad, 0, sizeof(req->tdiag_pad))) {
		NL_SET_ERR_MSG(extack, "bad toy_diag_req");
		return -EINVAL;
	}
	err = nlmsg_parse(nlh, sizeof(*req), tb, TOY_DIAG_REQ_MAX,
			  toy_diag_req_policy, extack);
	if (err)
		return err;
	memset(f, 0, sizeof(*f));
	f->req = *req;
	if (tb[TOY_DIAG_REQ_SPORTS]) {
		err = toy_diag_take_ranges(tb[TOY_DIAG_REQ_SPORTS], f->sports,
					   &f->nr_sports, extack);
		if (err)
			return err;
	}
	if (tb[TOY_DIAG_REQ_DPORTS])
		err = toy_diag_take_ranges(tb[TOY_DIAG_REQ_DPORTS], f->dports,
					   &f->nr_dports, extack);
	return err;
}

/* The state a listing shows: a half-open entry is SYN_RECV. */
static int toy_diag_state(const struct sock *sk)
{
	int state = toy_state_load(sk);

	return state == TCP_NEW_SYN_RECV ? TCP_SYN_RECV : state;
}

static bool toy_diag_port_in(u16 port, const struct toy_diag_port_range *r,
			     u32 nr)
{
	u32 i;

	if (!nr)
		return true;
	for (i = 0; i < nr; i++)
		if (port >= r[i].lo && port <= r[i].hi)
			return true;
	return false;
}

static bool toy_diag_addr_in(__be32 addr, __be32 want, u8 len)
{
	return !len || !((addr ^ want) & inet_make_mask(len));
}

/* Does the entry pass a dump's filter?  Under RCU. */
static bool toy_diag_match(const struct sock *sk,
			   const struct toy_diag_filter *f)
{
	const struct toy_diag_req *r = &f->req;
	u16 sport = READ_ONCE(sk->sk_num);
	u16 dport = ntohs(READ_ONCE(sk->sk_dport));

	if (!(r->tdiag_states & BIT(toy_diag_state(sk))))
		return false;
	if ((r->id.tdiag_sport && ntohs(r->id.tdiag_sport) != sport) ||
	    (r->id.tdiag_dport && ntohs(r->id.tdiag_dport) != dport))
		return false;
	if (!toy_diag_addr_in(READ_ONCE(sk->sk_rcv_saddr), r->id.tdiag_src,
			      r->tdiag_src_len) ||
	    !toy_diag_addr_in(READ_ONCE(sk->sk_daddr), r->id.tdiag_dst,
			      r->tdiag_dst_len))
		return false;
	return toy_diag_port_in(sport, f->sports, f->nr_sports) &&
	       toy_diag_port_in(dport, f->dports, f->nr_dports);
}

/* Is the entry the one an exact lookup names?  Under RCU. */
static bool toy_diag_is(const struct sock *sk, const struct toy_diag_sockid *id)
{
	return READ_ONCE(sk->sk_rcv_saddr) == id->tdiag_src &&
	       htons(READ_ONCE(sk->sk_num)) == id->tdiag_sport &&
	       READ_ONCE(sk->sk_daddr) == id->tdiag_dst &&
	       READ_ONCE(sk->sk_dport) == id->tdiag_dport;
}

static u32 toy_diag_ms_left(unsigned long expires)
{
	long left = (long)(expires - jiffies);

	return left > 0 ? jiffies_to_msecs(left) : 0;
}

/* The timer a full stream socket runs, as inet_diag reports it. */
static void toy_diag_sock_timer(struct sock *sk, struct toy_diag_msg *m)
{
	struct toy_sock *ts = toy_sk(sk);

	if (timer_pending(&ts->rtx_timer)) {
		m->tdiag_timer = READ_ONCE(ts->packets_out) ?
				 TOY_DIAG_TIMER_RETRANS :
				 sk->sk_state == TCP_SYN_SENT ?
				 TOY_DIAG_TIMER_RETRANS : TOY_DIAG_TIMER_PROBE;
		m->tdiag_expires =
			toy_diag_ms_left(READ_ONCE(ts->rtx_timer.expires));
	} else if (timer_pending(&ts->misc_timer)) {
		m->tdiag_timer = TOY_DIAG_TIMER_KEEPALIVE;
		m->tdiag_expires =
			toy_diag_ms_left(READ_ONCE(ts->misc_timer.expires));
	}
}

/* The queues of a full socket (see struct toy_diag_msg). */
static void toy_diag_sock_queues(struct sock *sk, struct toy_diag_msg *m)
{
	struct toy_sock *ts = toy_sk(sk);

	if (sk->sk_type == SOCK_DGRAM) {
		m->tdiag_rqueue = sk_rmem_alloc_get(sk);
		m->tdiag_wqueue = sk_wmem_alloc_get(sk);
	} else if (m->tdiag_state == TCP_LISTEN) {
		m->tdiag_rqueue = READ_ONCE(sk->sk_ack_backlog);
		m->tdiag_wqueue = READ_ONCE(sk->sk_max_ack_backlog);
	} else {
		m->tdiag_rqueue = max_t(int, READ_ONCE(ts->rcv_nxt) -
					READ_ONCE(ts->copied_seq), 0);
		m->tdiag_wqueue = READ_ONCE(ts->write_seq) -
				  READ_ONCE(ts->snd_una);
	}
}

/* The body of a half-open or TIME_WAIT entry's message. */
static void toy_diag_entry_msg(struct sock *sk, struct toy_diag_msg *m)
{
	if (toy_is_req(sk)) {
		struct toy_request *req = toy_req(sk);

		m->tdiag_timer = TOY_DIAG_TIMER_RETRANS;
		m->tdiag_expires =
			toy_diag_ms_left(READ_ONCE(req->timer.expires));
		m->tdiag_retrans = READ_ONCE(req->retries);
	} else {
		m->tdiag_timer = TOY_DIAG_TIMER_TIMEWAIT;
		m->tdiag_expires =
			toy_diag_ms_left(READ_ONCE(toy_tw(sk)->timer.expires));
	}
}

/* A full socket's uid, inode and attributes. */
static int toy_diag_sock_attrs(struct sock *sk, struct sk_buff *skb,
			       struct toy_diag_msg *m,
			       struct user_namespace *user_ns, u8 ext)
{
	struct nlattr *attr;

	m->tdiag_retrans = READ_ONCE(toy_sk(sk)->retries);
	m->tdiag_uid = from_kuid_munged(user_ns, sock_i_uid(sk));
	m->tdiag_inode = sock_i_ino(sk);
	m->id.tdiag_if = READ_ONCE(sk->sk_bound_dev_if);
	if (sk->sk_type == SOCK_STREAM)
		toy_diag_sock_timer(sk, m);
	toy_diag_sock_queues(sk, m);

	if (nla_put_u8(skb, TOY_DIAG_SHUTDOWN, READ_ONCE(sk->sk_shutdown)))
		return -EMSGSIZE;
	if (ext & BIT(TOY_DIAG_MEMINFO - 1) &&
	    sock_diag_put_meminfo(sk, skb, TOY_DIAG_MEMINFO))
		return -EMSGSIZE;
	if (ext & BIT(TOY_DIAG_INFO - 1) && sk->sk_type == SOCK_STREAM) {
		attr = nla_reserve(skb, TOY_DIAG_INFO, sizeof(struct toy_info));
		if (!attr)
			return -EMSGSIZE;
		toy_get_info(sk, nla_data(attr));
	}
	return 0;
}

/*
 * One message about @sk (a socket or an entry, with a reference held).
 * Return: 0, or -EMSGSIZE when @skb has no room: nothing is left of it.
 */
static int toy_diag_fill(struct sock *sk, struct sk_buff *skb,
			 const struct sk_buff *in_skb, u32 seq, u16 flags,
			 u8 ext)
{
	struct user_namespace *user_ns = sk_user_ns(NETLINK_CB(in_skb).sk);
	u32 portid = NETLINK_CB(in_skb).portid;
	struct toy_diag_msg *m;
	struct nlmsghdr *nlh;

	nlh = nlmsg_put(skb, portid, seq, SOCK_DIAG_BY_FAMILY, sizeof(*m),
			flags);
	if (!nlh)
		return -EMSGSIZE;
	m = nlmsg_data(nlh);
	memset(m, 0, sizeof(*m));
	m->tdiag_family = toy_family;
	m->tdiag_state = toy_diag_state(sk);
	m->tdiag_type = toy_is_full(sk) ? sk->sk_type : SOCK_STREAM;
	m->id.tdiag_sport = htons(READ_ONCE(sk->sk_num));
	m->id.tdiag_dport = READ_ONCE(sk->sk_dport);
	m->id.tdiag_src = READ_ONCE(sk->sk_rcv_saddr);
	m->id.tdiag_dst = READ_ONCE(sk->sk_daddr);
	sock_diag_save_cookie(sk, m->id.tdiag_cookie);

	if (!toy_is_full(sk)) {
		toy_diag_entry_msg(sk, m);
	} else if (toy_diag_sock_attrs(sk, skb, m, user_ns, ext)) {
		nlmsg_cancel(skb, nlh);
		return -EMSGSIZE;
	}
	nlmsg_end(skb, nlh);
	return 0;
}

/*
 * Take up to TOY_DIAG_BATCH entries that pass the filter, each with a
 * reference, from where @ctx's walk stands; @pos[i] is the walk's place
 * at @sks[i].  The walk ends past the last one taken.
 */
static int toy_diag_take_batch(struct net *net, struct toy_diag_ctx *ctx,
			       struct sock **sks, struct toy_walk *pos)
{
	struct sock *sk;
	int n = 0;

	rcu_read_lock();
	while (n < TOY_DIAG_BATCH) {
		sk = toy_walk_find(net, &ctx->walk);
		if (!sk) {
			ctx->done = true;
			break;
		}
		if (toy_diag_match(sk, ctx->filter) && toy_sk_get_rcu(sk)) {
			pos[n] = ctx->walk;
			sks[n++] = sk;
		}
		ctx->walk.idx++;
	}
	rcu_read_unlock();
	return n;
}

static int toy_diag_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct toy_diag_ctx *ctx = (struct toy_diag_ctx *)cb->ctx;
	struct net *net = sock_net(skb->sk);
	struct toy_walk pos[TOY_DIAG_BATCH];
	struct sock *sks[TOY_DIAG_BATCH];
	int i, n;

	while (!ctx->done) {
		n = toy_diag_take_batch(net, ctx, sks, pos);
		for (i = 0; i < n; i++) {
			if (toy_diag_fill(sks[i], skb, cb->skb,
					  cb->nlh->nlmsg_seq, NLM_F_MULTI,
					  ctx->filter->req.tdiag_ext))
				break;
			toy_sk_put(sks[i]);
		}
		if (i < n) {
			/* Full: the next message starts at this one. */
			ctx->walk = pos[i];
			ctx->done = false;
			for (; i < n; i++)
				toy_sk_put(sks[i]);
			break;
		}
		cond_resched();
	}
	return skb->len;
}

static int toy_diag_dump_start(struct netlink_callback *cb)
{
	struct toy_diag_ctx *ctx = (struct toy_diag_ctx *)cb->ctx;
	struct toy_diag_filter *f;
	int err;

	BUILD_BUG_ON(sizeof(*ctx) > sizeof(cb->ctx));
	f = kmalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	err = toy_diag_parse(cb->nlh, f, cb->extack);
	if (err) {
		kfree(f);
		return err;
	}
	ctx->filter = f;
	toy_walk_start(&ctx->walk, f->req.sdiag_protocol == SOCK_STREAM ?
			TOY_SPACE_STREAM : TOY_SPACE_DGRAM);
	ctx->done = false;
	return 0;
}

static int toy_diag_dump_done(struct netlink_callback *cb)
{
	struct toy_diag_ctx *ctx = (struct toy_diag_ctx *)cb->ctx;

	kfree(ctx->filter);
	return 0;
}

/* The entry an exact lookup names, with a reference, or NULL. */
static struct sock *toy_diag_find(struct net *net,
				  const struct toy_diag_req *req)
{
	struct sock *sk, *found = NULL;
	struct toy_walk w;

	toy_walk_start(&w, req->sdiag_protocol == SOCK_STREAM ?
		       TOY_SPACE_STREAM : TOY_SPACE_DGRAM);
	rcu_read_lock();
	for (sk = toy_walk_find(net, &w); sk; sk = toy_walk_find(net, &w)) {
		if (toy_diag_is(sk, &req->id)) {
			found = toy_sk_get_rcu(sk);
			if (found)
				break;
		}
		w.idx++;
	}
	rcu_read_unlock();
	return found;
}

/* Room for the biggest message: the body and every attribute. */
static size_t toy_diag_msg_size(void)
{
	return NLMSG_ALIGN(sizeof(struct toy_diag_msg)) +
	       nla_total_size(sizeof(u8)) +
	       nla_total_size(sizeof(u32) * SK_MEMINFO_VARS) +
	       nla_total_size(sizeof(struct toy_info));
}

static int toy_diag_get_exact(struct sk_buff *in_skb,
			      const struct nlmsghdr *nlh)
{
	struct net *net = sock_net(in_skb->sk);
	struct toy_diag_filter *f;
	struct sk_buff *rep;
	struct sock *sk;
	int err;

	f = kmalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	err = toy_diag_parse(nlh, f, NULL);
	if (err)
		goto out;
	sk = toy_diag_find(net, &f->req);
	err = -ENOENT;
	if (!sk)
		goto out;
	err = sock_diag_check_cookie(sk, f->req.id.tdiag_cookie);
	if (err)
		goto out_put;
	err = -ENOMEM;
	rep = nlmsg_new(toy_diag_msg_size(), GFP_KERNEL);
	if (!rep)
		goto out_put;
	err = toy_diag_fill(sk, rep, in_skb, nlh->nlmsg_seq, 0,
			    f->req.tdiag_ext);
	if (err) {
		WARN_ON(err == -EMSGSIZE);	/* toy_diag_msg_size() is wrong */
		kfree_skb(rep);
		goto out_put;
	}
	err = nlmsg_unicast(net->diag_nlsk, rep, NETLINK_CB(in_skb).portid);
out_put:
	toy_sk_put(sk);
out:
	kfree(f);
	return err;
}

/* sock_diag's entry: a dump, or an exact lookup. */
static int toy_diag_handler_dump(struct sk_buff *skb, struct nlmsghdr *nlh)
{
	struct net *net = sock_net(skb->sk);

	if (nlmsg_len(nlh) < sizeof(struct toy_diag_req))
		return -EINVAL;
	if (nlh->nlmsg_flags & NLM_F_DUMP) {
		struct netlink_dump_control c = {
			.start = toy_diag_dump_start,
			.dump = toy_diag_dump,
			.done = toy_diag_dump_done,
		};

		return netlink_dump_start(net->diag_nlsk, skb, nlh, &c);
	}
	return toy_diag_get_exact(skb, nlh);
}

static struct sock_diag_handler toy_diag_handler = {
	.owner = THIS_MODULE,
	.dump = toy_diag_handler_dump,
};

/**
 * toy_diag_init() - Register the sock_diag handler of our family.
 *
 * Return: 0, or sock_diag_register()'s error.
 */
int toy_diag_init(void)
{
	toy_diag_handler.family = toy_family;
	return sock_diag_register(&toy_diag_handler);
}

/**
 * toy_diag_exit() - Unregister it.  A dump under way holds the module.
 */
void toy_diag_exit(void)
{
	sock_diag_unregister(&toy_diag_handler);
}
