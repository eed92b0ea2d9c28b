"""Learning-rate schedules, checked against their formulas written out here."""

from __future__ import annotations

import math

import pytest

from recsys_tutorial.train import schedule_lr


def test_linear_decays_from_lr_to_min_lr_over_all_epochs():
    lr, per_epoch, epochs = 0.025, 100, 4
    rates = [schedule_lr("linear", lr, b, per_epoch, e, epochs, min_lr=1e-4) for e in range(epochs)
             for b in range(per_epoch)]
    assert rates[0] == lr
    for step, rate in enumerate(rates):
        assert rate == pytest.approx(lr - (lr - 1e-4) * step / (per_epoch * epochs))
    assert schedule_lr("linear", lr, 0, per_epoch, epochs, epochs, min_lr=1e-4) == pytest.approx(1e-4)


def test_restarts_anneal_within_each_epoch_and_cosine_over_all():
    lr, per_epoch, epochs = 0.01, 8, 3
    for epoch in range(epochs):
        for b in range(per_epoch):
            assert schedule_lr("restarts", lr, b, per_epoch, epoch, epochs) == pytest.approx(
                lr * (1 + math.cos(math.pi * b / per_epoch)) / 2)
            step = epoch * per_epoch + b
            assert schedule_lr("cosine", lr, b, per_epoch, epoch, epochs) == pytest.approx(
                lr * (1 + math.cos(math.pi * step / (per_epoch * epochs))) / 2)
    assert schedule_lr("constant", lr, 5, per_epoch, 2, epochs) == lr
    with pytest.raises(ValueError, match="schedule"):
        schedule_lr("step", lr, 0, per_epoch, 0, epochs)
