#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Export the trained EdgeBERT tasks to .ebm (docs/model-format.md).

For each task checkpoint (sst2.pt, snips.pt in --ckpt):
  * AdaptivFloat8-quantise every matrix (per-tensor bias; the shared word
    embeddings AF8 + bitmask sparse), and evaluate the DEQUANTISED model;
  * choose the entropy threshold on held-out data (SST-2: long train phrases
    held out of training; SNIPS: dev) as the largest one whose early exit and
    exit-predictor accuracies each stay within --budget points of the final
    layer's;
  * fit the exit LUT from the model's own held-out per-layer entropies
    (rows: layer-1 entropy 0.00..0.99, columns 1..L-2: expected entropy of
    layers 2..L-1, k-nearest-neighbour mean);
  * write models/TASK.ebm (both files carry the identical EMBEDDINGS section,
    the eNVM image), models/metrics.json, and tests/fixtures/models.ref with
    float64 reference outputs (tools/ref/reference.py's forward pass over the
    file as written) for --ref-count dev sentences per task.
"""
import argparse
import json
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(REPO, "tools", "ref"))
import ebmodel  # noqa: E402
from ebmodel import Config, EdgeBert  # noqa: E402
from ebtok import Tokenizer  # noqa: E402
from ebmwrite import (ENC_AF8, FIXED, RAMP, af8_quantize, task_meta,  # noqa: E402
                      task_weights, write_ebm)
from edgebert_train import DEFAULT_DATA, encode, evaluate, read_tsv  # noqa: E402

LAYERS_LUT_ROWS = 100


def named_tensors(model):
    """The model's tensors under the .ebm names (float32 numpy)."""
    sd = {k: v.detach().float().numpy() for k, v in model.state_dict().items()}
    t = {
        "pos_emb": sd["emb.position.weight"], "type_emb": sd["emb.token_type.weight"],
        "emb_ln.g": sd["emb.ln.weight"], "emb_ln.b": sd["emb.ln.bias"],
        "emb_proj.w": sd["proj.weight"], "emb_proj.b": sd["proj.bias"],
    }
    for n in ("q", "k", "v", "o", "ffn1", "ffn2"):
        t[n + ".w"] = sd["layer.%s.weight" % n]
        t[n + ".b"] = sd["layer.%s.bias" % n]
    for n in ("ln1", "ln2"):
        t[n + ".g"] = sd["layer.%s.weight" % n]
        t[n + ".b"] = sd["layer.%s.bias" % n]
    for l in range(model.c.layers):
        for r in ("pool", "cls"):
            t["ramp%d.%s.w" % (l, r)] = sd["ramps.%d.%s.weight" % (l, r)]
            t["ramp%d.%s.b" % (l, r)] = sd["ramps.%d.%s.bias" % (l, r)]
    return t


def quantise_model(model):
    """Replace every matrix (and the word table) by its AF8-dequantised value."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() == 2:
                dq, _, _ = af8_quantize(p.detach().numpy())
                p.copy_(torch.from_numpy(dq))
        w = model.emb.word.weight
        w.mul_(model.emb.word_mask)


def exit_plain(H, thr):
    """eb_exit_plain(): 1-based exit layer per sentence (H: N x L)."""
    N, L = H.shape
    out = np.full(N, L)
    for n in range(L - 1, 0, -1):
        out = np.where(H[:, n - 1] < thr, n, out)
    return out


def lut_predict(lut, thr, L, at, h):
    row = lut[np.argmin(np.abs(lut[:, 0] - h))]
    last = lut.shape[1] - 2
    k = 0
    while k < last and not (row[k + 1] < thr):
        k += 1
    e = at + 1 + k
    return e if L >= 2 and e <= L - 2 else L


def exit_predicted(H, thr, lut):
    """eb_exit_predicted() (runtime/core/policy.c), prediction layer L - cols."""
    N, L = H.shape
    p = L - lut.shape[1]
    out = np.empty(N, dtype=int)
    for i in range(N):
        forced = 0
        e = L
        for n in range(1, L):
            h = H[i, n - 1]
            if n > p and n > L - 2:
                continue
            if h < thr:
                e = n
                break
            if n == p:
                forced = lut_predict(lut, thr, L, n, h)
                continue
            if n == forced:
                e = n
                break
        out[i] = e
    return out


def fit_lut(H, k=25):
    """Rows r/100 (r = 0..99): column 0 the layer-1 entropy, columns 1..L-2
    the mean entropy of layers 2..L-1 over the k held-out sentences whose
    layer-1 entropy is nearest."""
    N, L = H.shape
    lut = np.zeros((LAYERS_LUT_ROWS, L - 1), dtype=np.float32)
    for r in range(LAYERS_LUT_ROWS):
        x = r / 100.0
        nn_idx = np.argsort(np.abs(H[:, 0] - x), kind="stable")[:k]
        lut[r, 0] = x
        lut[r, 1:] = H[nn_idx, 1:L - 1].mean(0)
    return lut


def per_layer(model, data):
    acc, logits = evaluate(model, data)
    p = torch.softmax(logits.double(), -1)
    H = -(p * torch.log(p.clamp_min(1e-300))).sum(-1).numpy()
    pred = logits.argmax(-1).numpy()
    y = np.array([d[1] for d in data])
    return acc, H, pred, y


def exit_stats(H, pred, y, thr, lut):
    N, L = H.shape
    ee = exit_plain(H, thr)
    pr = exit_predicted(H, thr, lut)
    acc_ee = float((pred[np.arange(N), ee - 1] == y).mean())
    acc_pr = float((pred[np.arange(N), pr - 1] == y).mean())
    return acc_ee, acc_pr, float(ee.mean()), float(pr.mean())


def choose_threshold(H, pred, y, lut, budget, labels):
    final = float((pred[:, -1] == y).mean())
    best = 0.0
    hmax = float(np.log(labels))
    for thr in np.arange(0.0, 3.0, 0.005):
        if thr >= hmax:  # above ln(labels) every sentence exits at layer 1
            break
        a_ee, a_pr, _, _ = exit_stats(H, pred, y, thr, lut)
        if final - a_ee <= budget / 100 + 1e-9 and final - a_pr <= budget / 100 + 1e-9:
            best = float(thr)
    return round(best, 3)


def write_eval_fixture(fixtures, task, rows, H, pred, y, thr, lut):
    """tests/fixtures/eval-TASK.tsv (the reference sentences, labels as the
    data set writes them) and eval-TASK.expect: what edgebert-eval must
    print for it, from the float64 reference outputs."""
    with open(os.path.join(fixtures, "eval-%s.tsv" % task), "w", encoding="utf-8") as f:
        f.write("sentence\tlabel\n")
        f.writelines("%s\t%s\n" % (t.strip(), l) for t, l in rows)
    a_ee, a_pr, l_ee, l_pr = exit_stats(H, pred, y, thr, lut)
    expect = {"sentences": len(rows), "threshold": thr,
              "accuracy_final": float((pred[:, -1] == y).mean()),
              "accuracy_early_exit": a_ee, "accuracy_predictor": a_pr,
              "avg_exit_layer_ee": l_ee, "avg_exit_layer_predictor": l_pr}
    with open(os.path.join(fixtures, "eval-%s.expect" % task), "w") as f:
        f.write("# edgebert-eval --json on eval-%s.tsv: tools/train/edgebert_export.py, "
                "from tools/ref/reference.py's float64 outputs\n" % task)
        f.writelines("%s %.17g\n" % kv for kv in expect.items())


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=DEFAULT_DATA)
    ap.add_argument("--ckpt", default="/var/tmp/edgebert-train")
    ap.add_argument("--tasks", default="sst2,snips")
    ap.add_argument("--models", default=os.path.join(REPO, "models"))
    ap.add_argument("--ref", default=os.path.join(REPO, "tests", "fixtures", "models.ref"))
    ap.add_argument("--ref-count", type=int, default=30)
    ap.add_argument("--budget", type=float, default=0.5,
                    help="max accuracy loss (points) of early exit on held-out data")
    ap.add_argument("--max-len", type=int, default=64)
    a = ap.parse_args()
    torch.set_num_threads(2)
    ebmodel.SPAN_EPS = 0.0      # the runtime renormalises without epsilon
    vocab_path = os.path.join(a.data, "vocab", "bert-base-uncased-vocab.txt")
    tok = Tokenizer(vocab_path)
    with open(vocab_path, encoding="utf-8") as f:
        vocab = [l.rstrip("\n") for l in f]
    metrics = {}
    ref_lines = ["# reference outputs: tools/train/edgebert_export.py, float64 forward pass of "
                 "tools/ref/reference.py over the written models/TASK.ebm (dequantised AF8)\n"]
    envm = None
    os.makedirs(a.models, exist_ok=True)
    for task in a.tasks.split(","):
        ck = torch.load(os.path.join(a.ckpt, task + ".pt"))
        c = Config(**ck["config"])
        model = EdgeBert(c)
        model.load_state_dict(ck["state"])
        model.eval()
        labels = ck["labels"]
        lab = {l: i for i, l in enumerate(labels)}
        if task == "sst2":
            ev_rows = read_tsv(os.path.join(a.data, "glue", "sst2", "dev.tsv"))
            ev_name = "dev"
        else:
            ev_rows = read_tsv(os.path.join(a.data, "intent", task, "test.tsv"))
            ev_name = "test"
        hold = encode(tok, ck["holdout"], lab, a.max_len)
        ev = encode(tok, ev_rows, lab, a.max_len)
        acc_f32, _, _, _ = per_layer(model, ev)
        quantise_model(model)
        acc_q, Hh, ph, yh = per_layer(model, hold)
        lut = fit_lut(Hh)
        thr = choose_threshold(Hh, ph, yh, lut, a.budget, len(labels))
        acc_ev, He, pe, ye = per_layer(model, ev)
        a_ee, a_pr, l_ee, l_pr = exit_stats(He, pe, ye, thr, lut)
        h_ee, h_pr, hl_ee, hl_pr = exit_stats(Hh, ph, yh, thr, lut)
        z = model.layer.span_z.detach().clamp(0, 1).numpy()
        m = {
            "eval_split": ev_name, "sentences": len(ev),
            "accuracy_final_float": acc_f32[-1], "accuracy_per_layer_float": acc_f32,
            "accuracy_final": acc_ev[-1], "accuracy_per_layer": acc_ev,
            "threshold": thr, "accuracy_early_exit": a_ee, "accuracy_predictor": a_pr,
            "avg_exit_layer_ee": l_ee, "avg_exit_layer_predictor": l_pr,
            "heldout": {"sentences": len(hold), "accuracy_final": float((ph[:, -1] == yh).mean()),
                        "accuracy_early_exit": h_ee, "accuracy_predictor": h_pr,
                        "avg_exit_layer_ee": hl_ee, "avg_exit_layer_predictor": hl_pr},
            "span_z": z.tolist(), "span_max": c.span_max, "span_ramp": c.span_ramp,
            "train_seconds": ck.get("train_seconds"),
        }
        print(task, json.dumps(m, indent=1), flush=True)
        t = named_tensors(model)
        word = model.emb.word.weight.detach().numpy()
        cfg = dict(vocab_size=c.vocab_size, max_position=c.max_position,
                   type_vocab_size=c.type_vocab_size, embed_dim=c.embed_dim,
                   hidden=c.hidden, heads=c.heads, ffn=c.ffn, layers=c.layers)
        tw = task_weights(cfg, len(labels), c.span_max, float(c.span_ramp), z, t, ENC_AF8)
        # SST-2's TSV labels are 0/1; the file names them (TSVs may use either)
        names = ["negative", "positive"] if task == "sst2" else labels
        meta = task_meta(task, names, thr, lut)
        m["label_names"] = names
        path = os.path.join(a.models, task + ".ebm")
        size, esec = write_ebm(path, cfg, vocab, word, [(meta, tw)], ebmodel.LN_EPS,
                               dict(cls=tok.cls, sep=tok.sep, unk=tok.unk, pad=tok.pad))
        if envm is None:
            envm = esec
        assert esec == envm, "tasks do not share one embedding image"
        m["file_bytes"] = size
        m["embedding_zeros"] = float((word == 0).mean())
        metrics[task] = m
        # reference outputs from the file as written (independent reader)
        import ebm as ebm_reader
        import reference
        em = ebm_reader.load(path)
        w = em["tasks"][task]
        ref_H, ref_pred = [], []
        for text, label in ev_rows[:a.ref_count]:
            ids = tok.encode(text, a.max_len)
            ref_lines.append("text %s\n" % text.strip())
            ref_lines.append("case %s %d %s types %s\n" % (task, len(ids), " ".join(map(str, ids)),
                                                          " ".join("0" for _ in ids)))
            outs = reference.forward(em, w, ids, [0] * len(ids))
            for l, (h, logits) in enumerate(outs):
                ref_lines.append("layer %d %.17g %s\n" % (l + 1, h, " ".join("%.17g" % v for v in logits)))
            ref_H.append([h for h, _ in outs])
            ref_pred.append([int(np.argmax(lo)) for _, lo in outs])
        write_eval_fixture(os.path.dirname(a.ref), task, ev_rows[:a.ref_count],
                           np.array(ref_H), np.array(ref_pred),
                           np.array([lab[l] for _, l in ev_rows[:a.ref_count]]), thr, lut)
        print(f"wrote {path} ({size} bytes)", flush=True)
    with open(os.path.join(a.models, "metrics.json"), "w") as f:
        json.dump(metrics, f, indent=1)
        f.write("\n")
    os.makedirs(os.path.dirname(a.ref), exist_ok=True)
    with open(a.ref, "w") as f:
        f.writelines(ref_lines)
    print("wrote", a.ref)


if __name__ == "__main__":
    main()
