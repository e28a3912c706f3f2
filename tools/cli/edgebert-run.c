// SPDX-License-Identifier: MIT
/*
 * edgebert-run: classify sentences with an EdgeBERT model on the device or
 * the CPU, under a latency target, and report what each one cost.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "edgebert.h"

static const char usage[] =
"Usage: edgebert-run -m MODEL [-t TASK] [--backend auto|cpu|device] [--device N|all]\n"
"                    [--target-ms MS] [--threshold T] [--policy paper|repredict|off]\n"
"                    [--opp N] [--json] [TEXT...]\n"
"\n"
"Classify sentences with an EdgeBERT model (.ebm). Each sentence is taken from\n"
"the arguments, or one per line from standard input when there are none.\n"
"\n"
"Per sentence, the exit policy runs the encoder up to the task's prediction\n"
"layer, predicts the exit layer from the off-ramp entropy with the task's\n"
"LUT, and runs the rest at the cheapest operating point (OPP) that still\n"
"meets the latency target, exiting early when the entropy falls below the\n"
"threshold and at the latest at the predicted layer (docs/policy.md).\n"
"\n"
"Options:\n"
"  -m, --model MODEL     the model file (required)\n"
"  -t, --task TASK       task name (default: the model's first task)\n"
"  -b, --backend B       auto (default): the EdgeBERT device if a render node\n"
"                        of the edgebert driver exists, else the CPU; cpu;\n"
"                        device (fail if there is none)\n"
"  -d, --device N|all    device index (default 0), or spread the sentences\n"
"                        over every device\n"
"  -T, --target-ms MS    latency target per sentence, in modeled device\n"
"                        milliseconds, including the switch into the first\n"
"                        OPP (default: the sentence's time without early exit\n"
"                        at the nominal OPP, plus the largest OPP switch)\n"
"  -e, --threshold T     entropy threshold in nats (default: the task's)\n"
"  -p, --policy P        paper (default): predict once at the prediction\n"
"                        layer; repredict: re-predict and re-choose the OPP\n"
"                        after every later layer; off: plain early exit at\n"
"                        one fixed OPP (--opp)\n"
"  -o, --opp N           with --policy off: the OPP index (default: nominal)\n"
"  -j, --json            one JSON object per sentence, then a summary object\n"
"  -h, --help            this text\n"
"\n"
"Output (text): per sentence its label, exit layer, predicted exit layer (-\n"
"when the sentence exited by the prediction layer), OPP before -> after the\n"
"prediction, modeled latency and energy, and whether the target was met; then\n"
"a summary: sentences, average exit layer, average energy, deadline misses,\n"
"and sentences per second of wall-clock time.\n"
"\n"
"Programming the device's eNVM with the model's embeddings (done at the first\n"
"run of a model) needs root; otherwise run `ebctl envm program MODEL` once.\n"
"\n"
"Exit status: 0 if every sentence was classified, 1 on errors, 2 on bad usage.\n";

struct summary {
	unsigned long n, errors, misses;
	double layers, energy_uj, latency_ms;
};

static void print_json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void report(const char *text, const struct eb_result *r, int json, struct summary *sum)
{
	uint32_t i;

	if (r->status) {
		sum->errors++;
		if (r->status == -ERANGE)
			sum->misses++;
		if (json) {
			printf("{\"text\":");
			print_json_string(text);
			printf(",\"error\":");
			print_json_string(r->status == -ERANGE ? "target infeasible" : strerror(-r->status));
			printf("}\n");
		} else {
			fprintf(stderr, "edgebert-run: \"%s\": %s\n", text,
				r->status == -ERANGE ? "the latency target cannot be met" :
				strerror(-r->status));
		}
		return;
	}
	sum->n++;
	sum->layers += r->exit_layer;
	sum->energy_uj += r->energy_pj / 1e6;
	sum->latency_ms += r->device_ns / 1e6;
	sum->misses += !r->deadline_met;
	if (json) {
		printf("{\"text\":");
		print_json_string(text);
		printf(",\"label\":");
		print_json_string(r->label_name);
		printf(",\"label_index\":%u,\"logits\":[", r->label);
		for (i = 0; i < r->labels; i++)
			printf("%s%.9g", i ? "," : "", r->logits[i]);
		printf("],\"entropy\":[");
		for (i = 0; i < r->exit_layer; i++)
			printf("%s%.9g", i ? "," : "", r->entropy[i]);
		printf("],\"exit_layer\":%u,\"predicted_layer\":%u,\"opp_start\":%u,"
		       "\"opp_after\":%u,\"switches\":%u,\"cycles\":%llu,\"device_ns\":%llu,"
		       "\"energy_pj\":%llu,\"target_ns\":%llu,\"deadline_met\":%s,\"device\":%d}\n",
		       r->exit_layer, r->predicted_layer, r->opp_start, r->opp_after, r->switches,
		       (unsigned long long)r->cycles, (unsigned long long)r->device_ns,
		       (unsigned long long)r->energy_pj, (unsigned long long)r->target_ns,
		       r->deadline_met ? "true" : "false", r->device);
		return;
	}
	printf("%-12s exit %2u  predicted ", r->label_name, r->exit_layer);
	if (r->predicted_layer)
		printf("%2u", r->predicted_layer);
	else
		printf(" -");
	printf("  OPP %2u -> %2u  %8.3f ms  %9.2f uJ  %s  %s\n", r->opp_start, r->opp_after,
	       r->device_ns / 1e6, r->energy_pj / 1e6, r->deadline_met ? "met   " : "MISSED",
	       text);
}

/* Next stdin line without its newline, or NULL at the end. */
static char *read_line(char **buf, size_t *cap)
{
	ssize_t n = getline(buf, cap, stdin);

	if (n < 0)
		return NULL;
	while (n && ((*buf)[n - 1] == '\n' || (*buf)[n - 1] == '\r'))
		(*buf)[--n] = 0;
	return *buf;
}

static int parse_u32(const char *s, uint32_t *v)
{
	char *end;
	unsigned long x;

	errno = 0;
	x = strtoul(s, &end, 10);
	if (errno || end == s || *end || x > UINT32_MAX)
		return -1;
	*v = (uint32_t)x;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "model", required_argument, NULL, 'm' },
		{ "task", required_argument, NULL, 't' },
		{ "backend", required_argument, NULL, 'b' },
		{ "device", required_argument, NULL, 'd' },
		{ "target-ms", required_argument, NULL, 'T' },
		{ "threshold", required_argument, NULL, 'e' },
		{ "policy", required_argument, NULL, 'p' },
		{ "opp", required_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct eb_engine_opts o;
	struct eb_model *model = NULL;
	struct eb_engine *eng = NULL;
	struct summary sum = { 0 };
	struct eb_result *res = NULL;
	const char **texts = NULL, **owned = NULL;
	size_t ntext = 0, tcap = 0;
	struct timespec t0, t1;
	const char *model_path = NULL, *be;
	char err[512], *line = NULL, *end;
	size_t cap = 0;
	double ms, wall;
	int c, i, json = 0, ret, status = 1;

	eb_engine_opts_init(&o);
	while ((c = getopt_long(argc, argv, "m:t:b:d:T:e:p:o:jh", longopts, NULL)) != -1) {
		switch (c) {
		case 'm':
			model_path = optarg;
			break;
		case 't':
			o.task = optarg;
			break;
		case 'b':
			if (!strcmp(optarg, "auto"))
				o.backend = EB_BACKEND_AUTO;
			else if (!strcmp(optarg, "cpu"))
				o.backend = EB_BACKEND_CPU;
			else if (!strcmp(optarg, "device"))
				o.backend = EB_BACKEND_DEVICE;
			else
				goto bad_arg;
			break;
		case 'd':
			if (!strcmp(optarg, "all")) {
				o.device = EB_DEVICE_ALL;
			} else {
				uint32_t v;

				if (parse_u32(optarg, &v) || v > 1024)
					goto bad_arg;
				o.device = (int)v;
			}
			break;
		case 'T':
			ms = strtod(optarg, &end);
			if (end == optarg || *end || !(ms > 0) || ms > 1e9)
				goto bad_arg;
			o.target_ns = (uint64_t)(ms * 1e6);
			break;
		case 'e':
			o.threshold = strtof(optarg, &end);
			if (end == optarg || *end || !(o.threshold >= 0))
				goto bad_arg;
			break;
		case 'p':
			if (!strcmp(optarg, "paper"))
				o.policy = EB_EXIT_PAPER;
			else if (!strcmp(optarg, "repredict"))
				o.policy = EB_EXIT_REPREDICT;
			else if (!strcmp(optarg, "off"))
				o.policy = EB_EXIT_OFF;
			else
				goto bad_arg;
			break;
		case 'o':
			if (parse_u32(optarg, &o.opp))
				goto bad_arg;
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			goto bad;
		}
	}
	if (!model_path) {
		fprintf(stderr, "edgebert-run: no model (-m MODEL)\n");
		goto bad;
	}
	ret = eb_model_open(model_path, &model, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "edgebert-run: %s\n", err);
		return 1;
	}
	ret = eb_engine_open(model, &o, &eng, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "edgebert-run: %s\n", err);
		goto out;
	}
	be = eb_engine_backend(eng) == EB_BACKEND_CPU ? "cpu" : "device";
	if (!json)
		printf("# backend %s%s, %u device(s)\n", be,
		       o.device == EB_DEVICE_ALL ? " (all)" : "", eb_engine_device_count(eng));
	/* all sentences first: a batch keeps many of them in flight on the device */
	if (optind < argc) {
		texts = (const char **)argv + optind;
		ntext = (size_t)(argc - optind);
	} else {
		while (read_line(&line, &cap)) {
			if (!*line)
				continue;
			if (ntext == tcap) {
				const char **g = realloc(owned, (tcap = tcap ? tcap * 2 : 64) * sizeof(*g));

				if (!g)
					goto oom;
				owned = g;
			}
			owned[ntext] = strdup(line);
			if (!owned[ntext])
				goto oom;
			ntext++;
		}
		texts = owned;
	}
	res = calloc(ntext ? ntext : 1, sizeof(*res));
	if (!res)
		goto oom;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	eb_engine_classify_batch(eng, texts, ntext, res);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	wall = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	for (size_t i = 0; i < ntext; i++)
		report(texts[i], &res[i], json, &sum);
	if (json)
		printf("{\"summary\":{\"backend\":\"%s\",\"sentences\":%lu,\"errors\":%lu,"
		       "\"avg_exit_layer\":%.4f,\"avg_energy_uj\":%.4f,\"avg_latency_ms\":%.6f,"
		       "\"deadline_misses\":%lu,\"sentences_per_s\":%.2f}}\n",
		       be, sum.n, sum.errors, sum.n ? sum.layers / sum.n : 0.0,
		       sum.n ? sum.energy_uj / sum.n : 0.0, sum.n ? sum.latency_ms / sum.n : 0.0,
		       sum.misses, wall > 0 ? sum.n / wall : 0.0);
	else
		printf("# %lu sentences (%lu errors), avg exit layer %.3f, avg energy %.2f uJ, "
		       "avg latency %.3f ms, %lu deadline misses, %.1f sentences/s\n",
		       sum.n, sum.errors, sum.n ? sum.layers / sum.n : 0.0,
		       sum.n ? sum.energy_uj / sum.n : 0.0, sum.n ? sum.latency_ms / sum.n : 0.0,
		       sum.misses, wall > 0 ? sum.n / wall : 0.0);
	if (!json && eb_engine_backend(eng) == EB_BACKEND_DEVICE) {
		struct eb_engine_stats st;

		eb_engine_get_stats(eng, &st);
		printf("# %llu device jobs, %llu completion waits, %llu eNVM programs\n",
		       (unsigned long long)st.jobs, (unsigned long long)st.waits,
		       (unsigned long long)st.envm_programs);
	}
	status = sum.errors ? 1 : 0;
	goto out;
oom:
	fprintf(stderr, "edgebert-run: out of memory\n");
out:
	for (size_t i = 0; owned && i < ntext; i++)
		free((void *)owned[i]);
	free(owned);
	free(res);
	free(line);
	eb_engine_close(eng);
	eb_model_close(model);
	return status;
bad_arg:
	for (i = 0; longopts[i].name && longopts[i].val != c; i++)
		;
	fprintf(stderr, "edgebert-run: invalid --%s '%s'\n", longopts[i].name, optarg);
bad:
	fputs("Try 'edgebert-run --help' for more information.\n", stderr);
	return 2;
}
