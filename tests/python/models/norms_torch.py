"""Normalization and dropout layers, each in a small model (evaluated in eval mode)."""

import torch.nn as nn
import torch.nn.functional as F


class BatchNormNet(nn.Module):
    """BatchNorm1d after a linear layer; eval mode uses the running statistics."""

    def __init__(self, d_in: int = 6, d_hidden: int = 12):
        super().__init__()
        self.fc = nn.Linear(d_in, d_hidden)
        self.bn = nn.BatchNorm1d(d_hidden)
        self.out = nn.Linear(d_hidden, 2)

    def forward(self, x):
        return self.out(F.relu(self.bn(self.fc(x))))


class LayerNormNet(nn.Module):
    """LayerNorm with a custom epsilon over the feature axis."""

    def __init__(self, d_in: int = 6):
        super().__init__()
        self.fc = nn.Linear(d_in, 10)
        self.norm = nn.LayerNorm(10, eps=1e-6)

    def forward(self, x):
        return self.norm(self.fc(x))


class GroupNormNet(nn.Module):
    """A convolution followed by GroupNorm (4 groups of 2 channels)."""

    def __init__(self, channels: int = 3):
        super().__init__()
        self.conv = nn.Conv2d(channels, 8, 3)
        self.norm = nn.GroupNorm(4, 8)

    def forward(self, x):
        return F.silu(self.norm(self.conv(x)))


class DropoutNet(nn.Module):
    """Dropout between layers: the identity once the model is in eval mode."""

    def __init__(self, d_in: int = 6):
        super().__init__()
        self.fc1 = nn.Linear(d_in, 16)
        self.drop = nn.Dropout(p=0.3)
        self.fc2 = nn.Linear(16, 4)

    def forward(self, x):
        return self.fc2(self.drop(F.relu(self.fc1(x))))
