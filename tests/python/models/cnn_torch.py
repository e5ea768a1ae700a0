import torch
import torch.nn as nn


class SmallCNN(nn.Module):
    """Two convolutions, global average pooling, a linear head (NCHW in, logits out)."""

    def __init__(self, channels: int = 3, classes: int = 5):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, 8, 3, padding=1)
        self.act = nn.ReLU()
        self.conv2 = nn.Conv2d(8, 16, kernel_size=3, stride=2)
        self.head = nn.Linear(16, classes)

    def forward(self, x):
        x = self.act(self.conv1(x))
        x = self.act(self.conv2(x))
        x = x.mean(dim=(2, 3))  # global average pool over H, W
        return self.head(x)
