// SPDX-License-Identifier: GPL-2.0
/*
 * toysock - create AF_TOY sockets and say what they are.
 *
 *   toysock [-f FAMILY] [-t stream|dgram|raw|seqpacket] [-p PROTO]
 *           [-n COUNT] [-H]
 *
 * Creates COUNT sockets (default 1) of the given type (default stream) and
 * protocol (default 0) in FAMILY (default: the family the loaded module
 * registered, from /sys/module/toy/parameters/family), prints one line
 * per socket with what getsockopt() reports, and closes them.  -H holds them open until
 * the process is signalled (SIGINT/SIGTERM), for looking at
 * /proc/net/protocols and /sys/module/toy/live meanwhile.
 * Exits 1 with the errno text if socket() fails.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <linux/toy.h>

static int module_family(void)
{
	FILE *f = fopen("/sys/module/toy/parameters/family", "r");
	int af = AF_TOY;

	if (f) {
		if (fscanf(f, "%d", &af) != 1)
			af = AF_TOY;
		fclose(f);
	}
	return af;
}

static int getint(int fd, int opt)
{
	socklen_t len = sizeof(int);
	int v = -1;

	getsockopt(fd, SOL_SOCKET, opt, &v, &len);
	return v;
}

static void usage(void)
{
	fprintf(stderr, "usage: toysock [-f FAMILY] [-t stream|dgram|raw|seqpacket] [-p PROTO] [-n COUNT] [-H]\n");
	exit(2);
}

static const struct {
	const char	*name;
	int		type;
} types[] = {
	{ "stream", SOCK_STREAM },
	{ "dgram", SOCK_DGRAM },
	{ "raw", SOCK_RAW },
	{ "seqpacket", SOCK_SEQPACKET },
};

static const char *type_name(int type)
{
	unsigned int i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (types[i].type == type)
			return types[i].name;
	return "?";
}

static void on_signal(int sig)
{
	(void)sig;
}

int main(int argc, char **argv)
{
	int af = module_family(), type = -1, proto = 0, n = 1, hold = 0;
	unsigned int t;
	int *fds, i, opt;

	while ((opt = getopt(argc, argv, "f:t:p:n:H")) != -1) {
		switch (opt) {
		case 'f':
			af = atoi(optarg);
			break;
		case 't':
			for (t = 0; t < sizeof(types) / sizeof(types[0]); t++)
				if (!strcmp(optarg, types[t].name))
					type = types[t].type;
			if (type < 0)
				usage();
			break;
		case 'p':
			proto = atoi(optarg);
			break;
		case 'n':
			n = atoi(optarg);
			if (n < 1)
				usage();
			break;
		case 'H':
			hold = 1;
			break;
		default:
			usage();
		}
	}

	if (type < 0)
		type = SOCK_STREAM;
	fds = calloc(n, sizeof(*fds));
	if (!fds)
		return 1;
	for (i = 0; i < n; i++) {
		fds[i] = socket(af, type, proto);
		if (fds[i] < 0) {
			fprintf(stderr, "toysock: socket(%d, %s, %d): %s\n", af,
				type_name(type), proto, strerror(errno));
			return 1;
		}
		printf("fd %d: family %d, type %s, protocol %d\n", fds[i],
		       getint(fds[i], SO_DOMAIN),
		       type_name(getint(fds[i], SO_TYPE)),
		       getint(fds[i], SO_PROTOCOL));
	}
	fflush(stdout);

	if (hold) {
		signal(SIGINT, on_signal);
		signal(SIGTERM, on_signal);
		printf("holding %d socket%s; send SIGTERM to close\n", n,
		       n == 1 ? "" : "s");
		fflush(stdout);
		pause();
	}
	for (i = 0; i < n; i++)
		close(fds[i]);
	free(fds);
	return 0;
}
