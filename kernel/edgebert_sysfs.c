// SPDX-License-Identifier: GPL-2.0
/*
 * EdgeBERT accelerator: sysfs attributes of the PCI device, group "dvfs"
 * (docs/sysfs-abi.md).
 */
#include <linux/device.h>
#include <linux/kernel.h>
#include <linux/sysfs.h>

#include "edgebert_drv.h"

static struct eb_device *dev_to_eb(struct device *dev)
{
	return dev_get_drvdata(dev);
}

/* One "freq_khz volt_uv" line per point, lowest first. */
static ssize_t opp_table_show(struct device *dev,
			      struct device_attribute *attr, char *buf)
{
	struct drm_edgebert_opp table[EB_CAP_OPP_MAX];
	int len = 0;
	u32 i, count;

	eb_dvfs_get_table(dev_to_eb(dev), table, &count);
	for (i = 0; i < count; i++)
		len += sysfs_emit_at(buf, len, "%u %u\n", table[i].freq_khz,
				     table[i].volt_uv);
	return len;
}

/* The whole table at once, in the format opp_table_show() prints. */
static ssize_t opp_table_store(struct device *dev,
			       struct device_attribute *attr,
			       const char *buf, size_t count)
{
	struct drm_edgebert_opp table[EB_CAP_OPP_MAX];
	const char *p = buf, *end = buf + count;
	u32 n = 0;
	int ret;

	while (p < end) {
		unsigned int freq, volt;
		int used;

		p = skip_spaces(p);
		if (p >= end || !*p)
			break;
		if (n == EB_CAP_OPP_MAX)
			return -EINVAL;
		if (sscanf(p, "%u %u%n", &freq, &volt, &used) != 2)
			return -EINVAL;
		table[n].freq_khz = freq;
		table[n].volt_uv = volt;
		n++;
		p += used;
	}

	ret = eb_dvfs_set_table(dev_to_eb(dev), table, n);
	return ret ? ret : count;
}
static DEVICE_ATTR_RW(opp_table);

/* min_opp and max_opp: one end each of the administrator's OPP window. */
static ssize_t opp_window_show(struct device *dev, char *buf, bool upper)
{
	u32 min, max;

	eb_dvfs_get_window(dev_to_eb(dev), &min, &max);
	return sysfs_emit(buf, "%u\n", upper ? max : min);
}

static ssize_t opp_window_store(struct device *dev, const char *buf,
				size_t count, bool upper)
{
	struct eb_device *ebdev = dev_to_eb(dev);
	u32 min, max;
	int ret;

	eb_dvfs_get_window(ebdev, &min, &max);
	ret = kstrtou32(buf, 0, upper ? &max : &min);
	if (!ret)
		ret = eb_dvfs_set_window(ebdev, min, max);
	return ret ? ret : count;
}

static ssize_t min_opp_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	return opp_window_show(dev, buf, false);
}

static ssize_t min_opp_store(struct device *dev, struct device_attribute *attr,
			     const char *buf, size_t count)
{
	return opp_window_store(dev, buf, count, false);
}
static DEVICE_ATTR_RW(min_opp);

static ssize_t max_opp_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	return opp_window_show(dev, buf, true);
}

static ssize_t max_opp_store(struct device *dev, struct device_attribute *attr,
			     const char *buf, size_t count)
{
	return opp_window_store(dev, buf, count, true);
}
static DEVICE_ATTR_RW(max_opp);

static ssize_t cur_opp_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%u\n",
			  eb_read(dev_to_eb(dev), EB_DVFS_CURRENT));
}
static DEVICE_ATTR_RO(cur_opp);

static ssize_t transitions_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n",
			  eb_read(dev_to_eb(dev), EB_DVFS_TRANSITIONS));
}
static DEVICE_ATTR_RO(transitions);

/* One "index ns" line per point: modeled busy time of completed jobs. */
static ssize_t time_in_state_show(struct device *dev,
				  struct device_attribute *attr, char *buf)
{
	struct eb_device *ebdev = dev_to_eb(dev);
	u32 i, count = READ_ONCE(ebdev->dvfs.count);
	int len = 0;

	for (i = 0; i < count; i++)
		len += sysfs_emit_at(buf, len, "%u %llu\n", i,
				     eb_dvfs_time_in_state(ebdev, i));
	return len;
}
static DEVICE_ATTR_RO(time_in_state);

static ssize_t energy_pj_show(struct device *dev,
			      struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n",
			  eb_read_counter(dev_to_eb(dev), EB_ENERGY_PJ_LO));
}
static DEVICE_ATTR_RO(energy_pj);

static ssize_t busy_ns_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%llu\n",
			  eb_read_counter(dev_to_eb(dev), EB_BUSY_NS_LO));
}
static DEVICE_ATTR_RO(busy_ns);

static struct attribute *eb_dvfs_attrs[] = {
	&dev_attr_opp_table.attr,
	&dev_attr_min_opp.attr,
	&dev_attr_max_opp.attr,
	&dev_attr_cur_opp.attr,
	&dev_attr_transitions.attr,
	&dev_attr_time_in_state.attr,
	&dev_attr_energy_pj.attr,
	&dev_attr_busy_ns.attr,
	NULL
};

static const struct attribute_group eb_dvfs_group = {
	.name = "dvfs",
	.attrs = eb_dvfs_attrs,
};

const struct attribute_group *eb_sysfs_groups[] = {
	&eb_dvfs_group,
	NULL
};
