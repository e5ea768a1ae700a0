"""Pooling: max, average and adaptive average, on NCHW images."""

import torch
import torch.nn as nn


class MaxPoolNet(nn.Module):
    """Conv, 2x2 max pooling, flatten, linear."""

    def __init__(self, channels: int = 3):
        super().__init__()
        self.conv = nn.Conv2d(channels, 4, 3)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(4 * 5 * 5, 3)

    def forward(self, x):
        x = self.pool(torch.relu(self.conv(x)))
        return self.fc(torch.flatten(x, 1))


class AvgPoolNet(nn.Module):
    """Conv, 2x2 average pooling with stride 2, flatten."""

    def __init__(self, channels: int = 3):
        super().__init__()
        self.conv = nn.Conv2d(channels, 4, 3)
        self.pool = nn.AvgPool2d(kernel_size=2, stride=2)
        self.flatten = nn.Flatten()

    def forward(self, x):
        return self.flatten(self.pool(self.conv(x)))


class AdaptivePoolNet(nn.Module):
    """Global average pooling with AdaptiveAvgPool2d((1, 1)) before the classifier."""

    def __init__(self, channels: int = 3, classes: int = 5):
        super().__init__()
        self.conv = nn.Conv2d(channels, 6, 3)
        self.pool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(6, classes)

    def forward(self, x):
        x = self.pool(torch.relu(self.conv(x)))
        return self.fc(torch.flatten(x, 1))
