/*
 * EdgeBERT accelerator: the command stream interpreter (worker thread)
 *
 * Commands are specified in docs/device.md ("Commands"). Everything here
 * runs on the device's worker thread; guest memory is reached only through
 * edgebert_worker_bo_rw().
 *
 * Copyright (c) 2025 The EdgeBERT project authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/log.h"

#include "edgebert.h"

#define EB_CMD_OP(h)        ((h) & 0xffff)
#define EB_CMD_LEN(h)       ((h) >> 16)

enum {
    EB_OP_NOP = 0x00,
    EB_OP_SET_OPP = 0x01,
};

/* Switch the job to operating point @opp in modeled time. */
static uint32_t edgebert_job_set_opp(EdgebertState *s, EdgebertJob *job,
                                     uint32_t opp)
{
    const struct eb_hw *hw = &job->hw;
    const struct eb_opp *p;

    if (opp >= hw->opp_count) {
        return EB_JOB_INVALID_CMD;
    }
    if (opp == job->opp) {
        return EB_JOB_OK;
    }
    p = &hw->opp[opp];
    if (qatomic_read(&s->fault_ctrl) & EB_FAULT_DVFS) {
        qatomic_and(&s->fault_ctrl, ~EB_FAULT_DVFS);
        return EB_JOB_DVFS_FAULT;
    }
    if (p->volt_uv < hw->volt_min_uv || p->volt_uv > hw->volt_max_uv ||
        !p->freq_khz || p->freq_khz > eb_hw_law_freq_khz(hw, p->volt_uv)) {
        return EB_JOB_DVFS_FAULT;
    }
    job->cost.ns += eb_transition_ns(hw, job->opp, opp);
    job->cost.energy_pj += eb_transition_pj(hw, job->opp, opp);
    job->transitions++;
    job->opp = opp;
    return EB_JOB_OK;
}

void edgebert_run_commands(EdgebertState *s, EdgebertJob *job,
                           const uint32_t *cmd, uint32_t words)
{
    uint32_t pc = 0;

    if (job->opp_request != EB_OPP_KEEP) {
        job->status = edgebert_job_set_opp(s, job, job->opp_request);
    }
    while (job->status == EB_JOB_OK && pc < words) {
        uint32_t op = EB_CMD_OP(cmd[pc]), len = EB_CMD_LEN(cmd[pc]);
        const uint32_t *arg = cmd + pc + 1;

        if (!len || len > words - pc) {
            job->status = EB_JOB_INVALID_CMD;
            break;
        }
        switch (op) {
        case EB_OP_NOP:
            break;
        case EB_OP_SET_OPP:
            if (len != 2) {
                job->status = EB_JOB_INVALID_CMD;
                break;
            }
            job->status = edgebert_job_set_opp(s, job, arg[0]);
            break;
        default:
            job->status = EB_JOB_INVALID_CMD;
            break;
        }
        pc += len;
    }
    if (job->status == EB_JOB_INVALID_CMD) {
        qemu_log_mask(LOG_GUEST_ERROR, "edgebert: job %" PRIu64
                      ": invalid command at word %u\n", job->job_id, pc);
    }
}
