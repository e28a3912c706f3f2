/* SPDX-License-Identifier: MIT */
/*
 * libedgebert: device telemetry from the edgebert generic netlink family
 * (docs/netlink.md): job completions, DVFS transitions, eNVM programming
 * and resets of every EdgeBERT device, from any process. A listener is
 * used by one thread at a time. Functions return 0 (or a count) or a
 * negative errno.
 */
#ifndef EDGEBERT_TELEMETRY_H
#define EDGEBERT_TELEMETRY_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct eb_telemetry;

enum eb_telemetry_kind {
	EB_TELEMETRY_JOB_DONE = 1,
	EB_TELEMETRY_DVFS_CHANGE,
	EB_TELEMETRY_ENVM_PROGRAMMED,
	EB_TELEMETRY_RESET,
};

/* One event; fields the kind does not carry are 0. */
struct eb_telemetry_event {
	enum eb_telemetry_kind kind;
	uint32_t device;		/* DRM render minor, e.g. 128 */
	uint64_t job_id;
	uint32_t status;		/* enum drm_edgebert_job_status */
	uint32_t exit_layer;
	uint32_t opp, opp_prev;
	uint32_t freq_khz, volt_uv;
	uint64_t cycles, device_ns, energy_pj;
	uint64_t latency_ns;		/* submit to completion, host clock */
	uint32_t envm_generation;
	uint64_t envm_size;
	uint32_t reset_reason;		/* enum edgebert_reset_reason */
};

/* Join the events group. -ENOENT if edgebert.ko is not loaded. */
int eb_telemetry_open(struct eb_telemetry **t);
void eb_telemetry_close(struct eb_telemetry *t);

/* The socket, to poll(2) for readability. */
int eb_telemetry_fd(const struct eb_telemetry *t);

/*
 * Up to max events, waiting up to timeout_ms (< 0: until one arrives).
 * Returns the number read (0 on timeout).
 */
int eb_telemetry_read(struct eb_telemetry *t, struct eb_telemetry_event *ev,
		      unsigned int max, int timeout_ms);

#ifdef __cplusplus
}
#endif

#endif /* EDGEBERT_TELEMETRY_H */
