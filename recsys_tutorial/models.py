"""Models: matrix factorization (with and without biases) and skip-gram, with and without side information.

Every model has ``loss(*batch)``, ``score(a, b)`` (higher = more related) and ``embeddings()``.
``MF(faithful=True)`` keeps the original recipe — N(0, 1) init, sigmoid + BCELoss, L2 over the whole
table every step (bug B6) — so the book can show what it does; the default is the fixed recipe.
"""

from __future__ import annotations

import numba
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["MF", "MFBias", "SideInfoSkipGram", "SkipGram"]


class MF(nn.Module):
    """score(a, b) = σ(e_a · e_b + g). One table for both sides, as in the original.

    ``continuous=True`` regresses the edge weight with MSE (σ only at scoring time, as the original).
    Fixed recipe: N(0, 0.1²) init, logits with ``BCEWithLogitsLoss``, L2 on the batch's rows only,
    sparse gradients (lazy Adam: ``SparseAdam``'s update), and one learned global offset g (starts at 0).
    The offset carries the base rate: with k negatives per edge the loss wants most pairs' logits below 0,
    but the mean of e_a · e_b over all pairs is |mean e|² ≥ 0, so a dot product alone cannot give it, and training
    fights itself (Part 1 of the book measures the difference; ``global_bias=False`` leaves it out).
    ``faithful=True``: N(0, 1), σ + ``BCELoss``, L2 on every row, no offset.
    """

    sparse_gradients = True

    def __init__(self, num_nodes: int, dim: int = 128, l2: float = 1e-6, continuous: bool = False,
                 faithful: bool = False, global_bias: bool = True):
        super().__init__()
        self.faithful, self.continuous, self.l2 = faithful, continuous, l2
        self.sparse_gradients = not faithful
        self.emb = nn.Embedding(num_nodes, dim, sparse=not faithful)
        if not faithful:
            nn.init.normal_(self.emb.weight, std=0.1)
        self.global_bias = nn.Parameter(torch.zeros(1)) if global_bias and not faithful else None

    def logits(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return self._combine(self._lookup(a, b))

    def _lookup(self, a: torch.Tensor, b: torch.Tensor) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
        """The rows a batch needs, per table, each looked up once: every lookup adds a gradient to merge."""
        return {"emb": (self.emb(a), self.emb(b))}

    def _combine(self, rows: dict[str, tuple[torch.Tensor, torch.Tensor]]) -> torch.Tensor:
        ea, eb = rows["emb"]
        dot = (ea * eb).sum(-1)
        return dot if self.global_bias is None else dot + self.global_bias

    def _data_loss(self, logits: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
        if self.continuous:
            return F.mse_loss(logits, label)
        if self.faithful:
            return F.binary_cross_entropy(torch.sigmoid(logits), label)
        return F.binary_cross_entropy_with_logits(logits, label)

    def _l2(self, rows: dict[str, tuple[torch.Tensor, torch.Tensor]]) -> torch.Tensor:
        if self.faithful:  # the original: every row of every table, at every step
            return self.l2 * sum((getattr(self, table).weight ** 2).sum() for table in rows)
        batch = len(next(iter(rows.values()))[0])
        return self.l2 * sum((ra**2).sum() + (rb**2).sum() for ra, rb in rows.values()) / batch

    def loss(self, a: torch.Tensor, b: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
        rows = self._lookup(a, b)
        return self._data_loss(self._combine(rows), label) + self._l2(rows)

    @torch.no_grad()
    def score(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.logits(a, b))

    @torch.no_grad()
    def sgd_step(self, block: torch.Tensor, reach: torch.Tensor, negatives: torch.Tensor, lr: float,
                 k: int = 5) -> torch.Tensor:
        """MF on sequences, one SGD step on whole walks (a :class:`~recsys_tutorial.sampling.WalkBlocks` batch):
        every window pair is a positive (label 1) and each center meets the ``K`` shared negatives, weighted
        k/K (label 0), as ``PairBatches(mf_rows=True)`` does pair by pair. Same update rules as
        :meth:`SkipGram.sgd_step`, on MF's one table (+ biases and the global offset, which move by the mean
        of their updates); L2 on the step's rows. Binary fixed recipe only. Returns the mean loss per pair."""
        if self.faithful or self.continuous:
            raise ValueError("the walk-block SGD step trains the fixed binary recipe (not faithful, not continuous)")
        table = self.emb.weight
        walks, length = block.shape
        pair, rows, token = _window_pairs(block, reach, table.dtype)
        bias = self.bias.weight[:, 0] if isinstance(self, MFBias) else None
        offset = self.global_bias if self.global_bias is not None else torch.zeros(1, device=table.device)
        e, n = table.index_select(0, rows), table.index_select(0, negatives)
        e3 = e.view(walks, length, -1)
        pos = torch.bmm(e3, e3.transpose(1, 2)) + offset
        neg = e @ n.T + offset
        if bias is not None:
            b_tok, b_neg = bias.index_select(0, rows), bias.index_select(0, negatives)
            pos = pos + b_tok.view(walks, length, 1) + b_tok.view(walks, 1, length)
            neg = neg + b_tok.unsqueeze(1) + b_neg
        pos, neg = pos.clamp_(-10, 10), neg.clamp_(-10, 10)
        g_pos = (torch.sigmoid(pos) - 1) * pair  # d(-log σ(x))/dx on the pairs, 0 elsewhere
        per_center = pair.sum(2).reshape(-1).to(e.dtype)
        g_neg = torch.sigmoid(neg) * (per_center * (k / len(negatives))).unsqueeze(1)
        g_sym = g_pos + g_pos.transpose(1, 2)  # one table: a pair pulls on both its rows
        grad_e = torch.bmm(g_sym, e3).view(-1, e.shape[1]).addmm_(g_neg, n) + 2 * self.l2 * e * token.unsqueeze(1)
        tokens = token.sum().clamp(min=1)
        grad_n = (g_neg.T @ e) / tokens  # one step's worth, as SkipGram's negatives
        ones = torch.ones(len(negatives), device=rows.device, dtype=token.dtype)
        all_rows, weight = torch.cat([rows, negatives]), torch.cat([token, ones])
        _scatter_mean(table, all_rows, torch.cat([grad_e, grad_n]), weight, lr, self._row_counts(table))
        if bias is not None:
            grad_b = torch.cat([g_sym.sum(2).reshape(-1) + g_neg.sum(1), g_neg.sum(0) / tokens]).unsqueeze(1)
            _scatter_mean(self.bias.weight, all_rows, grad_b, weight, lr, self._row_counts(self.bias.weight))
        pairs = pair.sum().clamp(min=1)
        if self.global_bias is not None:
            self.global_bias -= lr * (g_pos.sum() + g_neg.sum()) / pairs
        loss = (F.logsigmoid(pos) * pair).sum() + (F.logsigmoid(-neg).sum(1) * per_center).sum() * (k / len(negatives))
        return -loss / pairs

    def _row_counts(self, table: torch.Tensor) -> torch.Tensor:
        return _row_counts(self, table)

    def embeddings(self) -> np.ndarray:
        return self.emb.weight.detach().cpu().numpy()


class MFBias(MF):
    """MF plus a bias per product and a global bias: σ(e_a · e_b + b_a + b_b + g).

    Biases absorb popularity, so the dot product is left to model fit. Faithful: global bias starts at 1
    (the original's MF-bias had one; its plain MF did not) and the product biases join the whole-table L2
    term, as in the original.
    """

    def __init__(self, num_nodes: int, dim: int = 128, l2: float = 1e-6, continuous: bool = False,
                 faithful: bool = False):
        super().__init__(num_nodes, dim, l2, continuous, faithful)
        self.bias = nn.Embedding(num_nodes, 1, sparse=not faithful)
        nn.init.zeros_(self.bias.weight)
        self.global_bias = nn.Parameter(torch.ones(1) if faithful else torch.zeros(1))

    def _lookup(self, a: torch.Tensor, b: torch.Tensor) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
        return {**super()._lookup(a, b), "bias": (self.bias(a).squeeze(-1), self.bias(b).squeeze(-1))}

    def _combine(self, rows: dict[str, tuple[torch.Tensor, torch.Tensor]]) -> torch.Tensor:  # MF adds g
        ba, bb = rows["bias"]
        return super()._combine(rows) + ba + bb


class SkipGram(nn.Module):
    """Skip-gram with negative sampling: separate center and context tables, sparse gradients.

    Center rows start at U(±0.5/d) and context rows at 0 (word2vec's init). Negatives are ``(B, k)``
    per pair or ``(k,)`` shared by the batch (then their scores are one matrix product). The product
    embedding is the center row; pairs score by cosine.
    """

    sparse_gradients = True

    def __init__(self, num_nodes: int, dim: int = 128):
        super().__init__()
        self.center = nn.Embedding(num_nodes, dim, sparse=True)
        self.context = nn.Embedding(num_nodes, dim, sparse=True)
        nn.init.uniform_(self.center.weight, -0.5 / dim, 0.5 / dim)
        nn.init.zeros_(self.context.weight)

    def center_vectors(self, items: torch.Tensor) -> torch.Tensor:
        return self.center(items)

    def loss(self, center: torch.Tensor, context: torch.Tensor, negatives: torch.Tensor) -> torch.Tensor:
        c = self.center_vectors(center)
        positive = F.logsigmoid((c * self.context(context)).sum(-1).clamp(-10, 10))
        n = self.context(negatives)
        if negatives.dim() == 1:
            negative = F.logsigmoid(-(c @ n.T).clamp(-10, 10)).sum(-1)
        else:
            negative = F.logsigmoid(-torch.bmm(n, c.unsqueeze(-1)).squeeze(-1).clamp(-10, 10)).sum(-1)
        return -(positive + negative).mean()

    @torch.no_grad()
    def score(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return F.cosine_similarity(self.center_vectors(a), self.center_vectors(b), dim=-1)

    def embeddings(self) -> np.ndarray:
        with torch.no_grad():
            return self.center.weight.detach().cpu().numpy().copy()

    @torch.no_grad()
    def sgd_step(self, block: torch.Tensor, reach: torch.Tensor, negatives: torch.Tensor, lr: float,
                 k: int = 5) -> torch.Tensor:
        """One word2vec-style SGD step on whole walks (a :class:`~recsys_tutorial.sampling.WalkBlocks` batch).

        Each walk's pair scores are one small matrix (position × position) masked to the shrunk windows, so
        every row is gathered and written back once per token instead of once per pair. Negatives are the
        ``K`` shared rows, each weighted k/K, so a pair gets the pull of k private draws; a context row that
        occurs m times in the block moves by the mean of its m updates (summing diverges on hubs). The loss
        (mean per pair) is returned for logging.
        """
        table_c, table_o = self.center.weight, self.context.weight
        walks, length = block.shape
        dim = table_c.shape[1]
        pair, rows, token = _window_pairs(block, reach, table_c.dtype)
        c = self._step_centers(rows)
        o = table_o.index_select(0, rows)
        c3, o3 = c.view(walks, length, dim), o.view(walks, length, dim)
        pos = torch.bmm(c3, o3.transpose(1, 2)).clamp_(-10, 10)
        g_pos = (torch.sigmoid(pos) - 1) * pair  # d(-log σ(x))/dx on the pairs, 0 elsewhere
        per_center = pair.sum(2).reshape(-1).to(c.dtype)
        n = table_o.index_select(0, negatives)
        neg = (c @ n.T).clamp_(-10, 10)
        g_neg = torch.sigmoid(neg) * (per_center * (k / len(negatives))).unsqueeze(1)
        grad_c = torch.bmm(g_pos, o3).view(-1, dim).addmm_(g_neg, n)
        grad_o = torch.bmm(g_pos.transpose(1, 2), c3).view(-1, dim)
        # One word2vec step's worth per shared negative row, not one per token: word2vec's full push spread
        # over k draws per pair, concentrated on K shared rows, collapses training (seen-AUC ~0.5 on default).
        grad_n = (g_neg.T @ c) / token.sum().clamp(min=1)
        self._step_center_update(rows, token, grad_c, lr)
        ones = torch.ones(len(negatives), device=rows.device, dtype=token.dtype)
        _scatter_mean(table_o, torch.cat([rows, negatives]), torch.cat([grad_o, grad_n]), torch.cat([token, ones]),
                      lr, self._row_counts(table_o))
        loss = (F.logsigmoid(pos) * pair).sum() + (F.logsigmoid(-neg).sum(1) * per_center).sum() * (k / len(negatives))
        return -loss / pair.sum().clamp(min=1)

    def _step_centers(self, rows: torch.Tensor) -> torch.Tensor:
        """The center vectors of a step's tokens (here: the center table's rows)."""
        return self.center.weight.index_select(0, rows)

    def _step_center_update(self, rows: torch.Tensor, token: torch.Tensor, grad: torch.Tensor, lr: float) -> None:
        """Apply the gradient of the step's center vectors to the tables they came from."""
        _scatter_mean(self.center.weight, rows, grad, token, lr, self._row_counts(self.center.weight))

    def _row_counts(self, table: torch.Tensor) -> torch.Tensor:
        return _row_counts(self, table)


def _row_counts(module: nn.Module, table: torch.Tensor) -> torch.Tensor:
    """A persistent zeroed count buffer with one slot per row of ``table`` (left zeroed after each use)."""
    buffers = module.__dict__.setdefault("_count_buffers", {})
    key = (table.data_ptr(), table.device)
    if key not in buffers:
        buffers[key] = torch.zeros(table.shape[0], device=table.device, dtype=table.dtype)
    return buffers[key]


def _window_pairs(block: torch.Tensor, reach: torch.Tensor, dtype: torch.dtype):
    """The (walk, center position, context position) mask of a block's window pairs (distinct products,
    within each center's shrunk window), the block's rows (-1 → 0) and a 0/1 weight per token."""
    valid = block >= 0
    position = torch.arange(block.shape[1], device=block.device)
    distance = (position[:, None] - position[None, :]).abs()
    pair = ((distance <= reach.unsqueeze(2)) & (block.unsqueeze(2) != block.unsqueeze(1))
            & valid.unsqueeze(2) & valid.unsqueeze(1))
    return pair, block.reshape(-1).clamp(min=0), valid.reshape(-1).to(dtype)


def _scatter_mean(table: torch.Tensor, rows: torch.Tensor, grad: torch.Tensor, weight: torch.Tensor, lr: float,
                  seen: torch.Tensor, scale: torch.Tensor | None = None) -> None:
    """table[r] -= lr × (the weighted mean of the gradients that name row r): a row that occurs m times in
    the step moves by the mean of its m updates (summing diverges on hubs). ``scale`` (one factor per
    gradient row) multiplies the gradients, not the weights. O(batch), no sort; ``seen`` is a zeroed buffer
    of one count per row and is zeroed again on return. On the CPU in one numba pass (no batch-sized
    temporaries: this was most of a side-information step), elsewhere with torch's row ops."""
    if _on_cpu(table, grad):
        _scatter_mean_rows(table.detach().numpy(), rows.numpy(), grad.contiguous().numpy(), weight.numpy(),
                           None if scale is None else scale.contiguous().numpy(), np.float32(lr),
                           seen.numpy())
        return
    if scale is not None:
        grad = grad * scale.unsqueeze(1)
    seen.index_add_(0, rows, weight)
    table.index_add_(0, rows, grad * (weight / seen[rows].clamp(min=1)).unsqueeze(1), alpha=-lr)
    seen.index_fill_(0, rows, 0.0)


def _on_cpu(*tensors: torch.Tensor) -> bool:
    """Whether the numba row kernels apply: float32 tensors in CPU memory."""
    return all(t.device.type == "cpu" and t.dtype == torch.float32 for t in tensors)


@numba.njit(cache=True, error_model="numpy")
def _scatter_mean_rows(table, rows, grad, weight, scale, lr, seen):
    """_scatter_mean's update, token by token in batch order (so deterministic), float32. Every loop-invariant
    value sits in a local: a store into ``table`` could alias an array read, which stops LLVM vectorising."""
    dim = table.shape[1]
    for t in range(len(rows)):
        seen[rows[t]] += weight[t]
    for t in range(len(rows)):
        w = weight[t]
        if w == 0:
            continue
        r = rows[t]
        step = lr * (w / max(seen[r], np.float32(1)))
        if scale is not None:
            step *= scale[t]
        for j in range(dim):
            table[r, j] -= step * grad[t, j]
    for t in range(len(rows)):
        seen[rows[t]] = 0


def _weighted_rows(tables: list[torch.Tensor], index: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """Σ_f weights[:, f] × tables[f][index[:, f]]: each token's weighted sum of its rows, one per table."""
    if _on_cpu(*tables, weights):
        out = np.zeros((len(index), tables[0].shape[1]), dtype=np.float32)
        for f, table in enumerate(tables):
            _add_weighted_rows(out, table.detach().numpy(), index[:, f].numpy(), weights[:, f].contiguous().numpy())
        return torch.from_numpy(out)
    return sum(weights[:, f:f + 1] * table.index_select(0, index[:, f]) for f, table in enumerate(tables))


@numba.njit(cache=True, error_model="numpy")
def _add_weighted_rows(out, table, rows, weight):
    dim = table.shape[1]
    for t in range(len(rows)):
        w, r = weight[t], rows[t]  # locals, as in _scatter_mean_rows
        if w != 0:
            for j in range(dim):
                out[t, j] += w * table[r, j]


def _row_dots(tables: list[torch.Tensor], index: torch.Tensor, grad: torch.Tensor) -> torch.Tensor:
    """tables[f][index[t, f]] · grad[t] for every token t and table f (tokens × tables)."""
    if _on_cpu(*tables, grad):
        out = np.zeros(tuple(index.shape), dtype=np.float32)
        for f, table in enumerate(tables):
            _dot_rows(out[:, f], table.detach().numpy(), index[:, f].numpy(), grad.contiguous().numpy())
        return torch.from_numpy(out)
    return torch.stack([(table.index_select(0, index[:, f]) * grad).sum(1) for f, table in enumerate(tables)], 1)


@numba.njit(cache=True, error_model="numpy", fastmath={"reassoc"})  # reassoc: the sum vectorises (3.5x)
def _dot_rows(out, table, rows, grad):
    dim = table.shape[1]
    for t in range(len(rows)):
        r, total = rows[t], np.float32(0)
        for j in range(dim):
            total += table[r, j] * grad[t, j]
        out[t] = total


class SideInfoSkipGram(SkipGram):
    """Skip-gram whose center vector combines the product's own embedding with its side information.

    ``side`` is an int array (num_nodes × fields) of field ids, 0 = missing (see
    :func:`recsys_tutorial.features.side_information`). ``mode="mean"`` averages the present fields (GES);
    ``mode="eges"`` weights them by a per-product softmax learned with the rest (EGES; weights start
    equal, 1/k). Each token uses **its own** side information (the original gave contexts the center's,
    bug B2); contexts and negatives use the context table (the original used center tables, B3); the
    embeddings used for scoring aggregate exactly as training does. A product with metadata but no
    edges still gets a vector: :meth:`cold_start` uses its side fields alone.

    How much of the vector a product's own embedding keeps decides whether side information helps.
    ``id_weight`` (one number or one per product, e.g. d / (d + c) for a product with d training edges) fixes
    the own vector's weight in ``"mean"`` mode (the fields share the rest equally) and is EGES's starting
    weight; ``mode="residual"`` keeps the own vector at weight 1 and adds ``field_scale`` × the fields' mean.
    On the real Digital Music file equal weights cost 0.07 seen-AUC, d / (d + 2) about 0.001
    (``benchmarks/bench_side_info.py``).

    The hand-written SGD step multiplies the attention logits' learning rate by ``attention_lr_scale``: their
    gradients are dot products with parts that start at U(±0.5/d), about 10⁻⁴ of the vectors' own, so at
    word2vec's rate they never leave equal weights (std 7e-5 after an epoch on the default profile; seen-AUC
    0.778, as GES) and at 10⁴ × it they do (std 0.7; 0.81). Adam needs no such scale.
    """

    def __init__(self, num_nodes: int, side: np.ndarray, field_sizes: list[int], dim: int = 128,
                 mode: str = "eges", attention_lr_scale: float = 1e4,
                 id_weight: float | np.ndarray | None = None, field_scale: float = 1.0):
        super().__init__(num_nodes, dim)
        self.attention_lr_scale = attention_lr_scale
        self.field_scale = field_scale
        if id_weight is not None:
            id_weight = np.broadcast_to(np.asarray(id_weight, dtype=np.float32), (num_nodes,))
            if not np.all((id_weight > 0) & (id_weight <= 1)):
                raise ValueError("id_weight must lie in (0, 1] for every product")
        if mode not in ("mean", "eges", "residual"):
            raise ValueError(f"mode must be 'mean', 'eges' or 'residual', got {mode!r}")
        side = np.asarray(side, dtype=np.int64)
        if side.shape != (num_nodes, len(field_sizes)):
            raise ValueError(f"side must be (num_nodes, {len(field_sizes)}), got {side.shape}")
        self.mode = mode
        self.register_buffer("side", torch.from_numpy(side))
        present = side > 0
        self.register_buffer("id_weight", None if id_weight is None else torch.from_numpy(
            np.where(present.any(axis=1), id_weight, 1.0).astype(np.float32)))
        self.fields = nn.ModuleList(nn.Embedding(size, dim, sparse=True, padding_idx=0) for size in field_sizes)
        for table in self.fields:
            nn.init.uniform_(table.weight, -0.5 / dim, 0.5 / dim)
            with torch.no_grad():
                table.weight[0].zero_()
        self.attention = nn.Embedding(num_nodes, 1 + len(field_sizes), sparse=True)
        nn.init.zeros_(self.attention.weight)  # softmax of zeros: equal weights 1/k (the original drew U(1/k, 1))
        if id_weight is not None and mode == "eges":  # softmax starts at the id's weight: e^a / (e^a + fields)
            fields = np.maximum(present.sum(axis=1), 1)
            logit = np.log(np.minimum(id_weight, 1 - 1e-6) * fields / np.maximum(1 - id_weight, 1e-6))
            with torch.no_grad():
                self.attention.weight[:, 0] = torch.from_numpy(logit.astype(np.float32))

    @staticmethod
    def _field_mean(parts: torch.Tensor, present: torch.Tensor) -> torch.Tensor:
        """The equal-weight mean of the present fields' vectors (a cold product has nothing else)."""
        weights = present.float()
        weights = weights / weights.sum(-1, keepdim=True).clamp_min(1e-12)
        return (weights.unsqueeze(-1) * parts).sum(-2)

    def _field_parts(self, field_ids: torch.Tensor) -> torch.Tensor:
        return torch.stack([table(field_ids[:, f]) for f, table in enumerate(self.fields)], dim=-2)

    def center_vectors(self, items: torch.Tensor) -> torch.Tensor:
        ids = self.side[items]
        parts = torch.cat([self.center(items).unsqueeze(-2), self._field_parts(ids)], dim=-2)
        return (self._weights(items).unsqueeze(-1) * parts).sum(-2)

    def _weights(self, items: torch.Tensor) -> torch.Tensor:
        """Each token's weights over (item, fields...): equal over present fields (GES) or their softmax (EGES)."""
        ids = self.side[items]
        present = torch.cat([torch.ones_like(ids[:, :1], dtype=torch.bool), ids > 0], dim=-1)
        if self.mode == "residual":  # own vector at full weight, plus field_scale × the mean of the fields
            fields = present[:, 1:].to(self.center.weight.dtype)
            fields = self.field_scale * fields / fields.sum(-1, keepdim=True).clamp_min(1.0)
            return torch.cat([torch.ones_like(fields[:, :1]), fields], dim=-1)
        if self.mode == "mean":
            weights = present.to(self.center.weight.dtype)
            weights = weights / weights.sum(-1, keepdim=True)
            if self.id_weight is not None:
                fields = weights[:, 1:] / weights[:, 1:].sum(-1, keepdim=True).clamp_min(1e-12)
                own = self.id_weight[items].unsqueeze(-1).to(weights.dtype)
                weights = torch.cat([own, (1 - own) * fields], dim=-1)
            return weights
        return torch.softmax(self.attention(items).masked_fill(~present, float("-inf")), dim=-1)

    def _step_centers(self, rows: torch.Tensor) -> torch.Tensor:
        index = torch.cat([rows.unsqueeze(1), self.side[rows]], dim=1)  # each token's row in every table
        weights = self._weights(rows)
        vectors = _weighted_rows(self._tables(), index, weights)
        self._step_cache = index, weights, vectors
        return vectors

    def _tables(self) -> list[torch.Tensor]:
        """The tables a center vector is built from: the product's own, then one per field."""
        return [self.center.weight] + [table.weight for table in self.fields]

    def _step_center_update(self, rows: torch.Tensor, token: torch.Tensor, grad: torch.Tensor, lr: float) -> None:
        """Chain rule through the weighted mean: each part gets its weight × the gradient; EGES's logits get
        weight × (part − vector) · gradient (the softmax's Jacobian, from the rows before this update).
        Shared rows (a brand) move by the mean."""
        index, weights, vectors = self._step_cache
        self._step_cache = None
        tables = self._tables()
        if self.mode == "eges":
            logit_grad = weights * (_row_dots(tables, index, grad) - (vectors * grad).sum(-1, keepdim=True))
        for f, table in enumerate(tables):
            mask = token if f == 0 else token * (index[:, f] > 0)  # the padding row (missing field) stays zero
            _scatter_mean(table, index[:, f], grad, mask, lr, self._row_counts(table), scale=weights[:, f])
        if self.mode == "eges":
            table = self.attention.weight
            _scatter_mean(table, rows, logit_grad, token, lr * self.attention_lr_scale, self._row_counts(table))

    @torch.no_grad()
    def id_weights(self, items: np.ndarray) -> np.ndarray:
        """The weight each product's own vector has in its center vector (1 for a product without fields)."""
        items = torch.as_tensor(np.asarray(items, dtype=np.int64), device=self.center.weight.device)
        return self._weights(items)[:, 0].cpu().numpy()

    def embeddings(self, batch_size: int = 65536) -> np.ndarray:
        with torch.no_grad():
            n = self.center.num_embeddings
            device = self.center.weight.device
            return torch.cat([self.center_vectors(torch.arange(lo, min(lo + batch_size, n), device=device))
                              for lo in range(0, n, batch_size)]).cpu().numpy()

    @torch.no_grad()
    def cold_start(self, field_ids: np.ndarray) -> np.ndarray:
        """Vectors for products never seen in training, from their side fields alone (equal weights)."""
        ids = torch.as_tensor(np.asarray(field_ids, dtype=np.int64), device=self.center.weight.device)
        return self._field_mean(self._field_parts(ids), ids > 0).cpu().numpy()
