// SPDX-License-Identifier: MIT
/*
 * edgebert-eval, run as a user runs it, on the committed models: for the
 * reference sentences of each task (tests/fixtures/eval-TASK.tsv) its --json
 * must give the accuracies and average exit layers that
 * tools/train/edgebert_export.py computed from tools/ref/reference.py's
 * float64 outputs (eval-TASK.expect); bad input must fail with a message
 * that names the problem.
 */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_main.h"

/* $(BUILD)/tests/host/eval_cli -> $(BUILD)/bin/edgebert-eval */
static void tool_path(char *buf, size_t len)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	ck_assert_int_gt(n, 0);
	exe[n] = 0;
	slash = strrchr(exe, '/');
	ck_assert_ptr_nonnull(slash);
	*slash = 0;
	snprintf(buf, len, "%s/../../bin/edgebert-eval", exe);
	ck_assert_msg(access(buf, X_OK) == 0, "%s not built", buf);
}

static void model_path(const char *task, char *buf, size_t len)
{
	snprintf(buf, len, "%s/../../models/%s.ebm", eb_test_fixture_dir(), task);
}

/* Runs edgebert-eval with ARGS; returns its exit status, output in OUT. */
static int run_eval(const char *args, char *out, size_t len)
{
	char tool[PATH_MAX + 32], cmd[8 * PATH_MAX];
	size_t n = 0, r;
	FILE *p;
	int st;

	tool_path(tool, sizeof(tool));
	snprintf(cmd, sizeof(cmd), "'%s' %s 2>&1", tool, args);
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	while (n + 1 < len && (r = fread(out + n, 1, len - 1 - n, p)) > 0)
		n += r;
	out[n] = 0;
	st = pclose(p);
	ck_assert_msg(WIFEXITED(st), "edgebert-eval did not exit: %s", out);
	return WEXITSTATUS(st);
}

static double json_number(const char *json, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(json, pat);
	ck_assert_msg(p != NULL, "no %s in %s", key, json);
	return strtod(p + strlen(pat), NULL);
}

static void check_task(const char *task)
{
	char model[PATH_MAX], data[PATH_MAX], expect[PATH_MAX], args[3 * PATH_MAX];
	char out[4096], line[256], key[64];
	unsigned int keys = 0;
	double want;
	FILE *f;

	model_path(task, model, sizeof(model));
	snprintf(data, sizeof(data), "%s/eval-%s.tsv", eb_test_fixture_dir(), task);
	snprintf(expect, sizeof(expect), "%s/eval-%s.expect", eb_test_fixture_dir(), task);
	snprintf(args, sizeof(args), "-m '%s' --data '%s' --json --backend cpu", model, data);
	ck_assert_msg(run_eval(args, out, sizeof(out)) == 0, "edgebert-eval failed: %s", out);
	ck_assert_double_eq(json_number(out, "errors"), 0);

	f = fopen(expect, "r");
	ck_assert_msg(f != NULL, "%s missing", expect);
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#')
			continue;
		ck_assert_int_eq(sscanf(line, "%63s %lf", key, &want), 2);
		/* the tool prints accuracies with 6 decimals, layers with 4 */
		ck_assert_msg(fabs(json_number(out, key) - want) < 1e-4,
			      "%s %s: edgebert-eval %.6f, reference %.6f", task, key,
			      json_number(out, key), want);
		keys++;
	}
	fclose(f);
	ck_assert_uint_eq(keys, 7);
}

START_TEST(sst2_matches_the_reference)
{
	check_task("sst2");	/* labels as integers */
}
END_TEST

START_TEST(snips_matches_the_reference)
{
	check_task("snips");	/* labels as names */
}
END_TEST

/* Writes a TSV with one bad row to a new temporary file; its path in PATH. */
static void bad_tsv(char path[static 20], const char *row)
{
	int fd;
	FILE *f;

	strcpy(path, "/tmp/eb-eval-XXXXXX");	/* mkstemp(3) template */
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "sentence\tlabel\na fine film\t1\n%s\n", row);
	fclose(f);
}

START_TEST(bad_input_is_named)
{
	char model[PATH_MAX], tsv[64], args[3 * PATH_MAX], out[4096];

	model_path("sst2", model, sizeof(model));

	bad_tsv(tsv, "a dull film\tmaybe");
	snprintf(args, sizeof(args), "-m '%s' --data %s --backend cpu", model, tsv);
	ck_assert_int_ne(run_eval(args, out, sizeof(out)), 0);
	ck_assert_msg(strstr(out, ":3: unknown label 'maybe'"), "%s", out);
	unlink(tsv);

	bad_tsv(tsv, "no tab here");
	snprintf(args, sizeof(args), "-m '%s' --data %s --backend cpu", model, tsv);
	ck_assert_int_ne(run_eval(args, out, sizeof(out)), 0);
	ck_assert_msg(strstr(out, ":3: no tab"), "%s", out);
	unlink(tsv);

	snprintf(args, sizeof(args), "-m '%s' --data /nonexistent.tsv", model);
	ck_assert_int_ne(run_eval(args, out, sizeof(out)), 0);
	ck_assert_msg(strstr(out, "/nonexistent.tsv: No such file"), "%s", out);

	snprintf(args, sizeof(args), "-m '%s' -t nosuchtask --data /dev/null", model);
	ck_assert_int_ne(run_eval(args, out, sizeof(out)), 0);
	ck_assert_msg(strstr(out, "no task 'nosuchtask'"), "%s", out);

	ck_assert_int_ne(run_eval("--data /dev/null", out, sizeof(out)), 0);
	ck_assert_msg(strstr(out, "no model"), "%s", out);
}
END_TEST

Suite *eb_test_suite(void)
{
	Suite *s = suite_create("eval_cli");
	TCase *tc = tcase_create("eval_cli");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, sst2_matches_the_reference);
	tcase_add_test(tc, snips_matches_the_reference);
	tcase_add_test(tc, bad_input_is_named);
	suite_add_tcase(s, tc);
	return s;
}
