#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Train the EdgeBERT ALBERT-style model with off-ramps (DeeBERT two-stage).

  emb:   the shared word embeddings, trained once (cheaply, as a bag-of-
         embeddings classifier over SST-2 and SNIPS jointly), magnitude-pruned
         to --sparsity and fine-tuned under the mask; then frozen for all tasks.
  sst2:  stage 1 backbone + final classifier (embeddings magnitude-pruned to
         --sparsity before the last epoch, then fine-tuned under the mask);
         stage 2 the 11 earlier off-ramps with the backbone frozen.
  snips: a new encoder + off-ramps over the SAME frozen (pruned) embeddings
         taken from the sst2 checkpoint (the shared eNVM image).

Checkpoints go to --out (default /var/tmp/edgebert-train), never the repo.
"""
import argparse
import json
import math
import os
import random
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ebtok import Tokenizer  # noqa: E402
from ebmodel import Config, EdgeBert  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DEFAULT_DATA = os.path.normpath(os.path.join(REPO, "..", "shared", "data"))


def log(*a):
    print(time.strftime("%H:%M:%S"), *a, flush=True)


def seed_all(s):
    random.seed(s)
    torch.manual_seed(s)


def read_tsv(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        next(f)
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            text, label = line.rsplit("\t", 1)
            rows.append((text, label.strip()))
    return rows


def sst2_split(rows, n_holdout, seed):
    """Hold out long train phrases for threshold selection, and drop every
    train phrase that is a sub-span or a super-span of a held-out phrase (SST
    train holds the sub-phrases of its sentences), so the held-out set is
    really unseen."""
    rng = random.Random(seed)
    norm = [" ".join(t.split()) for t, _ in rows]
    cand = [i for i, t in enumerate(norm) if len(t.split()) >= 12]
    rng.shuffle(cand)
    hold = sorted(cand[:n_holdout])
    hold_full = {norm[i] for i in hold}
    spans = set()
    for i in hold:
        w = norm[i].split()
        for a in range(len(w)):
            for b in range(a + 1, len(w) + 1):
                spans.add(" ".join(w[a:b]))
    hold_set = set(hold)
    train = []
    dropped = 0
    for i, t in enumerate(norm):
        if i in hold_set:
            continue
        if t in spans:
            dropped += 1
            continue
        w = t.split()
        sup = False
        if len(w) >= 12:
            for a in range(len(w) - 11):
                for b in range(a + 12, len(w) + 1):
                    if " ".join(w[a:b]) in hold_full:
                        sup = True
                        break
                if sup:
                    break
        if sup:
            dropped += 1
            continue
        train.append(rows[i])
    log(f"sst2 split: {len(train)} train, {len(hold)} held-out, {dropped} overlapping dropped")
    return train, [rows[i] for i in hold]


def encode(tok, rows, labels, max_len):
    return [(tok.encode(t, max_len), labels[l]) for t, l in rows]


def batches(data, bs, shuffle, rng):
    """Length-bucketed batches: sort chunks of 50 batches by length."""
    idx = list(range(len(data)))
    if shuffle:
        rng.shuffle(idx)
        chunk = bs * 50
        out = []
        for c in range(0, len(idx), chunk):
            part = sorted(idx[c:c + chunk], key=lambda i: len(data[i][0]))
            out.extend(part[j:j + bs] for j in range(0, len(part), bs))
        rng.shuffle(out)
    else:
        idx.sort(key=lambda i: len(data[i][0]))
        out = [idx[j:j + bs] for j in range(0, len(idx), bs)]
    for b in out:
        T = max(len(data[i][0]) for i in b)
        ids = torch.zeros(len(b), T, dtype=torch.long)
        for r, i in enumerate(b):
            ids[r, :len(data[i][0])] = torch.tensor(data[i][0])
        lens = torch.tensor([len(data[i][0]) for i in b])
        y = torch.tensor([data[i][1] for i in b])
        yield b, ids, lens, y


@torch.no_grad()
def evaluate(model, data, bs=128):
    """Per-layer accuracy and (N x L) logits in data order."""
    model.eval()
    L = model.c.layers
    allp = [None] * len(data)
    for b, ids, lens, y in batches(data, bs, False, None):
        outs = model(ids, lens)
        st = torch.stack(outs, 1)  # B x L x C
        for r, i in enumerate(b):
            allp[i] = st[r]
    logits = torch.stack(allp)
    y = torch.tensor([d[1] for d in data])
    acc = [(logits[:, l].argmax(-1) == y).float().mean().item() for l in range(L)]
    return acc, logits


def span_penalty(model):
    return model.layer.span_z.clamp(0, 1).sum()


def train_backbone(model, train, dev, a, rng, prune_at_epoch, teacher=None):
    params = [p for n, p in model.named_parameters()
              if p.requires_grad and not n.startswith("ramps.") or n.startswith(f"ramps.{model.c.layers - 1}.")]
    params = [p for p in params if p.requires_grad]
    span = model.layer.span_z
    word = model.emb.word.weight
    decay = [p for p in params if p.dim() >= 2 and p is not word]
    nodecay = [p for p in params if p.dim() < 2 and p is not span]
    # The spans learn by plain SGD: under Adam the L1 penalty alone would
    # shrink them at the full learning rate whenever the (short) training
    # sentences fit inside the span, whatever the penalty's size.
    opt_span = torch.optim.SGD([span], lr=a.span_lr)
    groups = [{"params": decay, "weight_decay": a.wd},
              {"params": nodecay, "weight_decay": 0.0}]
    max_lr = [a.lr, a.lr]
    if word.requires_grad:
        # --train-emb: the shared table learns with the task at its own
        # (lower) rate, under its pruning mask
        groups.append({"params": [word], "weight_decay": 0.0})
        max_lr.append(a.emb_lr or a.lr)
    opt = torch.optim.AdamW(groups, lr=a.lr)
    steps_per_epoch = math.ceil(len(train) / a.bs)
    total = steps_per_epoch * a.epochs
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=max_lr, total_steps=total,
                                                pct_start=a.warmup, anneal_strategy="linear")
    step = 0
    t0 = time.time()
    for ep in range(a.epochs):
        if prune_at_epoch is not None and ep == prune_at_epoch:
            prune_embeddings(model, a.sparsity)
        model.train()
        tot, n = 0.0, 0
        for b, ids, lens, y in batches(train, a.bs, True, rng):
            logits = model(ids, lens, ramps="last")
            loss = F.cross_entropy(logits, y, label_smoothing=a.smooth)
            if teacher is not None:
                # distillation from edgebert_teacher.py's logits (soft
                # targets at temperature T, mixed with the hard labels)
                T = a.kd_temp
                kd = F.kl_div(F.log_softmax(logits / T, -1), F.softmax(teacher[b] / T, -1),
                              reduction="batchmean") * T * T
                loss = (1 - a.kd_alpha) * loss + a.kd_alpha * kd
            loss = loss + a.span_reg * span_penalty(model)
            opt.zero_grad(set_to_none=True)
            opt_span.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_([p for p in params if p is not span], 1.0)
            nn.utils.clip_grad_norm_([span], 1.0)
            opt.step()
            opt_span.step()
            sched.step()
            with torch.no_grad():
                model.layer.span_z.clamp_(0.02, 1)
            tot += loss.item() * len(b)
            n += len(b)
            step += 1
            if step % 200 == 0:
                log(f"  ep {ep} step {step}/{total} loss {tot / n:.4f} "
                    f"lr {sched.get_last_lr()[0]:.2e} {time.time() - t0:.0f}s")
        acc, _ = evaluate(model, dev)
        log(f"epoch {ep} train loss {tot / n:.4f} dev acc final {acc[-1]:.4f} "
            f"spans z {model.layer.span_z.data.tolist()} {time.time() - t0:.0f}s")


def prune_embeddings(model, sparsity):
    w = model.emb.word.weight.data
    k = int(sparsity * w.numel())
    thr = w.abs().flatten().kthvalue(k).values
    mask = (w.abs() > thr).float()
    model.emb.word_mask.copy_(mask)
    w.mul_(mask)
    log(f"pruned word embeddings: {1 - mask.mean().item():.4f} zeros (|w| <= {thr:.4g})")


def train_ramps(model, train, dev, a, rng):
    """DeeBERT stage 2: backbone frozen, train off-ramps 0..L-2 on cached
    [CLS] states of every layer."""
    L = model.c.layers
    for p in model.parameters():
        p.requires_grad_(False)
    model.eval()
    if len(train) > a.ramp_subset:
        train = random.Random(a.seed).sample(train, a.ramp_subset)
    feats = torch.zeros(len(train), L - 1, model.c.hidden)
    t0 = time.time()
    with torch.no_grad():
        for b, ids, lens, y in batches(train, 256, False, None):
            hs = model.hidden_states(ids, lens)
            feats[b] = torch.stack([h[:, 0] for h in hs[:-1]], 1)
    log(f"stage 2: cached [CLS] states of {len(train)} sentences in {time.time() - t0:.0f}s")
    ys = torch.tensor([d[1] for d in train])
    ramps = model.ramps[:L - 1]
    for p in ramps.parameters():
        p.requires_grad_(True)
    opt = torch.optim.AdamW(ramps.parameters(), lr=a.ramp_lr, weight_decay=a.wd)
    n = len(train)
    total = math.ceil(n / 256) * a.ramp_epochs
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=a.ramp_lr, total_steps=total,
                                                pct_start=0.1, anneal_strategy="linear")
    g = torch.Generator().manual_seed(a.seed)
    for ep in range(a.ramp_epochs):
        ramps.train()
        perm = torch.randperm(n, generator=g)
        tot = 0.0
        for s in range(0, n, 256):
            b = perm[s:s + 256]
            loss = 0
            for l in range(L - 1):
                loss = loss + F.cross_entropy(ramps[l](feats[b, l]), ys[b], label_smoothing=a.smooth)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            tot += loss.item() * len(b)
        acc, _ = evaluate(model, dev)
        log(f"ramps epoch {ep} loss {tot / n / (L - 1):.4f} dev acc per layer "
            + " ".join(f"{x:.3f}" for x in acc))


def train_embeddings(tok, a):
    """Bag-of-embeddings multi-task classifier (SST-2 + SNIPS) to learn the
    shared word embeddings cheaply; prune to a.sparsity, fine-tune masked."""
    sst = read_tsv(os.path.join(a.data, "glue", "sst2", "train.tsv"))
    sst, _ = sst2_split(sst, a.holdout, a.seed)
    sn = read_tsv(os.path.join(a.data, "intent", "snips", "train.tsv"))
    sn_labels = sorted({l for _, l in sn})
    sst_dev = read_tsv(os.path.join(a.data, "glue", "sst2", "dev.tsv"))
    sn_dev = read_tsv(os.path.join(a.data, "intent", "snips", "dev.tsv"))
    tasks = [("sst2", sst, sst_dev, ["0", "1"]), ("snips", sn, sn_dev, sn_labels)]
    E = 128
    V = len(tok.vocab)
    emb = nn.EmbeddingBag(V, E, mode="mean", sparse=True)
    nn.init.normal_(emb.weight, std=0.02)
    mask = torch.ones(V, E)
    heads = nn.ModuleList([nn.Sequential(nn.Dropout(0.2), nn.Linear(E, 256), nn.Tanh(),
                                         nn.Dropout(0.2), nn.Linear(256, len(t[3]))) for t in tasks])
    data = []
    for ti, (name, tr, dv, labs) in enumerate(tasks):
        lab = {l: i for i, l in enumerate(labs)}
        enc = lambda rows: [(tok.encode(t, a.max_len)[1:-1] or [tok.unk], lab[l]) for t, l in rows]
        data.append((enc(tr), enc(dv)))

    def fwd(ti, seqs):
        flat = torch.tensor([i for s in seqs for i in s])
        offs = torch.tensor([0] + [len(s) for s in seqs[:-1]]).cumsum(0)
        return heads[ti](emb(flat, offs) * 8.0)

    opt_e = torch.optim.SparseAdam(list(emb.parameters()), lr=5e-3)
    opt = torch.optim.Adam(list(heads.parameters()), lr=5e-3)
    pruned = [False]
    g = random.Random(a.seed)

    def run_epochs(n, tag):
        for ep in range(n):
            emb.train(); heads.train()
            jobs = []
            for ti, (tr, _) in enumerate(data):
                idx = list(range(len(tr)))
                g.shuffle(idx)
                jobs += [(ti, idx[j:j + 128]) for j in range(0, len(idx), 128)]
            g.shuffle(jobs)
            for ti, b in jobs:
                tr = data[ti][0]
                # word dropout
                seqs = [[w for w in tr[i][0] if g.random() > 0.1] or tr[i][0] for i in b]
                loss = F.cross_entropy(fwd(ti, seqs), torch.tensor([tr[i][1] for i in b]))
                opt.zero_grad()
                opt_e.zero_grad()
                loss.backward()
                opt.step()
                opt_e.step()
                if pruned[0]:
                    with torch.no_grad():
                        emb.weight.mul_(mask)
            emb.eval(); heads.eval()
            accs = []
            with torch.no_grad():
                for ti, (_, dv) in enumerate(data):
                    p = fwd(ti, [d[0] for d in dv]).argmax(-1)
                    accs.append((p == torch.tensor([d[1] for d in dv])).float().mean().item())
            log(f"emb {tag} epoch {ep}: dev acc sst2 {accs[0]:.4f} snips {accs[1]:.4f}")

    t0 = time.time()
    run_epochs(a.epochs, "dense")
    w = emb.weight.data
    k = int(a.sparsity * w.numel())
    thr = w.abs().flatten().kthvalue(k).values
    mask.copy_((w.abs() > thr).float())
    w.mul_(mask)
    pruned[0] = True
    log(f"pruned word embeddings: {1 - mask.mean().item():.4f} zeros (|w| <= {thr:.4g})")
    run_epochs(max(1, a.epochs // 2), "masked")
    w.mul_(mask)
    path = os.path.join(a.out, "embeddings.pt")
    torch.save({"word": w.clone(), "word_mask": mask, "seconds": time.time() - t0}, path)
    log(f"saved {path} in {time.time() - t0:.0f}s")


def save(model, labels, path, extra):
    torch.save({"config": model.c.to_dict(), "labels": labels,
                "state": model.state_dict(), **extra}, path)
    log(f"saved {path}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("task", choices=["emb", "sst2", "snips"])
    ap.add_argument("--data", default=DEFAULT_DATA)
    ap.add_argument("--out", default="/var/tmp/edgebert-train")
    ap.add_argument("--embeddings", default="/var/tmp/edgebert-train/embeddings.pt",
                    help="embeddings.pt (sst2) or sst2.pt (snips) whose frozen embeddings to use")
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--heads", type=int, default=2)
    ap.add_argument("--ffn", type=int, default=512)
    ap.add_argument("--max-len", type=int, default=64)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--bs", type=int, default=32)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--wd", type=float, default=0.01)
    ap.add_argument("--warmup", type=float, default=0.1)
    ap.add_argument("--smooth", type=float, default=0.1)
    ap.add_argument("--dropout", type=float, default=0.1)
    ap.add_argument("--span-reg", type=float, default=2e-4)
    ap.add_argument("--span-lr", type=float, default=1.0)  # the penalty's step: span_lr * span_reg
    ap.add_argument("--sparsity", type=float, default=0.6)
    ap.add_argument("--ramp-epochs", type=int, default=3)
    ap.add_argument("--ramp-lr", type=float, default=2e-3)
    ap.add_argument("--ramp-subset", type=int, default=20000)
    ap.add_argument("--span-max", type=int, default=64)
    ap.add_argument("--holdout", type=int, default=800)
    ap.add_argument("--max-steps", type=int, default=0, help="debug: limit train set")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--min-words", type=int, default=0,
                    help="train only on phrases of at least this many words")
    ap.add_argument("--train-emb", action="store_true",
                    help="sst2: fine-tune the (pruned, masked) word embeddings too and save "
                         "them as embeddings-sst2.pt for the other tasks")
    ap.add_argument("--init", help="start from this checkpoint's weights (continue training)")
    ap.add_argument("--skip-stage1", action="store_true", help="with --init: only train the off-ramps")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--teacher", help="sst2: distil from this edgebert_teacher.py file (its "
                    "logits on the training phrases, and its augmented phrases)")
    ap.add_argument("--kd-temp", type=float, default=2.0, help="distillation temperature T")
    ap.add_argument("--kd-alpha", type=float, default=0.5,
                    help="weight of the distillation term (1 - it: cross-entropy)")
    ap.add_argument("--emb-lr", type=float, default=0.0,
                    help="with --train-emb: peak lr of the word table (default --lr)")
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    seed_all(a.seed)
    rng = random.Random(a.seed)
    os.makedirs(a.out, exist_ok=True)
    tok = Tokenizer(os.path.join(a.data, "vocab", "bert-base-uncased-vocab.txt"))
    t_start = time.time()

    if a.task == "emb":
        train_embeddings(tok, a)
        return
    if a.task == "sst2":
        d = os.path.join(a.data, "glue", "sst2")
        rows = read_tsv(os.path.join(d, "train.tsv"))
        train_rows, hold_rows = sst2_split(rows, a.holdout, a.seed)
        dev_rows = read_tsv(os.path.join(d, "dev.tsv"))
        labels = ["0", "1"]
    else:
        d = os.path.join(a.data, "intent", "snips")
        train_rows = read_tsv(os.path.join(d, "train.tsv"))
        hold_rows = read_tsv(os.path.join(d, "dev.tsv"))
        dev_rows = read_tsv(os.path.join(d, "test.tsv"))
        labels = sorted({l for _, l in train_rows})
    lab = {l: i for i, l in enumerate(labels)}
    if a.min_words:
        train_rows = [r for r in train_rows if len(r[0].split()) >= a.min_words]
    if a.max_steps:
        train_rows = train_rows[:a.max_steps * a.bs]
    tab = None
    if a.teacher:
        tab = torch.load(a.teacher)
        # the teacher's augmented phrases, labelled with its own decision
        aug = [(t, labels[int(tab["logits"][t].argmax())]) for t in tab.get("augmented", [])]
        train_rows = train_rows + aug
        log(f"distilling from {a.teacher} (T {a.kd_temp}, alpha {a.kd_alpha}): "
            f"{len(aug)} augmented phrases")
    train = encode(tok, train_rows, lab, a.max_len)
    dev = encode(tok, dev_rows, lab, a.max_len)
    log(f"{a.task}: {len(train)} train, {len(hold_rows)} held-out, {len(dev)} eval, labels {labels}")

    c = Config(hidden=a.hidden, heads=a.heads, ffn=a.ffn, num_labels=len(labels),
               dropout=a.dropout, max_position=a.max_len, span_max=a.span_max)
    model = EdgeBert(c)
    # only the word table is shared (eNVM) and frozen; position/type/LN/E->H
    # projection are per task (docs/model-format.md section 8)
    src = torch.load(a.embeddings)
    if True:
        model.emb.word.weight.data.copy_(src["word"])
        model.emb.word_mask.copy_(src["word_mask"])
        model.emb.word.weight.requires_grad_(a.train_emb and a.task == "sst2")
    log("loaded frozen word embeddings from", a.embeddings,
        f"({(model.emb.word.weight == 0).float().mean().item():.4f} zeros)")
    if a.init:
        model.load_state_dict(torch.load(a.init)["state"])
        log("continuing from", a.init)
    if a.skip_stage1:
        log("stage 1 skipped")
    else:
        teacher = None
        if tab:
            teacher = torch.stack([tab["logits"][" ".join(t.split())] for t, _ in train_rows])
        train_backbone(model, train, dev, a, rng, None, teacher)
    t1 = time.time()
    log(f"stage 1 done in {t1 - t_start:.0f}s")
    save(model, labels, os.path.join(a.out, f"{a.task}-stage1.pt"), {})
    train_ramps(model, train, dev, a, rng)
    t2 = time.time()
    log(f"stage 2 done in {t2 - t1:.0f}s; total {t2 - t_start:.0f}s")
    if a.train_emb and a.task == "sst2":
        w = (model.emb.word.weight * model.emb.word_mask).detach().clone()
        path = os.path.join(a.out, "embeddings-sst2.pt")
        torch.save({"word": w, "word_mask": model.emb.word_mask.clone()}, path)
        log(f"saved the fine-tuned shared embeddings to {path}")
    save(model, labels, os.path.join(a.out, f"{a.task}.pt"),
         {"holdout": hold_rows, "args": vars(a), "train_seconds": t2 - t_start})


if __name__ == "__main__":
    main()
