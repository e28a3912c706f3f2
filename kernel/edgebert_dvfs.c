// SPDX-License-Identifier: GPL-2.0
/*
 * EdgeBERT accelerator: dynamic voltage and frequency scaling.
 */
#include "edgebert_drv.h"

void eb_dvfs_irq(struct eb_device *ebdev)
{
}
