// SPDX-License-Identifier: GPL-2.0
/*
 * EdgeBERT accelerator: dynamic voltage and frequency scaling.
 *
 * The driver owns the operating point (OPP) table: it reads the device's
 * default at probe, lets the administrator replace it through sysfs after
 * validation, and keeps the device registers in sync (also across resets).
 * Every job runs at an explicit point resolved here, clamped to the
 * administrator's [min_opp, max_opp] window.
 */
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/uaccess.h>

#include <drm/drm_file.h>
#include <drm/drm_print.h>

#include "edgebert_drv.h"
#include "edgebert_job.h"

/* The device's frequency law (docs/device.md): Vth = 0.30 V, alpha = 1.5. */
#define EB_VTH_UV	300000

/* V^1.5-ish term (V - Vth)^1.5, scaled by 2^10; 0 at or below Vth. */
static u64 eb_law_term(u32 volt_uv)
{
	u64 d;

	if (volt_uv <= EB_VTH_UV)
		return 0;
	d = volt_uv - EB_VTH_UV;
	return d * int_sqrt64(d << 20);
}

/* Highest frequency the device accepts at volt_uv, in kHz. */
static u32 eb_dvfs_freq_limit(const union eb_caps *caps, u32 volt_uv)
{
	u64 num = eb_law_term(volt_uv) * caps->volt_max_uv;
	u64 den = eb_law_term(caps->volt_max_uv) * volt_uv;

	if (!num || !den)
		return 0;
	return min_t(u64, mul_u64_u64_div_u64(caps->freq_max_khz, num, den),
		     caps->freq_max_khz);
}

int eb_dvfs_validate(struct eb_device *ebdev,
		     const struct drm_edgebert_opp *table, u32 count)
{
	const union eb_caps *caps = &ebdev->caps;
	u32 i;

	if (!count || count > caps->opp_count)
		return -EINVAL;
	for (i = 0; i < count; i++) {
		const struct drm_edgebert_opp *opp = &table[i];

		if (opp->volt_uv < caps->volt_min_uv ||
		    opp->volt_uv > caps->volt_max_uv)
			return -ERANGE;
		if (!opp->freq_khz ||
		    opp->freq_khz > eb_dvfs_freq_limit(caps, opp->volt_uv))
			return -ERANGE;
		/* Strictly increasing: a higher index is faster and costlier. */
		if (i && (opp->volt_uv <= table[i - 1].volt_uv ||
			  opp->freq_khz <= table[i - 1].freq_khz))
			return -EINVAL;
	}
	return 0;
}

static void eb_dvfs_write_table_locked(struct eb_device *ebdev)
{
	struct eb_dvfs *dvfs = &ebdev->dvfs;
	u32 i;

	for (i = 0; i < dvfs->count; i++) {
		eb_write(ebdev, EB_OPP_FREQ_KHZ(i), dvfs->table[i].freq_khz);
		eb_write(ebdev, EB_OPP_VOLT_UV(i), dvfs->table[i].volt_uv);
	}
}

static u32 eb_dvfs_clamp_locked(struct eb_dvfs *dvfs, u32 opp)
{
	return clamp(opp, dvfs->min, dvfs->max);
}

int eb_dvfs_set_table(struct eb_device *ebdev,
		      const struct drm_edgebert_opp *table, u32 count)
{
	struct eb_dvfs *dvfs = &ebdev->dvfs;
	int ret;

	ret = eb_dvfs_validate(ebdev, table, count);
	if (ret)
		return ret;

	mutex_lock(&dvfs->lock);
	memcpy(dvfs->table, table, count * sizeof(*table));
	dvfs->count = count;
	dvfs->max = min(dvfs->max, count - 1);
	dvfs->min = min(dvfs->min, dvfs->max);
	dvfs->last = eb_dvfs_clamp_locked(dvfs, dvfs->last);
	/* Takes effect at the device's next transition. */
	eb_dvfs_write_table_locked(ebdev);
	mutex_unlock(&dvfs->lock);
	return 0;
}

void eb_dvfs_get_table(struct eb_device *ebdev, struct drm_edgebert_opp *table,
		       u32 *count)
{
	struct eb_dvfs *dvfs = &ebdev->dvfs;

	mutex_lock(&dvfs->lock);
	memcpy(table, dvfs->table, dvfs->count * sizeof(*table));
	*count = dvfs->count;
	mutex_unlock(&dvfs->lock);
}

int eb_dvfs_set_window(struct eb_device *ebdev, u32 min, u32 max)
{
	struct eb_dvfs *dvfs = &ebdev->dvfs;
	int ret = -EINVAL;

	mutex_lock(&dvfs->lock);
	if (min <= max && max < dvfs->count) {
		dvfs->min = min;
		dvfs->max = max;
		ret = 0;
	}
	mutex_unlock(&dvfs->lock);
	return ret;
}

void eb_dvfs_get_window(struct eb_device *ebdev, u32 *min, u32 *max)
{
	mutex_lock(&ebdev->dvfs.lock);
	*min = ebdev->dvfs.min;
	*max = ebdev->dvfs.max;
	mutex_unlock(&ebdev->dvfs.lock);
}

bool eb_dvfs_opp_valid(struct eb_device *ebdev, u32 opp)
{
	return opp < READ_ONCE(ebdev->dvfs.count);
}

/*
 * The point a job runs at: its own request, else its submitter's
 * DVFS_REQUEST, else wherever the previous job left the device; always
 * inside the admin window. EB_OPP_KEEP when no transition is needed.
 */
u32 eb_dvfs_job_opp(struct eb_device *ebdev, u32 job_opp, u32 file_opp)
{
	struct eb_dvfs *dvfs = &ebdev->dvfs;
	u32 opp;

	mutex_lock(&dvfs->lock);
	if (job_opp == EDGEBERT_OPP_CURRENT)
		job_opp = file_opp;
	if (job_opp == EDGEBERT_OPP_CURRENT)
		job_opp = dvfs->last;
	opp = eb_dvfs_clamp_locked(dvfs, job_opp);
	if (opp == dvfs->last)
		opp = EB_OPP_KEEP;
	else
		dvfs->last = opp;
	mutex_unlock(&dvfs->lock);
	return opp;
}

/*
 * A job completed at opp after device_ns of modeled time. Jobs switch
 * points without a DVFS_DONE interrupt, so this is also where the driver
 * learns about (and reports) their transitions.
 */
void eb_dvfs_job_done(struct eb_device *ebdev, u32 opp, u64 device_ns)
{
	struct eb_dvfs *dvfs = &ebdev->dvfs;
	struct drm_edgebert_opp point = {};
	u32 prev;

	if (opp >= EB_CAP_OPP_MAX)
		return;
	spin_lock(&dvfs->stat_lock);
	dvfs->time_in_state_ns[opp] += device_ns;
	spin_unlock(&dvfs->stat_lock);

	mutex_lock(&dvfs->lock);
	prev = dvfs->cur;
	dvfs->cur = opp;
	if (opp < dvfs->count)
		point = dvfs->table[opp];
	mutex_unlock(&dvfs->lock);

	if (prev != opp)
		eb_nl_dvfs_change(ebdev, prev, opp, &point);
}

u64 eb_dvfs_time_in_state(struct eb_device *ebdev, u32 opp)
{
	struct eb_dvfs *dvfs = &ebdev->dvfs;
	u64 ns;

	spin_lock(&dvfs->stat_lock);
	ns = dvfs->time_in_state_ns[opp];
	spin_unlock(&dvfs->stat_lock);
	return ns;
}

/* After a device reset: our table and the point we believe in. */
void eb_dvfs_restore(struct eb_device *ebdev)
{
	struct eb_dvfs *dvfs = &ebdev->dvfs;

	mutex_lock(&dvfs->lock);
	eb_dvfs_write_table_locked(ebdev);
	dvfs->last = eb_read(ebdev, EB_DVFS_CURRENT);
	if (dvfs->last >= dvfs->count)
		dvfs->last = dvfs->min;
	mutex_unlock(&dvfs->lock);
}

/* Control interrupt thread: a transition finished (or was refused). */
void eb_dvfs_irq(struct eb_device *ebdev)
{
	struct eb_dvfs *dvfs = &ebdev->dvfs;
	u32 status = eb_read(ebdev, EB_DVFS_STATUS);
	u32 cur = eb_read(ebdev, EB_DVFS_CURRENT);
	struct drm_edgebert_opp point = {};
	u32 prev;

	if (status & EB_DVFS_STATUS_FAULT)
		dev_warn_ratelimited(ebdev->drm.dev, "DVFS transition refused, staying at %u\n",
				     cur);

	mutex_lock(&dvfs->lock);
	prev = dvfs->cur;
	dvfs->cur = cur;
	if (cur < dvfs->count)
		point = dvfs->table[cur];
	mutex_unlock(&dvfs->lock);

	if (prev != cur)
		eb_nl_dvfs_change(ebdev, prev, cur, &point);
}

int eb_dvfs_init(struct eb_device *ebdev)
{
	struct eb_dvfs *dvfs = &ebdev->dvfs;
	struct drm_edgebert_opp table[EB_CAP_OPP_MAX];
	u32 i, count = ebdev->caps.opp_count;
	int ret;

	mutex_init(&dvfs->lock);
	spin_lock_init(&dvfs->stat_lock);

	for (i = 0; i < count; i++) {
		table[i].freq_khz = eb_read(ebdev, EB_OPP_FREQ_KHZ(i));
		table[i].volt_uv = eb_read(ebdev, EB_OPP_VOLT_UV(i));
	}
	ret = eb_dvfs_validate(ebdev, table, count);
	if (ret) {
		drm_err(&ebdev->drm, "device's default OPP table is invalid\n");
		return -ENODEV;
	}
	memcpy(dvfs->table, table, count * sizeof(*table));
	dvfs->count = count;
	dvfs->min = 0;
	dvfs->max = count - 1;
	dvfs->cur = eb_read(ebdev, EB_DVFS_CURRENT);
	dvfs->last = min(dvfs->cur, count - 1);
	return 0;
}

/* ioctls */

int eb_ioctl_dvfs_get(struct drm_device *drm, void *data,
		      struct drm_file *file)
{
	struct eb_device *ebdev = to_eb_device(drm);
	struct drm_edgebert_dvfs_get *args = data;
	struct drm_edgebert_opp table[EB_CAP_OPP_MAX];
	u32 count, n;

	eb_dvfs_get_table(ebdev, table, &count);
	if (args->table) {
		n = min(count, args->table_count);
		if (copy_to_user(u64_to_user_ptr(args->table), table,
				 n * sizeof(*table)))
			return -EFAULT;
	}
	args->table_count = count;
	args->current_opp = eb_read(ebdev, EB_DVFS_CURRENT);
	eb_dvfs_get_window(ebdev, &args->min_opp, &args->max_opp);
	args->transitions = eb_read(ebdev, EB_DVFS_TRANSITIONS);
	return 0;
}

int eb_ioctl_dvfs_request(struct drm_device *drm, void *data,
			  struct drm_file *file)
{
	struct eb_device *ebdev = to_eb_device(drm);
	struct drm_edgebert_dvfs_request *args = data;
	struct eb_file *efile = file->driver_priv;
	struct eb_dvfs *dvfs = &ebdev->dvfs;

	if (args->flags || args->pad)
		return -EINVAL;
	if (args->opp == EDGEBERT_OPP_CURRENT) {
		WRITE_ONCE(efile->dvfs_request, EDGEBERT_OPP_CURRENT);
		args->granted_opp = EDGEBERT_OPP_CURRENT;
		return 0;
	}
	if (!eb_dvfs_opp_valid(ebdev, args->opp))
		return -EINVAL;

	WRITE_ONCE(efile->dvfs_request, args->opp);
	mutex_lock(&dvfs->lock);
	args->granted_opp = eb_dvfs_clamp_locked(dvfs, args->opp);
	mutex_unlock(&dvfs->lock);
	return 0;
}
