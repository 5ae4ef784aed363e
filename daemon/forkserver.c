/* forkserver: starting trials through a sweep's fork server (see forkserver.h
 * and common/forkserver_proto.h). */
#include "forkserver.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "child.h"
#include "errbuf.h"
#include "forkserver_proto.h"
#include "launcher.h"
#include "log.h"
#include "statedir.h"
#include "xalloc.h"

static void on_poll(uv_poll_t *poll, int status, int events);

static void close_fds(int fds[3])
{
	for (int i = 0; i < 3; i++)
		if (fds[i] >= 0) {
			close(fds[i]);
			fds[i] = -1;
		}
}

/* Readable always; writable while requests wait for a ready server. */
static void watch(struct forkserver *fs)
{
	int events = UV_READABLE | (fs->ready && fs->n_queue > 0 ? UV_WRITABLE : 0);

	if (!fs->gone && !fs->hung_up)
		uv_poll_start(&fs->poll, events, on_poll);
}

/* How the server ended, for the log and the trials it held. */
static void describe_end(const struct forkserver *fs, const char *what, char *buf, size_t n)
{
	int len;

	if (fs->setup_timed_out && WIFSIGNALED(fs->exit_status) &&
	    WTERMSIG(fs->exit_status) == SIGKILL)
		len = snprintf(buf, n, "was not ready after its setup_timeout of %g s (caviard "
			       "killed it)", fs->setup_timeout);
	else if (fs->hangup_killed && WIFSIGNALED(fs->exit_status) &&
		 WTERMSIG(fs->exit_status) == SIGKILL)
		len = snprintf(buf, n, "closed its socket but lived on (caviard killed it)");
	else if (WIFEXITED(fs->exit_status) && fs->pid == 0)
		len = snprintf(buf, n, "exited with status %d", WEXITSTATUS(fs->exit_status));
	else if (WIFSIGNALED(fs->exit_status) && fs->pid == 0)
		len = snprintf(buf, n, "was killed by signal %d (SIG%s)",
			       WTERMSIG(fs->exit_status),
			       sigabbrev_np(WTERMSIG(fs->exit_status))
				       ? sigabbrev_np(WTERMSIG(fs->exit_status)) : "?");
	else
		len = snprintf(buf, n, "%s", what);
	if (len >= 0 && (size_t)len < n)
		snprintf(buf + len, n - (size_t)len, "%s%s (its output: %s)",
			 fs->refusal ? ": " : "", fs->refusal ? fs->refusal : "", fs->log_path);
}

static void destroy(struct forkserver *fs);

/* What the pool knows of sweep_id: NULL when nothing. */
static struct forkserver_sweep *find_sweep(struct forkserver_pool *pool, int64_t sweep_id)
{
	for (int i = 0; i < pool->n_sweeps; i++)
		if (pool->sweeps[i].sweep == sweep_id)
			return &pool->sweeps[i];
	return NULL;
}

/* One more server of fs's sweep is gone (why): a crash counts towards
 * falling back to a process per trial; a refusal or a setup that timed out
 * falls back at once. */
static void count_end(struct forkserver *fs)
{
	struct forkserver_sweep *sw = find_sweep(fs->pool, fs->sweep_id);

	if (!sw || sw->fs != fs)
		return;
	sw->fs = NULL;
	if (fs->refusal || fs->setup_timed_out || ++sw->crashes >= FORKSERVER_MAX_CRASHES) {
		sw->fallback = 1;
		if (fs->refusal || fs->setup_timed_out)
			log_msg("sweep %lld: one process per trial from now on: its program "
				"cannot serve", (long long)fs->sweep_id);
		else
			log_msg("sweep %lld: one process per trial from now on: its fork server "
				"crashed %d times", (long long)fs->sweep_id, sw->crashes);
	}
}

/* The server is gone: every trial it still held fails, as no fault of its
 * own (fs stays allocated until its handle's close callback). */
static void gone(struct forkserver *fs, const char *what)
{
	char why[8192], trial_why[8400];
	int n = fs->n_queue + fs->n_sent, k = 0;
	int64_t *held;

	if (fs->gone)
		return;
	fs->gone = 1;
	uv_poll_stop(&fs->poll);
	held = xcalloc((size_t)n + 1, sizeof *held);
	for (int i = 0; i < fs->n_sent; i++)
		held[k++] = fs->sent[i];
	for (int i = 0; i < fs->n_queue; i++) {
		held[k++] = fs->queue[i].trial;
		close_fds(fs->queue[i].fds);
		free(fs->queue[i].msg);
	}
	fs->n_queue = fs->n_sent = 0;
	describe_end(fs, what, why, sizeof why);
	log_msg("sweep %lld: its fork server (pid %ld) %s", (long long)fs->sweep_id,
		(long)fs->server_pid, why);
	snprintf(trial_why, sizeof trial_why, "its fork server %s before starting it", why);
	count_end(fs);
	destroy(fs);
	for (int i = 0; i < k; i++)
		fs->pool->host.on_failed(fs->pool->host.data, held[i], trial_why, 1);
	free(held);
}

/* Takes trial off the sent list; 0 when it was not on it. */
static int answered(struct forkserver *fs, int64_t trial)
{
	for (int i = 0; i < fs->n_sent; i++)
		if (fs->sent[i] == trial) {
			fs->sent[i] = fs->sent[--fs->n_sent];
			return 1;
		}
	return 0;
}

static int64_t number(const cJSON *msg, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(msg, key);

	return cJSON_IsNumber(v) && v->valuedouble >= 1 && v->valuedouble < 9e15
		       ? (int64_t)v->valuedouble : 0;
}

static void handle_message(struct forkserver *fs, const char *text, size_t len)
{
	cJSON *msg = cJSON_ParseWithLength(text, len);
	const cJSON *error = cJSON_GetObjectItemCaseSensitive(msg, FORKSERVER_ERROR);
	int64_t started = number(msg, FORKSERVER_STARTED), failed = number(msg, FORKSERVER_FAILED);
	int64_t pid = number(msg, FORKSERVER_PID);

	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(msg, FORKSERVER_READY))) {
		fs->ready = 1;
		uv_timer_stop(&fs->setup_timer);
		log_msg("sweep %lld: its fork server (pid %ld) is ready after %.2f s",
			(long long)fs->sweep_id, (long)fs->server_pid, log_now() - fs->started_at);
	} else if (started && pid > 1 && answered(fs, started)) {
		fs->pool->host.on_started(fs->pool->host.data, started, (pid_t)pid);
	} else if (failed && answered(fs, failed)) {
		fs->pool->host.on_failed(fs->pool->host.data, failed,
					 cJSON_IsString(error) ? error->valuestring
							       : "its fork server could not start it", 0);
	} else if (!started && !failed && cJSON_IsString(error)) {
		free(fs->refusal);
		fs->refusal = xstrdup(error->valuestring);
	} else {
		log_msg("sweep %lld: its fork server sent a message caviard does not expect: %.*s",
			(long long)fs->sweep_id, (int)(len < 200 ? len : 200), text);
	}
	cJSON_Delete(msg);
}

static void on_timer(uv_timer_t *timer);

/* Its end of the socket closed (or reset: it died holding a request): as a
 * rule because it is exiting, and its exit (forkserver_exited) says how. The
 * end of file comes before the exit can be reaped (a process's files close
 * before it becomes a zombie; Python closes the socket before finalizing),
 * so the exit is waited for, nothing more sent; only one still there after
 * FORKSERVER_HANGUP_GRACE is killed, and said to be (killed at once, one only
 * exiting, after a refusal or another's SIGKILL, looked as if it lived on). */
static void hang_up(struct forkserver *fs)
{
	int status;

	if (fs->pid > 0 && waitpid(fs->pid, &status, WNOHANG) == fs->pid) {
		fs->pid = 0;
		fs->exit_status = status;
	}
	if (fs->pid == 0) {
		gone(fs, "closed its socket");
		return;
	}
	fs->hung_up = 1;
	fs->ready = 0;
	uv_poll_stop(&fs->poll);
	uv_timer_start(&fs->setup_timer, on_timer, FORKSERVER_HANGUP_GRACE * 1000, 0);
}

/* A socket error that means the server's end is gone. */
static int peer_gone(int err)
{
	return err == ECONNRESET || err == EPIPE || err == ENOTCONN;
}

/* Reads every message waiting; 0, or -1 when the server is gone or going. */
static int read_messages(struct forkserver *fs)
{
	char *buf = xmalloc(FORKSERVER_MAX_MSG);
	ssize_t n = -1;

	while (!fs->gone && (n = recv(fs->fd, buf, FORKSERVER_MAX_MSG, MSG_DONTWAIT)) != 0) {
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		if (n < 0 && peer_gone(errno)) {
			hang_up(fs);
			break;
		}
		if (n < 0) {
			gone(fs, strerror(errno));
			break;
		}
		handle_message(fs, buf, (size_t)n);
	}
	if (n == 0 && !fs->gone)
		hang_up(fs);
	free(buf);
	return fs->gone || fs->hung_up ? -1 : 0;
}

/* Sends one request with its descriptors: 1 sent, 0 not now, -1 gone. */
static int send_request(struct forkserver *fs, struct forkserver_request *r)
{
	char control[CMSG_SPACE(sizeof r->fds)];
	struct iovec iov = {r->msg, strlen(r->msg)};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
			    .msg_controllen = sizeof control};
	struct cmsghdr *cm;

	memset(control, 0, sizeof control);
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof r->fds);
	memcpy(CMSG_DATA(cm), r->fds, sizeof r->fds);
	if (sendmsg(fs->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0)
		return 1;
	if (errno == EAGAIN || errno == EINTR || errno == ENOBUFS)
		return 0;
	if (peer_gone(errno))
		hang_up(fs);
	else
		gone(fs, strerror(errno));
	return -1;
}

/* Sends what waits, in order, as far as the socket takes it. */
static void flush_queue(struct forkserver *fs)
{
	int rc = 1;

	while (fs->ready && fs->n_queue > 0 && (rc = send_request(fs, &fs->queue[0])) == 1) {
		struct forkserver_request *r = &fs->queue[0];

		if (fs->n_sent == fs->cap_sent) {
			fs->cap_sent = fs->cap_sent ? 2 * fs->cap_sent : 8;
			fs->sent = xrealloc(fs->sent, (size_t)fs->cap_sent * sizeof *fs->sent);
		}
		fs->sent[fs->n_sent++] = r->trial;
		close_fds(r->fds);
		free(r->msg);
		memmove(fs->queue, fs->queue + 1, (size_t)--fs->n_queue * sizeof *fs->queue);
	}
	if (rc >= 0)
		watch(fs);
}

static void on_poll(uv_poll_t *poll, int status, int events)
{
	struct forkserver *fs = poll->data;

	if (status < 0) {
		/* libuv's UV_EBADF for POLLERR: the server died with a request
		 * unread (ECONNRESET on our end); its exit says how */
		if (status == UV_EBADF)
			hang_up(fs);
		else
			gone(fs, uv_strerror(status));
		return;
	}
	if ((events & UV_READABLE) && read_messages(fs) < 0)
		return;
	flush_queue(fs);
}

/* The server's stdout and stderr: its log file, appended. */
static int open_log(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);

	if (fd < 0)
		err_set(err, errlen, "%s: %s", path, strerror(errno));
	return fd;
}

static int spawn_server(struct forkserver *fs, const struct command_run *run, int sock,
			char *err, size_t errlen)
{
	char **owned, **argv, **env;
	int fds[3] = {sock, -1, -1}, rc;

	if ((fds[1] = fds[2] = open_log(fs->log_path, err, errlen)) < 0)
		return -1;
	argv = launcher_argv(LAUNCHER_LOCAL, fs->pool->host.self_path, run->argv, 1, 0, NULL, 0,
			     &owned);
	env = child_env(run->env, run->n_env);
	rc = child_spawn(argv[0], argv, env, run->trial_dir, fds, &fs->pid);
	close(fds[1]);
	free(env);
	free(argv);
	for (int i = 0; owned[i]; i++)
		free(owned[i]);
	free(owned);
	if (rc < 0)
		return err_set(err, errlen, "cannot start %s: %s", run->argv[0], strerror(-rc));
	return 0;
}

/* Its setup took longer than its setup_timeout: killed, and as it would
 * not serve the next time either, the sweep runs a process per trial. Or
 * it closed its socket FORKSERVER_HANGUP_GRACE ago and lives on: killed, as
 * it cannot serve again. */
static void on_timer(uv_timer_t *timer)
{
	struct forkserver *fs = timer->data;

	if (fs->gone || fs->pid <= 0)
		return;
	if (fs->hung_up)
		fs->hangup_killed = 1;
	else if (!fs->ready)
		fs->setup_timed_out = 1;
	else
		return;
	kill(fs->pid, SIGKILL); /* no effect on an exit under way: its status stays */
}

static struct forkserver *create(struct forkserver_pool *pool, int64_t sweep_id,
				 const struct command_run *run, const char *log_path,
				 double setup_timeout, char *err, size_t errlen)
{
	struct forkserver *fs = xcalloc(1, sizeof *fs);
	int sv[2];

	fs->pool = pool;
	fs->sweep_id = sweep_id;
	fs->fd = -1;
	fs->started_at = log_now();
	snprintf(fs->log_path, sizeof fs->log_path, "%s", log_path);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		err_set(err, errlen, "socketpair: %s", strerror(errno));
		free(fs);
		return NULL;
	}
	if (spawn_server(fs, run, sv[1], err, errlen) < 0) {
		close(sv[0]);
		close(sv[1]);
		free(fs);
		return NULL;
	}
	close(sv[1]);
	fs->fd = sv[0];
	fs->server_pid = fs->pid;
	uv_poll_init(pool->host.loop, &fs->poll, fs->fd);
	fs->poll.data = fs;
	uv_timer_init(pool->host.loop, &fs->setup_timer);
	fs->setup_timer.data = fs;
	fs->open_handles = 2;
	fs->setup_timeout = setup_timeout;
	uv_timer_start(&fs->setup_timer, on_timer, (uint64_t)(setup_timeout * 1000), 0);
	watch(fs);
	log_msg("sweep %lld: started its fork server %s (pid %ld; its output: %s)",
		(long long)sweep_id, run->argv[0], (long)fs->pid, fs->log_path);
	return fs;
}

static char *request_text(int64_t trial, char *const env[], int n, const char *cwd,
			  int memory_mb)
{
	cJSON *msg = cJSON_CreateObject(), *list = cJSON_AddArrayToObject(msg, FORKSERVER_ENVIRON);
	char *text;

	cJSON_AddNumberToObject(msg, FORKSERVER_TRIAL, (double)trial);
	for (int i = 0; i < n; i++)
		cJSON_AddItemToArray(list, cJSON_CreateString(env[i]));
	cJSON_AddStringToObject(msg, FORKSERVER_CWD, cwd);
	cJSON_AddNumberToObject(msg, FORKSERVER_MEMORY, memory_mb);
	text = cJSON_PrintUnformatted(msg);
	cJSON_Delete(msg);
	return text;
}

int forkserver_fork(struct forkserver *fs, int64_t trial, char *const env[], int n,
		    const char *cwd, int memory_mb, const int fds[3], char *err, size_t errlen)
{
	struct forkserver_request r = {trial, NULL, {-1, -1, -1}};

	if (fs->gone)
		return err_set(err, errlen, "its fork server is gone");
	r.msg = request_text(trial, env, n, cwd, memory_mb);
	if (strlen(r.msg) > FORKSERVER_MAX_MSG) {
		free(r.msg);
		return err_set(err, errlen, "its request to the fork server is over %u bytes "
			       "(its parameters are too large)", FORKSERVER_MAX_MSG);
	}
	for (int i = 0; i < 3; i++)
		if ((r.fds[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 3)) < 0) {
			err_set(err, errlen, "dup: %s", strerror(errno));
			close_fds(r.fds);
			free(r.msg);
			return -1;
		}
	if (fs->n_queue == fs->cap_queue) {
		fs->cap_queue = fs->cap_queue ? 2 * fs->cap_queue : 8;
		fs->queue = xrealloc(fs->queue, (size_t)fs->cap_queue * sizeof *fs->queue);
	}
	fs->queue[fs->n_queue++] = r;
	watch(fs); /* sent from the loop: never a callback inside this call */
	return 0;
}

int forkserver_withdraw(struct forkserver *fs, int64_t trial)
{
	for (int i = 0; i < fs->n_queue; i++)
		if (fs->queue[i].trial == trial) {
			close_fds(fs->queue[i].fds);
			free(fs->queue[i].msg);
			memmove(fs->queue + i, fs->queue + i + 1,
				(size_t)(--fs->n_queue - i) * sizeof *fs->queue);
			watch(fs);
			return 1;
		}
	return 0;
}

static void on_close(uv_handle_t *h)
{
	struct forkserver *fs = h->data;

	if (--fs->open_handles > 0)
		return;
	for (int i = 0; i < fs->n_queue; i++) {
		close_fds(fs->queue[i].fds);
		free(fs->queue[i].msg);
	}
	close(fs->fd);
	free(fs->queue);
	free(fs->sent);
	free(fs->refusal);
	free(fs);
}

/* Closes the socket (the server exits on its end of file) and frees fs once
 * its handle is closed. */
static void destroy(struct forkserver *fs)
{
	fs->gone = 1;
	if (fs->pid > 0)
		kill(fs->pid, SIGTERM); /* besides the end of file: a server busy in setup */
	if (!uv_is_closing((uv_handle_t *)&fs->poll)) {
		uv_close((uv_handle_t *)&fs->poll, on_close);
		uv_close((uv_handle_t *)&fs->setup_timer, on_close);
	}
}

struct forkserver *forkserver_get(struct forkserver_pool *pool, int64_t sweep_id,
				  const struct spec *spec, int threads)
{
	struct forkserver_sweep *sw = find_sweep(pool, sweep_id);
	struct command_run run;
	char err[512], log_path[4200];

	if (!sw) {
		if (pool->n_sweeps == pool->cap_sweeps) {
			pool->cap_sweeps = pool->cap_sweeps ? 2 * pool->cap_sweeps : 4;
			pool->sweeps = xrealloc(pool->sweeps,
						(size_t)pool->cap_sweeps * sizeof *pool->sweeps);
		}
		sw = &pool->sweeps[pool->n_sweeps++];
		*sw = (struct forkserver_sweep){.sweep = sweep_id};
	}
	if (sw->fs || sw->fallback)
		return sw->fs;
	statedir_server_log(pool->host.state_dir, sweep_id, log_path, sizeof log_path);
	if (command_server_prepare(&run, spec, sweep_id, pool->host.state_dir, threads, err,
				   sizeof err) == 0)
		sw->fs = create(pool, sweep_id, &run, log_path, spec->fork_server_setup_timeout,
				err, sizeof err);
	command_run_finish(&run);
	if (!sw->fs) {
		sw->fallback = 1;
		log_msg("sweep %lld: one process per trial: cannot start its fork server: %s",
			(long long)sweep_id, err);
	}
	return sw->fs;
}

void forkserver_drop(struct forkserver_pool *pool, int64_t sweep_id)
{
	struct forkserver_sweep *sw = find_sweep(pool, sweep_id);

	if (!sw)
		return;
	if (sw->fs)
		destroy(sw->fs);
	*sw = pool->sweeps[--pool->n_sweeps];
}

int forkserver_exited(struct forkserver_pool *pool, pid_t pid, int status)
{
	for (int i = 0; i < pool->n_sweeps; i++) {
		struct forkserver *fs = pool->sweeps[i].fs;

		if (fs && pid > 0 && fs->pid == pid) {
			fs->pid = 0;
			fs->exit_status = status;
			gone(fs, "exited");
			return 1;
		}
	}
	return 0;
}

void forkserver_pool_finish(struct forkserver_pool *pool)
{
	for (int i = 0; i < pool->n_sweeps; i++)
		if (pool->sweeps[i].fs)
			destroy(pool->sweeps[i].fs);
	free(pool->sweeps);
	pool->sweeps = NULL;
	pool->n_sweeps = pool->cap_sweeps = 0;
}
