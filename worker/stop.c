/* stop: SIGTERM/SIGINT turned into a polled flag (see stop.h). */
#include "stop.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

static volatile sig_atomic_t stop_flag;

static void on_stop(int sig)
{
	(void)sig;
	stop_flag = 1;
}

void stop_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL); /* what srun forwards for a graceful stop */
}

int stop_follow_parent(void)
{
	const char *env = getenv("CAVIAR_PARENT_PID");
	char *end;
	long pid;

	if (!env || !*env)
		return 0;
	pid = strtol(env, &end, 10);
	if (*end || pid <= 0)
		return 0;
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	/* The parent may have died before prctl: then nobody will signal us. */
	if (getppid() != (pid_t)pid)
		stop_flag = 1;
	return 0;
}

int stop_requested(void)
{
	return stop_flag != 0;
}
