# SPDX-License-Identifier: MIT
"""Read .ebm model files (docs/model-format.md) into numpy arrays.

Independent of the C reader on purpose: it is what the reference forward
pass (reference.py) decodes the weights with.
"""
import struct
import zlib

import numpy as np

MAGIC = b"EBMF\r\n\x1a\n"
SEC_CONFIG, SEC_VOCAB, SEC_EMBEDDINGS, SEC_TASK_META, SEC_TASK_WEIGHTS = 1, 2, 3, 16, 17
FIXED = ["pos_emb", "type_emb", "emb_ln.g", "emb_ln.b", "emb_proj.w", "emb_proj.b",
         "q.w", "q.b", "k.w", "k.b", "v.w", "v.b", "o.w", "o.b", "ln1.g", "ln1.b",
         "ffn1.w", "ffn1.b", "ffn2.w", "ffn2.b", "ln2.g", "ln2.b"]
RAMP = ["pool.w", "pool.b", "cls.w", "cls.b"]


def af8_lut(bias):
    """The 256 values of AF8 codes at a bias: (-1)^s 2^(e+b-10) (1+m/16)."""
    lut = np.zeros(256, dtype=np.float64)
    for c in range(256):
        e, m = (c >> 4) & 7, c & 15
        if c & 0x7f:
            v = 2.0 ** (e + bias - 10) * (1 + m / 16)
            lut[c] = -v if c & 0x80 else v
    return lut


def tensor(buf, off):
    """Decode the tensor record at off: (float64 array, record size)."""
    rows, cols, enc, bias, _, psize = struct.unpack_from("<IIBBHI", buf, off)
    d = off + 16
    n = rows * cols
    if enc == 0:
        x = np.frombuffer(buf, "<f4", n, d).astype(np.float64)
    elif enc == 1:
        x = af8_lut(bias)[np.frombuffer(buf, np.uint8, n, d)]
    else:
        nnz, = struct.unpack_from("<I", buf, d)
        mask_off = d + 4 + 4 * (rows + 1)
        mask = np.unpackbits(np.frombuffer(buf, np.uint8, (n + 7) // 8, mask_off),
                             bitorder="little")[:n].astype(bool)
        vals = np.frombuffer(buf, np.uint8, nnz, mask_off + (n + 7) // 8)
        x = np.zeros(n)
        x[mask] = af8_lut(bias)[vals]
    return x.reshape(rows, cols), (16 + psize + 7) // 8 * 8


def load(path):
    buf = open(path, "rb").read()
    assert buf[:8] == MAGIC, "not an .ebm file"
    major, minor, hsize, nsec = struct.unpack_from("<HHII", buf, 8)
    assert major == 1
    m = {"tasks": {}}
    metas, blobs = {}, {}
    for i in range(nsec):
        typ, task, off, size, crc, _ = struct.unpack_from("<IIQQII", buf, 64 + 32 * i)
        sec = buf[off:off + size]
        assert zlib.crc32(sec) == crc, "CRC mismatch in section %d" % i
        if typ == SEC_CONFIG:
            v = struct.unpack_from("<9If5I", sec)
            keys = ["vocab_size", "max_position", "type_vocab_size", "embed_dim", "hidden",
                    "heads", "ffn", "layers", "task_count", "ln_eps", "cls_id", "sep_id",
                    "unk_id", "pad_id", "flags"]
            m.update(zip(keys, v))
        elif typ == SEC_VOCAB:
            n, = struct.unpack_from("<I", sec)
            offs = struct.unpack_from("<%dI" % (n + 1), sec, 4)
            base = 4 + 4 * (n + 1)
            m["vocab"] = [sec[base + offs[j]:base + offs[j + 1]].decode() for j in range(n)]
        elif typ == SEC_EMBEDDINGS:
            m["word_emb"], _ = tensor(sec, 0)
        elif typ == SEC_TASK_META:
            metas[task] = sec
        elif typ == SEC_TASK_WEIGHTS:
            blobs[task] = sec
    for t in sorted(metas):
        meta, blob = metas[t], blobs[t]
        name = meta[:32].split(b"\0")[0].decode()
        labels, thr, lr, lc, ll = struct.unpack_from("<IfIII", meta, 32)
        heads = m["heads"]
        span_max, span_ramp, count = struct.unpack_from("<IfI", blob, 40)
        w = {"labels": labels, "threshold": thr, "span_max": span_max,
             "span_ramp": span_ramp,
             "span_z": np.array(struct.unpack_from("<%df" % heads, blob, 64))}
        off = 64 + (4 * heads + 7) // 8 * 8
        for i in range(count):
            x, size = tensor(blob, off)
            off += size
            if i < len(FIXED):
                w[FIXED[i]] = x
            else:
                w["ramp%d.%s" % ((i - len(FIXED)) // 4, RAMP[(i - len(FIXED)) % 4])] = x
        m["tasks"][name] = w
    return m
