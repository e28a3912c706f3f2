#!/bin/sh
# SPDX-License-Identifier: MIT
#
# The main job (make demo): boot the VM with an EdgeBERT device, show what
# the driver found, and classify sentences on the device with the committed
# models, each under a latency target, with early exit and per-sentence DVFS.
#
#   tools/demo.sh [TARGET_MS]    SST-2 latency target per sentence in modeled
#                                device ms (default 0.25: about 1.5x a
#                                12-layer sentence at the nominal point)
#
# SST-2 runs at entropy threshold 0.3 rather than the model's own 0.55: these
# clear-cut sentences are confident at the first off-ramp, and at 0.55 all of
# them exit at layer 1, leaving nothing for the predictor and DVFS to decide;
# at 0.3 the dev accuracy is the same 80.05 % (tools/train/README.md).
set -eu
cd "$(dirname "$0")/.."
target=${1:-0.25}

exec tools/vm/run -- sh -c "
echo '== EdgeBERT device (edgebert.ko, QEMU -device edgebert) =='
ebctl info
echo
echo '== SST-2 sentiment on the device: exit predictor + per-sentence DVFS, target $target ms =='
edgebert-run -m /models/sst2.ebm --threshold 0.3 --target-ms $target <<'EOS'
a gripping, beautifully acted story that stays with you long after it ends.
the plot is a dull, lifeless mess and the jokes never land.
not the best film of the year, but a pleasant surprise.
i wanted to like it, yet two hours felt like four.
an utterly charming, funny and moving piece of work.
EOS
echo
echo '== SNIPS intents on the device, same shared eNVM embeddings =='
edgebert-run -m /models/snips.ebm <<'EOS'
will it rain in lisbon tomorrow morning?
add this song to my workout playlist
book a table for four at an italian place tonight
play some jazz by miles davis
rate the book i just finished five stars
EOS
echo
echo '== device counters =='
ebctl stats
"
