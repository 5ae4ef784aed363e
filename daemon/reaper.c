/* reaper: every exited child, offered to its owner (see reaper.h). */
#include "reaper.h"

#include <errno.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>

int reaper_init(struct reaper *r)
{
	memset(r, 0, sizeof *r);
	return prctl(PR_SET_CHILD_SUBREAPER, 1) < 0 ? -errno : 0;
}

void reaper_collect(struct reaper *r, reaper_claim_fn claim, void *ctx)
{
	pid_t pid;
	int status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		if (!claim(ctx, pid, status)) {
			r->kept[r->next] = (struct reaper_exit){pid, status};
			r->next = (r->next + 1) % REAPER_KEEP;
		}
}

int reaper_take(struct reaper *r, pid_t pid, int *status)
{
	for (int i = 0; i < REAPER_KEEP; i++)
		if (r->kept[i].pid == pid) {
			*status = r->kept[i].status;
			r->kept[i].pid = 0;
			return 1;
		}
	return 0;
}
