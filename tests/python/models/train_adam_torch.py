"""A classifier and its training step: cross-entropy, Adam (every hyper-parameter set)."""

import torch
import torch.nn as nn
import torch.nn.functional as F


class Classifier(nn.Module):
    def __init__(self, d_in: int = 8, hidden: int = 16, classes: int = 4):
        super().__init__()
        self.fc1 = nn.Linear(d_in, hidden)
        self.fc2 = nn.Linear(hidden, classes)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


def make_optimizer(model):
    return torch.optim.Adam(model.parameters(), lr=1e-2, betas=(0.8, 0.99), eps=1e-7)


def train_step(model, optimizer, x, y):
    optimizer.zero_grad()
    logits = model(x)
    loss = F.cross_entropy(logits, y)
    loss.backward()
    optimizer.step()
    return loss
