/* caviard: the caviar daemon. Parses the command line and runs the loop in
 * daemon.c until SIGTERM, SIGINT or `caviar shutdown`. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <uv.h>

#include "daemon.h"
#include "proto.h"
#include "statedir.h"
#include "xalloc.h"

/* caviard's options: the one table getopt's long options, the usage line and
 * --help all come from, so none can be left out of the help. */
struct daemon_option {
	const char *name; /* --name */
	int key;          /* getopt's value for it */
	const char *arg;  /* its value's name ("FILE"); NULL: a flag */
	const char *help; /* lines of help ('\n' between them), each under 60 columns */
};

static const struct daemon_option options[] = {
	{"db", 'd', "FILE", "SQLite database (default $XDG_DATA_HOME/caviar/caviar.db,\n"
	 "else ~/.local/share/caviar/caviar.db)"},
	{"socket", 's', "PATH", "unix socket (default $CAVIAR_SOCKET, else\n"
	 "$XDG_RUNTIME_DIR/caviar/caviard.sock, else\n/tmp/caviar-$UID/caviard.sock)"},
	{"slots", 'n', "N", "trials run at once (default: the number of online cores)"},
	{"worker", 'w', "PATH", "the caviar-worker program (default: the one installed\n"
	 "beside caviard)"},
	{"grace", 'g', "SECONDS", "time a stopping worker gets between SIGTERM and SIGKILL\n"
	 "(default 10)"},
	{"launcher", 'l', "local|slurm", "run trials here (default) or as Slurm job steps (srun);\n"
	 "with slurm, caviard, its worker and the state directory\nmust be on a filesystem "
	 "the compute nodes share"},
	{"state-dir", 'c', "DIR", "trials' checkpoints and command trials' directories, so\n"
	 "interrupted trials resume (default: FILE.d beside the\ndatabase)"},
	{"flush-wait", 'f', "SECONDS", "at shutdown, how long to wait for a database another\n"
	 "program holds locked before giving up on the last writes\n(default 30)"},
	{"answer-wait", 'a', "SECONDS", "how long `caviar adjust` waits for the trial's program to\n"
	 "answer before the request is refused (default 30)"},
	{"help", 'h', NULL, "print this help and exit"},
	{"version", 'V', NULL, "print the version and exit"},
	{NULL, 0, NULL, NULL},
};
#define N_OPTIONS (sizeof options / sizeof options[0] - 1)

/* The form caviard takes to start a trial under limits (exec_limited below):
 * not an option of the daemon, but listed with them. */
static const char exec_limits_usage[] = "caviard --exec-limits MB -- PROGRAM [ARGS...]";

#define HELP_COL 21 /* where an option's help starts */

/* "usage: caviard [--db FILE] ...", wrapped within 80 columns. */
static void print_synopsis(void)
{
	int col = printf("usage: caviard"), indent = col;

	for (size_t i = 0; i < N_OPTIONS; i++) {
		int w = (int)strlen(options[i].name) + 5 +
			(options[i].arg ? (int)strlen(options[i].arg) + 1 : 0);

		if (options[i].key == 'h' || options[i].key == 'V')
			continue;
		if (col + w > 80)
			col = printf("\n%*s", indent, "") - 1;
		col += printf(" [--%s%s%s]", options[i].name, options[i].arg ? " " : "",
			      options[i].arg ? options[i].arg : "");
	}
	printf("\n       caviard --help | --version\n       %s\n", exec_limits_usage);
}

static void print_help(void)
{
	print_synopsis();
	fputs("\nRuns caviar's daemon in the foreground: takes sweeps from `caviar` clients,\n"
	      "runs their trials in worker processes, records every curve in SQLite.\n\n",
	      stdout);
	for (size_t i = 0; i < N_OPTIONS; i++) {
		const char *h = options[i].help;
		int col = printf("  --%s%s%s", options[i].name, options[i].arg ? " " : "",
				 options[i].arg ? options[i].arg : "");

		if (col >= HELP_COL - 1)
			col = printf("\n") - 1;
		for (;;) {
			size_t n = strcspn(h, "\n");

			printf("%*s%.*s\n", HELP_COL - col, "", (int)n, h);
			if (!h[n])
				break;
			h += n + 1;
			col = 0;
		}
	}
	printf("  %s\n%*show caviard starts a command trial, or a worker under a\n"
	       "%*smemory limit (not for use by hand): sets the address-space\n"
	       "%*slimit to MB (0: none), asks for SIGTERM when the daemon dies,\n"
	       "%*sthen runs PROGRAM\n",
	       exec_limits_usage + strlen("caviard "), HELP_COL, "", HELP_COL, "", HELP_COL, "",
	       HELP_COL, "");
}

/* getopt's table, from options[]. */
static void long_options(struct option *longopts)
{
	for (size_t i = 0; i < N_OPTIONS; i++)
		longopts[i] = (struct option){options[i].name,
					      options[i].arg ? required_argument : no_argument,
					      NULL, options[i].key};
	longopts[N_OPTIONS] = (struct option){NULL, 0, NULL, 0};
}

static int bad_option(const char *opt, const char *why)
{
	fprintf(stderr, "caviard: option %s: %s\ntry 'caviard --help'\n", opt, why);
	return 2;
}

static int parse_positive(const char *s, double max, double *out)
{
	char *end;
	double x;

	errno = 0;
	x = strtod(s, &end);
	if (errno || end == s || *end || !(x > 0) || x > max)
		return -1;
	*out = x;
	return 0;
}

/* caviard --exec-limits MB -- PROGRAM ARGS...: how the daemon starts a command
 * trial, or a worker under a memory limit (uv_spawn has no hook between fork
 * and exec): set the address-space limit (MB 0: none), ask for SIGTERM when the
 * daemon dies, then become the program (found in $PATH like a shell would). */
static int exec_limited(int argc, char **argv)
{
	char *end = "";
	long mb = argc > 4 ? strtol(argv[2], &end, 10) : -1;
	struct rlimit lim;
	pid_t parent;

	if (argc < 5 || *end || mb < 0 || strcmp(argv[3], "--") != 0) {
		fprintf(stderr, "caviard: usage: %s (MB 0: none)\n", exec_limits_usage);
		return 2;
	}
	lim.rlim_cur = lim.rlim_max = (rlim_t)mb << 20;
	if (mb > 0 && setrlimit(RLIMIT_AS, &lim) < 0) {
		fprintf(stderr, "caviard: setrlimit: %s\n", strerror(errno));
		return 70;
	}
	/* The daemon died before prctl if our parent is no longer it (it says its
	 * pid for local trials: under a subreaper such as systemd --user an orphan's
	 * parent is not 1). */
	parent = getenv("CAVIAR_PARENT_PID") ? (pid_t)atol(getenv("CAVIAR_PARENT_PID")) : getppid();
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		return 70;
	execvp(argv[4], argv + 4);
	fprintf(stderr, "caviard: cannot run %s: %s\n", argv[4], strerror(errno));
	return 127;
}

static int exists_exec(const char *path)
{
	return access(path, X_OK) == 0;
}

/* caviar-worker beside our own executable (installed), or in the build tree. */
static void default_worker(char *buf, size_t n)
{
	char exe[PATH_MAX - 32]; /* room for the suffixes below */
	size_t len = sizeof exe;
	char *slash;

	snprintf(buf, n, "caviar-worker");
	if (uv_exepath(exe, &len) < 0 || !(slash = strrchr(exe, '/')))
		return;
	*slash = '\0';
	snprintf(buf, n, "%s/caviar-worker", exe);
	if (exists_exec(buf))
		return;
	snprintf(buf, n, "%s/../worker/caviar-worker", exe);
	if (!exists_exec(buf))
		snprintf(buf, n, "%s/caviar-worker", exe);
}

/* mkdir -p of a file's directory (the default database's). */
static void make_parent(const char *path)
{
	char dir[PATH_MAX];

	snprintf(dir, sizeof dir, "%s", path);
	for (char *p = dir + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			mkdir(dir, 0700);
			*p = '/';
		}
}

int main(int argc, char **argv)
{
	struct option longopts[N_OPTIONS + 1];
	char db[PATH_MAX], sock[PATH_MAX], worker[PATH_MAX], ckpt[PATH_MAX], err[PATH_MAX + 256];
	struct daemon_options opt = {
		.slots = (int)uv_available_parallelism(),
		.grace = 10,
		.flush_interval = 0.05,
		.flush_wait = 30,
		.answer_wait = 30,
	};
	double x;
	int c;

	xalloc_cjson_hooks();
	if (argc > 1 && strcmp(argv[1], "--exec-limits") == 0)
		return exec_limited(argc, argv);
	proto_default_db(db, sizeof db);
	default_worker(worker, sizeof worker);
	if (proto_default_socket(sock, sizeof sock) < 0)
		return bad_option("--socket", "the default socket path is too long");
	opt.db_path = db;
	opt.socket_path = sock;
	opt.worker_path = worker;
	long_options(longopts);
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': opt.db_path = optarg; break;
		case 's': opt.socket_path = optarg; break;
		case 'w': opt.worker_path = optarg; break;
		case 'c': opt.state_dir = optarg; break;
		case 'l':
			if (launcher_parse(optarg) < 0)
				return bad_option("--launcher", "expected local or slurm");
			opt.launcher = (enum launcher_kind)launcher_parse(optarg);
			break;
		case 'n':
			if (parse_positive(optarg, 100000, &x) < 0 || x != (int)x)
				return bad_option("--slots", "expected a positive whole number");
			opt.slots = (int)x;
			break;
		case 'g':
			if (parse_positive(optarg, 86400, &x) < 0)
				return bad_option("--grace", "expected a positive number of seconds");
			opt.grace = x;
			break;
		case 'f':
			if (parse_positive(optarg, 86400, &x) < 0)
				return bad_option("--flush-wait", "expected a positive number of seconds");
			opt.flush_wait = x;
			break;
		case 'a':
			if (parse_positive(optarg, 86400, &x) < 0)
				return bad_option("--answer-wait",
						  "expected a positive number of seconds");
			opt.answer_wait = x;
			break;
		case 'h': print_help(); return 0;
		case 'V': puts("caviard " CAVIAR_VERSION); return 0;
		default: fputs("try 'caviard --help'\n", stderr); return 2;
		}
	}
	if (optind < argc)
		return bad_option(argv[optind], "unexpected argument");
	if (!exists_exec(opt.worker_path))
		return bad_option("--worker", "not an executable file (is caviar built?)");
	if (opt.db_path == db)
		make_parent(db);
	if (!opt.state_dir) {
		snprintf(ckpt, sizeof ckpt, "%.*s.d", (int)sizeof ckpt - 8, opt.db_path);
		opt.state_dir = ckpt;
	}
	if (statedir_make(opt.state_dir, err, sizeof err) < 0) {
		fprintf(stderr, "caviard: %s\n", err);
		return 1;
	}
	signal(SIGPIPE, SIG_IGN); /* a vanished client or worker is an EPIPE, not a death */
	signal(SIGXFSZ, SIG_IGN); /* a file-size limit is a write error, reported as such */
	return daemon_run(&opt);
}
