// SPDX-License-Identifier: MIT
/*
 * The CPU backend: the core's embed / layer / off-ramp commands run on the
 * host, one sentence at a time, charging the device's cost model so the
 * reported cycles, time and energy are what the accelerator would spend.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/graph.h"
#include "edgebert/cpu.h"
#include "model_internal.h"

_Static_assert(EB_RESULT_MAX_LABELS == EB_MAX_LABELS, "label limits differ");
_Static_assert(EB_RESULT_MAX_LAYERS == EB_MAX_LAYERS, "layer limits differ");

/*
 * Fork-join pool for eb_encoder_layer_par(): the caller runs part 0, each
 * worker one other part per generation. The core decides what a part
 * computes, so the thread count never changes the bits.
 */
struct pool {
	pthread_mutex_t mu;
	pthread_cond_t go, done;
	uint64_t gen;
	uint32_t pending;
	int stop;
	void (*fn)(void *arg, uint32_t part);
	void *arg;
	uint32_t started;		/* worker threads running */
	pthread_t th[EB_CPU_MAX_THREADS];
	struct worker {
		struct pool *pool;
		uint32_t part;
	} w[EB_CPU_MAX_THREADS];
};

struct eb_cpu {
	const struct eb_model *model;
	struct eb_hw hw;
	float *x;		/* max_position x hidden activations */
	float *ws;		/* eb_graph_ws_floats(max_position) */
	float *part_ws[EB_CPU_MAX_THREADS];	/* eb_part_ws_floats() each */
	struct eb_par par;
	struct pool pool;
	/* the sentence in flight */
	uint32_t task, seq, layer;
};

static void *worker(void *arg)
{
	struct worker *w = arg;
	struct pool *p = w->pool;
	uint64_t seen = 0;
	void (*fn)(void *, uint32_t);
	void *fa;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->stop && p->gen == seen)
			pthread_cond_wait(&p->go, &p->mu);
		if (p->stop)
			break;
		seen = p->gen;
		fn = p->fn;
		fa = p->arg;
		pthread_mutex_unlock(&p->mu);
		fn(fa, w->part);
		pthread_mutex_lock(&p->mu);
		if (!--p->pending)
			pthread_cond_signal(&p->done);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

static void pool_run(void *ctx, void (*fn)(void *arg, uint32_t part), void *arg)
{
	struct pool *p = ctx;

	if (p->started) {
		pthread_mutex_lock(&p->mu);
		p->fn = fn;
		p->arg = arg;
		p->pending = p->started;
		p->gen++;
		pthread_cond_broadcast(&p->go);
		pthread_mutex_unlock(&p->mu);
	}
	fn(arg, 0);
	pthread_mutex_lock(&p->mu);
	while (p->pending)
		pthread_cond_wait(&p->done, &p->mu);
	pthread_mutex_unlock(&p->mu);
}

static void pool_stop(struct eb_cpu *c)
{
	struct pool *p = &c->pool;
	uint32_t i;

	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	pthread_cond_broadcast(&p->go);
	pthread_mutex_unlock(&p->mu);
	for (i = 0; i < p->started; i++)
		pthread_join(p->th[i], NULL);
	p->started = 0;
	p->stop = 0;
	for (i = 1; i < EB_CPU_MAX_THREADS; i++) {
		free(c->part_ws[i]);
		c->part_ws[i] = NULL;
	}
	c->par.parts = 1;
}

int eb_cpu_set_threads(struct eb_cpu *c, unsigned int n)
{
	const struct eb_dims *d = &c->model->ebm.dims;
	size_t wsf = eb_part_ws_floats(d, d->max_position);
	struct pool *p = &c->pool;
	long online;
	int ret = 0;

	if (!n) {
		online = sysconf(_SC_NPROCESSORS_ONLN);
		n = online > 0 ? (unsigned int)online : 1;
	}
	if (n > EB_CPU_MAX_THREADS)
		n = EB_CPU_MAX_THREADS;
	pool_stop(c);
	for (; p->started + 1 < n; p->started++) {
		c->part_ws[p->started + 1] = malloc(wsf * sizeof(float));
		if (!c->part_ws[p->started + 1]) {
			ret = -ENOMEM;
			break;
		}
		p->w[p->started] = (struct worker){ p, p->started + 1 };
		if (pthread_create(&p->th[p->started], NULL, worker, &p->w[p->started])) {
			ret = -EAGAIN;
			break;
		}
	}
	if (ret)
		pool_stop(c);
	c->par.parts = p->started + 1;
	return ret;
}

int eb_cpu_set_hw(struct eb_cpu *c, const struct eb_hw *hw)
{
	if (eb_hw_validate(hw))
		return -EINVAL;
	c->hw = *hw;
	return 0;
}

unsigned int eb_cpu_threads(const struct eb_cpu *c)
{
	return c->par.parts;
}

int eb_cpu_new(const struct eb_model *model, struct eb_cpu **out)
{
	const struct eb_dims *d = &model->ebm.dims;
	struct eb_cpu *c;

	*out = NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->model = model;
	eb_hw_default(&c->hw);
	pthread_mutex_init(&c->pool.mu, NULL);
	pthread_cond_init(&c->pool.go, NULL);
	pthread_cond_init(&c->pool.done, NULL);
	c->par = (struct eb_par){
		.parts = 1, .run = pool_run, .ctx = &c->pool, .ws = c->part_ws,
	};
	c->x = malloc((size_t)d->max_position * d->hidden * sizeof(float));
	c->ws = malloc(eb_graph_ws_floats(d, d->max_position) * sizeof(float));
	c->part_ws[0] = malloc(eb_part_ws_floats(d, d->max_position) * sizeof(float));
	if (!c->x || !c->ws || !c->part_ws[0]) {
		eb_cpu_free(c);
		return -ENOMEM;
	}
	/* fewer threads still compute the same bits: not worth failing for */
	eb_cpu_set_threads(c, 0);
	*out = c;
	return 0;
}

void eb_cpu_free(struct eb_cpu *c)
{
	if (!c)
		return;
	pool_stop(c);
	pthread_mutex_destroy(&c->pool.mu);
	pthread_cond_destroy(&c->pool.go);
	pthread_cond_destroy(&c->pool.done);
	free(c->part_ws[0]);
	free(c->x);
	free(c->ws);
	free(c);
}

static void charge(const struct eb_cpu *c, const struct eb_work *w, uint32_t opp,
		   struct eb_cpu_cost *cost)
{
	struct eb_cost k;

	eb_cost_of(&c->hw, w, opp, &k);
	cost->cycles = k.cycles;
	cost->ns = k.ns;
	cost->energy_pj = k.energy_pj;
}

int eb_cpu_begin(struct eb_cpu *c, uint32_t task, const uint32_t *ids,
		 const uint32_t *types, uint32_t n, uint32_t opp,
		 struct eb_cpu_cost *cost)
{
	const struct eb_ebm *e = &c->model->ebm;
	struct eb_work w;
	int ret;

	if (task >= e->task_count || opp >= c->hw.opp_count)
		return -EINVAL;
	ret = eb_embed(&e->dims, e->ln_eps, &e->word_emb, &c->model->tw[task],
		       ids, types, n, c->x, c->ws);
	if (ret)
		return ret;
	c->task = task;
	c->seq = n;
	c->layer = 0;
	/* the device reads one embedding row per token from eNVM */
	eb_work_embed(&e->dims, n, (uint64_t)n * e->envm_size / e->dims.vocab_size, &w);
	charge(c, &w, opp, cost);
	return 0;
}

int eb_cpu_step(struct eb_cpu *c, uint32_t opp, struct eb_cpu_step *step)
{
	const struct eb_ebm *e = &c->model->ebm;
	const struct eb_task_weights *tw = &c->model->tw[c->task];
	uint32_t keys[EB_MAX_HEADS];
	struct eb_work w, r;

	if (!c->seq || c->layer >= e->dims.layers)
		return -ERANGE;
	if (opp >= c->hw.opp_count)
		return -EINVAL;
	eb_encoder_layer_par(&e->dims, e->ln_eps, tw, c->seq, c->x, c->ws, &c->par);
	memset(step, 0, sizeof(*step));
	eb_offramp(&e->dims, tw, c->layer, c->x, step->logits, &step->entropy, c->ws);
	step->layer = ++c->layer;

	eb_span_keys(&e->dims, tw, c->seq, keys);
	eb_work_layer(&e->dims, c->seq, keys, tw->layer_zeros, &w);
	eb_work_offramp(&e->dims, tw->labels, &r);
	eb_work_add(&w, &r);
	charge(c, &w, opp, &step->cost);
	return 0;
}

static void cost_add(struct eb_cpu_cost *acc, const struct eb_cpu_cost *c)
{
	acc->cycles += c->cycles;
	acc->ns += c->ns;
	acc->energy_pj += c->energy_pj;
}

int eb_cpu_run(struct eb_cpu *c, const uint32_t *ids, const uint32_t *types,
	       uint32_t n, const struct eb_cpu_opts *o, struct eb_cpu_result *res)
{
	const struct eb_ebm *e = &c->model->ebm;
	uint32_t last = e->dims.layers, i;
	struct eb_cpu_step step;
	float thr;
	int ret;

	memset(res, 0, sizeof(*res));
	if (o->task >= e->task_count)
		return -EINVAL;
	thr = o->threshold < 0.0f ? e->task[o->task].threshold : o->threshold;
	if (o->max_layers && o->max_layers < last)
		last = o->max_layers;
	ret = eb_cpu_begin(c, o->task, ids, types, n, o->opp, &res->cost);
	if (ret)
		return ret;
	res->labels = e->task[o->task].labels;
	do {
		ret = eb_cpu_step(c, o->opp, &step);
		if (ret)
			return ret;
		res->entropy[step.layer - 1] = step.entropy;
		cost_add(&res->cost, &step.cost);
	} while (step.entropy >= thr && step.layer < last);
	res->exit_layer = step.layer;
	memcpy(res->logits, step.logits, sizeof(res->logits));
	for (i = 1; i < res->labels; i++)
		if (res->logits[i] > res->logits[res->prediction])
			res->prediction = i;
	return 0;
}
