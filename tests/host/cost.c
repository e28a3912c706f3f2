// SPDX-License-Identifier: MIT
/* The cost model: default table, law, transitions, time and energy. */
#include <errno.h>

#include "check_main.h"
#include "core/cost.h"

START_TEST(default_table)
{
	static const uint32_t mhz[16] = { 404, 449, 492, 535, 578, 619, 660, 700,
					  740, 779, 817, 855, 892, 928, 964, 1000 };
	struct eb_hw hw;
	uint32_t i;

	eb_hw_default(&hw);
	ck_assert_int_eq(eb_hw_validate(&hw), 0);
	ck_assert_uint_eq(hw.opp_count, 16);
	ck_assert_uint_eq(hw.mac_lanes, 256);
	ck_assert_uint_eq(hw.vector_lanes, 16);
	for (i = 0; i < 16; i++) {
		ck_assert_uint_eq(hw.opp[i].volt_uv, 500000 + 20000 * i);
		ck_assert_uint_eq(hw.opp[i].freq_khz, mhz[i] * 1000);
		if (i)
			ck_assert_uint_gt(hw.opp[i].freq_khz, hw.opp[i - 1].freq_khz);
	}
}
END_TEST

START_TEST(law)
{
	struct eb_hw hw;

	eb_hw_default(&hw);
	ck_assert_uint_eq(eb_hw_law_freq_khz(&hw, 800000), 1000000);
	ck_assert_uint_eq(eb_hw_law_freq_khz(&hw, 300000), 0);
	/* 0.65 V: 1000 * (0.35/0.5)^1.5 * 0.8/0.65 = 720.8 MHz. */
	ck_assert_uint_eq(eb_hw_law_freq_khz(&hw, 650000), 720000);
	/* Exactly on a whole MHz boundary is allowed: 0.8 V at 1 GHz. */
	hw.opp[15].freq_khz = 1000000;
	ck_assert_int_eq(eb_hw_validate(&hw), 0);
}
END_TEST

START_TEST(validate_rejects)
{
	struct eb_hw hw, bad;

	eb_hw_default(&hw);
	bad = hw;
	bad.opp[3].freq_khz += 1000;	/* above the law */
	ck_assert_int_eq(eb_hw_validate(&bad), -EINVAL);
	bad = hw;
	bad.opp[4].volt_uv = bad.opp[3].volt_uv;	/* not monotonic */
	ck_assert_int_eq(eb_hw_validate(&bad), -EINVAL);
	bad = hw;
	bad.opp[0].volt_uv = 480000;	/* below VOLT_MIN */
	ck_assert_int_eq(eb_hw_validate(&bad), -EINVAL);
	bad = hw;
	bad.opp_count = EB_MAX_OPPS + 1;
	ck_assert_int_eq(eb_hw_validate(&bad), -EINVAL);
	bad = hw;
	bad.opp[5].freq_khz = bad.opp[4].freq_khz - 1000;
	ck_assert_int_eq(eb_hw_validate(&bad), -EINVAL);
}
END_TEST

START_TEST(transition)
{
	struct eb_hw hw;

	eb_hw_default(&hw);
	ck_assert_uint_eq(eb_transition_ns(&hw, 0, 15), 15 * 10 + 500);
	ck_assert_uint_eq(eb_transition_ns(&hw, 15, 0), 15 * 10 + 500);
	ck_assert_uint_eq(eb_transition_ns(&hw, 3, 4), 10 + 500);
	ck_assert_uint_eq(eb_transition_ns(&hw, 7, 7), 0);
	/* 25 mV is two 20 mV LDO steps; same frequency: no relock. */
	hw.opp[1].volt_uv = 525000;
	hw.opp[1].freq_khz = hw.opp[0].freq_khz;
	ck_assert_uint_eq(eb_transition_ns(&hw, 0, 1), 20);
	/* Leakage at 0.525 V over 20 ns: 20 mW * 0.525/0.8 * 20 ns = 262.5 pJ. */
	ck_assert_uint_eq(eb_transition_pj(&hw, 0, 1), 263);
}
END_TEST

/* Worked by hand in docs/cost-model.md. */
START_TEST(hand_case)
{
	struct eb_work w = { .macs = 1000, .macs_gated = 200, .vector_ops = 100,
			     .envm_bytes = 10, .sram_bytes = 20 };
	struct eb_hw hw;
	struct eb_cost c;

	eb_hw_default(&hw);
	eb_cost_of(&hw, &w, 0, &c);
	ck_assert_uint_eq(c.cycles, 4 + 7);
	ck_assert_uint_eq(c.ns, 28);
	ck_assert_uint_eq(c.energy_pj, 608);
}
END_TEST

START_TEST(energy_v2)
{
	struct eb_work w = { .macs = 1000000, .vector_ops = 160000 };
	struct eb_cost lo, hi;
	struct eb_hw hw;

	eb_hw_default(&hw);
	hw.leakage_uw = 0;
	eb_cost_of(&hw, &w, 0, &lo);
	eb_cost_of(&hw, &w, 15, &hi);
	ck_assert_uint_eq(hi.energy_pj, 400000 + 160000);
	/* (0.5 / 0.8)^2 = 0.390625 exactly. */
	ck_assert_uint_eq(lo.energy_pj, (400000ull + 160000) * 390625 / 1000000);
	ck_assert_uint_eq(lo.cycles, hi.cycles);
	ck_assert_uint_gt(lo.ns, hi.ns);
	/* Gated MACs: same cycles, 1/8 of the energy. */
	w.macs_gated = w.macs;
	w.vector_ops = 0;
	eb_cost_of(&hw, &w, 15, &hi);
	ck_assert_uint_eq(hi.energy_pj, 400000 / EB_GATED_MAC_DIV);
	ck_assert_uint_eq(hi.cycles, 1000000 / 256 + 1);
}
END_TEST

START_TEST(work_counts)
{
	struct eb_dims d = { 30000, 512, 2, 128, 768, 12, 3072, 12 };
	uint32_t span[EB_MAX_HEADS] = { 128, 128, 128, 128, 128, 128,
					128, 128, 128, 128, 128, 128 };
	struct eb_work w, half;

	eb_work_layer(&d, 128, span, 0, &w);
	ck_assert_uint_eq(w.macs, 4ull * 128 * 768 * 768 + 2ull * 128 * 768 * 3072 +
				  12ull * 2 * 128 * 128 * 64);
	ck_assert_uint_eq(w.macs_gated, 0);
	/* Half the heads skipped, the other half attend to 64 keys. */
	for (int i = 0; i < 12; i++)
		span[i] = i % 2 ? 0 : 64;
	eb_work_layer(&d, 128, span, 1000, &half);
	ck_assert_uint_eq(w.macs - half.macs, 12ull * 2 * 128 * 128 * 64 -
					      6ull * 2 * 128 * 64 * 64);
	ck_assert_uint_eq(half.macs_gated, 128000);
	eb_work_offramp(&d, 2, &w);
	ck_assert_uint_eq(w.macs, 768 * 768 + 768 * 2);
	eb_work_embed(&d, 128, 4096, &w);
	ck_assert_uint_eq(w.macs, 128 * 128 * 768);
	ck_assert_uint_eq(w.envm_bytes, 4096);
	eb_work_add(&w, &w);
	ck_assert_uint_eq(w.envm_bytes, 8192);
}
END_TEST

Suite *eb_test_suite(void)
{
	Suite *s = suite_create("cost");
	TCase *tc = tcase_create("model");

	tcase_add_test(tc, default_table);
	tcase_add_test(tc, law);
	tcase_add_test(tc, validate_rejects);
	tcase_add_test(tc, transition);
	tcase_add_test(tc, hand_case);
	tcase_add_test(tc, energy_v2);
	tcase_add_test(tc, work_counts);
	suite_add_tcase(s, tc);
	return s;
}
