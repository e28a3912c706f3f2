// SPDX-License-Identifier: MIT
/*
 * In-guest suite: GET_PARAM through edgebert.ko reports exactly the device
 * properties QEMU was started with (EB_DEVICE_PROPS, tests/README.md), and
 * rejects unknown params and nonzero pads.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xf86drm.h>

#include "check_main.h"
#include "edgebert/device.h"
#include "edgebert_drm.h"
#include "vm_util.h"

struct param_prop {
	const char *prop;	/* QEMU property, NULL: not settable */
	unsigned int param;
	unsigned long long def;	/* default (docs/device.md) */
};

static const struct param_prop props[] = {
	{ NULL,			EDGEBERT_PARAM_DEVICE_VERSION,	0x10000 },
	{ "mac-lanes",		EDGEBERT_PARAM_MAC_LANES,	256 },
	{ "vector-lanes",	EDGEBERT_PARAM_VECTOR_LANES,	16 },
	{ "freq-max-khz",	EDGEBERT_PARAM_FREQ_MAX_KHZ,	1000000 },
	{ "volt-min-uv",	EDGEBERT_PARAM_VOLT_MIN_UV,	500000 },
	{ "volt-max-uv",	EDGEBERT_PARAM_VOLT_MAX_UV,	800000 },
	{ "opp-count",		EDGEBERT_PARAM_OPP_COUNT,	16 },
	{ "envm-size",		EDGEBERT_PARAM_ENVM_SIZE,	4194304 },
	{ "envm-page-size",	EDGEBERT_PARAM_ENVM_PAGE_SIZE,	4096 },
	{ "sram-weight-size",	EDGEBERT_PARAM_SRAM_WEIGHT_SIZE, 8388608 },
	{ "sram-act-size",	EDGEBERT_PARAM_SRAM_ACT_SIZE,	2097152 },
	{ "sq-entries",		EDGEBERT_PARAM_SQ_ENTRIES,	256 },
	{ "cq-entries",		EDGEBERT_PARAM_CQ_ENTRIES,	256 },
	{ "max-seq-len",	EDGEBERT_PARAM_MAX_SEQ_LEN,	512 },
	{ "max-hidden",		EDGEBERT_PARAM_MAX_HIDDEN,	768 },
	{ "max-heads",		EDGEBERT_PARAM_MAX_HEADS,	12 },
	{ "max-ffn",		EDGEBERT_PARAM_MAX_FFN,		3072 },
	{ "ldo-step-uv",	EDGEBERT_PARAM_LDO_STEP_UV,	20000 },
	{ "ldo-settle-ns",	EDGEBERT_PARAM_LDO_SETTLE_NS,	10 },
	{ "adpll-relock-ns",	EDGEBERT_PARAM_ADPLL_RELOCK_NS,	500 },
	{ "mac-energy-fj",	EDGEBERT_PARAM_MAC_ENERGY_FJ,	400 },
	{ "vector-energy-fj",	EDGEBERT_PARAM_VECTOR_ENERGY_FJ, 1000 },
	{ "leakage-uw",		EDGEBERT_PARAM_LEAKAGE_UW,	20000 },
	{ "envm-read-fj",	EDGEBERT_PARAM_ENVM_READ_FJ_PER_BYTE, 8000 },
	{ "sram-read-fj",	EDGEBERT_PARAM_SRAM_READ_FJ_PER_BYTE, 500 },
	{ NULL,			EDGEBERT_PARAM_PAGE_SIZE,	4096 },
	{ "envm-program-ns",	EDGEBERT_PARAM_ENVM_PROGRAM_NS,	100000 },
	{ "envm-program-pj",	EDGEBERT_PARAM_ENVM_PROGRAM_PJ,	65536 },
	{ "max-layers",		EDGEBERT_PARAM_MAX_LAYERS,	24 },
	{ "max-labels",		EDGEBERT_PARAM_MAX_LABELS,	64 },
};


static int get_param(unsigned int param, unsigned int pad, __u64 *value)
{
	struct drm_edgebert_get_param gp = { .param = param, .pad = pad };
	int ret = drmIoctl(eb_vm_fd, DRM_IOCTL_EDGEBERT_GET_PARAM, &gp);

	if (ret)
		return -errno;
	*value = gp.value;
	return 0;
}

START_TEST(test_param_matches_property)
{
	const struct param_prop *p = &props[_i];
	unsigned long long want = p->prop ? eb_vm_prop(p->prop, p->def) : p->def;
	__u64 value = ~0ull;

	ck_assert_int_eq(get_param(p->param, 0, &value), 0);
	ck_assert_msg(value == want, "param %u (%s): got %llu, want %llu",
		      p->param, p->prop ? p->prop : "-",
		      (unsigned long long)value, want);
}
END_TEST

START_TEST(test_every_param_readable)
{
	__u64 value = 0, fmin = 0, fmax = 0;
	unsigned int i;

	for (i = 0; i < EDGEBERT_PARAM_COUNT; i++)
		ck_assert_int_eq(get_param(i, 0, &value), 0);
	ck_assert_int_eq(get_param(EDGEBERT_PARAM_FREQ_MIN_KHZ, 0, &fmin), 0);
	ck_assert_int_eq(get_param(EDGEBERT_PARAM_FREQ_MAX_KHZ, 0, &fmax), 0);
	ck_assert(fmin > 0 && fmin <= fmax);
	ck_assert_int_eq(get_param(EDGEBERT_PARAM_FEATURES, 0, &value), 0);
	ck_assert(value & EDGEBERT_FEATURE_DVFS);
}
END_TEST

/* libedgebert reads the same capabilities the QEMU command line set. */
START_TEST(test_runtime_caps_match_properties)
{
	const struct eb_device_caps *c;
	struct eb_device *dev;
	unsigned int i;

	ck_assert_int_eq(eb_device_open(0, &dev), 0);
	c = eb_device_caps(dev);
	ck_assert_uint_eq(c->mac_lanes, eb_vm_prop("mac-lanes", 256));
	ck_assert_uint_eq(c->opp_count, eb_vm_prop("opp-count", 16));
	ck_assert_uint_eq(c->sram_weight_size, eb_vm_prop("sram-weight-size", 8388608));
	ck_assert_uint_eq(c->envm_size, eb_vm_prop("envm-size", 4194304));
	/* Every field is what GET_PARAM reports (the table above checks those). */
	for (i = 0; i < sizeof(props) / sizeof(props[0]); i++) {
		unsigned long long want = props[i].prop ?
			eb_vm_prop(props[i].prop, props[i].def) : props[i].def;
		uint64_t got;

		ck_assert_int_eq(eb_device_get_param(dev, props[i].param, &got), 0);
		ck_assert_uint_eq(got, want);
	}
	ck_assert_int_eq(eb_device_get_param(dev, EDGEBERT_PARAM_COUNT, &(uint64_t){ 0 }), -EINVAL);
	eb_device_close(dev);
}
END_TEST

START_TEST(test_unknown_param)
{
	static const unsigned int bad[] = {
		EDGEBERT_PARAM_COUNT, EDGEBERT_PARAM_COUNT + 1, 0x80000000u,
		0xffffffffu,
	};
	__u64 value = 0;
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_int_eq(get_param(bad[i], 0, &value), -EINVAL);
}
END_TEST

START_TEST(test_nonzero_pad)
{
	__u64 value = 0;

	ck_assert_int_eq(get_param(EDGEBERT_PARAM_MAC_LANES, 1, &value),
			 -EINVAL);
	ck_assert_int_eq(get_param(EDGEBERT_PARAM_MAC_LANES, 0x80000000u,
				   &value), -EINVAL);
}
END_TEST

START_TEST(test_driver_identity)
{
	drmVersionPtr v = drmGetVersion(eb_vm_fd);

	ck_assert_ptr_nonnull(v);
	ck_assert_str_eq(v->name, "edgebert");
	ck_assert_int_eq(v->version_major, 1);
	drmFreeVersion(v);
	ck_assert_int_eq(drmGetNodeTypeFromFd(eb_vm_fd), DRM_NODE_RENDER);
}
END_TEST

Suite *eb_test_suite(void)
{
	Suite *s = suite_create("drm_get_param");
	TCase *tc = tcase_create("get_param");

	tcase_add_checked_fixture(tc, eb_vm_setup, eb_vm_teardown);
	tcase_add_test(tc, test_driver_identity);
	tcase_add_loop_test(tc, test_param_matches_property, 0,
			    sizeof(props) / sizeof(props[0]));
	tcase_add_test(tc, test_every_param_readable);
	tcase_add_test(tc, test_runtime_caps_match_properties);
	tcase_add_test(tc, test_unknown_param);
	tcase_add_test(tc, test_nonzero_pad);
	suite_add_tcase(s, tc);
	return s;
}
