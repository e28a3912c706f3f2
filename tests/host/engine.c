// SPDX-License-Identifier: MIT
/*
 * The engine on the CPU backend: the policy is applied as the policy core
 * decides, results equal eb_cpu_run() where they must, async delivery, and
 * errors.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "core/graph.h"
#include "core/policy_cost.h"
#include "edgebert.h"
#include "model_internal.h"

static struct eb_model *model;

/* A few token sequences of the tiny fixture (ids < its vocab). */
#define NSENT 24
static uint32_t sent_ids[NSENT][12];
static uint32_t sent_len[NSENT];

static void setup(void)
{
	char path[512], err[256];
	const struct eb_ebm *e;
	uint64_t s = 12345;
	uint32_t i, k;

	snprintf(path, sizeof(path), "%s/tiny.ebm", eb_test_fixture_dir());
	ck_assert_msg(eb_model_open(path, &model, err, sizeof(err)) == 0, "%s", err);
	e = eb_model_ebm(model);
	for (i = 0; i < NSENT; i++) {
		sent_len[i] = 3 + i % 9;
		if (sent_len[i] > e->dims.max_position)
			sent_len[i] = e->dims.max_position;
		sent_ids[i][0] = e->cls_id;
		for (k = 1; k + 1 < sent_len[i]; k++) {
			s = s * 6364136223846793005ull + 1442695040888963407ull;
			sent_ids[i][k] = 5 + (uint32_t)(s >> 33) % (e->dims.vocab_size - 5);
		}
		sent_ids[i][sent_len[i] - 1] = e->sep_id;
	}
}

static void teardown(void)
{
	eb_model_close(model);
	model = NULL;
}

static struct eb_engine *open_cpu(enum eb_exit_policy policy, uint64_t target_ns)
{
	struct eb_engine_opts o;
	struct eb_engine *eng;
	char err[256];

	eb_engine_opts_init(&o);
	o.backend = EB_BACKEND_CPU;
	o.policy = policy;
	o.target_ns = target_ns;
	ck_assert_msg(eb_engine_open(model, &o, &eng, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(eb_engine_backend(eng), EB_BACKEND_CPU);
	return eng;
}

/* Policy off at the nominal point: exactly eb_cpu_run(). */
START_TEST(off_equals_cpu_run)
{
	struct eb_engine *eng = open_cpu(EB_EXIT_OFF, 0);
	struct eb_cpu *cpu;
	struct eb_cpu_opts co = { .task = 0, .threshold = -1.0f };
	struct eb_cpu_result cr;
	struct eb_result r;
	struct eb_hw hw;
	uint32_t i, l;

	eb_hw_default(&hw);
	co.opp = hw.opp_count - 1;
	ck_assert_int_eq(eb_cpu_new(model, &cpu), 0);
	for (i = 0; i < NSENT; i++) {
		ck_assert_int_eq(eb_cpu_run(cpu, sent_ids[i], NULL, sent_len[i], &co, &cr), 0);
		ck_assert_int_eq(eb_engine_classify_ids(eng, sent_ids[i], NULL, sent_len[i], &r), 0);
		ck_assert_uint_eq(r.exit_layer, cr.exit_layer);
		ck_assert_uint_eq(r.label, cr.prediction);
		ck_assert_uint_eq(r.labels, cr.labels);
		ck_assert_mem_eq(r.logits, cr.logits, cr.labels * sizeof(float));
		ck_assert_mem_eq(r.entropy, cr.entropy, cr.exit_layer * sizeof(float));
		for (l = cr.exit_layer; l < EB_RESULT_MAX_LAYERS; l++)
			ck_assert(isnan(r.entropy[l]));
		ck_assert_uint_eq(r.cycles, cr.cost.cycles);
		ck_assert_uint_eq(r.device_ns, cr.cost.ns);
		ck_assert_uint_eq(r.energy_pj, cr.cost.energy_pj);
		ck_assert_uint_eq(r.opp_start, co.opp);
		ck_assert_uint_eq(r.switches, 0);
		ck_assert_uint_eq(r.predicted_layer, 0);
		ck_assert_int_eq(r.device, -1);
		ck_assert_int_eq(r.deadline_met, 1);
		ck_assert(r.label_name[0]);
	}
	eb_cpu_free(cpu);
	eb_engine_close(eng);
}
END_TEST

/*
 * With a policy, the exits and points are the policy core's: replay the
 * sentence's entropies through eb_policy_sentence() with the same table.
 */
static void check_policy(enum eb_exit_policy kind, double target_frac)
{
	const struct eb_ebm *e = eb_model_ebm(model);
	struct eb_task_info ti;
	struct eb_exit_lut lut;
	struct eb_policy_table t;
	struct eb_policy_cfg cfg;
	struct eb_policy_run run;
	struct eb_result r;
	struct eb_hw hw;
	uint32_t keys[EB_MAX_HEADS], i;
	uint64_t full_ns, full_pj;
	float h[EB_POLICY_MAX_LAYERS];
	int ret, checked = 0;

	eb_hw_default(&hw);
	eb_model_task_info(model, 0, &ti);
	lut = (struct eb_exit_lut){ ti.lut, ti.lut_rows, ti.lut_cols };
	for (i = 0; i < NSENT; i++) {
		struct eb_engine *eng;
		uint64_t target;

		eb_span_keys(&e->dims, &model->tw[0], sent_len[i], keys);
		ck_assert_int_eq(eb_policy_table_build(&t, &hw, &e->dims, sent_len[i], ti.labels,
						       keys, model->tw[0].layer_zeros), 0);
		eb_policy_fixed(&t, hw.opp_count - 1, e->dims.layers, 1, &full_ns, &full_pj);
		target = (uint64_t)(full_ns * target_frac);
		/* a fresh engine: the sentence starts at the nominal point */
		eng = open_cpu(kind, target);
		ret = eb_engine_classify_ids(eng, sent_ids[i], NULL, sent_len[i], &r);
		eb_engine_close(eng);

		/* the engine plans with the largest switch into the start point in reserve */
		cfg = (struct eb_policy_cfg){
			.table = &t, .lut = &lut, .threshold = ti.threshold,
			.predict_layer = ti.lut_layer,
			.kind = kind == EB_EXIT_REPREDICT ? EB_POLICY_REPREDICT : EB_POLICY_PAPER,
			.target_ns = target - eb_transition_ns(&hw, 0, hw.opp_count - 1),
		};
		if (ret == -ERANGE) {
			ck_assert(target <= eb_transition_ns(&hw, 0, hw.opp_count - 1) ||
				  eb_policy_begin(&run, &cfg) == -ERANGE);
			continue;
		}
		ck_assert_int_eq(ret, 0);
		memset(h, 0, sizeof(h));
		memcpy(h, r.entropy, r.exit_layer * sizeof(float));
		ck_assert_int_eq(eb_policy_sentence(&run, &cfg, h), 0);
		ck_assert_uint_eq(r.exit_layer, run.layer);
		ck_assert_uint_eq(r.predicted_layer, run.pred.forced);
		ck_assert_uint_eq(r.opp_after, run.opp_first);
		ck_assert_uint_eq(r.opp_last, run.opp);
		ck_assert_uint_eq(r.capped, run.capped);
		ck_assert_uint_eq(r.target_ns, target);
		ck_assert_int_eq(r.deadline_met, r.device_ns <= target);
		/*
		 * The actual cost is the plan's, plus the switch from the nominal
		 * point (a fresh engine) into the start point and at most one
		 * off-ramp the plan skips.
		 */
		ck_assert_uint_le(r.device_ns, run.ns + t.ramp_ns[0] + t.embed_ns[0] +
				  eb_transition_ns(&hw, hw.opp_count - 1, r.opp_start));
		checked++;
	}
	ck_assert_int_gt(checked, 0);
}

START_TEST(paper_is_the_policy_core)
{
	check_policy(EB_EXIT_PAPER, 1.0);
	check_policy(EB_EXIT_PAPER, 0.6);
}
END_TEST

START_TEST(repredict_is_the_policy_core)
{
	check_policy(EB_EXIT_REPREDICT, 1.0);
	check_policy(EB_EXIT_REPREDICT, 0.7);
}
END_TEST

/*
 * Sentences in a row on one engine: one may leave the device at a low
 * point, and the next one's switch back counts against its own target.
 * At the default target (the no-exit latency at the nominal point, plus
 * the largest such switch) none may miss. The trained SST-2 model at a low
 * threshold has sentences that exit early (and slow down) and sentences
 * that need every layer at the nominal point.
 */
START_TEST(back_to_back_sentences_meet_the_default_target)
{
	static const char *const texts[] = {
		/* exits at 2, after the rest ran at the lowest point */
		"the emotions are raw and will strike a nerve with anyone who 's ever had family trauma .",
		"the primitive force of this film bubbles up from memory .",	/* needs all 12 */
		"the emotions are raw and will strike a nerve with anyone who 's ever had family trauma .",
		"the primitive force of this film bubbles up from memory .",
	};
	enum eb_exit_policy kinds[] = { EB_EXIT_PAPER, EB_EXIT_REPREDICT };
	struct eb_engine_opts o;
	struct eb_model *sst2;
	struct eb_engine *eng;
	struct eb_result r;
	uint32_t i, k, prev_opp, switched_back = 0;
	char err[256];

	ck_assert_msg(eb_model_open("models/sst2.ebm", &sst2, err, sizeof(err)) == 0, "%s", err);
	for (k = 0; k < 2; k++) {
		eb_engine_opts_init(&o);
		o.backend = EB_BACKEND_CPU;
		o.policy = kinds[k];
		o.threshold = 0.3f;
		ck_assert_msg(eb_engine_open(sst2, &o, &eng, err, sizeof(err)) == 0, "%s", err);
		prev_opp = UINT32_MAX;
		for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
			ck_assert_int_eq(eb_engine_classify(eng, texts[i], &r), 0);
			ck_assert_msg(r.deadline_met, "sentence %u: %llu ns > target %llu ns", i,
				      (unsigned long long)r.device_ns,
				      (unsigned long long)r.target_ns);
			switched_back += prev_opp != UINT32_MAX && prev_opp < r.opp_start;
			prev_opp = r.opp_last;
		}
		eb_engine_close(eng);
	}
	eb_model_close(sst2);
	ck_assert_uint_gt(switched_back, 0);	/* the case this is about did happen */
}
END_TEST

/* A generous target lets the policy slow down: less energy, still in time. */
START_TEST(slack_lowers_energy)
{
	struct eb_engine *eng;
	struct eb_result a, b;
	uint64_t sum_a = 0, sum_b = 0;
	int lower = 0;
	uint32_t i;

	for (i = 0; i < NSENT; i++) {
		eng = open_cpu(EB_EXIT_PAPER, 0);	/* no-exit latency at nominal */
		ck_assert_int_eq(eb_engine_classify_ids(eng, sent_ids[i], NULL, sent_len[i], &a), 0);
		eb_engine_close(eng);
		eng = open_cpu(EB_EXIT_PAPER, a.target_ns * 4);
		ck_assert_int_eq(eb_engine_classify_ids(eng, sent_ids[i], NULL, sent_len[i], &b), 0);
		eb_engine_close(eng);
		ck_assert_int_eq(a.deadline_met, 1);
		ck_assert_int_eq(b.deadline_met, 1);
		ck_assert_uint_eq(a.exit_layer, b.exit_layer);
		ck_assert_mem_eq(a.logits, b.logits, a.labels * sizeof(float));
		sum_a += a.energy_pj;
		sum_b += b.energy_pj;
		lower += b.opp_after < a.opp_after;
	}
	ck_assert_int_gt(lower, 0);
	ck_assert_uint_lt(sum_b, sum_a);
}
END_TEST

/* Text in, labels out; batch == one by one; async delivers each once. */
START_TEST(text_batch_async)
{
	static const char *const text[] = {
		"hello world", "the movie was great", "[UNK] [MASK]", "w5 w6 w7 w8 w9 w10",
		"", "a", "w60 w61 w62 w63", "completely unknown words here",
	};
	const size_t n = sizeof(text) / sizeof(text[0]);
	struct eb_engine *eng = open_cpu(EB_EXIT_PAPER, 0);
	struct eb_result one[8], batch[8], got[8];
	int seen[8] = { 0 }, k, total = 0;
	size_t i;

	for (i = 0; i < n; i++)
		ck_assert_int_eq(eb_engine_classify(eng, text[i], &one[i]), 0);
	/* the second engine starts where the first did: the nominal point */
	eb_engine_close(eng);
	eng = open_cpu(EB_EXIT_PAPER, 0);
	ck_assert_int_eq(eb_engine_classify_batch(eng, text, n, batch), 0);
	for (i = 0; i < n; i++) {
		ck_assert_uint_eq(batch[i].tag, i);
		batch[i].tag = 0;
		ck_assert_mem_eq(&batch[i], &one[i], sizeof(one[i]));
	}
	for (i = 0; i < n; i++)
		ck_assert_int_eq(eb_engine_submit(eng, text[i], 100 + i), 0);
	ck_assert_uint_eq(eb_engine_pending(eng), n);
	while ((k = eb_engine_poll(eng, got, 3, -1)) > 0) {
		for (int j = 0; j < k; j++) {
			ck_assert_uint_ge(got[j].tag, 100);
			ck_assert_uint_lt(got[j].tag, 100 + n);
			seen[got[j].tag - 100]++;
			ck_assert_int_eq(got[j].status, 0);
		}
		total += k;
	}
	ck_assert_int_eq(k, 0);
	ck_assert_int_eq(total, (int)n);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(seen[i], 1);
	ck_assert_uint_eq(eb_engine_pending(eng), 0);
	eb_engine_close(eng);
}
END_TEST

static int cb_count;
static void on_result(void *arg, const struct eb_result *r)
{
	ck_assert_ptr_eq(arg, &cb_count);
	ck_assert_int_eq(r->status, 0);
	cb_count++;
}

START_TEST(callback_delivery)
{
	struct eb_engine_opts o;
	struct eb_engine *eng;
	int i;

	eb_engine_opts_init(&o);
	o.backend = EB_BACKEND_CPU;
	o.on_result = on_result;
	o.on_result_arg = &cb_count;
	ck_assert_int_eq(eb_engine_open(model, &o, &eng, NULL, 0), 0);
	cb_count = 0;
	for (i = 0; i < 5; i++)
		ck_assert_int_eq(eb_engine_submit_ids(eng, sent_ids[i], NULL, sent_len[i], i), 0);
	while (eb_engine_poll(eng, NULL, 2, 0) > 0)
		;
	ck_assert_int_eq(cb_count, 5);
	eb_engine_close(eng);
}
END_TEST

START_TEST(errors)
{
	struct eb_engine_opts o;
	struct eb_engine *eng = (struct eb_engine *)1;
	struct eb_result r;
	char err[256] = "";
	uint32_t bad[3] = { 2, 1u << 30, 3 };

	eb_engine_opts_init(&o);
	o.task = "no-such-task";
	ck_assert_int_eq(eb_engine_open(model, &o, &eng, err, sizeof(err)), -ENOENT);
	ck_assert_ptr_null(eng);
	ck_assert(strstr(err, "no-such-task"));

	/* no device on the host: a forced device backend says so */
	eb_engine_opts_init(&o);
	o.backend = EB_BACKEND_DEVICE;
	ck_assert_int_eq(eb_engine_open(model, &o, &eng, err, sizeof(err)), -ENODEV);
	ck_assert(strstr(err, "device"));

	eb_engine_opts_init(&o);
	o.backend = (enum eb_backend)7;
	ck_assert_int_eq(eb_engine_open(model, &o, &eng, err, sizeof(err)), -EINVAL);
	eb_engine_opts_init(&o);
	o.policy = EB_EXIT_OFF;
	o.opp = 99;
	ck_assert_int_eq(eb_engine_open(model, &o, &eng, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(eb_engine_open(NULL, NULL, &eng, NULL, 0), -EINVAL);

	/* auto on the host is the CPU */
	ck_assert_int_eq(eb_engine_open(model, NULL, &eng, NULL, 0), 0);
	ck_assert_int_eq(eb_engine_backend(eng), EB_BACKEND_CPU);
	ck_assert_int_eq(eb_engine_classify_ids(eng, bad, NULL, 3, &r), -EINVAL);
	ck_assert_int_eq(r.status, -EINVAL);
	ck_assert_int_eq(eb_engine_classify_ids(eng, bad, NULL, 0, &r), -EINVAL);
	ck_assert_int_eq(eb_engine_classify_ids(eng, sent_ids[0], NULL, 100000, &r), -EINVAL);
	ck_assert_int_eq(eb_engine_classify(eng, NULL, &r), -EINVAL);
	ck_assert_int_eq(eb_engine_poll(eng, NULL, 1, 0), -EINVAL);	/* no callback */
	eb_engine_close(eng);

	/* a target nobody can meet */
	eng = open_cpu(EB_EXIT_PAPER, 1);
	ck_assert_int_eq(eb_engine_classify_ids(eng, sent_ids[0], NULL, sent_len[0], &r), -ERANGE);
	ck_assert_int_eq(r.deadline_met, 0);
	eb_engine_close(eng);
	eb_engine_close(NULL);
}
END_TEST

Suite *eb_test_suite(void)
{
	Suite *s = suite_create("engine");
	TCase *tc = tcase_create("cpu");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, off_equals_cpu_run);
	tcase_add_test(tc, paper_is_the_policy_core);
	tcase_add_test(tc, repredict_is_the_policy_core);
	tcase_add_test(tc, slack_lowers_energy);
	tcase_add_test(tc, back_to_back_sentences_meet_the_default_target);
	tcase_add_test(tc, text_batch_async);
	tcase_add_test(tc, callback_delivery);
	tcase_add_test(tc, errors);
	suite_add_tcase(s, tc);
	return s;
}
