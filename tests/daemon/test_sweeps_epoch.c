/* test_sweeps_epoch: sweeps.c's decision at a member's epoch. Search pbt
 * replaces a bottom member by a fork of a top one, as common/pbt's rule
 * decides with the seed of that member and epoch; it keeps the member off
 * its interval, at its last epoch, at an epoch a resume printed again, once
 * the sweep is paused or its budget spent; stopping members and ones with
 * no value yet are no one to compare with; other searches always keep. */
#include <math.h>

#include <stdlib.h>

#include "errbuf.h"
#include "pbt.h"
#include "sweeps.h"
#include "test.h"

static const char pbt_spec[] =
	"{\"search\": \"pbt\", \"trials\": 12, \"seed\": 3, \"task\": \"drift\","
	" \"objective\": {\"metric\": \"val_loss\", \"mode\": \"min\"},"
	" \"pbt\": {\"population\": 4, \"interval\": 2},"
	" \"params\": {\"lr\": {\"log\": [1e-4, 1]}}}";

static const struct sweeps s = {.epoch_max = 100000};
static cJSON *params[4];
static struct sweeps_member members[4];

static void make(struct sweep *sw, const char *text)
{
	char err[ERRBUF_LEN] = "";

	memset(sw, 0, sizeof *sw);
	if (spec_parse_text(&sw->spec, text, strlen(text), err, sizeof err) != 0) {
		fprintf(stderr, "spec rejected: %s\n", err);
		exit(1);
	}
	sw->budget = 12;
	sw->next_number = 4;
	/* four members at epoch 2 of 10; minimized val_loss: 3 is worst, 0 best */
	for (int i = 0; i < 4; i++) {
		char p[64];

		snprintf(p, sizeof p, "{\"lr\": %g}", 0.001 * (i + 1));
		params[i] = cJSON_Parse(p);
		members[i] = (struct sweeps_member){.trial = 10 + i, .value_at = 0.1 * (i + 1),
						    .latest = 0.1 * (i + 1), .params = params[i],
						    .epochs_total = 10};
	}
}

static void done(struct sweep *sw)
{
	spec_finish(&sw->spec);
	for (int i = 0; i < 4; i++)
		cJSON_Delete(params[i]);
}

/* The decision is common/pbt's, drawn with the member's and epoch's seed. */
static void test_replace(void)
{
	struct sweep sw;
	struct sweeps_replace rep = {0};
	struct pbt_member pop[4];
	struct pbt_exploit ex = {0};
	struct rng r;
	char *got, *want;

	make(&sw, pbt_spec);
	CHECK(sweeps_epoch(&s, &sw, members, 4, 3, 2, &rep) == SWEEPS_REPLACE);
	CHECK(rep.source == 0);
	for (int i = 0; i < 4; i++)
		pop[i] = (struct pbt_member){members[i].trial, members[i].value_at, params[i]};
	pbt_rng(&sw.spec, 13ULL * 100000 + 2, &r);
	CHECK(pbt_decide_member(&sw.spec, pop, 4, 3, &r, &ex) == 1);
	got = cJSON_PrintUnformatted(rep.params);
	want = cJSON_PrintUnformatted(ex.params);
	CHECK_STR(got, want);
	free(got);
	free(want);
	/* the changes are [source's value, explored value] pairs */
	CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(rep.changes, "lr")) == 2);
	CHECK(cJSON_GetNumberValue(cJSON_GetArrayItem(cJSON_GetObjectItem(rep.changes, "lr"),
						      0)) == 0.001);
	pbt_exploit_finish(&ex);
	sweeps_replace_finish(&rep);
	CHECK(sweeps_epoch(&s, &sw, members, 4, 0, 2, &rep) == SWEEPS_KEEP); /* the best */
	CHECK(rep.params == NULL);
	done(&sw);
}

static void test_keep(void)
{
	struct sweep sw;
	struct sweeps_replace rep = {0};

	make(&sw, pbt_spec);
	CHECK(sweeps_epoch(&s, &sw, members, 4, 3, 3, &rep) == SWEEPS_KEEP);  /* off interval */
	members[3].epochs_total = 2;
	CHECK(sweeps_epoch(&s, &sw, members, 4, 3, 2, &rep) == SWEEPS_KEEP);  /* its last */
	members[3].epochs_total = 10;
	members[3].resumed_from = 2;
	CHECK(sweeps_epoch(&s, &sw, members, 4, 3, 2, &rep) == SWEEPS_KEEP);  /* printed again */
	members[3].resumed_from = 0;
	members[3].stopping = 1;
	CHECK(sweeps_epoch(&s, &sw, members, 4, 3, 2, &rep) == SWEEPS_KEEP);  /* stopping */
	members[3].stopping = 0;
	sw.paused = 1;
	CHECK(sweeps_epoch(&s, &sw, members, 4, 3, 2, &rep) == SWEEPS_KEEP);
	sw.paused = 0;
	sw.next_number = sw.budget; /* no trial of the budget left */
	CHECK(sweeps_epoch(&s, &sw, members, 4, 3, 2, &rep) == SWEEPS_KEEP);
	sw.next_number = 4;
	/* alone: the others stop or have no value yet */
	members[0].stopping = members[1].stopping = 1;
	members[2].value_at = members[2].latest = NAN;
	CHECK(sweeps_epoch(&s, &sw, members, 4, 3, 2, &rep) == SWEEPS_KEEP);
	/* one not at this epoch yet is compared at its latest */
	members[2].latest = 0.01;
	CHECK(sweeps_epoch(&s, &sw, members, 4, 3, 2, &rep) == SWEEPS_REPLACE);
	CHECK(rep.source == 2);
	sweeps_replace_finish(&rep);
	done(&sw);

	make(&sw, "{\"search\": \"random\", \"trials\": 4, \"params\": {\"lr\": {\"log\": [1e-4, 1]}}}");
	CHECK(sweeps_epoch(&s, &sw, members, 4, 3, 2, &rep) == SWEEPS_KEEP);
	done(&sw);
}

int main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		{"replace", test_replace}, {"keep", test_keep}, {0}};

	return test_main(argc, argv, cases);
}
