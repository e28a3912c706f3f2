#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""SST-2 distillation teachers, trained from scratch on the same training
split as the encoder (the held-out phrases excluded), each with its own dense
word-piece embeddings (never exported):

  bow:  fastText-style bag of word pieces and hashed bigrams
  cnn:  convolutions of widths 2-5 over the word pieces, max-pooled (Kim 2014)
  lstm: a bidirectional LSTM, max- and mean-pooled

Writes the teacher's logits for every training phrase to
--out/teacher-KIND.pt ({normalised text: logits}); --combine averages several
such files into one, and edgebert_train.py --teacher distils the final
off-ramp from it.  Choices are made on the held-out phrases, never on dev.
"""
import argparse
import os
import random
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ebtok import Tokenizer  # noqa: E402
from edgebert_train import DEFAULT_DATA, log, read_tsv, sst2_split  # noqa: E402


class Bow(nn.Module):
    def __init__(self, V, a):
        super().__init__()
        self.V, self.buckets = V, a.buckets
        self.emb = nn.EmbeddingBag(V + a.buckets, a.dim, mode="mean", sparse=True)
        nn.init.normal_(self.emb.weight, std=0.02)
        self.head = nn.Sequential(nn.Dropout(0.2), nn.Linear(a.dim, 2))

    def forward(self, seqs):
        feats = []
        for ids in seqs:
            bi = [self.V + (ids[i] * 1000003 + ids[i + 1]) % self.buckets
                  for i in range(len(ids) - 1)]
            feats.append(ids + bi)
        flat = torch.tensor([i for f in feats for i in f])
        offs = torch.tensor([0] + [len(f) for f in feats[:-1]]).cumsum(0)
        return self.head(self.emb(flat, offs) * 8.0)


def pad(seqs):
    ids = torch.zeros(len(seqs), max(len(s) for s in seqs), dtype=torch.long)
    for r, s in enumerate(seqs):
        ids[r, :len(s)] = torch.tensor(s)
    return ids, torch.tensor([len(s) for s in seqs])


class Cnn(nn.Module):
    WIDTHS = (2, 3, 4, 5)

    def __init__(self, V, a):
        super().__init__()
        self.emb = nn.Embedding(V, a.dim, padding_idx=0, sparse=True)
        self.convs = nn.ModuleList([nn.Conv1d(a.dim, a.filters, w, padding=w - 1)
                                    for w in self.WIDTHS])
        self.head = nn.Sequential(nn.Dropout(0.5), nn.Linear(a.filters * len(self.WIDTHS), 2))

    def forward(self, seqs):
        ids, lens = pad(seqs)
        x = self.emb(ids).transpose(1, 2)
        pooled = []
        for conv in self.convs:
            h = F.relu(conv(x))                         # B x F x (T + w - 1)
            valid = torch.arange(h.shape[2])[None] < (lens + conv.kernel_size[0] - 1)[:, None]
            pooled.append(h.masked_fill(~valid[:, None], 0).amax(2))
        return self.head(torch.cat(pooled, 1))


class Lstm(nn.Module):
    # its word table learns under plain Adam (every row moves with its
    # moments each step): slower than sparse updates, but it is how the
    # committed teacher was trained
    SPARSE = False

    def __init__(self, V, a):
        super().__init__()
        self.emb = nn.Embedding(V, a.dim, padding_idx=0)
        self.rnn = nn.LSTM(a.dim, a.filters, batch_first=True, bidirectional=True)
        self.drop = nn.Dropout(0.5)
        self.head = nn.Linear(4 * a.filters, 2)

    def forward(self, seqs):
        ids, lens = pad(seqs)
        x = self.drop(self.emb(ids))
        packed = nn.utils.rnn.pack_padded_sequence(x, lens, batch_first=True, enforce_sorted=False)
        h, _ = self.rnn(packed)
        h, _ = nn.utils.rnn.pad_packed_sequence(h, batch_first=True)
        valid = (torch.arange(h.shape[1])[None] < lens[:, None])[..., None]
        mx = h.masked_fill(~valid, -1e4).amax(1)
        mean = (h * valid).sum(1) / lens[:, None]
        return self.head(self.drop(torch.cat([mx, mean], 1)))


KINDS = {"bow": Bow, "cnn": Cnn, "lstm": Lstm}


def augment(rows, n, min_words, seed):
    """Unlabelled variants of the longer training phrases for distillation
    (after Tang et al. 2019, without a POS tagger): each word is deleted with
    p 0.1 or replaced by a random training word with p 0.1, and with p 0.25
    the variant is a random n-gram (1-5 words) of the
    result.  Deterministic for a seed, so every teacher labels the same set."""
    g = random.Random(seed)
    words = [w for t, _ in rows for w in t.split()]
    seen = {" ".join(t.split()) for t, _ in rows}
    out = []
    for t, _ in rows:
        w = t.split()
        if len(w) < min_words:
            continue
        for _ in range(n):
            v = []
            for x in w:
                r = g.random()
                if r < 0.1:
                    continue
                v.append(g.choice(words) if r < 0.2 else x)
            if g.random() < 0.25 and len(v) > 1:
                k = g.randint(1, min(5, len(v)))
                s = g.randint(0, len(v) - k)
                v = v[s:s + k]
            text = " ".join(v)
            if text and text not in seen:
                seen.add(text)
                out.append(text)
    return out


def combine(a, hold):
    """Average several teachers' logits (bow/cnn/lstm files) into one."""
    tabs = [torch.load(p) for p in a.combine]
    table = {}
    for k in tabs[0]["logits"]:
        table[k] = sum(t["logits"][k] for t in tabs) / len(tabs)
    lo = sum(t["heldout_logits"] for t in tabs) / len(tabs)
    acc = (lo.argmax(-1) == torch.tensor([y for _, y in hold])).float().mean().item()
    log(f"combined {len(tabs)} teachers: held-out acc {acc:.4f}")
    torch.save({"logits": table, "augmented": tabs[0].get("augmented", []),
                "heldout_logits": lo, "heldout_acc": acc}, a.teacher_out)
    log(f"saved {a.teacher_out} ({len(table)} phrases)")


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("kind", choices=sorted(KINDS) + ["combine"])
    ap.add_argument("--data", default=DEFAULT_DATA)
    ap.add_argument("--out", default="/var/tmp/edgebert-train")
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--dim", type=int, default=64, help="embedding width (bow 64, cnn/lstm 200)")
    ap.add_argument("--filters", type=int, default=200, help="cnn: filters per width; lstm: units")
    ap.add_argument("--buckets", type=int, default=400000, help="bow: hashed bigram buckets")
    ap.add_argument("--lr", type=float, default=5e-3)
    ap.add_argument("--holdout", type=int, default=800)
    ap.add_argument("--seed", type=int, default=1234,
                    help="the held-out split's and the augmentation's seed (as the encoder's)")
    ap.add_argument("--init-seed", type=int, help="the teacher's own initialisation and "
                    "shuffling seed (default --seed): ensembles of one kind")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--combine", nargs="+", metavar="TEACHER_PT",
                    help="with kind 'combine': the teacher files to average")
    ap.add_argument("--teacher-out", help="output file (default --out/teacher-KIND.pt)")
    ap.add_argument("--augment", type=int, default=0, metavar="N",
                    help="also label N augmented variants of every phrase of at least "
                         "--augment-min-words words (the student's extra distillation data)")
    ap.add_argument("--augment-min-words", type=int, default=6)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    init_seed = a.seed if a.init_seed is None else a.init_seed
    random.seed(init_seed)
    torch.manual_seed(init_seed)
    a.teacher_out = a.teacher_out or os.path.join(a.out, f"teacher-{a.kind}.pt")
    tok = Tokenizer(os.path.join(a.data, "vocab", "bert-base-uncased-vocab.txt"))
    rows = read_tsv(os.path.join(a.data, "glue", "sst2", "train.tsv"))
    train_rows, hold_rows = sst2_split(rows, a.holdout, a.seed)
    tr = [(tok.encode(t, 64)[1:-1] or [tok.unk], int(l)) for t, l in train_rows]
    ho = [(tok.encode(t, 64)[1:-1] or [tok.unk], int(l)) for t, l in hold_rows]
    if a.kind == "combine":
        combine(a, ho)
        return
    model = KINDS[a.kind](len(tok.vocab), a)
    # sparse word tables: only the rows of a batch's words move
    if getattr(model, "SPARSE", True):
        sparse = [p for n, p in model.named_parameters() if n.startswith("emb.")]
        dense = [p for n, p in model.named_parameters() if not n.startswith("emb.")]
        opts = [torch.optim.SparseAdam(sparse, lr=a.lr), torch.optim.Adam(dense, lr=a.lr)]
    else:
        opts = [torch.optim.Adam(model.parameters(), lr=a.lr)]
    g = random.Random(init_seed)

    @torch.no_grad()
    def predict(data):
        model.eval()
        order = sorted(range(len(data)), key=lambda i: len(data[i][0]))
        out = torch.zeros(len(data), 2)
        for j in range(0, len(order), 512):
            b = order[j:j + 512]
            out[b] = model([data[i][0] for i in b])
        return out

    t0 = time.time()
    best = (-1.0, None)
    y_ho = torch.tensor([d[1] for d in ho])
    for ep in range(a.epochs):
        model.train()
        idx = list(range(len(tr)))
        g.shuffle(idx)
        for j in range(0, len(idx), 64):
            b = sorted(idx[j:j + 64], key=lambda i: len(tr[i][0]))
            # word dropout
            seqs = [[w for w in tr[i][0] if g.random() > 0.1] or tr[i][0] for i in b]
            loss = F.cross_entropy(model(seqs), torch.tensor([tr[i][1] for i in b]))
            for o in opts:
                o.zero_grad()
            loss.backward()
            for o in opts:
                o.step()
            if (j // 64) % 200 == 0:
                log(f"  {a.kind} ep {ep} step {j // 64} loss {loss.item():.4f} {time.time() - t0:.0f}s")
        lo = predict(ho)
        acc = (lo.argmax(-1) == y_ho).float().mean().item()
        log(f"teacher {a.kind} epoch {ep}: held-out acc {acc:.4f} {time.time() - t0:.0f}s")
        if acc > best[0]:
            best = (acc, {k: v.clone() for k, v in model.state_dict().items()}, lo)
    model.load_state_dict(best[1])
    lo = predict(tr)
    table = {" ".join(t.split()): lo[i].clone() for i, (t, _) in enumerate(train_rows)}
    aug = augment(train_rows, a.augment, a.augment_min_words, a.seed)
    if aug:
        enc = [(tok.encode(t, 64)[1:-1] or [tok.unk], 0) for t in aug]
        lo = predict(enc)
        table.update({t: lo[i].clone() for i, t in enumerate(aug)})
        log(f"labelled {len(aug)} augmented phrases")
    torch.save({"logits": table, "augmented": aug, "heldout_logits": best[2],
                "heldout_acc": best[0]}, a.teacher_out)
    log(f"saved {a.teacher_out} ({len(table)} phrases, held-out acc {best[0]:.4f})")


if __name__ == "__main__":
    main()
