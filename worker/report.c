/* report: JSON lines from the worker to the daemon (see report.h and
 * common/worker_proto.h). */
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

	cJSON_AddNumberToObject(rec, WORKER_PROTO_EPOCH, epoch);
	if (step >= 0)
		cJSON_AddNumberToObject(rec, WORKER_PROTO_STEP, (double)step);
	return rec;
}

cJSON *report_event(const char *name, int epoch)
{
	cJSON *rec = cJSON_CreateObject();

	cJSON_AddStringToObject(rec, WORKER_PROTO_EVENT, name);
	cJSON_AddNumberToObject(rec, WORKER_PROTO_EPOCH, epoch);
	return rec;
}

void report_add(cJSON *rec, const char *name, double value)
{
	if (isfinite(value))
		cJSON_AddNumberToObject(rec, name, value);
	else
		cJSON_AddStringToObject(rec, name, worker_proto_nonfinite(value));
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
		if (log && log->f) {
			fputs(text, log->f);
			fputc('\n', log->f);
		}
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
	if (log->f)
		fclose(log->f);
	log->f = NULL;
}

int report_log_save(struct report_log *log, int durable, char *err, size_t errlen)
{
	if (!log->f)
		return 0;
	if (fflush(log->f) != 0 || (durable && fdatasync(fileno(log->f)) != 0)) {
		err_set(err, errlen, "curve log: %s", strerror(errno));
		return WORKER_EXIT_IO;
	}
	return 0;
}

/* The epoch of a logged line (-1 when it has none). */
static int line_epoch(const char *line, size_t n)
{
	cJSON *j = cJSON_ParseWithLength(line, n);
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, WORKER_PROTO_EPOCH);
	int epoch = cJSON_IsNumber(e) ? e->valueint : -1;

	cJSON_Delete(j);
	return epoch;
}

/* Prints the lines of in up to epoch `upto` again and copies them to out. */
static void replay(FILE *in, FILE *out, int upto)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	while ((n = getline(&line, &cap, in)) > 0) {
		if (line[n - 1] == '\n')
			line[--n] = '\0';
		if (n == 0 || line_epoch(line, (size_t)n) > upto)
			continue;
		emit_text(line);
		fprintf(out, "%s\n", line);
	}
	free(line);
}

int report_log_open(struct report_log *log, const char *checkpoint, int upto, char *err,
		    size_t errlen)
{
	char path[4096], tmp[4200];
	FILE *in;

	log->f = NULL;
	if (snprintf(path, sizeof path, "%s.curve", checkpoint) >= (int)sizeof path)
		return err_set(err, errlen, "checkpoint %s: path too long", checkpoint),
		       WORKER_EXIT_IO;
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	log->f = fopen(tmp, "w");
	if (!log->f)
		return err_set(err, errlen, "%s: %s", tmp, strerror(errno)), WORKER_EXIT_IO;
	if (upto >= 0 && (in = fopen(path, "r"))) {
		replay(in, log->f, upto);
		fclose(in);
	}
	if (fflush(log->f) != 0 || rename(tmp, path) < 0) {
		err_set(err, errlen, "%s: %s", path, strerror(errno));
		report_log_finish(log);
		unlink(tmp); /* a disk full here would leave it half-written */
		return WORKER_EXIT_IO;
	}
	return 0;
}
