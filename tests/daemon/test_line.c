/* test_line: the worker-line parser accepts the protocol and rejects the rest
 * with a reason; every example worker line in README.md parses; the report
 * helpers (sdk/) state the protocol version of worker_proto.h, and
 * caviar_report.h the fork server's names of forkserver_proto.h. */
#include <stdio.h>
#include <stdlib.h>

#include "caviar_report.h"
#include "forkserver_proto.h"
#include "line.h"
#include "test.h"
#include "tmpdir.h"
#include "worker_proto.h"

/* meson passes where the README and the report helpers are */
#ifndef CAVIAR_SOURCE_ROOT
#error "CAVIAR_SOURCE_ROOT must name the source tree"
#endif
#ifndef CAVIAR_REPORT_DIR
#error "CAVIAR_REPORT_DIR must name the report helpers' directory"
#endif

static int parse(struct worker_line *l, const char *text, char *err)
{
	return line_parse(l, text, strlen(text), err, 128);
}

static void test_metrics(void)
{
	struct worker_line l;
	char err[128];

	CHECK(parse(&l, "{\"epoch\": 3, \"step\": 1266, \"train_loss\": 0.41, \"val_acc\": 0.86,"
			" \"phase\": \"train\"}", err) == 0);
	CHECK(l.kind == LINE_METRICS);
	CHECK(l.epoch == 3);
	CHECK(l.step == 1266);
	CHECK(l.n_metrics == 2);
	CHECK_STR(l.metrics[0].name, "train_loss");
	CHECK_NEAR(l.metrics[1].value, 0.86, 0);
	line_finish(&l);

	CHECK(parse(&l, "{\"epoch\": 0, \"val_loss\": 2}", err) == 0);
	CHECK(l.step == 0);
	line_finish(&l);
}

static void test_event(void)
{
	struct worker_line l;
	char err[128];

	CHECK(parse(&l, "{\"event\": \"diverged\", \"epoch\": 2, \"step\": 9, \"value\": \"nan\"}", err) == 0);
	CHECK(l.kind == LINE_EVENT);
	CHECK_STR(l.event, "diverged");
	CHECK(l.epoch == 2);
	line_finish(&l);
	CHECK(parse(&l, "{\"event\": \"started\"}", err) == 0);
	CHECK(l.epoch == -1);
	line_finish(&l);
}

/* The ways programs print a non-finite metric: bare words (Python's
 * json.dumps, C's printf), overflowing numbers, the protocol's strings. None
 * is a point; each is a non-finite metric with its canonical value. */
static void test_nonfinite(void)
{
	static const char *const want[][2] = {
		{"a", "nan"}, {"b", "nan"}, {"c", "inf"}, {"d", "-inf"}, {"e", "inf"}, {"f", "-inf"},
		{"g", "nan"}, {"h", "inf"}, {"i", "-inf"}, {"j", "-inf"}, {"k", "inf"},
	};
	struct worker_line l;
	char err[128] = "";

	CHECK(parse(&l, "{\"epoch\": 2, \"a\": NaN, \"b\": nan, \"c\": Infinity, \"d\": -Infinity,"
			" \"e\": 1e999, \"f\": -1E+999, \"g\": \"nan\", \"h\": \"inf\", \"i\": \"-inf\","
			"\"j\":-inf,\"k\":inf}", err) == 0);
	CHECK_STR(err, "");
	CHECK(l.kind == LINE_METRICS && l.epoch == 2);
	CHECK(l.n_metrics == 0);
	CHECK(l.n_nonfinite == 11);
	for (int i = 0; i < l.n_nonfinite && i < 11; i++) {
		CHECK_STR(l.nonfinite[i].name, want[i][0]);
		CHECK_STR(l.nonfinite[i].value, want[i][1]);
	}
	line_finish(&l);

	/* the rest of the line stays: finite metrics, strings with the words in them */
	CHECK(parse(&l, "{\"epoch\": 3, \"step\": 7, \"val_loss\": NaN, \"NaN\": 0.5,"
			" \"note\": \"NaN \\\" Infinity\", \"val_acc\": 0.25, \"ok\": true}", err) == 0);
	CHECK(l.epoch == 3 && l.step == 7);
	CHECK(l.n_metrics == 2 && l.n_nonfinite == 1);
	CHECK_STR(l.metrics[0].name, "NaN");
	CHECK_STR(l.metrics[1].name, "val_acc");
	CHECK_STR(l.nonfinite[0].name, "val_loss");
	CHECK_STR(cJSON_GetObjectItemCaseSensitive(l.json, "note")->valuestring, "NaN \" Infinity");
	line_finish(&l);

	/* an event's value may be printed bare too */
	CHECK(parse(&l, "{\"event\": \"diverged\", \"epoch\": 2, \"metric\": \"loss\", \"value\": NaN}",
		    err) == 0);
	CHECK(l.kind == LINE_EVENT);
	CHECK_STR(cJSON_GetObjectItemCaseSensitive(l.json, "value")->valuestring, "nan");
	line_finish(&l);
}

/* A line of nothing but bare NaNs grows when they are quoted: still parsed. */
static void test_nonfinite_long(void)
{
	size_t cap = WORKER_PROTO_MAX_LINE, n = 0;
	char *text = xmalloc(cap + 1);
	struct worker_line l;
	char err[128] = "";

	n += (size_t)snprintf(text, cap, "{\"epoch\": 1, \"x\": [");
	while (n + 32 < cap)
		n += (size_t)snprintf(text + n, cap - n, "NaN,");
	n += (size_t)snprintf(text + n, cap - n, "NaN], \"v\": NaN}");
	CHECK(line_parse(&l, text, n, err, sizeof err) == 0);
	CHECK(l.n_nonfinite == 1);
	line_finish(&l);
	free(text);
}

static void expect_error(const char *text, const char *why)
{
	struct worker_line l;
	char err[128] = "";

	CHECK(parse(&l, text, err) < 0);
	CHECK_CONTAINS(err, why);
	line_finish(&l);
}

static void test_rejects(void)
{
	char many[4096] = "{\"epoch\": 1";

	expect_error("", "not JSON");
	expect_error("hello", "not JSON");
	expect_error("{\"epoch\": 1, ", "not JSON");
	expect_error("[1, 2]", "not a JSON object");
	expect_error("{\"val_loss\": 0.5}", "no \"epoch\"");
	expect_error("{\"epoch\": -1, \"val_loss\": 0.5}", "\"epoch\" must be");
	expect_error("{\"epoch\": 1.5, \"val_loss\": 0.5}", "\"epoch\" must be");
	expect_error("{\"epoch\": \"1\", \"val_loss\": 0.5}", "\"epoch\" must be");
	expect_error("{\"epoch\": 1, \"step\": -3, \"val_loss\": 0.5}", "\"step\" must be");
	expect_error("{\"epoch\": 1}", "no numeric metric");
	expect_error("{\"epoch\": 1, \"phase\": \"train\"}", "no numeric metric");
	expect_error("{\"epoch\": NaN, \"val_loss\": 0.5}", "\"epoch\" must be");
	expect_error("{\"epoch\": 1, \"val_loss\": nanx}", "not JSON");
	expect_error("{\"epoch\": 1, \"val_loss\": Infinit}", "not JSON");
	expect_error("{\"event\": 3}", "\"event\" must be");
	for (int i = 0; i < LINE_MAX_METRICS + 1; i++)
		snprintf(many + strlen(many), sizeof many - strlen(many), ", \"m%d\": %d", i, i);
	strcat(many, "}");
	expect_error(many, "more than");
	snprintf(many, sizeof many, "{\"epoch\": 1, \"nan\": NaN");
	for (int i = 0; i < LINE_MAX_METRICS; i++) /* non-finite ones count too */
		snprintf(many + strlen(many), sizeof many - strlen(many), ", \"m%d\": %d", i, i);
	strcat(many, "}");
	expect_error(many, "more than");
}

/* The whole of a file as a malloc'd string (the caller frees), or NULL. */
static char *read_text(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f) {
		fprintf(stderr, "  %s: cannot open\n", path);
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = xmalloc((size_t)n + 1);
		buf[fread(buf, 1, (size_t)n, f)] = '\0';
	}
	fclose(f);
	return buf;
}

/* 1 if a worker line opens at p: '{', blanks, then the key "epoch" or "event". */
static int opens_worker_line(const char *p)
{
	static const char epoch[] = "\"" WORKER_PROTO_EPOCH "\"";
	static const char event[] = "\"" WORKER_PROTO_EVENT "\"";

	if (*p++ != '{')
		return 0;
	while (*p == ' ' || *p == '\t' || *p == '\n')
		p++;
	return strncmp(p, epoch, sizeof epoch - 1) == 0 || strncmp(p, event, sizeof event - 1) == 0;
}

/* Length of the JSON object opening at p (strings and nesting respected), or
 * 0 when it does not close. */
static size_t object_len(const char *p)
{
	int depth = 0, in_string = 0;

	for (size_t i = 0; p[i]; i++) {
		if (in_string) {
			if (p[i] == '\\' && p[i + 1])
				i++;
			else if (p[i] == '"')
				in_string = 0;
		} else if (p[i] == '"') {
			in_string = 1;
		} else if (p[i] == '{') {
			depth++;
		} else if (p[i] == '}' && --depth == 0) {
			return i + 1;
		}
	}
	return 0;
}

/* Every example worker line of the README, in a code block or inline (any
 * JSON object whose first key is "epoch" or "event"), is one line_parse
 * accepts; there must be examples of both kinds. */
static void test_readme(void)
{
	char *text = read_text(CAVIAR_SOURCE_ROOT "/README.md");
	int n[2] = {0, 0}; /* by enum line_kind */

	CHECK(text != NULL);
	if (!text)
		return;
	for (const char *p = strchr(text, '{'); p; p = strchr(p + 1, '{')) {
		struct worker_line l;
		char err[128] = "";
		size_t len;

		if (!opens_worker_line(p))
			continue;
		len = object_len(p);
		if (len == 0 || line_parse(&l, p, len, err, sizeof err) < 0) {
			fprintf(stderr, "  README.md: %.*s: %s\n", len ? (int)len : 40, p,
				len ? err : "the object does not close");
			CHECK(!"a README example is a valid worker line");
		} else {
			n[l.kind]++;
		}
		if (len)
			line_finish(&l);
	}
	free(text);
	if (n[LINE_METRICS] == 0 || n[LINE_EVENT] == 0)
		fprintf(stderr, "  README.md: %d metrics and %d event lines found\n",
			n[LINE_METRICS], n[LINE_EVENT]);
	CHECK(n[LINE_METRICS] > 0);
	CHECK(n[LINE_EVENT] > 0);
}

/* A run of a command trial with caviar_report.h: resumes after resume_at
 * (0: a fresh run), reports epochs from..to and saves a checkpoint at sync_at. */
struct curve_run {
	const char *dir;
	int resume_at, from, to, sync_at;
};

static int curve_child(void *arg)
{
	const struct curve_run *r = arg;

	setenv("CAVIAR_CHECKPOINT_DIR", r->dir, 1);
	unsetenv("CAVIAR_METRICS_PREFIX");
	if (r->resume_at > 0)
		caviar_resumed(r->resume_at);
	for (int e = r->from; e <= r->to; e++) {
		caviar_report(e, "val_loss", 0.5 * e, (const char *)0);
		if (e == r->sync_at && caviar_curve_sync() < 0)
			return 1;
	}
	return 0;
}

static void check_curve_run(const struct curve_run *r, const char *out_want, const char *log_want)
{
	char path[PATH_MAX];
	int status;
	char *out = tmp_capture(curve_child, (void *)r, &status);
	char *log = read_text(tmp_path(path, r->dir, "curve.jsonl"));

	CHECK(status == 0);
	CHECK_STR(out, out_want);
	CHECK_STR(log, log_want);
	free(out);
	free(log);
}

/* caviar_report.h keeps the curve beside the program's checkpoint and prints
 * it again on resume, up to the checkpoint's epoch (as caviar-worker does). */
static void test_helper_curve(void)
{
	char dir[PATH_MAX];
	struct curve_run first = {dir, 0, 1, 3, 2}, resumed = {dir, 2, 3, 4, 4}, fresh = {dir, 0, 1, 1, 1};

	tmp_make(dir, sizeof dir, "caviar-test-line");
	check_curve_run(&first,
			"{\"epoch\": 1, \"val_loss\": 0.5}\n{\"epoch\": 2, \"val_loss\": 1}\n"
			"{\"epoch\": 3, \"val_loss\": 1.5}\n",
			"{\"epoch\": 1, \"val_loss\": 0.5}\n{\"epoch\": 2, \"val_loss\": 1}\n"
			"{\"epoch\": 3, \"val_loss\": 1.5}\n");
	/* resumed after epoch 2: epochs 1 and 2 again, 3 (past the checkpoint) redone */
	check_curve_run(&resumed,
			"{\"event\": \"resumed\", \"epoch\": 2}\n"
			"{\"epoch\": 1, \"val_loss\": 0.5}\n{\"epoch\": 2, \"val_loss\": 1}\n"
			"{\"epoch\": 3, \"val_loss\": 1.5}\n{\"epoch\": 4, \"val_loss\": 2}\n",
			"{\"epoch\": 1, \"val_loss\": 0.5}\n{\"epoch\": 2, \"val_loss\": 1}\n"
			"{\"epoch\": 3, \"val_loss\": 1.5}\n{\"epoch\": 4, \"val_loss\": 2}\n");
	/* a fresh run starts a fresh log */
	check_curve_run(&fresh, "{\"epoch\": 1, \"val_loss\": 0.5}\n", "{\"epoch\": 1, \"val_loss\": 0.5}\n");
	tmp_remove(dir);
}

/* caviar.py and caviar_report.h speak the version worker_proto.h defines. */
static void test_helper_versions(void)
{
	static const char assign[] = "\nPROTOCOL_VERSION = ";
	char *py = read_text(CAVIAR_REPORT_DIR "/caviar.py");
	const char *v = py ? strstr(py, assign) : NULL;

	CHECK(CAVIAR_REPORT_PROTOCOL_VERSION == WORKER_PROTO_VERSION);
	CHECK(strcmp(CAVIAR_FORK_SERVER_ENV, FORKSERVER_ENV) == 0);
	CHECK(CAVIAR_FORK_SERVER_MAX_MSG == FORKSERVER_MAX_MSG);
	CHECK(v != NULL);
	if (v)
		CHECK(atoi(v + sizeof assign - 1) == WORKER_PROTO_VERSION);
	free(py);
}

/* caviar_serve reads caviard's requests as cJSON prints them: every escape
 * decoded, keys it does not read skipped; what is not a request is refused. */
static void test_serve_request(void)
{
	struct caviar_request_ r;
	const char *text = "{\"trial\":7,\"env\":[\"A=x\\\"y\\\\\",\"B=\\u00e9\\n\\t\","
			   "\"C=\\ud83d\\ude00/\\/\"],\"extra\":{\"a\":[1,{\"b\":null}],"
			   "\"c\":\"}\"},\"cwd\":\"/tmp/a dir\",\"memory_mb\":512}";

	CHECK(caviar_request_parse_(text, &r) == 0);
	CHECK(r.trial == 7 && r.memory_mb == 512);
	CHECK(r.n_env == 3);
	if (r.n_env == 3) {
		CHECK(strcmp(r.env[0], "A=x\"y\\") == 0);
		CHECK(strcmp(r.env[1], "B=\xc3\xa9\n\t") == 0);
		CHECK(strcmp(r.env[2], "C=\xf0\x9f\x98\x80//") == 0);
	}
	CHECK(r.cwd && strcmp(r.cwd, "/tmp/a dir") == 0);
	caviar_request_free_(&r);
	CHECK(caviar_request_parse_("{\"env\":[],\"cwd\":\"/\"}", &r) < 0); /* no trial */
	CHECK(caviar_request_parse_("{\"trial\":1,\"env\":[\"A=\\u0000\"]}", &r) < 0);
	CHECK(caviar_request_parse_("{\"trial\":1,\"cwd\":\"/", &r) < 0);
	CHECK(caviar_request_parse_("{\"trial\":1,\"x\":[1,2}", &r) < 0);
}

int main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		{"metrics", test_metrics},
		{"event", test_event},
		{"rejects", test_rejects},
		{"nonfinite", test_nonfinite},
		{"nonfinite_long", test_nonfinite_long},
		{"readme", test_readme},
		{"helper_versions", test_helper_versions},
		{"helper_curve", test_helper_curve},
		{"serve_request", test_serve_request},
		{NULL, NULL},
	};
	return test_main(argc, argv, cases);
}
