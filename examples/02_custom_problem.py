# %% [markdown]
# # 2. Your own problem, and its order of accuracy
#
# A `PoissonProblem` takes callables of the coordinate arrays for the source f, the Dirichlet
# boundary values g (here non-zero) and, when you know it, the exact solution. We build
#
#     u(x, y) = sin(πx) sinh(πy) / sinh(π) + ½ sin(3πx/2) sin(2πy) + x² y    on (0, 2) × (0, 1),
#
# so that f = −Δu = ½ (9π²/4 + 4π²) sin(3πx/2) sin(2πy) − 2y (the sinh term is harmonic) and g = u on
# the boundary, then solve it on finer and finer grids. The 5-point Laplacian is second order,
# so ‖u* − u_ref‖∞ ∝ h²: the log–log slope of error against h must be ≈ 2 — a check that source,
# boundary values and exact solution agree (a sign error or a wrong boundary gives slope ≈ 0).
#
# Run: `python examples/02_custom_problem.py [--out DIR]` (default `examples/output/`, or
# `HYBRIDSOLVE_EXAMPLE_OUT=DIR`); `HYBRIDSOLVE_EXAMPLE_SIZE=test` runs a small, fast version.

# %%

import numpy as np

import hybridsolve as hs
from hybridsolve.plots import new_figure, savefig

from _settings import OUT, SIZE  # examples/_settings.py: the size and the output folder

ms = [8, 16, 32, 64, 128, 256] if SIZE == "normal" else [8, 16, 32]   # intervals along y; 2m along x

# %% [markdown]
# ## The problem, as three callables

# %%
pi = np.pi


def exact(x, y):
    return np.sin(pi * x) * np.sinh(pi * y) / np.sinh(pi) + 0.5 * np.sin(1.5 * pi * x) * np.sin(2 * pi * y) + x**2 * y


def source(x, y):
    return 0.5 * (2.25 * pi**2 + 4 * pi**2) * np.sin(1.5 * pi * x) * np.sin(2 * pi * y) - 2 * y


def problem(m):
    return hs.PoissonProblem(domain=[(0, 2), (0, 1)], n=(2 * m, m), source=source, boundary=exact, exact=exact,
                             name="custom")


print(problem(ms[0]))
print("boundary values range:", problem(ms[0]).boundary_values.min(), "…", problem(ms[0]).boundary_values.max())

# %% [markdown]
# ## Errors on a sequence of grids
#
# The direct solver gives the discrete solution u* of each grid; multigrid, started from zero,
# must reach the same discretisation error (it only needs even n, which every grid here has).

# %%
spacings, errors = [], []
for m in ms:
    p = problem(m)
    res = hs.solve(p, "direct")
    spacings.append(p.grid.h[1])
    errors.append(res.error_inf)
    print(f"n = {p.grid.n}: h = {p.grid.h[1]:.5f}, ‖u* − u_ref‖∞ = {res.error_inf:.3e}")
slope = np.polyfit(np.log(spacings), np.log(errors), 1)[0]
print(f"log–log slope of the error against h: {slope:.3f}")
if abs(slope - 2) > 0.15:
    raise SystemExit(f"order of accuracy {slope:.3f} is not 2: source, boundary and exact solution disagree")

p = problem(ms[-1])
mg = hs.solve(p, "multigrid", target_error=1.01 * errors[-1], maxiter=50)
print(f"multigrid on n = {p.grid.n}: {mg.iterations} cycles, error {mg.error_inf:.3e} ({mg.reason})")

# %% [markdown]
# ## The figure: error against h (log–log) with the h² guide, and the finest solution

# %%
fig, (ax, ax_u) = new_figure(ncols=2, width=4.6, height=3.6)
h = np.array(spacings)
ax.loglog(h, errors, "o-", label=f"direct solver (slope {slope:.2f})")
ax.loglog(h, errors[-1] * (h / h[-1]) ** 2, "k:", label="∝ h²")
ax.set_xlabel("h")
ax.set_ylabel("‖u* − u_ref‖∞")
ax.legend(fontsize=8)
ax.set_title("order of accuracy", fontsize=9)
g = p.grid
im = ax_u.imshow(mg.u.T, origin="lower", extent=[*g.bounds[0], *g.bounds[1]], cmap="viridis", aspect="equal")
fig.colorbar(im, ax=ax_u, label="u", shrink=0.8)
ax_u.set_xlabel("x")
ax_u.set_ylabel("y")
ax_u.set_title(f"multigrid solution, n = {g.n[0]}×{g.n[1]} (non-zero boundary)", fontsize=9)
print("figure:", savefig(fig, OUT / "02_custom_problem.png"))
