// SPDX-License-Identifier: MIT
/*
 * Device discovery and capabilities: find the edgebert render nodes with
 * libdrm and read what the hardware reports through GET_PARAM.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xf86drm.h>

#include "edgebert/device.h"
#include "edgebert_drm.h"

#define DRI_DIR		"/dev/dri"
#define DRIVER_NAME	"edgebert"

struct eb_device {
	int fd;
	char path[PATH_MAX];
	struct eb_device_caps caps;
};

/* GET_PARAM id → field of struct eb_device_caps, in uapi order (all of them). */
static const struct {
	uint32_t param;
	size_t offset;
} cap_params[] = {
#define CAP(p, f) { EDGEBERT_PARAM_##p, offsetof(struct eb_device_caps, f) }
	CAP(DEVICE_VERSION, version),
	CAP(FEATURES, features),
	CAP(MAC_LANES, mac_lanes),
	CAP(VECTOR_LANES, vector_lanes),
	CAP(FREQ_MIN_KHZ, freq_min_khz),
	CAP(FREQ_MAX_KHZ, freq_max_khz),
	CAP(VOLT_MIN_UV, volt_min_uv),
	CAP(VOLT_MAX_UV, volt_max_uv),
	CAP(OPP_COUNT, opp_count),
	CAP(ENVM_SIZE, envm_size),
	CAP(ENVM_PAGE_SIZE, envm_page_size),
	CAP(SRAM_WEIGHT_SIZE, sram_weight_size),
	CAP(SRAM_ACT_SIZE, sram_act_size),
	CAP(SQ_ENTRIES, sq_entries),
	CAP(CQ_ENTRIES, cq_entries),
	CAP(MAX_SEQ_LEN, max_seq_len),
	CAP(MAX_HIDDEN, max_hidden),
	CAP(MAX_HEADS, max_heads),
	CAP(MAX_FFN, max_ffn),
	CAP(LDO_STEP_UV, ldo_step_uv),
	CAP(LDO_SETTLE_NS, ldo_settle_ns),
	CAP(ADPLL_RELOCK_NS, adpll_relock_ns),
	CAP(MAC_ENERGY_FJ, mac_energy_fj),
	CAP(VECTOR_ENERGY_FJ, vector_energy_fj),
	CAP(LEAKAGE_UW, leakage_uw),
	CAP(ENVM_READ_FJ_PER_BYTE, envm_read_fj_per_byte),
	CAP(SRAM_READ_FJ_PER_BYTE, sram_read_fj_per_byte),
	CAP(PAGE_SIZE, page_size),
	CAP(ENVM_PROGRAM_NS, envm_program_ns),
	CAP(ENVM_PROGRAM_PJ, envm_program_pj),
	CAP(MAX_LAYERS, max_layers),
	CAP(MAX_LABELS, max_labels),
#undef CAP
};

int eb_device_get_param(const struct eb_device *dev, uint32_t param, uint64_t *value)
{
	struct drm_edgebert_get_param args = { .param = param };

	if (drmIoctl(dev->fd, DRM_IOCTL_EDGEBERT_GET_PARAM, &args))
		return -errno;
	*value = args.value;
	return 0;
}

_Static_assert(sizeof(cap_params) / sizeof(cap_params[0]) == EDGEBERT_PARAM_COUNT,
	       "every GET_PARAM has a field in struct eb_device_caps");

static int read_caps(struct eb_device *dev)
{
	for (size_t i = 0; i < sizeof(cap_params) / sizeof(cap_params[0]); i++) {
		uint64_t v;
		int ret = eb_device_get_param(dev, cap_params[i].param, &v);

		if (ret)
			return ret;
		if (v > UINT32_MAX)
			return -ERANGE;
		*(uint32_t *)((char *)&dev->caps + cap_params[i].offset) = (uint32_t)v;
	}
	return 0;
}

/* 1 if fd is a DRM node of the edgebert driver. */
static int is_edgebert(int fd)
{
	drmVersionPtr ver = drmGetVersion(fd);
	int match;

	if (!ver)
		return 0;
	match = ver->name && strcmp(ver->name, DRIVER_NAME) == 0;
	drmFreeVersion(ver);
	return match;
}

int eb_device_open_path(const char *path, struct eb_device **out)
{
	struct eb_device *dev;
	int ret;

	if (!path || !out || strlen(path) >= sizeof(dev->path))
		return -EINVAL;
	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return -ENOMEM;
	strcpy(dev->path, path);
	dev->fd = open(path, O_RDWR | O_CLOEXEC);
	if (dev->fd < 0) {
		ret = -errno;
		free(dev);
		return ret;
	}
	ret = is_edgebert(dev->fd) ? read_caps(dev) : -ENODEV;
	if (ret) {
		eb_device_close(dev);
		return ret;
	}
	*out = dev;
	return 0;
}

static int render_node_cmp(const void *a, const void *b)
{
	return strverscmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Calls visit(path, arg) for every edgebert render node in /dev/dri order
 * until it returns nonzero; returns that value, or the number of nodes seen.
 */
static int for_each_node(int (*visit)(const char *path, unsigned int n, void *arg), void *arg)
{
	struct dirent *de;
	char **names = NULL;
	size_t count = 0, cap = 0;
	unsigned int seen = 0;
	int ret = 0;
	DIR *dir = opendir(DRI_DIR);

	if (!dir)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(dir))) {
		if (strncmp(de->d_name, "renderD", 7))
			continue;
		if (count == cap) {
			char **grown = realloc(names, (cap ? cap * 2 : 8) * sizeof(*names));

			if (!grown) {
				ret = -ENOMEM;
				goto out;
			}
			names = grown;
			cap = cap ? cap * 2 : 8;
		}
		names[count] = strdup(de->d_name);
		if (!names[count]) {
			ret = -ENOMEM;
			goto out;
		}
		count++;
	}
	qsort(names, count, sizeof(*names), render_node_cmp);
	for (size_t i = 0; i < count && !ret; i++) {
		char path[PATH_MAX];
		int fd;

		snprintf(path, sizeof(path), DRI_DIR "/%s", names[i]);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (is_edgebert(fd))
			ret = visit(path, seen++, arg);
		close(fd);
	}
	if (!ret)
		ret = (int)seen;
out:
	for (size_t i = 0; i < count; i++)
		free(names[i]);
	free(names);
	closedir(dir);
	return ret;
}

static int count_node(const char *path, unsigned int n, void *arg)
{
	(void)path;
	(void)n;
	(void)arg;
	return 0;
}

int eb_device_count(void)
{
	return for_each_node(count_node, NULL);
}

struct open_nth {
	unsigned int index;
	struct eb_device **out;
};

/* Returns 1 (stop) once the wanted node is opened, or its error. */
static int open_node(const char *path, unsigned int n, void *arg)
{
	struct open_nth *want = arg;
	int ret;

	if (n != want->index)
		return 0;
	ret = eb_device_open_path(path, want->out);
	return ret ? ret : 1;
}

int eb_device_open(unsigned int index, struct eb_device **out)
{
	struct open_nth want = { .index = index, .out = out };
	int ret;

	if (!out)
		return -EINVAL;
	*out = NULL;
	ret = for_each_node(open_node, &want);
	if (ret < 0)
		return ret;
	return *out ? 0 : -ENODEV;
}

void eb_device_close(struct eb_device *dev)
{
	if (!dev)
		return;
	close(dev->fd);
	free(dev);
}

const struct eb_device_caps *eb_device_caps(const struct eb_device *dev)
{
	return &dev->caps;
}

const char *eb_device_path(const struct eb_device *dev)
{
	return dev->path;
}

int eb_device_fd(const struct eb_device *dev)
{
	return dev->fd;
}
