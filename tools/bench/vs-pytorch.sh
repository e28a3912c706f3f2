#!/bin/sh
# SPDX-License-Identifier: MIT
# The CPU backend vs PyTorch on the same random ALBERT-base weights, in one
# run: edgebert-bench writes the model it times, tools/bench/torch_forward.py
# times PyTorch on it. Needs Debian's python3-torch (never make check).
#
#   tools/bench/vs-pytorch.sh [BUILD] [SEQ] [REPS]
set -eu
BUILD=${1:-build}
SEQ=${2:-128}
REPS=${3:-7}
HERE=$(dirname "$0")
THREADS=$(getconf _NPROCESSORS_ONLN)
MODEL=$(mktemp /tmp/edgebert-bench.XXXXXX.ebm)
OUT=$(mktemp)
trap 'rm -f "$MODEL" "$OUT"' EXIT

"$BUILD/bin/edgebert-bench" --seq "$SEQ" --reps "$REPS" --threads "$THREADS" \
	--save-model "$MODEL" | tee "$OUT"
/usr/bin/python3 "$HERE/torch_forward.py" "$MODEL" "$SEQ" "$THREADS" "$REPS" >>"$OUT"
awk -v t="$THREADS" '
	/^  AF8 dense / { eb1 = $(NF - 1); ebn = $NF }
	/^torch / { if ($2 == 1) pt1 = $3; else ptn = $3 }
	END {
		printf "Sentence (embeddings + 12 layers + off-ramps), ms, AF8 dense vs PyTorch f32:\n"
		printf "  %-10s %10s %10s %8s\n", "threads", "edgebert", "pytorch", "ratio"
		printf "  %-10s %10.1f %10.1f %7.2fx\n", 1, eb1, pt1, eb1 / pt1
		if (t > 1) printf "  %-10s %10.1f %10.1f %7.2fx\n", t, ebn, ptn, ebn / ptn
	}' "$OUT"
