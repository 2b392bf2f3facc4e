"""Order of accuracy of the discretisation for every manufactured problem in the gallery."""
from __future__ import annotations

import numpy as np
import pytest

from hybridsolve import problems

# grids in the asymptotic range (the multiscale problems carry modes up to k = 12 per axis)
NS = {1: (64, 128, 256, 512), 2: (64, 128, 256), 3: (32, 48, 64)}


@pytest.mark.parametrize("name", problems.MANUFACTURED)
def test_second_order_accuracy(name):
    p0 = problems.get(name)
    ns = NS[p0.dim]
    hs_, errs = [], []
    for n in ns:
        p = p0.with_n(n)
        errs.append(np.max(np.abs(p.discrete_solution() - p.u_exact)))
        hs_.append(p.grid.h[0])
    slope = np.polyfit(np.log(hs_), np.log(errs), 1)[0]
    assert 1.9 <= slope <= 2.1, f"{name}: slope {slope:.3f}, errors {errs}"


def test_manufactured_problems_are_consistent():
    # the source really is -Δ of the exact solution: the discrete residual of u_ref shrinks like h²
    from hybridsolve.operators import residual

    for name in problems.MANUFACTURED:
        p0 = problems.get(name)
        ps = [p0.with_n(n) for n in ((32, 64) if p0.dim == 3 else (64, 128))]
        r = [np.max(np.abs(residual(p, p.u_exact))) for p in ps]
        assert r[1] < 0.3 * r[0], name
