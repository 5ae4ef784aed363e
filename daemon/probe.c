/* probe: a bounded side command with an exit callback (see probe.h). */
#include "probe.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "launcher.h"
#include "xalloc.h"

struct probe {
	uv_process_t proc;
	uv_pipe_t err;
	uv_timer_t timer;
	probe_cb cb;
	void *ctx;
	char tail[512];
	size_t len;
	int exited, eof, timed_out, open;
	int64_t status;
	int sig;
};

static void on_close(uv_handle_t *h)
{
	struct probe *p = h->data;

	if (--p->open == 0)
		free(p);
}

static void finish(struct probe *p)
{
	char msg[600];
	const char *last;

	if (!p->exited || !p->eof)
		return;
	while (p->len && p->tail[p->len - 1] == '\n')
		p->len--;
	p->tail[p->len] = '\0';
	last = strrchr(p->tail, '\n');
	last = last ? last + 1 : p->tail;
	if (p->timed_out)
		snprintf(msg, sizeof msg, "no answer within the time limit%s%s", *last ? ": " : "", last);
	else if (p->sig)
		snprintf(msg, sizeof msg, "killed by signal %d%s%s", p->sig, *last ? ": " : "", last);
	else if (p->status)
		snprintf(msg, sizeof msg, "exit code %d%s%s", (int)p->status, *last ? ": " : "", last);
	else
		snprintf(msg, sizeof msg, "%s", last);
	p->cb(p->ctx, !p->timed_out && !p->sig && p->status == 0, msg);
	uv_close((uv_handle_t *)&p->proc, on_close);
	uv_close((uv_handle_t *)&p->err, on_close);
	uv_close((uv_handle_t *)&p->timer, on_close);
}

static void on_exit_cb(uv_process_t *proc, int64_t status, int sig)
{
	struct probe *p = proc->data;

	p->exited = 1;
	p->status = status;
	p->sig = sig;
	uv_timer_stop(&p->timer);
	finish(p);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	(void)h;
	buf->base = xmalloc(suggested);
	buf->len = suggested;
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct probe *p = s->data;

	for (ssize_t i = 0; i < n; i++) {
		if (p->len == sizeof p->tail - 1) {
			memmove(p->tail, p->tail + 256, p->len - 256);
			p->len -= 256;
		}
		p->tail[p->len++] = buf->base[i];
	}
	free(buf->base);
	if (n < 0) {
		uv_read_stop(s);
		p->eof = 1;
		finish(p);
	}
}

static void on_timeout(uv_timer_t *t)
{
	struct probe *p = t->data;

	p->timed_out = 1;
	uv_process_kill(&p->proc, SIGKILL);
}

int probe_start(uv_loop_t *loop, char *const *argv, double seconds, probe_cb cb, void *ctx)
{
	struct probe *p = xcalloc(1, sizeof *p);
	uv_process_options_t o = {0};
	uv_stdio_container_t stdio[3];
	int rc;

	p->cb = cb;
	p->ctx = ctx;
	uv_pipe_init(loop, &p->err, 0);
	uv_timer_init(loop, &p->timer);
	p->proc.data = p->err.data = p->timer.data = p;
	p->open = 3;
	stdio[0].flags = UV_IGNORE;
	stdio[1].flags = UV_IGNORE;
	stdio[2].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
	stdio[2].data.stream = (uv_stream_t *)&p->err;
	o.file = argv[0];
	o.args = (char **)argv;
	o.exit_cb = on_exit_cb;
	o.stdio = stdio;
	o.stdio_count = 3;
	rc = uv_spawn(loop, &p->proc, &o);
	if (rc < 0) {
		p->cb = NULL;
		uv_close((uv_handle_t *)&p->proc, on_close);
		uv_close((uv_handle_t *)&p->err, on_close);
		uv_close((uv_handle_t *)&p->timer, on_close);
		return rc;
	}
	uv_read_start((uv_stream_t *)&p->err, on_alloc, on_read);
	uv_timer_start(&p->timer, on_timeout, (uint64_t)(seconds * 1000), 0);
	return 0;
}

int probe_slurm(uv_loop_t *loop, const char *self, const char *program, const char *dir,
		const cJSON *slurm, double seconds, probe_cb cb, void *ctx)
{
	static char script[] =
		"case $1 in */*) test -x \"$1\" ;; *) command -v \"$1\" >/dev/null ;; esac ||"
		" { echo \"cannot run $1 on $(hostname)\" >&2; exit 1; };"
		" test -d \"$2\" && test -w \"$2\" ||"
		" { echo \"cannot write $2 on $(hostname)\" >&2; exit 1; }";
	char *args[] = {"sh", "-c", script, "sh", (char *)program, (char *)dir, NULL};
	char **owned, **argv;
	int rc;

	argv = launcher_argv(LAUNCHER_SLURM, self, args, 0, 0, slurm, 0, &owned);
	rc = probe_start(loop, argv, seconds, cb, ctx);
	free(argv);
	for (int i = 0; owned[i]; i++)
		free(owned[i]);
	free(owned);
	return rc;
}
