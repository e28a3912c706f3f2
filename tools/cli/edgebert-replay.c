// SPDX-License-Identifier: MIT
/*
 * edgebert-replay: run the early-exit predictor and the DVFS policy over
 * logged per-layer entropies with the device's default cost model.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/policy_cost.h"
#include "edgebert/policy.h"

static const char usage[] =
"Usage: edgebert-replay --entropy LOG --lut LUT --threshold T [OPTIONS]\n"
"\n"
"Replay the EdgeBERT early-exit predictor and the per-sentence DVFS policy\n"
"over logged off-ramp entropies, with the modeled time and energy of the\n"
"device's default operating points at ALBERT-base dimensions (E=128,\n"
"H=768, 12 heads with full attention span, FFN 3072, 2 labels).\n"
"\n"
"Options:\n"
"  -e, --entropy LOG        per-layer entropies: one sentence a line,\n"
"                           comma-separated, the same number of layers each\n"
"  -l, --lut LUT            exit LUT (CSV): column 0 is the entropy at the\n"
"                           prediction layer, column c the expected entropy\n"
"                           c layers later\n"
"  -t, --threshold T        exit when an off-ramp's entropy is below T\n"
"  -p, --predict-layer P    prediction layer (default: layers - LUT columns,\n"
"                           1 for SST-2-style tables, 3 for MNLI-style ones)\n"
"  -m, --target-ms MS       per-sentence latency target in milliseconds\n"
"                           (default: the latency without early exit at the\n"
"                           nominal, highest operating point)\n"
"  -P, --policy NAME        paper (default): predict once, one point after the\n"
"                           prediction layer; repredict: re-apply the LUT to\n"
"                           every new entropy and re-choose the point\n"
"  -s, --seq N              tokens per sentence (default 128)\n"
"  -j, --json               one JSON object instead of text\n"
"  -h, --help               this text\n"
"\n"
"Energy ratios are baseline / policy, per sentence on average: no early\n"
"exit at the nominal point, plain (latency-unbounded) entropy exit at the\n"
"nominal point, and an oracle that knows each sentence's exit layer and\n"
"runs it at the single cheapest point meeting the target. A target that\n"
"cannot be met even by exiting after layer 1 makes the sentence\n"
"infeasible: it is reported and left out of the energies. A sentence whose\n"
"predicted exit does not fit the target exits at the last layer that does\n"
"(\"capped\"). Deadline misses count feasible sentences that missed.\n"
"\n"
"Exit status: 0 on success, 1 on bad input (the message names the file and\n"
"line), 2 on usage errors.\n";

struct opts {
	const char *entropy, *lut;
	float threshold;
	int have_threshold;
	uint32_t predict_layer, seq;
	double target_ms;
	enum eb_policy_kind kind;
	int json;
};

static int parse_u32(const char *s, uint32_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > UINT32_MAX || *s == '-')
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

static int parse_pos(const char *s, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	return errno || end == s || *end || !(*out > 0.0) ? -EINVAL : 0;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "entropy", required_argument, NULL, 'e' },
		{ "lut", required_argument, NULL, 'l' },
		{ "threshold", required_argument, NULL, 't' },
		{ "predict-layer", required_argument, NULL, 'p' },
		{ "target-ms", required_argument, NULL, 'm' },
		{ "policy", required_argument, NULL, 'P' },
		{ "seq", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	double v;
	int c;

	while ((c = getopt_long(argc, argv, "e:l:t:p:m:P:s:jh", longopts, NULL)) != -1) {
		switch (c) {
		case 'e':
			o->entropy = optarg;
			break;
		case 'l':
			o->lut = optarg;
			break;
		case 't':
			if (parse_pos(optarg, &v))
				goto bad;
			o->threshold = (float)v;
			o->have_threshold = 1;
			break;
		case 'p':
			if (parse_u32(optarg, &o->predict_layer) || !o->predict_layer)
				goto bad;
			break;
		case 'm':
			if (parse_pos(optarg, &o->target_ms))
				goto bad;
			break;
		case 'P':
			if (!strcmp(optarg, "paper"))
				o->kind = EB_POLICY_PAPER;
			else if (!strcmp(optarg, "repredict"))
				o->kind = EB_POLICY_REPREDICT;
			else
				goto bad;
			break;
		case 's':
			if (parse_u32(optarg, &o->seq) || !o->seq)
				goto bad;
			break;
		case 'j':
			o->json = 1;
			break;
		case 'h':
			fputs(usage, stdout);
			exit(0);
		default:
			return -EINVAL;
		}
		continue;
bad:
		fprintf(stderr, "edgebert-replay: bad value for -%c: '%s'\n", c, optarg);
		return -EINVAL;
	}
	if (optind < argc) {
		fprintf(stderr, "edgebert-replay: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	if (!o->entropy || !o->lut || !o->have_threshold) {
		fprintf(stderr, "edgebert-replay: --entropy, --lut and --threshold are required\n");
		return -EINVAL;
	}
	return 0;
}

static double ratio(double base, double x)
{
	return x > 0 ? base / x : 0;
}

static void print(const struct opts *o, const struct eb_replay_stats *st)
{
	double r_no = ratio(st->energy_no_exit, st->energy_policy);
	double r_ub = ratio(st->energy_unbounded, st->energy_policy);
	double r_or = ratio(st->energy_oracle, st->energy_policy);

	if (o->json) {
		printf("{\"sentences\": %u, \"avg_exit_layer_ee\": %.4f, "
		       "\"avg_exit_layer_predictor\": %.4f, \"energy_ratio_vs_no_exit\": %.4f, "
		       "\"energy_ratio_vs_unbounded_exit\": %.4f, \"energy_ratio_vs_oracle\": %.4f, "
		       "\"deadline_misses\": %u, \"infeasible\": %u, \"capped\": %u, "
		       "\"avg_exit_layer_policy\": %.4f, \"target_ms\": %.6f, "
		       "\"energy_uj_policy\": %.3f, \"energy_uj_no_exit\": %.3f, "
		       "\"energy_uj_unbounded_exit\": %.3f, \"energy_uj_oracle\": %.3f, "
		       "\"latency_ms_avg\": %.6f, \"latency_ms_max\": %.6f, \"switches\": %u}\n",
		       st->sentences, st->avg_exit_ee, st->avg_exit_predictor, r_no, r_ub, r_or,
		       st->deadline_misses, st->infeasible, st->capped, st->avg_exit_policy,
		       st->target_ns / 1e6, st->energy_policy / 1e6, st->energy_no_exit / 1e6,
		       st->energy_unbounded / 1e6, st->energy_oracle / 1e6,
		       st->latency_policy_avg / 1e6, st->latency_policy_max / 1e6, st->switches);
		return;
	}
	printf("sentences                   %u (%u infeasible, %u capped by the target)\n",
	       st->sentences, st->infeasible, st->capped);
	printf("target                      %.3f ms\n", st->target_ns / 1e6);
	printf("policy                      %s\n",
	       o->kind == EB_POLICY_PAPER ? "paper" : "repredict");
	printf("avg exit layer              entropy exit %.4f, predictor %.4f, policy %.4f\n",
	       st->avg_exit_ee, st->avg_exit_predictor, st->avg_exit_policy);
	printf("energy per sentence         policy %.1f uJ, oracle %.1f uJ\n",
	       st->energy_policy / 1e6, st->energy_oracle / 1e6);
	printf("  vs no early exit          %.1f uJ  ratio %.3fx\n", st->energy_no_exit / 1e6,
	       r_no);
	printf("  vs unbounded early exit   %.1f uJ  ratio %.3fx\n",
	       st->energy_unbounded / 1e6, r_ub);
	printf("  vs oracle                 ratio %.3fx (oracle gap %.2f%%)\n", r_or,
	       (1.0 / (r_or ? r_or : 1) - 1.0) * 100.0);
	printf("latency                     avg %.3f ms, max %.3f ms\n",
	       st->latency_policy_avg / 1e6, st->latency_policy_max / 1e6);
	printf("deadline misses             %u\n", st->deadline_misses);
	printf("DVFS switches               %u\n", st->switches);
}

int main(int argc, char **argv)
{
	struct opts o = { .seq = 128, .kind = EB_POLICY_PAPER };
	/* ALBERT-base: vocab, positions, token types, E, H, heads, FFN, layers. */
	struct eb_dims d = { 30000, 512, 2, 128, 768, 12, 3072, 0 };
	struct eb_entropy_log log;
	struct eb_exit_lut lut;
	struct eb_policy_table *t;
	struct eb_policy_cfg cfg;
	struct eb_replay_stats st;
	struct eb_hw hw;
	uint64_t ns, pj;
	char err[512];
	int ret;

	if (parse_args(argc, argv, &o)) {
		fprintf(stderr, "Try 'edgebert-replay --help'.\n");
		return 2;
	}
	ret = eb_entropy_log_load(o.entropy, &log, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "edgebert-replay: %s\n", ret == -ENOMEM ? strerror(ENOMEM) : err);
		return 1;
	}
	ret = eb_lut_load(o.lut, &lut, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "edgebert-replay: %s\n", ret == -ENOMEM ? strerror(ENOMEM) : err);
		eb_entropy_log_free(&log);
		return 1;
	}
	t = malloc(sizeof(*t));
	ret = t ? 0 : -ENOMEM;
	if (ret)
		fprintf(stderr, "edgebert-replay: %s\n", strerror(ENOMEM));
	d.layers = log.layers;
	if (!ret && !o.predict_layer && !eb_lut_predict_layer(&lut, log.layers)) {
		fprintf(stderr, "edgebert-replay: %s: %u columns do not fit a %u-layer log; "
			"give --predict-layer\n", o.lut, lut.cols, log.layers);
		ret = -EINVAL;
	}
	if (!ret && o.predict_layer > log.layers) {
		fprintf(stderr, "edgebert-replay: --predict-layer %u beyond the log's %u layers\n",
			o.predict_layer, log.layers);
		ret = -EINVAL;
	}
	if (!ret) {
		eb_hw_default(&hw);
		ret = eb_policy_table_build(t, &hw, &d, o.seq, 2, NULL, 0);
		if (ret)
			fprintf(stderr, "edgebert-replay: cost model rejects seq %u\n", o.seq);
	}
	if (!ret) {
		eb_policy_fixed(t, t->opp_count - 1, t->layers, 0, &ns, &pj);
		cfg = (struct eb_policy_cfg){
			.table = t, .lut = &lut, .threshold = o.threshold,
			.predict_layer = o.predict_layer, .kind = o.kind,
			.target_ns = o.target_ms > 0 ? (uint64_t)(o.target_ms * 1e6) : ns,
		};
		ret = eb_replay(&log, &cfg, &st);
		if (ret)
			fprintf(stderr, "edgebert-replay: replay failed: %s\n", strerror(-ret));
		else
			print(&o, &st);
	}
	free(t);
	eb_lut_free(&lut);
	eb_entropy_log_free(&log);
	return ret ? 1 : 0;
}
