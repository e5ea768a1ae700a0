"""A small MLP classifier, the bundled demo of switcheroo."""

import torch
import torch.nn as nn


class MLP(nn.Module):
    """Two hidden layers with LayerNorm and dropout."""

    def __init__(self, d_in: int, d_hidden: int, d_out: int):
        super().__init__()
        # Project the input features.
        self.fc1 = nn.Linear(d_in, d_hidden)
        self.norm = nn.LayerNorm(d_hidden)
        self.act = nn.ReLU()
        self.drop = nn.Dropout(0.1)  # only active in training
        self.fc2 = nn.Linear(d_hidden, d_out)

    def forward(self, x):
        h = self.act(self.norm(self.fc1(x)))
        h = self.drop(h)

        # Back to logits.
        return self.fc2(h)


def head(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """A functional head: relu(x @ w + b), summed over features."""
    y = torch.relu(torch.add(torch.matmul(x, w), b))
    s = torch.sum(y, dim=1, keepdim=True)
    z = torch.transpose(y, 0, 1).reshape(-1, 2)
    return s + z.sum()
