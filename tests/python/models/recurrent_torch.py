"""Sequence classifiers: embeddings, LSTM and GRU encoders, pooling over time."""

import torch
import torch.nn as nn


class LSTMClassifier(nn.Module):
    """A batch-first LSTM over feature vectors; the last hidden state is classified."""

    def __init__(self, d_in: int = 5, hidden: int = 8, classes: int = 3):
        super().__init__()
        self.lstm = nn.LSTM(d_in, hidden, batch_first=True)
        self.fc = nn.Linear(hidden, classes)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.fc(out[:, -1])


class LSTMFinalState(nn.Module):
    """The final hidden state h_n of the LSTM (layer axis first) is classified."""

    def __init__(self, d_in: int = 5, hidden: int = 8, classes: int = 3):
        super().__init__()
        self.lstm = nn.LSTM(d_in, hidden, batch_first=True)
        self.fc = nn.Linear(hidden, classes)

    def forward(self, x):
        _, (h, _) = self.lstm(x)
        return self.fc(h[-1])


class LSTMStacked(nn.Module):
    """Two bidirectional LSTM layers; the outputs of both directions are classified."""

    def __init__(self, d_in: int = 5, hidden: int = 8, classes: int = 3):
        super().__init__()
        self.lstm = nn.LSTM(d_in, hidden, num_layers=2, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(2 * hidden, classes)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.fc(out[:, -1])


class GRUClassifier(nn.Module):
    """A batch-first GRU; the outputs are mean-pooled over time."""

    def __init__(self, d_in: int = 5, hidden: int = 8, classes: int = 3):
        super().__init__()
        self.gru = nn.GRU(d_in, hidden, batch_first=True)
        self.fc = nn.Linear(hidden, classes)

    def forward(self, x):
        out, _ = self.gru(x)
        return self.fc(out.mean(dim=1))


class EmbeddingBag(nn.Module):
    """Token embeddings averaged over the sequence (a bag-of-words classifier)."""

    def __init__(self, vocab: int = 20, dim: int = 8, classes: int = 4):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.fc = nn.Linear(dim, classes)

    def forward(self, tokens):
        h = self.embed(tokens)  # [B, T, D]
        return self.fc(h.mean(dim=1))
