"""Models built from containers: nn.Sequential, nn.ModuleList, nn.ModuleDict."""

import torch
import torch.nn as nn


class SequentialMLP(nn.Module):
    """An MLP written as one nn.Sequential, the way most tutorials start."""

    def __init__(self, d_in: int = 6, d_hidden: int = 16, d_out: int = 3):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(d_in, d_hidden),
            nn.ReLU(),
            nn.Linear(d_hidden, d_hidden),
            nn.Tanh(),
            nn.Linear(d_hidden, d_out),
        )

    def forward(self, x):
        return self.net(x)


class LayerLoop(nn.Module):
    """A residual stack: the same block repeated, applied in a Python loop."""

    def __init__(self, width: int = 8, depth: int = 3):
        super().__init__()
        self.blocks = nn.ModuleList([nn.Linear(width, width) for _ in range(depth)])
        self.head = nn.Linear(width, 2)

    def forward(self, x):
        for block in self.blocks:
            x = x + torch.relu(block(x))  # residual update
        return self.head(x)


class HeadsByName(nn.Module):
    """Two task heads kept in an nn.ModuleDict and picked by name."""

    def __init__(self, d_in: int = 6):
        super().__init__()
        self.trunk = nn.Linear(d_in, 8)
        self.heads = nn.ModuleDict({"cls": nn.Linear(8, 3), "reg": nn.Linear(8, 1)})

    def forward(self, x):
        h = torch.relu(self.trunk(x))
        return torch.cat([self.heads["cls"](h), self.heads["reg"](h)], dim=-1)
