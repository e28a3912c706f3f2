/* SPDX-License-Identifier: MIT */
/*
 * libedgebert: every public header. Link with `pkg-config --libs edgebert`.
 * Start with edgebert/engine.h: open a model, open an engine, classify.
 */
#ifndef EDGEBERT_H
#define EDGEBERT_H

#include "edgebert/model.h"
#include "edgebert/tokenizer.h"
#include "edgebert/cpu.h"
#include "edgebert/hw.h"
#include "edgebert/policy.h"
#include "edgebert/device.h"
#include "edgebert/engine.h"
#include "edgebert/telemetry.h"

#endif /* EDGEBERT_H */
