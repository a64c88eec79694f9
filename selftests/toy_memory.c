// SPDX-License-Identifier: GPL-2.0
/*
 * AF_TOY memory limits, as TCP's: out-of-order data that fills the
 * receive buffer is pruned from its far end so the segment that fills
 * the hole gets in; net.toy.mem and net.toy.dgram_mem hold the sockets
 * of each protocol to a number of pages (sendmsg() waits, datagrams are
 * dropped) and the pages show in /proc/net/protocols and
 * /proc/net/toy_sockstat; net.toy.max_orphans bounds the connections
 * closed by their user that still wait for a silent peer.
 *
 * Every test runs in a fresh network namespace with the scripted TUN peer
 * (toy_peer.h) and lo.  net.toy.mem and dgram_mem exist in the initial
 * namespace only: the fixture keeps a handle on it, saves both and puts
 * them back.  The teardown leaves the namespace and checks that every
 * live object is gone.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <linux/toy.h>

#include "kselftest_harness.h"
#include "toy_lib.h"
#include "toy_net.h"
#include "toy_seg.h"
#include "toy_peer.h"

#define LO		"127.0.0.1"
#define ST_FIN_WAIT1	4

FIXTURE(memory) {
	struct toy_peer peer;
	struct toy_pseg *seg;
	int init_ns;		/* the initial network namespace */
	char mem[128];		/* its net.toy.mem ... */
	char dgram_mem[128];	/* ... and dgram_mem, as found */
};

/*
 * A sysctl of the initial namespace: read into @old (if any), then
 * write @val (if any); 0 or -errno.  The caller's namespace is kept.
 */
static int init_sysctl(int init_ns, const char *name, char *old,
		       size_t oldlen, const char *val)
{
	int self_ns, fd, err = 0;
	char path[128];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/sys/net/toy/%s", name);
	self_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self_ns < 0)
		return -errno;
	if (setns(init_ns, CLONE_NEWNET)) {
		err = -errno;
		close(self_ns);
		return err;
	}
	if (old) {
		fd = open(path, O_RDONLY);
		n = fd < 0 ? -1 : read(fd, old, oldlen - 1);
		if (n < 0)
			err = -errno;
		old[n > 0 ? n : 0] = '\0';
		if (fd >= 0)
			close(fd);
	}
	if (!err && val) {
		fd = open(path, O_WRONLY);
		if (fd < 0 || write(fd, val, strlen(val)) < 0)
			err = -errno;
		if (fd >= 0)
			close(fd);
	}
	if (setns(self_ns, CLONE_NEWNET) && !err)
		err = -errno;
	close(self_ns);
	return err;
}

FIXTURE_SETUP(memory)
{
	ASSERT_EQ(0, toy_live_wait_zero(5));
	self->init_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, self->init_ns);
	ASSERT_EQ(0, init_sysctl(self->init_ns, "mem", self->mem,
				 sizeof(self->mem), NULL));
	ASSERT_EQ(0, init_sysctl(self->init_ns, "dgram_mem", self->dgram_mem,
				 sizeof(self->dgram_mem), NULL));
	ASSERT_EQ(0, new_netns());
	ASSERT_EQ(0, toy_peer_open(&self->peer, 0));
	self->seg = malloc(sizeof(*self->seg));
	ASSERT_NE(NULL, self->seg);
}

FIXTURE_TEARDOWN(memory)
{
	EXPECT_EQ(0, init_sysctl(self->init_ns, "mem", NULL, 0, self->mem));
	EXPECT_EQ(0, init_sysctl(self->init_ns, "dgram_mem", NULL, 0,
				 self->dgram_mem));
	close(self->init_ns);
	free(self->seg);
	toy_peer_close(&self->peer);
	EXPECT_EQ(0, unshare(CLONE_NEWNET));
	EXPECT_EQ(0, toy_live_wait_zero(30));
}

/*
 * A field of /proc/net/toy_sockstat: @field ("inuse", "mem" ...) of the
 * line of protocol @proto ("TOY" or "TOY-DGRAM"), or -1.
 */
static long sockstat(const char *proto, const char *field)
{
	char line[256], name[64], *tok, *save;
	FILE *f = fopen("/proc/net/toy_sockstat", "r");
	long val = -1;

	if (!f)
		return -1;
	snprintf(name, sizeof(name), "%s:", proto);
	while (val < 0 && fgets(line, sizeof(line), f)) {
		tok = strtok_r(line, " \n", &save);
		if (!tok || strcmp(tok, name))
			continue;
		while ((tok = strtok_r(NULL, " \n", &save))) {
			char *v = strtok_r(NULL, " \n", &save);

			if (v && !strcmp(tok, field)) {
				val = atol(v);
				break;
			}
		}
	}
	fclose(f);
	return val;
}

/*
 * The "memory" (pages) and "press" columns of /proc/net/protocols for
 * @name; the memory, or -2 when the row is missing.
 */
static long proto_memory(const char *name, char *press)
{
	char line[512], pname[64], pr[8];
	long size, socks, mem = -2;
	FILE *f = fopen("/proc/net/protocols", "r");

	if (!f)
		return -2;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63s %ld %ld %ld %7s", pname, &size, &socks,
			   &mem, pr) == 5 && !strcmp(pname, name)) {
			if (press)
				strcpy(press, pr);
			break;
		}
		mem = -2;
	}
	fclose(f);
	return mem;
}

/* Rows of /proc/net/toy in state @state. */
static int count_state(int state)
{
	char line[256];
	int n = 0;
	FILE *f = fopen("/proc/net/toy", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned int st;

		if (sscanf(line, " %*d: %*x:%*x %*x:%*x %x", &st) == 1 &&
		    (int)st == state)
			n++;
	}
	fclose(f);
	return n;
}

/* Wait until count_state(@state) <= @max; its last value. */
static int wait_state_at_most(int state, int max, double secs)
{
	double end = toy_now() + secs * toy_timeout_scale();
	int n;

	while ((n = count_state(state)) > max && toy_now() < end)
		usleep(20000);
	return n;
}

/*
 * Wait until the orphan count of toy_sockstat is at most @max (an orphan
 * is counted until it is freed, an RCU grace period after its end).
 */
static long wait_orphans_at_most(long max, double secs)
{
	double end = toy_now() + secs * toy_timeout_scale();
	long n;

	while ((n = sockstat("TOY", "orphan")) > max && toy_now() < end)
		usleep(20000);
	return n;
}

/* A listener on @addr:@port, with SO_RCVBUF @rcvbuf if not 0; or -1. */
static int listen_on(const char *addr, int port, int rcvbuf)
{
	struct sockaddr_toy a = taddr(addr, port);
	int fd = socket(TOY_AF, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	if ((rcvbuf && setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
				  sizeof(rcvbuf))) ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 32)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A connected pair on lo: *c the client, *s the accepted one. */
static int lo_pair(int port, int *c, int *s)
{
	struct sockaddr_toy a = taddr(LO, port);
	int l = listen_on(LO, port, 0);

	*c = *s = -1;
	if (l < 0)
		return -1;
	*c = socket(TOY_AF, SOCK_STREAM, 0);
	if (*c >= 0 && !connect(*c, (struct sockaddr *)&a, sizeof(a)))
		*s = accept(l, NULL, NULL);
	close(l);
	return *s < 0 ? -1 : 0;
}

/* The byte at stream offset @i of the peer's data. */
static uint8_t pat(uint32_t i)
{
	return (uint8_t)(i * 7 + i / 251);
}

static int seq_after(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

/* The peer sends @len bytes at offset @off of its data, from @base. */
static int peer_send_at(struct toy_peer *p, struct toy_pconn *c,
			uint32_t base, uint32_t off, uint32_t len)
{
	uint8_t buf[64];
	uint32_t i;

	for (i = 0; i < len; i++)
		buf[i] = pat(off + i);
	return toy_peer_send(p, c->pport, c->hport, TOY_ACK, base + off,
			     c->rcv_nxt, 65535, buf, len);
}

/*
 * The same, then the host's acknowledgement (every data segment gets
 * one; the highest of those that came), or @prev when none did.
 */
static uint32_t peer_data(struct toy_peer *p, struct toy_pseg *s,
			  struct toy_pconn *c, uint32_t base, uint32_t off,
			  uint32_t len, uint32_t prev)
{
	uint32_t ack = prev;
	double end;

	if (peer_send_at(p, c, base, off, len))
		return prev;
	end = toy_now() + 5 * toy_timeout_scale();
	while (tpeer_recv_until(p, s, end)) {
		if (s->sport != c->hport || !(s->flags & TOY_ACK))
			continue;
		if (seq_after(s->ack, ack))
			ack = s->ack;
		/* Then whatever else is already there. */
		end = toy_now() + 0.002;
	}
	return ack;
}

/*
 * Out-of-order data fills a receive buffer nobody reads: one byte at
 * every even offset, far ones first.  Then the bytes that fill the
 * holes come in order, still unread: the out-of-order queue gives way
 * from its far end (OfoPruned) so they get in, where without pruning
 * the first of them found the buffer full of out-of-order data and was
 * refused for ever.  At last the reader reads while the peer sends
 * what it has not had acknowledged: every byte arrives, in order.
 */
TEST_F(memory, ooo_queue_pruned_so_hole_fills)
{
	const uint32_t total = 2049;	/* offsets 0 .. 2048 */
	struct toy_pseg *s = self->seg;
	uint32_t base, nxt, off, got = 0, stuck = 0;
	struct toy_pconn c;
	uint8_t buf[4096];
	long pruned0, rcvpruned0;
	double end;
	int l, i;

	pruned0 = toy_stat("OfoPruned");
	rcvpruned0 = toy_stat("RcvPruned");
	ASSERT_LE(0, pruned0);
	/* SO_RCVBUF 4096: a buffer of 8192, a window of 4096. */
	l = listen_on(PEER_HOST, 7000, 4096);
	ASSERT_LE(0, l);
	ASSERT_EQ(0, toy_peer_dial(&self->peer, &c, l, 7000, 9000, 65535));
	base = c.snd_nxt;

	for (off = total - 1; off >= 2; off -= 2)
		ASSERT_EQ(0, peer_send_at(&self->peer, &c, base, off, 1));
	toy_peer_count(&self->peer, 0.2);
	EXPECT_LT(0, toy_stat("OFOQueue"));

	/* The holes, in order, while nobody reads. */
	nxt = base;
	for (i = 0; i < 400 && stuck < 3; i++) {
		uint32_t ack = peer_data(&self->peer, s, &c, base, nxt - base,
					 1, nxt);

		stuck = ack == nxt ? stuck + 1 : 0;
		nxt = ack;
	}
	TH_LOG("unread: %u bytes in, OfoPruned %ld, RcvPruned %ld",
	       nxt - base, toy_stat("OfoPruned") - pruned0,
	       toy_stat("RcvPruned") - rcvpruned0);
	EXPECT_LT(1, nxt - base);
	EXPECT_LT(pruned0, toy_stat("OfoPruned"));

	/* Now read, and let the peer resend what is missing. */
	ASSERT_EQ(0, fcntl(c.fd, F_SETFL, O_NONBLOCK));
	end = toy_now() + 60 * toy_timeout_scale();
	while (got < total && toy_now() < end) {
		ssize_t n = recv(c.fd, buf, sizeof(buf), 0);
		uint32_t len;

		for (i = 0; i < n; i++, got++)
			ASSERT_EQ(pat(got), buf[i]) TH_LOG("offset %u", got);
		if (nxt - base >= total)
			continue;
		len = total - (nxt - base);
		nxt = peer_data(&self->peer, s, &c, base, nxt - base,
				len < 64 ? len : 64, nxt);
	}
	EXPECT_EQ(total, got);

	/* The peer resets the connection, so no orphan waits for it. */
	ASSERT_EQ(0, toy_peer_send(&self->peer, c.pport, c.hport, TOY_RST,
				   nxt, 0, 0, NULL, 0));
	close(c.fd);
	close(l);
}

/*
 * With net.toy.mem far below what one sender wants, a sender whose
 * peer reads nothing is held back by the protocol's memory, not by its
 * 16 MiB SO_SNDBUF: a nonblocking send() fails with EAGAIN, a blocking
 * one waits (here for SO_SNDTIMEO) and fails the same.  The pages show
 * in /proc/net/protocols (which sees them once a CPU's reserve of
 * net.core.mem_pcpu_rsv pages reached the shared counter) and in
 * toy_sockstat, and all of them come back when the sockets are gone.
 */
TEST_F(memory, sender_held_to_net_toy_mem)
{
	struct timeval tv = { .tv_usec = 200000 };
	int force = 8 << 20, c, srv, flags;
	long total = 0, pressures0, ncpu, low;
	struct linger abort_close = { 1, 0 };
	static char buf[65536];
	char press[8] = "", mem[64];
	ssize_t n;

	pressures0 = toy_stat("MemoryPressures");
	ncpu = sysconf(_SC_NPROCESSORS_CONF);
	/*
	 * The limits sit above what the shared counter may already show or
	 * may still receive from the CPUs' reserves (up to 256 pages each,
	 * net.core.mem_pcpu_rsv), so only this sender can cross them.
	 */
	low = proto_memory("TOY", NULL);
	EXPECT_LE(0, low);
	low += 256 * ncpu;
	snprintf(mem, sizeof(mem), "%ld %ld %ld", low, low + 64, low + 128);
	ASSERT_EQ(0, lo_pair(7001, &c, &srv));
	ASSERT_EQ(0, setsockopt(c, SOL_SOCKET, SO_SNDBUFFORCE, &force,
				sizeof(force)));
	ASSERT_EQ(0, init_sysctl(self->init_ns, "mem", NULL, 0, mem));

	flags = fcntl(c, F_GETFL);
	ASSERT_EQ(0, fcntl(c, F_SETFL, flags | O_NONBLOCK));
	while ((n = send(c, buf, sizeof(buf), 0)) > 0 && total < (32L << 20))
		total += n;
	EXPECT_EQ(-1, n);
	EXPECT_EQ(EAGAIN, errno);
	TH_LOG("queued %ld bytes, sockstat mem %ld, protocols memory %ld",
	       total, sockstat("TOY", "mem"), proto_memory("TOY", NULL));
	EXPECT_GT(12L << 20, total);	/* SO_SNDBUF would allow 16 MiB */
	EXPECT_LT(0, proto_memory("TOY", press));
	EXPECT_STREQ("yes", press);
	EXPECT_LT(0, sockstat("TOY", "mem"));
	EXPECT_LT(pressures0, toy_stat("MemoryPressures"));

	ASSERT_EQ(0, fcntl(c, F_SETFL, flags));
	ASSERT_EQ(0, setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)));
	EXPECT_EQ(-1, send(c, buf, sizeof(buf), 0));
	EXPECT_EQ(EAGAIN, errno);

	/* Abortive closes: no TIME_WAIT entry is left behind. */
	setsockopt(srv, SOL_SOCKET, SO_LINGER, &abort_close,
		   sizeof(abort_close));
	setsockopt(c, SOL_SOCKET, SO_LINGER, &abort_close, sizeof(abort_close));
	close(srv);
	close(c);
	ASSERT_EQ(0, init_sysctl(self->init_ns, "mem", NULL, 0, self->mem));
	ASSERT_EQ(0, toy_live_wait_zero(30));
	EXPECT_EQ(0, sockstat("TOY", "mem"));
	EXPECT_GE(256 * ncpu, proto_memory("TOY", press));
	/*
	 * The pressure flag is left when memory is given back below the
	 * low mark (__sk_mem_reduce_allocated(), as TCP's): if the last
	 * frees came while the limit was still low, the next socket to
	 * give memory back clears it.
	 */
	if (strcmp(press, "no")) {
		ASSERT_EQ(0, lo_pair(7003, &c, &srv));
		ASSERT_EQ(sizeof(buf), send(c, buf, sizeof(buf), 0));
		for (total = 0; total < (long)sizeof(buf); total += n)
			ASSERT_LT(0, n = recv(srv, buf, sizeof(buf), 0));
		setsockopt(c, SOL_SOCKET, SO_LINGER, &abort_close,
			   sizeof(abort_close));
		close(c);
		close(srv);
		ASSERT_EQ(0, toy_live_wait_zero(30));
		proto_memory("TOY", press);
	}
	EXPECT_STREQ("no", press);
}

/*
 * Datagrams a reader does not read are held to net.toy.dgram_mem, not
 * to its 16 MiB SO_RCVBUF: the rest is dropped (RcvbufErrors), and the
 * pages come back when the socket is closed.
 */
TEST_F(memory, datagrams_held_to_net_toy_dgram_mem)
{
	struct sockaddr_toy a = taddr(LO, 7002);
	int force = 8 << 20, r, w, i, queued = 0;
	long errs0 = toy_stat("RcvbufErrors");
	static char buf[1000];

	r = socket(TOY_AF, SOCK_DGRAM, 0);
	w = socket(TOY_AF, SOCK_DGRAM, 0);
	ASSERT_LE(0, r);
	ASSERT_LE(0, w);
	ASSERT_EQ(0, setsockopt(r, SOL_SOCKET, SO_RCVBUFFORCE, &force,
				sizeof(force)));
	ASSERT_EQ(0, bind(r, (struct sockaddr *)&a, sizeof(a)));
	ASSERT_EQ(0, connect(w, (struct sockaddr *)&a, sizeof(a)));
	ASSERT_EQ(0, init_sysctl(self->init_ns, "dgram_mem", NULL, 0,
				 "16 32 64"));

	for (i = 0; i < 6000; i++) {
		ASSERT_EQ(sizeof(buf), send(w, buf, sizeof(buf), 0));
		if (i % 100 == 99)
			usleep(1000);	/* within lo's backlog */
	}
	usleep(100000);
	TH_LOG("sockstat TOY-DGRAM mem %ld", sockstat("TOY-DGRAM", "mem"));
	EXPECT_LT(0, sockstat("TOY-DGRAM", "mem"));
	ASSERT_EQ(0, init_sysctl(self->init_ns, "dgram_mem", NULL, 0,
				 self->dgram_mem));
	while (recv(r, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		queued++;
	TH_LOG("%d of 6000 datagrams queued, RcvbufErrors +%ld", queued,
	       toy_stat("RcvbufErrors") - errs0);
	EXPECT_LT(0, queued);
	EXPECT_GT(5000, queued);
	EXPECT_LT(errs0, toy_stat("RcvbufErrors"));
	EXPECT_EQ(0, sockstat("TOY-DGRAM", "mem"));
	close(r);
	close(w);
	ASSERT_EQ(0, toy_live_wait_zero(30));
	EXPECT_EQ(0, sockstat("TOY-DGRAM", "mem"));
}

/*
 * net.toy.max_orphans 5: of 20 connections closed with data their
 * silent peer never acknowledges, 5 live on as orphans; close() resets
 * the other 15 at once (OrphanOverflow), as tcp_close() does when
 * tcp_check_oom() says so.
 */
TEST_F(memory, orphans_beyond_max_orphans_reset_at_close)
{
	long overflow0 = toy_stat("OrphanOverflow");
	struct toy_pconn c[20];
	char data[1000] = { 0 };
	int i;

	ASSERT_EQ(0, sysctl_write("max_orphans", "5"));
	for (i = 0; i < 20; i++) {
		ASSERT_EQ(0, toy_peer_connect(&self->peer, &c[i], 9000 + i,
					      4096));
		ASSERT_EQ(sizeof(data), write(c[i].fd, data, sizeof(data)));
	}
	for (i = 0; i < 20; i++)
		close(c[i].fd);
	EXPECT_GE(5, count_state(ST_FIN_WAIT1));
	EXPECT_LE(15, toy_stat("OrphanOverflow") - overflow0);
	EXPECT_LT(0, count_state(ST_FIN_WAIT1));
	EXPECT_GE(5, wait_orphans_at_most(5, 10));
	/* The survivors give up at their next timeout. */
	ASSERT_EQ(0, sysctl_write("orphan_retries", "1"));
	EXPECT_EQ(0, wait_state_at_most(ST_FIN_WAIT1, 0, 60));
	EXPECT_EQ(0, toy_live_wait_zero(10));
	EXPECT_EQ(0, wait_orphans_at_most(0, 10));
}

/*
 * Orphans already made when net.toy.max_orphans drops to 5: at their
 * next retransmission timeout all but 5 are reset and freed, as
 * tcp_out_of_resources() frees them; at 0, the rest go too.
 */
TEST_F(memory, orphans_beyond_max_orphans_reset_at_timeout)
{
	long overflow0 = toy_stat("OrphanOverflow");
	struct toy_pconn c[20];
	char data[1000] = { 0 };
	int i;

	for (i = 0; i < 20; i++) {
		ASSERT_EQ(0, toy_peer_connect(&self->peer, &c[i], 9000 + i,
					      4096));
		ASSERT_EQ(sizeof(data), write(c[i].fd, data, sizeof(data)));
	}
	for (i = 0; i < 20; i++)
		close(c[i].fd);
	EXPECT_EQ(20, count_state(ST_FIN_WAIT1));
	EXPECT_EQ(20, sockstat("TOY", "orphan"));
	EXPECT_EQ(overflow0, toy_stat("OrphanOverflow"));

	ASSERT_EQ(0, sysctl_write("max_orphans", "5"));
	EXPECT_GE(5, wait_state_at_most(ST_FIN_WAIT1, 5, 20));
	EXPECT_LE(15, toy_stat("OrphanOverflow") - overflow0);
	EXPECT_GE(5, wait_orphans_at_most(5, 10));
	ASSERT_EQ(0, sysctl_write("max_orphans", "0"));
	EXPECT_EQ(0, wait_state_at_most(ST_FIN_WAIT1, 0, 60));
	EXPECT_EQ(0, toy_live_wait_zero(10));
	EXPECT_EQ(0, wait_orphans_at_most(0, 10));
}

#define CGROOT	"/sys/fs/cgroup"
#define CG	CGROOT "/toy_memory"

/*
 * Move this process into the memory cgroup CG (cgroup2 mounted and the
 * memory controller enabled if need be); 0 or -errno.
 */
static int cgroup_join(void)
{
	char pid[32];
	int err;

	if (access(CGROOT "/cgroup.controllers", F_OK) &&
	    mount("none", CGROOT, "cgroup2", 0, NULL))
		return -errno;
	err = toy_write_file(CGROOT "/cgroup.subtree_control", "+memory");
	if (err)
		return err;
	if (mkdir(CG, 0755) && errno != EEXIST)
		return -errno;
	snprintf(pid, sizeof(pid), "%d", getpid());
	return toy_write_file(CG "/cgroup.procs", pid);
}

static void cgroup_leave(void)
{
	char pid[32];

	snprintf(pid, sizeof(pid), "%d", getpid());
	toy_write_file(CGROOT "/cgroup.procs", pid);
	rmdir(CG);
}

/* Socket memory charged to CG ("sock" of memory.stat), bytes; or -1. */
static long cgroup_sock(void)
{
	FILE *f = fopen(CG "/memory.stat", "r");
	char key[64];
	long v, val = -1;

	if (!f)
		return -1;
	while (fscanf(f, "%63s %ld", key, &v) == 2)
		if (!strcmp(key, "sock")) {
			val = v;
			break;
		}
	fclose(f);
	return val;
}

/*
 * A child is made on the receive path, where no task tells which memory
 * cgroup to charge: it is charged to its listener's.  The client here
 * was made before this process joined the cgroup, so the cgroup's
 * socket memory is the data waiting in the child's receive queue.
 */
TEST_F(memory, child_charged_to_listener_cgroup)
{
	struct sockaddr_toy a = taddr(LO, 7004);
	static char buf[60000];
	int c, l, s, err;
	double end;
	long sock;

	c = socket(TOY_AF, SOCK_STREAM, 0);
	ASSERT_LE(0, c);
	err = cgroup_join();
	if (err) {
		close(c);
		SKIP(return, "no cgroup2 memory controller: %s", strerror(-err));
	}
	l = listen_on(LO, 7004, 0);
	ASSERT_LE(0, l);
	ASSERT_EQ(0, connect(c, (struct sockaddr *)&a, sizeof(a)));
	s = accept(l, NULL, NULL);
	ASSERT_LE(0, s);
	ASSERT_EQ(sizeof(buf), send(c, buf, sizeof(buf), 0));

	/* memory.stat is brought up to date every 2 s at least. */
	end = toy_now() + 10 * toy_timeout_scale();
	while ((sock = cgroup_sock()) <= 0 && toy_now() < end)
		usleep(100000);
	TH_LOG("cgroup sock %ld bytes", sock);
	EXPECT_LT((long)sizeof(buf) / 2, sock);

	ASSERT_EQ(sizeof(buf), recv(s, buf, sizeof(buf), MSG_WAITALL));
	close(c);
	close(s);
	close(l);
	cgroup_leave();
}

/*
 * /proc/net/toy_sockstat has /proc/net/sockstat's lines, with this
 * namespace's sockets in use (as /proc/net/protocols counts them) and
 * TIME_WAIT entries; /proc/net/protocols shows each protocol's memory
 * in pages and its pressure flag instead of -1 and NI.
 */
TEST_F(memory, sockstat_format)
{
	char line1[256], line2[256], extra[256], press[8];
	long inuse, orphan, tw, alloc, mem, dinuse, dmem;
	int c, s, d, end1 = 0, end2 = 0;
	FILE *f;

	ASSERT_EQ(0, lo_pair(7003, &c, &s));
	d = socket(TOY_AF, SOCK_DGRAM, 0);
	ASSERT_LE(0, d);
	close(c);			/* the active closer: TIME_WAIT */
	ASSERT_EQ(0, wait_state_at_most(ST_FIN_WAIT1, 0, 10));
	close(s);
	toy_live_wait("sockets", 1, 10);	/* only the datagram one */

	f = fopen("/proc/net/toy_sockstat", "r");
	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(line1, sizeof(line1), f));
	ASSERT_NE(NULL, fgets(line2, sizeof(line2), f));
	EXPECT_EQ(NULL, fgets(extra, sizeof(extra), f));
	fclose(f);
	ASSERT_EQ(5, sscanf(line1, "TOY: inuse %ld orphan %ld tw %ld alloc %ld mem %ld%n",
			    &inuse, &orphan, &tw, &alloc, &mem, &end1))
		TH_LOG("%s", line1);
	EXPECT_STREQ("\n", line1 + end1);
	ASSERT_EQ(2, sscanf(line2, "TOY-DGRAM: inuse %ld mem %ld%n",
			    &dinuse, &dmem, &end2)) TH_LOG("%s", line2);
	EXPECT_STREQ("\n", line2 + end2);

	EXPECT_EQ(0, inuse);
	EXPECT_EQ(toy_proto_sockets("TOY"), inuse);
	EXPECT_EQ(1, dinuse);
	EXPECT_EQ(toy_proto_sockets("TOY-DGRAM"), dinuse);
	EXPECT_EQ(1, tw);
	EXPECT_EQ(0, orphan);
	EXPECT_LE(0, alloc);
	EXPECT_LE(0, mem);
	EXPECT_LE(0, dmem);
	EXPECT_LE(0, proto_memory("TOY", press));
	EXPECT_STREQ("no", press);
	EXPECT_LE(0, proto_memory("TOY-DGRAM", press));
	EXPECT_STREQ("no", press);
	close(d);
}

TEST_HARNESS_MAIN
