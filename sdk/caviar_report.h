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
 * The lines follow caviar's worker line protocol, defined in
 * common/worker_proto.h of caviar's source; this header speaks version
 * CAVIAR_REPORT_PROTOCOL_VERSION of it. */
#ifndef CAVIAR_REPORT_HEADER_H
#define CAVIAR_REPORT_HEADER_H

#include <dirent.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

#endif
