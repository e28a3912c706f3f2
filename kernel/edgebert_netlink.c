// SPDX-License-Identifier: GPL-2.0
/*
 * EdgeBERT accelerator: generic netlink family "edgebert".
 *
 * Events (job done, DVFS transition, eNVM programmed, reset) go to the
 * "events" multicast group, only built when someone listens. GET_STATS
 * dumps one message per device.
 */
#include <linux/list.h>
#include <linux/mutex.h>
#include <net/genetlink.h>

#include <drm/drm_file.h>

#include "edgebert_drv.h"
#include "edgebert_netlink.h"

static LIST_HEAD(eb_nl_devices);
static DEFINE_MUTEX(eb_nl_lock);

static const struct genl_multicast_group eb_nl_mcgrps[] = {
	{ .name = EDGEBERT_GENL_MCGRP_EVENTS, },
};

static struct genl_family eb_nl_family;

static u32 eb_nl_minor(struct eb_device *ebdev)
{
	return ebdev->drm.render->index;
}

static struct sk_buff *eb_nl_event_new(struct eb_device *ebdev, u8 cmd,
				       void **hdr)
{
	struct sk_buff *skb;

	if (!genl_has_listeners(&eb_nl_family, &init_net, 0))
		return NULL;
	skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!skb)
		return NULL;
	*hdr = genlmsg_put(skb, 0, 0, &eb_nl_family, 0, cmd);
	if (!*hdr || nla_put_u32(skb, EDGEBERT_A_DEVICE, eb_nl_minor(ebdev))) {
		nlmsg_free(skb);
		return NULL;
	}
	return skb;
}

static void eb_nl_event_send(struct sk_buff *skb, void *hdr, int err)
{
	if (err) {
		nlmsg_free(skb);
		return;
	}
	genlmsg_end(skb, hdr);
	genlmsg_multicast(&eb_nl_family, skb, 0, 0, GFP_KERNEL);
}

void eb_nl_job_done(struct eb_device *ebdev,
		    const struct drm_edgebert_event_job *res, u64 latency_ns)
{
	struct sk_buff *skb;
	void *hdr;

	skb = eb_nl_event_new(ebdev, EDGEBERT_CMD_JOB_DONE, &hdr);
	if (!skb)
		return;
	eb_nl_event_send(skb, hdr,
			 nla_put_u64_64bit(skb, EDGEBERT_A_JOB_ID, res->job_id,
					   EDGEBERT_A_PAD) ||
			 nla_put_u32(skb, EDGEBERT_A_JOB_STATUS, res->status) ||
			 nla_put_u32(skb, EDGEBERT_A_EXIT_LAYER, res->exit_layer) ||
			 nla_put_u32(skb, EDGEBERT_A_OPP, res->opp) ||
			 nla_put_u64_64bit(skb, EDGEBERT_A_CYCLES, res->cycles,
					   EDGEBERT_A_PAD) ||
			 nla_put_u64_64bit(skb, EDGEBERT_A_DEVICE_NS,
					   res->device_ns, EDGEBERT_A_PAD) ||
			 nla_put_u64_64bit(skb, EDGEBERT_A_ENERGY_PJ,
					   res->energy_pj, EDGEBERT_A_PAD) ||
			 nla_put_u64_64bit(skb, EDGEBERT_A_LATENCY_NS,
					   latency_ns, EDGEBERT_A_PAD));
}

void eb_nl_dvfs_change(struct eb_device *ebdev, u32 prev, u32 cur,
		       const struct drm_edgebert_opp *point)
{
	struct sk_buff *skb;
	void *hdr;

	skb = eb_nl_event_new(ebdev, EDGEBERT_CMD_DVFS_CHANGE, &hdr);
	if (!skb)
		return;
	eb_nl_event_send(skb, hdr,
			 nla_put_u32(skb, EDGEBERT_A_OPP_PREV, prev) ||
			 nla_put_u32(skb, EDGEBERT_A_OPP, cur) ||
			 nla_put_u32(skb, EDGEBERT_A_FREQ_KHZ, point->freq_khz) ||
			 nla_put_u32(skb, EDGEBERT_A_VOLT_UV, point->volt_uv));
}

void eb_nl_envm_programmed(struct eb_device *ebdev, u32 generation, u64 size)
{
	struct sk_buff *skb;
	void *hdr;

	skb = eb_nl_event_new(ebdev, EDGEBERT_CMD_ENVM_PROGRAMMED, &hdr);
	if (!skb)
		return;
	eb_nl_event_send(skb, hdr,
			 nla_put_u32(skb, EDGEBERT_A_ENVM_GENERATION, generation) ||
			 nla_put_u64_64bit(skb, EDGEBERT_A_ENVM_SIZE, size,
					   EDGEBERT_A_PAD));
}

void eb_nl_reset(struct eb_device *ebdev, u32 reason)
{
	struct sk_buff *skb;
	void *hdr;

	skb = eb_nl_event_new(ebdev, EDGEBERT_CMD_RESET, &hdr);
	if (!skb)
		return;
	eb_nl_event_send(skb, hdr,
			 nla_put_u32(skb, EDGEBERT_A_RESET_REASON, reason));
}

static int eb_nl_fill_stats(struct sk_buff *skb, struct eb_device *ebdev,
			    u32 portid, u32 seq)
{
	struct drm_edgebert_stats st;
	void *hdr;

	eb_get_stats(ebdev, &st);
	hdr = genlmsg_put(skb, portid, seq, &eb_nl_family, NLM_F_MULTI,
			  EDGEBERT_CMD_GET_STATS);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u32(skb, EDGEBERT_A_DEVICE, eb_nl_minor(ebdev)) ||
	    nla_put_u64_64bit(skb, EDGEBERT_A_STATS_JOBS_SUBMITTED,
			      st.jobs_submitted, EDGEBERT_A_PAD) ||
	    nla_put_u64_64bit(skb, EDGEBERT_A_STATS_JOBS_COMPLETED,
			      st.jobs_completed, EDGEBERT_A_PAD) ||
	    nla_put_u64_64bit(skb, EDGEBERT_A_STATS_JOBS_FAILED,
			      st.jobs_failed, EDGEBERT_A_PAD) ||
	    nla_put_u64_64bit(skb, EDGEBERT_A_STATS_RESETS, st.resets,
			      EDGEBERT_A_PAD) ||
	    nla_put_u64_64bit(skb, EDGEBERT_A_STATS_DVFS_TRANSITIONS,
			      st.dvfs_transitions, EDGEBERT_A_PAD) ||
	    nla_put_u64_64bit(skb, EDGEBERT_A_CYCLES, st.cycles,
			      EDGEBERT_A_PAD) ||
	    nla_put_u64_64bit(skb, EDGEBERT_A_DEVICE_NS, st.busy_ns,
			      EDGEBERT_A_PAD) ||
	    nla_put_u64_64bit(skb, EDGEBERT_A_ENERGY_PJ, st.energy_pj,
			      EDGEBERT_A_PAD)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

/* cb->args[0]: devices already dumped. */
static int eb_nl_get_stats_dumpit(struct sk_buff *skb,
				  struct netlink_callback *cb)
{
	struct eb_device *ebdev;
	long idx = 0;

	mutex_lock(&eb_nl_lock);
	list_for_each_entry(ebdev, &eb_nl_devices, nl_node) {
		if (idx++ < cb->args[0])
			continue;
		if (eb_nl_fill_stats(skb, ebdev, NETLINK_CB(cb->skb).portid,
				     cb->nlh->nlmsg_seq)) {
			idx--;
			break;
		}
	}
	mutex_unlock(&eb_nl_lock);
	cb->args[0] = idx;
	return skb->len;
}

static const struct genl_small_ops eb_nl_ops[] = {
	{
		.cmd = EDGEBERT_CMD_GET_STATS,
		.dumpit = eb_nl_get_stats_dumpit,
	},
};

static struct genl_family eb_nl_family __ro_after_init = {
	.name = EDGEBERT_GENL_NAME,
	.version = EDGEBERT_GENL_VERSION,
	.maxattr = EDGEBERT_A_MAX,
	.module = THIS_MODULE,
	.small_ops = eb_nl_ops,
	.n_small_ops = ARRAY_SIZE(eb_nl_ops),
	/* Strict validation for every request command. */
	.resv_start_op = EDGEBERT_CMD_GET_STATS,
	.mcgrps = eb_nl_mcgrps,
	.n_mcgrps = ARRAY_SIZE(eb_nl_mcgrps),
};

void eb_nl_add_device(struct eb_device *ebdev)
{
	mutex_lock(&eb_nl_lock);
	list_add_tail(&ebdev->nl_node, &eb_nl_devices);
	mutex_unlock(&eb_nl_lock);
}

void eb_nl_remove_device(struct eb_device *ebdev)
{
	mutex_lock(&eb_nl_lock);
	list_del(&ebdev->nl_node);
	mutex_unlock(&eb_nl_lock);
}

int __init eb_nl_init(void)
{
	return genl_register_family(&eb_nl_family);
}

void eb_nl_exit(void)
{
	genl_unregister_family(&eb_nl_family);
}
