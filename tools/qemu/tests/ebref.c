// SPDX-License-Identifier: MIT
/*
 * Reference results for tools/qemu/tests/qtest-edgebert.py: runs one sentence of
 * a .ebm task through the runtime's compute core on the host (the same
 * calls the CPU backend makes) and prints, per layer, the IEEE bits of the
 * off-ramp entropy and logits, so the device's results can be compared bit
 * for bit. Host tool only; not part of the QEMU build.
 *
 *   ebref MODEL TASK LAYERS OPP ID[:TYPE]...
 *
 * The last line, "cost CYCLES NS PJ", is the modeled cost at operating
 * point OPP of eb_hw_default(), charged in the CPU backend's groups.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include "../../../runtime/core/graph.h"

static unsigned int bits(float f)
{
	unsigned int u;

	memcpy(&u, &f, sizeof(u));
	return u;
}

int main(int argc, char **argv)
{
	static struct eb_ebm m;
	struct eb_task_weights tw;
	struct eb_work w, r;
	struct eb_cost c, sum = { 0 };
	struct eb_hw hw;
	uint32_t keys[EB_MAX_HEADS], opp;
	uint32_t ids[EB_MAX_SEQ], types[EB_MAX_SEQ], seq, task, layers, l, i;
	float logits[EB_MAX_LABELS], h, *x, *ws;
	char err[256];
	struct stat st;
	void *p;
	int fd;

	if (argc < 6) {
		fprintf(stderr, "usage: %s MODEL TASK LAYERS OPP ID[:TYPE]...\n", argv[0]);
		return 2;
	}
	fd = open(argv[1], O_RDONLY);
	if (fd < 0 || fstat(fd, &st) < 0) {
		perror(argv[1]);
		return 1;
	}
	p = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED || eb_ebm_parse(p, st.st_size, &m, err, sizeof(err))) {
		fprintf(stderr, "%s: %s\n", argv[1], err);
		return 1;
	}
	task = atoi(argv[2]);
	layers = atoi(argv[3]);
	opp = atoi(argv[4]);
	argv++;
	seq = argc - 5;
	eb_hw_default(&hw);
	if (task >= m.task_count || seq > EB_MAX_SEQ || !layers || layers > m.dims.layers)
		return 2;
	for (i = 0; i < seq; i++) {
		char *c = strchr(argv[4 + i], ':');

		ids[i] = strtoul(argv[4 + i], NULL, 0);
		types[i] = c ? strtoul(c + 1, NULL, 0) : 0;
	}
	if (eb_task_weights_parse(m.task[task].weights, m.task[task].weights_size,
				  &m.dims, &tw, err, sizeof(err))) {
		fprintf(stderr, "task: %s\n", err);
		return 1;
	}
	x = calloc((size_t)seq * m.dims.hidden, sizeof(float));
	ws = calloc(eb_graph_ws_floats(&m.dims, seq), sizeof(float));
	if (!x || !ws || eb_embed(&m.dims, m.ln_eps, &m.word_emb, &tw, ids, types,
				  seq, x, ws))
		return 1;
	eb_work_embed(&m.dims, seq, (uint64_t)seq * m.envm_size / m.dims.vocab_size, &w);
	eb_cost_of(&hw, &w, opp, &sum);
	for (l = 0; l < layers; l++) {
		eb_encoder_layer(&m.dims, m.ln_eps, &tw, seq, x, ws);
		eb_offramp(&m.dims, &tw, l, x, logits, &h, ws);
		eb_span_keys(&m.dims, &tw, seq, keys);
		eb_work_layer(&m.dims, seq, keys, tw.layer_zeros, &w);
		eb_work_offramp(&m.dims, tw.labels, &r);
		eb_work_add(&w, &r);
		eb_cost_of(&hw, &w, opp, &c);
		sum.cycles += c.cycles;
		sum.ns += c.ns;
		sum.energy_pj += c.energy_pj;
		printf("layer %u %08x", l + 1, bits(h));
		for (i = 0; i < tw.labels; i++)
			printf(" %08x", bits(logits[i]));
		printf("\n");
	}
	printf("cost %llu %llu %llu\n", (unsigned long long)sum.cycles,
	       (unsigned long long)sum.ns, (unsigned long long)sum.energy_pj);
	return 0;
}
