/* SPDX-License-Identifier: MIT */
/*
 * libedgebert: the EdgeBERT accelerator through the edgebert DRM driver.
 *
 * All functions return 0 (or a count) on success and a negative errno on
 * failure. A struct eb_device may be used from one thread at a time.
 */
#ifndef EDGEBERT_DEVICE_H
#define EDGEBERT_DEVICE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct eb_device;

/* What the hardware reports in its capability registers (docs/device.md). */
struct eb_device_caps {
	uint32_t version;		/* major << 16 | minor */
	uint32_t features;		/* EDGEBERT_FEATURE_* (uapi) */
	uint32_t mac_lanes;
	uint32_t vector_lanes;
	uint32_t freq_min_khz;
	uint32_t freq_max_khz;
	uint32_t volt_min_uv;
	uint32_t volt_max_uv;
	uint32_t opp_count;
	uint32_t envm_size;
	uint32_t envm_page_size;
	uint32_t sram_weight_size;
	uint32_t sram_act_size;
	uint32_t sq_entries;
	uint32_t cq_entries;
	uint32_t max_seq_len;
	uint32_t max_hidden;
	uint32_t max_heads;
	uint32_t max_ffn;
	uint32_t ldo_step_uv;
	uint32_t ldo_settle_ns;
	uint32_t adpll_relock_ns;
	uint32_t mac_energy_fj;
	uint32_t vector_energy_fj;
	uint32_t leakage_uw;
	uint32_t envm_read_fj_per_byte;
	uint32_t sram_read_fj_per_byte;
	uint32_t page_size;
	uint32_t envm_program_ns;	/* modeled program time per eNVM page */
	uint32_t envm_program_pj;	/* program energy per eNVM page */
	uint32_t max_layers;
	uint32_t max_labels;
};

/*
 * Number of EdgeBERT render nodes in the system (0 if none), or a negative
 * errno if /dev/dri cannot be read.
 */
int eb_device_count(void);

/*
 * Open the index-th EdgeBERT render node (in /dev/dri order) and read its
 * capabilities. -ENODEV if there is no such device.
 */
int eb_device_open(unsigned int index, struct eb_device **out);

/* Open a given render node; -ENODEV if its driver is not edgebert. */
int eb_device_open_path(const char *path, struct eb_device **out);

void eb_device_close(struct eb_device *dev);

/* The capabilities read at open time. */
const struct eb_device_caps *eb_device_caps(const struct eb_device *dev);

/* The render node's path, e.g. "/dev/dri/renderD128". */
const char *eb_device_path(const struct eb_device *dev);

/* The DRM file descriptor (owned by dev), for raw ioctls and polling. */
int eb_device_fd(const struct eb_device *dev);

/* Read one GET_PARAM value (enum drm_edgebert_param). */
int eb_device_get_param(const struct eb_device *dev, uint32_t param, uint64_t *value);

#ifdef __cplusplus
}
#endif

#endif /* EDGEBERT_DEVICE_H */
