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

#include <cblas.h>

#include "core/ebm.h"
#include "core/graph.h"

static const char usage[] =
"Usage: edgebert-bench [--seq N] [--reps N] [--sparsity P]\n"
"\n"
"Time the compute core at ALBERT-base dims (E=128, H=768, 12 heads, FFN\n"
"3072) with random AF8 weights, single-threaded:\n"
"  - ms per encoder layer at sequence length N (default 128), AF8 dense and\n"
"    AF8 + bitmask (--sparsity P of the weights pruned, default 0.5);\n"
"  - GFLOP/s of the core's linear kernel (N x 768 by 768 x 3072, counted as\n"
"    2*M*N*K like sgemm) with f32 and AF8 weights, and of OpenBLAS sgemm on\n"
"    the same shape with 1 thread and with all threads.\n"
"Each figure is the best of --reps runs (default 5).\n";

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

/* An ALBERT-base task blob with random weights in one encoding. */
static uint8_t *make_task(const struct eb_dims *d, enum eb_encoding enc, double sp,
			  struct eb_task_weights *tw, size_t *size)
{
	uint32_t n = eb_task_tensor_count(d), i, rows, cols;
	float *t[22 + 4 * EB_MAX_LAYERS], z[EB_MAX_HEADS];
	struct eb_src_task src;
	char err[256];
	uint8_t *blob;

	for (i = 0; i < d->heads; i++)
		z[i] = 1.0f;
	for (i = 0; i < n; i++) {
		eb_task_tensor_shape(d, 2, i, &rows, &cols);
		t[i] = rand_buf((size_t)rows * cols, rows == 1 ? 0.1f : 1.7f / sqrtf((float)cols),
				rows == 1 ? 0.0 : sp);
	}
	src = (struct eb_src_task){
		.labels = 2, .span_max = 512, .span_ramp = 32.0f, .span_z = z,
		.tensors = (const float *const *)t, .matrix_enc = enc,
	};
	*size = eb_task_weights_encode(d, &src, NULL);
	blob = xalloc(*size);
	eb_task_weights_encode(d, &src, blob);
	for (i = 0; i < n; i++)
		free(t[i]);
	if (eb_task_weights_parse(blob, *size, d, tw, err, sizeof(err))) {
		fprintf(stderr, "edgebert-bench: %s\n", err);
		exit(1);
	}
	return blob;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seq", required_argument, NULL, 's' },
		{ "reps", required_argument, NULL, 'r' },
		{ "sparsity", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct eb_dims d = { 30522, 512, 2, 128, 768, 12, 3072, 12 };
	unsigned int seq = 128, reps = 5, r, enc;
	double sparsity = 0.5, t0, best, flops;
	struct eb_task_weights tw;
	struct eb_tensor w;
	struct eb_msg m = eb_msg_init(NULL, 0);
	float *x, *y, *ws, *wf;
	uint8_t *blob, *rec;
	size_t size, used;
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's': seq = (unsigned int)atoi(optarg); break;
		case 'r': reps = (unsigned int)atoi(optarg); break;
		case 'p': sparsity = atof(optarg); break;
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return 2;
		}
	}
	if (!seq || seq > 512 || !reps || sparsity < 0 || sparsity >= 1) {
		fputs(usage, stderr);
		return 2;
	}

	x = rand_buf((size_t)seq * 3072, 1.0f, 0.0);
	y = xalloc((size_t)seq * 3072 * sizeof(float));
	ws = xalloc(eb_graph_ws_floats(&d, seq) * sizeof(float));
	printf("ALBERT-base layer (H 768, 12 heads, FFN 3072), seq %u, 1 thread:\n", seq);
	for (enc = EB_ENC_AF8; enc <= EB_ENC_AF8_SPARSE; enc++) {
		blob = make_task(&d, enc, enc == EB_ENC_AF8 ? 0.0 : sparsity, &tw, &size);
		best = 1e9;
		for (r = 0; r < reps; r++) {
			memcpy(y, x, (size_t)seq * 768 * sizeof(float));
			t0 = now();
			eb_encoder_layer(&d, 1e-12f, &tw, seq, y, ws);
			best = fmin(best, now() - t0);
		}
		printf("  %-26s %8.1f ms/layer  (weights %.1f MB)\n",
		       enc == EB_ENC_AF8 ? "AF8 dense" : "AF8 + bitmask (pruned)",
		       best * 1e3, size / 1e6);
		free(blob);
	}

	/* the FFN-up shape: seq x 768 times 768 x 3072 */
	flops = 2.0 * seq * 768 * 3072;
	wf = rand_buf((size_t)3072 * 768, 0.05f, 0.0);
	printf("GEMM %u x 768 x 3072 (y = x W^T), GFLOP/s:\n", seq);
	for (enc = EB_ENC_F32; enc <= EB_ENC_AF8; enc++) {
		rec = xalloc(eb_tensor_encode(wf, 3072, 768, enc, -1, NULL));
		size = eb_tensor_encode(wf, 3072, 768, enc, -1, rec);
		eb_tensor_parse(rec, size, &w, &used, &m);
		best = 1e9;
		for (r = 0; r < reps; r++) {
			t0 = now();
			eb_linear(&w, NULL, x, 768, seq, y, 3072, ws);
			best = fmin(best, now() - t0);
		}
		printf("  %-26s %8.2f\n", enc == EB_ENC_F32 ? "core eb_linear, f32" :
		       "core eb_linear, AF8", flops / best * 1e-9);
		free(rec);
	}
	for (c = 1; c >= 0; c--) {
		openblas_set_num_threads(c ? 1 : 2);	/* this machine: 2 cores */
		best = 1e9;
		for (r = 0; r < reps + 1; r++) {	/* first run warms up threads */
			t0 = now();
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)seq, 3072, 768,
				    1.0f, x, 768, wf, 768, 0.0f, y, 3072);
			if (r)
				best = fmin(best, now() - t0);
		}
		printf("  %-26s %8.2f\n", c ? "OpenBLAS sgemm, 1 thread" :
		       "OpenBLAS sgemm, 2 threads", flops / best * 1e-9);
	}
	free(x);
	free(y);
	free(ws);
	free(wf);
	return 0;
}
