"""Modules holding state besides their layers' weights: parameters and buffers set as
attributes or registered by name (``register_buffer``, persistent or not), as
torchvision's FrozenBatchNorm2d and transformers' sinusoidal position tables do."""

import math

import torch
from torch import nn


class Scale(nn.Module):
    def __init__(self, d=8):
        super().__init__()
        self.w = nn.Parameter(torch.ones(d))
        self.register_buffer("pe", torch.zeros(1, d), persistent=False)
        self.register_buffer("scale", torch.ones(8))

    def forward(self, x):
        return x * self.w + self.pe * self.scale.view(1, -1)


class FrozenBatchNorm2d(nn.Module):
    """BatchNorm2d whose statistics and affine parameters are all fixed buffers."""

    def __init__(self, num_features, eps=1e-5):
        super().__init__()
        self.eps = eps
        self.register_buffer("weight", torch.ones(num_features))
        self.register_buffer("bias", torch.zeros(num_features))
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))

    def forward(self, x):
        w = self.weight.reshape(1, -1, 1, 1)
        b = self.bias.reshape(1, -1, 1, 1)
        rv = self.running_var.reshape(1, -1, 1, 1)
        rm = self.running_mean.reshape(1, -1, 1, 1)
        scale = w * (rv + self.eps).rsqrt()
        bias = b - rm * scale
        return x * scale + bias


class FrozenBNConv(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1, bias=False)
        self.bn = FrozenBatchNorm2d(4)
        self.gain = nn.Parameter(torch.full((4,), 0.5))

    def forward(self, x):
        return torch.relu(self.bn(self.conv(x))) * self.gain.view(1, 4, 1, 1)


class SinusoidalEncoding(nn.Module):
    """A transformer's fixed position table, kept out of the state_dict."""

    def __init__(self, d_model=16, max_len=32):
        super().__init__()
        half = d_model // 2
        freq = torch.exp(torch.arange(0.0, half) * (-math.log(10000.0) / (half - 1)))
        angles = torch.arange(0.0, max_len).unsqueeze(1) * freq.unsqueeze(0)
        table = torch.cat([torch.sin(angles), torch.cos(angles)], dim=1)
        self.register_buffer("pe", table.unsqueeze(0), persistent=False)
        self.proj = nn.Linear(d_model, d_model)

    def forward(self, x):
        x = x + self.pe[:, : x.shape[1]]
        return self.proj(x)
