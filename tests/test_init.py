"""seed_everything and get_device."""

from __future__ import annotations

import random
import re

import numpy as np
import pytest
import torch

import recsys_tutorial as rt


def test_seed_everything_makes_every_generator_repeat():
    def draw():
        rng = rt.seed_everything(123)
        return random.random(), np.random.rand(), torch.rand(1).item(), rng.random()  # noqa: NPY002

    assert draw() == draw()
    assert rt.seed_everything(1).random() != rt.seed_everything(2).random()


@pytest.mark.parametrize("bad", [-1, 1.5, "7", True])
def test_seed_everything_rejects_bad_seeds(bad):
    with pytest.raises(ValueError, match="seed"):
        rt.seed_everything(bad)


def test_get_device_prefers_argument_then_environment(monkeypatch):
    monkeypatch.delenv("RECSYS_DEVICE", raising=False)
    expected = "cuda" if torch.cuda.is_available() else ("mps" if torch.backends.mps.is_available() else "cpu")
    assert rt.get_device() == expected
    assert rt.get_device("auto") == expected
    assert rt.get_device("cpu") == "cpu"
    monkeypatch.setenv("RECSYS_DEVICE", "cpu")
    assert rt.get_device() == "cpu"
    assert rt.get_device(None) == "cpu"


def test_get_device_refuses_unknown_or_missing_devices(monkeypatch):
    monkeypatch.delenv("RECSYS_DEVICE", raising=False)
    with pytest.raises(ValueError, match="unknown device"):
        rt.get_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="not available"):
            rt.get_device("cuda")
        monkeypatch.setenv("RECSYS_DEVICE", "cuda")
        with pytest.raises(RuntimeError, match="not available"):
            rt.get_device()


def test_library_logs_instead_of_printing(root):
    command_lines = {"cli.py", "_install_torch.py"}  # whole modules whose job is to talk to a terminal
    for path in (root / "recsys_tutorial").glob("*.py"):
        if path.name in command_lines:
            continue
        library = path.read_text().split("\ndef main(", 1)[0]  # a command line's main() prints; the rest logs
        assert not re.search(r"\bprint\(", library), path
