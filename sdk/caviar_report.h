/* caviar_report.h: report a training run's learning curve to caviard from C
 * or C++, in one header with no dependencies: the C half of caviar's SDK (sdk/;
 * caviar.py is the Python half), for your own training program, not for
 * caviar. A command trial prints one JSON object per line; these helpers print
 * them and read the trial's values.
 *
 *   #include "caviar_report.h"
 *   double lr = caviar_param("lr", 0.01);          // from $CAVIAR_PARAMS
 *   for (int epoch = 1; epoch <= epochs; epoch++) {
 *       ...train...
 *       caviar_report(epoch, "train_loss", tl, "val_acc", va, (const char *)0);
 *       if (caviar_should_stop()) break;              // SIGTERM from caviard
 *   }
 *
 * Call caviar_init() once at start: it installs the stop handlers.
 *
 * Panda (version 2 of the protocol): caviard may change the trial's values
 * while it trains (`caviar adjust`, PBT). Ask once an epoch:
 *
 *   struct caviar_change ch[16];
 *   int n = caviar_adjustments(ch, 16);   // answers caviard's control lines
 *   for (int i = 0; i < n; i++)
 *       if (strcmp(ch[i].name, "lr") == 0) lr = ch[i].value;
 *
 * caviar_param() returns the adjusted values too. A program that has not
 * called caviar_adjustments() by its second caviar_report() has every change
 * refused ("the program does not read adjustments"), said once on stderr. A
 * fork starts with a copy of its parent's checkpoint directory: when the
 * epoch of the checkpoint you load is caviar_fork_epoch(), call
 * caviar_forked(epoch) instead of caviar_resumed(epoch). After saving a
 * checkpoint, caviar_keep_epoch(epoch) keeps the directory's files in
 * $CAVIAR_CHECKPOINT_DIR/epoch-K/ when caviard asks for it
 * (CAVIAR_KEEP_EPOCHS=1), for forks of earlier epochs.
 *
 * Checkpoints are the program's own (in $CAVIAR_CHECKPOINT_DIR, which survives
 * restarts). Under caviard the lines caviar_report prints and the changes
 * caviar_adjustments applies ("adjusted") are also kept in
 * $CAVIAR_CHECKPOINT_DIR/curve.jsonl: call caviar_curve_sync() when you save
 * a checkpoint, before it replaces the last one, and caviar_resumed(epoch)
 * when you resume from one; it prints the kept curve again up to that epoch,
 * so a daemon killed before it recorded the last lines it was sent still gets
 * the whole curve and every change (a line it sees twice counts once). Needs
 * POSIX (fsync, fileno, open_memstream): with gcc -std=c11, define
 * _POSIX_C_SOURCE=200809L.
 *
 * A fork server ("fork_server": true in the spec): the program does its slow
 * setup once per sweep, then every trial is a process forked from it. Put
 * the setup and the training in two functions and end main with
 *
 *   return caviar_serve(setup, train, &data);   // int setup(void *), int train(void *)
 *
 * Under a fork server it runs setup once and train in a child per trial;
 * otherwise (one trial, or outside caviar) setup then train once. Linux only
 * (it speaks common/forkserver_proto.h over a Unix socket).
 *
 * The lines follow caviar's worker line protocol, defined in
 * common/worker_proto.h of caviar's source; this header speaks version
 * CAVIAR_REPORT_PROTOCOL_VERSION of it. */
#ifndef CAVIAR_REPORT_HEADER_H
#define CAVIAR_REPORT_HEADER_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#ifdef __GLIBC__
#include <malloc.h>
#endif

/* The worker line protocol version these helpers write (WORKER_PROTO_VERSION
 * in common/worker_proto.h; tests/daemon/test_line.c checks they are equal). */
#define CAVIAR_REPORT_PROTOCOL_VERSION 2

#define CAVIAR_NOT_READ "the program does not read adjustments"
#define CAVIAR_MAX_VALUES 64 /* adjusted values remembered */

/* One change caviard made: the name and the new value, a number, or a
 * string (for a choice) with is_string set. */
struct caviar_change {
	char name[64];
	double value;
	char string[64];
	int is_string;
};

static volatile sig_atomic_t caviar_stop_flag_;
static FILE *caviar_curve_; /* $CAVIAR_CHECKPOINT_DIR/curve.jsonl, once a line is kept */
static struct caviar_change caviar_values_[CAVIAR_MAX_VALUES]; /* adjusted so far */
static int caviar_n_values_;
static int caviar_epoch_, caviar_reports_, caviar_asked_, caviar_warned_;
static int caviar_stdin_closed_;
static char caviar_pending_[65536]; /* control bytes read, not yet a whole line */
static size_t caviar_n_pending_;

static inline int caviar_control_(struct caviar_change *ch, int max, const char *refuse);

static void caviar_on_term_(int sig)
{
	(void)sig;
	caviar_stop_flag_ = 1;
}

/* Installs the stop handlers (SIGTERM; SIGUSR1, which srun forwards under
 * Slurm); call once before training. */
static inline void caviar_init(void)
{
	signal(SIGTERM, caviar_on_term_);
	signal(SIGUSR1, caviar_on_term_);
}

/* Nonzero once caviard asked the program to stop. */
static inline int caviar_should_stop(void)
{
	return caviar_stop_flag_ != 0;
}

/* The numeric value of `name`: as last adjusted, else in $CAVIAR_PARAMS (a
 * flat JSON object), else dflt. */
static inline double caviar_param(const char *name, double dflt)
{
	const char *json = getenv("CAVIAR_PARAMS"), *p;
	size_t n = strlen(name);

	for (int i = 0; i < caviar_n_values_; i++)
		if (strcmp(caviar_values_[i].name, name) == 0 && !caviar_values_[i].is_string)
			return caviar_values_[i].value;
	for (p = json; p && (p = strchr(p, '"')) != NULL; p++) {
		if (strncmp(p + 1, name, n) != 0 || p[n + 1] != '"')
			continue;
		p += n + 2;
		while (*p == ' ' || *p == ':')
			p++;
		if (*p == 't' || *p == 'f')
			return *p == 't';
		return strtod(p, NULL);
	}
	return dflt;
}

/* The curve log, opened once, under caviard only (NULL otherwise, or when it
 * cannot be written). upto < 0: a fresh run, the log starts empty. Else a run
 * resumed after epoch upto: the logged lines of epochs <= upto are printed
 * again and kept, the rest (past the checkpoint) dropped. */
static inline FILE *caviar_curve_open_(int upto)
{
	const char *dir = getenv("CAVIAR_CHECKPOINT_DIR");
	const char *prefix = getenv("CAVIAR_METRICS_PREFIX");
	char path[4096], tmp[4200], line[8192];
	FILE *in, *out;
	int epoch;

	if (caviar_curve_ || !dir || !*dir)
		return caviar_curve_;
	snprintf(path, sizeof path, "%s/curve.jsonl", dir);
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	if ((out = fopen(tmp, "w")) == NULL)
		return NULL;
	if (upto >= 0 && (in = fopen(path, "r")) != NULL) {
		while (fgets(line, sizeof line, in))
			if (strchr(line, '\n') && sscanf(line, "{\"epoch\": %d", &epoch) == 1 &&
			    epoch <= upto) {
				fputs(line, out);
				printf("%s%s", prefix ? prefix : "", line);
			}
		fclose(in);
		fflush(stdout);
	}
	if (fflush(out) != 0 || rename(tmp, path) != 0) {
		fclose(out);
		return NULL;
	}
	return caviar_curve_ = out;
}

/* Makes the lines printed so far durable: call it when you save a
 * checkpoint, before the checkpoint replaces the last one. Returns 0, or -1
 * when they could not be written. */
static inline int caviar_curve_sync(void)
{
	if (!caviar_curve_)
		return 0;
	return fflush(caviar_curve_) == 0 && fsync(fileno(caviar_curve_)) == 0 ? 0 : -1;
}

/* Prints {"epoch": E, "name": value, ...}: name/value pairs end with a null
 * name. A non-finite value is reported as a divergence instead. Under
 * caviard the line is also kept in the curve log. */
static inline void caviar_report(int epoch, ...)
{
	const char *prefix = getenv("CAVIAR_METRICS_PREFIX");
	const char *name;
	char line[4096];
	size_t len;
	va_list ap;

	len = (size_t)snprintf(line, sizeof line, "%s{\"epoch\": %d", prefix ? prefix : "", epoch);
	va_start(ap, epoch);
	while ((name = va_arg(ap, const char *)) != NULL && len < sizeof line) {
		double value = va_arg(ap, double);

		if (!isfinite(value)) {
			printf("%s{\"event\": \"diverged\", \"epoch\": %d, \"metric\": \"%s\", "
			       "\"value\": \"%s\"}\n",
			       prefix ? prefix : "", epoch, name, isnan(value) ? "nan" : "inf");
			fflush(stdout);
			va_end(ap);
			return;
		}
		len += (size_t)snprintf(line + len, sizeof line - len, ", \"%s\": %.17g", name, value);
	}
	va_end(ap);
	if (len < sizeof line) {
		FILE *curve = caviar_curve_open_(-1);

		printf("%s}\n", line);
		fflush(stdout);
		if (curve) {
			fprintf(curve, "%s}\n", line + (prefix ? strlen(prefix) : 0));
			fflush(curve);
		}
	}
	caviar_epoch_ = epoch;
	/* a program that has not asked by its second report never will */
	if (++caviar_reports_ >= 2 && !caviar_asked_) {
		struct caviar_change none[CAVIAR_MAX_VALUES];
		caviar_control_(none, CAVIAR_MAX_VALUES, CAVIAR_NOT_READ);
	}
}

/* Tells caviard the run continues after `epoch` (from its own checkpoint),
 * then prints again the curve kept up to that epoch (under caviard). */
static inline void caviar_resumed(int epoch)
{
	const char *prefix = getenv("CAVIAR_METRICS_PREFIX");

	printf("%s{\"event\": \"resumed\", \"epoch\": %d}\n", prefix ? prefix : "", epoch);
	fflush(stdout);
	caviar_epoch_ = epoch;
	caviar_curve_open_(epoch);
}

/* The epoch of the parent's checkpoint a fork starts from
 * ($CAVIAR_FORK_EPOCH), or -1 when this trial is no fork. */
static inline int caviar_fork_epoch(void)
{
	const char *env = getenv("CAVIAR_FORK_EPOCH");

	return env && *env ? atoi(env) : -1;
}

/* Tells caviard the run starts from another trial's checkpoint of `epoch`
 * (a fork); this trial's curve starts after it. */
static inline void caviar_forked(int epoch)
{
	const char *prefix = getenv("CAVIAR_METRICS_PREFIX");

	printf("%s{\"event\": \"forked\", \"epoch\": %d}\n", prefix ? prefix : "", epoch);
	fflush(stdout);
	caviar_epoch_ = epoch;
	caviar_curve_open_(-1);
}

/* Removes directory path and the files in it (a kept epoch's). */
static inline void caviar_rmdir_(const char *path)
{
	char file[4608];
	struct dirent *e;
	DIR *d = opendir(path);

	if (!d)
		return;
	while ((e = readdir(d)) != NULL) {
		snprintf(file, sizeof file, "%s/%s", path, e->d_name);
		unlink(file);
	}
	closedir(d);
	rmdir(path);
}

/* With CAVIAR_KEEP_EPOCHS=1: copies the regular files of
 * $CAVIAR_CHECKPOINT_DIR into its epoch-K/ (built as epoch-K.tmp, then
 * renamed); call it after saving epoch K's checkpoint. Returns 0, or -1 when
 * a file could not be copied. */
static inline int caviar_keep_epoch(int epoch)
{
	const char *dir = getenv("CAVIAR_CHECKPOINT_DIR"), *keep = getenv("CAVIAR_KEEP_EPOCHS");
	char kept[4096], tmp[4200], src[4608], dst[4608], buf[65536];
	struct dirent *e;
	struct stat st;
	int rc = 0;
	DIR *d;

	if (!dir || !*dir || !keep || strcmp(keep, "1") != 0)
		return 0;
	caviar_curve_sync();
	snprintf(kept, sizeof kept, "%s/epoch-%d", dir, epoch);
	snprintf(tmp, sizeof tmp, "%s.tmp", kept);
	caviar_rmdir_(tmp); /* left by a crash */
	if (mkdir(tmp, 0755) != 0 || (d = opendir(dir)) == NULL)
		return -1;
	while (rc == 0 && (e = readdir(d)) != NULL) {
		FILE *in, *out;
		size_t n;

		snprintf(src, sizeof src, "%s/%s", dir, e->d_name);
		if (stat(src, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		snprintf(dst, sizeof dst, "%s/%s", tmp, e->d_name);
		in = fopen(src, "rb");
		out = in ? fopen(dst, "wb") : NULL;
		while (out && (n = fread(buf, 1, sizeof buf, in)) > 0)
			if (fwrite(buf, 1, n, out) != n)
				rc = -1;
		if (!out || fclose(out) != 0)
			rc = -1;
		if (in)
			fclose(in);
	}
	closedir(d);
	caviar_rmdir_(kept); /* the same epoch saved again */
	return rc == 0 && rename(tmp, kept) == 0 ? 0 : -1;
}

/* ---- control lines (internal) ---- */

static inline const char *caviar_ws_(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\r')
		p++;
	return p;
}

/* A JSON string at p (on its opening quote) into out; the text after it, or
 * NULL. Escapes other than \" \\ \/ are refused. */
static inline const char *caviar_str_(const char *p, char *out, size_t n)
{
	size_t len = 0;

	if (*p++ != '"')
		return NULL;
	for (; *p && *p != '"'; p++) {
		if (*p == '\\' && (p[1] == '"' || p[1] == '\\' || p[1] == '/'))
			p++;
		else if (*p == '\\')
			return NULL;
		if (len + 1 < n)
			out[len++] = *p;
	}
	out[len] = '\0';
	return *p == '"' ? p + 1 : NULL;
}

/* A number or string value at p into c; the text after it, or NULL. */
static inline const char *caviar_value_(const char *p, struct caviar_change *c)
{
	char *end;

	c->is_string = *p == '"';
	if (c->is_string)
		return caviar_str_(p, c->string, sizeof c->string);
	c->value = strtod(p, &end);
	return end == p || !isfinite(c->value) ? NULL : end;
}

/* Parses {"adjust": {name: value, ...}, "id": N}. Returns the number of
 * changes, or -1 with why in err; *id is 0 when there is no valid id. */
static inline int caviar_parse_(const char *p, struct caviar_change *ch, int max, double *id,
				char *err, size_t errlen)
{
	char key[64];
	int n = -1;

	*id = 0;
	p = caviar_ws_(p);
	if (*p++ != '{')
		return snprintf(err, errlen, "control line: expected a JSON object"), -1;
	while (p && *(p = caviar_ws_(p)) == '"') {
		struct caviar_change v;
		p = caviar_str_(p, key, sizeof key);
		if (!p || *(p = caviar_ws_(p)) != ':')
			break;
		p = caviar_ws_(p + 1);
		if (strcmp(key, "adjust") == 0 && *p == '{') {
			for (n = 0, p = caviar_ws_(p + 1); p && *p == '"';) {
				if (n == max)
					return snprintf(err, errlen, "adjust: more than %d changes",
							max), -1;
				p = caviar_str_(p, ch[n].name, sizeof ch[n].name);
				if (!p || *(p = caviar_ws_(p)) != ':' ||
				    !(p = caviar_value_(caviar_ws_(p + 1), &ch[n])))
					return snprintf(err, errlen, "adjust: expected name: "
							"number or string"), -1;
				n++;
				p = caviar_ws_(p);
				if (*p == ',')
					p = caviar_ws_(p + 1);
			}
			if (!p || *p != '}')
				break;
			p++;
		} else if ((p = caviar_value_(p, &v)) != NULL && strcmp(key, "id") == 0 &&
			   !v.is_string && v.value >= 1 && v.value == floor(v.value)) {
			*id = v.value;
		}
		if (p && *(p = caviar_ws_(p)) == ',')
			p++;
	}
	if (!p || *caviar_ws_(p) != '}')
		return snprintf(err, errlen, "control line: expected a JSON object"), -1;
	if (*id == 0)
		return snprintf(err, errlen, "id: expected a positive integer"), -1;
	if (n <= 0)
		return snprintf(err, errlen, "adjust: expected an object of name: value, "
				"at least one"), -1;
	return n;
}

/* Writes s as a JSON string. */
static inline void caviar_put_str_(FILE *f, const char *s)
{
	putc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			putc('\\', f);
		putc(*s, f);
	}
	putc('"', f);
}

/* Writes x with the fewest digits that read back as x. */
static inline void caviar_put_num_(FILE *f, double x)
{
	char buf[32];

	for (int digits = 15; digits <= 17; digits++) {
		snprintf(buf, sizeof buf, "%.*g", digits, x);
		if (strtod(buf, NULL) == x)
			break;
	}
	fputs(buf, f);
}

static inline void caviar_put_value_(FILE *f, const struct caviar_change *c)
{
	if (c->is_string)
		caviar_put_str_(f, c->string);
	else
		caviar_put_num_(f, c->value);
}

/* Answers one control line; with `refuse` refuses it with that message.
 * Returns the number of changes applied (put at ch). */
static inline int caviar_answer_(const char *line, struct caviar_change *ch, int max,
				 const char *refuse)
{
	const char *prefix = getenv("CAVIAR_METRICS_PREFIX");
	char err[256] = "", *text = NULL;
	size_t len = 0;
	double id;
	int n = caviar_parse_(line, ch, max, &id, err, sizeof err);
	FILE *out, *curve;

	if (n >= 0 && refuse) {
		snprintf(err, sizeof err, "%s", refuse);
		n = -1;
		if (!caviar_warned_) {
			caviar_warned_ = 1;
			fprintf(stderr, "caviar: this program does not call caviar_adjustments(): "
				"caviard's adjustments are refused\n");
		}
	}
	if (!(out = open_memstream(&text, &len)))
		return 0;
	fprintf(out, "{\"event\": \"%s\"", n < 0 ? "adjust_refused" : "adjusted");
	if (id > 0)
		fprintf(out, ", \"id\": %.0f", id);
	if (n < 0) {
		fprintf(out, ", \"error\": ");
		caviar_put_str_(out, err);
	} else {
		fprintf(out, ", \"epoch\": %d, \"step\": 0, \"changes\": {", caviar_epoch_);
	}
	for (int i = 0; i < n; i++) {
		struct caviar_change *old = NULL;
		for (int k = 0; k < caviar_n_values_; k++)
			if (strcmp(caviar_values_[k].name, ch[i].name) == 0)
				old = &caviar_values_[k];
		fprintf(out, "%s", i ? ", " : "");
		caviar_put_str_(out, ch[i].name);
		fprintf(out, ": [");
		if (old) {
			caviar_put_value_(out, old);
		} else {
			double v = caviar_param(ch[i].name, NAN);
			if (isnan(v))
				fprintf(out, "null");
			else
				caviar_put_num_(out, v);
		}
		fprintf(out, ", ");
		caviar_put_value_(out, &ch[i]);
		fprintf(out, "]");
		if (!old && caviar_n_values_ < CAVIAR_MAX_VALUES)
			old = &caviar_values_[caviar_n_values_++];
		if (old)
			*old = ch[i];
	}
	fprintf(out, n < 0 ? "}" : "}}");
	fclose(out);
	printf("%s%s\n", prefix ? prefix : "", text);
	fflush(stdout);
	/* a change applied is kept with the curve: a resumed run prints it again */
	if (n >= 0 && (curve = caviar_curve_open_(-1)) != NULL) {
		fprintf(curve, "%s\n", text);
		fflush(curve);
	}
	free(text);
	return n < 0 ? 0 : n;
}

/* Reads what stdin holds (never blocks) and answers its whole lines; returns
 * the number of changes put at ch. End of file is not an error. */
static inline int caviar_control_(struct caviar_change *ch, int max, const char *refuse)
{
	struct pollfd pfd = {0, POLLIN, 0};
	int total = 0;
	char *nl;

	while (!caviar_stdin_closed_ && poll(&pfd, 1, 0) > 0) {
		size_t room = sizeof caviar_pending_ - 1 - caviar_n_pending_;
		ssize_t got = room ? read(0, caviar_pending_ + caviar_n_pending_, room) : 0;
		if (got <= 0) {
			caviar_stdin_closed_ = 1; /* end of file, or a line too long */
			break;
		}
		caviar_n_pending_ += (size_t)got;
	}
	caviar_pending_[caviar_n_pending_] = '\0';
	while ((nl = strchr(caviar_pending_, '\n')) != NULL) {
		*nl = '\0';
		if (*caviar_ws_(caviar_pending_))
			total += caviar_answer_(caviar_pending_, ch + total, max - total, refuse);
		caviar_n_pending_ -= (size_t)(nl + 1 - caviar_pending_);
		memmove(caviar_pending_, nl + 1, caviar_n_pending_ + 1);
	}
	return total;
}

/* The changes caviard sent since the last call, up to max of them at ch
 * (each control line answered): apply them from your next step. Returns how
 * many; never blocks. */
static inline int caviar_adjustments(struct caviar_change *ch, int max)
{
	caviar_asked_ = 1;
	return caviar_control_(ch, max, NULL);
}

/* ---- the fork server (common/forkserver_proto.h in caviar's source) ---- */

/* What caviard sets in a fork server's environment, and the largest message
 * (FORKSERVER_ENV and FORKSERVER_MAX_MSG; tests/daemon/test_line.c checks
 * they are equal). */
#define CAVIAR_FORK_SERVER_ENV "CAVIAR_FORK_SERVER"
#define CAVIAR_FORK_SERVER_MAX_MSG (256u << 10)
#define CAVIAR_SPARES 2 /* trial processes forked ahead */
#define CAVIAR_MAX_FORKING 16 /* forking children not yet reaped */

/* A request from caviard: {"trial": ID, "env": [...], "cwd": DIR, "memory_mb": N}. */
struct caviar_request_ {
	double trial;
	char **env;
	int n_env;
	char *cwd;
	double memory_mb;
};

/* The server's state: caviard's socket and the spares (sdk/caviar.py's _Spares). */
struct caviar_server_ {
	int sock;
	int (*train)(void *ctx);
	void *ctx;
	char *buf;              /* one message: CAVIAR_FORK_SERVER_MAX_MSG + 1 bytes */
	int held[3];            /* the descriptors of the trial being handed over */
	int ready[CAVIAR_SPARES + 1]; /* spares waiting for a trial: their sockets... */
	pid_t ready_pid[CAVIAR_SPARES + 1]; /* ...and pids */
	int n_ready;
	int coming[CAVIAR_SPARES + 1]; /* sockets of spares that have not said their pid */
	int n_coming;
	pid_t forking[CAVIAR_MAX_FORKING]; /* children that fork a spare and exit */
	int n_forking;
};

/* The end of the JSON string at p (on its opening quote), past its closing
 * quote; NULL if it does not end. */
static inline const char *caviar_jstr_end_(const char *p)
{
	for (p++; *p && *p != '"'; p++)
		if (*p == '\\' && !*++p)
			return NULL;
	return *p == '"' ? p + 1 : NULL;
}

/* Four hex digits at p; -1 if they are not. */
static inline long caviar_hex4_(const char *p)
{
	long v = 0;

	for (int i = 0; i < 4; i++) {
		int c = p[i];
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
			c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

/* The JSON string at p (on its opening quote), every escape decoded, into
 * *out (malloc'd; the decoded text is never longer); the text after it, or
 * NULL. */
static inline const char *caviar_jstr_(const char *p, char **out)
{
	const char *end = caviar_jstr_end_(p);
	char *o;

	*out = NULL;
	if (!end || (o = *out = (char *)malloc((size_t)(end - p))) == NULL)
		return NULL;
	for (p++; p < end - 1; p++) {
		long u;

		if (*p != '\\') {
			*o++ = *p;
			continue;
		}
		switch (*++p) {
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'u':
			if ((u = caviar_hex4_(p + 1)) < 0)
				goto bad;
			p += 4;
			/* a surrogate pair: one code point past U+FFFF */
			if (u >= 0xD800 && u < 0xDC00 && p[1] == '\\' && p[2] == 'u') {
				long lo = caviar_hex4_(p + 3);
				if (lo >= 0xDC00 && lo < 0xE000) {
					u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
					p += 6;
				}
			}
			if (u == 0)
				goto bad; /* a NUL would cut the string short */
			if (u < 0x80) {
				*o++ = (char)u;
			} else if (u < 0x800) {
				*o++ = (char)(0xC0 | u >> 6);
				*o++ = (char)(0x80 | (u & 0x3F));
			} else if (u < 0x10000) {
				*o++ = (char)(0xE0 | u >> 12);
				*o++ = (char)(0x80 | (u >> 6 & 0x3F));
				*o++ = (char)(0x80 | (u & 0x3F));
			} else {
				*o++ = (char)(0xF0 | u >> 18);
				*o++ = (char)(0x80 | (u >> 12 & 0x3F));
				*o++ = (char)(0x80 | (u >> 6 & 0x3F));
				*o++ = (char)(0x80 | (u & 0x3F));
			}
			break;
		default: *o++ = *p; break; /* \" \\ \/ */
		}
	}
	*o = '\0';
	return end;
bad:
	free(*out);
	*out = NULL;
	return NULL;
}

/* Past the JSON value at p (a value of a key the server does not read); NULL
 * if it is not one. */
static inline const char *caviar_jskip_(const char *p)
{
	int depth = 0;

	do {
		p = caviar_ws_(p);
		if (*p == '"') {
			p = caviar_jstr_end_(p);
		} else if (*p == '{' || *p == '[') {
			depth++;
			p++;
			continue;
		} else if (*p == '}' || *p == ']') {
			depth--;
			p++;
		} else if (*p) {
			const char *start = p;
			while (*p && !strchr(",:]} \t\r\n", *p))
				p++;
			if (p == start)
				return NULL;
		} else {
			return NULL;
		}
		while (p && depth > 0 && (*(p = caviar_ws_(p)) == ',' || *p == ':'))
			p++;
	} while (p && depth > 0);
	return depth == 0 ? p : NULL;
}

static inline void caviar_request_free_(struct caviar_request_ *r)
{
	for (int i = 0; i < r->n_env; i++)
		free(r->env[i]);
	free(r->env);
	free(r->cwd);
	memset(r, 0, sizeof *r);
}

/* Parses a request; 0, or -1 when it is not one (r is freed then). */
static inline int caviar_request_parse_(const char *p, struct caviar_request_ *r)
{
	char *key = NULL;

	memset(r, 0, sizeof *r);
	if (*(p = caviar_ws_(p)) != '{')
		return -1;
	for (p = caviar_ws_(p + 1); p && *(p = caviar_ws_(p)) == '"';) {
		char *end;

		if (!(p = caviar_jstr_(p, &key)) || *(p = caviar_ws_(p)) != ':')
			break;
		p = caviar_ws_(p + 1);
		if (strcmp(key, "trial") == 0 || strcmp(key, "memory_mb") == 0) {
			double v = strtod(p, &end);
			if (end == p)
				break;
			*(key[0] == 't' ? &r->trial : &r->memory_mb) = v;
			p = end;
		} else if (strcmp(key, "cwd") == 0 && *p == '"') {
			free(r->cwd);
			p = caviar_jstr_(p, &r->cwd);
		} else if (strcmp(key, "env") == 0 && *p == '[') {
			for (p = caviar_ws_(p + 1); p && *p == '"';) {
				char **env = (char **)realloc(r->env, (size_t)(r->n_env + 1) * sizeof *env);
				if (!env)
					break;
				r->env = env;
				if (!(p = caviar_jstr_(p, &r->env[r->n_env])))
					break;
				r->n_env++;
				if (*(p = caviar_ws_(p)) == ',')
					p = caviar_ws_(p + 1);
			}
			if (!p || *p != ']')
				break;
			p++;
		} else {
			p = caviar_jskip_(p);
		}
		free(key);
		key = NULL;
		if (p && *(p = caviar_ws_(p)) == ',')
			p++;
	}
	free(key);
	if (p && *caviar_ws_(p) == '}' && r->trial >= 1)
		return 0;
	caviar_request_free_(r);
	return -1;
}

/* Sends one message (printf-like; the text needs no JSON escapes); 0 or -1. */
static inline int caviar_send_(int fd, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof msg)
		return -1;
	return send(fd, msg, (size_t)n, MSG_NOSIGNAL) < 0 ? -1 : 0;
}

/* Sends msg with the three descriptors fds (SCM_RIGHTS); 0 or -1. */
static inline int caviar_send_fds_(int fd, const char *msg, size_t len, const int fds[3])
{
	union {
		char buf[CMSG_SPACE(3 * sizeof(int))];
		struct cmsghdr align;
	} control;
	struct iovec iov = {(void *)msg, len};
	struct msghdr mh;
	struct cmsghdr *cm;

	memset(&mh, 0, sizeof mh);
	memset(&control, 0, sizeof control);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = control.buf;
	mh.msg_controllen = sizeof control.buf;
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(3 * sizeof(int));
	memcpy(CMSG_DATA(cm), fds, 3 * sizeof(int));
	return sendmsg(fd, &mh, MSG_NOSIGNAL) < 0 ? -1 : 0;
}

/* One message into buf (NUL-terminated; at most CAVIAR_FORK_SERVER_MAX_MSG
 * bytes) with up to three descriptors at fds (close-on-exec; -1 past the
 * *n_fds that came). Its length, 0 at end of file, or -1 (errno). */
static inline ssize_t caviar_recv_fds_(int fd, char *buf, int fds[3], int *n_fds)
{
	union {
		char buf[CMSG_SPACE(3 * sizeof(int))];
		struct cmsghdr align;
	} control;
	struct iovec iov = {buf, CAVIAR_FORK_SERVER_MAX_MSG};
	struct msghdr mh;
	ssize_t got;

	memset(&mh, 0, sizeof mh);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = control.buf;
	mh.msg_controllen = sizeof control.buf;
	fds[0] = fds[1] = fds[2] = -1;
	*n_fds = 0;
	if ((got = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC)) < 0)
		return -1;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		size_t k = cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS
				   ? (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int) : 0;
		for (size_t i = 0; i < k; i++) {
			int f;
			memcpy(&f, (unsigned char *)CMSG_DATA(cm) + i * sizeof f, sizeof f);
			if (*n_fds < 3)
				fds[(*n_fds)++] = f;
			else
				close(f);
		}
	}
	buf[got] = '\0';
	return got;
}

static inline void caviar_close_fds_(int fds[3])
{
	for (int i = 0; i < 3; i++)
		if (fds[i] >= 0) {
			close(fds[i]);
			fds[i] = -1;
		}
}

/* The threads of this process (/proc/self/task); 1 when it cannot be read. */
static inline int caviar_threads_(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	if (!d)
		return 1;
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n > 0 ? n : 1;
}

/* Raises glibc's mmap and trim thresholds, inherited by every child: a
 * forked trial keeps the memory it frees for its next allocation instead of
 * giving it back and faulting it in again (sdk/caviar.py's
 * _keep_freed_memory says more). Not glibc: nothing. */
static inline void caviar_keep_freed_memory_(void)
{
#ifdef __GLIBC__
	mallopt(M_MMAP_THRESHOLD, 1 << 30);
	mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
}

/* A forked trial starts as a fresh program would: this header's state anew
 * and rand() seeded from the trial's seed. The signals stay as the program
 * set them before caviar_serve (caviar_init's handlers if main called it). */
static inline void caviar_trial_begins_(void)
{
	const char *seed = getenv("CAVIAR_SEED");

	caviar_stop_flag_ = 0;
	caviar_curve_ = NULL; /* the server's, if any: its buffer is not the trial's */
	caviar_n_values_ = 0;
	caviar_epoch_ = caviar_reports_ = caviar_asked_ = caviar_warned_ = 0;
	caviar_stdin_closed_ = 0;
	caviar_n_pending_ = 0;
	caviar_pending_[0] = '\0';
	srand((unsigned)strtoul(seed ? seed : "0", NULL, 10));
}

/* The trial's three descriptors become 0, 1 and 2 (each moved past 2 first,
 * so that none is overwritten before it is copied); 0 or -1. */
static inline int caviar_take_fds_(int fds[3])
{
	for (int i = 0; i < 3; i++)
		if (fds[i] < 3) {
			int moved = fcntl(fds[i], F_DUPFD_CLOEXEC, 3);
			if (moved < 0)
				return -1;
			close(fds[i]);
			fds[i] = moved;
		}
	for (int i = 0; i < 3; i++)
		if (dup2(fds[i], i) < 0)
			return -1;
	caviar_close_fds_(fds);
	return 0;
}

/* A spare trial process: caviard's child once its forking parent has
 * exited, then waits for its trial on conn and runs it. Never returns. */
static inline void caviar_spare_(struct caviar_server_ *s, int conn)
{
	const char *env = getenv("CAVIAR_PARENT_PID");
	pid_t parent = env ? (pid_t)atol(env) : 0;
	struct timespec nap = {0, 500000};
	struct caviar_request_ req;
	int fds[3], n_fds, rc;
	ssize_t got;

	setpgid(0, 0); /* before its pid is told: caviard signals the group */
	for (int i = 0; i < 20000 && getppid() != parent; i++)
		nanosleep(&nap, NULL); /* until the forking parent has exited */
#ifdef __linux__
	prctl(PR_SET_PDEATHSIG, SIGTERM); /* die with caviard */
#endif
	if (getppid() != parent) {
		fprintf(stderr, "caviar: a trial's process was not adopted by caviard (pid %ld)\n",
			(long)parent);
		_exit(70);
	}
	if (caviar_send_(conn, "{\"pid\": %ld}", (long)getpid()) < 0)
		_exit(0);
	do
		got = caviar_recv_fds_(conn, s->buf, fds, &n_fds);
	while (got < 0 && errno == EINTR);
	if (got <= 0 || n_fds != 3)
		_exit(0); /* the server is gone, or sent no trial: nothing to run */
	close(conn);
	if (caviar_request_parse_(s->buf, &req) < 0) {
		fprintf(stderr, "caviar: a fork server's request is not one: %.200s\n", s->buf);
		_exit(1);
	}
	if (caviar_take_fds_(fds) < 0) {
		fprintf(stderr, "caviar: the trial's descriptors: %s\n", strerror(errno));
		_exit(1);
	}
	unsetenv(CAVIAR_FORK_SERVER_ENV);
	for (int i = 0; i < req.n_env; i++) {
		char *eq = strchr(req.env[i], '=');
		if (eq)
			*eq = '\0';
		setenv(req.env[i], eq ? eq + 1 : "", 1);
	}
	if (!req.cwd || chdir(req.cwd) != 0) {
		fprintf(stderr, "caviar: cannot move to the trial's directory %s: %s\n",
			req.cwd ? req.cwd : "(none)", req.cwd ? strerror(errno) : "not sent");
		_exit(1);
	}
	if (req.memory_mb > 0) {
		struct rlimit lim;
		lim.rlim_cur = lim.rlim_max = (rlim_t)req.memory_mb << 20;
		if (setrlimit(RLIMIT_AS, &lim) != 0) {
			fprintf(stderr, "caviar: setrlimit: %s\n", strerror(errno));
			_exit(1);
		}
	}
	caviar_request_free_(&req);
	free(s->buf);
	s->buf = NULL;
	caviar_trial_begins_();
	rc = s->train(s->ctx);
	fflush(stdout);
	fflush(stderr);
	if (caviar_curve_)
		fflush(caviar_curve_);
	_exit(rc); /* not exit(): the server's atexit handlers and streams are not the trial's */
}

/* Starts one more spare; 0, or -1 when fork failed. The child forks the
 * spare and exits, so the spare is an orphan that caviard (a child
 * subreaper) adopts. */
static inline int caviar_fork_spare_(struct caviar_server_ *s)
{
	int sv[2];
	pid_t pid;

	if (s->n_forking == CAVIAR_MAX_FORKING) { /* each exits at once: wait for the oldest */
		waitpid(s->forking[0], NULL, 0);
		memmove(s->forking, s->forking + 1, (size_t)--s->n_forking * sizeof *s->forking);
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) < 0) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		pid_t spare;

		close(sv[0]);
		if ((spare = fork()) == 0) {
			/* the spare keeps its own socket only: one it kept of another
			 * spare would hide the server's end from that one */
			close(s->sock);
			for (int i = 0; i < s->n_coming; i++)
				close(s->coming[i]);
			for (int i = 0; i < s->n_ready; i++)
				close(s->ready[i]);
			caviar_close_fds_(s->held); /* another trial's pipes */
			caviar_spare_(s, sv[1]);
		}
		_exit(spare < 0 ? 1 : 0);
	}
	close(sv[1]);
	s->coming[s->n_coming++] = sv[0];
	s->forking[s->n_forking++] = pid;
	return 0;
}

/* A coming spare's first message: its pid, or nothing if it died. */
static inline void caviar_hear_(struct caviar_server_ *s, int conn)
{
	char said[64];
	ssize_t got;
	long pid = 0;

	for (int i = 0; i < s->n_coming; i++)
		if (s->coming[i] == conn) {
			s->coming[i] = s->coming[--s->n_coming];
			break;
		}
	do
		got = recv(conn, said, sizeof said - 1, 0);
	while (got < 0 && errno == EINTR);
	said[got > 0 ? got : 0] = '\0';
	if (sscanf(said, "{\"pid\": %ld}", &pid) == 1 && pid > 1) {
		s->ready[s->n_ready] = conn;
		s->ready_pid[s->n_ready++] = (pid_t)pid;
	} else {
		close(conn);
	}
}

/* Reaps the forking children that have exited (by pid: a child that setup
 * started is the program's to wait for). */
static inline void caviar_reap_(struct caviar_server_ *s)
{
	for (int i = 0; i < s->n_forking;) {
		pid_t got = waitpid(s->forking[i], NULL, WNOHANG);
		if (got == s->forking[i] || (got < 0 && errno == ECHILD))
			s->forking[i] = s->forking[--s->n_forking];
		else
			i++;
	}
}

/* Returns once caviard has sent something, forking spares meanwhile. */
static inline void caviar_until_asked_(struct caviar_server_ *s)
{
	for (;;) {
		struct pollfd pfd[CAVIAR_SPARES + 2];
		int conns[CAVIAR_SPARES + 1], n = 0, asked;

		caviar_reap_(s);
		memset(pfd, 0, sizeof pfd); /* no compound literal: C++ includes this too */
		pfd[0].fd = s->sock;
		pfd[0].events = POLLIN;
		if (s->n_ready + s->n_coming < CAVIAR_SPARES) {
			if (poll(pfd, 1, 0) > 0)
				return;
			if (caviar_fork_spare_(s) == 0)
				continue;
		}
		for (int i = 0; i < s->n_coming; i++) {
			pfd[i + 1].fd = s->coming[i];
			pfd[i + 1].events = POLLIN;
		}
		if (poll(pfd, (nfds_t)s->n_coming + 1, -1) < 0)
			continue; /* EINTR */
		asked = pfd[0].revents != 0;
		for (int i = 0; i < s->n_coming; i++)
			if (pfd[i + 1].revents)
				conns[n++] = s->coming[i];
		for (int i = 0; i < n; i++)
			caviar_hear_(s, conns[i]);
		if (asked)
			return;
	}
}

/* A spare's socket, waiting for one if none is ready (its pid at *pid); -1
 * if none can be made. */
static inline int caviar_take_(struct caviar_server_ *s, pid_t *pid)
{
	int conn;

	if (!s->n_ready && !s->n_coming)
		caviar_fork_spare_(s);
	while (!s->n_ready && s->n_coming)
		caviar_hear_(s, s->coming[0]);
	if (!s->n_ready)
		return -1;
	conn = s->ready[0];
	*pid = s->ready_pid[0];
	s->n_ready--;
	memmove(s->ready, s->ready + 1, (size_t)s->n_ready * sizeof *s->ready);
	memmove(s->ready_pid, s->ready_pid + 1, (size_t)s->n_ready * sizeof *s->ready_pid);
	return conn;
}

/* Hands the request (len bytes in s->buf) to a spare and says it started,
 * or says why not; the descriptors are closed either way. */
static inline void caviar_start_trial_(struct caviar_server_ *s, size_t len, double trial,
				       int fds[3], int n_fds)
{
	memcpy(s->held, fds, sizeof s->held);
	if (n_fds != 3) {
		caviar_send_(s->sock, "{\"failed\": %.0f, \"error\": \"the request came with %d "
			     "descriptors, not 3\"}", trial, n_fds);
		caviar_close_fds_(s->held);
		return;
	}
	for (int i = 0; i < CAVIAR_SPARES + 1; i++) {
		pid_t pid;
		int conn = caviar_take_(s, &pid), rc;

		if (conn < 0)
			break;
		rc = caviar_send_fds_(conn, s->buf, len, s->held);
		close(conn);
		if (rc < 0)
			continue; /* that spare died before its trial came: the next */
		caviar_send_(s->sock, "{\"started\": %.0f, \"pid\": %ld}", trial, (long)pid);
		caviar_close_fds_(s->held);
		return;
	}
	caviar_send_(s->sock, "{\"failed\": %.0f, \"error\": \"fork: the trial's process could "
		     "not be made\"}", trial);
	caviar_close_fds_(s->held);
}

/* Serves caviard's requests on stdin (a socket) until it closes it. */
static inline int caviar_serve_forever_(int (*setup)(void *ctx), int (*train)(void *ctx),
					void *ctx)
{
	struct caviar_server_ s;
	int devnull, threads, rc = 0;

	memset(&s, 0, sizeof s);
	s.train = train;
	s.ctx = ctx;
	s.held[0] = s.held[1] = s.held[2] = -1;
	if ((s.sock = fcntl(0, F_DUPFD_CLOEXEC, 3)) < 0 ||
	    (s.buf = (char *)malloc(CAVIAR_FORK_SERVER_MAX_MSG + 1)) == NULL) {
		fprintf(stderr, "caviar: fork server: %s\n", strerror(errno));
		return 1;
	}
	if ((devnull = open("/dev/null", O_RDONLY)) >= 0) {
		dup2(devnull, 0); /* the socket is not for what setup reads */
		if (devnull != 0)
			close(devnull);
	}
	if (setup && (rc = setup(ctx)) != 0) {
		caviar_send_(s.sock, "{\"error\": \"setup failed: it returned %d\"}", rc);
	} else if ((threads = caviar_threads_()) > 1) {
		caviar_send_(s.sock, "{\"error\": \"setup left %d threads running; a fork server "
			     "must fork with one (start threads in train, not in setup; OpenBLAS "
			     "and OpenMP start theirs at their first call: make it in train, or "
			     "set OPENBLAS_NUM_THREADS=1 and OMP_NUM_THREADS=1)\"}", threads);
		rc = 1;
	} else {
		caviar_keep_freed_memory_();
		caviar_send_(s.sock, "{\"ready\": true, \"pid\": %ld}", (long)getpid());
		signal(SIGCHLD, SIG_DFL); /* waitpid needs the children it forks */
	}
	while (rc == 0) {
		struct caviar_request_ req;
		int fds[3], n_fds;
		ssize_t got;

		caviar_until_asked_(&s);
		got = caviar_recv_fds_(s.sock, s.buf, fds, &n_fds);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			caviar_close_fds_(fds);
			if (got < 0)
				fprintf(stderr, "caviar: fork server: %s\n", strerror(errno));
			rc = got < 0;
			break; /* 0: caviard closed the socket, the sweep is over */
		}
		if (caviar_request_parse_(s.buf, &req) < 0) {
			fprintf(stderr, "caviar: fork server: not a request: %.200s\n", s.buf);
			caviar_close_fds_(fds);
			rc = 1;
			break;
		}
		caviar_start_trial_(&s, (size_t)got, req.trial, fds, n_fds);
		caviar_request_free_(&req);
	}
	for (int i = 0; i < s.n_ready; i++)
		close(s.ready[i]); /* the spares see their socket close and exit */
	for (int i = 0; i < s.n_coming; i++)
		close(s.coming[i]);
	close(s.sock);
	free(s.buf);
	return rc;
}

/* Runs trials of train(ctx) after setup(ctx) (setup may be NULL) and
 * returns the exit status, for `return caviar_serve(setup, train, &data);`
 * in main. Run as one trial (the default, or outside caviar) it calls setup,
 * then train once: setup's status if it is not 0, else train's. In a sweep
 * with "fork_server": true caviard starts the program once: setup runs
 * once, then every trial is a process forked from it, which inherits what
 * setup made copy-on-write and runs train as its own program (its own pid
 * and process group, stdin, stdout and stderr, environment, directory and
 * memory limit). A trial's process ends with _exit(train's status) once
 * stdout and stderr are flushed: atexit handlers are the server's, not run,
 * so close the files train writes. setup must not start threads: fork
 * copies only the calling thread (the server refuses to serve if more than
 * one runs). */
static inline int caviar_serve(int (*setup)(void *ctx), int (*train)(void *ctx), void *ctx)
{
	const char *env = getenv(CAVIAR_FORK_SERVER_ENV);
	int rc;

	if (!env || strcmp(env, "1") != 0) {
		rc = setup ? setup(ctx) : 0;
		return rc != 0 ? rc : train(ctx);
	}
	return caviar_serve_forever_(setup, train, ctx);
}

#endif
