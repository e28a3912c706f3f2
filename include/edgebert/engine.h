/* SPDX-License-Identifier: MIT */
/*
 * libedgebert: the engine, one task of a model on a backend, classifying
 * sentences under a per-sentence latency target with the EdgeBERT exit
 * predictor and DVFS policy (docs/policy.md).
 *
 * Backends: the EdgeBERT device through the edgebert DRM driver (one
 * device or spread over all of them), or the CPU (the same compute core on
 * the host, charging the device's cost model). Both give identical
 * results: labels, logits, per-layer entropies, exit layers, operating
 * points, modeled cycles, time and energy.
 *
 * Per sentence with a policy: layers 1..p (the task LUT's prediction layer)
 * run at the start point with early exit; at p the exit layer F is
 * predicted; the rest runs at the cheapest operating point whose time,
 * switch included, fits the remaining budget, with early exit and a forced
 * exit at F. On the device that is one job up to p (state stored), then
 * one job from the stored state at the chosen point (the re-predicting
 * policy uses one job per later layer, as it may switch after each).
 *
 * An engine is thread-safe: calls on one engine are serialised. Engines
 * share nothing; the model must stay open while its engines live. All
 * functions return 0 (or a count) or a negative errno.
 */
#ifndef EDGEBERT_ENGINE_H
#define EDGEBERT_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "cpu.h"
#include "model.h"

#ifdef __cplusplus
extern "C" {
#endif

struct eb_engine;

enum eb_backend {
	EB_BACKEND_AUTO = 0,	/* the device if an edgebert render node exists, else CPU */
	EB_BACKEND_CPU,
	EB_BACKEND_DEVICE,
};

enum eb_exit_policy {
	EB_EXIT_PAPER = 0,	/* predict once at p, one point for the rest */
	EB_EXIT_REPREDICT,	/* re-predict and re-choose after every later layer */
	EB_EXIT_OFF,		/* plain entropy exit at one fixed point */
};

#define EB_DEVICE_ALL		(-1)	/* .device: spread sentences over every device */
#define EB_OPP_NOMINAL		0xffffffffu	/* .opp: the highest allowed point */

struct eb_result;

/* Completion callback (see .on_result); runs without the engine's lock. */
typedef void (*eb_result_fn)(void *arg, const struct eb_result *res);

struct eb_engine_opts {
	enum eb_backend backend;
	int device;		/* device index, or EB_DEVICE_ALL (device backend) */
	const char *task;	/* task name; NULL: task 0 */
	enum eb_exit_policy policy;
	float threshold;	/* entropy threshold; < 0: the task's */
	/*
	 * Latency target per sentence (modeled device time, ns, including
	 * the switch from wherever the device is into the start point, which
	 * the plan keeps in reserve); 0: the sentence's time without early
	 * exit at the nominal point, plus that reserve.
	 */
	uint64_t target_ns;
	uint32_t opp;		/* EB_EXIT_OFF: operating point, or EB_OPP_NOMINAL */
	uint32_t predict_layer;	/* 0: from the task's LUT */
	uint32_t max_inflight;	/* sentences in flight per device; 0: 16 */
	/*
	 * CPU backend: the hardware whose time and energy it models (e.g. a
	 * device's, from eb_engine_hw()); NULL: eb_hw_default().
	 */
	const struct eb_hw *hw;
	eb_result_fn on_result;	/* NULL: results queue up for eb_engine_poll() */
	void *on_result_arg;
};

/* Defaults: auto backend, device 0, task 0, paper policy, task threshold. */
void eb_engine_opts_init(struct eb_engine_opts *opts);

/* One classified sentence. */
struct eb_result {
	uint64_t tag;		/* the submitter's */
	int status;		/* 0, or the sentence's -errno (-ERANGE: target infeasible) */
	int device;		/* device index it ran on; -1: CPU */
	uint32_t label;		/* argmax of logits (first on ties) */
	char label_name[64];
	uint32_t labels;
	float logits[EB_RESULT_MAX_LABELS];	/* of the exit layer's off-ramp */
	float entropy[EB_RESULT_MAX_LAYERS];	/* per layer run; NaN beyond the exit */
	uint32_t tokens;	/* sequence length, [CLS] and [SEP] included */
	uint32_t exit_layer;	/* 1-based */
	uint32_t predicted_layer;	/* forced exit F; 0: exited by p or no policy */
	uint32_t opp_start;	/* device operating point of layers 1..p */
	uint32_t opp_after;	/* point chosen at the prediction layer */
	uint32_t opp_last;	/* point of the exit layer */
	uint32_t switches;	/* DVFS transitions in the sentence */
	int capped;		/* the target cut the sentence before its predicted exit */
	uint64_t cycles;	/* modeled device cost, switches included */
	uint64_t device_ns;
	uint64_t energy_pj;
	uint64_t target_ns;
	int deadline_met;	/* device_ns <= target_ns */
};

/*
 * Open an engine for a task of an open model. With the device backend the
 * task's weights are uploaded once per device, and each device's eNVM must
 * hold the model's embeddings: it is programmed if it does not (which needs
 * CAP_SYS_ADMIN; -EPERM otherwise). On failure err (if not NULL) holds a
 * message. Errors: -ENOENT (no such task), -ENODEV (no device for a forced
 * device backend), -EINVAL, -EPERM, -ENOMEM, driver errors.
 */
int eb_engine_open(const struct eb_model *model, const struct eb_engine_opts *opts,
		   struct eb_engine **engine, char *err, size_t errlen);

/* Waits for the sentences in flight (their results are dropped). */
void eb_engine_close(struct eb_engine *engine);

/* The backend in use (EB_BACKEND_CPU or EB_BACKEND_DEVICE) and its devices. */
enum eb_backend eb_engine_backend(const struct eb_engine *engine);
unsigned int eb_engine_device_count(const struct eb_engine *engine);
/*
 * The hardware the policy plans with on device dev (its capabilities and
 * the OPP table inside the admin's window), or the CPU backend's (dev 0).
 * -EINVAL for a bad dev.
 */
int eb_engine_hw(const struct eb_engine *engine, unsigned int dev, struct eb_hw *hw);

/* Operating points the policy may use ([first, first + count)), device indices. */
void eb_engine_opp_window(const struct eb_engine *engine, uint32_t *first, uint32_t *count);

/* Classify one sentence (UTF-8), synchronously. res->status is the return. */
int eb_engine_classify(struct eb_engine *engine, const char *text, struct eb_result *res);

/* The same from token ids ([CLS] ... [SEP]) and types (NULL: all 0). */
int eb_engine_classify_ids(struct eb_engine *engine, const uint32_t *ids,
			   const uint32_t *types, uint32_t n, struct eb_result *res);

/*
 * Classify n sentences, keeping many in flight; res[i] for text[i].
 * Returns 0 if all succeeded, else the first failing sentence's -errno
 * (every res[i].status is set).
 */
int eb_engine_classify_batch(struct eb_engine *engine, const char *const *text,
			     size_t n, struct eb_result *res);

/*
 * Asynchronous use: queue a sentence (tag comes back in its result). It
 * may block until a device slot is free. Results are delivered by
 * eb_engine_poll(), to .on_result if set (then out may be NULL), else into
 * out. -EINVAL for an empty or too long input.
 */
int eb_engine_submit(struct eb_engine *engine, const char *text, uint64_t tag);
int eb_engine_submit_ids(struct eb_engine *engine, const uint32_t *ids,
			 const uint32_t *types, uint32_t n, uint64_t tag);

/*
 * Deliver up to max finished results, waiting up to timeout_ms (< 0:
 * until at least one is done or nothing is pending; 0: no wait). Returns
 * the number delivered.
 */
int eb_engine_poll(struct eb_engine *engine, struct eb_result *out, unsigned int max,
		   int timeout_ms);

/* Sentences submitted and not yet delivered. */
unsigned int eb_engine_pending(const struct eb_engine *engine);

/* Engine counters. */
struct eb_engine_stats {
	uint64_t sentences;	/* delivered */
	uint64_t jobs;		/* device jobs submitted */
	uint64_t waits;		/* io_uring waits (syscalls for completions) */
	uint64_t envm_programs;	/* eNVM images programmed at open */
};
void eb_engine_get_stats(struct eb_engine *engine, struct eb_engine_stats *st);

#ifdef __cplusplus
}
#endif

#endif /* EDGEBERT_ENGINE_H */
