/* stop: SIGTERM/SIGINT turned into a polled flag (see stop.h). */
#include "stop.h"

#include <signal.h>
#include <string.h>

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
}

int stop_requested(void)
{
	return stop_flag != 0;
}
