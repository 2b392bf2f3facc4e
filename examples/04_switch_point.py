# %% [markdown]
# # 4. The switch point, chosen online: the adaptive hybrid against Jacobi alone
#
# The hybrid of Xu et al. (2020, Fig. 4(d)) trains a Deep Ritz network for M steps and hands its
# output to Jacobi. The network removes the low frequencies fast (the F-Principle) — exactly the
# modes that Jacobi needs ~(n/π)² sweeps per e-fold for — and Jacobi removes the high ones fast.
# `switch="adaptive"` picks M while it runs, without the exact solution: from the residual of each
# snapshot it predicts the Jacobi sweeps still needed (the spectral cost model, see docs/hybrid.md),
# prices them with the measured seconds per sweep, and switches when the predicted total stops falling.
#
# On `multiscale_1d` (sin πx + sin 4πx / 4 + sin 12πx / 16) with n = 4096, on an idle 2-core
# machine, the policy switched at M ≈ 400 and the hybrid took about 2 s against Jacobi's 39 s
# (docs/figure4d.md). Whether the DNN pays depends on the price of a training step in Jacobi sweeps:
# on a loaded machine, or on the small test grid where Jacobi is cheap, the policy may keep the DNN
# phase short or skip it (M = 0) — and it says why. `info["switch_step"]` is M,
# `info["switch_reason"]` the decision in words, with the numbers it was made from.
#
# Run: `python examples/04_switch_point.py [--out DIR]` (default `examples/output/`, or
# `HYBRIDSOLVE_EXAMPLE_OUT=DIR`); `HYBRIDSOLVE_EXAMPLE_SIZE=test` runs a small, fast version.

# %%

import hybridsolve as hs

from _settings import OUT, SIZE  # examples/_settings.py: the size and the output folder

if SIZE == "normal":
    n, widths, max_dnn_steps = 4096, [1, 64, 64, 1], 4000
else:
    n, widths, max_dnn_steps = 256, [1, 16, 16, 1], 200
target = 1e-3

# %% [markdown]
# ## Jacobi alone, then the adaptive hybrid
#
# Both stop at ‖u − u_ref‖∞ ≤ 10⁻³ (`target_error`; the policy itself never looks at u_ref, the
# stopping rule does). The network has a hard boundary condition (`hard_bc=True`), full batch.

# %%
dnn = dict(widths=widths, activation="tanh", init_std=0.5, lr=1e-3, hard_bc=True)
# per-process costs first (Numba compilation, torch's first operations), so that the timed runs
# below are charged only for their own work — as the case files do
hs.solve(hs.problems.multiscale_1d(n=64), "hybrid", dnn=dnn, switch=2, target_error=1e-2)

prob = hs.problems.multiscale_1d(n=n)
print(prob, f"discretisation error {prob.discretisation_error():.2e}")
jac = hs.solve(prob, "jacobi", omega=1.0, target_error=target, maxiter=10**9)
print(f"Jacobi alone: {jac.iterations} sweeps, {jac.wall_time:.3f} s ({jac.reason})")

hyb = hs.solve(prob, "hybrid", dnn=dnn, classical="jacobi", switch="adaptive", target_error=target,
               max_dnn_steps=max_dnn_steps, maxiter=10**9, seed=0)
info = hyb.info
print(f"hybrid:       {hyb.wall_time:.3f} s ({hyb.reason}); DNN {info['time_dnn']:.3f} s, "
      f"Jacobi {info['time_classical']:.3f} s")
print(f'info["switch_step"]   = {info["switch_step"]}')
print(f'info["switch_reason"] = {info["switch_reason"]}')
print(f"speed-up over Jacobi alone: {jac.wall_time / hyb.wall_time:.2f}×")

# %% [markdown]
# ## Both runs on one figure
#
# The hybrid's history has two phases on one timeline (`dnn`, then `jacobi` from the hand-off).

# %%
cmp = hs.plots.compare({"hybrid (adaptive)": hyb.history, "Jacobi alone": jac.history}, target_error=target,
                       title=f"multiscale_1d, n = {n}: adaptive switch at M = {info['switch_step']} vs Jacobi alone")
print(cmp.table())
png, csv = cmp.save(OUT / "04_switch_point.png")
print(f"figure: {png}\ntable: {csv}")
