"""The SASRec network (Kang & McAuley 2018) in PyTorch; imported only when torch is installed.

:mod:`recommendations.engine.sasrec` imports this module after
:func:`~recommendations.engine.torch_support.load_torch` found torch, so
the rest of the engine never needs it.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class _Block(nn.Module):
    """Pre-norm causal self-attention block with a position-wise feed-forward layer."""

    def __init__(self, dim: int, heads: int, dropout: float) -> None:
        super().__init__()
        self.heads = heads
        self.dropout = dropout
        self.norm_attention = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.project = nn.Linear(dim, dim)
        self.norm_feed = nn.LayerNorm(dim)
        self.feed = nn.Sequential(
            nn.Linear(dim, dim), nn.GELU(), nn.Dropout(dropout), nn.Linear(dim, dim)
        )
        self.drop = nn.Dropout(dropout)

    def forward(self, x: Tensor, allowed: Tensor) -> Tensor:
        batch, length, dim = x.shape
        qkv = self.qkv(self.norm_attention(x)).view(batch, length, 3, self.heads, -1)
        q, k, v = qkv.permute(2, 0, 3, 1, 4)
        attended = F.scaled_dot_product_attention(
            q, k, v, attn_mask=allowed, dropout_p=self.dropout if self.training else 0.0
        )
        x = x + self.drop(self.project(attended.transpose(1, 2).reshape(batch, length, dim)))
        return x + self.drop(self.feed(self.norm_feed(x)))


class SASRecNet(nn.Module):
    """Item and position embeddings, causal self-attention blocks, tied output.

    Item ``i`` is token ``i + 1``; token 0 is padding. Sequences are
    left-padded so the latest item always sits at position
    ``max_length - 1`` whatever the batch's own length.
    """

    def __init__(
        self, n_items: int, *, dim: int, blocks: int, heads: int, max_length: int, dropout: float
    ) -> None:
        super().__init__()
        if dim % heads:
            raise ValueError(f"dim {dim} must be a multiple of heads {heads}")
        self.max_length = max_length
        self.scale = dim**0.5
        self.items = nn.Embedding(n_items + 1, dim, padding_idx=0)
        self.positions = nn.Embedding(max_length, dim)
        self.drop = nn.Dropout(dropout)
        self.blocks = nn.ModuleList(_Block(dim, heads, dropout) for _ in range(blocks))
        self.norm = nn.LayerNorm(dim)
        nn.init.normal_(self.items.weight, std=dim**-0.5)
        nn.init.normal_(self.positions.weight, std=dim**-0.5)
        with torch.no_grad():
            self.items.weight[0].zero_()

    def forward(self, tokens: Tensor) -> Tensor:
        """``(batch, length)`` tokens → ``(batch, length, dim)`` states, causal."""
        length = tokens.shape[1]
        real = tokens > 0
        first = self.max_length - length
        positions = torch.arange(first, self.max_length, device=tokens.device)
        x = self.items(tokens) * self.scale + self.positions(positions)[None]
        x = self.drop(x) * real[..., None]
        causal = torch.ones(length, length, dtype=torch.bool, device=tokens.device).tril()
        # A query sees earlier real items and always itself (a padded query would
        # otherwise see nothing, and an all-masked softmax row is NaN).
        allowed = (causal[None] & real[:, None, :]) | torch.eye(
            length, dtype=torch.bool, device=tokens.device
        )
        allowed = allowed[:, None]  # one mask for every head
        for block in self.blocks:
            x = block(x, allowed) * real[..., None]
        normed: Tensor = self.norm(x)
        return normed

    def item_weights(self) -> Tensor:
        """``(n_items, dim)`` output embeddings (tied with the input ones)."""
        return self.items.weight[1:]
