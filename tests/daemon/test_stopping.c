/* test_stopping: the median and ASHA rules decide as documented. */
#include "stopping.h"
#include "test.h"

#include <math.h>

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

/* Two objectives, val_acc (max) and params (min), and optionally a constraint
 * latency_ms <= 5: MO-ASHA with eta 3, rungs at epochs 1, 3, 9. */
static struct stopping make_mo(int constrained)
{
	struct spec_objective objs[2] = {{"val_acc", 1}, {"params", 0}};
	struct spec_constraint con = {"latency_ms", NAN, 5};
	struct spec spec = {0};
	struct stopping s;

	spec.early_stop = EARLY_STOP_ASHA;
	spec.objective_metric = "val_acc";
	spec.objective_max = 1;
	spec.objectives = objs;
	spec.n_objectives = 2;
	spec.constraints = constrained ? &con : NULL;
	spec.n_constraints = constrained;
	spec.es_min_epochs = 1;
	spec.es_eta = 3;
	stopping_init(&s, &spec); /* copies what it keeps: spec may go */
	return s;
}

/* One line of trial number at epoch: val_acc and params, judged. */
static int line2(struct stopping *s, int number, int epoch, double acc, double params,
		 char *reason)
{
	stopping_note(s, number, epoch, "val_acc", acc);
	stopping_note(s, number, epoch, "params", params);
	return stopping_judge(s, number, epoch, 0, reason, 256);
}

/* Nine trials at rung 0: the front is A (0.9, 1000), M (0.8, 100) and B (0.5,
 * 10), B with the lowest val_acc of all (tied with Z, which it dominates), Z
 * (0.5, 9000) is dominated by every other. Once all nine are there, each
 * judged again (as after a restart) goes on exactly when it is among the top
 * 3 by (rank, crowding): the front. One-objective ASHA on val_acc would stop B. */
static void test_moasha(void)
{
	static const double acc[9] = {0.9, 0.8, 0.5, 0.85, 0.7, 0.6, 0.75, 0.55, 0.5};
	static const double params[9] = {1000, 100, 10, 2000, 200, 150, 3000, 400, 9000};
	struct stopping s = make_mo(0), one;
	struct spec spec1 = {0};
	char reason[256];
	int going = 0;

	for (int i = 0; i < 9; i++)
		line2(&s, i, 1, acc[i], params[i], reason);
	for (int i = 0; i < 9; i++) {
		int stop = line2(&s, i, 1, acc[i], params[i], reason);

		CHECK(stop == !(i <= 2)); /* 0, 1, 2: A, M, B */
		going += !stop;
	}
	CHECK(going == 3);
	CHECK(line2(&s, 8, 1, 0.5, 9000, reason) == 1); /* Z, dominated by all */
	CHECK_CONTAINS(reason, "pruned at epoch 1: Pareto rank");
	CHECK_CONTAINS(reason, "of 9 at rung 0, only the top 3 go on");
	CHECK(line2(&s, 2, 1, 0.5, 10, reason) == 0); /* B: front, worst val_acc */
	CHECK(line2(&s, 5, 2, 0.1, 1, reason) == 0);  /* epoch 2 is no rung */
	stopping_finish(&s);

	/* what one objective would do with B: ranks 8 of 9 on val_acc */
	spec1.early_stop = EARLY_STOP_ASHA;
	spec1.objective_max = 1;
	spec1.es_min_epochs = 1;
	spec1.es_eta = 3;
	stopping_init(&one, &spec1);
	for (int i = 0; i < 9; i++)
		stopping_report(&one, i, 1, 0, acc[i], reason, sizeof reason);
	CHECK(stopping_report(&one, 2, 1, 0, 0.5, reason, sizeof reason) == 1);
	stopping_finish(&one);
}

/* A metric reported once (params at epoch 1) carries forward to the rung at
 * epoch 3; a trial is judged at a rung only once every goal has a value, on
 * a later line of the same epoch if need be; the objective's line judges. */
static void test_moasha_carry(void)
{
	struct stopping s = make_mo(0);
	char reason[256];

	CHECK(line2(&s, 0, 1, 0.9, 10, reason) == 0);
	CHECK(line2(&s, 1, 1, 0.8, 20, reason) == 1); /* dominated by 0, n 2, top 1 */
	/* trial 2: val_acc alone at epoch 1, then params on the next line */
	stopping_note(&s, 2, 1, "val_acc", 0.1);
	CHECK(stopping_judge(&s, 2, 1, 0, reason, sizeof reason) == 0); /* params unknown */
	CHECK(s.at[0].n == 2);                                         /* not at the rung yet */
	stopping_note(&s, 2, 1, "params", 5);
	CHECK(stopping_judge(&s, 2, 1, 0, reason, sizeof reason) == 0); /* front: (0.1, 5) */
	CHECK(s.at[0].n == 3);
	CHECK(stopping_judge(&s, 2, 1, 0, reason, sizeof reason) == 0); /* judged once per report */
	/* rung 1 (epoch 3): val_acc only, params carried from epoch 1 */
	stopping_note(&s, 0, 3, "val_acc", 0.95);
	CHECK(stopping_judge(&s, 0, 3, 0, reason, sizeof reason) == 0);
	stopping_note(&s, 2, 3, "val_acc", 0.2);
	CHECK(stopping_judge(&s, 2, 3, 0, reason, sizeof reason) == 0); /* (0.2, 5): front */
	stopping_note(&s, 2, 3, "params", 50); /* params alone does not judge */
	CHECK(stopping_judge(&s, 2, 3, 0, reason, sizeof reason) == 0);
	stopping_note(&s, 2, 3, "val_acc", 0.2); /* now (0.2, 50): dominated by (0.95, 10) */
	CHECK(stopping_judge(&s, 2, 3, 0, reason, sizeof reason) == 1);
	stopping_finish(&s);
}

/* With a constraint, an infeasible trial ranks after every feasible one even
 * when its objectives dominate them; a trial at its last epoch never stops. */
static void test_moasha_constraint(void)
{
	struct stopping s = make_mo(1);
	char reason[256];

	stopping_note(&s, 0, 1, "latency_ms", 4);
	CHECK(line2(&s, 0, 1, 0.5, 100, reason) == 0);
	stopping_note(&s, 1, 1, "latency_ms", 9); /* infeasible, by 4 */
	CHECK(line2(&s, 1, 1, 0.99, 1, reason) == 1);
	CHECK_CONTAINS(reason, "(infeasible by 4)");
	/* no latency yet: not judged (and not counted) until it comes */
	CHECK(line2(&s, 2, 1, 0.99, 1, reason) == 0);
	CHECK(s.at[0].n == 2);
	stopping_note(&s, 3, 1, "latency_ms", 4);
	stopping_note(&s, 3, 1, "val_acc", 0.1);
	stopping_note(&s, 3, 1, "params", 1000);
	CHECK(stopping_judge(&s, 3, 1, 1, reason, sizeof reason) == 0); /* its last epoch */
	stopping_finish(&s);
}

/* The median rule on a chosen objective (early_stop.objective): params, to
 * minimise, judged alone; val_acc's values do not count. */
static void test_median_objective(void)
{
	struct spec_objective objs[2] = {{"val_acc", 1}, {"params", 0}};
	struct spec spec = {0};
	struct stopping s;
	char reason[256];

	spec.early_stop = EARLY_STOP_MEDIAN;
	spec.objective_metric = "val_acc";
	spec.objective_max = 1;
	spec.objectives = objs;
	spec.n_objectives = 2;
	spec.es_objective = 1;
	spec.es_warmup = 0;
	spec.es_min_trials = 2;
	stopping_init(&s, &spec);
	for (int i = 0; i < 2; i++) {
		stopping_note(&s, i, 1, "params", 100 + i);
		CHECK(stopping_judge(&s, i, 1, 0, reason, sizeof reason) == 0);
	}
	stopping_note(&s, 2, 1, "val_acc", 0.99); /* the best accuracy does not save it */
	CHECK(stopping_judge(&s, 2, 1, 0, reason, sizeof reason) == 0); /* no params yet */
	stopping_note(&s, 2, 1, "params", 500);
	CHECK(stopping_judge(&s, 2, 1, 0, reason, sizeof reason) == 1);
	CHECK_CONTAINS(reason, "median 100.5 of 2 other trials' running averages of params");
	stopping_note(&s, 3, 1, "val_acc", 0.01); /* the worst accuracy, the fewest params */
	stopping_note(&s, 3, 1, "params", 50);
	CHECK(stopping_judge(&s, 3, 1, 0, reason, sizeof reason) == 0);
	stopping_finish(&s);
}

int main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		{"none", test_none},
		{"median", test_median},
		{"median_minimize", test_median_minimize},
		{"asha", test_asha},
		{"moasha", test_moasha},
		{"moasha_carry", test_moasha_carry},
		{"moasha_constraint", test_moasha_constraint},
		{"median_objective", test_median_objective},
		{NULL, NULL},
	};
	return test_main(argc, argv, cases);
}
