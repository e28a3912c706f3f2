// SPDX-License-Identifier: MIT
/*
 * Entropy logs and exit LUTs (comma-separated floats, one row a line), and
 * the replay of the predictor and DVFS policy over a log.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edgebert/policy.h"

#define MAX_COLS	1024

static int fail(char *err, size_t errlen, const char *path, unsigned long line,
		const char *fmt, ...)
{
	va_list ap;
	int n;

	if (err && errlen) {
		n = snprintf(err, errlen, "%s:%lu: ", path, line);
		if (n >= 0 && (size_t)n < errlen) {
			va_start(ap, fmt);
			vsnprintf(err + n, errlen - n, fmt, ap);
			va_end(ap);
		}
	}
	return -EINVAL;
}

/* Parse one line of comma-separated floats into @out; count or -EINVAL. */
static int parse_row(char *s, float *out, unsigned max, const char **why)
{
	unsigned n = 0;

	for (;;) {
		char *end;
		float v;

		errno = 0;
		v = strtof(s, &end);
		if (end == s) {
			*why = "expected a number";
			return -EINVAL;
		}
		if (errno == ERANGE || !isfinite(v) || v < 0.0f) {
			*why = "value out of range (need a finite entropy >= 0)";
			return -EINVAL;
		}
		if (n == max) {
			*why = "too many columns";
			return -EINVAL;
		}
		out[n++] = v;
		s = end + strspn(end, " \t\r\n");
		if (!*s)
			return (int)n;
		if (*s != ',') {
			*why = "expected ',' between numbers";
			return -EINVAL;
		}
		s++;
	}
}

/* A rectangular table of floats; blank lines are skipped. */
static int load_table(const char *path, unsigned max_cols, float **data, uint32_t *rows,
		      uint32_t *cols, char *err, size_t errlen)
{
	float row[MAX_COLS], *v = NULL, *grown;
	size_t cap = 0, len = 0, linecap = 0;
	unsigned long lineno = 0;
	char *line = NULL;
	const char *why;
	FILE *f;
	int n, ret = 0;

	*rows = 0;
	*cols = 0;
	f = fopen(path, "r");
	if (!f) {
		ret = -errno;
		if (err && errlen)
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return ret;
	}
	while (getline(&line, &linecap, f) >= 0) {
		lineno++;
		if (!line[strspn(line, " \t\r\n")])
			continue;
		n = parse_row(line, row, max_cols, &why);
		if (n < 0) {
			ret = fail(err, errlen, path, lineno, "%s", why);
			break;
		}
		if (*cols && (uint32_t)n != *cols) {
			ret = fail(err, errlen, path, lineno, "%d values, earlier lines have %u",
				   n, *cols);
			break;
		}
		*cols = n;
		if (len + n > cap) {
			cap = cap ? 2 * cap : 4096;
			grown = realloc(v, cap * sizeof(*v));
			if (!grown) {
				ret = -ENOMEM;
				break;
			}
			v = grown;
		}
		memcpy(v + len, row, n * sizeof(*row));
		len += n;
		(*rows)++;
	}
	if (!ret && ferror(f)) {
		ret = -EIO;
		if (err && errlen)
			snprintf(err, errlen, "%s: read error", path);
	}
	if (!ret && !*rows)
		ret = fail(err, errlen, path, lineno, "no data");
	free(line);
	fclose(f);
	if (ret) {
		free(v);
		*rows = 0;
		*cols = 0;
		return ret;
	}
	*data = v;
	return 0;
}

int eb_entropy_log_load(const char *path, struct eb_entropy_log *log, char *err,
			size_t errlen)
{
	*log = (struct eb_entropy_log){ 0 };
	return load_table(path, EB_POLICY_MAX_LAYERS, &log->v, &log->sentences,
			  &log->layers, err, errlen);
}

void eb_entropy_log_free(struct eb_entropy_log *log)
{
	free(log->v);
	*log = (struct eb_entropy_log){ 0 };
}

int eb_lut_load(const char *path, struct eb_exit_lut *lut, char *err, size_t errlen)
{
	float *v = NULL;
	int ret;

	*lut = (struct eb_exit_lut){ 0 };
	ret = load_table(path, EB_POLICY_MAX_LAYERS, &v, &lut->rows, &lut->cols, err,
			 errlen);
	if (ret)
		return ret;
	lut->v = v;
	if (lut->cols < 2) {
		eb_lut_free(lut);
		return fail(err, errlen, path, 1, "an exit LUT needs at least 2 columns");
	}
	return 0;
}

void eb_lut_free(struct eb_exit_lut *lut)
{
	free((void *)lut->v);
	*lut = (struct eb_exit_lut){ 0 };
}

int eb_replay(const struct eb_entropy_log *log, const struct eb_policy_cfg *cfg,
	      struct eb_replay_stats *st)
{
	const struct eb_policy_table *t = cfg->table;
	struct eb_predictor pred;
	uint32_t i, ran = 0, top, layers = log->layers;
	double ee = 0, pr = 0, pol = 0;
	int ret;

	if (!t || t->layers != layers || !t->opp_count)
		return -EINVAL;
	ret = eb_predictor_init(&pred, cfg->lut, cfg->threshold, layers,
				cfg->predict_layer);
	if (ret)
		return ret;
	*st = (struct eb_replay_stats){ .sentences = log->sentences,
					.target_ns = cfg->target_ns };
	top = t->opp_count - 1;
	for (i = 0; i < log->sentences; i++) {
		const float *h = log->v + (uint64_t)i * layers;
		uint32_t exit_ee = eb_exit_plain(h, layers, cfg->threshold), opp;
		uint64_t ns, pj;
		struct eb_policy_run run;

		ee += exit_ee;
		pr += eb_exit_predicted(&pred, h);
		ret = eb_policy_sentence(&run, cfg, h);
		if (ret == -ERANGE) {
			st->infeasible++;
			continue;
		}
		if (ret)
			return ret;
		ran++;
		pol += run.layer;
		st->deadline_misses += !run.deadline_met;
		st->capped += run.capped;
		st->switches += run.switches;
		st->energy_policy += run.pj;
		st->latency_policy_avg += run.ns;
		if (run.ns > st->latency_policy_max)
			st->latency_policy_max = run.ns;
		eb_policy_fixed(t, top, layers, 0, &ns, &pj);
		st->energy_no_exit += pj;
		eb_policy_fixed(t, top, exit_ee, 1, &ns, &pj);
		st->energy_unbounded += pj;
		/* Feasible for the policy, so for the oracle too (same exit, one point). */
		if (eb_policy_oracle(t, run.layer, cfg->target_ns, &ns, &pj, &opp))
			return -ERANGE;
		st->energy_oracle += pj;
	}
	if (log->sentences) {
		st->avg_exit_ee = ee / log->sentences;
		st->avg_exit_predictor = pr / log->sentences;
	}
	if (ran) {
		st->avg_exit_policy = pol / ran;
		st->energy_policy /= ran;
		st->energy_no_exit /= ran;
		st->energy_unbounded /= ran;
		st->energy_oracle /= ran;
		st->latency_policy_avg /= ran;
	}
	return 0;
}
