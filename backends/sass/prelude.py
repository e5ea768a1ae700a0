"""The runtime the emitted SIMT code of a lifted kernel calls: launch geometry, device
memory by 64-bit address, shuffles. Emitted once at the top of a decompiled file.

Threads of the whole grid run in lock-step, one numpy lane each (block-major, every block
padded to whole warps); pointer parameter ``k`` lives at the fake device address
``(k + 1) << 40`` so an address says which array it points into.
"""

PRELUDE = '''
class _Launch:
    """The launch: thread/block indices per lane, dimensions, shared memory per block."""

    def __init__(self, grid, block, shared_bytes=0x10000):
        g = tuple(grid) if isinstance(grid, (tuple, list)) else (grid,)
        b = tuple(block) if isinstance(block, (tuple, list)) else (block,)
        g, b = g + (1,) * (3 - len(g)), b + (1,) * (3 - len(b))
        nb = b[0] * b[1] * b[2]
        tpb = -(-nb // 32) * 32
        t = np.arange(g[0] * g[1] * g[2] * tpb)
        local, blk = t % tpb, t // tpb
        self.T, self.valid, self.block = t.size, local < nb, blk
        self.lane = (local % 32).astype(np.uint32)
        u = np.uint32
        self.tid = [(local % b[0]).astype(u), (local // b[0] % b[1]).astype(u),
                    (local // (b[0] * b[1])).astype(u)]
        self.ctaid = [(blk % g[0]).astype(u), (blk // g[0] % g[1]).astype(u),
                      (blk // (g[0] * g[1])).astype(u)]
        self.ntid, self.nctaid = [u(x) for x in b], [u(x) for x in g]
        self.shared = np.zeros((g[0] * g[1] * g[2], shared_bytes // 4), np.uint32)

    def special(self, name):
        if name == "SR_LANEID":
            return self.lane
        if name == "SR_CgaCtaId":
            return np.zeros(self.T, np.uint32)
        raise NotImplementedError(f"special register {name}")

    def shfl(self, mode, value, offset, clamp):
        value = np.broadcast_to(np.asarray(value, np.uint32), (self.T,))
        lane = self.lane.astype(np.int64)
        off = np.asarray(offset, np.int64) & 31
        top = np.asarray(clamp, np.int64) & 31
        src = {"down": lane + off, "up": lane - off, "bfly": lane ^ off, "idx": off + 0 * lane}[mode]
        ok = (src <= top) & (src >= 0) if mode != "up" else src >= 0
        idx = np.where(ok, np.arange(self.T) - lane + src, np.arange(self.T))
        return value[idx], np.broadcast_to(ok, (self.T,))


class _Memory:
    """Device memory: the pointer arguments (flat arrays, written in place) and shared
    memory, accessed by byte address per lane."""

    def __init__(self, launch, arrays):
        self.L, self.arrays = launch, arrays

    def _where(self, space, addr, mask):
        addr = np.broadcast_to(np.asarray(addr, np.uint64), (self.L.T,))
        mask = np.broadcast_to(np.asarray(mask, bool), (self.L.T,)) & self.L.valid
        if space == "shared":
            yield self.L.shared, mask, (self.L.block, ((addr & 0xFFFFFF) >> 2).astype(np.int64))
            return
        if space != "global":
            raise NotImplementedError(f"{space} memory")
        which = (addr >> 40).astype(np.int64) - 1
        if (mask & ((which < 0) | (which >= len(self.arrays)))).any():
            raise IndexError("access outside every pointer argument")
        for k, arr in enumerate(self.arrays):
            sel = mask & (which == k)
            if sel.any():
                yield arr, sel, (addr & ((1 << 40) - 1)).astype(np.int64)

    @staticmethod
    def _view(buf, width):
        dt = {8: np.uint8, 16: np.uint16}.get(width, np.uint32)
        return buf.reshape(-1).view(dt) if buf.ndim == 1 else buf.view(dt)

    def load(self, space, addr, width, mask):
        words = max(width // 32, 1)
        out = [np.zeros(self.L.T, np.uint32) for _ in range(words)]
        for buf, sel, off in self._where(space, addr, mask):
            if space == "shared":
                for w in range(words):
                    out[w][sel] = buf[off[0][sel], off[1][sel] + w]
                continue
            view = self._view(buf, width)
            scale = {8: 1, 16: 2}.get(width, 4)
            for w in range(words):
                out[w][sel] = view[off[sel] // scale + w]
        return out

    def store(self, space, addr, values, width, mask):
        for buf, sel, off in self._where(space, addr, mask):
            for w, v in enumerate(values):
                v = np.broadcast_to(np.asarray(v, np.uint32), (self.L.T,))
                if space == "shared":
                    buf[off[0][sel], off[1][sel] + w] = v[sel]
                else:
                    scale = {8: 1, 16: 2}.get(width, 4)
                    view = self._view(buf, width)
                    view[off[sel] // scale + w] = v[sel].astype(view.dtype)

    def atomic(self, space, kind, addr, value, mask):
        op, ty = kind.split(".")
        old = np.zeros(self.L.T, np.uint32)
        value = np.broadcast_to(np.asarray(value, np.uint32), (self.L.T,))
        dt = {"f32": np.float32, "s32": np.int32, "u32": np.uint32}[ty]
        ufunc = {"add": np.add, "min": np.minimum, "max": np.maximum, "and": np.bitwise_and,
                 "or": np.bitwise_or, "xor": np.bitwise_xor}
        for buf, sel, off in self._where(space, addr, mask):
            if space == "shared":
                view, idx = buf.view(dt), (off[0][sel], off[1][sel])
            else:
                view, idx = self._view(buf, 32).view(dt), off[sel] // 4
            old[sel] = view[idx].view(np.uint32)
            vals = value[sel].view(dt)
            if op == "exch":
                view[idx] = vals
            else:
                ufunc[op].at(view, idx, vals)
        return old


def _params(args, layout):
    """Bank-0 parameter words from the call's arguments (pointers get fake addresses)."""
    out, k = {}, 0
    for (kind, off), arg in zip(layout, args):
        if kind == "ptr":
            base = (k + 1) << 40
            k += 1
            out[off], out[off + 4] = np.uint32(base & 0xFFFFFFFF), np.uint32(base >> 32)
        elif kind == "f32":
            out[off] = np.float32(arg).view(np.uint32)
        else:
            out[off] = np.int64(arg).astype(np.uint32)
    return out


def _s(x):
    x = np.asarray(x)
    return x.view({1: np.int8, 2: np.int16, 4: np.int32, 8: np.int64}[x.dtype.itemsize])


def _dims(d):
    d = tuple(d) if isinstance(d, (tuple, list)) else (d,)
    return d + (1,) * (3 - len(d))


def _i32(x):
    return int(np.int64(x).astype(np.int32))


def _u32(x):
    return int(np.int64(x).astype(np.uint32))


def _unmapped(text):
    raise NotImplementedError(f"swc: unmapped SASS reached: {text}")
'''
