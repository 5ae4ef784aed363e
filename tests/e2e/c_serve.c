/* c_serve: a command trial in C that serves as a fork server
 * (caviar_serve of sdk/caviar_report.h), for tests/e2e/test_forkserver_c.sh.
 * Its setup appends its pid to $C_SERVE_MARK (so the test counts setups) and
 * fills a table the trials read; each trial reports, besides its loss, what
 * its process is: its pid, parent, process group, directory, memory limit,
 * environment and the server it came from. $C_SERVE_WAIT holds each epoch
 * until that file exists (reading adjustments meanwhile); the first trial
 * to create $C_SERVE_CRASH kills itself after its first epoch;
 * C_SERVE_MODE=thread leaves a thread running after setup, and
 * C_SERVE_MODE=fail fails the setup of a fork server (status 3). */
#include <pthread.h>

#include "caviar_report.h"

#define TABLE 4096

struct data {
	long setup_pid;
	double table[TABLE];
};

static void *sleeper(void *arg)
{
	(void)arg;
	sleep(3600);
	return NULL;
}

static int setup(void *ctx)
{
	struct data *d = ctx;
	const char *mark = getenv("C_SERVE_MARK"), *mode = getenv("C_SERVE_MODE");
	FILE *f;

	d->setup_pid = (long)getpid();
	for (int i = 0; i < TABLE; i++)
		d->table[i] = 1.0 / TABLE;
	if (mark && (f = fopen(mark, "a")) != NULL) {
		fprintf(f, "%ld\n", d->setup_pid);
		fclose(f);
	}
	if (mode && strcmp(mode, "fail") == 0 && getenv(CAVIAR_FORK_SERVER_ENV))
		return 3; /* the server says so and exits; the trials run without it */
	if (mode && strcmp(mode, "thread") == 0) { /* the server must refuse */
		pthread_t t;
		if (pthread_create(&t, NULL, sleeper, NULL) == 0)
			pthread_detach(t);
	}
	return 0;
}

/* 1 if the working directory is $CAVIAR_TRIAL_DIR. */
static double in_trial_dir(void)
{
	const char *dir = getenv("CAVIAR_TRIAL_DIR");
	char cwd[4096];

	return dir && getcwd(cwd, sizeof cwd) && strcmp(cwd, dir) == 0;
}

/* The address-space limit in MB, 0 when there is none. */
static double memory_limit(void)
{
	struct rlimit lim;

	if (getrlimit(RLIMIT_AS, &lim) != 0 || lim.rlim_cur == RLIM_INFINITY)
		return 0;
	return (double)(lim.rlim_cur >> 20);
}

static int train(void *ctx)
{
	const struct data *d = ctx;
	const char *wait = getenv("C_SERVE_WAIT"), *crash = getenv("C_SERVE_CRASH");
	const char *id = getenv("CAVIAR_TRIAL_ID");
	double lr = caviar_param("lr", 0.1), table = 0;
	int epochs = (int)caviar_param("epochs", 3);
	struct caviar_change ch[8];
	struct timespec nap = {0, 10000000};

	for (int i = 0; i < TABLE; i++)
		table += d->table[i];
	for (int epoch = 1; epoch <= epochs; epoch++) {
		int n;

		while (wait && *wait && access(wait, F_OK) != 0) {
			n = caviar_adjustments(ch, 8); /* held here until the test says go */
			for (int i = 0; i < n; i++)
				if (strcmp(ch[i].name, "lr") == 0 && !ch[i].is_string)
					lr = ch[i].value;
			if (caviar_should_stop())
				return 0;
			nanosleep(&nap, NULL);
		}
		n = caviar_adjustments(ch, 8);
		for (int i = 0; i < n; i++)
			if (strcmp(ch[i].name, "lr") == 0 && !ch[i].is_string)
				lr = ch[i].value;
		caviar_report(epoch, "val_loss", 1.0 / (epoch * lr), "lr", lr,
			      "server", (double)d->setup_pid, "pid", (double)getpid(),
			      "parent", (double)getppid(), "leader", (double)(getpgrp() == getpid()),
			      "in_dir", in_trial_dir(), "memory", memory_limit(),
			      "trial", id ? atof(id) : 0.0,
			      "served", (double)(getenv(CAVIAR_FORK_SERVER_ENV) != NULL),
			      "table", table, (const char *)0);
		if (epoch == 1 && crash && *crash) {
			int fd = open(crash, O_WRONLY | O_CREAT | O_EXCL, 0644);
			if (fd >= 0) { /* the first trial here crashes, the others go on */
				close(fd);
				kill(getpid(), SIGKILL);
			}
		}
	}
	return 0;
}

int main(void)
{
	static struct data data; /* static: its table is setup's, shared by every trial */

	caviar_init();
	return caviar_serve(setup, train, &data);
}
