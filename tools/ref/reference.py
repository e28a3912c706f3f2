#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Reference forward pass of the EdgeBERT graph in PyTorch (float64).

Decodes the weights of an .ebm with ebm.py (not with the C code), runs the
graph of docs/model-format.md section 9 for some token sequences, and
writes the expected per-layer logits and entropies (no early exit) as a
text fixture for tests/host/graph.c:

    case TASK N id... types type...
    layer L ENTROPY logit...

Usage: /usr/bin/python3 tools/ref/reference.py MODEL.ebm OUT.ref
(needs Debian's python3-torch; the committed fixtures make tests run
without it).
"""
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ebm  # noqa: E402


def T(x):
    return torch.tensor(x, dtype=torch.float64)


def layernorm(x, g, b, eps):
    return torch.nn.functional.layer_norm(x, x.shape[-1:], T(g[0]), T(b[0]), eps)


def linear(x, w, b):
    return x @ T(w).T + T(b[0])


def attention(x, w, m):
    n, H = x.shape
    nh = m["heads"]
    dh = H // nh
    q, k, v = (linear(x, w[p + ".w"], w[p + ".b"]) for p in "qkv")
    ctx = torch.zeros(n, H, dtype=torch.float64)
    dist = (torch.arange(n)[:, None] - torch.arange(n)[None, :]).abs().double()
    for h in range(nh):
        span = w["span_z"][h] * w["span_max"]
        if span <= 0:           # span 0: the head is skipped
            continue
        sl = slice(h * dh, (h + 1) * dh)
        s = q[:, sl] @ k[:, sl].T / math.sqrt(dh)
        mask = ((-dist + span) / w["span_ramp"] + 1).clamp(0, 1)
        mask[dist >= w["span_max"]] = 0
        p = torch.softmax(s.masked_fill(mask == 0, -math.inf), -1) * mask
        p = p / p.sum(-1, keepdim=True)     # softmax -> mask -> renormalise
        ctx[:, sl] = p @ v[:, sl]
    return linear(ctx, w["o.w"], w["o.b"])


def forward(m, w, ids, types):
    eps = m["ln_eps"]
    n = len(ids)
    e = T(m["word_emb"][ids]) + T(w["pos_emb"][:n]) + T(w["type_emb"][types])
    x = linear(layernorm(e, w["emb_ln.g"], w["emb_ln.b"], eps),
               w["emb_proj.w"], w["emb_proj.b"])
    out = []
    for l in range(m["layers"]):
        x = layernorm(x + attention(x, w, m), w["ln1.g"], w["ln1.b"], eps)
        f = torch.nn.functional.gelu(linear(x, w["ffn1.w"], w["ffn1.b"]))
        x = layernorm(x + linear(f, w["ffn2.w"], w["ffn2.b"]), w["ln2.g"], w["ln2.b"], eps)
        r = "ramp%d." % l
        logits = linear(torch.tanh(linear(x[0], w[r + "pool.w"], w[r + "pool.b"])),
                        w[r + "cls.w"], w[r + "cls.b"])
        p = torch.softmax(logits, -1)
        out.append((float(-(p * torch.log(p)).sum()), logits.tolist()))
    return out


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    m = ebm.load(sys.argv[1])
    gen = torch.Generator().manual_seed(7)
    cases = []
    for task in sorted(m["tasks"]):
        for n in (1, 2, 7, m["max_position"]):
            ids = [m["cls_id"]] + torch.randint(5, m["vocab_size"], (n - 1,),
                                                generator=gen).tolist()
            types = [0] * n
            if n > 2:
                types[n // 2:] = [1] * (n - n // 2)
            cases.append((task, ids, types))
    with open(sys.argv[2], "w") as f:
        f.write("# expected by tools/ref/reference.py from %s\n"
                % os.path.basename(sys.argv[1]))
        for task, ids, types in cases:
            w = m["tasks"][task]
            f.write("case %s %d %s types %s\n" % (task, len(ids), " ".join(map(str, ids)),
                                                 " ".join(map(str, types))))
            for l, (h, logits) in enumerate(forward(m, w, ids, types)):
                f.write("layer %d %.17g %s\n" % (l + 1, h, " ".join("%.17g" % v for v in logits)))


if __name__ == "__main__":
    main()
