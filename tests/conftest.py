"""Shared fixtures: a seeded random generator, and the real Fashion-MNIST location."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


FASHION_DIR = Path(os.environ.get("HYBRIDSOLVE_FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist"))


@pytest.fixture
def fashion_dir():
    """The real Fashion-MNIST files; skipped when absent, but a failure when CI requires the data
    (HYBRIDSOLVE_REQUIRE_DATA=1), so a missing install step cannot hide behind a skip."""
    if not FASHION_DIR.exists() or not any(FASHION_DIR.iterdir()):
        msg = f"Fashion-MNIST not found in {FASHION_DIR} (apt-get install dataset-fashion-mnist)"
        if os.environ.get("HYBRIDSOLVE_REQUIRE_DATA") == "1":
            pytest.fail(msg)
        pytest.skip(msg)
    return FASHION_DIR


@pytest.fixture
def torch_one_thread():
    """Tiny networks run on one torch thread (a thread pool on a busy 2-core machine only adds waiting)."""
    import torch

    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)
