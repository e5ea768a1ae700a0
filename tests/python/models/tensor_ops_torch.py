"""Tensor manipulation inside models: einsum, masked_fill, cat / split / stack, branches."""

import torch
import torch.nn as nn


class BilinearEinsum(nn.Module):
    """A bilinear interaction of two projections, written with torch.einsum."""

    def __init__(self, d_in: int = 6, d: int = 4):
        super().__init__()
        self.left = nn.Linear(d_in, d)
        self.right = nn.Linear(d_in, d)

    def forward(self, x):
        a = self.left(x)
        b = self.right(x)
        return torch.einsum("bi,bj->bij", a, b).reshape(x.shape[0], -1)


class MaskedScores(nn.Module):
    """Scores below zero are masked out with masked_fill before a softmax."""

    def __init__(self, d_in: int = 6):
        super().__init__()
        self.score = nn.Linear(d_in, 5)

    def forward(self, x):
        s = self.score(x)
        mask = s < 0
        s = s.masked_fill(mask, -1e4)
        return torch.softmax(s, dim=-1)


class SplitCatStack(nn.Module):
    """Split the features in two, transform each half, then cat and stack them."""

    def __init__(self, d_in: int = 8):
        super().__init__()
        self.a = nn.Linear(d_in // 2, 3)
        self.b = nn.Linear(d_in // 2, 3)

    def forward(self, x):
        left, right = torch.split(x, x.shape[-1] // 2, dim=-1)
        ya, yb = self.a(left), self.b(right)
        joined = torch.cat([ya, yb], dim=1)
        stacked = torch.stack([ya, yb], dim=1)
        return joined + stacked.sum(dim=1).repeat(1, 2)


class DataDependentBranch(nn.Module):
    """Takes one of two paths depending on a value computed from the input."""

    def __init__(self, d_in: int = 6):
        super().__init__()
        self.pos = nn.Linear(d_in, 3)
        self.neg = nn.Linear(d_in, 3)

    def forward(self, x):
        if x.mean() > 0:
            return self.pos(x)
        else:
            return -self.neg(x)
