/* fake_worker: a stand-in for caviar-worker that misbehaves on purpose, so the
 * end-to-end tests can check that the daemon survives and records each fault.
 * It reads the trial configuration like the real worker (--config -) and
 * picks its behaviour from the "units" hyperparameter:
 *   1 normal: 3 epochs of val_loss/val_acc        5 exits 3 with a message on stderr
 *   2 dies by SIGSEGV after one epoch             6 reports a divergence, exits 4
 *   3 garbage and over-long lines between epochs  7 exits 0 without any metric
 *   4 floods 20,000 lines as fast as it can       8 hangs until killed (SIGTERM ignored)
 *   9 allocates memory until it fails             10 crashes on its first attempt only
 *  11 reports an epoch every 200 ms, forever   12 a great epoch 1 (val_loss 0.001),
 *                                                 then exits 1 with an error
 * Mode 10 remembers attempts in $FAKE_STATE_DIR/trial-$CAVIAR_TRIAL_ID. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

/* The configuration is stdin's first line; stdin stays open after it for
 * control lines (worker_proto.h, version 2), which this worker never reads. */
static cJSON *read_config(void)
{
	static char buf[1 << 16];

	if (!fgets(buf, sizeof buf, stdin))
		buf[0] = '\0';
	return cJSON_Parse(buf);
}

static void epoch_line(int epoch, double lr)
{
	printf("{\"epoch\": %d, \"step\": %d, \"val_loss\": %.6f, \"val_acc\": %.6f}\n", epoch,
	       epoch * 10, 1.0 / (epoch + lr), 1.0 - 1.0 / (epoch + 1));
	fflush(stdout);
}

static void garbage(void)
{
	static char longline[100 << 10];

	puts("this is not json");
	puts("{\"epoch\": \"one\", \"val_loss\": 1}");
	puts("[1, 2, 3]");
	puts("{\"val_loss\": 0.5}");
	memset(longline, 'x', sizeof longline - 1);
	puts(longline);
	fflush(stdout);
}

static int hog_memory(void)
{
	for (int mb = 0; mb < 4096; mb++) {
		char *p = malloc(1 << 20);

		if (!p) {
			fprintf(stderr, "fake_worker: out of memory after %d MB\n", mb);
			return 70;
		}
		memset(p, 1, 1 << 20);
	}
	return 0;
}

/* 1 the first time this trial runs, 0 after (a marker file remembers). */
static int first_attempt(void)
{
	const char *dir = getenv("FAKE_STATE_DIR"), *id = getenv("CAVIAR_TRIAL_ID");
	char path[4096];
	FILE *f;

	snprintf(path, sizeof path, "%s/trial-%s", dir ? dir : "/tmp", id ? id : "0");
	if ((f = fopen(path, "r"))) {
		fclose(f);
		return 0;
	}
	if ((f = fopen(path, "w")))
		fclose(f);
	return 1;
}

int main(int argc, char **argv)
{
	cJSON *cfg = read_config();
	const cJSON *units = cJSON_GetObjectItemCaseSensitive(cfg, "units");
	const cJSON *lr = cJSON_GetObjectItemCaseSensitive(cfg, "lr");
	int mode = cJSON_IsNumber(units) ? units->valueint : 1;
	double rate = cJSON_IsNumber(lr) ? lr->valuedouble : 0.1;

	(void)argc, (void)argv;
	cJSON_Delete(cfg);
	switch (mode) {
	case 2:
		epoch_line(1, rate);
		signal(SIGSEGV, SIG_DFL); /* a real crash, even under a sanitizer's handler */
		raise(SIGSEGV);
		break;
	case 4:
		for (int i = 0; i < 20000; i++)
			printf("{\"epoch\": %d, \"step\": %d, \"train_loss\": %d.5}\n", 1 + i / 1000, i, i);
		fflush(stdout);
		return 0;
	case 5:
		fprintf(stderr, "fake_worker: data.csv: line 3: label out of range\n");
		return 3;
	case 6:
		epoch_line(1, rate);
		puts("{\"event\": \"diverged\", \"epoch\": 2, \"step\": 17, \"metric\": \"train_loss\", "
		     "\"value\": \"nan\"}");
		return 4;
	case 7:
		puts("hello, no metrics here");
		return 0;
	case 8:
		signal(SIGTERM, SIG_IGN);
		epoch_line(1, rate);
		for (;;)
			pause();
	case 9:
		epoch_line(1, rate);
		return hog_memory();
	case 10:
		if (first_attempt()) {
			signal(SIGSEGV, SIG_DFL);
			raise(SIGSEGV);
		}
		break;
	case 12:
		puts("{\"epoch\": 1, \"step\": 10, \"val_loss\": 0.001, \"val_acc\": 0.999}");
		fflush(stdout);
		fprintf(stderr, "fake_worker: RuntimeError: CUDA out of memory\n");
		return 1;
	case 11:
		for (int e = 1;; e++) {
			epoch_line(e, rate);
			usleep(200000);
		}
	}
	for (int e = 1; e <= 3; e++) {
		if (mode == 3)
			garbage();
		epoch_line(e, rate);
	}
	return 0;
}
