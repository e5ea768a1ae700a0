"""Conversion time of a 1,000+ line torch model file, as a ratio to LibCST parsing and
printing the same file (target <= 3x). The two are timed in alternation, N pairs, so load
from other processes falls on both alike; the figure is the median of the pairs' ratios,
with their spread.

    python benchmarks/convert_speed.py [--runs 5] [--to flax_nnx] [--blocks 40] [--cpu]
                                       [--stages | --profile]

The file is generated at run time: blocks of the kinds users write (a conv stack, an MLP
with dropout and layer norm, a residual block with in-place adds, a training step).
``--cpu`` times with the process's CPU clock instead of the wall clock: on a machine other
processes load, the ratio then moves far less from run to run. ``--stages`` prints the
median time of each stage (frontend, every pass, emission) over the runs.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import pstats
import statistics
import time

HEADER = '''\
"""A generated model file for the conversion-speed benchmark."""

import torch
import torch.nn as nn
import torch.nn.functional as F
'''

BLOCK = '''

class Conv{i}(nn.Module):
    """Two convolutions and a linear head (block {i})."""

    def __init__(self, channels: int = 3, classes: int = 10):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, 16, 3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, kernel_size=3, stride=2)
        self.act = nn.ReLU()
        self.head = nn.Linear(32, classes)

    def forward(self, x):
        x = self.act(self.conv1(x))  # features
        x = self.act(self.conv2(x))
        x = x.mean(dim=(2, 3))
        return self.head(x)


class Mlp{i}(nn.Module):
    def __init__(self, d_in: int = 32, hidden: int = 64, d_out: int = 8):
        super().__init__()
        self.fc1 = nn.Linear(d_in, hidden)
        self.norm = nn.LayerNorm(hidden)
        self.drop = nn.Dropout(0.1)
        self.fc2 = nn.Linear(hidden, d_out)

    def forward(self, x):
        h = self.norm(F.gelu(self.fc1(x)))
        h = self.drop(h)
        y = self.fc2(h)
        return torch.tanh(y) * 2.0 + torch.sigmoid(y)


class Residual{i}(nn.Module):
    def __init__(self, d: int = 32):
        super().__init__()
        self.fc = nn.Linear(d, d)

    def forward(self, x):
        h = self.fc(x)
        h += x
        h = torch.relu(h)
        return h.sum(dim=-1, keepdim=True) / h.shape[-1]


def make_optimizer_{i}(model):
    return torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.99))


def train_step_{i}(model, optimizer, x, y):
    optimizer.zero_grad()
    logits = model(x)
    loss = F.cross_entropy(logits, y)
    loss.backward()
    optimizer.step()
    return loss
'''


def model_source(blocks: int) -> str:
    return HEADER + "".join(BLOCK.format(i=i) for i in range(blocks))


CLOCK = time.perf_counter


def timed(fn, started=None) -> float:
    # Without the cyclic collector, as Translator.run converts: LibCST's allocations would
    # otherwise pay for collections that scan the ontology, the converter's long-lived heap.
    # What the run before left is collected first: left to the collector, it would be
    # collected on the first allocation after it is enabled again, inside the timed run.
    gc.collect()
    collecting = gc.isenabled()
    gc.disable()
    try:
        t = CLOCK()
        if started is not None:
            started(t)
        fn()
        return CLOCK() - t
    finally:
        if collecting:
            gc.enable()


def print_stages(tr, text: str, runs: int) -> None:
    """The median time of each stage of ``runs`` conversions, in pipeline order."""
    from switcheroo.diagnostics import Report

    times: dict[str, list[float]] = {}
    last = [0.0]

    def ended(stage: str) -> None:
        now = CLOCK()
        times.setdefault(stage, []).append(now - last[0])
        last[0] = now

    tr.on_stage = ended
    for _ in range(runs):
        timed(lambda: tr.run(text, "bench.py", Report()), started=lambda t: last.__setitem__(0, t))
    tr.on_stage = None
    medians = {stage: statistics.median(ts) for stage, ts in times.items()}
    total = sum(medians.values())
    for stage, t in medians.items():
        print(f"  {stage:28s} {t * 1000:7.1f} ms {100 * t / total:5.1f}%")
    print(f"  {'(sum of medians)':28s} {total * 1000:7.1f} ms")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--to", default="flax_nnx")
    ap.add_argument("--blocks", type=int, default=18)
    ap.add_argument("--cpu", action="store_true", help="time with the process's CPU clock")
    ap.add_argument("--stages", action="store_true", help="print the median time of each stage")
    ap.add_argument("--profile", action="store_true", help="print the top functions of one conversion")
    args = ap.parse_args()
    if args.cpu:
        global CLOCK
        CLOCK = time.process_time

    import libcst as cst
    from switcheroo.diagnostics import Report
    from switcheroo.translate_main import Translator

    text = model_source(args.blocks)
    lines = text.count("\n")
    tr = Translator("torch", args.to)
    tr.run(text, "bench.py", Report())  # warm: ontology cache, lazy imports, generated hub ops

    def baseline() -> None:
        cst.parse_module(text).code  # noqa: B018 - printing is the point

    def convert() -> None:
        tr.run(text, "bench.py", Report())

    if args.stages:
        print(f"file: {lines} lines, torch -> {args.to}; stages ({'CPU' if args.cpu else 'wall'} time):")
        print_stages(tr, text, args.runs)
        return
    if args.profile:
        prof = cProfile.Profile()
        prof.runcall(convert)
        pstats.Stats(prof).sort_stats("cumulative").print_stats(30)
        return
    pairs = [(timed(baseline), timed(convert)) for _ in range(args.runs)]
    ratios = sorted(c / b for b, c in pairs)
    print(f"file: {lines} lines, torch -> {args.to} ({'CPU' if args.cpu else 'wall'} time)")
    print(f"libcst parse+print: {statistics.median(b for b, _ in pairs) * 1000:.1f} ms")
    print(f"swc conversion:     {statistics.median(c for _, c in pairs) * 1000:.1f} ms")
    print(f"ratio: {statistics.median(ratios):.2f}x (target <= 3x; "
          f"{ratios[0]:.2f}x..{ratios[-1]:.2f}x over {len(ratios)} pairs)")


if __name__ == "__main__":
    main()
