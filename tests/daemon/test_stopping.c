/* test_stopping: the median and ASHA rules decide as documented. */
#include "stopping.h"
#include "test.h"

static struct stopping make(enum early_stop_kind kind, int maximize, int warmup, int min_trials)
{
	struct spec spec = {0};
	struct stopping s;

	spec.early_stop = kind;
	spec.objective_max = maximize;
	spec.es_warmup = warmup;
	spec.es_min_epochs = 1;
	spec.es_eta = 3;
	spec.es_min_trials = min_trials;
	stopping_init(&s, &spec);
	return s;
}

static int report(struct stopping *s, int number, int epoch, double value)
{
	char reason[256];

	return stopping_report(s, number, epoch, 0, value, reason, sizeof reason);
}

static void test_none(void)
{
	struct stopping s = make(EARLY_STOP_NONE, 1, 0, 1);

	for (int i = 0; i < 10; i++)
		CHECK(report(&s, i, 1, i) == 0);
	stopping_finish(&s);
}

static void test_median(void)
{
	struct stopping s = make(EARLY_STOP_MEDIAN, 1, 1, 3);
	char reason[256];

	/* Three trials with accuracies 0.5, 0.6, 0.7 over 3 epochs. */
	for (int e = 1; e <= 3; e++)
		for (int i = 0; i < 3; i++)
			CHECK(report(&s, i, e, 0.5 + 0.1 * i) == 0); /* fewer than 3 others */
	CHECK(report(&s, 3, 1, 0.1) == 0);                   /* epoch 1 is the warmup */
	CHECK(report(&s, 4, 1, 0.9) == 0);
	CHECK(report(&s, 4, 2, 0.9) == 0);                   /* better than the median */
	CHECK(stopping_report(&s, 3, 2, 0, 0.2, reason, sizeof reason) == 1);
	CHECK_CONTAINS(reason, "pruned at epoch 2");
	CHECK_CONTAINS(reason, "median 0.65"); /* of 0.5, 0.6, 0.7, 0.9 (trial 4's average) */
	/* Its best so far counts, not its last value: a bad epoch after a good one survives. */
	CHECK(report(&s, 5, 1, 0.8) == 0);
	CHECK(report(&s, 5, 2, 0.3) == 0);
	stopping_finish(&s);
}

static void test_median_minimize(void)
{
	struct stopping s = make(EARLY_STOP_MEDIAN, 0, 0, 1);

	CHECK(report(&s, 0, 1, 1.0) == 0);
	CHECK(report(&s, 1, 1, 2.0) == 1); /* a loss above the other's average */
	CHECK(report(&s, 2, 1, 0.5) == 0);
	CHECK(stopping_report(&s, 3, 1, 1, 9.0, NULL, 0) == 0); /* its last epoch */
	stopping_finish(&s);
}

static void test_asha(void)
{
	struct stopping s = make(EARLY_STOP_ASHA, 1, 0, 1);
	char reason[256];

	/* eta 3, min_epochs 1: rungs at epochs 1, 3, 9. At a rung, of the n trials
	 * seen there, the top max(1, n / 3) go on. */
	CHECK(report(&s, 0, 1, 0.5) == 0);   /* n 1: alone, goes on */
	CHECK(report(&s, 1, 1, 0.4) == 1);   /* n 2, top 1: not the best */
	CHECK(report(&s, 2, 1, 0.6) == 0);   /* the new best */
	CHECK(stopping_report(&s, 3, 1, 0, 0.55, reason, sizeof reason) == 1); /* n 4, top 1 */
	CHECK_CONTAINS(reason, "ranks 2 of 4 at rung 0");
	CHECK(report(&s, 4, 1, 0.3) == 1);   /* n 5, top 1 */
	CHECK(report(&s, 5, 1, 0.58) == 0);  /* n 6, top 2: second best goes on */
	CHECK(report(&s, 0, 2, 0.1) == 0);   /* epoch 2 is no rung */
	CHECK(report(&s, 0, 3, 0.2) == 0);   /* rung 1, alone; judged on its best (0.5) */
	CHECK(report(&s, 2, 2, 0.6) == 0);
	CHECK(report(&s, 2, 3, 0.4) == 0);   /* best 0.6 beats trial 0's 0.5 */
	CHECK(report(&s, 5, 3, 0.52) == 1);  /* best 0.58: rank 2 of 3, top 1 */
	/* at its last epoch a trial is recorded but not stopped */
	CHECK(stopping_report(&s, 6, 1, 1, 0.1, reason, sizeof reason) == 0);
	stopping_finish(&s);
}

int main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		{"none", test_none},
		{"median", test_median},
		{"median_minimize", test_median_minimize},
		{"asha", test_asha},
		{NULL, NULL},
	};
	return test_main(argc, argv, cases);
}
