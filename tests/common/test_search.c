/* test_search: the table of search strategies: every row is complete and
 * consistent, names and keys are unique, a name is found and an unknown one
 * refused with the list of the known ones, and each row's rules do what the
 * spec, the sampler and the sweeps ask of them. */
#include "sample.h"
#include "search.h"
#include "spec.h"
#include "test.h"

static int parse(struct spec *s, const char *text, char *err)
{
	return spec_parse_text(s, text, strlen(text), err, 512);
}

/* Whether key is one of the spec's top-level keys. */
static int top_key(const char *key)
{
	const char *const *k = spec_top_keys();

	while (*k && strcmp(*k, key) != 0)
		k++;
	return *k != NULL;
}

static void test_rows(void)
{
	const struct search_ops *o;
	int n = 0;

	for (int i = 0; (o = search_ops((enum spec_search)i)); i++, n++) {
		CHECK(o->name && o->name[0]);
		CHECK_STR(spec_search_name((enum spec_search)i), o->name);
		CHECK(o->budget != NULL && o->sample != NULL);
		CHECK(!o->missing || (o->keys && o->keys[0])); /* names the key it needs */
		CHECK(!o->options || (o->keys && o->keys[0])); /* its options object */
		CHECK(!o->rounds || o->narrow);                /* a round after the first narrows */
		CHECK(!o->propose || o->ahead);                /* else it never proposes */
		for (int k = 0; o->keys && o->keys[k]; k++)
			CHECK(top_key(o->keys[k]));
		for (int j = 0; j < i; j++) {
			const struct search_ops *p = search_ops((enum spec_search)j);

			CHECK(strcmp(p->name, o->name) != 0);
			for (int a = 0; o->keys && o->keys[a]; a++)
				for (int b = 0; p->keys && p->keys[b]; b++)
					CHECK(strcmp(o->keys[a], p->keys[b]) != 0);
		}
	}
	CHECK(n == 7);
	CHECK(search_ops(SEARCH_RANDOM) == &search_random);
	CHECK(search_ops(SEARCH_PBT) == &search_pbt);
	CHECK(spec_search_name((enum spec_search)n) == NULL);
}

static void test_find(void)
{
	const char *known = "expected \"random\", \"grid\", \"sobol\", \"coarse_to_fine\", \"tpe\", "
			    "\"pbt\" or \"nsga2\"";
	enum spec_search id = SEARCH_RANDOM;
	struct spec s;
	char err[512];

	for (int i = 0; search_ops((enum spec_search)i); i++) {
		CHECK(search_find(search_ops((enum spec_search)i)->name, &id, err, sizeof err) == 0);
		CHECK((int)id == i);
	}
	CHECK(search_find("bayes", &id, err, sizeof err) == -1);
	CHECK_STR(err, known);
	CHECK(search_find(NULL, &id, err, sizeof err) == -1);
	CHECK_STR(err, known);
	/* the spec's error is the table's, under its path */
	CHECK(parse(&s, "{\"search\": \"bayes\", \"params\": {}}", err) == -1);
	CHECK(strncmp(err, "search: ", 8) == 0 && strcmp(err + 8, known) == 0);
	spec_finish(&s);
	CHECK(parse(&s, "{\"search\": 3}", err) == -1);
	CHECK(strncmp(err, "search: ", 8) == 0 && strcmp(err + 8, known) == 0);
	spec_finish(&s);
	CHECK(parse(&s, "{\"search\": \"tpe\", \"params\": {}}", err) == 0);
	CHECK(search_of(&s) == &search_tpe);
	spec_finish(&s);
}

/* A row's keys belong to it alone; pbt cannot do without "pbt". */
static void test_keys(void)
{
	struct spec s;
	char err[512];

	CHECK(parse(&s, "{\"points\": 3, \"params\": {}}", err) == -1);
	CHECK_STR(err, "points: only for search \"grid\" (this is \"random\")");
	CHECK(parse(&s, "{\"search\": \"grid\", \"shrink\": 0.5, \"params\": {}}", err) == -1);
	CHECK_STR(err, "shrink: only for search \"coarse_to_fine\" (this is \"grid\")");
	CHECK(parse(&s, "{\"search\": \"sobol\", \"pbt\": {}, \"params\": {}}", err) == -1);
	CHECK_STR(err, "pbt: only for search \"pbt\" (this is \"sobol\")");
	CHECK(parse(&s, "{\"search\": \"pbt\", \"params\": {}}", err) == -1);
	CHECK_STR(err, search_pbt.missing);
	CHECK(parse(&s, "{\"search\": \"grid\", \"points\": 3, \"params\": {}}", err) == 0);
	spec_finish(&s);
}

/* The rows' rules, as spec_parse, sample_check_grid and the sweeps use them. */
static void test_rules(void)
{
	const char *lr = "\"params\": {\"lr\": {\"log\": [1e-4, 1]}}";
	struct spec s;
	char err[512], text[1024], buf[512];
	cJSON *json;

	snprintf(buf, sizeof buf, "{\"search\": \"coarse_to_fine\", \"rounds\": 30, %s}", lr);
	CHECK(parse(&s, buf, err) == 0);
	CHECK(s.trials == 30 && sample_rounds(&s) == 30 && sample_round_size(&s, 0) == 1);
	CHECK(search_of(&s)->round_end(&s, 1, 0, 40) == sample_round_end(&s, 1));
	CHECK(sample_round_end(&s, 1) == 2);
	CHECK(search_of(&s)->round_end(&s, 30, 0, 40) == 40); /* a round `extend` added */
	spec_finish(&s);

	snprintf(buf, sizeof buf, "{\"search\": \"grid\", \"points\": 4, %s}", lr);
	CHECK(parse(&s, buf, err) == 0);
	CHECK(s.trials == 0 && sample_check_grid(&s, err, sizeof err) == 0 && s.trials == 4);
	CHECK(search_of(&s)->max_trials(&s) == 4);
	spec_finish(&s);

	snprintf(buf, sizeof buf, "{\"search\": \"tpe\", \"trials\": 30, \"tpe\": {\"startup\": 5}, "
		 "%s}", lr);
	CHECK(parse(&s, buf, err) == 0);
	CHECK(search_of(&s)->ahead(&s, 0, 30) == 5 && search_of(&s)->ahead(&s, 7, 30) == 7);
	CHECK(search_of(&s)->ahead(&s, 0, 3) == 3);
	spec_finish(&s);
	CHECK(parse(&s, "{\"search\": \"tpe\", \"tpe\": {\"gamma\": 1}}", err) == -1);
	CHECK_STR(err, "tpe.gamma: expected a number in (0, 1)");
	CHECK(parse(&s, "{\"search\": \"tpe\", \"tpe\": {\"hypervolume_weight\": 1}}", err) == 0);
	CHECK(s.tpe.hypervolume_weight == 1);
	spec_finish(&s);
	CHECK(parse(&s, "{\"search\": \"tpe\", \"tpe\": {\"hypervolume_weight\": 1.5}}", err) == -1);
	CHECK_STR(err, "tpe.hypervolume_weight: expected a number in [0, 1]");
	CHECK(parse(&s, "{\"search\": \"tpe\", \"tpe\": {\"hypervolume_weight\": \"all\"}}", err) == -1);
	CHECK_STR(err, "tpe.hypervolume_weight: expected a number in [0, 1]");

	snprintf(buf, sizeof buf, "{\"search\": \"pbt\", \"trials\": 9, \"pbt\": {\"population\": "
		 "4, \"interval\": 2}, %s}", lr);
	CHECK(parse(&s, buf, err) == 0);
	CHECK(search_of(&s)->forks && sample_round_size(&s, 0) == 4);
	CHECK(search_of(&s)->round_end(&s, 0, 0, 9) == 4 &&
	      search_of(&s)->round_end(&s, 0, 6, 9) == 6);
	json = cJSON_CreateObject();
	search_describe(&s, json, text, sizeof text);
	CHECK(cJSON_GetObjectItem(json, "population")->valueint == 4);
	CHECK_CONTAINS(text, "pbt search over 1 parameter, population 4, a decision every 2 "
		       "epochs, 9 trials, objective max val_acc\n  explores lr;");
	cJSON_Delete(json);
	spec_finish(&s);

	/* every row's defaults, whatever the search; tpe's and pbt's seeds the sweep's */
	snprintf(buf, sizeof buf, "{\"seed\": 9, %s}", lr);
	CHECK(parse(&s, buf, err) == 0);
	CHECK(s.trials == 20 && !search_of(&s)->propose && !search_of(&s)->forks);
	CHECK(s.points == 5 && s.rounds == 3 && s.keep == 0.25 && s.shrink == 0.5);
	CHECK(s.tpe.startup == 10 && s.tpe.candidates == 24 && s.tpe.seed == 9);
	CHECK(s.tpe.hypervolume_weight == 0.5);
	CHECK(s.pbt.quantile == 0.25 && s.pbt.perturb[1] == 1.2 && s.pbt.seed == 9);
	json = cJSON_CreateObject();
	search_describe(&s, json, text, sizeof text);
	CHECK_STR(text, "20 trials, random search over 1 parameter, objective max val_acc");
	CHECK(json->child == NULL);
	cJSON_Delete(json);
	spec_finish(&s);
}

int main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		{"rows", test_rows},
		{"find", test_find},
		{"keys", test_keys},
		{"rules", test_rules},
		{0},
	};
	return test_main(argc, argv, cases);
}
