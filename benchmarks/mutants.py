"""Mutation testing, by hand: plant one known bug at a time in a copy of the package and run the tests that
should catch it. A mutant that survives marks a gap in the tests. Not part of ``make test`` (minutes).

Each mutant replaces one exact snippet (which must occur once) in one module of a temporary copy of the
repository, then runs the named test files there with ``pytest -x``; the package is imported from the copy.
A mutant that makes the tests hang (``--timeout``) counts as killed. The unmutated copy runs first and must
pass. Usage: ``python benchmarks/mutants.py [--only NAME …]``; ends with a RESULT line (killed, survived, score).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import result_line

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Mutant:
    name: str
    module: str
    old: str
    new: str
    tests: tuple[str, ...]


MUTANTS = [
    Mutant("node2vec exact shared path ignores weights", "recsys_tutorial/walks.py",
           "            total += alias[last].w\n", "            total += 1.0\n", ("tests/test_walks.py",)),
    Mutant("node2vec forgets the return bias 1/p", "recsys_tutorial/walks.py",
           "        ret = w_prev[j] * inv_p\n", "        ret = w_prev[j]\n", ("tests/test_walks.py",)),
    Mutant("node2vec far mass for q > 1 ignores the shared part", "recsys_tutorial/walks.py",
           "            far = rest - shared[j]\n", "            far = rest\n", ("tests/test_walks.py",)),
    Mutant("auc_unseen computed on the seen pairs", "recsys_tutorial/evaluate.py",
           '"auc_unseen": auc(~seen)', '"auc_unseen": auc(seen)', ("tests/test_evaluate.py",)),
    Mutant("median policy scores unseen pairs lowest", "recsys_tutorial/evaluate.py",
           "scores[~seen] = np.median(scores[seen]) if seen.any() else 0.0",
           "scores[~seen] = scores[seen].min() - 1 if seen.any() else 0.0", ("tests/test_evaluate.py",)),
    Mutant("cosine_scores returns raw dot products", "recsys_tutorial/evaluate.py",
           "np.divide((va * vb).sum(1), norms, out=np.zeros(len(va)), where=norms > 0)",
           "(va * vb).sum(1)", ("tests/test_evaluate.py",)),
    Mutant("Jaccard adds the intersection to the union", "recsys_tutorial/evaluate.py",
           "union = degree[src] + degree[dst] - count", "union = degree[src] + degree[dst] + count",
           ("tests/test_evaluate.py",)),
    Mutant("Adamic-Adar weights 1/degree", "recsys_tutorial/evaluate.py",
           "np.divide(1.0, np.log(np.maximum(degree, 1.0))", "np.divide(1.0, np.maximum(degree, 1.0)",
           ("tests/test_evaluate.py",)),
    Mutant("linear learning rate never decays", "recsys_tutorial/train.py",
           "        return lr + (min_lr - lr) * overall\n", "        return lr\n", ("tests/test_train.py",)),
    Mutant("restarts run one cosine over all epochs", "recsys_tutorial/train.py",
           "        progress = min(batch_in_epoch / max(batches_per_epoch, 1), 1.0)\n", "        progress = overall\n",
           ("tests/test_train.py",)),
    Mutant("shrunk window off by one (b in 1..window-1)", "recsys_tutorial/sampling.py",
           "reach = rng.integers(1, window + 1, size=walks.shape)", "reach = rng.integers(1, window, size=walks.shape)",
           ("tests/test_sampling.py",)),
    Mutant("negatives by count, not count^0.75", "recsys_tutorial/sampling.py",
           "def unigram_table(counts: np.ndarray, power: float = 0.75)",
           "def unigram_table(counts: np.ndarray, power: float = 1.0)", ("tests/test_sampling.py",)),
    Mutant("subsampling keeps sqrt(t/f)", "recsys_tutorial/sampling.py",
           "keep = (np.sqrt(freq / threshold) + 1) * threshold / freq", "keep = np.sqrt(threshold / freq)",
           ("tests/test_sampling.py",)),
    Mutant("SGNS step pushes positives apart", "recsys_tutorial/models.py",
           "g_pos = (torch.sigmoid(pos) - 1) * pair  # d(-log σ(x))/dx on the pairs, 0 elsewhere\n"
           "        per_center = pair.sum(2).reshape(-1).to(c.dtype)",
           "g_pos = (1 - torch.sigmoid(pos)) * pair\n        per_center = pair.sum(2).reshape(-1).to(c.dtype)",
           ("tests/test_models.py",)),
    Mutant("shared rows move by the sum, not the mean, of their updates", "recsys_tutorial/models.py",
           "grad * (weight / seen[rows].clamp(min=1)).unsqueeze(1)", "grad * weight.unsqueeze(1)",
           ("tests/test_models.py",)),
]


def copy_repository(target: Path) -> None:
    """The tracked and untracked-but-not-ignored files of the checkout, without caches or builds."""
    files = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.splitlines()
    for name in files:
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


def run(mutant: Mutant, timeout: int) -> tuple[str, float]:
    """'killed', 'survived' or 'timeout' for one mutant, and the seconds its tests took. An empty ``old``
    leaves the copy as it is (the control run: the tests must pass there)."""
    with tempfile.TemporaryDirectory(prefix="mutant-") as folder:
        copy = Path(folder)
        copy_repository(copy)
        module = copy / mutant.module
        text = module.read_text()
        if mutant.old and text.count(mutant.old) != 1:
            raise SystemExit(f"{mutant.name}: the snippet occurs {text.count(mutant.old)} times in {mutant.module}")
        module.write_text(text.replace(mutant.old, mutant.new))
        env = {**os.environ, "PYTHONPATH": str(copy), "PYTHONWARNINGS": "ignore"}
        start = time.perf_counter()
        try:
            done = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
                                   *mutant.tests], cwd=copy, env=env, capture_output=True, text=True,
                                  timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            return "timeout", time.perf_counter() - start
        seconds = time.perf_counter() - start
        if done.returncode not in (0, 1):
            raise SystemExit(f"{mutant.name}: pytest could not run (exit {done.returncode})\n{done.stdout[-2000:]}")
        return ("survived" if done.returncode == 0 else "killed"), seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=None, help="run only the mutants whose name contains one of these")
    parser.add_argument("--timeout", type=int, default=300,
                        help="seconds per mutant's tests; a mutant that hangs them counts as killed (default 300)")
    args = parser.parse_args()
    chosen = [m for m in MUTANTS if not args.only or any(word in m.name for word in args.only)]
    tests = tuple(dict.fromkeys(t for m in chosen for t in m.tests))
    control, seconds = run(Mutant("control: no mutation", chosen[0].module, "", "", tests), args.timeout)
    if control != "survived":
        raise SystemExit(f"the unmutated copy fails its own tests ({control}): fix that first")
    print(f"control   {seconds:6.0f} s  the unmutated copy passes {', '.join(tests)}", flush=True)
    outcomes = []
    for mutant in chosen:
        outcome, seconds = run(mutant, args.timeout)
        outcomes.append(outcome)
        print(f"{outcome:<9} {seconds:6.0f} s  {mutant.name}  ({mutant.module}; {', '.join(mutant.tests)})", flush=True)
    killed = outcomes.count("killed") + outcomes.count("timeout")
    print(result_line(mutants=len(outcomes), killed=killed, survived=outcomes.count("survived"),
                      score=killed / max(len(outcomes), 1)))


if __name__ == "__main__":
    main()
