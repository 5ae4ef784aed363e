/* spawn_rate: the machine's bare process-spawn rate, the baseline of the
 * orchestration benchmark (bench/run, row 2). P launching processes each
 * fork+exec+wait one program in a loop until the time is up (its standard
 * input and output on /dev/null); the rate is the total number of programs
 * run over the wall time. Not a test: it measures.
 *   spawn_rate [--procs P] [--seconds S] -- PROGRAM [ARGS...]
 * Prints one JSON object: {"program", "procs", "spawns", "seconds", "per_s"}. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

struct opts {
	int procs;      /* launching processes */
	double seconds; /* how long each launches */
	char **argv;    /* the program and its arguments */
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* One fork+exec+wait of the program, its output to /dev/null. 0 if it ran
 * and exited 0. */
static int spawn_once(char **argv, int devnull)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		dup2(devnull, STDIN_FILENO);
		dup2(devnull, STDOUT_FILENO);
		execv(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* A launcher: spawns until the deadline, then writes its count to fd. */
static void launcher(const struct opts *op, double deadline, int fd)
{
	int devnull = open("/dev/null", O_RDWR);
	long n = 0, failed = 0;

	while (now() < deadline) {
		if (spawn_once(op->argv, devnull) == 0)
			n++;
		else if (++failed > 10)
			break;
	}
	if (failed > 10)
		n = -1;
	if (write(fd, &n, sizeof n) != (ssize_t)sizeof n)
		_exit(1);
	_exit(0);
}

static int parse_args(struct opts *op, int argc, char **argv)
{
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (i + 1 >= argc)
			return -1;
		if (strcmp(argv[i], "--procs") == 0)
			op->procs = atoi(argv[++i]);
		else if (strcmp(argv[i], "--seconds") == 0)
			op->seconds = atof(argv[++i]);
		else
			return -1;
	}
	if (i + 1 >= argc || op->procs < 1 || op->procs > 1024 || !(op->seconds > 0))
		return -1;
	op->argv = argv + i + 1;
	return 0;
}

static void print_result(const struct opts *op, long total, double seconds)
{
	cJSON *o = cJSON_CreateObject();
	char *text;

	cJSON_AddStringToObject(o, "program", op->argv[0]);
	cJSON_AddNumberToObject(o, "procs", op->procs);
	cJSON_AddNumberToObject(o, "spawns", (double)total);
	cJSON_AddNumberToObject(o, "seconds", seconds);
	cJSON_AddNumberToObject(o, "per_s", (double)total / seconds);
	text = cJSON_PrintUnformatted(o);
	puts(text);
	free(text);
	cJSON_Delete(o);
}

int main(int argc, char **argv)
{
	struct opts op = {2, 3.0, NULL};
	int fds[2];
	long total = 0;
	double t0, deadline;

	if (parse_args(&op, argc, argv) < 0) {
		fputs("usage: spawn_rate [--procs P] [--seconds S] -- PROGRAM [ARGS...]\n", stderr);
		return 2;
	}
	if (access(op.argv[0], X_OK) != 0) {
		fprintf(stderr, "spawn_rate: %s: not an executable file\n", op.argv[0]);
		return 2;
	}
	if (pipe(fds) < 0)
		return 1;
	t0 = now();
	deadline = t0 + op.seconds;
	for (int i = 0; i < op.procs; i++) {
		pid_t pid = fork();

		if (pid < 0)
			return 1;
		if (pid == 0)
			launcher(&op, deadline, fds[1]);
	}
	close(fds[1]);
	for (int i = 0; i < op.procs; i++) {
		long n;

		if (read(fds[0], &n, sizeof n) != (ssize_t)sizeof n || n < 0) {
			fprintf(stderr, "spawn_rate: %s did not run\n", op.argv[0]);
			return 1;
		}
		total += n;
	}
	while (wait(NULL) > 0)
		;
	print_result(&op, total, now() - t0);
	return 0;
}
