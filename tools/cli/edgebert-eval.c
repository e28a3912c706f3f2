// SPDX-License-Identifier: MIT
/*
 * edgebert-eval: accuracy of an EdgeBERT task on a labelled TSV file, run by
 * the C runtime: at the final layer, with plain entropy early exit, and with
 * the exit predictor; average exit layers.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edgebert.h"

static const char usage[] =
"Usage: edgebert-eval -m MODEL [-t TASK] --data TSV [--threshold T]\n"
"                     [--backend auto|cpu|device] [--json] [--verbose]\n"
"\n"
"Evaluate a task of an EdgeBERT model (.ebm) on labelled sentences with the\n"
"C runtime. It prints:\n"
"\n"
"  accuracy_final            accuracy at the last layer (no early exit)\n"
"  accuracy_early_exit       with plain entropy early exit: the sentence\n"
"                            leaves at the first off-ramp whose entropy is\n"
"                            below the threshold\n"
"  accuracy_predictor        with the EdgeBERT exit predictor: the task's LUT\n"
"                            predicts the exit layer at its prediction layer,\n"
"                            which then is a forced exit (docs/policy.md;\n"
"                            latency target: the time without early exit)\n"
"  avg_exit_layer_ee         average exit layer (1-based) with early exit\n"
"  avg_exit_layer_predictor  average exit layer with the predictor\n"
"\n"
"Every sentence runs three times (no exit, early exit, predictor), so the\n"
"three accuracies come from the runtime exactly as an application sees them.\n"
"Sentences longer than the model's max_position are truncated, as the\n"
"engine does.\n"
"\n"
"Options:\n"
"  -m, --model MODEL     the model file (required)\n"
"  -t, --task TASK       task name (default: the model's first task)\n"
"  -d, --data TSV        the sentences (required): a header line, then one\n"
"                        `text<TAB>label` per line; a label is a label name of\n"
"                        the task or its integer index; blank lines are skipped\n"
"  -e, --threshold T     entropy threshold in nats (default: the task's)\n"
"  -b, --backend B       auto (default: the device if there is one, else the\n"
"                        CPU), cpu or device; results are identical\n"
"  -j, --json            one JSON object: the keys above, plus sentences,\n"
"                        errors, task, threshold, layers, backend\n"
"  -v, --verbose         also one line per sentence: gold label, final,\n"
"                        early-exit and predictor labels with exit layers\n"
"  -h, --help            this text\n"
"\n"
"Example:\n"
"  edgebert-eval -m models/sst2.ebm --data ../shared/data/glue/sst2/dev.tsv\n"
"\n"
"Exit status: 0 on success, 1 on errors (unreadable files, bad labels,\n"
"failed sentences), 2 on bad usage.\n";

struct sample {
	char *text;
	uint32_t label;
};

static int parse_label(const struct eb_model *m, uint32_t task, uint32_t labels,
		       const char *s, uint32_t *out)
{
	char name[256], *end;
	unsigned long v;
	uint32_t i;

	for (i = 0; i < labels; i++) {
		if (eb_model_label(m, task, i, name, sizeof(name)) >= 0 && !strcmp(name, s)) {
			*out = i;
			return 0;
		}
	}
	errno = 0;
	v = strtoul(s, &end, 10);
	if (*s && !*end && !errno && v < labels) {
		*out = (uint32_t)v;
		return 0;
	}
	return -EINVAL;
}

static void rstrip(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' ||
		     s[n - 1] == '\t'))
		s[--n] = 0;
}

/* Reads the TSV; returns the number of samples or -1 (message printed). */
static long read_tsv(const char *path, const struct eb_model *m, uint32_t task,
		     uint32_t labels, struct sample **out)
{
	FILE *f = fopen(path, "r");
	struct sample *v = NULL, *nv;
	size_t cap = 0, n = 0, lcap = 0;
	char *line = NULL, *tab;
	long lineno = 0;

	if (!f) {
		fprintf(stderr, "edgebert-eval: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (getline(&line, &lcap, f) >= 0) {
		if (++lineno == 1)
			continue;		/* header */
		rstrip(line);
		if (!*line)
			continue;
		tab = strrchr(line, '\t');
		if (!tab) {
			fprintf(stderr, "edgebert-eval: %s:%ld: no tab\n", path, lineno);
			goto fail;
		}
		*tab = 0;
		if (n == cap) {
			cap = cap ? 2 * cap : 1024;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv)
				goto nomem;
			v = nv;
		}
		if (parse_label(m, task, labels, tab + 1, &v[n].label)) {
			fprintf(stderr, "edgebert-eval: %s:%ld: unknown label '%s'\n", path,
				lineno, tab + 1);
			goto fail;
		}
		v[n].text = strdup(line);
		if (!v[n].text)
			goto nomem;
		n++;
	}
	free(line);
	fclose(f);
	*out = v;
	return (long)n;
nomem:
	fprintf(stderr, "edgebert-eval: out of memory\n");
fail:
	while (n)
		free(v[--n].text);
	free(v);
	free(line);
	fclose(f);
	return -1;
}

/*
 * Runs all texts on one engine configuration: < 0 only if the engine cannot
 * be opened; sentence errors are in res[i].status.
 */
static int run(struct eb_model *m, const struct eb_engine_opts *o, const char *const *texts,
	       size_t n, struct eb_result *res, enum eb_backend *be)
{
	struct eb_engine *eng;
	char err[512];
	int ret;

	ret = eb_engine_open(m, o, &eng, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "edgebert-eval: %s\n", err);
		return ret;
	}
	*be = eb_engine_backend(eng);
	eb_engine_classify_batch(eng, texts, n, res);
	eb_engine_close(eng);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "model", required_argument, NULL, 'm' },
		{ "task", required_argument, NULL, 't' },
		{ "data", required_argument, NULL, 'd' },
		{ "threshold", required_argument, NULL, 'e' },
		{ "backend", required_argument, NULL, 'b' },
		{ "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *model_path = NULL, *data = NULL, *task_name = NULL;
	struct eb_result *res[3] = { NULL, NULL, NULL };
	struct eb_model *model = NULL;
	struct eb_engine_opts o[3];
	struct eb_task_info ti;
	struct eb_model_info mi;
	struct sample *s = NULL;
	const char **texts = NULL;
	enum eb_backend backend = EB_BACKEND_AUTO, be = EB_BACKEND_CPU;
	unsigned long correct[3] = { 0, 0, 0 }, errors = 0;
	double layers[2] = { 0, 0 };
	float thr = -1.0f;
	char err[512], *end;
	long n = 0, i;
	int c, k, json = 0, verbose = 0, ret, task, status = 1;

	while ((c = getopt_long(argc, argv, "m:t:d:e:b:jvh", longopts, NULL)) != -1) {
		switch (c) {
		case 'm':
			model_path = optarg;
			break;
		case 't':
			task_name = optarg;
			break;
		case 'd':
			data = optarg;
			break;
		case 'e':
			thr = strtof(optarg, &end);
			if (end == optarg || *end || !(thr >= 0))
				goto bad;
			break;
		case 'b':
			if (!strcmp(optarg, "auto"))
				backend = EB_BACKEND_AUTO;
			else if (!strcmp(optarg, "cpu"))
				backend = EB_BACKEND_CPU;
			else if (!strcmp(optarg, "device"))
				backend = EB_BACKEND_DEVICE;
			else
				goto bad;
			break;
		case 'j':
			json = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			goto bad;
		}
	}
	if (optind != argc || !model_path || !data) {
		fprintf(stderr, "edgebert-eval: %s\n", optind != argc ? "unexpected argument" :
			!model_path ? "no model (-m MODEL)" : "no data (--data TSV)");
		goto bad;
	}
	ret = eb_model_open(model_path, &model, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "edgebert-eval: %s\n", err);
		return 1;
	}
	task = task_name ? eb_model_find_task(model, task_name) : 0;
	if (task < 0) {
		fprintf(stderr, "edgebert-eval: %s: no task '%s'\n", model_path, task_name);
		goto out;
	}
	eb_model_get_info(model, &mi);
	eb_model_task_info(model, (uint32_t)task, &ti);
	if (thr < 0)
		thr = ti.threshold;
	n = read_tsv(data, model, (uint32_t)task, ti.labels, &s);
	if (n < 0)
		goto out;
	if (!n) {
		fprintf(stderr, "edgebert-eval: %s: no sentences\n", data);
		goto out;
	}
	texts = calloc((size_t)n, sizeof(*texts));
	for (k = 0; k < 3; k++)
		res[k] = calloc((size_t)n, sizeof(**res));
	if (!texts || !res[0] || !res[1] || !res[2]) {
		fprintf(stderr, "edgebert-eval: out of memory\n");
		goto out;
	}
	for (i = 0; i < n; i++)
		texts[i] = s[i].text;
	for (k = 0; k < 3; k++) {
		eb_engine_opts_init(&o[k]);
		o[k].backend = backend;
		o[k].task = ti.name;
		o[k].threshold = thr;
	}
	o[0].policy = EB_EXIT_OFF;		/* threshold 0: never exits early */
	o[0].threshold = 0.0f;
	o[1].policy = EB_EXIT_OFF;
	o[2].policy = EB_EXIT_PAPER;		/* target 0: the no-exit time */
	for (k = 0; k < 3; k++) {
		if (run(model, &o[k], texts, (size_t)n, res[k], &be))
			goto out;
	}
	for (i = 0; i < n; i++) {
		int bad = 0;

		for (k = 0; k < 3; k++) {
			if (res[k][i].status) {
				bad = 1;
				continue;
			}
			correct[k] += res[k][i].label == s[i].label;
			if (k)
				layers[k - 1] += res[k][i].exit_layer;
		}
		if (bad) {
			errors++;
			fprintf(stderr, "edgebert-eval: %s:%ld: %s\n", data, i + 2,
				strerror(-(res[0][i].status ? res[0][i].status :
					   res[1][i].status ? res[1][i].status :
					   res[2][i].status)));
		}
		if (verbose)
			printf("%ld gold %u final %u ee %u@%u predictor %u@%u\n", i + 1,
			       s[i].label, res[0][i].label, res[1][i].label,
			       res[1][i].exit_layer, res[2][i].label, res[2][i].exit_layer);
	}
	if (json)
		printf("{\"task\":\"%s\",\"backend\":\"%s\",\"layers\":%u,\"threshold\":%.6g,"
		       "\"sentences\":%ld,\"errors\":%lu,\"accuracy_final\":%.6f,"
		       "\"accuracy_early_exit\":%.6f,\"accuracy_predictor\":%.6f,"
		       "\"avg_exit_layer_ee\":%.4f,\"avg_exit_layer_predictor\":%.4f}\n",
		       ti.name, be == EB_BACKEND_CPU ? "cpu" : "device", mi.layers, thr, n,
		       errors, (double)correct[0] / n, (double)correct[1] / n,
		       (double)correct[2] / n, layers[0] / n, layers[1] / n);
	else
		printf("task %s (%s backend): %ld sentences, %lu errors, threshold %.4g\n"
		       "accuracy final layer (%u)   %.2f%%\n"
		       "accuracy early exit         %.2f%%  (avg exit layer %.3f)\n"
		       "accuracy exit predictor     %.2f%%  (avg exit layer %.3f)\n",
		       ti.name, be == EB_BACKEND_CPU ? "cpu" : "device", n, errors, thr,
		       mi.layers, 100.0 * correct[0] / n, 100.0 * correct[1] / n,
		       layers[0] / n, 100.0 * correct[2] / n, layers[1] / n);
	status = errors ? 1 : 0;
out:
	for (i = 0; i < n; i++)
		free(s[i].text);
	free(s);
	free(texts);
	for (k = 0; k < 3; k++)
		free(res[k]);
	eb_model_close(model);
	return status;
bad:
	fputs(usage, stderr);
	return 2;
}
