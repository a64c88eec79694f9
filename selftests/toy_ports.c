// SPDX-License-Identifier: GPL-2.0
/*
 * AF_TOY addressing and the port table: bind() and its errors,
 * getsockname()/getpeername(), the conflict rules (wildcard/specific,
 * SO_REUSEADDR, TOY_REUSEPORT), privileged ports, ephemeral ports and
 * their sysctls, source-port sharing at connect(), per-namespace tables,
 * and the receive-path lookup order (through /sys/kernel/debug/toy/lookup).
 *
 * Every test runs in a fresh network namespace of its own (so sysctls and
 * ports never leak between tests) and ends by waiting for the module's
 * live-object counters to read zero.  The "space" tests run once for
 * SOCK_STREAM and once for SOCK_DGRAM: the two have separate port spaces
 * and the same rules.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <linux/toy.h>

#include "kselftest_harness.h"
#include "toy_lib.h"
#include "toy_net.h"


static int tsock(int type)
{
	return socket(TOY_AF, type | SOCK_CLOEXEC, 0);
}

/* bind(): 0 or -errno. */
static int tbind(int fd, const char *ip, int port)
{
	struct sockaddr_toy a = taddr(ip, port);

	return bind(fd, (struct sockaddr *)&a, sizeof(a)) ? -errno : 0;
}

/* A new socket bound to ip:port, or -errno. */
static int tbound(int type, const char *ip, int port)
{
	int fd = tsock(type), err;

	if (fd < 0)
		return -errno;
	err = tbind(fd, ip, port);
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

/* Nonblocking connect(): 0 for EINPROGRESS, else -errno. */
static int tconnect(int fd, const char *ip, int port)
{
	struct sockaddr_toy a = taddr(ip, port);

	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	if (!connect(fd, (struct sockaddr *)&a, sizeof(a)))
		return 1;	/* not possible before the handshake exists */
	return errno == EINPROGRESS ? 0 : -errno;
}

static int set_int(int fd, int level, int name, int val)
{
	return setsockopt(fd, level, name, &val, sizeof(val)) ? -errno : 0;
}

/* The value with whitespace runs turned into single spaces, no newline. */
static char *sysctl_read(const char *name, char *buf, size_t len)
{
	char path[128], raw[256], *o = buf;
	ssize_t n;
	int fd, i, space = 0;

	snprintf(path, sizeof(path), "/proc/sys/net/toy/%s", name);
	buf[0] = '\0';
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return buf;
	n = read(fd, raw, sizeof(raw) - 1);
	close(fd);
	for (i = 0; i < n && (size_t)(o - buf) < len - 1; i++) {
		if (raw[i] == ' ' || raw[i] == '\t' || raw[i] == '\n') {
			space = 1;
			continue;
		}
		if (space && o != buf)
			*o++ = ' ';
		space = 0;
		*o++ = raw[i];
	}
	*o = '\0';
	return buf;
}

/* Run @fn in a child that has dropped root (uid/gid nobody). */
static int as_nobody(int (*fn)(void *), void *arg)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (!pid) {
		if (setresgid(NOBODY, NOBODY, NOBODY) ||
		    setresuid(NOBODY, NOBODY, NOBODY))
			_exit(100);
		_exit(fn(arg));
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static void setup_common(struct __test_metadata *_metadata)
{
	ASSERT_EQ(0, toy_live_wait_zero(5)) {
		TH_LOG("live objects left over before the test");
	}
	ASSERT_EQ(0, new_netns());
}

static void teardown_common(struct __test_metadata *_metadata)
{
	EXPECT_EQ(0, toy_live_wait_zero(5)) {
		TH_LOG("live objects left over after the test");
	}
}

/* ---- tests for both port spaces ------------------------------------ */

FIXTURE(space) {
	int type;
};

FIXTURE_VARIANT(space) {
	int type;
};

FIXTURE_VARIANT_ADD(space, stream) {
	.type = SOCK_STREAM,
};

FIXTURE_VARIANT_ADD(space, dgram) {
	.type = SOCK_DGRAM,
};

FIXTURE_SETUP(space)
{
	self->type = variant->type;
	setup_common(_metadata);
}

FIXTURE_TEARDOWN(space)
{
	teardown_common(_metadata);
}

TEST_F(space, bind_errors)
{
	struct sockaddr_toy a = taddr("127.0.0.1", 0);
	int fd = tsock(self->type), port;

	ASSERT_LE(0, fd);
	/* Too short an address. */
	EXPECT_EQ(-1, bind(fd, (struct sockaddr *)&a, sizeof(a) - 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, bind(fd, (struct sockaddr *)&a, 2));
	EXPECT_EQ(EINVAL, errno);
	/* Another family, AF_UNSPEC included. */
	a.stoy_family = AF_INET;
	EXPECT_EQ(-1, bind(fd, (struct sockaddr *)&a, sizeof(a)));
	EXPECT_EQ(EAFNOSUPPORT, errno);
	a.stoy_family = AF_UNSPEC;
	EXPECT_EQ(-1, bind(fd, (struct sockaddr *)&a, sizeof(a)));
	EXPECT_EQ(EAFNOSUPPORT, errno);
	/* An address that is not ours. */
	EXPECT_EQ(-EADDRNOTAVAIL, tbind(fd, "192.0.2.1", 5000));
	EXPECT_EQ(-EADDRNOTAVAIL, tbind(fd, "10.1.2.3", 0));
	/* None of that bound it; a local address does. */
	EXPECT_EQ(0, local_port(fd));
	EXPECT_EQ(0, tbind(fd, "127.0.0.1", 0));
	port = local_port(fd);
	EXPECT_LE(32768, port);
	EXPECT_GE(60999, port);
	/* A bound socket cannot be bound again. */
	EXPECT_EQ(-EINVAL, tbind(fd, "127.0.0.1", 0));
	EXPECT_EQ(-EINVAL, tbind(fd, "0.0.0.0", 6000));
	EXPECT_EQ(port, local_port(fd));
	close(fd);
}

TEST_F(space, getname)
{
	struct sockaddr_toy a;
	socklen_t len;
	int fd = tsock(self->type);
	char ip[INET_ADDRSTRLEN];

	ASSERT_LE(0, fd);
	/* Unbound: 0.0.0.0:0, every byte written, padding zero. */
	memset(&a, 0xa5, sizeof(a));
	len = sizeof(a);
	ASSERT_EQ(0, getsockname(fd, (struct sockaddr *)&a, &len));
	EXPECT_EQ(sizeof(a), len);
	EXPECT_EQ(TOY_AF, a.stoy_family);
	EXPECT_EQ(0, a.stoy_port);
	EXPECT_EQ(0, a.stoy_addr.s_addr);
	for (size_t i = 0; i < sizeof(a.stoy_zero); i++)
		EXPECT_EQ(0, a.stoy_zero[i]);
	len = sizeof(a);
	EXPECT_EQ(-1, getpeername(fd, (struct sockaddr *)&a, &len));
	EXPECT_EQ(ENOTCONN, errno);

	ASSERT_EQ(0, tbind(fd, "127.0.0.7", 7007));
	memset(&a, 0xa5, sizeof(a));
	len = sizeof(a);
	ASSERT_EQ(0, getsockname(fd, (struct sockaddr *)&a, &len));
	EXPECT_EQ(7007, ntohs(a.stoy_port));
	EXPECT_STREQ("127.0.0.7", inet_ntop(AF_INET, &a.stoy_addr, ip,
					       sizeof(ip)));
	for (size_t i = 0; i < sizeof(a.stoy_zero); i++)
		EXPECT_EQ(0, a.stoy_zero[i]);
	/* A short buffer gets a truncated address and the full length. */
	len = 4;
	ASSERT_EQ(0, getsockname(fd, (struct sockaddr *)&a, &len));
	EXPECT_EQ(sizeof(a), len);
	len = sizeof(a);
	EXPECT_EQ(-1, getpeername(fd, (struct sockaddr *)&a, &len));
	EXPECT_EQ(ENOTCONN, errno);
	close(fd);
}

TEST_F(space, wildcard_and_specific)
{
	int a, b;

	/* Wildcard first, then a specific address: they overlap. */
	a = tbound(self->type, "0.0.0.0", 5555);
	ASSERT_LE(0, a);
	EXPECT_EQ(-EADDRINUSE, tbound(self->type, "127.0.0.1", 5555));
	EXPECT_EQ(-EADDRINUSE, tbound(self->type, "0.0.0.0", 5555));
	close(a);
	/* Specific first, then the wildcard. */
	a = tbound(self->type, "127.0.0.1", 5555);
	ASSERT_LE(0, a);
	EXPECT_EQ(-EADDRINUSE, tbound(self->type, "0.0.0.0", 5555));
	EXPECT_EQ(-EADDRINUSE, tbound(self->type, "127.0.0.1", 5555));
	/* Two different specific addresses do not overlap. */
	b = tbound(self->type, "127.0.0.2", 5555);
	EXPECT_LE(0, b);
	close(b);
	close(a);
	/* Once closed, the port is free again. */
	a = tbound(self->type, "0.0.0.0", 5555);
	EXPECT_LE(0, a);
	close(a);
}

TEST_F(space, reuseaddr)
{
	int a, b, c;

	/* Both set: a wildcard and a specific owner may share. */
	a = tsock(self->type);
	b = tsock(self->type);
	ASSERT_EQ(0, set_int(a, SOL_SOCKET, SO_REUSEADDR, 1));
	ASSERT_EQ(0, set_int(b, SOL_SOCKET, SO_REUSEADDR, 1));
	ASSERT_EQ(0, tbind(a, "0.0.0.0", 5600));
	EXPECT_EQ(0, tbind(b, "127.0.0.1", 5600));
	/* One that did not set it is refused. */
	c = tsock(self->type);
	EXPECT_EQ(-EADDRINUSE, tbind(c, "127.0.0.1", 5600));
	close(c);
	close(b);
	close(a);

	/* Only the newcomer set it: refused; only the holder: refused. */
	a = tbound(self->type, "0.0.0.0", 5601);
	ASSERT_LE(0, a);
	b = tsock(self->type);
	ASSERT_EQ(0, set_int(b, SOL_SOCKET, SO_REUSEADDR, 1));
	EXPECT_EQ(-EADDRINUSE, tbind(b, "0.0.0.0", 5601));
	close(b);
	close(a);
	a = tsock(self->type);
	ASSERT_EQ(0, set_int(a, SOL_SOCKET, SO_REUSEADDR, 1));
	ASSERT_EQ(0, tbind(a, "0.0.0.0", 5602));
	EXPECT_EQ(-EADDRINUSE, tbound(self->type, "0.0.0.0", 5602));
	close(a);

	/* An automatic port is never shared, SO_REUSEADDR or not. */
	ASSERT_EQ(0, sysctl_write("ip_local_port_range", "40000 40000"));
	a = tsock(self->type);
	b = tsock(self->type);
	ASSERT_EQ(0, set_int(a, SOL_SOCKET, SO_REUSEADDR, 1));
	ASSERT_EQ(0, set_int(b, SOL_SOCKET, SO_REUSEADDR, 1));
	ASSERT_EQ(0, tbind(a, "0.0.0.0", 0));
	EXPECT_EQ(40000, local_port(a));
	EXPECT_EQ(-EADDRINUSE, tbind(b, "0.0.0.0", 0));
	/* ... but an explicit bind to it is, as TCP allows. */
	EXPECT_EQ(0, tbind(b, "0.0.0.0", 40000));
	close(b);
	close(a);
}

static int reuseport_as_nobody(void *arg)
{
	int type = *(int *)arg, fd = tsock(type);

	if (fd < 0 || set_int(fd, SOL_TOY, TOY_REUSEPORT, 1))
		return 101;
	return -tbind(fd, "0.0.0.0", 5700);
}

TEST_F(space, reuseport)
{
	int a, b, c, val;
	socklen_t len = sizeof(val);

	a = tsock(self->type);
	ASSERT_LE(0, a);
	/* Linux 6.1.y keeps SOL_SOCKET's SO_REUSEPORT for inet sockets. */
	EXPECT_EQ(-EOPNOTSUPP, set_int(a, SOL_SOCKET, SO_REUSEPORT, 1));
	ASSERT_EQ(0, set_int(a, SOL_TOY, TOY_REUSEPORT, 1));
	ASSERT_EQ(0, getsockopt(a, SOL_SOCKET, SO_REUSEPORT, &val, &len));
	EXPECT_EQ(1, val);
	val = 0;
	ASSERT_EQ(0, getsockopt(a, SOL_TOY, TOY_REUSEPORT, &val, &len));
	EXPECT_EQ(1, val);
	EXPECT_EQ(-EINVAL, setsockopt(a, SOL_TOY, TOY_REUSEPORT, &val, 2) ?
		  -errno : 0);
	EXPECT_EQ(-ENOPROTOOPT, set_int(a, SOL_TOY, 99, 1));
	ASSERT_EQ(0, tbind(a, "0.0.0.0", 5700));

	/* Same user, both set: shared (both may listen). */
	b = tsock(self->type);
	ASSERT_EQ(0, set_int(b, SOL_TOY, TOY_REUSEPORT, 1));
	EXPECT_EQ(0, tbind(b, "0.0.0.0", 5700));
	if (self->type == SOCK_STREAM) {
		EXPECT_EQ(0, listen(a, 8));
		EXPECT_EQ(0, listen(b, 8));
	}
	/* Not set on the newcomer: refused. */
	c = tsock(self->type);
	EXPECT_EQ(-EADDRINUSE, tbind(c, "0.0.0.0", 5700));
	close(c);
	/* Another user, both set: refused. */
	EXPECT_EQ(EADDRINUSE, as_nobody(reuseport_as_nobody, &self->type));
	close(b);
	close(a);
	/* With the port free, that user may take it. */
	EXPECT_EQ(0, as_nobody(reuseport_as_nobody, &self->type));
}

TEST_F(space, ephemeral_in_range)
{
	int fds[50], seen[100] = { 0 }, i, port;

	ASSERT_EQ(0, sysctl_write("ip_local_port_range", "40000 40099"));
	for (i = 0; i < 50; i++) {
		fds[i] = tbound(self->type, "0.0.0.0", 0);
		ASSERT_LE(0, fds[i]);
		port = local_port(fds[i]);
		ASSERT_LE(40000, port);
		ASSERT_GE(40099, port);
		EXPECT_EQ(0, seen[port - 40000]++);
	}
	for (i = 0; i < 50; i++)
		close(fds[i]);
}

TEST_F(space, exhaust_8_port_range)
{
	int fds[8], seen[8] = { 0 }, i, port, fd;

	ASSERT_EQ(0, sysctl_write("ip_local_port_range", "40000 40007"));
	for (i = 0; i < 8; i++) {
		fds[i] = tbound(self->type, "0.0.0.0", 0);
		ASSERT_LE(0, fds[i]);
		port = local_port(fds[i]);
		ASSERT_LE(40000, port);
		ASSERT_GE(40007, port);
		EXPECT_EQ(0, seen[port - 40000]++);
	}
	/* Full: bind(0) is EADDRINUSE, as TCP and UDP. */
	EXPECT_EQ(-EADDRINUSE, tbound(self->type, "0.0.0.0", 0));
	EXPECT_EQ(-EADDRINUSE, tbound(self->type, "127.0.0.1", 0));
	if (self->type == SOCK_STREAM) {
		/* connect() cannot share ports bind() holds: EADDRNOTAVAIL. */
		fd = tsock(SOCK_STREAM);
		EXPECT_EQ(-EADDRNOTAVAIL, tconnect(fd, "127.0.0.1", 7000));
		EXPECT_EQ(0, local_port(fd));
		close(fd);
	}
	/* One port freed is one port available. */
	close(fds[3]);
	fd = tbound(self->type, "0.0.0.0", 0);
	ASSERT_LE(0, fd);
	fds[3] = fd;
	for (i = 0; i < 8; i++)
		close(fds[i]);
}

TEST_F(space, reserved_ports_skipped)
{
	char buf[64];
	int a, b, c;

	ASSERT_EQ(0, sysctl_write("ip_local_port_range", "40000 40007"));
	ASSERT_EQ(0, sysctl_write("ip_local_reserved_ports", "40000-40005"));
	EXPECT_STREQ("40000-40005", sysctl_read("ip_local_reserved_ports",
						buf, sizeof(buf)));
	a = tbound(self->type, "0.0.0.0", 0);
	b = tbound(self->type, "0.0.0.0", 0);
	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	EXPECT_EQ(40006 + 40007, local_port(a) + local_port(b));
	EXPECT_EQ(-EADDRINUSE, tbound(self->type, "0.0.0.0", 0));
	/* Reserved only for the automatic choice. */
	c = tbound(self->type, "0.0.0.0", 40001);
	EXPECT_LE(0, c);
	close(c);
	close(b);
	close(a);
	EXPECT_EQ(-EINVAL, sysctl_write("ip_local_reserved_ports", "70000"));
}

/*
 * Automatic choices must look random: few equal or adjacent successive
 * choices, and every eighth of the range used about equally.
 */
static void assert_spread(struct __test_metadata *_metadata, const int *p,
			  int n, int low, int high)
{
	int bins[8] = { 0 }, adjacent = 0, i, span = high - low + 1;

	for (i = 0; i < n; i++) {
		ASSERT_LE(low, p[i]);
		ASSERT_GE(high, p[i]);
		bins[(long)(p[i] - low) * 8 / span]++;
		if (i && abs(p[i] - p[i - 1]) <= 1)
			adjacent++;
	}
	/* Random: about n * 3 / span; sequential or lowest-free: ~n. */
	EXPECT_GT(n / 20, adjacent);
	/* Each bin expects n / 8 (sd ~ 10 for n = 1000). */
	for (i = 0; i < 8; i++) {
		int got = bins[i];

		EXPECT_LT(n / 16, got) {
			TH_LOG("an eighth of the range got %d of %d", got, n);
		}
	}
}

TEST_F(space, auto_ports_spread)
{
	int ports[1000], i, fd;

	for (i = 0; i < 1000; i++) {
		fd = tbound(self->type, "0.0.0.0", 0);
		ASSERT_LE(0, fd);
		ports[i] = local_port(fd);
		close(fd);
	}
	assert_spread(_metadata, ports, 1000, 32768, 60999);
}

static int bind_low_port(void *arg)
{
	int type = *(int *)arg, fd = tsock(type), err;

	if (fd < 0)
		return 101;
	err = tbind(fd, "0.0.0.0", 80);
	close(fd);
	return -err;
}

static int bind_ports_as_nobody(void *arg)
{
	int type = *(int *)arg, fd = tsock(type);

	if (fd < 0)
		return 101;
	if (tbind(fd, "0.0.0.0", 1023) != -EACCES)
		return 102;
	if (tbind(fd, "0.0.0.0", 1024))
		return 103;
	close(fd);
	return 0;
}

/* Root of a new user namespace owns the netns it creates next. */
static int bind_low_in_userns(void *arg)
{
	if (unshare(CLONE_NEWUSER | CLONE_NEWNET))
		return errno == EPERM || errno == EINVAL ? 4 : 104;
	return bind_low_port(arg);
}

TEST_F(space, privileged_ports)
{
	int ret;

	/* Root may. */
	EXPECT_EQ(0, bind_low_port(&self->type));
	/* Without CAP_NET_BIND_SERVICE: EACCES below 1024 only. */
	EXPECT_EQ(EACCES, as_nobody(bind_low_port, &self->type));
	EXPECT_EQ(0, as_nobody(bind_ports_as_nobody, &self->type));
	/* The threshold is the sysctl's. */
	ASSERT_EQ(0, sysctl_write("ip_unprivileged_port_start", "80"));
	EXPECT_EQ(0, as_nobody(bind_low_port, &self->type));
	ASSERT_EQ(0, sysctl_write("ip_unprivileged_port_start", "81"));
	EXPECT_EQ(EACCES, as_nobody(bind_low_port, &self->type));
	/* The capability counts in the user namespace owning the netns. */
	ret = as_nobody(bind_low_in_userns, &self->type);
	if (ret == 4)
		SKIP(return, "unprivileged user namespaces are disabled");
	EXPECT_EQ(0, ret);
}

TEST_F(space, same_port_two_namespaces)
{
	int a, b;

	a = tbound(self->type, "0.0.0.0", 5800);
	ASSERT_LE(0, a);
	ASSERT_EQ(0, new_netns());
	b = tbound(self->type, "0.0.0.0", 5800);
	EXPECT_LE(0, b);
	EXPECT_EQ(2, toy_live("buckets"));
	EXPECT_EQ(-EADDRINUSE, tbound(self->type, "0.0.0.0", 5800));
	close(b);
	close(a);
}

TEST_F(space, port_spaces_are_separate)
{
	int other = self->type == SOCK_STREAM ? SOCK_DGRAM : SOCK_STREAM;
	int a, b;

	a = tbound(self->type, "0.0.0.0", 5900);
	ASSERT_LE(0, a);
	b = tbound(other, "0.0.0.0", 5900);
	EXPECT_LE(0, b);
	EXPECT_EQ(-EADDRINUSE, tbound(self->type, "127.0.0.1", 5900));
	EXPECT_EQ(-EADDRINUSE, tbound(other, "127.0.0.1", 5900));
	close(b);
	close(a);
}

/*
 * Races: threads bind the same port over and over; the table must never
 * let two hold it at once, and nothing may leak.
 */
struct race {
	int type;
	int iters;
	atomic_int holders;
	atomic_int wins;
	atomic_int bad;
};

/*
 * Four threads run @racer on @r at once: none may see a bad result, and
 * some must win.
 */
static void run_race(struct __test_metadata *_metadata, struct race *r,
		     void *(*racer)(void *))
{
	pthread_t t[4];
	int i;

	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, racer, r));
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	EXPECT_EQ(0, atomic_load(&r->bad));
	EXPECT_LT(0, atomic_load(&r->wins));
}

static void *bind_racer(void *arg)
{
	struct race *r = arg;
	int i, fd;

	for (i = 0; i < r->iters; i++) {
		fd = tbound(r->type, i & 1 ? "127.0.0.1" : "0.0.0.0", 6000);
		if (fd >= 0) {
			if (atomic_fetch_add(&r->holders, 1) != 0)
				atomic_fetch_add(&r->bad, 1);
			atomic_fetch_add(&r->wins, 1);
			atomic_fetch_sub(&r->holders, 1);
			close(fd);
		} else if (fd != -EADDRINUSE) {
			atomic_fetch_add(&r->bad, 1);
		}
	}
	return NULL;
}

TEST_F(space, bind_race)
{
	struct race r = { .type = self->type, .iters = 2000 };

	run_race(_metadata, &r, bind_racer);
}

/* ---- sysctls ------------------------------------------------------- */

FIXTURE(sysctl) {
	int unused;
};

FIXTURE_SETUP(sysctl)
{
	setup_common(_metadata);
}

FIXTURE_TEARDOWN(sysctl)
{
	teardown_common(_metadata);
}

TEST_F(sysctl, defaults_and_validation)
{
	char buf[64];

	EXPECT_STREQ("32768 60999", sysctl_read("ip_local_port_range", buf,
						 sizeof(buf)));
	EXPECT_STREQ("1024", sysctl_read("ip_unprivileged_port_start", buf,
					 sizeof(buf)));
	EXPECT_STREQ("", sysctl_read("ip_local_reserved_ports", buf,
				     sizeof(buf)));
	/* The range: low <= high, within 1..65535, not below the start. */
	EXPECT_EQ(-EINVAL, sysctl_write("ip_local_port_range", "40010 40000"));
	EXPECT_EQ(-EINVAL, sysctl_write("ip_local_port_range", "0 100"));
	EXPECT_EQ(-EINVAL, sysctl_write("ip_local_port_range", "40000 65536"));
	EXPECT_EQ(-EINVAL, sysctl_write("ip_local_port_range", "1000 2000"));
	EXPECT_STREQ("32768 60999", sysctl_read("ip_local_port_range", buf,
						 sizeof(buf)));
	EXPECT_EQ(0, sysctl_write("ip_local_port_range", "40000 40000"));
	/* The start may not pass the range's low end, nor leave 0..65535. */
	EXPECT_EQ(-EINVAL, sysctl_write("ip_unprivileged_port_start",
					"40001"));
	EXPECT_EQ(-EINVAL, sysctl_write("ip_unprivileged_port_start", "-1"));
	EXPECT_EQ(0, sysctl_write("ip_unprivileged_port_start", "500"));
	EXPECT_EQ(0, sysctl_write("ip_local_port_range", "1000 2000"));
	EXPECT_STREQ("1000 2000", sysctl_read("ip_local_port_range", buf,
					       sizeof(buf)));
	EXPECT_EQ(0, sysctl_write("ip_local_reserved_ports", "1000,1500-1600"));
	EXPECT_STREQ("1000,1500-1600", sysctl_read("ip_local_reserved_ports",
						   buf, sizeof(buf)));
}

TEST_F(sysctl, per_namespace)
{
	char buf[64];
	int first;

	first = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, first);
	ASSERT_EQ(0, sysctl_write("ip_local_port_range", "40000 40010"));
	ASSERT_EQ(0, sysctl_write("ip_unprivileged_port_start", "2000"));
	ASSERT_EQ(0, sysctl_write("ip_local_reserved_ports", "40001"));

	/* A new namespace starts from the defaults, not from its parent. */
	ASSERT_EQ(0, new_netns());
	EXPECT_STREQ("32768 60999", sysctl_read("ip_local_port_range", buf,
						 sizeof(buf)));
	EXPECT_STREQ("1024", sysctl_read("ip_unprivileged_port_start", buf,
					 sizeof(buf)));
	EXPECT_STREQ("", sysctl_read("ip_local_reserved_ports", buf,
				     sizeof(buf)));
	ASSERT_EQ(0, sysctl_write("ip_local_port_range", "50000 50001"));

	/* And the first one kept its own. */
	ASSERT_EQ(0, setns(first, CLONE_NEWNET));
	EXPECT_STREQ("40000 40010", sysctl_read("ip_local_port_range", buf,
						 sizeof(buf)));
	EXPECT_STREQ("2000", sysctl_read("ip_unprivileged_port_start", buf,
					 sizeof(buf)));
	EXPECT_STREQ("40001", sysctl_read("ip_local_reserved_ports", buf,
					  sizeof(buf)));
	close(first);
}

/* ---- stream: listen, connect, source ports ------------------------- */

FIXTURE(stream) {
	int unused;
};

FIXTURE_SETUP(stream)
{
	setup_common(_metadata);
}

FIXTURE_TEARDOWN(stream)
{
	teardown_common(_metadata);
}

TEST_F(stream, listener_always_blocks)
{
	int a, b;

	/* A listener refuses a SO_REUSEADDR newcomer. */
	a = tsock(SOCK_STREAM);
	b = tsock(SOCK_STREAM);
	ASSERT_EQ(0, set_int(a, SOL_SOCKET, SO_REUSEADDR, 1));
	ASSERT_EQ(0, set_int(b, SOL_SOCKET, SO_REUSEADDR, 1));
	ASSERT_EQ(0, tbind(a, "0.0.0.0", 6100));
	ASSERT_EQ(0, listen(a, 4));
	EXPECT_EQ(-EADDRINUSE, tbind(b, "0.0.0.0", 6100));
	EXPECT_EQ(-EADDRINUSE, tbind(b, "127.0.0.1", 6100));
	close(b);
	close(a);

	/* Two sharers: the first may listen, the second then may not. */
	a = tsock(SOCK_STREAM);
	b = tsock(SOCK_STREAM);
	ASSERT_EQ(0, set_int(a, SOL_SOCKET, SO_REUSEADDR, 1));
	ASSERT_EQ(0, set_int(b, SOL_SOCKET, SO_REUSEADDR, 1));
	ASSERT_EQ(0, tbind(a, "0.0.0.0", 6101));
	ASSERT_EQ(0, tbind(b, "0.0.0.0", 6101));
	EXPECT_EQ(0, listen(a, 4));
	EXPECT_EQ(-1, listen(b, 4));
	EXPECT_EQ(EADDRINUSE, errno);
	close(a);
	EXPECT_EQ(0, listen(b, 4));
	close(b);
}

TEST_F(stream, listen_basics)
{
	int fd = tsock(SOCK_STREAM), d = tsock(SOCK_DGRAM), port, val = 0;
	socklen_t len = sizeof(val);

	ASSERT_LE(0, fd);
	/* An unbound socket gets an ephemeral port. */
	ASSERT_EQ(0, listen(fd, 16));
	EXPECT_EQ(0, getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &val, &len));
	EXPECT_EQ(1, val);
	port = local_port(fd);
	EXPECT_LE(32768, port);
	EXPECT_GE(60999, port);
	EXPECT_EQ(0, listen(fd, 32));	/* again: only the backlog */
	EXPECT_EQ(-EINVAL, tbind(fd, "0.0.0.0", 0));
	EXPECT_EQ(-EISCONN, tconnect(fd, "127.0.0.1", 7000));
	/* connect(AF_UNSPEC) stops it listening, and frees the auto port. */
	struct sockaddr_toy un = { .stoy_family = AF_UNSPEC };

	EXPECT_EQ(0, connect(fd, (struct sockaddr *)&un, sizeof(un)));
	EXPECT_EQ(0, getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &val, &len));
	EXPECT_EQ(0, val);
	EXPECT_EQ(0, local_port(fd));
	EXPECT_EQ(0, toy_live("buckets"));
	/* An explicitly bound listener keeps its port. */
	ASSERT_EQ(0, tbind(fd, "0.0.0.0", 6150));
	ASSERT_EQ(0, listen(fd, 1));
	EXPECT_EQ(0, connect(fd, (struct sockaddr *)&un, sizeof(un)));
	EXPECT_EQ(6150, local_port(fd));
	EXPECT_EQ(0, listen(fd, 1));
	/* Datagram sockets do not listen. */
	EXPECT_EQ(-1, listen(d, 1));
	EXPECT_EQ(EOPNOTSUPP, errno);
	close(d);
	close(fd);
}

TEST_F(stream, connect_errors)
{
	struct sockaddr_toy a = taddr(SILENT, 7000);
	struct timeval tv = { .tv_usec = 200000 };
	struct sockaddr_toy peer;
	socklen_t len = sizeof(peer);
	int fd = tsock(SOCK_STREAM), port;

	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, connect(fd, (struct sockaddr *)&a, sizeof(a) - 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, connect(fd, (struct sockaddr *)&a, 1));
	EXPECT_EQ(EINVAL, errno);
	a.stoy_family = AF_INET;
	EXPECT_EQ(-1, connect(fd, (struct sockaddr *)&a, sizeof(a)));
	EXPECT_EQ(EAFNOSUPPORT, errno);
	/* No route: only lo and 10.9/16 exist here. */
	EXPECT_EQ(-ENETUNREACH, tconnect(fd, "192.0.2.1", 7000));
	EXPECT_EQ(0, local_port(fd));

	/* Connecting: a local port, no peer yet, EALREADY, no bind. */
	ASSERT_EQ(0, tconnect(fd, SILENT, 7000));
	port = local_port(fd);
	EXPECT_LE(32768, port);
	EXPECT_GE(60999, port);
	EXPECT_EQ(-1, getpeername(fd, (struct sockaddr *)&peer, &len));
	EXPECT_EQ(ENOTCONN, errno);
	EXPECT_EQ(-EALREADY, tconnect(fd, SILENT, 7000));
	EXPECT_EQ(-EINVAL, tbind(fd, "0.0.0.0", 0));
	EXPECT_EQ(-1, listen(fd, 1));
	EXPECT_EQ(EINVAL, errno);

	/* AF_UNSPEC dissolves it and gives back the automatic port. */
	a.stoy_family = AF_UNSPEC;
	EXPECT_EQ(0, connect(fd, (struct sockaddr *)&a, sizeof(a)));
	EXPECT_EQ(0, local_port(fd));
	EXPECT_EQ(0, toy_live("buckets"));

	/* Blocking, with SO_SNDTIMEO: EINPROGRESS when it runs out. */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)));
	a.stoy_family = TOY_AF;
	EXPECT_EQ(-1, connect(fd, (struct sockaddr *)&a, sizeof(a)));
	EXPECT_EQ(EINPROGRESS, errno);
	close(fd);
}

struct blocked_connect {
	int fd;
	int err;
	double took;
};

static void *blocking_connect(void *arg)
{
	struct blocked_connect *b = arg;
	struct sockaddr_toy a = taddr(SILENT, 7000);
	double t0 = toy_now();

	b->err = connect(b->fd, (struct sockaddr *)&a, sizeof(a)) ? errno : 0;
	b->took = toy_now() - t0;
	return NULL;
}

/* connect(AF_UNSPEC) from another thread ends a blocking connect(). */
TEST_F(stream, disconnect_wakes_connect)
{
	struct sockaddr_toy un = { .stoy_family = AF_UNSPEC };
	struct blocked_connect b = { .err = -1 };
	int val = 0;
	socklen_t len = sizeof(val);
	pthread_t t;

	b.fd = tsock(SOCK_STREAM);
	ASSERT_LE(0, b.fd);
	ASSERT_EQ(0, pthread_create(&t, NULL, blocking_connect, &b));
	/* Wait until it sleeps in SYN_SENT (its port is taken). */
	for (int i = 0; i < 500 && local_port(b.fd) == 0; i++)
		usleep(10000);
	ASSERT_NE(0, local_port(b.fd));
	usleep(100000);
	EXPECT_EQ(0, connect(b.fd, (struct sockaddr *)&un, sizeof(un)));
	pthread_join(t, NULL);
	/* As TCP: the sleeper learns its attempt is gone (EPIPE) ... */
	EXPECT_EQ(EPIPE, b.err);
	EXPECT_GT(5 * toy_timeout_scale(), b.took);
	/* ... SO_ERROR says why, and the socket can connect again. */
	EXPECT_EQ(0, getsockopt(b.fd, SOL_SOCKET, SO_ERROR, &val, &len));
	EXPECT_EQ(ECONNRESET, val);
	EXPECT_EQ(0, local_port(b.fd));
	EXPECT_EQ(0, tconnect(b.fd, SILENT, 7000));
	close(b.fd);
}

/* Bound to a multicast address, connect() takes the route's source. */
TEST_F(stream, connect_from_multicast_bound)
{
	char ip[INET_ADDRSTRLEN];
	struct sockaddr_toy a;
	socklen_t len = sizeof(a);
	int fd = tsock(SOCK_STREAM);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, tbind(fd, "224.0.0.1", 6500));
	ASSERT_EQ(0, tconnect(fd, SILENT, 7000));
	ASSERT_EQ(0, getsockname(fd, (struct sockaddr *)&a, &len));
	EXPECT_STREQ("10.9.0.1", inet_ntop(AF_INET, &a.stoy_addr, ip,
					      sizeof(ip)));
	EXPECT_EQ(6500, ntohs(a.stoy_port));
	close(fd);
}

struct proc_row {
	unsigned int laddr, lport, raddr, rport, st, txq, rxq, tr, retr, uid;
	unsigned long when, ino;
	int timeout;
};

/* The /proc/net/toy row of the socket with inode @ino; 1 if found. */
static int proc_toy_row(unsigned long ino, struct proc_row *r, int *rows)
{
	char line[256];
	FILE *f = fopen("/proc/net/toy", "r");
	int found = 0, n = 0;

	if (!f)
		return -1;
	if (!fgets(line, sizeof(line), f) ||
	    strncmp(line, "  sl  local_address rem_address   st", 36)) {
		fclose(f);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		struct proc_row x;
		int sl;

		n++;
		if (sscanf(line, "%d: %X:%X %X:%X %X %X:%X %X:%lX %X %u %d %lu",
			   &sl, &x.laddr, &x.lport, &x.raddr, &x.rport, &x.st,
			   &x.txq, &x.rxq, &x.tr, &x.when, &x.retr, &x.uid,
			   &x.timeout, &x.ino) != 14)
			continue;
		if (x.ino == ino) {
			*r = x;
			found = 1;
		}
	}
	fclose(f);
	if (rows)
		*rows = n;
	return found;
}

/* /proc/net/toy lists listeners and connections as /proc/net/tcp does. */
TEST_F(stream, proc_net_toy)
{
	struct in_addr lo, l, s;
	struct proc_row r;
	int lfd, cfd, rows;

	inet_pton(AF_INET, "127.0.0.1", &lo);
	inet_pton(AF_INET, "10.9.0.1", &l);
	inet_pton(AF_INET, SILENT, &s);
	ASSERT_EQ(0, proc_toy_row(0, &r, &rows));
	EXPECT_EQ(0, rows);

	lfd = tbound(SOCK_STREAM, "127.0.0.1", 8080);
	ASSERT_LE(0, lfd);
	ASSERT_EQ(0, listen(lfd, 5));
	cfd = tsock(SOCK_STREAM);
	ASSERT_EQ(0, tconnect(cfd, SILENT, 7000));

	ASSERT_EQ(1, proc_toy_row(fd_ino(lfd), &r, &rows));
	EXPECT_EQ(2, rows);
	EXPECT_EQ(lo.s_addr, r.laddr);
	EXPECT_EQ(8080, r.lport);
	EXPECT_EQ(0, r.raddr);
	EXPECT_EQ(0, r.rport);
	EXPECT_EQ(0x0A, r.st);		/* TCP_LISTEN */
	EXPECT_EQ(0, r.tr);
	EXPECT_EQ(0, r.uid);

	ASSERT_EQ(1, proc_toy_row(fd_ino(cfd), &r, NULL));
	EXPECT_EQ(l.s_addr, r.laddr);
	EXPECT_EQ(local_port(cfd), r.lport);
	EXPECT_EQ(s.s_addr, r.raddr);
	EXPECT_EQ(7000, r.rport);
	EXPECT_EQ(0x02, r.st);		/* TCP_SYN_SENT */
	EXPECT_EQ(1, r.tr);		/* the SYN's retransmission timer */
	EXPECT_GE(100, r.when);		/* under 1 s away, in clock ticks */

	close(cfd);
	close(lfd);
	ASSERT_EQ(0, proc_toy_row(0, &r, &rows));
	EXPECT_EQ(0, rows);
}

TEST_F(stream, shared_source_port)
{
	int a, b, c, d;

	/* A one-port range serves two destinations: 4-tuples differ. */
	ASSERT_EQ(0, sysctl_write("ip_local_port_range", "40000 40000"));
	a = tsock(SOCK_STREAM);
	b = tsock(SOCK_STREAM);
	c = tsock(SOCK_STREAM);
	ASSERT_EQ(0, tconnect(a, SILENT, 7001));
	ASSERT_EQ(0, tconnect(b, SILENT, 7002));
	EXPECT_EQ(40000, local_port(a));
	EXPECT_EQ(40000, local_port(b));
	/* The same destination again would repeat a 4-tuple. */
	EXPECT_EQ(-EADDRNOTAVAIL, tconnect(c, SILENT, 7001));
	/* Another local address makes another 4-tuple. */
	EXPECT_EQ(0, tbind(c, "10.9.0.3", 0));
	EXPECT_EQ(40000, local_port(c));
	EXPECT_EQ(0, tconnect(c, SILENT, 7001));
	EXPECT_EQ(1, toy_live("buckets"));
	close(c);
	/* bind(0) cannot have a port that connections use. */
	EXPECT_EQ(-EADDRINUSE, tbound(SOCK_STREAM, "0.0.0.0", 0));
	close(b);
	close(a);

	/* A port that bind() holds is not shared by automatic choice. */
	d = tbound(SOCK_STREAM, "0.0.0.0", 0);
	ASSERT_LE(0, d);
	EXPECT_EQ(40000, local_port(d));
	a = tsock(SOCK_STREAM);
	EXPECT_EQ(-EADDRNOTAVAIL, tconnect(a, SILENT, 7001));
	close(a);
	close(d);

	/* ... unless the reuse options let each socket bind it. */
	a = tsock(SOCK_STREAM);
	b = tsock(SOCK_STREAM);
	ASSERT_EQ(0, set_int(a, SOL_SOCKET, SO_REUSEADDR, 1));
	ASSERT_EQ(0, set_int(b, SOL_SOCKET, SO_REUSEADDR, 1));
	ASSERT_EQ(0, tbind(a, "10.9.0.1", 40000));
	ASSERT_EQ(0, tbind(b, "10.9.0.1", 40000));
	EXPECT_EQ(0, tconnect(a, SILENT, 7001));
	EXPECT_EQ(0, tconnect(b, SILENT, 7002));
	c = tsock(SOCK_STREAM);
	ASSERT_EQ(0, set_int(c, SOL_SOCKET, SO_REUSEADDR, 1));
	ASSERT_EQ(0, tbind(c, "10.9.0.1", 40000));
	EXPECT_EQ(-EADDRNOTAVAIL, tconnect(c, SILENT, 7001));
	close(c);
	close(b);
	close(a);
}

TEST_F(stream, connect_exhaustion)
{
	int fds[9], seen[8] = { 0 }, i, port;

	ASSERT_EQ(0, sysctl_write("ip_local_port_range", "40000 40007"));
	for (i = 0; i < 8; i++) {
		fds[i] = tsock(SOCK_STREAM);
		ASSERT_EQ(0, tconnect(fds[i], SILENT, 7000));
		port = local_port(fds[i]);
		ASSERT_LE(40000, port);
		ASSERT_GE(40007, port);
		EXPECT_EQ(0, seen[port - 40000]++);
	}
	/* Every 4-tuple to 127.0.0.1:7000 is taken: EADDRNOTAVAIL. */
	fds[8] = tsock(SOCK_STREAM);
	EXPECT_EQ(-EADDRNOTAVAIL, tconnect(fds[8], SILENT, 7000));
	/* Another destination still has all eight. */
	EXPECT_EQ(0, tconnect(fds[8], SILENT, 7001));
	for (i = 0; i < 9; i++)
		close(fds[i]);
}

TEST_F(stream, connect_ports_spread)
{
	int ports[1000], i, fd;

	for (i = 0; i < 1000; i++) {
		fd = tsock(SOCK_STREAM);
		ASSERT_EQ(0, tconnect(fd, SILENT, 10000 + i));
		ports[i] = local_port(fd);
		close(fd);
	}
	assert_spread(_metadata, ports, 1000, 32768, 60999);
}

static void *connect_racer(void *arg)
{
	struct race *r = arg;
	int i, fd, err;

	for (i = 0; i < r->iters; i++) {
		fd = tsock(SOCK_STREAM);
		err = tconnect(fd, SILENT, 7000 + (i & 1));
		if (err && err != -EADDRNOTAVAIL)
			atomic_fetch_add(&r->bad, 1);
		if (!err)
			atomic_fetch_add(&r->wins, 1);
		close(fd);
	}
	return NULL;
}

TEST_F(stream, connect_race)
{
	struct race r = { .type = SOCK_STREAM, .iters = 1000 };

	ASSERT_EQ(0, sysctl_write("ip_local_port_range", "40000 40003"));
	run_race(_metadata, &r, connect_racer);
}

/* ---- the receive-path lookup --------------------------------------- */

FIXTURE(lookup) {
	int unused;
};

FIXTURE_SETUP(lookup)
{
	setup_common(_metadata);
	if (access(TOY_LOOKUP_PATH, F_OK))
		mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	ASSERT_EQ(0, access(TOY_LOOKUP_PATH, W_OK));
}

FIXTURE_TEARDOWN(lookup)
{
	teardown_common(_metadata);
}

TEST_F(lookup, stream_order)
{
	int wild, spec, conn, port, acc;

	/* A wildcard and a specific listener share 6200 (TOY_REUSEPORT). */
	wild = tsock(SOCK_STREAM);
	spec = tsock(SOCK_STREAM);
	ASSERT_EQ(0, set_int(wild, SOL_TOY, TOY_REUSEPORT, 1));
	ASSERT_EQ(0, set_int(spec, SOL_TOY, TOY_REUSEPORT, 1));
	ASSERT_EQ(0, tbind(wild, "0.0.0.0", 6200));
	ASSERT_EQ(0, tbind(spec, "127.0.0.1", 6200));
	ASSERT_EQ(0, listen(wild, 4));
	ASSERT_EQ(0, listen(spec, 4));

	/* The specific listener first, the wildcard for other addresses. */
	EXPECT_EQ(fd_ino(spec), lookup("stream 127.0.0.9:1234 127.0.0.1:6200"));
	EXPECT_EQ(fd_ino(wild), lookup("stream 127.0.0.9:1234 127.0.0.2:6200"));
	EXPECT_EQ(0, lookup("stream 127.0.0.9:1234 127.0.0.1:6201"));

	/* The exact 4-tuple beats every listener. */
	conn = tsock(SOCK_STREAM);
	ASSERT_EQ(0, tbind(conn, "127.0.0.1", 0));
	port = local_port(conn);
	ASSERT_EQ(0, tconnect(conn, "127.0.0.1", 6200));
	EXPECT_EQ(fd_ino(conn), lookup("stream 127.0.0.1:6200 127.0.0.1:%d",
				       port));
	/* Only that tuple: another peer reaches no one on that port. */
	EXPECT_EQ(0, lookup("stream 127.0.0.1:6201 127.0.0.1:%d", port));
	/*
	 * Demux is exact: the server side of the same pair is the
	 * connection the listener made for it, not the listener.
	 */
	acc = accept(spec, NULL, NULL);
	ASSERT_LE(0, acc);
	EXPECT_EQ(fd_ino(acc), lookup("stream 127.0.0.1:%d 127.0.0.1:6200",
				      port));
	/* Abortive closes (SO_LINGER 0): no orphan, no TIME_WAIT left. */
	ASSERT_EQ(0, setsockopt(acc, SOL_SOCKET, SO_LINGER,
				&(struct linger){ 1, 0 }, sizeof(struct linger)));
	ASSERT_EQ(0, setsockopt(conn, SOL_SOCKET, SO_LINGER,
				&(struct linger){ 1, 0 }, sizeof(struct linger)));
	close(acc);
	close(conn);
	EXPECT_EQ(0, lookup("stream 127.0.0.1:6200 127.0.0.1:%d", port));
	close(spec);
	EXPECT_EQ(fd_ino(wild), lookup("stream 127.0.0.9:1234 127.0.0.1:6200"));
	close(wild);
	EXPECT_EQ(0, lookup("stream 127.0.0.9:1234 127.0.0.1:6200"));
	/* Malformed requests are refused. */
	EXPECT_EQ(-EINVAL, lookup("stream 127.0.0.1 127.0.0.1:1"));
	EXPECT_EQ(-EINVAL, lookup("raw 127.0.0.1:1 127.0.0.1:1"));
	EXPECT_EQ(-EINVAL, lookup("stream 1.2.3.4:70000 127.0.0.1:1"));
}

/* @n reuseport sockets of @type on 0.0.0.0:@port, hit by 400 flows. */
static void check_spread(struct __test_metadata *_metadata, int type,
			 int port, int n)
{
	int fds[4], hits[4] = { 0 }, i, j;
	const char *kind = type == SOCK_STREAM ? "stream" : "dgram";
	long ino, again;

	for (i = 0; i < n; i++) {
		fds[i] = tsock(type);
		ASSERT_EQ(0, set_int(fds[i], SOL_TOY, TOY_REUSEPORT, 1));
		ASSERT_EQ(0, tbind(fds[i], "0.0.0.0", port));
		if (type == SOCK_STREAM)
			ASSERT_EQ(0, listen(fds[i], 4));
	}
	for (j = 0; j < 400; j++) {
		ino = lookup("%s 10.0.%d.%d:%d 127.0.0.1:%d", kind, j % 7,
			     j % 251, 20000 + j, port);
		again = lookup("%s 10.0.%d.%d:%d 127.0.0.1:%d", kind, j % 7,
			       j % 251, 20000 + j, port);
		EXPECT_EQ(ino, again);	/* one flow, one member */
		for (i = 0; i < n; i++)
			if (ino == (long)fd_ino(fds[i]))
				hits[i]++;
	}
	for (i = 0; i < n; i++) {
		int got = hits[i];

		EXPECT_LT(400 / n / 2, got) {
			TH_LOG("a member got %d of 400 flows", got);
		}
		close(fds[i]);
	}
}

TEST_F(lookup, stream_reuseport_spread)
{
	check_spread(_metadata, SOCK_STREAM, 6300, 4);
}

TEST_F(lookup, dgram_reuseport_spread)
{
	check_spread(_metadata, SOCK_DGRAM, 6301, 4);
}

TEST_F(lookup, dgram_by_destination_port)
{
	int wild, spec, other;

	wild = tsock(SOCK_DGRAM);
	spec = tsock(SOCK_DGRAM);
	ASSERT_EQ(0, set_int(wild, SOL_SOCKET, SO_REUSEADDR, 1));
	ASSERT_EQ(0, set_int(spec, SOL_SOCKET, SO_REUSEADDR, 1));
	ASSERT_EQ(0, tbind(wild, "0.0.0.0", 6400));
	ASSERT_EQ(0, tbind(spec, "127.0.0.1", 6400));
	other = tbound(SOCK_DGRAM, "0.0.0.0", 6401);
	ASSERT_LE(0, other);

	/* Whoever sends, the destination decides. */
	EXPECT_EQ(fd_ino(spec), lookup("dgram 127.0.0.5:1 127.0.0.1:6400"));
	EXPECT_EQ(fd_ino(spec), lookup("dgram 10.9.8.7:999 127.0.0.1:6400"));
	EXPECT_EQ(fd_ino(wild), lookup("dgram 10.9.8.7:999 127.0.0.3:6400"));
	EXPECT_EQ(fd_ino(other), lookup("dgram 10.9.8.7:999 127.0.0.3:6401"));
	EXPECT_EQ(fd_ino(other), lookup("dgram 127.0.0.1:6400 127.0.0.1:6401"));
	EXPECT_EQ(0, lookup("dgram 127.0.0.1:6400 127.0.0.1:6402"));
	/* The stream space is another world. */
	EXPECT_EQ(0, lookup("stream 127.0.0.5:1 127.0.0.1:6400"));
	close(other);
	close(spec);
	close(wild);
}

TEST_HARNESS_MAIN
