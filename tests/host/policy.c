// SPDX-License-Identifier: MIT
/*
 * Exit predictor and DVFS policy: the EdgeBERT reference averages, every
 * branch of the predictor, deadlines, infeasible targets, malformed input.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_main.h"
#include "core/policy_cost.h"
#include "edgebert/policy.h"

#define L	12
#define COLS	11	/* SST-2 style: prediction layer 1 */
#define THR	0.16f

/* EB_SHARED_DATA, else ../shared/data relative to the repo root. */
static void shared_path(char *buf, size_t len, const char *name)
{
	const char *dir = getenv("EB_SHARED_DATA");

	snprintf(buf, len, "%s/edgebert/%s", dir && *dir ? dir : "../shared/data", name);
}

START_TEST(reference_averages)
{
	struct eb_entropy_log log;
	struct eb_exit_lut lut;
	struct eb_predictor pr;
	char path[4096], err[512];
	double ee = 0, pred = 0;
	uint32_t i;

	shared_path(path, sizeof(path), "sst2_dev_entropy_by_layer.txt");
	ck_assert_msg(!eb_entropy_log_load(path, &log, err, sizeof(err)), "%s", err);
	shared_path(path, sizeof(path), "sst2_exit_lut.csv");
	ck_assert_msg(!eb_lut_load(path, &lut, err, sizeof(err)), "%s", err);
	ck_assert_uint_eq(log.sentences, 872);
	ck_assert_uint_eq(log.layers, 12);
	ck_assert_uint_eq(eb_lut_predict_layer(&lut, log.layers), 1);
	ck_assert_int_eq(eb_predictor_init(&pr, &lut, THR, log.layers, 0), 0);
	for (i = 0; i < log.sentences; i++) {
		const float *h = log.v + i * log.layers;

		ee += eb_exit_plain(h, log.layers, THR);
		pred += eb_exit_predicted(&pr, h);
	}
	ck_assert_double_eq_tol(ee / log.sentences, 4.9266, 5e-5);
	ck_assert_double_eq_tol(pred / log.sentences, 3.8968, 5e-5);
	eb_lut_free(&lut);
	eb_entropy_log_free(&log);
}
END_TEST

/*
 * Rows by column 0: 0.2 predicts "below THR two layers on" (k = 1), 0.5
 * "three on" (k = 2), 0.9 "never". Rows are COLS wide.
 */
static float lut_v[3 * COLS];
static const struct eb_exit_lut hand_lut = { lut_v, 3, COLS };

static void lut_fill(float *v, uint32_t cols)
{
	uint32_t c;

	for (c = 0; c < cols; c++) {
		v[c] = c ? (c >= 2 ? 0.1f : 0.3f) : 0.2f;
		v[cols + c] = c ? (c >= 3 ? 0.1f : 0.3f) : 0.5f;
		v[2 * cols + c] = c ? 0.8f : 0.9f;
	}
}

static void hand_lut_init(void)
{
	lut_fill(lut_v, COLS);
}

/* Entropy 0.7 everywhere but @h1 at layer @p and @hat at layer @at. */
static uint32_t exit_of(uint32_t p, float h1, uint32_t at, float hat)
{
	float v[3 * COLS];
	struct eb_exit_lut lut = { v, 3, L - p };
	struct eb_predictor pr;
	float h[L];
	uint32_t i;

	for (i = 0; i < L; i++)
		h[i] = 0.7f;
	h[p - 1] = h1;
	if (at)
		h[at - 1] = hat;
	/* The prediction layer comes from the table's width. */
	lut_fill(v, lut.cols);
	ck_assert_int_eq(eb_predictor_init(&pr, &lut, THR, L, 0), 0);
	ck_assert_uint_eq(pr.p, p);
	return eb_exit_predicted(&pr, h);
}

START_TEST(predictor_branches)
{
	hand_lut_init();
	/* Exit at the prediction layer. */
	ck_assert_uint_eq(exit_of(1, 0.05f, 0, 0), 1);
	ck_assert_uint_eq(exit_of(3, 0.05f, 0, 0), 3);
	/* MNLI-style: exit on entropy before the prediction layer. */
	ck_assert_uint_eq(exit_of(3, 0.7f, 2, 0.01f), 2);
	/* Countdown: H1 nearest 0.5 -> k = 2 -> forced exit at layer 4. */
	ck_assert_uint_eq(exit_of(1, 0.45f, 0, 0), 4);
	ck_assert_uint_eq(exit_of(1, 0.25f, 0, 0), 3);	/* nearest 0.2: k = 1 */
	ck_assert_uint_eq(exit_of(3, 0.45f, 0, 0), 6);
	/* Entropy exit during the countdown wins. */
	ck_assert_uint_eq(exit_of(1, 0.45f, 3, 0.1f), 3);
	/* Never below threshold in the LUT: k = last, runs to L. */
	ck_assert_uint_eq(exit_of(1, 0.95f, 0, 0), L);
	/* Layer L-2 is still checked ... */
	ck_assert_uint_eq(exit_of(1, 0.95f, L - 2, 0.1f), L - 2);
	/* ... the last two are not. */
	ck_assert_uint_eq(exit_of(1, 0.95f, L - 1, 0.1f), L);
	ck_assert_uint_eq(exit_of(1, 0.95f, L, 0.1f), L);
	/* Equidistant rows: the first one wins (0.35 between 0.2 and 0.5). */
	ck_assert_uint_eq(eb_lut_predict(&hand_lut, THR, L, 1, 0.35f), 3);
	/* Predictions past L-2 mean "run to L". */
	ck_assert_uint_eq(eb_lut_predict(&hand_lut, THR, L, 8, 0.45f), L);
	ck_assert_uint_eq(eb_lut_predict(&hand_lut, THR, L, 7, 0.45f), 10);
	/* Plain entropy exit checks every layer. */
	{
		float h[L] = { 0.9f, 0.9f, 0.9f, 0.9f, 0.9f, 0.9f,
			       0.9f, 0.9f, 0.9f, 0.9f, 0.1f, 0.9f };

		ck_assert_uint_eq(eb_exit_plain(h, L, THR), 11);
		h[10] = 0.9f;
		ck_assert_uint_eq(eb_exit_plain(h, L, THR), L);
	}
}
END_TEST

static struct eb_policy_table *table(void)
{
	struct eb_dims d = { 30000, 512, 2, 128, 768, 12, 3072, L };
	struct eb_policy_table *t = malloc(sizeof(*t));
	struct eb_hw hw;

	ck_assert_ptr_nonnull(t);
	eb_hw_default(&hw);
	ck_assert_int_eq(eb_policy_table_build(t, &hw, &d, 128, 2, NULL, 0), 0);
	return t;
}

static uint32_t rng_state = 12345;

static uint32_t rnd(uint32_t n)
{
	rng_state = rng_state * 1103515245u + 12345u;
	return (rng_state >> 8) % n;
}

START_TEST(deadlines_property)
{
	struct eb_policy_table *t = table();
	uint32_t top = t->opp_count - 1, i, n, feasible = 0, capped = 0;
	uint64_t full_ns, full_pj, min_ns;
	float h[L];

	hand_lut_init();
	eb_policy_fixed(t, top, L, 0, &full_ns, &full_pj);
	min_ns = t->embed_ns[top] + t->layer_ns[top] + t->ramp_ns[top];
	for (i = 0; i < 4000; i++) {
		struct eb_policy_cfg cfg = {
			.table = t, .lut = &hand_lut, .threshold = THR,
			.kind = i % 2 ? EB_POLICY_REPREDICT : EB_POLICY_PAPER,
			/* 0.5 x the one-layer latency .. 1.3 x the no-exit one. */
			.target_ns = min_ns / 2 + rnd((uint32_t)(full_ns * 13 / 10)),
		};
		struct eb_policy_run run;
		uint64_t ons, opj;
		uint32_t oopp;
		int ret;

		for (n = 0; n < L; n++)
			h[n] = rnd(1000) / 1000.0f;
		ret = eb_policy_sentence(&run, &cfg, h);
		if (cfg.target_ns < min_ns) {
			ck_assert_int_eq(ret, -ERANGE);
			continue;
		}
		ck_assert_int_eq(ret, 0);
		feasible++;
		capped += run.capped;
		ck_assert_msg(run.deadline_met && run.ns <= cfg.target_ns,
			      "missed: %llu > %llu", (unsigned long long)run.ns,
			      (unsigned long long)cfg.target_ns);
		ck_assert_uint_le(run.layer, run.cap);
		ck_assert_uint_ge(run.layer, 1);
		/* Without a cap the exit is the predictor's. */
		if (!run.capped) {
			struct eb_predictor pr;

			eb_predictor_init(&pr, &hand_lut, THR, L, 0);
			ck_assert_uint_eq(run.layer, eb_exit_predicted(&pr, h));
		}
		ck_assert_int_eq(eb_policy_oracle(t, run.layer, cfg.target_ns, &ons, &opj,
						  &oopp), 0);
		ck_assert_uint_le(ons, cfg.target_ns);
	}
	ck_assert_uint_gt(feasible, 3000);
	ck_assert_uint_gt(capped, 0);
	free(t);
}
END_TEST

START_TEST(infeasible_reported)
{
	struct eb_policy_table *t = table();
	uint32_t top = t->opp_count - 1;
	struct eb_policy_cfg cfg = { .table = t, .lut = &hand_lut, .threshold = THR };
	float h[L] = { 0.05f };
	struct eb_entropy_log log = { h, 1, L };
	struct eb_replay_stats st;
	struct eb_policy_run run;
	uint64_t ns, pj;
	uint32_t opp;

	hand_lut_init();
	cfg.target_ns = t->embed_ns[top] + t->layer_ns[top] + t->ramp_ns[top] - 1;
	ck_assert_int_eq(eb_policy_sentence(&run, &cfg, h), -ERANGE);
	ck_assert_int_eq(eb_policy_oracle(t, 1, cfg.target_ns - 100, &ns, &pj, &opp), -ERANGE);
	ck_assert_int_eq(eb_replay(&log, &cfg, &st), 0);
	ck_assert_uint_eq(st.infeasible, 1);
	ck_assert_uint_eq(st.deadline_misses, 0);
	/* One more ns and exiting after layer 1 at the nominal point fits. */
	cfg.target_ns++;
	ck_assert_int_eq(eb_policy_sentence(&run, &cfg, h), 0);
	ck_assert(run.deadline_met);
	ck_assert_uint_eq(run.layer, 1);
	free(t);
}
END_TEST

START_TEST(paper_picks_cheapest)
{
	struct eb_policy_table *t = table();
	uint32_t top = t->opp_count - 1;
	uint64_t full_ns, full_pj;
	struct eb_policy_cfg cfg = { .table = t, .lut = &hand_lut, .threshold = THR };
	float h[L];
	struct eb_policy_run run;
	uint32_t i;

	hand_lut_init();
	for (i = 0; i < L; i++)
		h[i] = 0.7f;
	h[0] = 0.45f;	/* forced exit at 4 */
	eb_policy_fixed(t, top, L, 0, &full_ns, &full_pj);
	cfg.target_ns = full_ns;
	ck_assert_int_eq(eb_policy_sentence(&run, &cfg, h), 0);
	/* 3 layers after layer 1 fit easily at the slowest point. */
	ck_assert_uint_eq(run.layer, 4);
	ck_assert_uint_eq(run.opp_first, 0);
	ck_assert_uint_eq(run.switches, 1);
	ck_assert_uint_eq(run.ns, t->embed_ns[top] + t->layer_ns[top] + t->ramp_ns[top] +
				  t->switch_ns[top][0] + 3 * (t->layer_ns[0] + t->ramp_ns[0]));
	free(t);
}
END_TEST

/* Write @text to a temporary file, load it as a log, expect @msg in the error. */
static void expect_error(const char *text, int lut, const char *msg)
{
	char path[] = "/tmp/eb-policy-XXXXXX", err[512], want[600];
	struct eb_entropy_log log;
	struct eb_exit_lut l;
	int fd = mkstemp(path), ret;
	FILE *f;

	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	err[0] = 0;
	ret = lut ? eb_lut_load(path, &l, err, sizeof(err)) :
		    eb_entropy_log_load(path, &log, err, sizeof(err));
	unlink(path);
	ck_assert_int_eq(ret, -EINVAL);
	snprintf(want, sizeof(want), "%s:%s", path, msg);
	ck_assert_msg(strstr(err, want), "got '%s', want '%s'", err, want);
}

START_TEST(malformed_input)
{
	char err[512];
	struct eb_entropy_log log;

	expect_error("0.1, 0.2\n0.3, x\n", 0, "2: expected a number");
	expect_error("0.1, 0.2\n\n0.3, 0.2, 0.1\n", 0, "3: 3 values, earlier lines have 2");
	expect_error("0.1; 0.2\n", 0, "1: expected ','");
	expect_error("0.1, -0.2\n", 0, "1: value out of range");
	expect_error("0.1, nan\n", 0, "1: value out of range");
	expect_error("0.1,\n", 0, "1: expected a number");
	expect_error("", 0, "0: no data");
	expect_error("0.1\n0.2\n", 1, "1: an exit LUT needs at least 2 columns");
	ck_assert_int_eq(eb_entropy_log_load("/nonexistent/log", &log, err, sizeof(err)),
			 -ENOENT);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/log"));
}
END_TEST

Suite *eb_test_suite(void)
{
	Suite *s = suite_create("policy");
	TCase *tc = tcase_create("predictor");

	tcase_add_test(tc, reference_averages);
	tcase_add_test(tc, predictor_branches);
	tcase_add_test(tc, deadlines_property);
	tcase_add_test(tc, infeasible_reported);
	tcase_add_test(tc, paper_picks_cheapest);
	tcase_add_test(tc, malformed_input);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}
