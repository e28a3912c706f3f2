# SPDX-License-Identifier: MIT
"""AdaptivFloat8 encoding and an .ebm writer in Python, following
docs/model-format.md (version 1.0) byte for byte. Validate the output with
the C reader (`edgebert-model inspect FILE`); tools/ref/ebm.py reads it back.
"""
import struct
import zlib

import numpy as np

MAGIC = b"EBMF\r\n\x1a\n"
SEC_CONFIG, SEC_VOCAB, SEC_EMBEDDINGS, SEC_TASK_META, SEC_TASK_WEIGHTS = 1, 2, 3, 16, 17
ENC_F32, ENC_AF8, ENC_AF8_SPARSE = 0, 1, 2
FLAG_UNCASED = 1
FIXED = ["pos_emb", "type_emb", "emb_ln.g", "emb_ln.b", "emb_proj.w", "emb_proj.b",
         "q.w", "q.b", "k.w", "k.b", "v.w", "v.b", "o.w", "o.b", "ln1.g", "ln1.b",
         "ffn1.w", "ffn1.b", "ffn2.w", "ffn2.b", "ln2.g", "ln2.b"]
RAMP = ["pool.w", "pool.b", "cls.w", "cls.b"]


def af8_choose_bias(x):
    mx = float(np.max(np.abs(x))) if x.size else 0.0
    if not mx > 0:
        return 0
    if np.isinf(mx):
        return 7
    _, e = np.frexp(np.float32(mx))
    e = int(e) - 1 + 3
    return min(max(e, 0), 7)


def af8_encode(x, bias):
    """Exactly eb_af8_encode() (runtime/core/af8.c), vectorised, binary32."""
    x = np.asarray(x, dtype=np.float32)
    a = np.abs(x)
    lo = np.float32(np.ldexp(np.float32(17.0 / 16.0), bias - 10))
    hi = np.float32(np.ldexp(np.float32(31.0 / 16.0), bias - 3))
    sign = np.where(np.signbit(x), 0x80, 0).astype(np.uint8)
    _, e = np.frexp(a)
    e = e.astype(np.int32) - 1
    m = np.rint(np.ldexp(a, -e).astype(np.float32) * np.float32(16) - np.float32(16))
    ce = e - bias + 10
    carry = m == 16
    m = np.where(carry, 0, m)
    ce = np.where(carry, ce + 1, ce)
    code = sign | ((np.clip(ce, 0, 7).astype(np.uint8) << 4) | np.clip(m, 0, 15).astype(np.uint8))
    code = np.where(a >= hi, sign | 0x7f, code)
    code = np.where(a < lo, sign | 0x01, code)
    code = np.where(~(a >= lo * np.float32(0.5)), 0, code)
    return code.astype(np.uint8)


def af8_decode(code, bias):
    code = np.asarray(code, dtype=np.uint8)
    e = (code >> 4) & 7
    m = code & 15
    v = np.ldexp(1.0 + m.astype(np.float32) / np.float32(16), e.astype(np.int32) + bias - 10).astype(np.float32)
    v = np.where(code & 0x80, -v, v)
    return np.where((code & 0x7f) == 0, np.float32(0), v).astype(np.float32)


def af8_quantize(x):
    """(dequantised float32 array, bias, codes)."""
    b = af8_choose_bias(x)
    c = af8_encode(x, b)
    return af8_decode(c, b), b, c


def _pad(b, n):
    return b + b"\0" * (-len(b) % n)


def tensor_record(x, enc):
    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 1:
        x = x[None, :]
    rows, cols = x.shape
    if enc == ENC_F32:
        bias = 0
        payload = x.astype("<f4").tobytes()
    else:
        bias = af8_choose_bias(x)
        codes = af8_encode(x, bias)
        if enc == ENC_AF8:
            payload = codes.tobytes()
        else:
            nz = (codes & 0x7f) != 0
            row_ptr = np.concatenate([[0], np.cumsum(nz.sum(1))]).astype("<u4")
            mask = np.packbits(nz.reshape(-1), bitorder="little")
            vals = codes[nz]
            payload = (struct.pack("<I", int(nz.sum())) + row_ptr.tobytes() +
                       mask.tobytes() + vals.tobytes())
    hdr = struct.pack("<IIBBHI", rows, cols, enc, bias, 0, len(payload))
    return _pad(hdr + payload, 8)


def task_weights(cfg, labels, span_max, span_ramp, span_z, tensors, matrix_enc=ENC_AF8):
    """tensors: dict name -> float32 array, names as in FIXED / rampL.NAME."""
    L = cfg["layers"]
    count = len(FIXED) + 4 * L
    hdr = struct.pack("<4sIIIIIIIIIIfI3I", b"EBTW", 1, cfg["embed_dim"], cfg["hidden"],
                      cfg["heads"], cfg["ffn"], L, cfg["max_position"],
                      cfg["type_vocab_size"], labels, span_max, span_ramp, count, 0, 0, 0)
    assert len(hdr) == 64
    out = [hdr, _pad(np.asarray(span_z, dtype="<f4").tobytes(), 8)]
    names = FIXED + ["ramp%d.%s" % (l, r) for l in range(L) for r in RAMP]
    for n in names:
        x = np.asarray(tensors[n], dtype=np.float32)
        is_vec = x.ndim == 1 or x.shape[0] == 1
        out.append(tensor_record(x, ENC_F32 if is_vec else matrix_enc))
    return b"".join(out)


def task_meta(name, label_names, threshold, lut):
    nb = name.encode()
    assert 0 < len(nb) < 32
    lut = np.asarray(lut, dtype="<f4") if lut is not None else np.zeros((0, 0), "<f4")
    rows, cols = lut.shape if lut.size else (0, 0)
    hdr = struct.pack("<32sIfIII3I", nb, len(label_names), threshold, rows, cols,
                      1 if rows else 0, 0, 0, 0)
    strs = [l.encode() for l in label_names]
    offs = np.concatenate([[0], np.cumsum([len(s) for s in strs])]).astype("<u4")
    body = _pad(offs.tobytes() + b"".join(strs), 4)
    return hdr + body + lut.tobytes()


def write_ebm(path, cfg, vocab, word_emb, tasks, ln_eps, ids):
    """tasks: list of (meta_bytes, weights_bytes). ids: cls, sep, unk, pad."""
    config = struct.pack("<9If5II", cfg["vocab_size"], cfg["max_position"],
                         cfg["type_vocab_size"], cfg["embed_dim"], cfg["hidden"],
                         cfg["heads"], cfg["ffn"], cfg["layers"], len(tasks), ln_eps,
                         ids["cls"], ids["sep"], ids["unk"], ids["pad"], FLAG_UNCASED, 0)
    vb = [v.encode() for v in vocab]
    offs = np.concatenate([[0], np.cumsum([len(s) for s in vb])]).astype("<u4")
    vsec = struct.pack("<I", len(vb)) + offs.tobytes() + b"".join(vb)
    esec = tensor_record(word_emb, ENC_AF8_SPARSE)
    secs = [(SEC_CONFIG, 0, config), (SEC_VOCAB, 0, vsec), (SEC_EMBEDDINGS, 0, esec)]
    for i, (meta, w) in enumerate(tasks):
        secs.append((SEC_TASK_META, i, meta))
        secs.append((SEC_TASK_WEIGHTS, i, w))
    off = 64 + 32 * len(secs)
    table = b""
    body = b""
    for typ, task, data in secs:
        off += -off % 64
        start = off
        table += struct.pack("<IIQQII", typ, task, start, len(data), zlib.crc32(data), 0)
        off += len(data)
    file_size = off
    hdr = struct.pack("<8sHHIIIQI6I", MAGIC, 1, 0, 64, len(secs), 0, file_size,
                      zlib.crc32(table), *([0] * 6))
    hdr += struct.pack("<I", zlib.crc32(hdr))
    assert len(hdr) == 64
    buf = bytearray(hdr + table)
    for typ, task, data in secs:
        buf += b"\0" * (-len(buf) % 64)
        buf += data
    assert len(buf) == file_size
    with open(path, "wb") as f:
        f.write(buf)
    return file_size, esec
