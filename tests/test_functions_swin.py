"""Parity of the functions Swin Transformer needs: torch.roll (one and
several axes, negative shifts, shifts beyond the size, a dynamic batch
axis, dims=None), F.normalize (p = 2, 1, 3, inf; eps), masked_fill,
assignment to part of a tensor (`x[i] = v`: numbers and tensors, ints,
slices with steps, ...), zeros/ones/full and new_zeros/new_ones/new_full
(sizes known or dynamic), F.linear, list.copy and x.numel(), a class whose
__init__ calls a method, and Swin's shifted-window attention mask.

Each case is one `def f(x0, ...)` written once: PyTorch runs it (the
reference) and pth2onnx converts it as the body of a one-model .arch whose
forward returns f(x0, ...) — parity.check_snippets (state_dict, onnx.checker,
ONNX Runtime at batch 1 and 3, max relative error <= 1e-4) at opsets 13 and
17, all models in one ONNX Runtime process.
"""
import inspect
import math
import textwrap

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import parity
from helpers import BIN  # noqa: F401  (conftest builds it)


class Fn(nn.Module):
    """Runs the case's f; params: {name: shape} of Parameters f may use
    as self.name (in the .arch, self. names the model's attribute)."""

    def __init__(self, code, params=None):
        super().__init__()
        for name, shape in (params or {}).items():
            setattr(self, name, nn.Parameter(torch.randn(shape)))
        ns = {"torch": torch, "F": F, "math": math, "nn": nn, "self": self}
        exec(textwrap.dedent(code), ns)
        self.f = ns["f"]

    def forward(self, *xs):
        return self.f(*xs)


def case(code, shapes, params=None):
    code = textwrap.dedent(code).strip("\n")
    init = [f"{n} = Parameter({tuple(s)})" for n, s in (params or {}).items()]
    args = ", ".join(f"x{i}" for i in range(len(shapes)))
    return dict(module=Fn(code, params), init=init + code.splitlines(),
                forward=f"f({args})", input_shapes=shapes)


ROLL = {
    "roll_one_axis": ("def f(x0):\n    return torch.roll(x0, 1, 1)", [(5,)]),
    "roll_negative": ("def f(x0):\n    return torch.roll(x0, -2, 2)", [(4, 6)]),
    "roll_two_axes": ("def f(x0):\n    return torch.roll(x0, shifts=(-3, 2), dims=(1, 2))",
                      [(5, 7, 2)]),
    "roll_method_beyond_size": ("def f(x0):\n    return x0.roll(7, -1)", [(3, 5)]),
    "roll_negative_beyond_size": ("def f(x0):\n    return x0.roll(-13, 1)", [(5, 2)]),
    "roll_multiple_of_size": ("def f(x0):\n    return x0.roll(8, 1) * 2", [(4,)]),
    "roll_same_dim_twice": ("def f(x0):\n    return torch.roll(x0, (1, 2), (1, 1))",
                            [(6,)]),
    "roll_dynamic_batch": ("def f(x0):\n    return torch.roll(x0, 1, 0)", [(3, 2)]),
    "roll_flat": ("def f(x0):\n    return torch.roll(x0, 4)", [(2, 3)]),
    "roll_flat_negative": ("def f(x0):\n    return x0.roll(-5)", [(3, 2)]),
    "roll_nhwc_and_back": ("""
        def f(x0):
            y = torch.roll(x0, shifts=(-3, -3), dims=(1, 2)) * 2
            return torch.roll(y, shifts=(3, 3), dims=(1, 2)) + y""", [(14, 14, 4)]),
}

NORMALIZE = {
    "normalize_default": ("def f(x0):\n    return F.normalize(x0)", [(4, 5)]),
    "normalize_last_dim": ("def f(x0):\n    return F.normalize(x0, dim=-1)", [(3, 4, 6)]),
    "normalize_p1": ("def f(x0):\n    return F.normalize(x0, p=1, dim=2)", [(3, 4)]),
    "normalize_p3": ("def f(x0):\n    return F.normalize(x0, 3.0, 1)", [(4, 2)]),
    "normalize_inf": ("def f(x0):\n    return F.normalize(x0, p=1e400, dim=1)", [(4, 2)]),
    "normalize_eps_clamps": ("def f(x0):\n    return F.normalize(x0 * 0.01, dim=1, eps=0.5)",
                             [(4,)]),
    "normalize_zero_row": ("def f(x0):\n    return F.normalize(x0 * 0, dim=1) + x0", [(4,)]),
}

MASKED_FILL = {
    "masked_fill_method": ("def f(x0):\n    return x0.masked_fill(x0 > 0, -1.5)", [(3, 4)]),
    "masked_fill_broadcast_mask": (
        "def f(x0, x1):\n    return torch.masked_fill(x0, x1[0] > 0.3, 2)", [(3, 4), (4,)]),
    "masked_fill_int_value": ("def f(x0):\n    return x0.masked_fill(x0 < 0, 7)", [(5,)]),
    "masked_fill_tensor_value": (
        "def f(x0):\n    return x0.masked_fill(x0 < 0, x0[0, 0, 0])", [(2, 3)]),
    "masked_fill_int_tensor": ("""
        def f(x0):
            return (x0 * 4).long().masked_fill(x0 > 0.5, -3).float()""", [(6,)]),
    "masked_fill_chain": ("""
        def f(x0):
            m = (x0 * 2).round()
            return m.masked_fill(m != 0, float(-100.0)).masked_fill(m == 0, float(0.0))""",
                          [(3, 3)]),
}

SETITEM = {
    "setitem_slice_number": ("""
        def f(x0):
            y = x0.clone()
            y[:, 1:3] = 0
            return y""", [(5,)]),
    "setitem_negative_bounds": ("""
        def f(x0):
            y = x0 * 1
            y[:, -3:-1, :-2] = 4.5
            return y""", [(5, 4)]),
    "setitem_step": ("""
        def f(x0):
            y = x0 + 0
            y[:, 0::2, 1::3] = -1
            return y""", [(5, 7)]),
    "setitem_int_index": ("""
        def f(x0):
            y = x0 + 0
            y[:, 2] = 3
            y[:, -1, 0] = 9
            return y""", [(4, 3)]),
    "setitem_ellipsis": ("""
        def f(x0):
            y = x0 + 0
            y[..., 1] = 5
            return y""", [(2, 3, 4)]),
    "setitem_tensor_value": ("""
        def f(x0, x1):
            y = x0 + 0
            y[:, 1:3, 2:5] = x1
            return y""", [(4, 6), (2, 3)]),
    "setitem_tensor_broadcast": ("""
        def f(x0, x1):
            y = x0 + 0
            y[:, 1, :] = x1[:, :1]
            y[..., 0:2] = x1[0, 0]
            return y""", [(3, 4), (2,)]),
    "setitem_augmented": ("""
        def f(x0):
            y = x0 + 0
            y[:, 1:] += 10
            return y""", [(3,)]),
    "setitem_on_new_zeros_int": ("""
        def f(x0):
            m = x0.new_zeros((6, 6))
            count = 0
            for h in ((0, -4), (-4, -2), (-2, None)):
                for w in ((0, -4), (-4, -2), (-2, None)):
                    m[h[0] : h[1], w[0] : w[1]] = count
                    count += 1
            return x0 + m""", [(6, 6)]),
}

FILLED = {
    "zeros_sizes": ("def f(x0):\n    return x0 + torch.zeros(3, 4)", [(3, 4)]),
    "ones_tuple": ("def f(x0):\n    return x0 * torch.ones((1, 4))", [(2, 4)]),
    "zeros_int64": ("""
        def f(x0):
            return ((x0 > 0).long() + torch.zeros(4, dtype=torch.int64)).float()""", [(4,)]),
    "full_float": ("def f(x0):\n    return x0 * torch.full((4,), 2.5)", [(4,)]),
    "full_int": ("def f(x0):\n    return x0 + torch.full((2, 1), 3)", [(2, 5)]),
    "new_zeros_dynamic": ("def f(x0):\n    return x0.new_zeros(x0.size(0), 4) + x0",
                          [(4,)]),
    "new_ones": ("def f(x0):\n    return x0.new_ones((4,)) - x0", [(4,)]),
    "new_full": ("def f(x0):\n    return x0.new_full((1, 4), 3) * x0", [(2, 4)]),
    "new_full_dynamic": ("""
        def f(x0):
            return x0.new_full((x0.size(0), 2, 3), -0.5) + x0""", [(2, 3)]),
}

LINEAR = {
    "linear_fn_2d": ("def f(x0):\n    return F.linear(x0, self.w, self.b)", [(4,)],
                     {"w": (3, 4), "b": (3,)}),
    "linear_fn_3d_no_bias": ("def f(x0):\n    return F.linear(x0, self.w)", [(5, 4)],
                             {"w": (6, 4)}),
    "linear_fn_0d_bias": ("def f(x0):\n    return F.linear(x0, self.w, self.b)",
                          [(2, 4)], {"w": (3, 4), "b": ()}),
    "list_copy_and_numel": ("""
        def f(x0):
            s = [1, 2]
            t = s.copy()
            t[0] = 5
            return x0 * s[0] * t[0] * x0[0].numel()""", [(3,)]),
}

WINDOW_MASK = """
def f(x0):
    pad_H, pad_W = 8, 8
    window_size, shift_size = [4, 4], [2, 2]
    num_windows = (pad_H // window_size[0]) * (pad_W // window_size[1])
    attn_mask = x0.new_zeros((pad_H, pad_W))
    h_slices = ((0, -window_size[0]), (-window_size[0], -shift_size[0]), (-shift_size[0], None))
    w_slices = ((0, -window_size[1]), (-window_size[1], -shift_size[1]), (-shift_size[1], None))
    count = 0
    for h in h_slices:
        for w in w_slices:
            attn_mask[h[0] : h[1], w[0] : w[1]] = count
            count += 1
    attn_mask = attn_mask.view(pad_H // window_size[0], window_size[0], pad_W // window_size[1], window_size[1])
    attn_mask = attn_mask.permute(0, 2, 1, 3).reshape(num_windows, window_size[0] * window_size[1])
    attn_mask = attn_mask.unsqueeze(1) - attn_mask.unsqueeze(2)
    attn_mask = attn_mask.masked_fill(attn_mask != 0, float(-100.0)).masked_fill(attn_mask == 0, float(0.0))
    x = torch.roll(x0, shifts=(-shift_size[0], -shift_size[1]), dims=(1, 2))
    x = x.view(-1, 2, 4, 2, 4).permute(0, 1, 3, 2, 4).reshape(-1, 4, 16)
    attn = (x.unsqueeze(-1) * x.unsqueeze(-2)).view(-1, num_windows, 1, 16, 16)
    return F.softmax(attn + attn_mask.unsqueeze(1).unsqueeze(0), dim=-1)
"""

ALL = {**ROLL, **NORMALIZE, **MASKED_FILL, **SETITEM, **FILLED, **LINEAR,
       "swin_window_mask": (WINDOW_MASK, [(8, 8)])}


@pytest.fixture(scope="module")
def results():
    torch.manual_seed(0)
    return parity.check_snippets({name: case(*spec) for name, spec in ALL.items()})


@pytest.mark.parametrize("name", list(ALL))
def test_parity(results, name):
    r = results[name]
    if isinstance(r, BaseException):
        raise r
    assert len(r) == 4  # opsets 13 and 17, batch 1 and 3
    print(name, "max relative error", max(e for *_, e in r))


class CallsMethodInInit(nn.Module):
    def __init__(self):
        super().__init__()
        self.build(4)

    def build(self, dim):
        self.fc = nn.Linear(dim, 3)

    def forward(self, x):
        return F.linear(x, self.fc.weight, self.fc.bias) + self.fc(x)


def test_class_init_calls_a_method_and_linear_bias_is_the_tensor(tmp_path):
    """A pasted class whose __init__ calls a method defined after it (as in
    Python); in forward, self.fc.bias is the weight tensor, not bias=True."""
    # the class above pasted as it is, and a model line
    src = inspect.getsource(CallsMethodInInit) + \
        "\nmodel m(x: [batch_size, 4]) -> y = CallsMethodInInit()\n"
    arch = tmp_path / "m.arch"
    arch.write_text(src)
    torch.manual_seed(0)
    rows = parity.check_model(CallsMethodInInit(), arch, (4,), forms=("state_dict",))
    assert len(rows) == 4


@pytest.mark.parametrize("body, message", [
    ("torch.roll(x0, (1, 2), 1)", "2 shifts but 1 dims"),
    ("torch.roll(x0, (1, 2))", "roll without dims takes one shift"),
    ("torch.roll(x0, 1.5, 1)", "shifts must be ints"),
    ("F.normalize(x0, p=0)", "normalize supports p > 0"),
    ("x0.masked_fill(x0 > 0, x0)", "value must be a number or a 0-D tensor"),
    ("F.linear(x0, x0[0])", "the weight must be 2-D"),
    ("F.linear(x0, x0[:, :3])", "the input has 4 features in the last dimension, the weight 3"),
])
def test_errors(tmp_path, body, message):
    _fails(tmp_path, [], body, message)


@pytest.mark.parametrize("lines, message", [
    (["y = x0 + 0", "y[x0 > 0] = 1"], "indices must be ints, slices or ..."),
    (["y = x0 + 0", "y[0, 1] = 1"], "dimension of run-time size"),
    (["y = x0 + 0", "y[:, 9] = 1"], "index 9 is out of range"),
    (["y = x0 + 0", "y[:, ::-1] = 1"], "slice steps must be positive"),
    (["y = x0 + 0", "y[:, 0::2] = x0[:, 0:2]"], "slice with a step"),
    (["y = x0 + 0", "y[:, 0:2] = x0[:, 0:3]"], "does not match the region"),
    (["y = x0.new_zeros(3, x0.size(0))", "y[0, 0] = 1"], "dimension of run-time size"),
])
def test_setitem_errors(tmp_path, lines, message):
    _fails(tmp_path, lines, "y", message)


def _fails(tmp_path, lines, ret, message):
    body = "".join(f"        {line}\n" for line in lines)
    arch = tmp_path / "bad.arch"
    arch.write_text(f"model m(x0: [batch_size, 4]) -> y:\n    forward(x0):\n{body}"
                    f"        return {ret}\n")
    ckpt = tmp_path / "empty.pth"
    torch.save({}, ckpt)
    res = parity.convert(ckpt, arch, tmp_path / "bad.onnx")
    assert res.returncode != 0
    assert message in res.stderr, res.stderr
