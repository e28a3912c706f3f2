// SPDX-License-Identifier: MIT
/*
 * The committed trained models (models/sst2.ebm, models/snips.ebm) against
 * PyTorch: tests/fixtures/models.ref holds, for real dev/test sentences, the
 * BERT token ids (Python tokenizer) and the per-layer entropies and logits
 * of the float64 forward pass over the dequantised AF8 weights
 * (tools/train/edgebert_export.py). The C tokenizer must give the same ids,
 * the C runtime the same outputs at every layer; both models must hold one
 * identical embedding (eNVM) image.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "edgebert/cpu.h"
#include "edgebert/model.h"
#include "edgebert/tokenizer.h"

#define MAX_CASES	80
#define MAX_LABELS	8
#define MAX_TASKS	4
#define TOL		1e-4	/* relative, with an absolute floor of 1e-4 */

struct ref_case {
	char task[32];
	char text[1024];
	uint32_t n, ids[512], types[512];
	uint32_t layers, labels;
	double entropy[24], logits[24][MAX_LABELS];
};

static struct ref_case *cases;
static unsigned int ncases;

static void model_path(const char *task, char *buf, size_t len)
{
	const char *dir = getenv("EB_MODELS");

	if (dir && *dir)
		snprintf(buf, len, "%s/%s.ebm", dir, task);
	else
		snprintf(buf, len, "%s/../../models/%s.ebm", eb_test_fixture_dir(), task);
}

static void load(void)
{
	char path[512], line[16384], *p, *end;
	struct ref_case *c = NULL;
	unsigned int l, i, j;
	FILE *f;

	cases = calloc(MAX_CASES, sizeof(*cases));
	ck_assert_ptr_nonnull(cases);
	snprintf(path, sizeof(path), "%s/models.ref", eb_test_fixture_dir());
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "%s missing", path);
	ncases = 0;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		if (line[0] == '#' || !line[0])
			continue;
		if (!strncmp(line, "text ", 5)) {
			ck_assert_uint_lt(ncases, MAX_CASES);
			c = &cases[ncases++];
			ck_assert_uint_lt(strlen(line + 5), sizeof(c->text));
			memcpy(c->text, line + 5, strlen(line + 5) + 1);
		} else if (!strncmp(line, "case ", 5)) {
			int off;

			ck_assert(c != NULL);
			ck_assert_int_eq(sscanf(line + 5, "%31s %u%n", c->task, &c->n, &off), 2);
			ck_assert(c->n >= 2 && c->n <= 512);
			p = line + 5 + off;
			for (i = 0; i < c->n; i++)
				c->ids[i] = (uint32_t)strtoul(p, &p, 10);
			p = strstr(p, "types");
			ck_assert(p != NULL);
			p += 5;
			for (i = 0; i < c->n; i++)
				c->types[i] = (uint32_t)strtoul(p, &p, 10);
		} else {
			ck_assert(c != NULL && !strncmp(line, "layer ", 6));
			l = (uint32_t)strtoul(line + 6, &p, 10);
			ck_assert(l >= 1 && l <= 24);
			c->entropy[l - 1] = strtod(p, &p);
			for (j = 0; j < MAX_LABELS; j++) {
				double v = strtod(p, &end);

				if (end == p)
					break;
				c->logits[l - 1][j] = v;
				p = end;
			}
			c->labels = j;
			c->layers = l;
		}
	}
	fclose(f);
	ck_assert_uint_ge(ncases, 20);
}

static void unload(void)
{
	free(cases);
	cases = NULL;
}

static struct eb_model *open_task_model(const char *task)
{
	char path[512], err[256];
	struct eb_model *m = NULL;

	model_path(task, path, sizeof(path));
	ck_assert_msg(!eb_model_open(path, &m, err, sizeof(err)), "%s: %s", path, err);
	return m;
}

static void assert_close(double got, double want, const char *what, unsigned int c,
			 unsigned int l)
{
	double tol = TOL * fmax(fabs(want), 1.0);

	ck_assert_msg(fabs(got - want) <= tol, "case %u (%s) layer %u %s: %.9g, reference %.9g",
		      c, cases[c].task, l, what, got, want);
}

/* The C tokenizer gives the ids of the Python (BERT reference) tokenizer. */
START_TEST(tokenizer_matches)
{
	struct eb_tokenizer *tok;
	struct eb_model *m = NULL;
	struct eb_model_info mi;
	uint32_t ids[512];
	unsigned int c;
	int n;

	for (c = 0; c < ncases; c++) {
		if (!c || strcmp(cases[c].task, cases[c - 1].task)) {
			eb_model_close(m);
			m = open_task_model(cases[c].task);
		}
		eb_model_get_info(m, &mi);
		ck_assert_int_eq(eb_tokenizer_from_model(m, &tok), 0);
		n = eb_tokenize(tok, cases[c].text, strlen(cases[c].text), ids, mi.max_position);
		ck_assert_int_eq(n, (int)cases[c].n);
		ck_assert_msg(!memcmp(ids, cases[c].ids, (size_t)n * sizeof(*ids)),
			      "case %u: token ids differ for \"%s\"", c, cases[c].text);
		eb_tokenizer_free(tok);
	}
	eb_model_close(m);
}
END_TEST

/* Every layer's entropy and logits match the PyTorch reference. */
START_TEST(logits_match_pytorch)
{
	struct eb_model *m = NULL;
	struct eb_cpu *cpu = NULL;
	struct eb_cpu_step step;
	struct eb_cpu_cost cost;
	unsigned int c, l, j;
	double worst = 0;
	int task;

	for (c = 0; c < ncases; c++) {
		struct ref_case *r = &cases[c];

		if (!c || strcmp(r->task, cases[c - 1].task)) {
			eb_cpu_free(cpu);
			eb_model_close(m);
			m = open_task_model(r->task);
			ck_assert_int_eq(eb_cpu_new(m, &cpu), 0);
		}
		task = eb_model_find_task(m, r->task);
		ck_assert_int_ge(task, 0);
		ck_assert_uint_eq(r->layers, 12);
		ck_assert_int_eq(eb_cpu_begin(cpu, (uint32_t)task, r->ids, r->types, r->n, 0,
					      &cost), 0);
		for (l = 0; l < r->layers; l++) {
			ck_assert_int_eq(eb_cpu_step(cpu, 0, &step), 0);
			ck_assert_uint_eq(step.layer, l + 1);
			assert_close(step.entropy, r->entropy[l], "entropy", c, l + 1);
			for (j = 0; j < r->labels; j++) {
				assert_close(step.logits[j], r->logits[l][j], "logit", c, l + 1);
				worst = fmax(worst, fabs(step.logits[j] - r->logits[l][j]) /
						    fmax(fabs(r->logits[l][j]), 1e-3));
			}
		}
		ck_assert_int_eq(eb_cpu_step(cpu, 0, &step), -ERANGE);
	}
	printf("trained_model: %u sentences, worst relative logit error vs PyTorch %.3g\n",
	       ncases, worst);
	eb_cpu_free(cpu);
	eb_model_close(m);
}
END_TEST

/* All tasks' files carry one identical eNVM image (the shared embeddings). */
START_TEST(shared_envm_image)
{
	const void *img[MAX_TASKS];
	size_t len[MAX_TASKS];
	struct eb_model *m[MAX_TASKS];
	unsigned int c, n = 0, i;

	for (c = 0; c < ncases && n < MAX_TASKS; c++) {
		if (c && !strcmp(cases[c].task, cases[c - 1].task))
			continue;
		m[n] = open_task_model(cases[c].task);
		ck_assert_int_eq(eb_model_envm_image(m[n], &img[n], &len[n]), 0);
		n++;
	}
	ck_assert_uint_ge(n, 2);
	for (i = 1; i < n; i++) {
		ck_assert_uint_eq(len[i], len[0]);
		ck_assert(!memcmp(img[i], img[0], len[0]));
	}
	for (i = 0; i < n; i++)
		eb_model_close(m[i]);
}
END_TEST

Suite *eb_test_suite(void)
{
	Suite *s = suite_create("trained_model");
	TCase *tc = tcase_create("pytorch");

	tcase_add_unchecked_fixture(tc, load, unload);
	tcase_add_test(tc, tokenizer_matches);
	tcase_add_test(tc, logits_match_pytorch);
	tcase_add_test(tc, shared_envm_image);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}
