#!/bin/sh
# One command: the shared embeddings, then SST-2 and SNIPS (in parallel, 1
# thread each), a second SST-2 epoch on the longer phrases, then the export
# to models/ and tests/fixtures/.  Usage: tools/train/train.sh [DATA_DIR]
set -e
cd "$(dirname "$0")/../.."
DATA=${1:-../shared/data}
OUT=${EB_TRAIN_OUT:-/var/tmp/edgebert-train}
PY=/usr/bin/python3
mkdir -p "$OUT"
start=$(date +%s)
$PY tools/train/edgebert_train.py emb --data "$DATA" --out "$OUT" --epochs 3
$PY tools/train/edgebert_train.py sst2 --data "$DATA" --out "$OUT" --epochs 1 \
	--embeddings "$OUT/embeddings.pt" > "$OUT/sst2.log" 2>&1 &
p1=$!
$PY tools/train/edgebert_train.py snips --data "$DATA" --out "$OUT" --epochs 2 \
	--embeddings "$OUT/embeddings.pt" > "$OUT/snips.log" 2>&1 &
p2=$!
wait $p1
wait $p2
cat "$OUT/sst2.log" "$OUT/snips.log"
# SST-2, epoch 2: phrases of >= 5 words only (dev holds whole sentences),
# a fifth of the learning rate; then the off-ramps again.
cp "$OUT/sst2-stage1.pt" "$OUT/sst2-e1-stage1.pt"
$PY tools/train/edgebert_train.py sst2 --data "$DATA" --out "$OUT" --epochs 1 \
	--embeddings "$OUT/embeddings.pt" --init "$OUT/sst2-e1-stage1.pt" \
	--lr 2e-4 --warmup 0.1 --min-words 5 --span-lr 0.01
end=$(date +%s)
echo "training wall time: $((end - start)) s"
$PY tools/train/edgebert_export.py --data "$DATA" --ckpt "$OUT"
