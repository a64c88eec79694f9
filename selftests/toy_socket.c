// SPDX-License-Identifier: GPL-2.0
/*
 * AF_TOY socket creation: the errno table of socket(), flags, the identity
 * options, per-namespace accounting and the live-object counters.  Every
 * test ends by waiting for the module's live-object counters to read zero.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stddef.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <linux/toy.h>

#include "kselftest_harness.h"
#include "toy_lib.h"

#ifndef SOCK_MAX
#define SOCK_MAX (SOCK_PACKET + 1)
#endif

FIXTURE(toy) {
	int unused;
};

FIXTURE_SETUP(toy)
{
	ASSERT_EQ(0, toy_live_wait_zero(5)) {
		TH_LOG("live objects left over before the test");
	}
}

FIXTURE_TEARDOWN(toy)
{
	EXPECT_EQ(0, toy_live_wait_zero(5)) {
		TH_LOG("live objects left over after the test");
	}
}

/* The uapi contract: constants and a sockaddr_in-compatible layout. */
TEST(uapi_contract)
{
	ASSERT_EQ(18, AF_TOY);
	ASSERT_EQ(AF_TOY, PF_TOY);
	ASSERT_EQ(253, IPPROTO_TOY);
	ASSERT_LT(AF_TOY, 46);	/* sock_register() needs < AF_MAX on 6.1 */
	ASSERT_EQ(sizeof(struct sockaddr_in), sizeof(struct sockaddr_toy));
	ASSERT_EQ(offsetof(struct sockaddr_in, sin_family),
		  offsetof(struct sockaddr_toy, stoy_family));
	ASSERT_EQ(offsetof(struct sockaddr_in, sin_port),
		  offsetof(struct sockaddr_toy, stoy_port));
	ASSERT_EQ(offsetof(struct sockaddr_in, sin_addr),
		  offsetof(struct sockaddr_toy, stoy_addr));
	ASSERT_EQ(offsetof(struct sockaddr_in, sin_zero),
		  offsetof(struct sockaddr_toy, stoy_zero));
	ASSERT_EQ(sizeof(((struct sockaddr_in *)0)->sin_zero),
		  sizeof(((struct sockaddr_toy *)0)->stoy_zero));
	/* The module registered the family the header names. */
	ASSERT_EQ(AF_TOY, toy_read_long("/sys/module/toy/parameters/family"));
}

struct create_case {
	const char	*name;
	int		type;
	int		protocol;
	int		err;	/* 0: success */
};

static const struct create_case create_cases[] = {
	{ "stream, protocol 0",		SOCK_STREAM,	0,		0 },
	{ "stream, IPPROTO_TOY",	SOCK_STREAM,	IPPROTO_TOY,	0 },
	{ "dgram, protocol 0",		SOCK_DGRAM,	0,		0 },
	{ "dgram, IPPROTO_TOY",		SOCK_DGRAM,	IPPROTO_TOY,	0 },
	{ "stream, IPPROTO_TCP",	SOCK_STREAM,	IPPROTO_TCP,	EPROTONOSUPPORT },
	{ "dgram, IPPROTO_UDP",		SOCK_DGRAM,	IPPROTO_UDP,	EPROTONOSUPPORT },
	{ "stream, protocol 254",	SOCK_STREAM,	254,		EPROTONOSUPPORT },
	{ "stream, protocol -1",	SOCK_STREAM,	-1,		EINVAL },
	{ "dgram, IPPROTO_MAX",		SOCK_DGRAM,	IPPROTO_MAX,	EINVAL },
	{ "raw",			SOCK_RAW,	0,		ESOCKTNOSUPPORT },
	{ "raw, IPPROTO_TOY",		SOCK_RAW,	IPPROTO_TOY,	ESOCKTNOSUPPORT },
	{ "seqpacket",			SOCK_SEQPACKET,	0,		ESOCKTNOSUPPORT },
	{ "rdm",			SOCK_RDM,	0,		ESOCKTNOSUPPORT },
	{ "packet",			SOCK_PACKET,	0,		ESOCKTNOSUPPORT },
	{ "type SOCK_MAX",		SOCK_MAX,	0,		EINVAL },
};

TEST_F(toy, create_errno_table)
{
	unsigned int i;
	int fd;

	for (i = 0; i < sizeof(create_cases) / sizeof(create_cases[0]); i++) {
		const struct create_case *c = &create_cases[i];

		errno = 0;
		fd = socket(TOY_AF, c->type, c->protocol);
		if (c->err) {
			EXPECT_EQ(-1, fd) {
				TH_LOG("%s: created, expected %s", c->name,
				       strerror(c->err));
			}
			EXPECT_EQ(c->err, errno) {
				TH_LOG("%s: %s, expected %s", c->name,
				       strerror(errno), strerror(c->err));
			}
		} else {
			EXPECT_LE(0, fd) {
				TH_LOG("%s: %s", c->name, strerror(errno));
			}
		}
		if (fd >= 0)
			close(fd);
	}
}

/*
 * Where the protocol number does not matter, AF_TOY must fail exactly as
 * AF_INET does, so TCP habits hold.  (Types outside [0, SOCK_MAX) never
 * reach a family: the socket layer rejects them, so they are not here.)
 */
TEST_F(toy, create_errors_match_inet)
{
	static const struct { int type, protocol; } cases[] = {
		{ SOCK_SEQPACKET, 0 }, { SOCK_RDM, 0 }, { SOCK_STREAM, -1 },
		{ SOCK_DGRAM, IPPROTO_MAX }, { SOCK_STREAM, IPPROTO_UDP },
		{ SOCK_DGRAM, IPPROTO_TCP },
	};
	unsigned int i;
	int a, b, ea, eb;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		a = socket(AF_INET, cases[i].type, cases[i].protocol);
		ea = errno;
		b = socket(TOY_AF, cases[i].type, cases[i].protocol);
		eb = errno;
		EXPECT_EQ(-1, a);
		EXPECT_EQ(-1, b);
		EXPECT_EQ(ea, eb) {
			TH_LOG("type %d protocol %d: AF_INET %s, AF_TOY %s",
			       cases[i].type, cases[i].protocol,
			       strerror(ea), strerror(eb));
		}
		if (a >= 0)
			close(a);
		if (b >= 0)
			close(b);
	}
}

TEST_F(toy, nonblock_cloexec_flags)
{
	static const int types[] = { SOCK_STREAM, SOCK_DGRAM };
	unsigned int i;
	int fd;

	for (i = 0; i < 2; i++) {
		fd = socket(TOY_AF, types[i] | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		ASSERT_LE(0, fd);
		EXPECT_TRUE(fcntl(fd, F_GETFL) & O_NONBLOCK);
		EXPECT_TRUE(fcntl(fd, F_GETFD) & FD_CLOEXEC);
		close(fd);

		fd = socket(TOY_AF, types[i], 0);
		ASSERT_LE(0, fd);
		EXPECT_FALSE(fcntl(fd, F_GETFL) & O_NONBLOCK);
		EXPECT_FALSE(fcntl(fd, F_GETFD) & FD_CLOEXEC);
		close(fd);
	}
}

static int getint(int fd, int level, int opt)
{
	socklen_t len = sizeof(int);
	int val = -12345;

	if (getsockopt(fd, level, opt, &val, &len) || len != sizeof(int))
		return -12345;
	return val;
}

/* SO_DOMAIN/SO_TYPE/SO_PROTOCOL tell tools what the socket is. */
TEST_F(toy, identity_options)
{
	static const int types[] = { SOCK_STREAM, SOCK_DGRAM };
	unsigned int i;
	int fd, val;
	socklen_t len;

	for (i = 0; i < 2; i++) {
		fd = socket(TOY_AF, types[i], 0);
		ASSERT_LE(0, fd);
		EXPECT_EQ(TOY_AF, getint(fd, SOL_SOCKET, SO_DOMAIN));
		EXPECT_EQ(types[i], getint(fd, SOL_SOCKET, SO_TYPE));
		EXPECT_EQ(IPPROTO_TOY, getint(fd, SOL_SOCKET, SO_PROTOCOL));
		EXPECT_EQ(0, getint(fd, SOL_SOCKET, SO_ACCEPTCONN));
		EXPECT_EQ(0, getint(fd, SOL_SOCKET, SO_ERROR));

		/* Generic options work through the socket layer. */
		val = 65536;
		EXPECT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &val,
					sizeof(val)));
		EXPECT_EQ(2 * 65536, getint(fd, SOL_SOCKET, SO_RCVBUF));

		/* An unknown AF_TOY option: ENOPROTOOPT, as TCP. */
		len = sizeof(val);
		EXPECT_EQ(-1, getsockopt(fd, SOL_TOY, 99, &val, &len));
		EXPECT_EQ(ENOPROTOOPT, errno);
		EXPECT_EQ(-1, setsockopt(fd, SOL_TOY, 99, &val, sizeof(val)));
		EXPECT_EQ(ENOPROTOOPT, errno);
		EXPECT_EQ(-1, getsockopt(fd, IPPROTO_TCP, 1, &val, &len));
		EXPECT_EQ(ENOPROTOOPT, errno);
		close(fd);
	}
}

TEST_F(toy, socketpair_unsupported)
{
	int sv[2];

	EXPECT_EQ(-1, socketpair(TOY_AF, SOCK_STREAM, 0, sv));
	EXPECT_EQ(EOPNOTSUPP, errno);
	EXPECT_EQ(-1, socketpair(TOY_AF, SOCK_DGRAM, 0, sv));
	EXPECT_EQ(EOPNOTSUPP, errno);
}

/* /proc/net/protocols and /proc/net/toy_stat follow every socket. */
TEST_F(toy, proc_accounting)
{
	long stream0 = toy_proto_sockets("TOY");
	long dgram0 = toy_proto_sockets("TOY-DGRAM");
	long create0 = toy_stat("SockCreate");
	long release0 = toy_stat("SockRelease");
	int fds[5], i;

	ASSERT_LE(0, stream0);
	ASSERT_LE(0, dgram0);
	ASSERT_LE(0, create0);
	ASSERT_LE(0, release0);

	for (i = 0; i < 5; i++) {
		fds[i] = socket(TOY_AF, i < 3 ? SOCK_STREAM : SOCK_DGRAM, 0);
		ASSERT_LE(0, fds[i]);
	}
	EXPECT_EQ(stream0 + 3, toy_proto_sockets("TOY"));
	EXPECT_EQ(dgram0 + 2, toy_proto_sockets("TOY-DGRAM"));
	EXPECT_EQ(create0 + 5, toy_stat("SockCreate"));
	EXPECT_LE(5, toy_live("sockets"));

	for (i = 0; i < 5; i++)
		close(fds[i]);
	EXPECT_EQ(stream0, toy_proto_sockets("TOY"));
	EXPECT_EQ(dgram0, toy_proto_sockets("TOY-DGRAM"));
	EXPECT_EQ(release0 + 5, toy_stat("SockRelease"));
}

/*
 * Each network namespace has its own AF_TOY state: a new namespace starts
 * with zero counts even while the parent's sockets are open, and its
 * sockets are not counted in the parent.
 */
TEST_F(toy, netns_accounting)
{
	long parent0 = toy_proto_sockets("TOY");
	int fd, pfd, ready[2], done[2], status;
	char c = 0;
	pid_t pid;

	pfd = socket(TOY_AF, SOCK_STREAM, 0);
	ASSERT_LE(0, pfd);
	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(done));

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (unshare(CLONE_NEWNET))
			_exit(2);
		if (toy_proto_sockets("TOY") != 0 || toy_stat("SockCreate") != 0)
			_exit(3);
		fd = socket(TOY_AF, SOCK_STREAM, 0);
		if (fd < 0)
			_exit(4);
		if (toy_proto_sockets("TOY") != 1 || toy_stat("SockCreate") != 1)
			_exit(5);
		/* Hold the socket until the parent has looked. */
		if (write(ready[1], &c, 1) != 1 || read(done[0], &c, 1) != 1)
			_exit(6);
		close(fd);
		_exit(toy_stat("SockRelease") == 1 ? 0 : 7);
	}
	ASSERT_EQ(1, read(ready[0], &c, 1));
	/* The child's open socket is not in the parent's namespace count. */
	EXPECT_EQ(parent0 + 1, toy_proto_sockets("TOY"));
	EXPECT_EQ(2, toy_live("sockets"));
	ASSERT_EQ(1, write(done[1], &c, 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		TH_LOG("child status 0x%x", status);
	}
	close(pfd);
	close(ready[0]);
	close(ready[1]);
	close(done[0]);
	close(done[1]);
}

/*
 * The live counter follows creation and release exactly.  Sockets are
 * freed an RCU grace period after close() (SOCK_RCU_FREE), hence the
 * short waits.
 */
TEST_F(toy, live_counter_tracks_sockets)
{
	int fds[100], i;

	ASSERT_EQ(0, toy_live("sockets"));
	for (i = 0; i < 100; i++) {
		fds[i] = socket(TOY_AF, i % 2 ? SOCK_STREAM : SOCK_DGRAM, 0);
		ASSERT_LE(0, fds[i]);
	}
	EXPECT_EQ(100, toy_live("sockets"));
	for (i = 0; i < 50; i++)
		close(fds[i]);
	EXPECT_EQ(50, toy_live_wait("sockets", 50, 5));
	for (; i < 100; i++)
		close(fds[i]);
	EXPECT_EQ(0, toy_live_wait("sockets", 0, 5));
}

/* Many sockets at once and many create/close cycles leak nothing. */
TEST_F(toy, churn)
{
	struct rlimit rl = { 8192, 8192 };
	int *fds, i, n = 5000;

	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &rl));
	fds = calloc(n, sizeof(*fds));
	ASSERT_NE(NULL, fds);
	for (i = 0; i < n; i++) {
		fds[i] = socket(TOY_AF, i % 2 ? SOCK_STREAM : SOCK_DGRAM, 0);
		ASSERT_LE(0, fds[i]) {
			TH_LOG("socket %d: %s", i, strerror(errno));
		}
	}
	EXPECT_EQ(n, toy_live("sockets"));
	for (i = 0; i < n; i++)
		close(fds[i]);
	for (i = 0; i < 20000; i++) {
		int fd = socket(TOY_AF, i % 2 ? SOCK_STREAM : SOCK_DGRAM, 0);

		ASSERT_LE(0, fd);
		close(fd);
	}
	free(fds);
}

/* Sockets created and closed by many processes at once. */
TEST_F(toy, concurrent_create_close)
{
	int i, j, status, nproc = 8;
	pid_t pids[8];

	for (i = 0; i < nproc; i++) {
		pids[i] = fork();
		ASSERT_LE(0, pids[i]);
		if (pids[i] == 0) {
			for (j = 0; j < 2000; j++) {
				int fd = socket(TOY_AF, j % 2 ? SOCK_STREAM :
						SOCK_DGRAM, 0);

				if (fd < 0)
					_exit(1);
				close(fd);
			}
			_exit(0);
		}
	}
	for (i = 0; i < nproc; i++) {
		ASSERT_EQ(pids[i], waitpid(pids[i], &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) {
			TH_LOG("child %d status 0x%x", i, status);
		}
	}
}

TEST_HARNESS_MAIN
