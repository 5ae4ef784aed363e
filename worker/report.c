/* report: JSON lines from the worker to the daemon (see report.h). */
#include "report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

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

void report_emit(cJSON *rec)
{
	char *text = cJSON_PrintUnformatted(rec);

	if (text) {
		fputs(text, stdout);
		fputc('\n', stdout);
		fflush(stdout);
		free(text);
	}
	cJSON_Delete(rec);
}
