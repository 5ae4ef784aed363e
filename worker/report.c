/* report: JSON lines from the worker to the daemon (see report.h). */
#include "report.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errbuf.h"
#include "exitcodes.h"
#include "xalloc.h"

cJSON *report_record(int epoch, long step)
{
	cJSON *rec = cJSON_CreateObject();

	cJSON_AddNumberToObject(rec, "epoch", epoch);
	if (step >= 0)
		cJSON_AddNumberToObject(rec, "step", (double)step);
	return rec;
}

cJSON *report_event(const char *name, int epoch)
{
	cJSON *rec = cJSON_CreateObject();

	cJSON_AddStringToObject(rec, "event", name);
	cJSON_AddNumberToObject(rec, "epoch", epoch);
	return rec;
}

void report_add(cJSON *rec, const char *name, double value)
{
	if (isfinite(value))
		cJSON_AddNumberToObject(rec, name, value);
	else
		cJSON_AddStringToObject(rec, name, isnan(value) ? "nan" : value > 0 ? "inf" : "-inf");
}

static void log_append(struct report_log *log, const char *line, size_t n)
{
	if (log->len + n + 1 > log->cap) {
		log->cap = log->cap ? 2 * log->cap : 4096;
		while (log->cap < log->len + n + 1)
			log->cap *= 2;
		log->text = xrealloc(log->text, log->cap);
	}
	memcpy(log->text + log->len, line, n);
	log->len += n;
	log->text[log->len++] = '\n';
}

static void emit_text(const char *text)
{
	fputs(text, stdout);
	fputc('\n', stdout);
	fflush(stdout);
}

void report_emit_logged(struct report_log *log, cJSON *rec)
{
	char *text = cJSON_PrintUnformatted(rec);

	if (text) {
		emit_text(text);
		if (log)
			log_append(log, text, strlen(text));
		free(text);
	}
	cJSON_Delete(rec);
}

void report_emit(cJSON *rec)
{
	report_emit_logged(NULL, rec);
}

void report_log_finish(struct report_log *log)
{
	free(log->text);
	memset(log, 0, sizeof *log);
}

static int curve_path(char *buf, size_t n, const char *checkpoint, char *err, size_t errlen)
{
	int len = snprintf(buf, n, "%s.curve", checkpoint);

	if (len < 0 || (size_t)len >= n)
		return err_set(err, errlen, "checkpoint %s: path too long", checkpoint), WORKER_EXIT_IO;
	return 0;
}

int report_log_save(const struct report_log *log, const char *checkpoint, char *err,
		    size_t errlen)
{
	char path[4096], tmp[4200];
	FILE *f;
	int ok;

	if (curve_path(path, sizeof path, checkpoint, err, errlen))
		return WORKER_EXIT_IO;
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f) {
		err_set(err, errlen, "%s: %s", tmp, strerror(errno));
		return WORKER_EXIT_IO;
	}
	ok = fwrite(log->text ? log->text : "", 1, log->len, f) == log->len;
	ok = (fflush(f) == 0) & ok & (fsync(fileno(f)) == 0);
	ok = (fclose(f) == 0) & ok;
	if (!ok || rename(tmp, path) < 0) {
		err_set(err, errlen, "%s: %s", path, strerror(errno ? errno : EIO));
		unlink(tmp);
		return WORKER_EXIT_IO;
	}
	return 0;
}

/* The epoch of a logged line (-1 when it has none). */
static int line_epoch(const char *line, size_t n)
{
	cJSON *j = cJSON_ParseWithLength(line, n);
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "epoch");
	int epoch = cJSON_IsNumber(e) ? e->valueint : -1;

	cJSON_Delete(j);
	return epoch;
}

int report_log_replay(struct report_log *log, const char *checkpoint, int upto, char *err,
		      size_t errlen)
{
	char path[4096], *line = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *f;

	if (curve_path(path, sizeof path, checkpoint, err, errlen))
		return WORKER_EXIT_IO;
	f = fopen(path, "r");
	if (!f)
		return errno == ENOENT ? 0 : (err_set(err, errlen, "%s: %s", path, strerror(errno)),
					     WORKER_EXIT_IO);
	while ((n = getline(&line, &cap, f)) > 0) {
		if (line[n - 1] == '\n')
			line[--n] = '\0';
		if (n == 0 || line_epoch(line, (size_t)n) > upto)
			continue;
		emit_text(line);
		log_append(log, line, (size_t)n);
	}
	free(line);
	fclose(f);
	return 0;
}
