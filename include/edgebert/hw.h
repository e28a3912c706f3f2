/* SPDX-License-Identifier: MIT */
/*
 * libedgebert: the hardware parameters of an EdgeBERT accelerator, as its
 * capability registers and OPP table report them (docs/device.md). The cost
 * model (docs/cost-model.md) turns work into cycles, time and energy with
 * them; the CPU backend models a device with these parameters.
 */
#ifndef EDGEBERT_HW_H
#define EDGEBERT_HW_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define EB_MAX_OPPS	32

/* One operating point. */
struct eb_opp {
	uint32_t freq_khz;
	uint32_t volt_uv;
};

/*
 * Hardware parameters: what the device's capability registers report
 * (docs/device.md); eb_hw_default() gives the device's defaults.
 */
struct eb_hw {
	uint32_t mac_lanes;
	uint32_t vector_lanes;
	uint32_t freq_max_khz;
	uint32_t volt_min_uv;
	uint32_t volt_max_uv;
	uint32_t ldo_step_uv;
	uint32_t ldo_settle_ns;
	uint32_t adpll_relock_ns;
	uint32_t mac_energy_fj;		/* per MAC at volt_max */
	uint32_t vector_energy_fj;	/* per vector-lane op at volt_max */
	uint32_t leakage_uw;		/* at volt_max, while busy */
	uint32_t envm_read_fj_per_byte;
	uint32_t sram_read_fj_per_byte;
	uint32_t opp_count;
	struct eb_opp opp[EB_MAX_OPPS];	/* index 0 = lowest voltage */
};

/* The device's default parameters and OPP table (docs/device.md). */
void eb_hw_default(struct eb_hw *hw);

/* Frequency the alpha-power law allows at a voltage (docs/device.md). */
uint32_t eb_hw_law_freq_khz(const struct eb_hw *hw, uint32_t volt_uv);

/* 0, or -EINVAL if the OPP table is not monotonic or outside the limits. */
int eb_hw_validate(const struct eb_hw *hw);

#ifdef __cplusplus
}
#endif

#endif /* EDGEBERT_HW_H */
