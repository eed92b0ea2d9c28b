"""Every model learns on the ci data; schedules restart; side information covers cold products."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from recsys_tutorial.evaluate import auc_table, cosine_scores
from recsys_tutorial.features import centroid_cold_start, side_information
from recsys_tutorial.models import MF, MFBias, SideInfoSkipGram, SkipGram
from recsys_tutorial.sampling import EdgeBatches, PairBatches, WalkBlocks
from recsys_tutorial.split import train_val_split
from recsys_tutorial.train import schedule_lr, train
from recsys_tutorial.w2v import train_word2vec
from recsys_tutorial.walks import ProductGraph, random_walks


@pytest.fixture(scope="module")
def setup(ci_tables, ci_edges):
    products, _, _ = ci_tables
    edges, vocab = ci_edges
    sp = train_val_split(edges, num_nodes=len(vocab), sample_size=4000)
    graph = ProductGraph.from_edges(sp.train, sp.num_nodes, validation=sp.val)
    walks = random_walks(graph, 10, 10, seed=0, progress=False)
    return products, vocab, sp, walks


@pytest.fixture(autouse=True)
def seeded_torch():
    """Every test builds its models from the same random state, whatever ran before (torch seeds itself at
    random at start-up, and a model's initial vectors are drawn before ``train`` seeds anything)."""
    torch.manual_seed(0)


def seen_auc(sp, scores):
    return auc_table(sp.val, scores)["auc_seen"]


def cosine_auc(sp, vectors):
    return seen_auc(sp, cosine_scores(vectors, sp.val["src"].to_numpy(), sp.val["dst"].to_numpy()))


def assert_learned(before: float, after: float, floor: float, margin: float = 0.2) -> None:
    """Training moved the seen-AUC well away from the untrained model's (a no-learning baseline) and past a floor."""
    assert after >= floor and after >= before + margin, (before, after, floor)


def model_scores(model, sp):
    with torch.no_grad():
        return model.score(torch.tensor(sp.val["src"].to_numpy(), dtype=torch.long),
                           torch.tensor(sp.val["dst"].to_numpy(), dtype=torch.long)).numpy()


# MF's learned global offset carries the base rate that a dot product alone cannot (|mean e|² ≥ 0), so plain
# MF now lands near MF-bias (~0.75 seen on ci); the floors leave room for seeds and thread counts.
@pytest.mark.parametrize(("cls", "kwargs", "floor"), [(MF, {}, 0.72), (MFBias, {}, 0.75),
                                                      (MFBias, {"continuous": True}, 0.70)])
def test_mf_on_edges_learns(setup, cls, kwargs, floor):
    _, _, sp, _ = setup
    model = cls(sp.num_nodes, 32, **kwargs)
    before = seen_auc(sp, model_scores(model, sp))
    batches = EdgeBatches(sp.train, sp.num_nodes, batch_size=256, continuous=kwargs.get("continuous", False))
    result = train(model, batches, epochs=8, lr=0.05, val_pairs=sp.val_sample, eval_every=10**9, progress=False)
    assert np.isfinite(result.embeddings).all()
    assert_learned(before, seen_auc(sp, model_scores(model, sp)), floor)


def test_faithful_mf_keeps_the_original_recipe(setup):
    _, _, sp, _ = setup
    model = MF(sp.num_nodes, 32, faithful=True)
    assert model.emb.weight.std().item() == pytest.approx(1.0, abs=0.05)  # PyTorch's default N(0, 1)
    a, b = torch.tensor([0, 1]), torch.tensor([2, 3])
    model.loss(a, b, torch.tensor([1.0, 0.0])).backward()
    assert not model.emb.weight.grad.is_sparse
    assert (model.emb.weight.grad != 0).all(dim=1).float().mean() > 0.9  # whole-table L2 touches every row


def test_skipgram_and_mf_on_sequences_learn(setup):
    _, _, sp, walks = setup
    sgns = SkipGram(sp.num_nodes, 32)
    before = cosine_auc(sp, sgns.embeddings())
    result = train(sgns, PairBatches(walks, sp.num_nodes, batch_size=4096, seed=1), epochs=1, lr=0.01,
                   val_pairs=sp.val_sample, eval_every=50, progress=False)
    assert_learned(before, cosine_auc(sp, result.embeddings), 0.75)
    assert result.curve["auc"].notna().all() and len(result.curve) >= 2
    mf = MFBias(sp.num_nodes, 32)
    before = seen_auc(sp, model_scores(mf, sp))
    train(mf, PairBatches(walks, sp.num_nodes, batch_size=4096, seed=1, mf_rows=True), epochs=1, lr=0.01,
          val_pairs=sp.val_sample, eval_every=10**9, progress=False)
    assert_learned(before, seen_auc(sp, model_scores(mf, sp)), 0.75)


def test_skipgram_with_handwritten_sgd_on_walk_blocks_learns(setup):
    _, _, sp, walks = setup
    sgns = SkipGram(sp.num_nodes, 32)
    before = cosine_auc(sp, sgns.embeddings())
    batches = WalkBlocks(walks, sp.num_nodes, walks_per_batch=128, negatives=5, shared=32, seed=1)
    result = train(sgns, batches, epochs=2, lr=0.025, schedule="linear", optimizer="sgd", eval_every=10**9,
                   progress=False)
    assert_learned(before, cosine_auc(sp, result.embeddings), 0.75)
    assert np.isfinite(result.embeddings).all()
    with pytest.raises(ValueError, match="WalkBlocks"):
        train(MF(sp.num_nodes, 8), EdgeBatches(sp.train, sp.num_nodes), optimizer="sgd", progress=False)
    with pytest.raises(ValueError, match="fixed binary recipe"):
        train(MF(sp.num_nodes, 8, faithful=True), batches, optimizer="sgd", progress=False)
    with pytest.raises(ValueError, match="WalkBlocks"):
        train(SkipGram(sp.num_nodes, 8), PairBatches(walks, sp.num_nodes), optimizer="sgd", progress=False)


def small_block():
    """Two walks of distinct products (one padded), their shrunk windows, 3 shared negatives, and the window
    pairs (as a list and as center / context tensors) that a walk-block step must train on."""
    block = torch.tensor([[0, 1, 2, 3, -1], [4, 5, 6, 7, 8]])
    reach = torch.tensor([[1, 2, 1, 3, 1], [2, 1, 3, 1, 2]])
    pairs = [(int(block[w, i]), int(block[w, j])) for w in range(2) for i in range(5) for j in range(5)
             if i != j and abs(i - j) <= reach[w, i] and block[w, i] >= 0 and block[w, j] >= 0]
    a, b = torch.tensor([p[0] for p in pairs]), torch.tensor([p[1] for p in pairs])
    return block, reach, torch.tensor([10, 11, 12]), pairs, a, b


def test_walk_block_sgd_step_is_the_gradient_of_the_sgns_loss():
    """With every row distinct, the hand-written step equals -lr × autograd's gradient of the summed loss
    (shared negative rows: the per-token mean, as documented)."""
    torch.manual_seed(3)
    dim, k, lr = 6, 5, 0.1
    model = SkipGram(20, dim)
    with torch.no_grad():
        model.context.weight.normal_(0, 0.3)
        model.center.weight.normal_(0, 0.3)
    block, reach, negatives, pairs, a, b = small_block()
    center, context = model.center.weight.detach().clone(), model.context.weight.detach().clone()
    c, o = center.clone().requires_grad_(), context.clone().requires_grad_()
    loss = -(torch.nn.functional.logsigmoid((c[a] * o[b]).sum(1)).sum()
             + k / len(negatives) * torch.nn.functional.logsigmoid(-(c[a] @ o[negatives].T)).sum())
    loss.backward()
    step_loss = model.sgd_step(block, reach, negatives, lr=lr, k=k)
    assert step_loss.item() == pytest.approx(loss.item() / len(pairs), rel=1e-5)
    torch.testing.assert_close(model.center.weight.detach(), center - lr * c.grad)
    expected = context - lr * o.grad
    expected[negatives] = context[negatives] - lr * o.grad[negatives] / 9  # 9 tokens in the block
    torch.testing.assert_close(model.context.weight.detach(), expected)
    assert all(b.abs().sum() == 0 for b in model._count_buffers.values())  # left clean for the next step


@pytest.mark.parametrize("cls", [MF, MFBias])
def test_mf_walk_block_sgd_step_is_the_gradient_of_its_loss(cls):
    """MF on sequences: distinct rows, so the step equals -lr × autograd's gradient of the summed loss (negative
    rows and their biases: the per-token mean; the global offset: the per-pair mean)."""
    torch.manual_seed(5)
    k, lr = 5, 0.1
    model = cls(20, 6, l2=1e-2)
    with torch.no_grad():
        model.emb.weight.normal_(0, 0.3)
        model.global_bias.fill_(-0.3)
        if cls is MFBias:
            model.bias.weight.normal_(0, 0.2)
    reference = cls(20, 6, l2=1e-2)
    reference.load_state_dict(model.state_dict())
    block, reach, negatives, pairs, a, b = small_block()
    tokens = torch.arange(9)
    loss = -(torch.nn.functional.logsigmoid(reference.logits(a, b)).sum()
             + k / len(negatives) * torch.nn.functional.logsigmoid(
                 -reference.logits(a.repeat_interleave(3), negatives.repeat(len(a)))).sum())
    loss = loss + reference.l2 * (reference.emb(tokens) ** 2).sum()
    loss.backward()
    step_loss = model.sgd_step(block, reach, negatives, lr=lr, k=k)
    assert step_loss.item() == pytest.approx((loss.item() - (reference.l2 * (reference.emb(tokens) ** 2).sum()).item())
                                             / len(pairs), rel=1e-5)
    scale = torch.ones(20, 1)
    scale[negatives] = 1 / 9  # 9 tokens in the block
    tables = ["emb"] + (["bias"] if cls is MFBias else [])
    for name in tables:
        before = reference.get_parameter(f"{name}.weight")
        torch.testing.assert_close(model.get_parameter(f"{name}.weight").detach(),
                                   (before - lr * before.grad.to_dense() * scale).detach(), msg=name)
    torch.testing.assert_close(model.global_bias.detach(),
                               (reference.global_bias - lr * reference.global_bias.grad / len(pairs)).detach())


@pytest.mark.parametrize("mode, id_weight", [("mean", None), ("eges", None), ("mean", "by degree"),
                                             ("residual", None)])
def test_side_information_sgd_step_is_the_gradient_of_its_loss(mode, id_weight):
    """Item, field and (EGES) attention rows all distinct: the step equals -lr × autograd's gradient."""
    torch.manual_seed(4)
    dim, k, lr, n = 6, 5, 0.1, 20
    side = np.stack([np.arange(1, n + 1), np.where(np.arange(n) % 4 == 1, 0, np.arange(1, n + 1))], axis=1)
    if id_weight is not None:
        id_weight = np.linspace(0.1, 0.9, n)
    model = SideInfoSkipGram(n, side, [n + 1, n + 1], dim, mode=mode, attention_lr_scale=3.0,
                             id_weight=id_weight, field_scale=0.4)
    with torch.no_grad():
        for table in [model.center, model.context, *model.fields]:
            table.weight.normal_(0, 0.3)
        for table in model.fields:
            table.weight[0].zero_()
        model.attention.weight.normal_(0, 0.5)
    reference = SideInfoSkipGram(n, side, [n + 1, n + 1], dim, mode=mode, id_weight=id_weight, field_scale=0.4)
    reference.load_state_dict(model.state_dict())
    block, reach, negatives, _, a, b = small_block()
    h, o = reference.center_vectors(a), reference.context.weight
    loss = -(torch.nn.functional.logsigmoid((h * o[b]).sum(1)).sum()
             + k / len(negatives) * torch.nn.functional.logsigmoid(-(h @ o[negatives].T)).sum())
    loss.backward()
    model.sgd_step(block, reach, negatives, lr=lr, k=k)
    tables = ["center", "fields.0", "fields.1"] + (["attention"] if mode == "eges" else [])
    for name in tables:
        before = reference.get_parameter(f"{name}.weight")
        step = lr * (3.0 if name == "attention" else 1.0)  # the logits' own learning-rate scale
        torch.testing.assert_close(model.get_parameter(f"{name}.weight").detach(),
                                   (before - step * before.grad.to_dense()).detach(), msg=name)
    assert model.fields[1].weight[0].abs().sum() == 0  # a missing field's padding row never moves


@pytest.mark.parametrize("make", [lambda: SkipGram(30, 8), lambda: MFBias(30, 8, l2=1e-2),
                                  lambda: SideInfoSkipGram(30, np.arange(60).reshape(30, 2) % 7, [7, 7], 8,
                                                           mode="mean"),
                                  lambda: SideInfoSkipGram(30, np.arange(60).reshape(30, 2) % 5, [5, 5], 8,
                                                           mode="eges", id_weight=0.6)],
                         ids=["skip-gram", "mf-bias", "ges", "eges"])
def test_the_cpu_row_kernels_equal_torchs_row_ops(make):
    """The float32 CPU step (numba row kernels) and torch's row ops (taken for float64, as on a GPU) apply the
    same update, hub rows and shared field rows included, over several steps."""
    model = make()
    with torch.no_grad():
        for param in model.parameters():
            param.normal_(0, 0.3)
        for table in getattr(model, "fields", []):
            table.weight[0].zero_()
    reference = make().double()
    reference.load_state_dict({k: v.double() if v.is_floating_point() else v for k, v in model.state_dict().items()})
    rng = np.random.default_rng(0)
    for _ in range(4):
        block = torch.from_numpy(rng.choice(np.r_[np.arange(30), [3] * 20, [-1] * 5], size=(6, 7)))
        reach = torch.from_numpy(rng.integers(1, 4, size=(6, 7)))
        negatives = torch.from_numpy(rng.integers(0, 30, size=8))
        model.sgd_step(block, reach, negatives, lr=0.2)
        reference.sgd_step(block, reach, negatives, lr=0.2)
    for name, param in model.named_parameters():
        torch.testing.assert_close(param.detach(), reference.get_parameter(name).detach().float(), msg=name,
                                   rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("mode", ["mean", "eges"])
def test_side_information_learns_and_covers_cold_products(setup, mode):
    products, vocab, sp, walks = setup
    info, side = side_information(products, vocab)
    model = SideInfoSkipGram(sp.num_nodes, side, info.field_sizes, 32, mode=mode)
    before = cosine_auc(sp, model.embeddings())  # ~0.68 untrained: products share their fields' vectors
    result = train(model, PairBatches(walks, sp.num_nodes, batch_size=4096, seed=2), epochs=1, lr=0.01,
                   val_pairs=sp.val_sample, eval_every=10**9, progress=False)
    assert_learned(before, cosine_auc(sp, result.embeddings), 0.75, margin=0.15)
    # The hand-written SGD step on whole walks (how the book trains it on every walk) learns too.
    torch.manual_seed(0)
    fast = SideInfoSkipGram(sp.num_nodes, side, info.field_sizes, 32, mode=mode)
    before = cosine_auc(sp, fast.embeddings())
    blocks = WalkBlocks(walks, sp.num_nodes, walks_per_batch=128, negatives=5, shared=32, seed=1)
    fast_result = train(fast, blocks, epochs=2, lr=0.025, schedule="linear", optimizer="sgd", eval_every=10**9,
                        progress=False)
    assert_learned(before, cosine_auc(sp, fast_result.embeddings), 0.75, margin=0.15)
    assert np.isfinite(fast_result.embeddings).all()
    if mode == "eges":  # the learned weights leave their equal start
        assert fast.attention.weight.std() > 1e-2
    # Scoring uses exactly the training aggregation.
    items = torch.arange(10)
    np.testing.assert_allclose(result.embeddings[:10], model.center_vectors(items).detach().numpy(), rtol=1e-5)
    # A catalogued product with no edges gets a vector from its side information alone.
    cold = products[~products["asin"].isin(vocab)].dropna(subset=["brand", "category_lvl_3"]).head(5)
    fields = info.encode(cold, cold["asin"])
    assert (fields > 0).any(axis=1).all()
    vectors = model.cold_start(fields)
    assert vectors.shape == (5, 32) and np.isfinite(vectors).all() and (np.abs(vectors).sum(1) > 0).all()


def test_the_own_vector_keeps_the_weight_the_scheme_gives_it():
    """GES with id_weight: the product's own vector has exactly that weight (1 without fields), before and
    after training; EGES starts there; the residual form keeps it at 1 plus a scaled mean of the fields."""
    side = np.array([[1, 2], [0, 1], [0, 0], [2, 0]])
    own = np.array([0.3, 0.6, 0.2, 0.9])
    items = np.arange(4)
    fixed = SideInfoSkipGram(4, side, [3, 3], 4, mode="mean", id_weight=own)
    np.testing.assert_allclose(fixed.id_weights(items), [0.3, 0.6, 1.0, 0.9], rtol=1e-6)
    blocks = torch.tensor([[0, 1, 3, 0], [3, 1, 0, 2]])
    for _ in range(5):
        fixed.sgd_step(blocks, torch.full_like(blocks, 2), torch.tensor([0, 1, 2, 3]), lr=0.5)
    np.testing.assert_allclose(fixed.id_weights(items), [0.3, 0.6, 1.0, 0.9], rtol=1e-6)
    v = fixed.center_vectors(torch.tensor([0])).detach()[0]
    expected = 0.3 * fixed.center.weight[0] + 0.35 * (fixed.fields[0].weight[1] + fixed.fields[1].weight[2])
    torch.testing.assert_close(v, expected.detach())
    eges = SideInfoSkipGram(4, side, [3, 3], 4, mode="eges", id_weight=own)
    np.testing.assert_allclose(eges.id_weights(items), [0.3, 0.6, 1.0, 0.9], rtol=1e-5)
    residual = SideInfoSkipGram(4, side, [3, 3], 4, mode="residual", field_scale=0.5)
    v = residual.center_vectors(torch.tensor([0])).detach()[0]
    expected = residual.center.weight[0] + 0.25 * (residual.fields[0].weight[1] + residual.fields[1].weight[2])
    torch.testing.assert_close(v, expected.detach())
    with pytest.raises(ValueError, match="id_weight"):
        SideInfoSkipGram(4, side, [3, 3], 4, mode="mean", id_weight=np.array([0.5, 0.0, 0.5, 0.5]))


def test_cold_start_tells_a_brand_from_a_category():
    """Two unseen products, one with only a brand, one with only a category: their vectors differ, and each
    is exactly its one field's vector."""
    torch.manual_seed(0)
    model = SideInfoSkipGram(3, np.array([[1, 1], [2, 2], [0, 0]]), [3, 3], 8, mode="eges")
    only_brand, only_category = model.cold_start(np.array([[1, 0], [0, 1]]))
    assert not np.allclose(only_brand, only_category)
    np.testing.assert_allclose(only_brand, model.fields[0].weight[1].detach().numpy())
    np.testing.assert_allclose(only_category, model.fields[1].weight[1].detach().numpy())


def test_centroid_cold_start_averages_the_unit_centroids_of_the_trained_products_sharing_a_field():
    """Brand 1 is carried by trained products 0 and 1, category 1 by 1 and 2: a brand-only product gets their
    normalised mean, a brand-and-category one the mean of both unit centroids; values no trained product
    carries, or no field, give no vector; untrained products (4's big vector) never feed a centroid."""
    vectors = np.array([[2, 0], [0, 1], [0, 3], [5, 5], [9, 9], [0, 0], [0, 0], [0, 0]], dtype=np.float32)
    known = np.array([True, True, True, False, False, False, False, False])
    side = np.array([[1, 0], [1, 1], [0, 1], [1, 1], [2, 2], [1, 0], [0, 1], [0, 0]])
    both, unknown_values, only_brand, only_category, nothing = centroid_cold_start(vectors, known, side,
                                                                                  np.arange(3, 8))
    brand = np.array([1, 1]) / np.sqrt(2)  # unit (1, 0) and (0, 1), averaged and normalised
    category = np.array([0, 1])  # products 1 and 2: both (0, 1) once unit
    np.testing.assert_allclose(only_brand, brand, rtol=1e-6)
    np.testing.assert_allclose(only_category, category, atol=1e-7)
    np.testing.assert_allclose(both, (brand + category) / 2, rtol=1e-6)
    assert not np.allclose(only_brand, only_category)
    np.testing.assert_array_equal(unknown_values, [0, 0])
    np.testing.assert_array_equal(nothing, [0, 0])


def test_each_token_uses_its_own_side_information():
    side = np.array([[1, 1], [2, 2]])
    model = SideInfoSkipGram(2, side, [3, 3], 4, mode="mean")
    v0, v1 = model.center_vectors(torch.tensor([0, 1])).detach()
    brand0, brand1 = model.fields[0].weight[1].detach(), model.fields[0].weight[2].detach()
    assert torch.allclose(v0, (model.center.weight[0] + brand0 + model.fields[1].weight[1]).detach() / 3)
    assert torch.allclose(v1, (model.center.weight[1] + brand1 + model.fields[1].weight[2]).detach() / 3)


def test_lr_restarts_at_every_epoch_and_the_faithful_schedule_shows_bug_b1(setup):
    _, _, sp, _ = setup
    kwargs = {"epochs": 3, "lr": 0.01, "eval_every": 10**9, "progress": False}
    restarts = train(MF(sp.num_nodes, 8), EdgeBatches(sp.train, sp.num_nodes, batch_size=2048), **kwargs)
    assert restarts.epoch_start_lr == pytest.approx([0.01, 0.01, 0.01])
    assert restarts.curve.loc[restarts.curve["epoch_end"], "lr"].max() < 0.01 * 0.1  # annealed within each epoch
    cosine = train(MF(sp.num_nodes, 8), EdgeBatches(sp.train, sp.num_nodes, batch_size=2048), schedule="cosine",
                   **kwargs)
    assert cosine.epoch_start_lr[0] > cosine.epoch_start_lr[1] > cosine.epoch_start_lr[2]
    faithful = train(MF(sp.num_nodes, 8, faithful=True), EdgeBatches(sp.train, sp.num_nodes, batch_size=2048),
                     schedule="faithful", **kwargs)
    assert faithful.epoch_start_lr[0] == pytest.approx(0.01)
    assert faithful.epoch_start_lr[1] < 1e-3 * 0.01 and faithful.epoch_start_lr[2] < 1e-3 * 0.01  # stuck at ~0
    assert schedule_lr("restarts", 0.01, 0, 10, 4, 5) == 0.01


def test_training_is_deterministic_on_cpu(setup):
    _, _, sp, walks = setup
    def run():
        torch.manual_seed(4)  # the initial tables come from torch's global generator
        return train(SkipGram(sp.num_nodes, 8), PairBatches(walks[:3000], sp.num_nodes, batch_size=2048, seed=3),
                     epochs=1, lr=0.01, seed=4, eval_every=10**9, progress=False).embeddings

    runs = [run(), run()]
    np.testing.assert_array_equal(*runs)


@pytest.mark.parametrize("sg", [1, 0])
def test_gensim_vectors_align_with_the_vocabulary(setup, sg):
    _, _, sp, walks = setup
    # One epoch: on this small graph more epochs overfit (five score lower, as on real co-purchase data).
    result = train_word2vec(walks, sp.num_nodes, sg=sg, vector_size=32, epochs=1, workers=1, seed=0)
    walked = np.unique(walks[walks >= 0])
    assert result.in_vocab.sum() == len(walked) and result.in_vocab[walked].all()
    assert (result.vectors[~result.in_vocab] == 0).all() and np.isfinite(result.vectors).all()

    def seen(vectors):
        scores = cosine_scores(vectors, sp.val["src"].to_numpy(), sp.val["dst"].to_numpy())
        return auc_table(sp.val, scores, known=result.in_vocab)["auc_seen"]

    shuffled = result.vectors[np.random.default_rng(0).permutation(len(result.vectors))]
    assert seen(shuffled) < 0.65 < 0.80 <= seen(result.vectors)  # learned, and only with rows lined up
