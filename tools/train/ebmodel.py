# SPDX-License-Identifier: MIT
"""The EdgeBERT ALBERT-style graph in PyTorch, exactly as the C runtime runs it:

embeddings: word (V x E) + position (P x E) + token type (T x E) -> LayerNorm(E)
            -> Linear(E, H)
encoder:    one post-LN transformer layer applied L times (shared weights):
            x = LN(x + Wo(attn(x)));  x = LN(x + W2(gelu_erf(W1 x)))
attention:  per head p = softmax(q k^T / sqrt(d)); adaptive span mask
            m(x) = clamp((x + z*S_max)/R + 1, 0, 1) with x = -|i - j|,
            p = p*m / (sum(p*m) + 1e-8)  (renormalised, as in adaptive-span)
off-ramp i: Linear(H, H) on [CLS] -> tanh -> Linear(H, labels), after every layer
entropy:    H = -sum p ln p of the off-ramp softmax
"""
import math
import torch
import torch.nn as nn
import torch.nn.functional as F

LN_EPS = 1e-12
SPAN_EPS = 1e-8


class Config:
    def __init__(self, **kw):
        self.vocab_size = 30522
        self.max_position = 128
        self.type_vocab_size = 2
        self.embed_dim = 128
        self.hidden = 128
        self.heads = 2
        self.ffn = 512
        self.layers = 12
        self.span_max = 128      # S_max
        self.span_ramp = 16      # R
        self.num_labels = 2
        self.dropout = 0.1
        self.__dict__.update(kw)

    def to_dict(self):
        return dict(self.__dict__)


class Embeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.word = nn.Embedding(c.vocab_size, c.embed_dim)
        self.position = nn.Embedding(c.max_position, c.embed_dim)
        self.token_type = nn.Embedding(c.type_vocab_size, c.embed_dim)
        self.ln = nn.LayerNorm(c.embed_dim, eps=LN_EPS)
        for e in (self.word, self.position, self.token_type):
            nn.init.normal_(e.weight, std=0.02)
        self.register_buffer("word_mask", torch.ones(c.vocab_size, c.embed_dim))

    def forward(self, ids):
        pos = torch.arange(ids.shape[1], device=ids.device)
        w = self.word.weight * self.word_mask
        x = F.embedding(ids, w) + self.position(pos)[None] + self.token_type.weight[0][None, None]
        return self.ln(x)


class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        H = c.hidden
        self.c = c
        self.q = nn.Linear(H, H)
        self.k = nn.Linear(H, H)
        self.v = nn.Linear(H, H)
        self.o = nn.Linear(H, H)
        self.ln1 = nn.LayerNorm(H, eps=LN_EPS)
        self.ffn1 = nn.Linear(H, c.ffn)
        self.ffn2 = nn.Linear(c.ffn, H)
        self.ln2 = nn.LayerNorm(H, eps=LN_EPS)
        # adaptive span: z in [0, 1] per head
        self.span_z = nn.Parameter(torch.ones(c.heads))
        self.drop = nn.Dropout(c.dropout)
        for m in (self.q, self.k, self.v, self.o, self.ffn1, self.ffn2):
            nn.init.normal_(m.weight, std=0.02)
            nn.init.zeros_(m.bias)

    def span_mask(self, T, device):
        c = self.c
        idx = torch.arange(T, device=device, dtype=torch.float32)
        x = -(idx[None, :] - idx[:, None]).abs()            # T x T
        z = self.span_z.clamp(0, 1)[:, None, None]          # h x 1 x 1
        return ((x[None] + z * c.span_max) / c.span_ramp + 1).clamp(0, 1)  # h x T x T

    def forward(self, x, key_bias):
        B, T, H = x.shape
        nh = self.c.heads
        d = H // nh
        q = self.q(x).view(B, T, nh, d).transpose(1, 2)
        k = self.k(x).view(B, T, nh, d).transpose(1, 2)
        v = self.v(x).view(B, T, nh, d).transpose(1, 2)
        s = q @ k.transpose(-1, -2) / math.sqrt(d)
        if key_bias is not None:
            s = s + key_bias
        p = torch.softmax(s, dim=-1)
        p = p * self.span_mask(T, x.device)[None]
        p = p / (p.sum(-1, keepdim=True) + SPAN_EPS)
        p = self.drop(p)
        a = (p @ v).transpose(1, 2).reshape(B, T, H)
        x = self.ln1(x + self.drop(self.o(a)))
        f = self.ffn2(F.gelu(self.ffn1(x)))
        return self.ln2(x + self.drop(f))


class OffRamp(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.pool = nn.Linear(c.hidden, c.hidden)
        self.cls = nn.Linear(c.hidden, c.num_labels)
        self.drop = nn.Dropout(c.dropout)

    def forward(self, h_cls):
        return self.cls(self.drop(torch.tanh(self.pool(h_cls))))


class EdgeBert(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.emb = Embeddings(c)
        self.proj = nn.Linear(c.embed_dim, c.hidden)
        self.layer = Layer(c)
        self.ramps = nn.ModuleList([OffRamp(c) for _ in range(c.layers)])
        self.drop = nn.Dropout(c.dropout)

    def hidden_states(self, ids, lengths=None):
        """Returns the list of L hidden states (B x T x H)."""
        key_bias = None
        if lengths is not None:
            T = ids.shape[1]
            pad = torch.arange(T, device=ids.device)[None, :] >= lengths[:, None]
            key_bias = (pad.float() * -1e9)[:, None, None, :]
        x = self.proj(self.drop(self.emb(ids)))
        hs = []
        for _ in range(self.c.layers):
            x = self.layer(x, key_bias)
            hs.append(x)
        return hs

    def forward(self, ids, lengths=None, ramps="all"):
        hs = self.hidden_states(ids, lengths)
        if ramps == "last":
            return self.ramps[-1](hs[-1][:, 0])
        return [r(h[:, 0]) for r, h in zip(self.ramps, hs)]


def entropy(logits):
    p = torch.softmax(logits, -1)
    return -(p * torch.log(p.clamp_min(1e-30))).sum(-1)
