// SPDX-License-Identifier: MIT
/*
 * edgebert-bench: speed of the compute core at ALBERT-base dims, next to
 * OpenBLAS sgemm in the same run (the only tool linked with OpenBLAS).
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cblas.h>

#include "core/ebm.h"
#include "core/graph.h"
#include "core/simd.h"
#include "edgebert/cpu.h"
#include "edgebert/model.h"

static const char usage[] =
"Usage: edgebert-bench [--seq N] [--reps N] [--sparsity P] [--threads N]\n"
"                      [--save-model FILE]\n"
"\n"
"Time the compute core at ALBERT-base dims (E=128, H=768, 12 heads, FFN\n"
"3072, 12 layers) with random AF8 weights, through the CPU backend:\n"
"  - ms per encoder layer (with its off-ramp) at sequence length N (default\n"
"    128), AF8 dense and AF8 + bitmask (--sparsity P pruned, default 0.5),\n"
"    on 1 thread and on --threads N (default: online CPUs);\n"
"  - ms per sentence: embeddings and all 12 layers, no early exit;\n"
"  - GFLOP/s of the core's linear kernel (N x 768 by 768 x 3072, counted as\n"
"    2*M*N*K like sgemm) with f32 and AF8 weights, on the AVX2 and the\n"
"    baseline vector path, and of OpenBLAS sgemm on the same shape with 1\n"
"    thread and with N.\n"
"Each figure is the median of --reps runs (default 7). --save-model writes\n"
"the random model, for tools/bench/vs-pytorch.sh.\n";

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static uint64_t seed = 0x2545f4914f6cdd1dull;

static float frand(void)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return (float)((seed >> 11) * (1.0 / 9007199254740992.0) * 2.0 - 1.0);
}

static float *rand_buf(size_t n, float scale, double sparsity)
{
	float *x = malloc(n * sizeof(*x));
	size_t i;

	if (!x) {
		perror("edgebert-bench");
		exit(1);
	}
	for (i = 0; i < n; i++) {
		x[i] = frand() * scale;
		if (fabsf(x[i]) < sparsity * scale)
			x[i] = 0.0f;
	}
	return x;
}

static void *xalloc(size_t n)
{
	void *p = NULL;

	if (posix_memalign(&p, 64, n ? n : 1)) {
		perror("edgebert-bench");
		exit(1);
	}
	return p;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, unsigned int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* A random ALBERT-base model: task 0 AF8 dense, task 1 AF8 + bitmask. */
static uint8_t *make_model(const struct eb_dims *d, double sp, size_t *size)
{
	static const char *const labels[] = { "neg", "pos" };
	uint32_t n = eb_task_tensor_count(d), i, t, rows, cols;
	float *tens[2][22 + 4 * EB_MAX_LAYERS], z[EB_MAX_HEADS], *word;
	struct eb_src_task tasks[2];
	struct eb_src_model src;
	char **vocab = calloc(d->vocab_size, sizeof(*vocab)), buf[32];
	uint8_t *img;

	if (!vocab) {
		perror("edgebert-bench");
		exit(1);
	}
	for (i = 0; i < d->vocab_size; i++) {
		static const char *const special[] = { "[PAD]", "[UNK]", "[CLS]", "[SEP]" };

		snprintf(buf, sizeof(buf), "w%u", i);
		vocab[i] = strdup(i < 4 ? special[i] : buf);
	}
	for (i = 0; i < d->heads; i++)
		z[i] = 1.0f;		/* full spans: every key computed */
	word = rand_buf((size_t)d->vocab_size * d->embed_dim, 1.0f, 0.0);
	for (t = 0; t < 2; t++) {
		for (i = 0; i < n; i++) {
			const char *name = eb_task_tensor_name(i);
			size_t k;

			eb_task_tensor_shape(d, 2, i, &rows, &cols);
			tens[t][i] = rand_buf((size_t)rows * cols,
					      rows == 1 ? 0.1f : 1.7f / sqrtf((float)cols),
					      rows == 1 || !t ? 0.0 : sp);
			if (strstr(name, "ln") && name[strlen(name) - 1] == 'g')
				for (k = 0; k < (size_t)rows * cols; k++)
					tens[t][i][k] += 1.0f;	/* LayerNorm gains near 1 */
		}
		tasks[t] = (struct eb_src_task){
			.name = t ? "sparse" : "dense", .labels = 2, .label_names = labels,
			.threshold = 0.0f, .span_max = d->max_position, .span_ramp = 32.0f,
			.span_z = z, .tensors = (const float *const *)tens[t],
			.matrix_enc = t ? EB_ENC_AF8_SPARSE : EB_ENC_AF8,
		};
	}
	src = (struct eb_src_model){
		.dims = *d, .ln_eps = 1e-12f, .cls_id = 2, .sep_id = 3, .unk_id = 1,
		.vocab = (const char *const *)vocab, .word_emb = word,
		.word_enc = EB_ENC_AF8, .task_count = 2, .tasks = tasks,
	};
	*size = eb_ebm_write(&src, NULL);
	img = xalloc(*size);
	eb_ebm_write(&src, img);
	for (t = 0; t < 2; t++)
		for (i = 0; i < n; i++)
			free(tens[t][i]);
	for (i = 0; i < d->vocab_size; i++)
		free(vocab[i]);
	free(vocab);
	free(word);
	return img;
}

static void fail(const char *what, int err)
{
	fprintf(stderr, "edgebert-bench: %s: %s\n", what, strerror(-err));
	exit(1);
}

/* Median ms per layer and per sentence of a task on n threads. */
static void time_task(struct eb_cpu *cpu, uint32_t task, const uint32_t *ids,
		      unsigned int seq, unsigned int reps, double *layer_ms,
		      double *sent_ms)
{
	struct eb_cpu_opts o = { .task = task, .threshold = 0.0f };
	double lt[64 * EB_MAX_LAYERS], st[64], t0;
	struct eb_cpu_result res;
	struct eb_cpu_cost cost;
	struct eb_cpu_step step;
	unsigned int r, l, nl = 0;
	int ret;

	for (r = 0; r < reps; r++) {
		ret = eb_cpu_begin(cpu, task, ids, NULL, seq, 0, &cost);
		if (ret)
			fail("eb_cpu_begin", ret);
		for (l = 0; l < 12; l++) {
			t0 = now();
			ret = eb_cpu_step(cpu, 0, &step);
			lt[nl++] = now() - t0;
			if (ret)
				fail("eb_cpu_step", ret);
		}
		t0 = now();
		ret = eb_cpu_run(cpu, ids, NULL, seq, &o, &res);
		st[r] = now() - t0;
		if (ret)
			fail("eb_cpu_run", ret);
	}
	*layer_ms = median(lt, nl) * 1e3;
	*sent_ms = median(st, reps) * 1e3;
}

/* Median GFLOP/s of the core's kernel at a SIMD level, y = x W^T. */
static double time_linear(const struct eb_tensor *w, const float *x, unsigned int seq,
			  float *y, float *ws, unsigned int reps, enum eb_simd path)
{
	double t[64], t0;
	unsigned int r;

	eb_simd_force(path);
	for (r = 0; r < reps; r++) {
		t0 = now();
		eb_linear(w, NULL, x, w->cols, seq, y, w->rows, ws);
		t[r] = now() - t0;
	}
	eb_simd_force(EB_SIMD_AUTO);
	return 2.0 * seq * w->rows * w->cols / median(t, reps) * 1e-9;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seq", required_argument, NULL, 's' },
		{ "reps", required_argument, NULL, 'r' },
		{ "sparsity", required_argument, NULL, 'p' },
		{ "threads", required_argument, NULL, 't' },
		{ "save-model", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct eb_dims d = { 30522, 512, 2, 128, 768, 12, 3072, 12 };
	unsigned int seq = 128, reps = 7, r, enc, task, nt, i;
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned int threads = online > 0 ? (unsigned int)online : 1;
	double sparsity = 0.5, t0, t[64], lms[2][2], sms[2][2], g, blas[2];
	const char *save = NULL;
	struct eb_msg m = eb_msg_init(NULL, 0);
	struct eb_model *model;
	struct eb_cpu *cpu;
	struct eb_tensor w;
	float *x, *y, *ws, *wf;
	uint32_t ids[512];
	uint8_t *img, *rec;
	size_t size, used;
	char err[256];
	FILE *f;
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's': seq = (unsigned int)atoi(optarg); break;
		case 'r': reps = (unsigned int)atoi(optarg); break;
		case 'p': sparsity = atof(optarg); break;
		case 't': threads = (unsigned int)atoi(optarg); break;
		case 'o': save = optarg; break;
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return 2;
		}
	}
	if (!seq || seq > 512 || !reps || reps > 64 || sparsity < 0 || sparsity >= 1 ||
	    !threads || threads > EB_CPU_MAX_THREADS) {
		fputs(usage, stderr);
		return 2;
	}

	img = make_model(&d, sparsity, &size);
	if (save) {
		f = fopen(save, "wb");
		if (!f || fwrite(img, 1, size, f) != size || fclose(f)) {
			perror(save);
			return 1;
		}
	}
	if (eb_model_open_mem(img, size, &model, err, sizeof(err))) {
		fprintf(stderr, "edgebert-bench: %s\n", err);
		return 1;
	}
	free(img);
	c = eb_cpu_new(model, &cpu);
	if (c)
		fail("eb_cpu_new", c);
	ids[0] = 2;
	for (i = 1; i < seq; i++)
		ids[i] = 5 + (uint32_t)((frand() + 1.0f) * 0.5f * (d.vocab_size - 6));
	printf("ALBERT-base (H 768, 12 heads, FFN 3072), seq %u, %s kernels, median of %u:\n",
	       seq, eb_simd_level() == EB_SIMD_AVX2 ? "AVX2" : "baseline", reps);
	for (nt = 0; nt < 2; nt++) {
		c = eb_cpu_set_threads(cpu, nt ? threads : 1);
		if (c)
			fail("eb_cpu_set_threads", c);
		for (task = 0; task < 2; task++)
			time_task(cpu, task, ids, seq, reps, &lms[task][nt], &sms[task][nt]);
	}
	printf("  %-26s %10s %10s %12s %12s\n", "", "ms/layer", "", "ms/sentence", "");
	printf("  %-26s %10s %10u %12s %12u\n", "threads", "1", threads, "1", threads);
	for (task = 0; task < 2; task++)
		printf("  %-26s %10.2f %10.2f %12.1f %12.1f\n",
		       task ? "AF8 + bitmask (pruned)" : "AF8 dense",
		       lms[task][0], lms[task][1], sms[task][0], sms[task][1]);
	eb_cpu_free(cpu);
	eb_model_close(model);

	/* the FFN-up shape: seq x 768 times 768 x 3072 */
	x = rand_buf((size_t)seq * 768, 1.0f, 0.0);
	y = xalloc((size_t)seq * 3072 * sizeof(float));
	ws = xalloc(eb_linear_ws_floats(768) * sizeof(float));
	wf = rand_buf((size_t)3072 * 768, 0.05f, 0.0);
	for (c = 1; c >= 0; c--) {
		openblas_set_num_threads(c ? 1 : (int)threads);
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)seq, 3072, 768,
			    1.0f, x, 768, wf, 768, 0.0f, y, 3072);	/* warm up threads */
		for (r = 0; r < reps; r++) {
			t0 = now();
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)seq, 3072, 768,
				    1.0f, x, 768, wf, 768, 0.0f, y, 3072);
			t[r] = now() - t0;
		}
		blas[!c] = 2.0 * seq * 768 * 3072 / median(t, reps) * 1e-9;
	}
	printf("GEMM %u x 768 x 3072 (y = x W^T), GFLOP/s, 1 thread:\n", seq);
	for (enc = EB_ENC_F32; enc <= EB_ENC_AF8; enc++) {
		rec = xalloc(eb_tensor_encode(wf, 3072, 768, enc, -1, NULL));
		size = eb_tensor_encode(wf, 3072, 768, enc, -1, rec);
		eb_tensor_parse(rec, size, &w, &used, &m);
		for (c = EB_SIMD_AVX2; c >= EB_SIMD_GENERIC; c--) {
			if (c == EB_SIMD_AVX2 && eb_simd_force(EB_SIMD_AVX2) != EB_SIMD_AVX2)
				continue;
			g = time_linear(&w, x, seq, y, ws, reps, (enum eb_simd)c);
			printf("  %-34s %8.2f  (%.2fx OpenBLAS)\n",
			       c == EB_SIMD_AVX2 ? (enc ? "core eb_linear, AF8, AVX2" :
						    "core eb_linear, f32, AVX2") :
			       (enc ? "core eb_linear, AF8, baseline" :
				"core eb_linear, f32, baseline"), g, g / blas[0]);
		}
		free(rec);
	}
	printf("  %-34s %8.2f\n", "OpenBLAS sgemm, 1 thread", blas[0]);
	printf("  %-34s %8.2f  (%u threads)\n", "OpenBLAS sgemm, N threads", blas[1], threads);
	free(x);
	free(y);
	free(ws);
	free(wf);
	return 0;
}
