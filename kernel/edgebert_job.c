// SPDX-License-Identifier: GPL-2.0
/*
 * EdgeBERT accelerator: job submission and completion.
 */
#include <drm/drm_print.h>

#include "edgebert_drv.h"

void eb_job_irq(struct eb_device *ebdev)
{
}

void eb_job_device_error(struct eb_device *ebdev)
{
	drm_err(&ebdev->drm, "device error %u\n",
		eb_read(ebdev, EB_ERROR_CODE));
}
