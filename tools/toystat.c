// SPDX-License-Identifier: GPL-2.0
/*
 * toystat - the AF_TOY counters, with nstat's habits.
 *
 *   toystat [-a] [-z] [-r] [-n] [-s] [-j [-p]] [PATTERN...]
 *   toystat -h | -V
 *
 * Reads /proc/net/toy_stat of the caller's network namespace (pairs of
 * lines, "Toy: Name1 Name2 ..." then "Toy: v1 v2 ...", as
 * /proc/net/netstat) and prints one counter a line, its name prefixed
 * with the line's prefix, as nstat(8) prints TcpExt counters:
 *
 *   #kernel
 *   ToyInSegs                       12                 0.0
 *
 * (name, value, and nstat's rate column, always 0.0: there is no
 * sampling daemon).  By default the values are the increments since the
 * previous run, read from a history file, and only counters that moved
 * are shown; without a usable history, the absolute values.
 *
 *   -a  absolute values (the history is still updated, as nstat's)
 *   -z  show counters that are zero too
 *   -r  reset: forget the history, print absolute values, start over
 *   -n  print nothing, only update the history
 *   -s  do not update the history
 *   -j  JSON, as nstat -j: {"kernel":{"ToyInSegs":12,...}}; -p indents it
 *   -h  this text (on standard output); -V the version
 *
 * PATTERNs are shell globs (fnmatch(3), case-sensitive as nstat's) on the
 * names: `toystat 'ToyRetrans*'`.  Counters that match none are not
 * shown, and keep their place in the history, so their increments wait
 * for a run that shows them.  Counters are not named here: those the
 * module adds later are shown as they appear.  A counter smaller than
 * in the history (the module was reloaded) is shown as its absolute
 * value, its increment since it restarted from zero.
 *
 * The history is $TOYSTAT_HISTORY, else /tmp/.toystat.u<uid>, created
 * with mode 0600 and replaced whole (a temporary file, then rename()),
 * under flock(2) so that runs at the same time take turns.  As nstat,
 * toystat refuses (exit 1) a history file that is a symbolic link, owned
 * by another user or linked more than once, and ignores one older than
 * the last boot ("aged out"), one of another network namespace or one it
 * cannot parse, and then prints absolute values.
 *
 * Exit status 0; 1 when /proc/net/toy_stat is missing ("is toy.ko
 * loaded?"), unreadable or malformed, or the history is refused or
 * cannot be written; 2 for a bad option.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>

#define TOYSTAT_VERSION	"0.1"
#define STAT_FILE	"/proc/net/toy_stat"
#define SOURCE		"kernel"	/* nstat's name for a direct read */

struct counter {
	char			*name;	/* prefix and name: "ToyInSegs" */
	unsigned long long	val;
};

struct table {
	struct counter	*c;
	size_t		n, cap;
	size_t		hint;		/* where the last lookup ended */
};

static int dump_zeros, reset_history, ignore_history, no_output, no_update;
static int json_output, pretty;
static char **patterns;
static int npatterns;

static void usage(FILE *f, int status)
{
	fprintf(f,
		"Usage: toystat [OPTION] [ PATTERN [ PATTERN ] ]\n"
		"   -h, --help          this message\n"
		"   -a, --ignore        ignore history\n"
		"   -j, --json          format output in JSON\n"
		"   -n, --nooutput      do history only\n"
		"   -p, --pretty        pretty print\n"
		"   -r, --reset         reset history\n"
		"   -s, --noupdate      don't update history\n"
		"   -V, --version       output version information\n"
		"   -z, --zeros         show entries with zero activity\n"
		"Reads " STAT_FILE "; history in $TOYSTAT_HISTORY,\n"
		"else /tmp/.toystat.u<uid>.\n");
	exit(status);
}

static void __attribute__((noreturn, format(printf, 1, 2)))
fail(const char *fmt, ...)
{
	va_list ap;

	fputs("toystat: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void *xrealloc(void *p, size_t size)
{
	p = realloc(p, size);
	if (!p)
		fail("out of memory");
	return p;
}

static void table_add(struct table *t, const char *prefix, const char *name,
		      unsigned long long val)
{
	struct counter *c;

	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 64;
		t->c = xrealloc(t->c, t->cap * sizeof(*t->c));
	}
	c = &t->c[t->n++];
	if (asprintf(&c->name, "%s%s", prefix, name) < 0)
		fail("out of memory");
	c->val = val;
}

static void table_free(struct table *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->c[i].name);
	free(t->c);
	memset(t, 0, sizeof(*t));
}

/*
 * The counter called @name, or NULL.  Both tables are usually in the
 * same order, so the search starts after the last one found.
 */
static struct counter *table_find(struct table *t, const char *name)
{
	size_t i, k;

	for (k = 0; k < t->n; k++) {
		i = (t->hint + k) % t->n;
		if (!strcmp(t->c[i].name, name)) {
			t->hint = i + 1;
			return &t->c[i];
		}
	}
	return NULL;
}

static int match(const char *name)
{
	int i;

	if (!npatterns)
		return 1;
	for (i = 0; i < npatterns; i++)
		if (!fnmatch(patterns[i], name, 0))
			return 1;
	return 0;
}

/* A decimal counter value, the whole of @s. */
static int parse_u64(const char *s, unsigned long long *val)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	*val = strtoull(s, &end, 10);
	return errno || *end ? -1 : 0;
}

/* Split "Prefix: a b c\n" into its prefix and words; NULL if no colon. */
static char *split_line(char *line, char ***words, size_t *n)
{
	char *colon = strchr(line, ':'), *w, *save;
	size_t cap = 0;

	*words = NULL;
	*n = 0;
	if (!colon)
		return NULL;
	*colon = '\0';
	for (w = strtok_r(colon + 1, " \t\n", &save); w;
	     w = strtok_r(NULL, " \t\n", &save)) {
		if (*n == cap) {
			cap = cap ? 2 * cap : 64;
			*words = xrealloc(*words, cap * sizeof(**words));
		}
		(*words)[(*n)++] = w;
	}
	return line;
}

/*
 * The kernel's counters: pairs of lines, names then values, each line
 * starting with the same "Prefix:" (the format of /proc/net/netstat).
 */
static void load_kernel(struct table *t)
{
	char *names = NULL, *values = NULL, **nw, **vw, *np, *vp;
	size_t nlen = 0, vlen = 0, nn, nv, i;
	unsigned long long val;
	int lineno = 0;
	FILE *f;

	f = fopen(STAT_FILE, "re");
	if (!f) {
		if (errno == ENOENT)
			fail("%s: %s (is toy.ko loaded?)", STAT_FILE,
			     strerror(errno));
		fail("%s: %s", STAT_FILE, strerror(errno));
	}
	for (;;) {
		errno = 0;
		if (getline(&names, &nlen, f) < 0)
			break;
		lineno++;
		if (getline(&values, &vlen, f) < 0)
			fail("%s: malformed: line %d has names and no values",
			     STAT_FILE, lineno);
		lineno++;
		np = split_line(names, &nw, &nn);
		vp = split_line(values, &vw, &nv);
		if (!np || !vp)
			fail("%s: malformed: no \"Prefix:\" on line %d",
			     STAT_FILE, np ? lineno : lineno - 1);
		if (strcmp(np, vp))
			fail("%s: malformed: line %d is \"%s:\", line %d \"%s:\"",
			     STAT_FILE, lineno - 1, np, lineno, vp);
		if (nn != nv)
			fail("%s: malformed: %zu names on line %d, %zu values on line %d",
			     STAT_FILE, nn, lineno - 1, nv, lineno);
		for (i = 0; i < nn; i++) {
			if (parse_u64(vw[i], &val))
				fail("%s: malformed: %s%s is \"%s\", not a number",
				     STAT_FILE, np, nw[i], vw[i]);
			table_add(t, np, nw[i], val);
		}
		free(nw);
		free(vw);
	}
	if (ferror(f))
		fail("%s: %s", STAT_FILE, strerror(errno ? errno : EIO));
	fclose(f);
	free(names);
	free(values);
	if (!t->n)
		fail("%s: malformed: no counters", STAT_FILE);
}

/* The network namespace we read, as its nsfs inode; 0 if unknown. */
static unsigned long long netns_id(void)
{
	struct stat st;

	return stat("/proc/self/ns/net", &st) ? 0 : st.st_ino;
}

/*
 * A history file in nstat's format, "#kernel" and then "Name value rate"
 * lines, with a "#netns ID" line of ours.  Returns 0, or -1 when it is
 * not one (and @t may hold part of it).
 */
static int load_history(FILE *f, struct table *t, unsigned long long *netns)
{
	unsigned long long val;
	char *line = NULL, *name, *v;
	int have_source = 0, rc = 0;
	size_t len = 0;

	*netns = 0;
	while (getline(&line, &len, f) >= 0) {
		if (line[0] == '#') {
			line[strcspn(line, "\n")] = '\0';
			if (!strcmp(line + 1, SOURCE))
				have_source = 1;
			else if (!strncmp(line + 1, "netns ", 6) &&
				 parse_u64(line + 7, netns))
				rc = -1;
			continue;
		}
		name = strtok(line, " \t\n");
		v = strtok(NULL, " \t\n");
		if (!name || !v || parse_u64(v, &val)) {
			rc = -1;
			break;
		}
		table_add(t, "", name, val);
	}
	free(line);
	if (ferror(f) || !have_source)
		rc = -1;
	return rc;
}

/* nstat's json_writer, for one object of numbers in one object. */
static void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = *s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

static void json_key(FILE *f, const char *key, int first, int depth)
{
	if (!first)
		fputc(',', f);
	if (pretty)
		fprintf(f, "\n%*s", 4 * depth, "");
	json_string(f, key);
	fputs(pretty ? ": " : ":", f);
}

/*
 * Print @now: absolute values, or increments over @hist when @hist is
 * not NULL; only counters that match, and only nonzero ones without -z.
 */
static void dump(FILE *f, struct table *now, struct table *hist)
{
	int first = 1;
	size_t i;

	if (json_output) {
		fputc('{', f);
		json_key(f, SOURCE, 1, 1);
		fputc('{', f);
	} else {
		fprintf(f, "#%s\n", SOURCE);
	}
	for (i = 0; i < now->n; i++) {
		struct counter *c = &now->c[i], *h;
		unsigned long long val = c->val;

		if (hist) {
			h = table_find(hist, c->name);
			/* Gone backwards: restarted from zero since. */
			if (h && h->val <= val)
				val -= h->val;
		}
		if (!val && !dump_zeros)
			continue;
		if (!match(c->name))
			continue;
		if (json_output) {
			json_key(f, c->name, first, 2);
			fprintf(f, "%llu", val);
		} else {
			fprintf(f, "%-32s%-16llu%6.1f\n", c->name, val, 0.0);
		}
		first = 0;
	}
	if (json_output) {
		if (pretty && !first)
			fprintf(f, "\n%*s", 4, "");
		fputc('}', f);
		if (pretty)
			fputc('\n', f);
		fputs("}\n", f);
	}
}

/*
 * The history file, locked, checked as nstat checks it; -1 when it does
 * not exist and @create is 0.  It is replaced by rename(), so the lock
 * taken may be on a file that was replaced meanwhile: then again, on the
 * new one.
 */
static int open_history(const char *path, int create, struct stat *st)
{
	struct stat pst;
	int fd, tries;

	for (tries = 0; tries < 1000; tries++) {
		fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0 && errno == ENOENT) {
			if (!create)
				return -1;
			fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
				  O_CLOEXEC, 0600);
			if (fd < 0 && errno == EEXIST)
				continue;
		}
		if (fd < 0)
			fail("%s: open history file: %s", path, strerror(errno));
		if (flock(fd, LOCK_EX))
			fail("%s: flock history file: %s", path,
			     strerror(errno));
		if (fstat(fd, st))
			fail("%s: fstat history file: %s", path,
			     strerror(errno));
		if (lstat(path, &pst) || pst.st_dev != st->st_dev ||
		    pst.st_ino != st->st_ino) {
			close(fd);	/* replaced while we waited */
			continue;
		}
		if (!S_ISREG(st->st_mode))
			fail("%s: history file is not a regular file, not proceeding",
			     path);
		if (st->st_uid != getuid())
			fail("%s: history file is owned by uid %u, not by us, not proceeding",
			     path, (unsigned int)st->st_uid);
		if (st->st_nlink != 1)
			fail("%s: history file has %u links, not proceeding",
			     path, (unsigned int)st->st_nlink);
		return fd;
	}
	fail("%s: history file keeps changing", path);
}

/* Older than the last boot, as nstat's "aged out". */
static int aged_out(const struct stat *st)
{
	struct timespec now, up;

	if (clock_gettime(CLOCK_REALTIME, &now) ||
	    clock_gettime(CLOCK_BOOTTIME, &up))
		return 0;
	return st->st_mtime < now.tv_sec - up.tv_sec - (now.tv_nsec < up.tv_nsec);
}

/*
 * The new history: every counter's value now, but a counter that no
 * PATTERN matched keeps its old value, its increment not yet shown (0
 * when it is new since, so its whole value is that increment).  Written
 * to a temporary file beside @path, then renamed over it.
 */
static void save_history(const char *path, struct table *now,
			 struct table *hist, unsigned long long netns)
{
	char *tmp;
	size_t i;
	FILE *f;
	int fd;

	if (asprintf(&tmp, "%s.XXXXXX", path) < 0)
		fail("out of memory");
	fd = mkostemp(tmp, O_CLOEXEC);	/* mode 0600 */
	if (fd < 0)
		fail("%s: history file: %s", tmp, strerror(errno));
	f = fdopen(fd, "w");
	if (!f)
		goto err;
	fprintf(f, "#%s\n", SOURCE);
	if (netns)
		fprintf(f, "#netns %llu\n", netns);
	for (i = 0; i < now->n; i++) {
		struct counter *c = &now->c[i], *h;
		unsigned long long val = c->val;

		if (hist && !match(c->name)) {
			h = table_find(hist, c->name);
			val = h ? h->val : 0;
		}
		fprintf(f, "%-32s%-16llu%6.1f\n", c->name, val, 0.0);
	}
	if (fflush(f) || ferror(f) || fsync(fd))
		goto err;
	if (fclose(f)) {
		f = NULL;
		goto err;
	}
	f = NULL;
	if (rename(tmp, path))
		goto err;
	free(tmp);
	return;
err:
	{
		int e = errno ? errno : EIO;

		if (f)
			fclose(f);
		unlink(tmp);
		fail("%s: writing history file: %s", path, strerror(e));
	}
}

static const struct option longopts[] = {
	{ "help",	no_argument, NULL, 'h' },
	{ "ignore",	no_argument, NULL, 'a' },
	{ "json",	no_argument, NULL, 'j' },
	{ "nooutput",	no_argument, NULL, 'n' },
	{ "pretty",	no_argument, NULL, 'p' },
	{ "reset",	no_argument, NULL, 'r' },
	{ "noupdate",	no_argument, NULL, 's' },
	{ "version",	no_argument, NULL, 'V' },
	{ "zeros",	no_argument, NULL, 'z' },
	{ NULL }
};

int main(int argc, char **argv)
{
	struct table now = {}, hist = {};
	unsigned long long netns, hist_netns;
	int fd = -1, have_hist = 0, opt;
	char *hist_name;
	struct stat st;
	FILE *f;

	while ((opt = getopt_long(argc, argv, "hajnprsVvz", longopts,
				  NULL)) != -1) {
		switch (opt) {
		case 'h':
			usage(stdout, 0);
			break;
		case 'a':
			ignore_history = 1;
			break;
		case 'j':
			json_output = 1;
			break;
		case 'n':
			no_output = 1;
			break;
		case 'p':
			pretty = 1;
			break;
		case 'r':
			reset_history = 1;
			break;
		case 's':
			no_update = 1;
			break;
		case 'V':
		case 'v':
			printf("toystat utility, af-toy-%s\n", TOYSTAT_VERSION);
			return 0;
		case 'z':
			dump_zeros = 1;
			break;
		default:
			usage(stderr, 2);
		}
	}
	patterns = argv + optind;
	npatterns = argc - optind;

	hist_name = getenv("TOYSTAT_HISTORY");
	if (!hist_name || !*hist_name) {
		if (asprintf(&hist_name, "/tmp/.toystat.u%u",
			     (unsigned int)getuid()) < 0)
			fail("out of memory");
	}
	netns = netns_id();

	/* As nstat: -a -s leaves the history alone altogether. */
	if (!ignore_history || !no_update || reset_history)
		fd = open_history(hist_name, !no_update, &st);
	if (fd >= 0 && !reset_history) {
		if (!ignore_history && aged_out(&st)) {
			fprintf(stderr, "toystat: history is aged out, resetting\n");
		} else {
			f = fdopen(fd, "r");
			if (!f)
				fail("%s: %s", hist_name, strerror(errno));
			fd = fileno(f);
			if (load_history(f, &hist, &hist_netns)) {
				if (st.st_size)
					fprintf(stderr, "toystat: %s: history is corrupt, ignoring it\n",
						hist_name);
				table_free(&hist);
			} else if (netns && hist_netns && netns != hist_netns) {
				if (!ignore_history)
					fprintf(stderr, "toystat: history is of another network namespace, ignoring it\n");
				table_free(&hist);
			} else {
				have_hist = 1;
			}
		}
	}

	/* With the history locked, so runs at the same time take turns. */
	load_kernel(&now);

	if (!no_output)
		dump(stdout, &now, ignore_history || !have_hist ? NULL : &hist);
	if (fflush(stdout) || ferror(stdout))
		fail("standard output: %s", strerror(errno));
	if (!no_update)
		save_history(hist_name, &now, have_hist ? &hist : NULL, netns);
	else if (reset_history && fd >= 0)
		unlink(hist_name);	/* -r -s: as nstat, no history left */
	table_free(&now);
	table_free(&hist);
	return 0;
}
