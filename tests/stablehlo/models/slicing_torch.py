import torch
import torch.nn as nn


class Slicing(nn.Module):
    """chunk, split and static indexing (ints, slices with steps, None, ...)."""

    def forward(self, x):
        a, b = x.chunk(2, dim=-1)
        parts = torch.split(x, [3, 5], dim=1)
        rows = x[:, 0] + x[..., 1:3].sum(-1) + x[None, :, ::3][0, :, -1]
        return a * b + parts[1][:, 1:], rows
