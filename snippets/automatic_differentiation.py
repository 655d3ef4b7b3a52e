r"""Automatic differentiation: exact derivatives of a program, by the chain rule applied operation by operation.

Two small engines, each a few dozen lines:

* **forward mode** with dual numbers: every value carries a tangent $\dot v = \partial v / \partial x \cdot \dot x$,
  so one pass gives a Jacobian-vector product ``jvp(f, x, v) = (f(x), J v)``, like ``jax.jvp`` /
  ``torch.func.jvp``;
* **reverse mode** with a tape: the forward pass records each operation and its local derivatives,
  the backward pass sweeps the record in reverse accumulating adjoints $\bar v = \partial y / \partial v$,
  so one pass gives the whole gradient of a scalar, ``grad(f)(x) -> (value, gradient)``, like
  ``jax.value_and_grad`` (``torch.func.grad_and_value`` returns the same pair as
  ``(gradient, value)``; ``loss.backward()`` is the same sweep in PyTorch's eager mode).

Functions written for these engines use Python operators and the ``exp``, ``log``, ``sin``, ``cos``
and ``tanh`` defined here (which also accept plain floats). The backward sweep is iterative, so very
deep graphs do not hit Python's recursion limit.
"""

import math

import numpy as np
from termbook.checks import assert_close, assert_gradient_close, numerical_gradient

# ----------------------------------------------------------------------------- forward mode


class Dual:
    """A value and its tangent (directional derivative); immutable.

    Parameters
    ----------
    val : float
    dot : float
    """

    __slots__ = ("val", "dot")

    def __init__(self, val, dot=0.0):
        self.val, self.dot = float(val), float(dot)

    def __add__(self, o):
        o = o if isinstance(o, Dual) else Dual(o)
        return Dual(self.val + o.val, self.dot + o.dot)

    __radd__ = __add__

    def __sub__(self, o):
        o = o if isinstance(o, Dual) else Dual(o)
        return Dual(self.val - o.val, self.dot - o.dot)

    def __rsub__(self, o):
        return Dual(o) - self

    def __mul__(self, o):
        o = o if isinstance(o, Dual) else Dual(o)
        return Dual(self.val * o.val, self.dot * o.val + self.val * o.dot)

    __rmul__ = __mul__

    def __truediv__(self, o):
        o = o if isinstance(o, Dual) else Dual(o)
        return Dual(self.val / o.val, (self.dot * o.val - self.val * o.dot) / (o.val * o.val))

    def __rtruediv__(self, o):
        return Dual(o) / self

    def __neg__(self):
        return Dual(-self.val, -self.dot)

    def __pow__(self, k):
        if isinstance(k, (Dual, Var)):
            raise TypeError("only constant exponents are supported")
        return Dual(self.val**k, k * self.val ** (k - 1) * self.dot)


# ----------------------------------------------------------------------------- reverse mode


class Var:
    """A node of the computation graph: its value, its parents and the local derivatives towards them.

    Parameters
    ----------
    val : float
    parents : tuple of (Var, float)
        Each parent with ``d self / d parent`` evaluated in the forward pass.
    """

    __slots__ = ("val", "parents")

    def __init__(self, val, parents=()):
        self.val, self.parents = float(val), parents

    def __add__(self, o):
        o = o if isinstance(o, Var) else Var(o)
        return Var(self.val + o.val, ((self, 1.0), (o, 1.0)))

    __radd__ = __add__

    def __sub__(self, o):
        o = o if isinstance(o, Var) else Var(o)
        return Var(self.val - o.val, ((self, 1.0), (o, -1.0)))

    def __rsub__(self, o):
        return Var(o) - self

    def __mul__(self, o):
        o = o if isinstance(o, Var) else Var(o)
        return Var(self.val * o.val, ((self, o.val), (o, self.val)))

    __rmul__ = __mul__

    def __truediv__(self, o):
        o = o if isinstance(o, Var) else Var(o)
        return Var(self.val / o.val, ((self, 1.0 / o.val), (o, -self.val / (o.val * o.val))))

    def __rtruediv__(self, o):
        return Var(o) / self

    def __neg__(self):
        return Var(-self.val, ((self, -1.0),))

    def __pow__(self, k):
        if isinstance(k, (Dual, Var)):
            raise TypeError("only constant exponents are supported")
        return Var(self.val**k, ((self, k * self.val ** (k - 1)),))


def _unary(x, f, df):
    if isinstance(x, Dual):
        return Dual(f(x.val), df(x.val) * x.dot)
    if isinstance(x, Var):
        return Var(f(x.val), ((x, df(x.val)),))
    return f(x)


def exp(x):
    """exp for floats, :class:`Dual` and :class:`Var`."""
    return _unary(x, math.exp, math.exp)


def log(x):
    """Natural log for floats, :class:`Dual` and :class:`Var`."""
    return _unary(x, math.log, lambda v: 1.0 / v)


def sin(x):
    """sin for floats, :class:`Dual` and :class:`Var`."""
    return _unary(x, math.sin, math.cos)


def cos(x):
    """cos for floats, :class:`Dual` and :class:`Var`."""
    return _unary(x, math.cos, lambda v: -math.sin(v))


def tanh(x):
    """tanh for floats, :class:`Dual` and :class:`Var`; derivative ``1 - tanh^2``."""
    return _unary(x, math.tanh, lambda v: 1.0 - math.tanh(v) ** 2)


def backward(y):
    """Reverse sweep from a scalar output: adjoints ``d y / d node`` of every node (iterative topological order).

    Parameters
    ----------
    y : Var

    Returns
    -------
    adjoints : dict
        ``id(node) -> float``.
    n_edges : int
        Number of local-derivative multiplications performed (the cost of the sweep).
    """
    order, seen, stack = [], {id(y)}, [(y, False)]
    while stack:  # iterative post-order DFS: parents before children in `order`
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        stack.append((node, True))
        for p, _ in node.parents:
            if id(p) not in seen:
                seen.add(id(p))
                stack.append((p, False))
    adj, n_edges = {id(y): 1.0}, 0
    for node in reversed(order):
        a = adj.get(id(node), 0.0)
        for p, local in node.parents:
            adj[id(p)] = adj.get(id(p), 0.0) + a * local  # fan-out: contributions add up
            n_edges += 1
    return adj, n_edges


def grad(f):
    """Reverse-mode gradient of a scalar function, like ``jax.value_and_grad(f)``.

    Unlike ``jax.grad(f)``, which returns only the gradient, the returned function gives the
    value too (both come out of the same forward pass).

    Parameters
    ----------
    f : callable
        Takes a list of D scalars and returns one scalar, built from the operations above.

    Returns
    -------
    g : callable
        ``g(x)`` with x of shape (D,) returns ``(f(x), gradient of shape (D,))``.
    """

    def g(x):
        xs = [Var(v) for v in np.asarray(x, dtype=np.float64)]
        y = f(xs)
        if not isinstance(y, Var):  # f does not depend on its inputs
            return float(y), np.zeros(len(xs))
        adj, _ = backward(y)
        return y.val, np.array([adj.get(id(v), 0.0) for v in xs])

    return g


def jvp(f, x, v):
    """Forward-mode Jacobian-vector product of a scalar function, like ``jax.jvp(f, (x,), (v,))``.

    Parameters
    ----------
    f : callable
        List of D scalars -> scalar.
    x, v : ndarray of shape (D,)
        Point and tangent direction.

    Returns
    -------
    value : float
    directional_derivative : float
        ``grad f(x) . v``.
    """
    out = f([Dual(a, b) for a, b in zip(np.asarray(x, float), np.asarray(v, float))])
    return (out.val, out.dot) if isinstance(out, Dual) else (float(out), 0.0)


def example(z):
    """``f(x, y) = x y + sin(x)``, the running example; z is a list of 2 scalars."""
    x, y = z
    return x * y + sin(x)


def rosenbrock(z):
    """``sum 100 (z[i+1] - z[i]^2)^2 + (1 - z[i])^2`` written with Python operators (any engine)."""
    return sum(100.0 * (b - a * a) ** 2 + (1.0 - a) ** 2 for a, b in zip(z[:-1], z[1:]))


def _plain(f):
    return lambda x: float(f(list(np.asarray(x, dtype=np.float64))))


# ---------------------------------------------------------------- checks


def check_reverse_mode_matches_analytic_and_centred_differences():
    val, g = grad(example)(np.array([2.0, 3.0]))
    assert_close(val, 6.0 + math.sin(2.0), rtol=1e-15)
    assert_close(g, [3.0 + math.cos(2.0), 2.0], rtol=1e-15, what="exact gradient")
    x = np.array([-1.2, 1.0, 0.7, -0.3])
    _, g = grad(rosenbrock)(x)
    assert_gradient_close(g, numerical_gradient(_plain(rosenbrock), x.copy()), tol=1e-8)


def check_forward_mode_gives_directional_derivatives():
    rng = np.random.default_rng(0)
    x, v = rng.normal(size=4), rng.normal(size=4)
    _, g = grad(rosenbrock)(x)
    val, dd = jvp(rosenbrock, x, v)
    assert_close(val, _plain(rosenbrock)(x), rtol=1e-15)
    assert_close(dd, g @ v, rtol=1e-12, what="JVP = grad . v")
    # D forward passes with the unit vectors rebuild the whole gradient.
    assert_close([jvp(rosenbrock, x, e)[1] for e in np.eye(4)], g, rtol=1e-12)


def check_fan_out_contributions_are_summed():
    # x is used three times; d/dx (x*x*x + x) = 3x^2 + 1.
    _, g = grad(lambda z: z[0] * z[0] * z[0] + z[0])(np.array([1.5]))
    assert_close(g, [3 * 1.5**2 + 1], rtol=1e-15)


def check_quotient_log_exp_tanh_rules():
    f = lambda z: log(z[0]) / z[1] + exp(-z[0] * z[1]) - tanh(z[1]) ** 2 + cos(z[0])
    x = np.array([0.8, 1.3])
    _, g = grad(f)(x)
    assert_gradient_close(g, numerical_gradient(_plain(f), x.copy()), tol=1e-8)
    assert_close(jvp(f, x, np.array([1.0, 0.0]))[1], g[0], rtol=1e-12)


def check_backward_costs_a_constant_times_forward():
    # One backward edge per local derivative: each of the d - 1 terms of the sum costs exactly 14
    # multiply-adds, so a single sweep gives all d partials at a cost proportional to the forward pass.
    for d in (10, 100, 1000):
        xs = [Var(v) for v in np.linspace(-1, 1, d)]
        _, n_edges = backward(rosenbrock(xs))
        assert n_edges == 14 * (d - 1)


def check_very_deep_graph_and_constant_function():
    # 20 000 nested tanh calls: no recursion-limit error, and the chain rule product is exact.
    def deep(z):
        h = z[0]
        for _ in range(20000):
            h = tanh(h)
        return h

    val, g = grad(deep)(np.array([0.5]))
    h, expected = 0.5, 1.0
    for _ in range(20000):
        h = math.tanh(h)
        expected *= 1.0 - h * h
    assert_close(g, [expected], rtol=1e-9, what="product of 20 000 local derivatives")
    assert np.isfinite(val) and 0 < g[0] < 1  # each factor 1 - tanh^2 lies in (0, 1]
    assert np.array_equal(grad(lambda z: 3.0)(np.array([1.0, 2.0]))[1], np.zeros(2))


def finite_difference_errors(hs, x=2.0):
    """Errors of forward and centred differences for d/dx of ``x*y + sin x`` at (x, 3), for each step h.

    Returns
    -------
    forward_err, centred_err : ndarray of shape (len(hs),)
    """
    f = lambda t: t * 3.0 + math.sin(t)
    exact = 3.0 + math.cos(x)
    fwd = np.array([abs((f(x + h) - f(x)) / h - exact) for h in hs])
    cen = np.array([abs((f(x + h) - f(x - h)) / (2 * h) - exact) for h in hs])
    return fwd, cen


def plot_error_vs_step():
    """Figure: finite-difference error against h, and the error of automatic differentiation (needs matplotlib)."""
    import matplotlib.pyplot as plt

    hs = np.logspace(-15, -1, 57)
    fwd, cen = finite_difference_errors(hs)
    _, g = grad(example)(np.array([2.0, 3.0]))
    ad_err = abs(g[0] - (3.0 + math.cos(2.0)))
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.loglog(hs, np.maximum(fwd, 1e-17), "o-", markersize=3, label="forward difference (f(x+h) - f(x)) / h")
    ax.loglog(hs, np.maximum(cen, 1e-17), "s-", markersize=3, label="centred difference")
    ax.axhline(max(ad_err, 1e-16), color="black", linestyle="--", label="reverse-mode AD (exact to rounding)")
    ax.set_xlabel("step h")
    ax.set_ylabel("absolute error of df/dx")
    ax.legend(fontsize=8)
    ax.set_title("d/dx (x y + sin x) at (2, 3)", fontsize=10)
    fig.set_label(
        "Error of numerical derivatives against the step h on log-log axes: both finite-difference "
        "curves are V-shaped, falling as h shrinks until rounding error takes over (best about 1e-8 "
        "for forward and 1e-11 for centred differences), while automatic differentiation's error is a "
        "flat line at the level of rounding error"
    )
    return fig


if __name__ == "__main__":
    x = np.array([2.0, 3.0])
    val, g = grad(example)(x)
    print(f"f(x, y) = x*y + sin(x) at (2, 3): f = {val:.6f}")
    print(f"  reverse mode, one backward pass: grad = [{g[0]:.15f}, {g[1]:.15f}]")
    print(f"  exact:                           grad = [{3 + math.cos(2.0):.15f}, {2.0:.15f}]")
    print(f"  forward mode, one pass per input: df/dx = {jvp(example, x, [1, 0])[1]:.15f}, df/dy = {jvp(example, x, [0, 1])[1]:.15f}")
    fwd, cen = finite_difference_errors([1e-2, 1e-5, 1e-8])
    print("  finite-difference errors for h = 1e-2, 1e-5, 1e-8:")
    print("    forward:", "  ".join(f"{e:.1e}" for e in fwd))
    print("    centred:", "  ".join(f"{e:.1e}" for e in cen))
    for d in (10, 1000):
        xs = [Var(v) for v in np.linspace(-1, 1, d)]
        _, n = backward(rosenbrock(xs))
        print(f"Rosenbrock with D = {d}: reverse mode {n} edge updates in 1 sweep; forward mode needs {d} passes")
    plot_error_vs_step()
