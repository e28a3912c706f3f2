# SPDX-License-Identifier: MIT
"""BERT uncased tokenization (BasicTokenizer + WordPiece), faithful to
google-research/bert tokenization.py with do_lower_case=True.

The C tokenizer in runtime/ must produce the same ids; tests compare them."""
import unicodedata


def load_vocab(path):
    vocab = {}
    with open(path, encoding="utf-8") as f:
        for i, line in enumerate(f):
            tok = line.rstrip("\n")
            if tok not in vocab:
                vocab[tok] = i
    return vocab


def _is_whitespace(c):
    if c in (" ", "\t", "\n", "\r"):
        return True
    return unicodedata.category(c) == "Zs"


def _is_control(c):
    if c in ("\t", "\n", "\r"):
        return False
    return unicodedata.category(c).startswith("C")


def _is_punctuation(c):
    cp = ord(c)
    if (33 <= cp <= 47) or (58 <= cp <= 64) or (91 <= cp <= 96) or (123 <= cp <= 126):
        return True
    return unicodedata.category(c).startswith("P")


def _is_cjk(cp):
    return ((0x4E00 <= cp <= 0x9FFF) or (0x3400 <= cp <= 0x4DBF) or
            (0x20000 <= cp <= 0x2A6DF) or (0x2A700 <= cp <= 0x2B73F) or
            (0x2B740 <= cp <= 0x2B81F) or (0x2B820 <= cp <= 0x2CEAF) or
            (0xF900 <= cp <= 0xFAFF) or (0x2F800 <= cp <= 0x2FA1F))


def basic_tokenize(text):
    out = []
    for c in text:
        cp = ord(c)
        if cp == 0 or cp == 0xFFFD or _is_control(c):
            continue
        if _is_whitespace(c):
            out.append(" ")
        elif _is_cjk(cp):
            out.append(" " + c + " ")
        else:
            out.append(c)
    tokens = []
    for tok in "".join(out).split():
        tok = tok.lower()
        tok = "".join(ch for ch in unicodedata.normalize("NFD", tok)
                      if unicodedata.category(ch) != "Mn")
        cur = []
        for ch in tok:
            if _is_punctuation(ch):
                if cur:
                    tokens.append("".join(cur))
                    cur = []
                tokens.append(ch)
            else:
                cur.append(ch)
        if cur:
            tokens.append("".join(cur))
    return tokens


def wordpiece(token, vocab, unk="[UNK]", max_chars=100):
    if len(token) > max_chars:
        return [unk]
    pieces = []
    start = 0
    n = len(token)
    while start < n:
        end = n
        cur = None
        while start < end:
            sub = token[start:end]
            if start > 0:
                sub = "##" + sub
            if sub in vocab:
                cur = sub
                break
            end -= 1
        if cur is None:
            return [unk]
        pieces.append(cur)
        start = end
    return pieces


class Tokenizer:
    def __init__(self, vocab_path):
        self.vocab = load_vocab(vocab_path)
        self.cls = self.vocab["[CLS]"]
        self.sep = self.vocab["[SEP]"]
        self.pad = self.vocab["[PAD]"]
        self.unk = self.vocab["[UNK]"]

    def tokenize(self, text):
        out = []
        for t in basic_tokenize(text):
            out.extend(wordpiece(t, self.vocab))
        return out

    def encode(self, text, max_len):
        """[CLS] pieces [SEP], pieces truncated so the total is <= max_len."""
        ids = [self.vocab[p] for p in self.tokenize(text)]
        ids = ids[:max_len - 2]
        return [self.cls] + ids + [self.sep]
