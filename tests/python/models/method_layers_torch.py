"""Layers built by a method, from a block class passed as a value, as torchvision's resnet
writes them (``self._make_layer(BasicBlock, 64, 2)`` calls ``block(...)``)."""

import torch
import torch.nn as nn


def conv1x1(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv2d:
    """1x1 convolution"""
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


class Block(nn.Module):
    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample=None):
        super().__init__()
        self.conv = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU()
        self.downsample = downsample

    def forward(self, x):
        identity = x
        if self.downsample is not None:
            identity = self.downsample(x)
        return self.relu(self.bn(self.conv(x)) + identity)


class Stages(nn.Module):
    """Two stages of blocks, each built by ``_make_layer``."""

    def __init__(self, num_classes: int = 5):
        super().__init__()
        self.inplanes = 4
        self.stem = nn.Conv2d(3, 4, 3, padding=1, bias=False)
        self.layer1 = self._make_layer(Block, 4, 2)
        self.layer2 = self._make_layer(Block, 8, 1, stride=2)
        self.pool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(8, num_classes)

    def _make_layer(self, block, planes: int, blocks: int, stride: int = 1) -> nn.Sequential:
        downsample = None
        if stride != 1 or self.inplanes != planes:
            downsample = nn.Sequential(conv1x1(self.inplanes, planes, stride), nn.BatchNorm2d(planes))
        layers = [block(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes
        for _ in range(1, blocks):
            layers.append(block(self.inplanes, planes))
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.layer2(self.layer1(self.stem(x)))
        x = torch.flatten(self.pool(x), 1)
        return self.fc(x)
