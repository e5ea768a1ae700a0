import torch.nn as nn


class EmbedNorm(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(10, 6)
        self.bn = nn.BatchNorm1d(6)

    def forward(self, ids):
        h = self.emb(ids)
        return self.bn(h.permute(0, 2, 1))
