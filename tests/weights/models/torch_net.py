"""A small PyTorch model for the checkpoint tests (conv, norms, attention, LSTM)."""

import torch
from torch import nn


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU())
        self.proj = nn.Linear(8, 8)
        self.norm = nn.LayerNorm(8)
        self.attn = nn.MultiheadAttention(8, 2, batch_first=True)
        self.lstm = nn.LSTM(8, 8, batch_first=True)
        self.head = nn.Linear(8, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.features(x).flatten(2).transpose(1, 2)  # [B, H*W, C]
        h = self.norm(self.proj(h))
        h = self.attn(h, h, h, need_weights=False)[0]
        h = self.lstm(h)[0]
        return self.head(h.mean(1))
