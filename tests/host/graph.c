// SPDX-License-Identifier: MIT
/*
 * The forward pass against PyTorch: tests/fixtures/tiny.ref holds per-layer
 * logits and entropies that tools/ref/reference.py computed in float64
 * from the weights of tests/fixtures/tiny.ebm, decoded independently.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "core/graph.h"
#include "core/simd.h"
#include "edgebert/cpu.h"
#include "edgebert/model.h"

#define MAX_CASES	16
#define TOL		1e-4	/* relative, with an absolute floor of 1e-4 */

struct ref_case {
	char task[32];
	uint32_t n, ids[512], types[512];
	uint32_t layers;
	double entropy[24], logits[24][3];
};

static struct ref_case cases[MAX_CASES];
static unsigned int ncases;
static struct eb_model *model;

static void load(void)
{
	char path[512], err[256], word[32];
	struct ref_case *c = NULL;
	unsigned int l, i;
	FILE *f;

	snprintf(path, sizeof(path), "%s/tiny.ebm", eb_test_fixture_dir());
	ck_assert_msg(!eb_model_open(path, &model, err, sizeof(err)), "%s", err);
	snprintf(path, sizeof(path), "%s/tiny.ref", eb_test_fixture_dir());
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	ncases = 0;
	while (fscanf(f, "%31s", word) == 1) {
		if (word[0] == '#') {
			fscanf(f, "%*[^\n]");
		} else if (!strcmp(word, "case")) {
			ck_assert_uint_lt(ncases, MAX_CASES);
			c = &cases[ncases++];
			ck_assert_int_eq(fscanf(f, "%31s %u", c->task, &c->n), 2);
			for (i = 0; i < c->n; i++)
				ck_assert_int_eq(fscanf(f, "%u", &c->ids[i]), 1);
			ck_assert_int_eq(fscanf(f, " types"), 0);
			for (i = 0; i < c->n; i++)
				ck_assert_int_eq(fscanf(f, "%u", &c->types[i]), 1);
			c->layers = 0;
		} else {
			ck_assert_str_eq(word, "layer");
			ck_assert_int_eq(fscanf(f, "%u", &l), 1);
			ck_assert(c && l >= 1 && l <= 24);
			ck_assert_int_eq(fscanf(f, "%lf %lf %lf %lf", &c->entropy[l - 1],
						&c->logits[l - 1][0], &c->logits[l - 1][1],
						&c->logits[l - 1][2]), 4);
			c->layers = l;
		}
	}
	fclose(f);
	ck_assert_uint_gt(ncases, 4);
}

static void unload(void)
{
	eb_model_close(model);
	model = NULL;
}

static void assert_close(double got, double want, const char *what, unsigned int c,
			 unsigned int l)
{
	double tol = TOL * fmax(fabs(want), 1.0);

	ck_assert_msg(fabs(got - want) <= tol, "case %u layer %u %s: %.9g, reference %.9g",
		      c, l, what, got, want);
}

START_TEST(matches_reference)
{
	struct eb_cpu_step step;
	struct eb_cpu_cost cost;
	struct eb_cpu *cpu;
	unsigned int c, l, j;
	double worst = 0;

	ck_assert_int_eq(eb_cpu_new(model, &cpu), 0);
	for (c = 0; c < ncases; c++) {
		struct ref_case *r = &cases[c];
		int task = eb_model_find_task(model, r->task);

		ck_assert_int_ge(task, 0);
		ck_assert_int_eq(eb_cpu_begin(cpu, (uint32_t)task, r->ids, r->types, r->n,
					      0, &cost), 0);
		for (l = 0; l < r->layers; l++) {
			ck_assert_int_eq(eb_cpu_step(cpu, 0, &step), 0);
			ck_assert_uint_eq(step.layer, l + 1);
			assert_close(step.entropy, r->entropy[l], "entropy", c, l + 1);
			for (j = 0; j < 3; j++) {
				assert_close(step.logits[j], r->logits[l][j], "logit", c, l + 1);
				worst = fmax(worst, fabs(step.logits[j] - r->logits[l][j]) /
						    fmax(fabs(r->logits[l][j]), 1e-3));
			}
		}
		ck_assert_int_eq(eb_cpu_step(cpu, 0, &step), -ERANGE);
	}
	printf("graph: worst relative logit error vs PyTorch %.3g\n", worst);
	eb_cpu_free(cpu);
}
END_TEST

/* Early exit stops at the first layer whose entropy is below the threshold. */
START_TEST(early_exit)
{
	struct eb_cpu_result res;
	struct eb_cpu *cpu;
	unsigned int c, l, want;
	float thr;

	ck_assert_int_eq(eb_cpu_new(model, &cpu), 0);
	for (c = 0; c < ncases; c++) {
		struct ref_case *r = &cases[c];

		/* a threshold between distinct entropies, robust to rounding */
		thr = (float)(r->entropy[1] + 1e-3);
		for (want = 1; want < r->layers && !(r->entropy[want - 1] < thr); want++)
			;
		ck_assert_int_eq(eb_cpu_run(cpu, r->ids, r->types, r->n,
					    &(struct eb_cpu_opts){
						.task = (uint32_t)eb_model_find_task(model, r->task),
						.threshold = thr },
					    &res), 0);
		ck_assert_uint_eq(res.exit_layer, want);
		for (l = 0; l < want; l++)
			assert_close(res.entropy[l], r->entropy[l], "entropy", c, l + 1);
		for (; l < EB_RESULT_MAX_LAYERS; l++)
			ck_assert(res.entropy[l] == 0.0f);
		ck_assert_uint_gt(res.cost.cycles, 0);
		ck_assert_uint_gt(res.cost.energy_pj, 0);
	}
	eb_cpu_free(cpu);
}
END_TEST

/* Bit-identical across runs and contexts, and max_layers forces the exit. */
START_TEST(deterministic)
{
	struct eb_cpu_result a, b;
	struct eb_cpu *c1, *c2;
	struct eb_cpu_opts o = { .task = 1, .threshold = 0.0f };
	struct ref_case *r = &cases[ncases - 1];

	ck_assert_int_eq(eb_cpu_new(model, &c1), 0);
	ck_assert_int_eq(eb_cpu_new(model, &c2), 0);
	ck_assert_int_eq(eb_cpu_run(c1, cases[0].ids, NULL, 1, &o, &a), 0);
	ck_assert_int_eq(eb_cpu_run(c1, r->ids, r->types, r->n, &o, &a), 0);
	ck_assert_int_eq(eb_cpu_run(c2, r->ids, r->types, r->n, &o, &b), 0);
	ck_assert_mem_eq(&a, &b, sizeof(a));
	ck_assert_uint_eq(a.exit_layer, 4);
	o.max_layers = 2;
	ck_assert_int_eq(eb_cpu_run(c2, r->ids, r->types, r->n, &o, &b), 0);
	ck_assert_uint_eq(b.exit_layer, 2);
	ck_assert_mem_eq(a.entropy, b.entropy, 2 * sizeof(float));
	eb_cpu_free(c1);
	eb_cpu_free(c2);
}
END_TEST

/*
 * The same bits on every kernel path (baseline vectors, AVX2) and for any
 * thread count: every case, all layers, no early exit.
 */
START_TEST(paths_and_threads)
{
	static struct eb_cpu_result want[MAX_CASES], got;
	struct eb_cpu_opts o = { .threshold = 0.0f };
	static const unsigned int threads[] = { 1, 2, 3, 5 };
	unsigned int path, t, i;
	struct eb_cpu *cpu;

	for (path = 0; path < 2; path++) {
		eb_simd_force(path ? EB_SIMD_AUTO : EB_SIMD_GENERIC);
		for (t = 0; t < sizeof(threads) / sizeof(threads[0]); t++) {
			ck_assert_int_eq(eb_cpu_new(model, &cpu), 0);
			ck_assert_int_eq(eb_cpu_set_threads(cpu, threads[t]), 0);
			ck_assert_uint_eq(eb_cpu_threads(cpu), threads[t]);
			for (i = 0; i < ncases; i++) {
				o.task = !strcmp(cases[i].task, cases[0].task) ? 0 : 1;
				ck_assert_int_eq(eb_cpu_run(cpu, cases[i].ids, cases[i].types,
							    cases[i].n, &o, &got), 0);
				if (!path && !t)
					want[i] = got;
				else
					ck_assert_mem_eq(&got, &want[i], sizeof(got));
			}
			eb_cpu_free(cpu);
		}
	}
	eb_simd_force(EB_SIMD_AUTO);
}
END_TEST

START_TEST(bad_input)
{
	struct eb_cpu_result res;
	struct eb_cpu *cpu;
	uint32_t ids[30] = { 2 }, types[2] = { 0, 2 };
	struct eb_cpu_opts o = { .threshold = -1.0f };

	ck_assert_int_eq(eb_cpu_new(model, &cpu), 0);
	ck_assert_int_eq(eb_cpu_run(cpu, ids, NULL, 0, &o, &res), -EINVAL);
	ck_assert_int_eq(eb_cpu_run(cpu, ids, NULL, 25, &o, &res), -EINVAL);
	ck_assert_int_eq(eb_cpu_run(cpu, ids, types, 2, &o, &res), -EINVAL);
	ids[1] = 64;
	ck_assert_int_eq(eb_cpu_run(cpu, ids, NULL, 2, &o, &res), -EINVAL);
	o.task = 2;
	ck_assert_int_eq(eb_cpu_run(cpu, ids, NULL, 1, &o, &res), -EINVAL);
	o.task = 0;
	o.opp = 99;
	ck_assert_int_eq(eb_cpu_run(cpu, ids, NULL, 1, &o, &res), -EINVAL);
	eb_cpu_free(cpu);
}
END_TEST

Suite *eb_test_suite(void)
{
	Suite *s = suite_create("graph");
	TCase *tc = tcase_create("forward");

	tcase_add_unchecked_fixture(tc, load, unload);
	tcase_add_test(tc, matches_reference);
	tcase_add_test(tc, early_exit);
	tcase_add_test(tc, deterministic);
	tcase_add_test(tc, paths_and_threads);
	tcase_add_test(tc, bad_input);
	suite_add_tcase(s, tc);
	return s;
}
