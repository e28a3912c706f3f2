#!/bin/sh
# SPDX-License-Identifier: MIT
#
# The main job (make demo): boot the VM with an EdgeBERT device, show what
# the driver found, and classify sentences on the device with the committed
# models, each under a latency target, with early exit and per-sentence DVFS.
#
#   tools/demo.sh [TARGET_MS]    default: each sentence's latency without
#                                early exit at the nominal operating point
set -eu
cd "$(dirname "$0")/.."
target=${1:-}
[ -n "$target" ] && target="--target-ms $target"

exec tools/vm/run -- sh -c "
echo '== EdgeBERT device (edgebert.ko, QEMU -device edgebert) =='
ebctl info
echo
echo '== SST-2 sentiment on the device: exit predictor + per-sentence DVFS =='
edgebert-run -m /models/sst2.ebm $target <<'EOS'
a gripping, beautifully acted story that stays with you long after it ends.
the plot is a dull, lifeless mess and the jokes never land.
not the best film of the year, but a pleasant surprise.
i wanted to like it, yet two hours felt like four.
an utterly charming, funny and moving piece of work.
EOS
echo
echo '== SNIPS intents on the device, same shared eNVM embeddings =='
edgebert-run -m /models/snips.ebm $target <<'EOS'
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
