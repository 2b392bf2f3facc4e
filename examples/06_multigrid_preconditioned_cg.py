# %% [markdown]
# # 6. Multigrid inside SciPy: a V-cycle as the preconditioner of conjugate gradients
#
# `Multigrid(problem).aspreconditioner()` returns a `scipy.sparse.linalg.LinearOperator` M that
# applies one symmetric V-cycle (from zero, homogeneous boundary) to a vector of interior values —
# an approximation of A⁻¹ that is symmetric positive definite, so conjugate gradients can use it
# (as PyAMG's `MultilevelSolver.aspreconditioner()`). The matrix is `hs.operators.matrix(grid)`
# (the 5-point −Δ_h on interior points, C order) and the right-hand side `hs.operators.rhs(problem)`
# (source plus the boundary values moved across).
#
# Plain CG needs O(n) iterations on the Poisson matrix (its condition number grows like n²);
# with the V-cycle the count stays about constant as n grows. We compare the two on `smooth_2d`,
# check M's symmetry on random vectors, and compare with `hs.solve(p, "multigrid")` alone.
#
# Run: `python examples/06_multigrid_preconditioned_cg.py [--out DIR]` (default `examples/output/`,
# or `HYBRIDSOLVE_EXAMPLE_OUT=DIR`); `HYBRIDSOLVE_EXAMPLE_SIZE=test` runs a small, fast version.

# %%
import time

import numpy as np
from scipy.sparse.linalg import LinearOperator, cg

import hybridsolve as hs
from hybridsolve.plots import new_figure, savefig
from hybridsolve.solvers.multigrid import Multigrid

from _settings import OUT, SIZE  # examples/_settings.py: the size and the output folder

ns = [64, 128, 256, 512] if SIZE == "normal" else [32, 64]
rtol = 1e-10

# %% [markdown]
# ## One grid: the operator, the preconditioner, and a symmetry check

# %%
prob = hs.problems.smooth_2d(n=ns[-1])
A = hs.operators.matrix(prob.grid)
b = hs.operators.rhs(prob).ravel()
M = Multigrid(prob).aspreconditioner()
if not isinstance(M, LinearOperator) or M.shape != A.shape:
    raise SystemExit(f"aspreconditioner() must return a LinearOperator of A's shape {A.shape}; got {M!r}")
rng = np.random.default_rng(0)
x, y = rng.standard_normal(A.shape[0]), rng.standard_normal(A.shape[0])
asym = abs(x @ (M @ y) - y @ (M @ x)) / (np.linalg.norm(x) * np.linalg.norm(M @ y))
print(f"{prob}: {A.shape[0]} unknowns; |x·My − y·Mx| / (‖x‖‖My‖) = {asym:.1e}, x·Mx > 0: {x @ (M @ x) > 0}")


def run_cg(A, b, M=None):
    """CG to ‖r‖ ≤ rtol‖b‖: iterations, seconds (a run without callback), residual history."""
    res = []
    x, info = cg(A, b, rtol=rtol, atol=0.0, M=M, maxiter=20 * A.shape[0],
                 callback=lambda xk: res.append(np.linalg.norm(b - A @ xk) / np.linalg.norm(b)))
    t0 = time.perf_counter()
    x, info = cg(A, b, rtol=rtol, atol=0.0, M=M, maxiter=20 * A.shape[0])
    return len(res), time.perf_counter() - t0, res, x, info


# %% [markdown]
# ## Iterations as the grid is refined

# %%
rows = {}
for n in ns:
    p = hs.problems.smooth_2d(n=n)
    A_n, b_n = hs.operators.matrix(p.grid), hs.operators.rhs(p).ravel()
    plain = run_cg(A_n, b_n)
    pre = run_cg(A_n, b_n, Multigrid(p).aspreconditioner())
    u_star = p.discrete_solution()[p.grid.interior].ravel()
    mg = hs.solve(p, "multigrid", rtol=rtol)
    rows[n] = (plain, pre, mg)
    print(f"n = {n:4d}: CG {plain[0]:5d} it {plain[1]:7.3f} s | CG + V-cycle {pre[0]:3d} it {pre[1]:7.3f} s "
          f"(‖x − u*‖∞ = {np.max(np.abs(pre[3] - u_star)):.1e}) | multigrid alone {mg.iterations:3d} cycles "
          f"{mg.wall_time:7.3f} s")

# %%
fig, (ax_r, ax_n) = new_figure(ncols=2, width=4.6, height=3.5)
n = ns[-1]
plain, pre, _ = rows[n]
ax_r.semilogy(np.arange(1, len(plain[2]) + 1), plain[2], label="CG")
ax_r.semilogy(np.arange(1, len(pre[2]) + 1), pre[2], "o-", ms=3, label="CG + one V-cycle per iteration")
ax_r.set_xscale("log")
ax_r.set_xlabel("CG iteration")
ax_r.set_ylabel("‖b − A x‖₂ / ‖b‖₂")
ax_r.set_title(f"smooth_2d, n = {n}×{n}", fontsize=9)
ax_r.legend(fontsize=8)
ax_n.loglog(ns, [rows[m][0][0] for m in ns], "o-", label="CG")
ax_n.loglog(ns, [rows[m][1][0] for m in ns], "s-", label="CG + V-cycle")
ax_n.loglog(ns, [rows[m][2].iterations for m in ns], "^--", label="multigrid alone (cycles)")
ax_n.set_xlabel("n (intervals per axis)")
ax_n.set_ylabel(f"iterations to rtol = {rtol:g}")
ax_n.set_title("iterations against grid size", fontsize=9)
ax_n.legend(fontsize=8)
print("figure:", savefig(fig, OUT / "06_multigrid_preconditioned_cg.png"))
