/* server: caviard's unix socket, its clients and the request handlers (see
 * server.h and proto.h for the protocol). */
#include "server.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon.h"
#include "errbuf.h"
#include "linebuf.h"
#include "probe.h"
#include "proto.h"
#include "request.h"
#include "sweeps.h"
#include "trial.h"
#include "xalloc.h"

struct client {
	uv_pipe_t pipe;
	struct daemon *d;
	struct client *next;
	struct linebuf lb;
	int64_t waiting;  /* sweep id this client waits on; 0: none */
	int64_t watching; /* subscribed to this sweep's events; 0: all; -1: none */
	struct pending_submit *pending; /* a submit waiting for the Slurm probe */
	int closing;
};

/* A submit held while a Slurm step checks that the compute node can reach
 * the worker and the state directory. */
struct pending_submit {
	struct client *c; /* NULL once the client is gone: the submit is dropped */
	cJSON *spec;
};

#define SLURM_PROBE_SECONDS 120 /* the probe step may wait in Slurm's queue */
#define SLURM_PROBE_VALID 600   /* seconds a passed probe vouches for later submits */

#define MAX_BACKLOG (8u << 20) /* bytes queued to a subscriber before it is dropped */

struct reply {
	uv_write_t req;
	char *text;
};

/* A request handler: fills reply (an object with "ok": true added by the
 * caller) and returns 0, returns -1 with err, or returns 1 when it replies
 * itself (later, or already). */
typedef int (*handler_fn)(struct client *c, const struct request *req, cJSON *reply, char *err,
			  size_t errlen);

static void on_client_close(uv_handle_t *h)
{
	struct client *c = h->data;

	linebuf_finish(&c->lb);
	free(c);
}

static void client_drop(struct client *c)
{
	if (c->closing)
		return;
	c->closing = 1;
	if (c->watching >= 0)
		c->d->subscribers--;
	if (c->pending)
		c->pending->c = NULL;
	for (struct client **p = &c->d->clients; *p; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			break;
		}
	uv_close((uv_handle_t *)&c->pipe, on_client_close);
}

static void on_written(uv_write_t *req, int status)
{
	struct reply *r = (struct reply *)req;

	(void)status; /* a client gone before its reply is simply gone */
	free(r->text);
	free(r);
}

/* Sends obj as one line and deletes it. */
static void client_send(struct client *c, cJSON *obj)
{
	struct reply *r;
	char *text = cJSON_PrintUnformatted(obj);
	size_t n = strlen(text);
	uv_buf_t buf;

	cJSON_Delete(obj);
	if (c->closing) {
		free(text);
		return;
	}
	r = xcalloc(1, sizeof *r);
	r->text = xrealloc(text, n + 2);
	memcpy(r->text + n, "\n", 2);
	buf = uv_buf_init(r->text, (unsigned)(n + 1));
	if (uv_write(&r->req, (uv_stream_t *)&c->pipe, &buf, 1, on_written) < 0) {
		free(r->text);
		free(r);
		client_drop(c);
	}
}

static void send_error(struct client *c, const char *msg)
{
	cJSON *obj = cJSON_CreateObject();

	cJSON_AddFalseToObject(obj, "ok");
	cJSON_AddStringToObject(obj, "error", msg);
	client_send(c, obj);
}

static int submit_now(struct client *c, const cJSON *spec, cJSON *reply, char *err,
		      size_t errlen)
{
	struct sweep *sw = sweeps_submit(c->d, spec, err, errlen);

	if (!sw)
		return -1;
	cJSON_AddNumberToObject(reply, "sweep", (double)sw->id);
	cJSON_AddStringToObject(reply, "name", sw->spec.name);
	cJSON_AddNumberToObject(reply, "trials", sw->spec.trials);
	daemon_schedule(c->d);
	return 0;
}

/* Sends the reply of a submit: done now, or after the Slurm probe. */
static void finish_submit(struct client *c, const cJSON *spec)
{
	char err[ERRBUF_LEN];
	cJSON *reply = cJSON_CreateObject();

	cJSON_AddTrueToObject(reply, "ok");
	if (submit_now(c, spec, reply, err, sizeof err) < 0) {
		cJSON_Delete(reply);
		send_error(c, err);
		return;
	}
	client_send(c, reply);
}

static void on_slurm_probe(void *ctx, int ok, const char *msg)
{
	struct pending_submit *ps = ctx;
	char err[ERRBUF_LEN];

	if (ps->c) {
		struct client *c = ps->c;

		c->pending = NULL;
		if (ok) {
			c->d->slurm_checked_at = daemon_now();
			finish_submit(c, ps->spec);
		} else {
			snprintf(err, sizeof err,
				 "slurm: a compute node cannot run the trials (caviar-worker or the "
				 "command, and the state directory %s, must be on a filesystem the "
				 "nodes share): %s",
				 c->d->opt.state_dir, msg);
			send_error(c, err);
		}
	}
	cJSON_Delete(ps->spec);
	free(ps);
}

/* Starts a one-task step that checks the program and the state directory. */
static int start_slurm_probe(struct client *c, const struct spec *spec, char *err,
			     size_t errlen)
{
	static char script[] =
		"case $1 in */*) test -x \"$1\" ;; *) command -v \"$1\" >/dev/null ;; esac ||"
		" { echo \"cannot run $1 on $(hostname)\" >&2; exit 1; };"
		" test -d \"$2\" && test -w \"$2\" ||"
		" { echo \"cannot write $2 on $(hostname)\" >&2; exit 1; }";
	struct daemon *d = c->d;
	const char *prog = spec->command ? cJSON_GetArrayItem(spec->command, 0)->valuestring
					 : d->opt.worker_path;
	char *program[] = {"sh", "-c", script, "sh", (char *)prog, (char *)d->opt.state_dir, NULL};
	char **owned, **argv;
	struct pending_submit *ps = xcalloc(1, sizeof *ps);
	int rc;

	argv = launcher_argv(LAUNCHER_SLURM, d->self_path, program, 0, 0, spec->slurm, 0, &owned);
	ps->c = c;
	ps->spec = cJSON_Duplicate(spec->json, 1);
	rc = probe_start(&d->loop, argv, SLURM_PROBE_SECONDS, on_slurm_probe, ps);
	free(argv);
	for (int i = 0; owned[i]; i++)
		free(owned[i]);
	free(owned);
	if (rc < 0) {
		cJSON_Delete(ps->spec);
		free(ps);
		return err_set(err, errlen, "slurm: cannot run srun: %s", uv_strerror(rc));
	}
	c->pending = ps;
	return 0;
}

static int do_submit(struct client *c, const struct request *req, cJSON *reply, char *err,
		     size_t errlen)
{
	struct spec spec;
	int rc;

	if (c->d->opt.launcher != LAUNCHER_SLURM ||
	    daemon_now() - c->d->slurm_checked_at < SLURM_PROBE_VALID)
		return submit_now(c, req->spec, reply, err, errlen);
	/* Under Slurm: a valid spec first, then the probe, then the reply. */
	if (spec_parse(&spec, req->spec, err, errlen) < 0 ||
	    sample_check_grid(&spec, err, errlen) < 0)
		return -1;
	rc = start_slurm_probe(c, &spec, err, errlen);
	spec_finish(&spec);
	return rc < 0 ? -1 : 1;
}

/* Reads run on committed data: flush what is queued first so a reply is
 * fresh (a failure is the daemon's to handle; the reply then lags). */
static void flush_for_read(struct daemon *d)
{
	if (db_pending(&d->db))
		daemon_flush(d);
}

static int do_ls(struct client *c, const struct request *req, cJSON *reply, char *err,
			size_t errlen)
{
	cJSON *rows;

	(void)req;
	flush_for_read(c->d);
	rows = db_query(&c->d->db, Q_PROGRESS, NULL, 0, err, errlen);
	if (!rows)
		return -1;
	cJSON_AddItemToObject(reply, "sweeps", rows);
	return 0;
}

static int do_top(struct client *c, const struct request *req, cJSON *reply, char *err,
			size_t errlen)
{
	int64_t args[2] = {req->sweep, req->n ? req->n : 10};
	cJSON *sweep, *rows;

	flush_for_read(c->d);
	sweep = db_query(&c->d->db, Q_SWEEP, args, 1, err, errlen);
	if (!sweep)
		return -1;
	if (!sweep->child) {
		cJSON_Delete(sweep);
		return err_set(err, errlen, "no sweep %lld", (long long)args[0]);
	}
	rows = db_query(&c->d->db, Q_TOP, args, 2, err, errlen);
	if (!rows) {
		cJSON_Delete(sweep);
		return -1;
	}
	cJSON_AddItemToObject(reply, "sweep", cJSON_DetachItemViaPointer(sweep, sweep->child));
	cJSON_AddItemToObject(reply, "trials", rows);
	cJSON_Delete(sweep);
	return 0;
}

static cJSON *running_json(const struct trial *t)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "trial", (double)t->row.id);
	cJSON_AddNumberToObject(o, "sweep", (double)t->sweep->id);
	cJSON_AddNumberToObject(o, "number", t->number);
	cJSON_AddNumberToObject(o, "pid", t->row.pid);
	cJSON_AddNumberToObject(o, "epoch", t->row.epochs);
	cJSON_AddNumberToObject(o, "epochs", t->epochs_total);
	cJSON_AddStringToObject(o, "state", t->slurm_queued ? "queued in Slurm" : "running");
	if (!isnan(t->row.best_value))
		cJSON_AddNumberToObject(o, "best", t->row.best_value);
	cJSON_AddNumberToObject(o, "started_at", t->row.started_at);
	return o;
}

static int do_status(struct client *c, const struct request *req, cJSON *reply, char *err,
			size_t errlen)
{
	struct daemon *d = c->d;
	cJSON *running = cJSON_CreateArray();
	int queued = 0, sweeps = 0;

	(void)req, (void)err, (void)errlen;
	for (struct trial *t = d->running; t; t = t->next)
		cJSON_AddItemToArray(running, running_json(t));
	for (struct sweep *sw = d->sweeps; sw; sw = sw->next, sweeps++)
		queued += sw->n_queue - sw->q_head;
	cJSON_AddStringToObject(reply, "version", CAVIAR_VERSION);
	cJSON_AddNumberToObject(reply, "pid", (double)getpid());
	cJSON_AddStringToObject(reply, "db", d->db_realpath);
	cJSON_AddNumberToObject(reply, "slots", d->opt.slots);
	cJSON_AddStringToObject(reply, "launcher", launcher_name(d->opt.launcher));
	cJSON_AddNumberToObject(reply, "active_sweeps", sweeps);
	cJSON_AddNumberToObject(reply, "queued", queued);
	cJSON_AddItemToObject(reply, "running", running);
	cJSON_AddNumberToObject(reply, "trials_started", (double)d->trials_started);
	cJSON_AddNumberToObject(reply, "points_written", (double)d->db.points_written);
	cJSON_AddNumberToObject(reply, "lines_rejected", (double)d->lines_rejected);
	if (d->db_failing)
		cJSON_AddStringToObject(reply, "db_error", d->db_error);
	return 0;
}

/* Replies at once for a sweep already over; otherwise the reply comes from
 * server_sweep_ended. Returns 1 when the reply is deferred. */
static int do_wait(struct client *c, const struct request *req, cJSON *reply, char *err,
			size_t errlen)
{
	int64_t id = req->sweep;
	cJSON *rows;
	const cJSON *status;

	if (sweeps_find(c->d, id)) {
		c->waiting = id;
		return 1;
	}
	rows = db_query(&c->d->db, Q_SWEEP, &id, 1, err, errlen);
	if (!rows)
		return -1;
	if (!rows->child) {
		cJSON_Delete(rows);
		return err_set(err, errlen, "no sweep %lld", (long long)id);
	}
	status = cJSON_GetObjectItemCaseSensitive(rows->child, "status");
	cJSON_AddNumberToObject(reply, "sweep", (double)id);
	cJSON_AddStringToObject(reply, "status", status->valuestring);
	cJSON_Delete(rows);
	return 0;
}

static int do_cancel(struct client *c, const struct request *req, cJSON *reply, char *err,
			size_t errlen)
{
	int n = req->trial ? sweeps_cancel_trial(c->d, req->trial, err, errlen)
			   : sweeps_cancel_sweep(c->d, req->sweep, err, errlen);

	if (n < 0)
		return -1;
	cJSON_AddNumberToObject(reply, "cancelled", n);
	return 0;
}

static int set_paused(struct client *c, const struct request *req, int paused, char *err,
		      size_t errlen)
{
	if (sweeps_pause(c->d, req->sweep, paused, err, errlen) < 0)
		return -1;
	if (!paused)
		daemon_schedule(c->d);
	return 0;
}

static int do_pause(struct client *c, const struct request *req, cJSON *reply, char *err,
			size_t errlen)
{
	(void)reply;
	return set_paused(c, req, 1, err, errlen);
}

static int do_resume(struct client *c, const struct request *req, cJSON *reply, char *err,
			size_t errlen)
{
	(void)reply;
	return set_paused(c, req, 0, err, errlen);
}

/* Replies first: shutting down may close this very client. */
static int do_subscribe(struct client *c, const struct request *req, cJSON *reply, char *err,
			size_t errlen)
{
	(void)err, (void)errlen;
	if (c->watching < 0)
		c->d->subscribers++;
	c->watching = req->sweep;
	cJSON_AddNumberToObject(reply, "sweep", (double)req->sweep);
	return 0;
}

static int do_shutdown(struct client *c, const struct request *req, cJSON *reply, char *err,
			size_t errlen)
{
	(void)req, (void)err, (void)errlen;
	client_send(c, cJSON_Duplicate(reply, 1));
	daemon_shutdown(c->d);
	return 1;
}

static int do_slots(struct client *c, const struct request *req, cJSON *reply, char *err,
		    size_t errlen)
{
	(void)err, (void)errlen;
	if (req->n > 100000)
		return err_set(err, errlen, "\"n\": at most 100000 slots");
	daemon_log("slots: %d -> %lld", c->d->opt.slots, (long long)req->n);
	c->d->opt.slots = (int)req->n;
	cJSON_AddNumberToObject(reply, "slots", (double)req->n);
	daemon_schedule(c->d);
	return 0;
}

static const handler_fn handlers[REQ_COUNT] = {
	[REQ_SUBMIT] = do_submit,   [REQ_LS] = do_ls,         [REQ_TOP] = do_top,
	[REQ_STATUS] = do_status,   [REQ_WAIT] = do_wait,     [REQ_CANCEL] = do_cancel,
	[REQ_PAUSE] = do_pause,     [REQ_RESUME] = do_resume, [REQ_SHUTDOWN] = do_shutdown,
	[REQ_SUBSCRIBE] = do_subscribe, [REQ_SLOTS] = do_slots,
};

static void on_request(void *ctx, const char *text, size_t len)
{
	struct client *c = ctx;
	char err[ERRBUF_LEN] = "";
	struct request req;
	cJSON *reply;
	int rc;

	if (c->closing)
		return;
	if (!text) {
		snprintf(err, sizeof err, "request of %zu bytes exceeds %u", len, PROTO_MAX_REQUEST);
		send_error(c, err);
		return;
	}
	if (request_parse(&req, text, len, err, sizeof err) < 0) {
		request_finish(&req);
		send_error(c, err);
		return;
	}
	reply = cJSON_CreateObject();
	cJSON_AddTrueToObject(reply, "ok");
	rc = handlers[req.cmd](c, &req, reply, err, sizeof err);
	request_finish(&req);
	if (rc == 1) {
		cJSON_Delete(reply);
		return;
	}
	if (rc < 0) {
		cJSON_Delete(reply);
		send_error(c, err);
		return;
	}
	client_send(c, reply);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct client *c = h->data;

	(void)suggested;
	buf->base = c->d->readbuf;
	buf->len = sizeof c->d->readbuf;
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct client *c = s->data;

	if (n > 0)
		linebuf_feed(&c->lb, buf->base, (size_t)n, on_request, c);
	else if (n < 0)
		client_drop(c); /* EOF or error: whatever was half-sent is dropped */
}

static int same_user(uv_pipe_t *p)
{
	struct ucred cred;
	socklen_t len = sizeof cred;
	uv_os_fd_t fd;

	if (uv_fileno((uv_handle_t *)p, &fd) < 0 ||
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return 0;
	return cred.uid == getuid();
}

static void on_connection(uv_stream_t *server, int status)
{
	struct daemon *d = server->data;
	struct client *c;

	if (status < 0) {
		daemon_log("accept: %s", uv_strerror(status));
		return;
	}
	c = xcalloc(1, sizeof *c);
	c->d = d;
	c->watching = -1;
	uv_pipe_init(&d->loop, &c->pipe, 0);
	c->pipe.data = c;
	linebuf_init(&c->lb, PROTO_MAX_REQUEST);
	c->next = d->clients;
	d->clients = c;
	if (uv_accept(server, (uv_stream_t *)&c->pipe) < 0 || !same_user(&c->pipe)) {
		daemon_log("client refused: not the daemon's user");
		client_drop(c);
		return;
	}
	uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read);
}

/* mkdir -p for the socket's directory, new directories mode 0700. */
static int make_dirs(const char *path, char *err, size_t errlen)
{
	char *dir = xstrdup(path);
	int rc = 0;

	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0700) < 0 && errno != EEXIST)
			rc = err_set(err, errlen, "%s: %s", dir, strerror(errno));
		*p = '/';
		if (rc < 0)
			break;
	}
	free(dir);
	return rc;
}

/* An existing socket file is either a live daemon (refuse) or stale (remove). */
static int clear_stale(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd, live;

	if (access(path, F_OK) < 0)
		return 0;
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	live = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
	if (fd >= 0)
		close(fd);
	if (live)
		return err_set(err, errlen, "%s: another caviard is already listening there", path);
	unlink(path);
	return 0;
}

/* The socket's directory should be the user's alone; say so when it is not
 * (the socket itself is 0600 and peers are checked either way). */
static void check_private_dir(const char *path)
{
	char *dir = xstrdup(path), *slash = strrchr(dir, '/');
	struct stat st;

	if (slash)
		*slash = '\0';
	if (stat(slash && slash != dir ? dir : slash ? "/" : ".", &st) == 0 &&
	    (st.st_mode & 0077) != 0)
		daemon_log("warning: %s is open to other users; prefer a directory only you "
			   "can enter (the default is)",
			   slash && slash != dir ? dir : ".");
	free(dir);
}

int server_start(struct daemon *d, char *err, size_t errlen)
{
	const char *path = d->opt.socket_path;
	int rc;

	if (strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		return err_set(err, errlen, "%s: socket path too long", path);
	if (make_dirs(path, err, errlen) < 0 || clear_stale(path, err, errlen) < 0)
		return -1;
	check_private_dir(path);
	uv_pipe_init(&d->loop, &d->server, 0);
	d->server.data = d;
	rc = uv_pipe_bind(&d->server, path);
	if (rc == 0 && chmod(path, 0600) < 0)
		rc = -errno;
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)&d->server, 64, on_connection);
	if (rc < 0) {
		uv_close((uv_handle_t *)&d->server, NULL);
		return err_set(err, errlen, "%s: %s", path, uv_strerror(rc));
	}
	return 0;
}

void server_stop(struct daemon *d)
{
	if (!uv_is_closing((uv_handle_t *)&d->server)) {
		uv_close((uv_handle_t *)&d->server, NULL);
		unlink(d->opt.socket_path);
	}
	for (struct client *c = d->clients; c; c = c->next)
		if (c->waiting) {
			c->waiting = 0;
			send_error(c, "caviard is shutting down; the sweep resumes at its next start");
		}
}

static void on_client_shutdown(uv_shutdown_t *req, int status)
{
	struct client *c = req->data;

	(void)status;
	free(req);
	uv_close((uv_handle_t *)&c->pipe, on_client_close);
}

/* Closes a client after the replies already written to it have gone out. */
static void client_finish(struct client *c)
{
	uv_shutdown_t *req = xcalloc(1, sizeof *req);

	c->closing = 1;
	req->data = c;
	uv_read_stop((uv_stream_t *)&c->pipe);
	if (uv_shutdown(req, (uv_stream_t *)&c->pipe, on_client_shutdown) < 0) {
		free(req);
		uv_close((uv_handle_t *)&c->pipe, on_client_close);
	}
}

void server_drop_clients(struct daemon *d)
{
	while (d->clients) {
		struct client *c = d->clients;

		d->clients = c->next;
		if (!c->closing)
			client_finish(c);
	}
}

int server_listening(struct daemon *d, int64_t sweep_id)
{
	if (d->subscribers == 0)
		return 0;
	for (struct client *c = d->clients; c; c = c->next)
		if (c->watching == 0 || c->watching == sweep_id)
			return 1;
	return 0;
}

void server_publish(struct daemon *d, int64_t sweep_id, cJSON *event)
{
	struct client *next;

	for (struct client *c = d->clients; c; c = next) {
		next = c->next;
		if (c->closing || !(c->watching == 0 || c->watching == sweep_id))
			continue;
		if (uv_stream_get_write_queue_size((uv_stream_t *)&c->pipe) > MAX_BACKLOG) {
			daemon_log("subscriber dropped: it stopped reading events");
			client_drop(c);
			continue;
		}
		client_send(c, cJSON_Duplicate(event, 1));
	}
	cJSON_Delete(event);
}

void server_sweep_ended(struct daemon *d, int64_t sweep_id, const char *status)
{
	for (struct client *c = d->clients; c; c = c->next) {
		cJSON *reply;

		if (c->waiting != sweep_id)
			continue;
		c->waiting = 0;
		reply = cJSON_CreateObject();
		cJSON_AddTrueToObject(reply, "ok");
		cJSON_AddNumberToObject(reply, "sweep", (double)sweep_id);
		cJSON_AddStringToObject(reply, "status", status);
		client_send(c, reply);
	}
}
