#!/bin/sh
# One command: shared embeddings, then SST-2 and SNIPS (in parallel, 1 thread
# each), then the export to models/.  Usage: tools/train/train.sh [DATA_DIR]
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
end=$(date +%s)
echo "training wall time: $((end - start)) s"
if [ -f tools/train/edgebert_export.py ]; then
	$PY tools/train/edgebert_export.py --data "$DATA" --ckpt "$OUT"
fi
