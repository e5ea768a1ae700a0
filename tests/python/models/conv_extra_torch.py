"""Convolutions beyond the basic case: transposed convolution and weight normalization."""

import torch
import torch.nn as nn
from torch.nn.utils.parametrizations import weight_norm


class UpsampleDecoder(nn.Module):
    """A ConvTranspose2d that doubles the resolution, then a 3x3 conv."""

    def __init__(self, channels: int = 4):
        super().__init__()
        self.up = nn.ConvTranspose2d(channels, 6, kernel_size=2, stride=2)
        self.conv = nn.Conv2d(6, 2, 3)

    def forward(self, x):
        return self.conv(torch.relu(self.up(x)))


class WeightNormMLP(nn.Module):
    """Linear layers reparametrized with weight_norm (weight = g * v / ||v||)."""

    def __init__(self, d_in: int = 6, d_out: int = 3):
        super().__init__()
        self.fc1 = weight_norm(nn.Linear(d_in, 12))
        self.fc2 = nn.Linear(12, d_out)

    def forward(self, x):
        return self.fc2(torch.tanh(self.fc1(x)))


class Conv1dNet(nn.Module):
    """A 1-D convolution over [N, C, L] signals with max-over-time pooling."""

    def __init__(self, channels: int = 3):
        super().__init__()
        self.conv = nn.Conv1d(channels, 6, kernel_size=3)
        self.fc = nn.Linear(6, 2)

    def forward(self, x):
        h = torch.relu(self.conv(x))
        return self.fc(h.amax(dim=-1))
