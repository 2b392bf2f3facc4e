# %% [markdown]
# # 1. Every solver on one 2-D problem
#
# `multiscale_2d` is −Δu = f on the unit square with an analytic solution that mixes a low and a
# high frequency. We solve it with the direct (DST) solver, geometric multigrid, Gauss–Seidel,
# Jacobi and a short Deep Ritz training run, all through `hs.solve`, and overlay their convergence
# with `hs.plots.compare`: ‖u − u_ref‖∞ and ‖b − A u‖₂ against solver time and against iterations,
# plus a summary table (iterations, time, final error, time to the target).
#
# Every curve comes from the `History` a solve returns (its stopping checks), so nothing is
# recomputed for the figure. The error of every classical solver levels off at the
# discretisation error ‖u* − u_ref‖∞ (grey dashed line; the dotted line is the table's target,
# twice that); Deep Ritz, after a short training, is far above it.
#
# Run: `python examples/01_solvers_2d.py [--out DIR]` (default `examples/output/`, or
# `HYBRIDSOLVE_EXAMPLE_OUT=DIR`); `HYBRIDSOLVE_EXAMPLE_SIZE=test` runs a small, fast version.

# %%

import hybridsolve as hs

from _settings import OUT, SIZE  # examples/_settings.py: the size and the output folder

n = 128 if SIZE == "normal" else 32
dnn_steps = 1000 if SIZE == "normal" else 30

# %% [markdown]
# ## The problem and the solvers
#
# Jacobi and Gauss–Seidel check their stopping rule every `check_every` sweeps; they need about
# 3.6 n² and 1.8 n² sweeps here, so we check about a hundred times for smooth curves. Multigrid
# checks after every cycle; Deep Ritz (minibatches of 1024 points) is observed 40 times.

# %%
prob = hs.problems.multiscale_2d(n=n)
eps = prob.discretisation_error()
print(prob)
print(f"discretisation error ‖u* − u_ref‖∞ = {eps:.3e}")

maxiter = 10 * n * n            # enough sweeps for Jacobi to reach rtol = 1e-8 at this n
runs = {}
for method, options in [
    ("direct", {}),
    ("multigrid", dict(rtol=1e-10)),
    ("gauss_seidel", dict(rtol=1e-8, maxiter=maxiter, check_every=max(n * n // 60, 1))),
    ("jacobi", dict(rtol=1e-8, maxiter=maxiter, check_every=max(n * n // 30, 1))),
    ("deep_ritz", dict(widths=[2, 32, 32, 1], init_std=0.5, lr=3e-3, hard_bc=True, batch_size=1024,
                       steps=dnn_steps, observe_every=max(dnn_steps // 40, 1), seed=0)),
]:
    res = hs.solve(prob, method, **options)
    runs[method] = res.history
    print(f"{method:13s} {res.iterations:7d} iterations  {res.wall_time:8.4f} s  "
          f"error {res.error_inf:.3e}  ({res.reason})")

# %% [markdown]
# ## The comparison
#
# The target of the table is twice the discretisation error: what a solver of this discrete
# problem can reach.

# %%
cmp = hs.plots.compare(runs, target_error=2 * eps, title=f"{prob.name}, n = {n}×{n}: every solver")
for ax in cmp.figure.axes[:2]:
    ax.axhline(eps, color="0.4", ls="--", lw=0.8)
print(cmp.table())
png, csv = cmp.save(OUT / "01_solvers_2d.png")
print(f"figure: {png}\ntable: {csv}")
