"""The MLP and its hand-written training kernel, against autograd and independent computations."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from hybridsolve.nn import MLP, check_widths, forward_flops  # noqa: E402


pytestmark = pytest.mark.usefixtures("torch_one_thread")


def _loss_fn(c, cx):
    """A loss touching both h and its input gradient: Σ c h + ½ Σ cx hx² (and Σ c h² without hx)."""

    def fn(h, hx):
        if hx is None:
            return (c * h * h).sum(), 2 * c * h, None
        return (c * h).sum() + 0.5 * (cx * hx * hx).sum(), c, cx * hx

    return fn


@pytest.mark.parametrize("activation", ["tanh", "sin", "relu"])
@pytest.mark.parametrize("dim", [1, 2, 3])
@pytest.mark.parametrize("tangents", [False, True])
def test_value_and_grad_matches_autograd(activation, dim, tangents):
    net = MLP((dim, 9, 6, 1), activation=activation, init_std=0.7, seed=3, dtype="float64")
    gen = torch.Generator().manual_seed(1)
    x = torch.rand(13, dim, dtype=torch.float64, generator=gen)
    c = torch.randn(13, dtype=torch.float64, generator=gen)
    cx = torch.randn(dim, 13, dtype=torch.float64, generator=gen)
    loss = net.value_and_grad(x, _loss_fn(c, cx), tangents=tangents)
    ours = [p.grad.clone() for p in net.parameters()]
    net.zero_grad()
    xx = x.clone().requires_grad_(tangents)
    h = net(xx)
    if tangents:
        hx = torch.autograd.grad(h.sum(), xx, create_graph=True)[0].t()  # double backward reference
        ref = (c * h).sum() + 0.5 * (cx * hx * hx).sum()
    else:
        ref = (c * h * h).sum()
    ref.backward()
    assert float(loss) == pytest.approx(float(ref.detach()), rel=1e-12, abs=1e-12)
    for a, p in zip(ours, net.parameters()):
        np.testing.assert_allclose(a.numpy(), p.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("activation", ["tanh", "sin"])
def test_forward_mode_derivative_matches_autograd_and_differences(activation):
    net = MLP((2, 12, 12, 1), activation=activation, init_std=0.8, seed=5, dtype="float64")
    x = torch.rand(7, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    seen = {}

    def grab(h, hx):
        seen["h"], seen["hx"] = h.clone(), hx.clone()
        return h.sum(), torch.zeros_like(h), torch.zeros_like(hx)

    net.value_and_grad(x, grab, tangents=True)
    xx = x.clone().requires_grad_(True)
    h = net(xx)
    (g,) = torch.autograd.grad(h.sum(), xx)
    np.testing.assert_allclose(seen["h"].numpy(), h.detach().numpy(), rtol=1e-13)
    np.testing.assert_allclose(seen["hx"].numpy(), g.t().numpy(), rtol=1e-10, atol=1e-12)
    eps = 1e-6  # central differences, independent of both
    with torch.no_grad():
        fd = (net(x + torch.tensor([eps, 0.0], dtype=torch.float64)) - net(x - torch.tensor([eps, 0.0], dtype=torch.float64))) / (2 * eps)
    np.testing.assert_allclose(seen["hx"][0].numpy(), fd.numpy(), rtol=1e-6, atol=1e-8)


def test_gaussian_initialisation_of_weights_and_biases():
    net = MLP((1, 4000, 500, 1), init_std=0.02, seed=0)
    w = net.layers[1].detach().double().numpy()  # (500, 4001): weights and the bias column
    assert abs(w[:, :-1].std() - 0.02) < 0.02 * 0.01
    assert abs(w[:, :-1].mean()) < 1e-4
    b = np.concatenate([m.detach().double().numpy()[:, -1] for m in net.layers])
    assert abs(b.std() - 0.02) < 0.02 * 0.1  # biases too (4501 of them)


def test_seeded_initialisation_is_reproducible_and_leaves_global_rng():
    state = torch.get_rng_state()
    a = MLP((1, 16, 1), seed=4)
    b = MLP((1, 16, 1), seed=4)
    c = MLP((1, 16, 1), seed=5)
    assert torch.equal(state, torch.get_rng_state())
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert not torch.equal(a.layers[0], c.layers[0])


def test_evaluate_in_batches_matches_forward():
    net = MLP((2, 10, 1), activation="sin", init_std=0.5, seed=1, dtype="float64")
    pts = np.random.default_rng(0).random((1000, 2))
    out = net.evaluate(pts, batch=77)
    with torch.no_grad():
        ref = net(torch.as_tensor(pts)).numpy()
    np.testing.assert_allclose(out, ref, rtol=1e-14)


def test_forward_flops():
    assert forward_flops((1, 4000, 500, 400, 1), 1001) == 2 * 1001 * (4000 + 4000 * 500 + 500 * 400 + 400)


@pytest.mark.parametrize("bad", [(2, 8, 1), (1, 8, 2), (1,), (1, 0, 1), "abc", (1, 2.5, 1)])
def test_bad_widths(bad):
    with pytest.raises(ValueError, match="widths"):
        check_widths(bad, 1)


def test_bad_network_options():
    with pytest.raises(ValueError, match="activation"):
        MLP((1, 4, 1), activation="gelu")
    with pytest.raises(ValueError, match="init_std"):
        MLP((1, 4, 1), init_std=0.0)
    with pytest.raises(ValueError, match="init_std"):
        MLP((1, 4, 1), init_std=-1.0)
    with pytest.raises(ValueError, match="dtype"):
        MLP((1, 4, 1), dtype="float16")
