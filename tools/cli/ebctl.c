// SPDX-License-Identifier: MIT
/*
 * ebctl: inspect and administer EdgeBERT accelerators.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xf86drm.h>

#include "edgebert/device.h"
#include "edgebert_drm.h"

static const char usage_text[] =
"Usage: ebctl [-d N] COMMAND\n"
"\n"
"Inspect and administer EdgeBERT accelerators (edgebert DRM driver).\n"
"\n"
"Commands:\n"
"  list        list the EdgeBERT render nodes\n"
"  info        print the driver and the capabilities the device reports\n"
"\n"
"Options:\n"
"  -d, --device N   use the N-th EdgeBERT device (default 0)\n"
"  -h, --help       show this help\n"
"\n"
"Exit status: 0 on success, 1 on an error (printed on stderr), 2 on usage\n"
"errors.\n";

static int open_device(unsigned int index, struct eb_device **dev)
{
	int ret = eb_device_open(index, dev);

	if (ret)
		fprintf(stderr, "ebctl: device %u: %s\n", index,
			ret == -ENODEV ? "no such EdgeBERT device (is edgebert.ko loaded?)"
				       : strerror(-ret));
	return ret;
}

static int cmd_list(void)
{
	int n = eb_device_count();

	if (n < 0) {
		fprintf(stderr, "ebctl: cannot list /dev/dri: %s\n", strerror(-n));
		return 1;
	}
	for (int i = 0; i < n; i++) {
		struct eb_device *dev;

		if (open_device((unsigned int)i, &dev))
			return 1;
		printf("%d %s\n", i, eb_device_path(dev));
		eb_device_close(dev);
	}
	return 0;
}

static void print_caps(const struct eb_device_caps *c)
{
	static const struct {
		const char *name;
		uint32_t flag;
	} features[] = {
		{ "envm", EDGEBERT_FEATURE_ENVM },
		{ "dvfs", EDGEBERT_FEATURE_DVFS },
		{ "sparse", EDGEBERT_FEATURE_SPARSE },
		{ "adaptivfloat", EDGEBERT_FEATURE_ADAPTIVFLOAT },
		{ "fault-inject", EDGEBERT_FEATURE_FAULT_INJECT },
	};

	printf("device version:   %u.%u\n", c->version >> 16, c->version & 0xffff);
	printf("features:        ");
	for (size_t i = 0; i < sizeof(features) / sizeof(features[0]); i++)
		if (c->features & features[i].flag)
			printf(" %s", features[i].name);
	printf("\n");
	printf("MAC lanes:        %u\n", c->mac_lanes);
	printf("vector lanes:     %u\n", c->vector_lanes);
	printf("frequency:        %u..%u MHz\n", c->freq_min_khz / 1000, c->freq_max_khz / 1000);
	printf("voltage:          %u..%u mV\n", c->volt_min_uv / 1000, c->volt_max_uv / 1000);
	printf("operating points: %u\n", c->opp_count);
	printf("eNVM:             %u KiB in %u-byte pages\n", c->envm_size / 1024, c->envm_page_size);
	printf("SRAM:             %u KiB weights, %u KiB activations\n",
	       c->sram_weight_size / 1024, c->sram_act_size / 1024);
	printf("queues:           %u submission, %u completion entries\n",
	       c->sq_entries, c->cq_entries);
	printf("graph limits:     seq %u, hidden %u, heads %u, ffn %u\n",
	       c->max_seq_len, c->max_hidden, c->max_heads, c->max_ffn);
	printf("DVFS switch:      LDO %u ns per %u mV, ADPLL relock %u ns\n",
	       c->ldo_settle_ns, c->ldo_step_uv / 1000, c->adpll_relock_ns);
	printf("energy model:     %u fJ/MAC, %u fJ/vector op, %u uW leakage (at %u mV)\n",
	       c->mac_energy_fj, c->vector_energy_fj, c->leakage_uw, c->volt_max_uv / 1000);
	printf("memory energy:    eNVM %u fJ/B, SRAM %u fJ/B\n",
	       c->envm_read_fj_per_byte, c->sram_read_fj_per_byte);
}

static int cmd_info(unsigned int index)
{
	struct eb_device *dev;
	drmVersionPtr ver;

	if (open_device(index, &dev))
		return 1;
	ver = drmGetVersion(eb_device_fd(dev));
	printf("node:             %s\n", eb_device_path(dev));
	if (ver) {
		printf("driver:           %s %d.%d.%d (%s)\n", ver->name, ver->version_major,
		       ver->version_minor, ver->version_patchlevel, ver->desc);
		drmFreeVersion(ver);
	}
	print_caps(eb_device_caps(dev));
	eb_device_close(dev);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned int index = 0;
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "+d:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			errno = 0;
			index = (unsigned int)strtoul(optarg, &end, 10);
			if (errno || *end || end == optarg) {
				fprintf(stderr, "ebctl: bad device index '%s'\n", optarg);
				return 2;
			}
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			fputs(usage_text, stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		fputs(usage_text, stderr);
		return 2;
	}
	if (!strcmp(argv[optind], "list"))
		return cmd_list();
	if (!strcmp(argv[optind], "info"))
		return cmd_info(index);
	fprintf(stderr, "ebctl: unknown command '%s' (see ebctl --help)\n", argv[optind]);
	return 2;
}
