#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Device-level tests of QEMU's edgebert device through the qtest protocol.

No guest runs: the script is the driver. It enumerates the device with
PCI config cycles, maps its BARs, points the MSI-X vectors at guest RAM,
builds rings, BO page lists and command buffers in guest memory and checks
the device against docs/device.md.

  tools/qemu/tests/qtest-edgebert.py QEMU [MODEL.ebm EBREF]

With MODEL and EBREF (tools/qemu/tests/ebref.c built on the host) it also
runs sentences on the device and compares logits and entropies bit for bit
with the runtime's compute core on the host.
"""
import os
import struct
import subprocess
import sys
import tempfile
import time
import zlib

QEMU_L = ["-L", "/usr/share/qemu", "-L", "/usr/share/seabios",
          "-L", "/usr/lib/ipxe/qemu"]

BAR0, BAR1 = 0xE0000000, 0xE0010000
MSI_ADDR = 0x7000
SQ, CQ, BOT, PL, DATA = 0x100000, 0x110000, 0x120000, 0x130000, 0x400000

# Registers (docs/device.md)
ID, VERSION, STATUS, CONTROL = 0x000, 0x004, 0x008, 0x00C
IRQ_STATUS, IRQ_MASK, ERROR_CODE, SCRATCH = 0x010, 0x014, 0x018, 0x01C
CAP = 0x100
DVFS_TARGET, DVFS_CURRENT, DVFS_STATUS, DVFS_TRANS = 0x300, 0x304, 0x308, 0x30C
CNT = 0x380
SQ_BASE, SQ_ENTRIES, SQ_TAIL, SQ_HEAD = 0x400, 0x408, 0x40C, 0x410
CQ_BASE, CQ_ENTRIES, CQ_HEAD, CQ_TAIL = 0x420, 0x428, 0x42C, 0x430
ENVM = 0x500
FAULT = 0x600

OK, EXITED, INVALID, DMA_FAULT, DEV_ERROR = 0, 1, 2, 3, 4
DVFS_FAULT = 7
MAGIC = 0xEBC0FFEE


class QTest:
    def __init__(self, qemu, props="", extra=()):
        args = [qemu, "-machine", "pc", "-accel", "qtest", "-qtest", "stdio", "-qtest-log", "/dev/null",
                "-display", "none", "-nodefaults", "-m", "256M", *QEMU_L,
                "-device", "edgebert" + props, *extra]
        self.p = subprocess.Popen(args, stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True,
                                  bufsize=1)

    def cmd(self, s):
        self.p.stdin.write(s + "\n")
        self.p.stdin.flush()
        while True:
            line = self.p.stdout.readline()
            if not line:
                raise RuntimeError("qemu died (%s)" % s)
            if line.startswith("IRQ"):
                continue
            if not line.startswith("OK"):
                raise RuntimeError("%s: %s" % (s, line.strip()))
            return line.split()[1:]

    def close(self):
        try:
            self.p.stdin.close()
            self.p.wait(10)
        except Exception:
            self.p.kill()

    # guest memory
    def write(self, addr, data):
        if data:
            self.cmd("write 0x%x %d 0x%s" % (addr, len(data), data.hex()))

    def read(self, addr, size):
        return bytes.fromhex(self.cmd("read 0x%x %d" % (addr, size))[0][2:])

    def w32(self, addr, v):
        self.write(addr, struct.pack("<I", v))

    def r32(self, addr):
        return struct.unpack("<I", self.read(addr, 4))[0]

    # MMIO
    def rl(self, off):
        return int(self.cmd("readl 0x%x" % (BAR0 + off))[0], 16)

    def wl(self, off, v):
        self.cmd("writel 0x%x 0x%x" % (BAR0 + off, v))

    def step(self, ns=1000000):
        self.cmd("clock_step %d" % ns)

    # PCI config
    def cfg_r(self, dev, reg):
        self.cmd("outl 0xcf8 0x%x" % (0x80000000 | dev << 11 | (reg & ~3)))
        return int(self.cmd("inl 0xcfc")[0], 16)

    def cfg_w(self, dev, reg, v):
        self.cmd("outl 0xcf8 0x%x" % (0x80000000 | dev << 11 | (reg & ~3)))
        self.cmd("outl 0xcfc 0x%x" % v)


class Dev:
    """The device as a driver sees it, on one QEMU instance."""

    def __init__(self, qemu, props="", extra=()):
        self.q = QTest(qemu, props, extra)
        q = self.q
        self.slot = None
        for slot in range(32):
            if q.cfg_r(slot, 0) == 0x10F01AF4:
                self.slot = slot
                break
        assert self.slot is not None, "no edgebert on bus 0"
        s = self.slot
        q.cfg_w(s, 0x10, BAR0)
        q.cfg_w(s, 0x14, BAR1)
        q.cfg_w(s, 0x04, 0x0006)            # memory + bus master
        cap = q.cfg_r(s, 0x34) & 0xFF
        while cap:
            v = q.cfg_r(s, cap)
            if v & 0xFF == 0x11:
                break
            cap = (v >> 8) & 0xFF
        assert cap, "no MSI-X capability"
        self.msix_cap = cap
        q.cfg_w(s, cap, q.cfg_r(s, cap) | 0x80000000)   # MSI-X enable
        table = q.cfg_r(s, cap + 4)
        assert table & 7 == 1, "MSI-X table not in BAR1"
        for v in range(2):
            e = BAR1 + (table & ~7) + 16 * v
            q.cmd("writel 0x%x 0x%x" % (e, MSI_ADDR + 4 * v))
            q.cmd("writel 0x%x 0" % (e + 4))
            q.cmd("writel 0x%x 0x%x" % (e + 8, 0xA0 + v))
            q.cmd("writel 0x%x 0" % (e + 12))
        q.write(MSI_ADDR, bytes(8))
        self.job_id = 100
        self.sq_tail = 0
        self.cq_head = 0
        self.entries = 16

    def msi(self, v):
        """Was vector v signalled since the last call?"""
        got = self.q.r32(MSI_ADDR + 4 * v) == 0xA0 + v
        self.q.w32(MSI_ADDR + 4 * v, 0)
        return got

    def queue_on(self, entries=16):
        q = self.q
        self.entries = entries
        q.wl(CONTROL, 4)
        q.write(SQ, bytes(64 * entries))
        q.write(CQ, bytes(64 * entries))
        q.wl(SQ_BASE, SQ)
        q.wl(SQ_BASE + 4, 0)
        q.wl(SQ_ENTRIES, entries)
        q.wl(CQ_BASE, CQ)
        q.wl(CQ_BASE + 4, 0)
        q.wl(CQ_ENTRIES, entries)
        q.wl(IRQ_MASK, 0xF)
        q.wl(CONTROL, 2)
        self.sq_tail = self.cq_head = 0

    def bo(self, idx, addr, data, size=None):
        """BO idx: data at addr (page-aligned), page list at PL + idx*0x1000."""
        q = self.q
        size = len(data) if size is None else size
        q.write(addr, data)
        pages = [addr + 4096 * i for i in range((size + 4095) // 4096)]
        q.write(PL + idx * 0x1000, struct.pack("<%dQ" % len(pages), *pages))
        return (PL + idx * 0x1000, size)

    def submit(self, bos, cmd_bo, cmds, opp=0xFFFFFFFF, cmd_off=0,
               raw_desc=None):
        """bos: list of (pages, size). Returns the job id."""
        q = self.q
        q.write(BOT, b"".join(struct.pack("<QQ", p, s) for p, s in bos))
        self.job_id += 1
        desc = raw_desc or struct.pack("<QQIIQIII20x", self.job_id, BOT,
                                       len(bos), cmd_bo, cmd_off, len(cmds),
                                       opp, 0)
        q.write(SQ + 64 * self.sq_tail, desc)
        self.sq_tail = (self.sq_tail + 1) % self.entries
        q.wl(SQ_TAIL, self.sq_tail)
        return self.job_id

    def wait_cqe(self, timeout=60.0, step=1000000):
        q = self.q
        end = time.time() + timeout
        while q.rl(CQ_TAIL) == self.cq_head:
            if time.time() > end:
                return None
            q.step(step)
            time.sleep(0.001)
        r = q.read(CQ + 64 * self.cq_head, 64)
        self.cq_head = (self.cq_head + 1) % self.entries
        q.wl(CQ_HEAD, self.cq_head)
        f = struct.unpack("<QIIIIQQQII8x", r)
        return dict(job_id=f[0], status=f[1], exit_layer=f[2], entropy=f[3],
                    opp=f[4], cycles=f[5], ns=f[6], energy=f[7], magic=f[8],
                    seq=f[9])

    def counter(self, i):
        lo = self.q.rl(CNT + 8 * i)
        return lo | self.q.rl(CNT + 8 * i + 4) << 32

    def program_envm(self, image, addr=0x800000, wait=True):
        q = self.q
        pl, size = self.bo(40, addr, image)
        q.wl(ENVM + 0x08, pl)
        q.wl(ENVM + 0x0C, 0)
        q.wl(ENVM + 0x10, size)
        q.wl(ENVM + 0x00, 1)
        if not wait:
            return
        for _ in range(100000):
            if not q.rl(ENVM + 0x04) & 1:
                break
            q.step(10000000)
        assert not q.rl(ENVM + 0x04) & 1, "eNVM programming never finished"

    def close(self):
        self.q.close()


def cmd(op, *args):
    return struct.pack("<I", op | (1 + len(args)) << 16) + \
        struct.pack("<%dI" % len(args), *args)


NOP = cmd(0)


def pad8(b):
    return b + NOP if len(b) % 8 else b


# ---------------------------------------------------------------- tests

class Runner:
    def __init__(self):
        self.passed = self.failed = 0

    def check(self, name, cond, detail=""):
        if cond:
            self.passed += 1
        else:
            self.failed += 1
            print("FAIL: %s %s" % (name, detail))


def law_mhz(v_uv, vmax=800000, fmax_khz=1000000, vth=300000):
    # largest whole MHz f with f <= Fmax*((V-Vth)/(Vmax-Vth))^1.5*Vmax/V
    lo, hi = 0, fmax_khz // 1000
    while lo < hi:
        mid = (lo + hi + 1) // 2
        ok = (mid * 1000 * v_uv) ** 2 * (vmax - vth) ** 3 <= \
            (fmax_khz * vmax) ** 2 * (v_uv - vth) ** 3
        lo, hi = (mid, hi) if ok else (lo, mid - 1)
    return lo * 1000


def test_identity(t, qemu):
    d = Dev(qemu, ",mac-lanes=512,opp-count=12,envm-size=1048576,"
            "max-layers=12")
    q = d.q
    cls = q.cfg_r(d.slot, 0x08)
    t.check("class", cls >> 8 == 0x120000 and cls & 0xFF == 1, hex(cls))
    t.check("id", q.rl(ID) == 0x45424552)
    t.check("version", q.rl(VERSION) == 0x10000)
    t.check("status ready", q.rl(STATUS) == 1, hex(q.rl(STATUS)))
    q.wl(SCRATCH, 0xDEADBEEF)
    t.check("scratch", q.rl(SCRATCH) == 0xDEADBEEF)
    t.check("bad size read", int(q.cmd("readw 0x%x" % (BAR0 + ID))[0], 16) == 0)
    caps = [q.rl(CAP + 4 * i) for i in range(31)]
    t.check("cap features", caps[0] == 0xF, hex(caps[0]))
    t.check("cap mac lanes", caps[1] == 512)
    t.check("cap opp count", caps[7] == 12)
    t.check("cap envm size", caps[8] == 1048576)
    t.check("cap freq max", caps[4] == 1000000)
    t.check("cap freq min", caps[3] == law_mhz(500000), "%d vs %d" %
            (caps[3], law_mhz(500000)))
    t.check("cap page size", caps[26] == 4096)
    t.check("cap max layers", caps[29] == 12)
    opp = [(q.rl(0x200 + 8 * i), q.rl(0x204 + 8 * i)) for i in range(13)]
    want = [(law_mhz(500000 + 300000 * i // 11), 500000 + 300000 * i // 11)
            for i in range(12)]
    t.check("opp table", opp[:12] == want, str(opp))
    t.check("opp beyond count", opp[12] == (0, 0))
    t.check("dvfs current top", q.rl(DVFS_CURRENT) == 11)
    t.check("fault ctrl off", q.rl(FAULT) == 0 and caps[0] >> 31 == 0)
    d.close()


def test_dvfs(t, qemu):
    d = Dev(qemu, ",faults=on")
    q = d.q
    q.wl(IRQ_MASK, 0xF)
    q.wl(DVFS_TARGET, 0)
    t.check("dvfs busy", q.rl(DVFS_STATUS) & 1 and q.rl(STATUS) & 8)
    q.step(600)
    t.check("dvfs still busy after 600 ns", q.rl(DVFS_STATUS) & 1)
    q.step(100)
    t.check("dvfs done", q.rl(DVFS_STATUS) == 0 and q.rl(DVFS_CURRENT) == 0)
    t.check("dvfs transitions", q.rl(DVFS_TRANS) == 1)
    t.check("dvfs irq", q.rl(IRQ_STATUS) == 2 and d.msi(1))
    q.wl(IRQ_STATUS, 2)
    t.check("irq w1c", q.rl(IRQ_STATUS) == 0)
    busy = d.counter(1)
    # 0.50 V -> 0.80 V: 15 LDO steps of 10 ns + 500 ns relock
    t.check("busy ns of transition", busy == 15 * 10 + 500, str(busy))
    q.wl(DVFS_TARGET, 99)
    t.check("dvfs bad index", q.rl(DVFS_STATUS) == 2 and q.rl(DVFS_CURRENT) == 0)
    q.wl(FAULT, 8)
    q.wl(DVFS_TARGET, 5)
    t.check("dvfs refused", q.rl(DVFS_STATUS) == 2 and q.rl(DVFS_CURRENT) == 0
            and q.rl(FAULT) == 0)
    # an illegal point (frequency above the law) is refused
    q.wl(0x200 + 8 * 3, 1000000)
    q.wl(DVFS_TARGET, 3)
    t.check("dvfs above law", q.rl(DVFS_STATUS) == 2)
    d.close()


def test_queue(t, qemu):
    d = Dev(qemu, ",faults=on")
    q = d.q
    q.wl(IRQ_MASK, 0xF)
    q.wl(SQ_ENTRIES, 3)
    q.wl(CONTROL, 2)
    t.check("bad queue config", q.rl(ERROR_CODE) == 1 and
            not q.rl(STATUS) & 0x20 and d.msi(1))
    q.wl(CONTROL, 1)
    d.queue_on()
    t.check("queue enabled", q.rl(STATUS) & 0x20 and q.rl(ERROR_CODE) == 0)

    cb = d.bo(0, DATA, pad8(NOP + cmd(1, 3) + NOP))
    jid = d.submit([cb], 0, pad8(NOP + cmd(1, 3) + NOP))
    r = d.wait_cqe()
    t.check("nop job completes", r and r["job_id"] == jid and
            r["status"] == OK and r["magic"] == MAGIC and r["seq"] == 0, str(r))
    t.check("job set opp", r and r["opp"] == 3 and q.rl(DVFS_CURRENT) == 3)
    # 0.80 V -> 0.56 V: 12 LDO steps of 10 ns + 500 ns relock
    t.check("job transition time", r and r["ns"] == 12 * 10 + 500, str(r))
    t.check("completion msi", d.msi(0) and q.rl(IRQ_STATUS) & 1)
    q.wl(IRQ_STATUS, 0xF)
    t.check("sq head", q.rl(SQ_HEAD) == 1 and q.rl(CQ_TAIL) == 1)
    t.check("jobs counter", d.counter(3) == 1)

    # descriptor opp, then a bad opcode, then a DMA fault: each its own job
    prog = pad8(cmd(0x77))
    d.bo(0, DATA, prog)
    jid = d.submit([(PL, len(prog))], 0, prog)
    r = d.wait_cqe()
    t.check("invalid opcode", r and r["job_id"] == jid and
            r["status"] == INVALID, str(r))
    prog = pad8(cmd(6, 1, 0, 0))        # WRITE_RESULTS to BO 1: no ramp
    d.bo(0, DATA, prog)
    d.submit([(PL, len(prog))], 0, prog)
    r = d.wait_cqe()
    t.check("write results without ramp", r and r["status"] == INVALID, str(r))
    prog = pad8(cmd(8, 3, 0, 0))        # LOAD_STATE: no task
    d.bo(0, DATA, prog)
    d.submit([(PL, len(prog))], 0, prog)
    r = d.wait_cqe()
    t.check("load state without task", r and r["status"] == INVALID, str(r))
    prog = pad8(cmd(2, 1, 0, 0, 1 << 20, 16, 8, 2, 8, 8, 2, 16, 2, 0))
    d.bo(0, DATA, prog)
    d.submit([(PL, len(prog))], 0, prog)   # LOAD_TASK beyond BO 0's size
    r = d.wait_cqe()
    t.check("dma fault", r and r["status"] == DMA_FAULT, str(r))
    d.bo(0, DATA, NOP + NOP)
    d.submit([(PL, 8)], 0, b"\0" * 16)   # cmd larger than the BO
    r = d.wait_cqe()
    t.check("cmd beyond bo", r and r["status"] == DMA_FAULT, str(r))
    d.submit([(PL, 8)], 1, b"\0" * 8)    # cmd_bo >= bo_count
    r = d.wait_cqe()
    t.check("bad cmd_bo", r and r["status"] == INVALID, str(r))
    d.submit([(PL, 8)], 0, NOP + NOP, opp=77)
    r = d.wait_cqe()
    t.check("bad desc opp", r and r["status"] == INVALID, str(r))
    d.submit([(PL, 8)], 0, NOP + NOP, opp=0)
    r = d.wait_cqe()
    t.check("desc opp", r and r["status"] == OK and r["opp"] == 0, str(r))

    # faults
    q.wl(FAULT, 2)
    d.submit([(PL, 8)], 0, NOP + NOP)
    r = d.wait_cqe()
    t.check("fault fail", r and r["status"] == DEV_ERROR, str(r))
    q.wl(FAULT, 4)
    d.submit([(PL, 8)], 0, NOP + NOP)
    r = d.wait_cqe()
    t.check("fault corrupt", r and r["magic"] != MAGIC and
            r["status"] == OK, str(r))
    q.wl(FAULT, 8)
    d.submit([(PL, 8)], 0, NOP + NOP, opp=9)
    r = d.wait_cqe()
    t.check("fault dvfs in job", r and r["status"] == DVFS_FAULT, str(r))
    q.wl(FAULT, 1)
    d.submit([(PL, 8)], 0, NOP + NOP)
    r = d.wait_cqe(timeout=1.0)
    t.check("fault hang", r is None and q.rl(STATUS) & 0x40)
    done = d.counter(3)
    q.wl(CONTROL, 1)
    t.check("reset", q.rl(STATUS) == 1 and q.rl(SQ_HEAD) == 0 and
            q.rl(IRQ_STATUS) == 0, hex(q.rl(STATUS)))
    t.check("counters kept", d.counter(3) == done)
    q.wl(IRQ_MASK, 0xF)
    d.queue_on()
    d.submit([(PL, 8)], 0, NOP + NOP)
    r = d.wait_cqe()
    t.check("job after reset", r and r["status"] == OK and r["seq"] == 0,
            str(r))

    # a full completion ring stalls the device until CQ_HEAD moves
    d.queue_on(entries=4)
    for _ in range(3):
        d.submit([(PL, 8)], 0, NOP + NOP)
    for _ in range(20):
        q.step(1000000)
        time.sleep(0.01)
    d.submit([(PL, 8)], 0, NOP + NOP)
    for _ in range(20):
        q.step(1000000)
        time.sleep(0.01)
    t.check("cq full stalls", q.rl(CQ_TAIL) == 3 and q.rl(SQ_HEAD) == 3,
            "%d %d" % (q.rl(CQ_TAIL), q.rl(SQ_HEAD)))
    seqs = [d.wait_cqe()["seq"] for _ in range(4)]
    t.check("cq drains", seqs == [0, 1, 2, 3], str(seqs))
    d.close()


def test_envm(t, qemu, path):
    if os.path.exists(path):
        os.unlink(path)
    img = bytes((i * 7 + 3) & 0xFF for i in range(3 * 4096 + 100))
    props = ",envm-size=65536,faults=on,envm=" + path
    d = Dev(qemu, props)
    q = d.q
    t.check("envm empty", q.rl(ENVM + 0x04) == 0 and q.rl(ENVM + 0x30) == 32)
    q.wl(IRQ_MASK, 0xF)
    d.program_envm(img)
    crc = zlib.crc32(img)
    t.check("envm programmed", q.rl(ENVM + 0x04) == 2 and
            q.rl(ENVM + 0x14) == len(img) and q.rl(ENVM + 0x18) == 1 and
            q.rl(ENVM + 0x1C) == crc, hex(q.rl(ENVM + 0x04)))
    t.check("envm done irq", q.rl(IRQ_STATUS) & 4 and d.msi(1))
    wear = []
    for i in range(32):
        q.wl(ENVM + 0x20, i)
        wear.append(q.rl(ENVM + 0x24))
    t.check("envm wear", wear == [1] * 4 + [0] * 28, str(wear))
    d.program_envm(img[:5000])
    t.check("envm second image", q.rl(ENVM + 0x18) == 2 and
            q.rl(ENVM + 0x14) == 5000)
    q.wl(ENVM + 0x20, 16)
    t.check("envm slot b wear", q.rl(ENVM + 0x24) == 1)
    # lose power half-way through a third image: the second one stays
    d.program_envm(bytes(40000), wait=False)
    q.step(100000 * 3 + 1)
    t.check("envm busy", q.rl(ENVM + 0x04) & 1 and q.rl(STATUS) & 0x10)
    q.wl(ENVM, 1 << 31)
    t.check("envm power cut", q.rl(ENVM + 0x18) == 2 and
            q.rl(ENVM + 0x14) == 5000 and q.rl(ENVM + 0x2C) == 4)
    d.close()
    d = Dev(qemu, props)
    q = d.q
    t.check("envm persists", q.rl(ENVM + 0x04) == 2 and
            q.rl(ENVM + 0x18) == 2 and q.rl(ENVM + 0x14) == 5000 and
            q.rl(ENVM + 0x1C) == zlib.crc32(img[:5000]))
    q.wl(ENVM + 0x20, 0)
    t.check("envm wear persists", q.rl(ENVM + 0x24) == 2, str(q.rl(ENVM + 0x24)))
    d.close()
    # a QEMU killed mid-programming keeps the committed image too
    d = Dev(qemu, props)
    d.program_envm(bytes(60000), wait=False)
    d.q.step(100000 * 5 + 1)
    d.q.p.kill()
    d.q.p.wait()
    d = Dev(qemu, props)
    t.check("envm survives kill", d.q.rl(ENVM + 0x18) == 2 and
            d.q.rl(ENVM + 0x1C) == zlib.crc32(img[:5000]))
    d.close()


# ---------------------------------------------------------------- compute

def ebm_sections(blob):
    n = struct.unpack_from("<I", blob, 16)[0]
    secs = []
    for i in range(n):
        typ, task, off, size, _crc = struct.unpack_from("<IIQQI", blob,
                                                        64 + 32 * i)
        secs.append((typ, task, blob[off:off + size]))
    return secs


def run_ref(ebref, model, layers, opp, sent):
    out = subprocess.run([ebref, model, "0", str(layers), str(opp)] +
                         [str(i) for i in sent], check=True,
                         capture_output=True, text=True).stdout.split("\n")
    ref = [l.split()[2:] for l in out if l.startswith("layer")]
    cost = [int(v) for l in out if l.startswith("cost")
            for v in l.split()[1:]]
    return ref, cost


def test_compute(t, qemu, model, ebref):
    blob = open(model, "rb").read()
    secs = ebm_sections(blob)
    cfg = [s for ty, _, s in secs if ty == 1][0]
    emb = [s for ty, _, s in secs if ty == 3][0]
    tw = [s for ty, tk, s in secs if ty == 17 and tk == 0][0]
    dims = struct.unpack_from("<8I", cfg, 0)
    eps = struct.unpack_from("<I", cfg, 36)[0]
    layers = dims[7]
    sentences = [[1, 5, 7, 2], [1, 9, 2], [1, 3, 4, 6, 8, 10, 2]]

    d = Dev(qemu)
    q = d.q
    d.program_envm(emb)
    d.queue_on()
    tw_bo = d.bo(1, DATA + 0x100000, tw)
    for n, sent in enumerate(sentences):
        ref, cost = run_ref(ebref, model, layers, 15, sent)
        tok_bo = d.bo(2, DATA + 0x80000, struct.pack("<%dI" % len(sent), *sent))
        res_bo = d.bo(3, DATA + 0x90000, bytes(4096))
        prog = cmd(2, 1, 0, 0, len(tw), *dims, eps) + \
            cmd(3, 2, 0, 0, len(sent))
        for _ in range(layers):
            prog += cmd(4) + cmd(5, 0, 0)
        prog = pad8(prog + cmd(6, 3, 0, 0))
        cb = d.bo(0, DATA, prog)
        d.submit([cb, tw_bo, tok_bo, res_bo], 0, prog, opp=15)
        r = d.wait_cqe()
        t.check("sentence %d status" % n, r and r["status"] == OK and
                r["exit_layer"] == layers and r["magic"] == MAGIC, str(r))
        out = q.read(DATA + 0x90000, 16 + 4 * (2 * layers + 8))
        labels = struct.unpack_from("<I", out, 4)[0]
        logits = ["%08x" % v for v in struct.unpack_from("<%dI" % labels,
                                                         out, 16)]
        ents = ["%08x" % v for v in struct.unpack_from("<%dI" % layers, out,
                                                       16 + 4 * labels)]
        t.check("sentence %d logits bit-exact" % n, logits == ref[-1][1:],
                "%s vs %s" % (logits, ref[-1][1:]))
        t.check("sentence %d entropies bit-exact" % n,
                ents == [l[0] for l in ref], "%s vs %s" % (ents, ref))
        t.check("sentence %d record entropy" % n,
                r and "%08x" % r["entropy"] == ref[-1][0])
        t.check("sentence %d cost equals the CPU backend's" % n,
                r and [r["cycles"], r["ns"], r["energy"]] == cost,
                "%s vs %s" % (r, cost))

        # early exit: threshold above every entropy exits after layer 1
        thr = struct.unpack("<I", struct.pack("<f", 1e9))[0]
        prog = cmd(2, 1, 0, 0, len(tw), *dims, eps) + \
            cmd(3, 2, 0, 0, len(sent))
        for _ in range(layers):
            prog += cmd(4) + cmd(5, 1, thr)
        prog = pad8(prog + cmd(6, 3, 0, 0))
        cb = d.bo(0, DATA, prog)
        d.submit([cb, tw_bo, tok_bo, res_bo], 0, prog)
        r = d.wait_cqe()
        out = q.read(DATA + 0x90000, 16)
        t.check("sentence %d exit" % n, r and r["status"] == EXITED and
                r["exit_layer"] == 1 and
                struct.unpack_from("<I", out, 0)[0] == 1, str(r))

    # state across jobs: layers 1..2, store; then load, layers 3..L
    sent = sentences[0]
    ref, _ = run_ref(ebref, model, layers, 15, sent)
    tok_bo = d.bo(2, DATA + 0x80000, struct.pack("<%dI" % len(sent), *sent))
    st_bo = d.bo(4, DATA + 0xA0000, bytes(0x10000))
    res_bo = d.bo(3, DATA + 0x90000, bytes(4096))
    prog = cmd(2, 1, 0, 0, len(tw), *dims, eps) + cmd(3, 2, 0, 0, len(sent))
    prog = pad8(prog + (cmd(4) + cmd(5, 0, 0)) * 2 + cmd(7, 4, 0, 0))
    cb = d.bo(0, DATA, prog)
    d.submit([cb, tw_bo, tok_bo, res_bo, st_bo], 0, prog)
    r1 = d.wait_cqe()
    prog = cmd(2, 1, 0, 0, len(tw), *dims, eps) + cmd(8, 4, 0, 0)
    prog = pad8(prog + (cmd(4) + cmd(5, 0, 0)) * (layers - 2) +
                cmd(6, 3, 0, 0))
    cb = d.bo(0, DATA, prog)
    d.submit([cb, tw_bo, tok_bo, res_bo, st_bo], 0, prog, opp=0)
    r2 = d.wait_cqe()
    out = q.read(DATA + 0x90000, 64)
    labels = struct.unpack_from("<I", out, 4)[0]
    logits = ["%08x" % v for v in struct.unpack_from("<%dI" % labels, out, 16)]
    t.check("split sentence", r1 and r2 and r1["status"] == OK and
            r2["status"] == OK and r2["exit_layer"] == layers and
            logits == ref[-1][1:] and r2["opp"] == 0,
            "%s %s %s" % (r1, r2, logits))
    d.close()


def main():
    if len(sys.argv) not in (2, 4):
        print(__doc__, file=sys.stderr)
        return 2
    qemu = sys.argv[1]
    t = Runner()
    test_identity(t, qemu)
    test_dvfs(t, qemu)
    test_queue(t, qemu)
    with tempfile.TemporaryDirectory() as tmp:
        test_envm(t, qemu, os.path.join(tmp, "envm.img"))
    if len(sys.argv) == 4:
        test_compute(t, qemu, sys.argv[2], sys.argv[3])
    print("%d passed, %d failed" % (t.passed, t.failed))
    return 1 if t.failed else 0


if __name__ == "__main__":
    sys.exit(main())
