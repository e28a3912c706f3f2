// SPDX-License-Identifier: GPL-2.0
/*
 * EdgeBERT accelerator: embedded non-volatile memory.
 */
#include "edgebert_drv.h"

void eb_envm_irq(struct eb_device *ebdev)
{
}
