"""A tiny ViT front end: patch tokens, a learned class token, position embeddings."""

import torch
import torch.nn as nn


class ViTTiny(nn.Module):
    """Embeds flattened patches, prepends the class token (timm's expand), adds position
    embeddings and classifies from the class token."""

    def __init__(self, patch_dim: int = 12, dim: int = 16, num_patches: int = 6, classes: int = 5):
        super().__init__()
        self.embed = nn.Linear(patch_dim, dim)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, num_patches + 1, dim))
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, classes)

    def forward(self, x):
        x = self.embed(x)
        cls = self.cls_token.expand(x.shape[0], -1, -1)
        x = torch.cat((cls, x), dim=1)
        x = x + self.pos_embed.expand_as(x)
        # A keep-mask built from x (all tokens kept), cast back to x's type.
        keep = x.new_ones(x.shape[0], x.shape[1], 1)
        bias = x.new_zeros(x.shape[0], 1, x.shape[2])
        x = x * keep.type_as(x) + bias
        return self.head(self.norm(x[:, 0]))
