/* SPDX-License-Identifier: MIT */
/*
 * Bridge between the cost model and the DVFS policy: the per-sentence cost
 * table of include/edgebert/policy.h, from the device's capabilities.
 */
#ifndef EB_CORE_POLICY_COST_H
#define EB_CORE_POLICY_COST_H

#include "cost.h"
#include "../../include/edgebert/policy.h"

/*
 * Fill @t for a model of dims @d over @seq tokens with @labels labels:
 * embedding (seq * E bytes from eNVM), one encoder layer (span_keys per
 * head, NULL = full span; zero_weights clock-gated), one off-ramp, and the
 * switch costs, at every OPP of @hw. -EINVAL if @hw is invalid or the dims
 * are empty.
 */
int eb_policy_table_build(struct eb_policy_table *t, const struct eb_hw *hw,
			  const struct eb_dims *d, uint32_t seq, uint32_t labels,
			  const uint32_t *span_keys, uint64_t zero_weights);

#endif /* EB_CORE_POLICY_COST_H */
