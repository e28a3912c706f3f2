// SPDX-License-Identifier: MIT
/*
 * edgebert-model: make and look into .ebm model files.
 *
 *   edgebert-model random OUT [--dims tiny|base] [--seed N] [--sparsity P]
 *   edgebert-model inspect FILE
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ebm.h"
#include "edgebert/model.h"
#include "model_internal.h"

static const char usage[] =
"Usage: edgebert-model random OUT [--dims tiny|base] [--seed N] [--sparsity P]\n"
"       edgebert-model inspect FILE\n"
"\n"
"Create or describe EdgeBERT model files (.ebm, docs/model-format.md).\n"
"\n"
"random   write a model with random weights: the shape of ALBERT-base\n"
"         (--dims base: E=128, H=768, 12 heads, FFN 3072, 12 layers, vocab\n"
"         30522) or a tiny one for tests (--dims tiny, the default). Two\n"
"         tasks: \"dense\" (AF8) and \"sparse\" (AF8 + bitmask); the word\n"
"         embeddings are AF8 + bitmask. Weights below the P quantile of\n"
"         magnitude are pruned (--sparsity P, default 0.5). Deterministic for\n"
"         a given --seed (default 1).\n"
"inspect  validate FILE and print its dims, tasks and tensor encodings.\n"
"\n"
"Exit status: 0 on success, 1 on errors, 2 on bad usage.\n";

/* xorshift64*: reproducible weights without libc's rand(). */
static double rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return (double)((*s * 2685821657736338717ull) >> 11) / 9007199254740992.0;
}

/* Uniform in [-a, a], then the |x| < cut fraction zeroed. */
static float *rand_tensor(size_t n, double a, double centre, double sparsity,
			  uint64_t *s)
{
	float *x = malloc(n * sizeof(*x));
	size_t i;

	if (!x)
		return NULL;
	for (i = 0; i < n; i++) {
		double u = rnd(s) * 2.0 - 1.0;

		/* uniform |u| makes the quantile of magnitude simply |u| */
		x[i] = fabs(u) < sparsity ? 0.0f : (float)(centre + a * u);
	}
	return x;
}

static int cmd_random(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dims", required_argument, NULL, 'd' },
		{ "seed", required_argument, NULL, 's' },
		{ "sparsity", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct eb_dims d = { 64, 24, 2, 16, 32, 4, 64, 4 };
	const char *labels[3] = { "negative", "neutral", "positive" };
	float span_z[EB_MAX_HEADS], lut[8 * 4], *tens[2][22 + 4 * EB_MAX_LAYERS];
	struct eb_src_task tasks[2];
	struct eb_src_model src;
	uint64_t seed = 1;
	double sparsity = 0.5;
	uint32_t i, t, rows, cols, n;
	char **vocab = NULL, err[256];
	float *word = NULL;
	uint8_t *img = NULL;
	size_t size;
	FILE *f;
	int c, ret = 1;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (!strcmp(optarg, "base"))
				d = (struct eb_dims){ 30522, 512, 2, 128, 768, 12, 3072, 12 };
			else if (strcmp(optarg, "tiny"))
				goto bad;
			break;
		case 's':
			seed = strtoull(optarg, NULL, 0) | 1;
			break;
		case 'p':
			sparsity = atof(optarg);
			if (sparsity < 0 || sparsity >= 1)
				goto bad;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			goto bad;
		}
	}
	if (optind + 1 != argc)
		goto bad;

	memset(tens, 0, sizeof(tens));
	vocab = calloc(d.vocab_size, sizeof(*vocab));
	if (!vocab)
		goto oom;
	for (i = 0; i < d.vocab_size; i++) {
		static const char *const special[5] = { "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]" };
		char buf[32];

		if (i < 5)
			snprintf(buf, sizeof(buf), "%s", special[i]);
		else
			snprintf(buf, sizeof(buf), "w%u", i);
		vocab[i] = strdup(buf);
		if (!vocab[i])
			goto oom;
	}
	word = rand_tensor((size_t)d.vocab_size * d.embed_dim, 1.0, 0.0, sparsity, &seed);
	if (!word)
		goto oom;
	/* heads: 0 skipped, 1 short span, the rest longer ones */
	for (i = 0; i < d.heads; i++)
		span_z[i] = i == 0 ? 0.0f : i == 1 ? 0.05f : (float)(0.3 + 0.7 * rnd(&seed));
	for (i = 0; i < 8 * 4; i++)
		lut[i] = (float)(i % 4 ? rnd(&seed) : (i / 4) * 0.1);
	for (t = 0; t < 2; t++) {
		n = eb_task_tensor_count(&d);
		for (i = 0; i < n; i++) {
			const char *name = eb_task_tensor_name(i);
			int ln_g = strstr(name, "ln") && name[strlen(name) - 1] == 'g';
			double a;

			eb_task_tensor_shape(&d, 3, i, &rows, &cols);
			a = rows == 1 ? 0.1 : 1.7 / sqrt(cols);
			if (!strcmp(name, "pos_emb") || !strcmp(name, "type_emb"))
				a = 0.5;
			if (!strcmp(name, "ramp.cls.w"))	/* confident ramps: entropies vary */
				a = 12.0 / sqrt(cols);
			tens[t][i] = rand_tensor((size_t)rows * cols, a, ln_g ? 1.0 : 0.0,
						 rows == 1 ? 0.0 : sparsity, &seed);
			if (!tens[t][i])
				goto oom;
		}
		tasks[t] = (struct eb_src_task){
			.name = t ? "sparse" : "dense",
			.labels = 3,
			.label_names = labels,
			.threshold = 0.3f,
			.lut_rows = 8, .lut_cols = 4, .lut_layer = 1,
			.lut = lut,
			.span_max = d.max_position < 16 ? d.max_position : 16,
			.span_ramp = 4.0f,
			.span_z = span_z,
			.tensors = (const float *const *)tens[t],
			.matrix_enc = t ? EB_ENC_AF8_SPARSE : EB_ENC_AF8,
		};
	}
	src = (struct eb_src_model){
		.dims = d, .ln_eps = 1e-12f,
		.cls_id = 2, .sep_id = 3, .unk_id = 1, .pad_id = 0,
		.flags = EB_EBM_FLAG_UNCASED,
		.vocab = (const char *const *)vocab,
		.word_emb = word, .word_enc = EB_ENC_AF8_SPARSE,
		.task_count = 2, .tasks = tasks,
	};
	size = eb_ebm_write(&src, NULL);
	if (posix_memalign((void **)&img, 64, size))
		goto oom;
	eb_ebm_write(&src, img);
	if (eb_ebm_parse(img, size, &(struct eb_ebm){ 0 }, err, sizeof(err))) {
		fprintf(stderr, "edgebert-model: internal error: %s\n", err);
		goto out;
	}
	f = fopen(argv[optind], "wb");
	if (!f || fwrite(img, 1, size, f) != size || fclose(f)) {
		fprintf(stderr, "edgebert-model: %s: %s\n", argv[optind], strerror(errno));
		goto out;
	}
	ret = 0;
	goto out;
oom:
	fprintf(stderr, "edgebert-model: out of memory\n");
out:
	for (t = 0; t < 2; t++)
		for (i = 0; i < 22 + 4 * EB_MAX_LAYERS; i++)
			free(tens[t][i]);
	for (i = 0; vocab && i < d.vocab_size; i++)
		free(vocab[i]);
	free(vocab);
	free(word);
	free(img);
	return ret;
bad:
	fputs(usage, stderr);
	return 2;
}

static const char *enc_name(const struct eb_tensor *t)
{
	static const char *const names[] = { "f32", "af8", "af8+bitmask" };

	return names[t->enc];
}

static void print_tensor(const char *name, const struct eb_tensor *t)
{
	printf("    %-14s %5u x %-5u %-12s bias %u  zeros %5.1f%%\n", name, t->rows,
	       t->cols, enc_name(t), t->bias,
	       100.0 * (double)t->zeros / ((double)t->rows * t->cols));
}

static int cmd_inspect(int argc, char **argv)
{
	const struct eb_ebm *e;
	struct eb_model *m;
	struct eb_task_weights tw;
	char err[256], label[64];
	uint32_t t, i, n;
	int ret;

	if (argc != 2) {
		fputs(usage, stderr);
		return 2;
	}
	ret = eb_model_open(argv[1], &m, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "edgebert-model: %s: %s\n", argv[1], err);
		return 1;
	}
	e = eb_model_ebm(m);
	printf("%s: .ebm %u.%u, %zu bytes\n", argv[1], EB_EBM_VERSION_MAJOR,
	       EB_EBM_VERSION_MINOR, m->size);
	printf("  dims: vocab %u, positions %u, types %u, E %u, H %u, heads %u, FFN %u, layers %u\n",
	       e->dims.vocab_size, e->dims.max_position, e->dims.type_vocab_size,
	       e->dims.embed_dim, e->dims.hidden, e->dims.heads, e->dims.ffn,
	       e->dims.layers);
	printf("  eNVM image (word embeddings): %zu bytes\n", e->envm_size);
	print_tensor("word_emb", &e->word_emb);
	for (t = 0; t < e->task_count; t++) {
		const struct eb_ebm_task *k = &e->task[t];

		eb_task_weights_parse(k->weights, k->weights_size, &e->dims, &tw, NULL, 0);
		printf("  task %u \"%s\": %u labels (", t, k->name, k->labels);
		for (i = 0; i < k->labels; i++) {
			eb_model_label(m, t, i, label, sizeof(label));
			printf("%s%s", i ? ", " : "", label);
		}
		printf("), threshold %g, LUT %ux%u at layer %u, weights %zu bytes\n",
		       k->threshold, k->lut_rows, k->lut_cols, k->lut_layer,
		       k->weights_size);
		printf("    spans: S_max %u, R %g, z", tw.span_max, tw.span_ramp);
		for (i = 0; i < e->dims.heads; i++)
			printf(" %g", tw.span_z[i]);
		printf("\n");
		n = eb_task_tensor_count(&e->dims);
		/* the shared layer and the first off-ramp; the others look alike */
		for (i = 0; i < n && i < 26; i++)
			print_tensor(eb_task_tensor_name(i), eb_task_tensor(&tw, i));
	}
	eb_model_close(m);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "random"))
		return cmd_random(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "inspect"))
		return cmd_inspect(argc - 1, argv + 1);
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		fputs(usage, stdout);
		return 0;
	}
	fputs(usage, stderr);
	return 2;
}
