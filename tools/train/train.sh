#!/bin/sh
# One command: the shared embeddings; the SST-2 distillation teachers; the
# SST-2 student (distilled, word table fine-tuned); SNIPS over the student's
# word table; the export to models/ and tests/fixtures/.
# Usage: tools/train/train.sh [DATA_DIR]   (see tools/train/README.md)
set -e
cd "$(dirname "$0")/../.."
DATA=${1:-../shared/data}
OUT=${EB_TRAIN_OUT:-/var/tmp/edgebert-train}
PY=/usr/bin/python3
TRAIN="$PY tools/train/edgebert_train.py"
TEACH="$PY tools/train/edgebert_teacher.py"
mkdir -p "$OUT"
start=$(date +%s)

# 1. the shared word table (bag-of-embeddings, pruned to 60 % zeros)
$TRAIN emb --data "$DATA" --out "$OUT" --epochs 3

# 2. teachers, each also labelling 4 augmented variants of every training
# phrase of >= 6 words: a CNN and a BiLSTM (1 thread each, in parallel),
# three bag-of-n-grams seeds; their mean is the student's teacher.
$TEACH cnn --data "$DATA" --out "$OUT" --epochs 3 --dim 200 --lr 1e-3 --augment 4 \
	> "$OUT/teacher-cnn.log" 2>&1 &
p1=$!
$TEACH lstm --data "$DATA" --out "$OUT" --epochs 4 --dim 200 --lr 1e-3 --augment 4 \
	> "$OUT/teacher-lstm.log" 2>&1 &
p2=$!
for s in 1234 2 3; do
	$TEACH bow --data "$DATA" --out "$OUT" --epochs 1 --dim 64 --lr 5e-3 --augment 4 \
		--init-seed $s --teacher-out "$OUT/teacher-bow-$s.pt"
done
$TEACH combine --data "$DATA" --out "$OUT" --teacher-out "$OUT/teacher-bow.pt" \
	--combine "$OUT/teacher-bow-1234.pt" "$OUT/teacher-bow-2.pt" "$OUT/teacher-bow-3.pt"
wait $p1
wait $p2
grep -h "held-out" "$OUT/teacher-cnn.log" "$OUT/teacher-lstm.log"
$TEACH combine --data "$DATA" --out "$OUT" --teacher-out "$OUT/teacher.pt" \
	--combine "$OUT/teacher-bow.pt" "$OUT/teacher-cnn.pt" "$OUT/teacher-lstm.pt"

# 3. the SST-2 student: one epoch over the training and augmented phrases,
# loss 0.1 CE + 0.9 KL to the teacher, the word table fine-tuned under its
# mask (saved as embeddings-sst2.pt, the eNVM image of every task)
$TRAIN sst2 --data "$DATA" --out "$OUT" --epochs 1 --embeddings "$OUT/embeddings.pt" \
	--teacher "$OUT/teacher.pt" --kd-alpha 0.9 --train-emb --emb-lr 1e-4

# 4. SNIPS over that frozen table
$TRAIN snips --data "$DATA" --out "$OUT" --epochs 2 --embeddings "$OUT/embeddings-sst2.pt"
end=$(date +%s)
echo "training wall time: $((end - start)) s"
$PY tools/train/edgebert_export.py --data "$DATA" --ckpt "$OUT"
