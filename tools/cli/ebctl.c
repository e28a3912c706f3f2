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

#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include "edgebert/device.h"
#include "edgebert_drm.h"
#include "edgebert_netlink.h"

static const char usage_text[] =
"Usage: ebctl [-d N] COMMAND\n"
"\n"
"Inspect and administer EdgeBERT accelerators (edgebert DRM driver).\n"
"\n"
"Commands:\n"
"  list        list the EdgeBERT render nodes\n"
"  info        print the driver and the capabilities the device reports\n"
"  opp         print the DVFS state: table, admin window, current point,\n"
"              transitions, time in state, energy (sysfs dvfs/)\n"
"  opp set TABLE\n"
"              replace the OPP table (root); TABLE is FREQ_KHZ:VOLT_UV,...\n"
"              lowest point first\n"
"  opp window MIN MAX\n"
"              clamp every job's operating point to [MIN, MAX] (root)\n"
"  stats       device counters of every device (generic netlink dump)\n"
"  events [N]  print netlink events (job done, DVFS, eNVM, reset) as they\n"
"              happen; stop after N events\n"
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
	printf("graph limits:     seq %u, hidden %u, heads %u, ffn %u, layers %u, labels %u\n",
	       c->max_seq_len, c->max_hidden, c->max_heads, c->max_ffn, c->max_layers,
	       c->max_labels);
	printf("DVFS switch:      LDO %u ns per %u mV, ADPLL relock %u ns\n",
	       c->ldo_settle_ns, c->ldo_step_uv / 1000, c->adpll_relock_ns);
	printf("energy model:     %u fJ/MAC, %u fJ/vector op, %u uW leakage (at %u mV)\n",
	       c->mac_energy_fj, c->vector_energy_fj, c->leakage_uw, c->volt_max_uv / 1000);
	printf("memory energy:    eNVM %u fJ/B, SRAM %u fJ/B\n",
	       c->envm_read_fj_per_byte, c->sram_read_fj_per_byte);
	printf("eNVM programming: %u ns, %u pJ per page\n", c->envm_program_ns,
	       c->envm_program_pj);
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

/* sysfs dvfs/ directory of a device, from its render node path. */
static int dvfs_dir(const struct eb_device *dev, char *buf, size_t len)
{
	const char *node = strrchr(eb_device_path(dev), '/');

	if (!node)
		return -EINVAL;
	snprintf(buf, len, "/sys/class/drm/%s/device/dvfs", node + 1);
	return 0;
}

static int sysfs_read(const char *dir, const char *name, char *buf, size_t len)
{
	char path[256];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	n = fread(buf, 1, len - 1, f);
	buf[n] = 0;
	fclose(f);
	return 0;
}

static int sysfs_write(const char *dir, const char *name, const char *val)
{
	char path[256];
	FILE *f;
	int ret = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	if (fputs(val, f) < 0)
		ret = -errno;
	if (fclose(f) && !ret)
		ret = -errno;
	return ret;
}

static int cmd_opp_show(const char *dir)
{
	static const char *const names[] = {
		"min_opp", "max_opp", "cur_opp", "transitions", "energy_pj", "busy_ns",
	};
	char buf[4096], tis[4096];
	unsigned int i = 0, f, v;
	char *line, *save = NULL;
	int ret;

	ret = sysfs_read(dir, "opp_table", buf, sizeof(buf));
	if (!ret)
		ret = sysfs_read(dir, "time_in_state", tis, sizeof(tis));
	if (ret) {
		fprintf(stderr, "ebctl: %s: %s\n", dir, strerror(-ret));
		return 1;
	}
	printf("%-5s %10s %9s %16s\n", "index", "freq_MHz", "volt_mV", "time_in_state_ns");
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save), i++) {
		unsigned long long ns = 0;
		unsigned int idx;
		const char *p = tis;

		if (sscanf(line, "%u %u", &f, &v) != 2)
			continue;
		while (p && *p) {
			if (sscanf(p, "%u %llu", &idx, &ns) == 2 && idx == i)
				break;
			ns = 0;
			p = strchr(p, '\n');
			if (p)
				p++;
		}
		printf("%-5u %10.1f %9.1f %16llu\n", i, f / 1000.0, v / 1000.0, ns);
	}
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (sysfs_read(dir, names[i], buf, sizeof(buf)))
			continue;
		printf("%-12s %s", names[i], buf);
	}
	return 0;
}

static int cmd_opp(unsigned int index, int argc, char **argv)
{
	struct eb_device *dev;
	char dir[256], table[4096];
	int ret = 0;

	if (open_device(index, &dev))
		return 1;
	dvfs_dir(dev, dir, sizeof(dir));
	eb_device_close(dev);

	if (argc == 0)
		return cmd_opp_show(dir);
	if (!strcmp(argv[0], "set") && argc == 2) {
		size_t n = 0;
		char *tok, *save = NULL;

		for (tok = strtok_r(argv[1], ",", &save); tok && n < sizeof(table) - 32;
		     tok = strtok_r(NULL, ",", &save)) {
			unsigned int f, v;

			if (sscanf(tok, "%u:%u", &f, &v) != 2) {
				fprintf(stderr, "ebctl: bad point '%s' (want FREQ_KHZ:VOLT_UV)\n", tok);
				return 2;
			}
			n += (size_t)snprintf(table + n, sizeof(table) - n, "%u %u\n", f, v);
		}
		table[n] = 0;
		ret = sysfs_write(dir, "opp_table", table);
	} else if (!strcmp(argv[0], "window") && argc == 3) {
		/* Widen first so that the intermediate window stays valid. */
		ret = sysfs_write(dir, "min_opp", "0");
		if (!ret)
			ret = sysfs_write(dir, "max_opp", argv[2]);
		if (!ret)
			ret = sysfs_write(dir, "min_opp", argv[1]);
	} else {
		fputs(usage_text, stderr);
		return 2;
	}
	if (ret) {
		fprintf(stderr, "ebctl: %s: %s\n", dir, strerror(-ret));
		return 1;
	}
	return 0;
}

static const char *const attr_names[EDGEBERT_A_MAX + 1] = {
	[EDGEBERT_A_DEVICE] = "device",
	[EDGEBERT_A_JOB_ID] = "job_id",
	[EDGEBERT_A_JOB_STATUS] = "status",
	[EDGEBERT_A_EXIT_LAYER] = "exit_layer",
	[EDGEBERT_A_OPP] = "opp",
	[EDGEBERT_A_OPP_PREV] = "opp_prev",
	[EDGEBERT_A_FREQ_KHZ] = "freq_khz",
	[EDGEBERT_A_VOLT_UV] = "volt_uv",
	[EDGEBERT_A_CYCLES] = "cycles",
	[EDGEBERT_A_DEVICE_NS] = "device_ns",
	[EDGEBERT_A_ENERGY_PJ] = "energy_pj",
	[EDGEBERT_A_LATENCY_NS] = "latency_ns",
	[EDGEBERT_A_ENVM_GENERATION] = "envm_generation",
	[EDGEBERT_A_ENVM_SIZE] = "envm_size",
	[EDGEBERT_A_RESET_REASON] = "reset_reason",
	[EDGEBERT_A_STATS_JOBS_SUBMITTED] = "jobs_submitted",
	[EDGEBERT_A_STATS_JOBS_COMPLETED] = "jobs_completed",
	[EDGEBERT_A_STATS_JOBS_FAILED] = "jobs_failed",
	[EDGEBERT_A_STATS_RESETS] = "resets",
	[EDGEBERT_A_STATS_DVFS_TRANSITIONS] = "dvfs_transitions",
};

static const char *const cmd_names[EDGEBERT_CMD_MAX + 1] = {
	[EDGEBERT_CMD_JOB_DONE] = "job_done",
	[EDGEBERT_CMD_DVFS_CHANGE] = "dvfs_change",
	[EDGEBERT_CMD_ENVM_PROGRAMMED] = "envm_programmed",
	[EDGEBERT_CMD_RESET] = "reset",
	[EDGEBERT_CMD_GET_STATS] = "stats",
};

/* Print one message as "name key=value ..." (u32 and u64 attributes). */
static int print_msg(struct nl_msg *msg, void *arg)
{
	struct genlmsghdr *gh = nlmsg_data(nlmsg_hdr(msg));
	struct nlattr *attr;
	int *left = arg, rem;

	printf("%s", gh->cmd <= EDGEBERT_CMD_MAX && cmd_names[gh->cmd] ?
	       cmd_names[gh->cmd] : "?");
	nla_for_each_attr(attr, genlmsg_attrdata(gh, 0), genlmsg_attrlen(gh, 0), rem) {
		int type = nla_type(attr);

		if (type > EDGEBERT_A_MAX || !attr_names[type])
			continue;
		if (nla_len(attr) == 8)
			printf(" %s=%llu", attr_names[type],
			       (unsigned long long)nla_get_u64(attr));
		else if (nla_len(attr) == 4)
			printf(" %s=%u", attr_names[type], nla_get_u32(attr));
	}
	printf("\n");
	fflush(stdout);
	if (left && *left > 0)
		--*left;
	return NL_OK;
}

static struct nl_sock *genl_open(int *family)
{
	struct nl_sock *sk = nl_socket_alloc();

	if (!sk || genl_connect(sk)) {
		fprintf(stderr, "ebctl: cannot open a generic netlink socket\n");
		nl_socket_free(sk);
		return NULL;
	}
	*family = genl_ctrl_resolve(sk, EDGEBERT_GENL_NAME);
	if (*family < 0) {
		fprintf(stderr, "ebctl: no '%s' netlink family (is edgebert.ko loaded?)\n",
			EDGEBERT_GENL_NAME);
		nl_socket_free(sk);
		return NULL;
	}
	return sk;
}

static int cmd_stats(void)
{
	struct nl_sock *sk;
	struct nl_msg *msg;
	int family, ret;

	sk = genl_open(&family);
	if (!sk)
		return 1;
	msg = nlmsg_alloc();
	if (!msg || !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, NLM_F_DUMP,
				 EDGEBERT_CMD_GET_STATS, EDGEBERT_GENL_VERSION)) {
		nl_socket_free(sk);
		return 1;
	}
	nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, print_msg, NULL);
	ret = nl_send_auto(sk, msg);
	if (ret >= 0)
		ret = nl_recvmsgs_default(sk);
	nlmsg_free(msg);
	nl_socket_free(sk);
	if (ret < 0) {
		fprintf(stderr, "ebctl: stats: %s\n", nl_geterror(ret));
		return 1;
	}
	return 0;
}

static int cmd_events(int argc, char **argv)
{
	int family, grp, left = argc > 0 ? atoi(argv[0]) : -1, ret = 0;
	struct nl_sock *sk;

	sk = genl_open(&family);
	if (!sk)
		return 1;
	grp = genl_ctrl_resolve_grp(sk, EDGEBERT_GENL_NAME, EDGEBERT_GENL_MCGRP_EVENTS);
	if (grp < 0 || nl_socket_add_membership(sk, grp)) {
		fprintf(stderr, "ebctl: cannot join the events group\n");
		nl_socket_free(sk);
		return 1;
	}
	nl_socket_disable_seq_check(sk);
	nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, print_msg, &left);
	while (left != 0 && ret >= 0)
		ret = nl_recvmsgs_default(sk);
	nl_socket_free(sk);
	return ret < 0 ? 1 : 0;
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
	if (!strcmp(argv[optind], "opp"))
		return cmd_opp(index, argc - optind - 1, argv + optind + 1);
	if (!strcmp(argv[optind], "stats"))
		return cmd_stats();
	if (!strcmp(argv[optind], "events"))
		return cmd_events(argc - optind - 1, argv + optind + 1);
	fprintf(stderr, "ebctl: unknown command '%s' (see ebctl --help)\n", argv[optind]);
	return 2;
}
