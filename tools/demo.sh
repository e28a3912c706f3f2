#!/bin/sh
# SPDX-License-Identifier: MIT
# The main job: boot the VM with the EdgeBERT device and show what the
# driver found.
set -eu
cd "$(dirname "$0")/.."
exec tools/vm/run -- sh -c 'echo "== EdgeBERT devices =="; ebctl list; echo; echo "== device 0 =="; ebctl info'
