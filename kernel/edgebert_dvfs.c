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
#include <linux/minmax.h>
#include <linux/uaccess.h>

#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_print.h>

#include "edgebert_drv.h"
#include "edgebert_job.h"

/* The device's frequency law (docs/device.md): Vth = 0.30 V, alpha = 3/2. */
#define EB_VTH_UV	300000
#define EB_BIG_LIMBS	8

/* Exact product of up to seven u32 factors, 256-bit little-endian limbs. */
static void eb_big_product(const u32 *f, unsigned int n, u32 *out)
{
	unsigned int i, j;

	memset(out, 0, EB_BIG_LIMBS * sizeof(*out));
	out[0] = 1;
	for (i = 0; i < n; i++) {
		u64 carry = 0;

		for (j = 0; j < EB_BIG_LIMBS; j++) {
			u64 t = (u64)out[j] * f[i] + carry;

			out[j] = lower_32_bits(t);
			carry = upper_32_bits(t);
		}
	}
}

static bool eb_big_le(const u32 *a, const u32 *b)
{
	int i;

	for (i = EB_BIG_LIMBS - 1; i >= 0; i--)
		if (a[i] != b[i])
			return a[i] < b[i];
	return true;
}

/* f^2 * v^2 * dv^3 */
static void eb_law_side(u32 f, u32 v, u32 dv, u32 *out)
{
	const u32 factors[] = { f, f, v, v, dv, dv, dv };

	eb_big_product(factors, ARRAY_SIZE(factors), out);
}

/*
 * Highest frequency the device accepts at volt_uv, in kHz: the law
 * f = Fmax * ((V - Vth)^1.5 / V) / ((Vmax - Vth)^1.5 / Vmax), rounded down
 * to 1 MHz exactly as the device does. Squared to stay in integers:
 * f^2 V^2 (Vmax - Vth)^3 <= Fmax^2 Vmax^2 (V - Vth)^3.
 */
static u32 eb_dvfs_freq_limit(const union eb_caps *caps, u32 volt_uv)
{
	u32 fmax = caps->freq_max_khz, vmax = caps->volt_max_uv;
	u32 lhs[EB_BIG_LIMBS], rhs[EB_BIG_LIMBS];
	u32 d, dmax, lo = 0, hi = fmax / 1000;

	if (volt_uv <= EB_VTH_UV || vmax <= EB_VTH_UV)
		return 0;
	if (volt_uv >= vmax)
		return hi * 1000;
	d = volt_uv - EB_VTH_UV;
	dmax = vmax - EB_VTH_UV;
	eb_law_side(fmax, vmax, d, rhs);
	while (lo < hi) {
		u32 mid = lo + (hi - lo + 1) / 2;

		eb_law_side(mid * 1000, volt_uv, dmax, lhs);
		if (eb_big_le(lhs, rhs))
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo * 1000;
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
 * DVFS_REQUEST, else the previous job's point; always inside the admin
 * window. Always explicit: a refused transition leaves the device behind
 * the driver's view, and the next job's descriptor puts it right (a
 * transition to the point in force costs nothing).
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
	int idx;

	eb_dvfs_get_table(ebdev, table, &count);
	if (args->table) {
		n = min(count, args->table_count);
		if (copy_to_user(u64_to_user_ptr(args->table), table,
				 n * sizeof(*table)))
			return -EFAULT;
	}
	args->table_count = count;
	eb_dvfs_get_window(ebdev, &args->min_opp, &args->max_opp);
	if (!drm_dev_enter(drm, &idx))
		return -ENODEV;
	args->current_opp = eb_read(ebdev, EB_DVFS_CURRENT);
	args->transitions = eb_read(ebdev, EB_DVFS_TRANSITIONS);
	drm_dev_exit(idx);
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
