#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Time PyTorch (float32) on the EdgeBERT graph of an .ebm: one sentence of
SEQ tokens, embeddings and every layer with its off-ramp, no early exit,
weights decoded by tools/ref/ebm.py. Prints the median ms per sentence on
1 thread and on THREADS:

    torch 1 MS1
    torch THREADS MSN

Usage: /usr/bin/python3 tools/bench/torch_forward.py MODEL.ebm SEQ THREADS REPS
(Debian's python3-torch; used by tools/bench/vs-pytorch.sh only).
"""
import math
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "ref"))
import ebm  # noqa: E402

F = torch.nn.functional


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    m = ebm.load(sys.argv[1])
    seq, threads, reps = (int(a) for a in sys.argv[2:])
    w = {k: torch.tensor(v, dtype=torch.float32)
         for k, v in m["tasks"]["dense"].items() if hasattr(v, "shape")}
    word = torch.tensor(m["word_emb"], dtype=torch.float32)
    H, nh, eps = m["hidden"], m["heads"], m["ln_eps"]
    dh = H // nh
    ids = torch.randint(5, m["vocab_size"], (seq,))
    ids[0] = m["cls_id"]

    def lin(x, p):
        return F.linear(x, w[p + ".w"], w[p + ".b"][0])

    def ln(x, p):
        return F.layer_norm(x, (x.shape[-1],), w[p + ".g"][0], w[p + ".b"][0], eps)

    def forward():
        e = word[ids] + w["pos_emb"][:seq] + w["type_emb"][0]
        x = lin(ln(e, "emb_ln"), "emb_proj")
        for layer in range(m["layers"]):
            q, k, v = (lin(x, p).view(seq, nh, dh).transpose(0, 1) for p in "qkv")
            p = torch.softmax(q @ k.transpose(1, 2) / math.sqrt(dh), -1)
            ctx = (p @ v).transpose(0, 1).reshape(seq, H)
            x = ln(x + lin(ctx, "o"), "ln1")
            x = ln(x + lin(F.gelu(lin(x, "ffn1")), "ffn2"), "ln2")
            r = "ramp%d." % layer
            torch.softmax(lin(torch.tanh(lin(x[0], r + "pool")), r + "cls"), -1)

    with torch.no_grad():
        for n in (1, threads):
            torch.set_num_threads(n)
            forward()
            t = []
            for _ in range(reps):
                t0 = time.perf_counter()
                forward()
                t.append(time.perf_counter() - t0)
            print("torch %d %.2f" % (n, statistics.median(t) * 1e3))


if __name__ == "__main__":
    main()
