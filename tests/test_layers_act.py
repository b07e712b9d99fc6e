"""Parity of activations and normalisation layers (and their functional
forms) with PyTorch: each option of each layer through check_snippet, at
opsets 13 and 17 and at the opset where the ONNX form changes (Gelu 20,
Mish 18, HardSwish 14, LayerNormalization 17, GroupNormalization 21).

Inputs are standard normal, scaled in the forward expression where the
interesting regions need it (Softplus above its threshold, Hardswish
outside [-3, 3], ReLU6 above 6, ...): the reference module applies the
same scale."""
import tempfile
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
import torchvision
from torch import nn

import parity
from helpers import ROOT

BASE = (13, 17)
# PyTorch's own warnings for options these tests use on purpose
pytestmark = [pytest.mark.filterwarnings("ignore:Implicit dimension choice"),
              pytest.mark.filterwarnings("ignore:keyword argument m")]


class Net(nn.Module):
    """forward(*xs) = fn(self, *xs); children are registered as given, so
    state_dict keys match the .arch names."""

    def __init__(self, fn, **children):
        super().__init__()
        for name, child in children.items():
            setattr(self, name, child)
        self.fn = fn

    def forward(self, *xs):
        return self.fn(self, *xs)


def randomize_stats(module, seed=1):
    """Running statistics of instance norms (randomize() only knows BN)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in module.modules():
            if isinstance(m, nn.modules.instancenorm._InstanceNorm) and m.track_running_stats:
                m.running_mean.copy_(torch.randn(m.num_features, generator=g) * 0.5)
                m.running_var.copy_(torch.rand(m.num_features, generator=g) * 1.5 + 0.25)
    return module


def scaled(scale):
    return "x0" if scale == 1 else f"x0 * {scale}"


def layer(cid, torch_layer, arch_ctor, shape=(3, 4, 5), scale=1, opsets=BASE, **kw):
    """A torch.nn layer against `layer = <arch_ctor>` applied to x0*scale."""
    return pytest.param(
        lambda: Net(lambda m, x: m.layer(x * scale), layer=torch_layer()),
        [f"layer = {arch_ctor}"], f"layer({scaled(scale)})", [shape], opsets, kw, id=cid)


def fn(cid, torch_fn, arch_expr, shape=(3, 4, 5), scale=1, opsets=BASE, **kw):
    """A function: arch_expr uses {x} for the (scaled) input."""
    return pytest.param(
        lambda: Net(lambda m, x: torch_fn(x * scale)), [],
        arch_expr.format(x=f"({scaled(scale)})"), [shape], opsets, kw, id=cid)


def custom(cid, module, init, expr, shape=(3, 4, 5), opsets=BASE, **kw):
    return pytest.param(module, init, expr, [shape], opsets, kw, id=cid)


ACTIVATIONS = [
    layer("ReLU6", nn.ReLU6, "ReLU6()", scale=5),
    layer("ReLU6-inplace", lambda: nn.ReLU6(inplace=True), "ReLU6(inplace=True)", scale=5),
    fn("relu6", F.relu6, "F.relu6({x})", scale=5),
    layer("LeakyReLU", nn.LeakyReLU, "LeakyReLU()"),
    layer("LeakyReLU-0.2", lambda: nn.LeakyReLU(0.2), "LeakyReLU(0.2)"),
    fn("leaky_relu", lambda x: F.leaky_relu(x, negative_slope=-0.3),
       "F.leaky_relu({x}, negative_slope=-0.3)"),
    layer("PReLU", nn.PReLU, "PReLU()"),
    layer("PReLU-channels", lambda: nn.PReLU(3), "PReLU(3)"),
    layer("PReLU-channels-2d", lambda: nn.PReLU(6), "PReLU(6)", shape=(6,)),
    layer("PReLU-channels-3d", lambda: nn.PReLU(2), "PReLU(None)", shape=(2, 3, 4, 5)),
    custom("prelu", lambda: Net(lambda m, x: F.prelu(x, m.p.weight), p=nn.PReLU(3)),
           ["p = PReLU(3)"], "F.prelu(x0, p.weight)"),
    layer("ELU", nn.ELU, "ELU()", scale=3),
    layer("ELU-alpha", lambda: nn.ELU(alpha=0.5), "ELU(alpha=0.5)", scale=3),
    fn("elu", lambda x: F.elu(x, 2.0), "F.elu({x}, 2.0)", scale=3),
    layer("SELU", nn.SELU, "SELU()", scale=3),
    fn("selu", torch.selu, "torch.selu({x})", scale=3),
    layer("CELU", nn.CELU, "CELU()", scale=3),
    layer("CELU-alpha", lambda: nn.CELU(alpha=2.0), "CELU(alpha=2.0)", scale=3),
    fn("celu", lambda x: F.celu(x, 0.5), "F.celu({x}, 0.5)", scale=3),
    layer("GELU", nn.GELU, "GELU()", scale=3, opsets=BASE + (20,)),
    layer("GELU-tanh", lambda: nn.GELU(approximate="tanh"), "GELU(approximate='tanh')",
          scale=3, opsets=BASE + (20,)),
    fn("gelu", F.gelu, "F.gelu({x})", scale=3, opsets=BASE + (20,)),
    fn("gelu-tanh", lambda x: F.gelu(x, approximate="tanh"),
       "F.gelu({x}, approximate='tanh')", scale=3, opsets=BASE + (20,)),
    layer("SiLU", nn.SiLU, "SiLU()", scale=4),
    fn("silu", F.silu, "F.silu({x})", scale=4),
    layer("Mish", nn.Mish, "Mish()", scale=8, opsets=BASE + (18,)),
    fn("mish", F.mish, "F.mish({x})", scale=8, opsets=BASE + (18,)),
    layer("Hardswish", nn.Hardswish, "Hardswish()", scale=4, opsets=(13, 14, 17)),
    fn("hardswish", F.hardswish, "F.hardswish({x})", scale=4, opsets=(13, 14, 17)),
    layer("Hardsigmoid", nn.Hardsigmoid, "Hardsigmoid()", scale=4),
    fn("hardsigmoid", F.hardsigmoid, "F.hardsigmoid({x})", scale=4),
    layer("Hardtanh", nn.Hardtanh, "Hardtanh()", scale=3),
    layer("Hardtanh-range", lambda: nn.Hardtanh(-2.0, 0.5), "Hardtanh(-2.0, 0.5)", scale=3),
    layer("Hardtanh-min_value", lambda: nn.Hardtanh(min_value=-0.25, max_value=2.0),
          "Hardtanh(min_value=-0.25, max_value=2.0)", scale=3),
    fn("hardtanh", lambda x: F.hardtanh(x, -0.5, 1.5), "F.hardtanh({x}, -0.5, 1.5)", scale=3),
    layer("Sigmoid", nn.Sigmoid, "Sigmoid()", scale=4),
    fn("sigmoid", torch.sigmoid, "torch.sigmoid({x})", scale=4),
    fn("sigmoid-method", lambda x: x.sigmoid(), "{x}.sigmoid()", scale=4),
    layer("Tanh", nn.Tanh, "Tanh()", scale=2),
    fn("tanh", torch.tanh, "torch.tanh({x})", scale=2),
    fn("tanh-method", lambda x: x.tanh(), "{x}.tanh()", scale=2),
    layer("Softsign", nn.Softsign, "Softsign()", scale=4),
    fn("softsign", F.softsign, "F.softsign({x})", scale=4),
    # |x| up to ~100: above the threshold 20 and where exp(x) overflows float32
    layer("Softplus", nn.Softplus, "Softplus()", scale=30),
    layer("Softplus-beta-threshold", lambda: nn.Softplus(beta=2, threshold=5),
          "Softplus(beta=2, threshold=5)", scale=8),
    layer("Softplus-small-beta", lambda: nn.Softplus(beta=0.5, threshold=30),
          "Softplus(beta=0.5, threshold=30)", scale=40),
    fn("softplus", lambda x: F.softplus(x, beta=3, threshold=10),
       "F.softplus({x}, beta=3, threshold=10)", scale=8),
    layer("Threshold", lambda: nn.Threshold(0.1, 20.0), "Threshold(0.1, 20.0)"),
    fn("threshold", lambda x: F.threshold(x, -0.5, -3.0), "F.threshold({x}, -0.5, -3.0)"),
]

SOFTMAX = [
    layer("Softmax-dim1", lambda: nn.Softmax(dim=1), "Softmax(dim=1)", scale=3),
    layer("Softmax-dim-1", lambda: nn.Softmax(-1), "Softmax(-1)", scale=3),
    # dim=None: PyTorch's legacy choice (0 for 3-D inputs: the batch; 1 for 2-D and 4-D)
    layer("Softmax-none-3d", nn.Softmax, "Softmax()", shape=(4, 5), scale=3),
    layer("Softmax-none-2d", nn.Softmax, "Softmax()", shape=(7,), scale=3),
    layer("Softmax-none-4d", nn.Softmax, "Softmax()", shape=(3, 4, 5), scale=3),
    fn("softmax", lambda x: torch.softmax(x, -1), "torch.softmax({x}, -1)", scale=3),
    fn("softmax-F-dim", lambda x: F.softmax(x, dim=2), "F.softmax({x}, dim=2)", scale=3),
    fn("softmax-method", lambda x: x.softmax(1), "{x}.softmax(1)", scale=3),
    fn("softmax-dtype", lambda x: F.softmax(x, 1, dtype=torch.float32),
       "F.softmax({x}, 1, dtype=torch.float32)", scale=3),
    layer("LogSoftmax", lambda: nn.LogSoftmax(dim=1), "LogSoftmax(dim=1)", scale=3),
    layer("LogSoftmax-none", nn.LogSoftmax, "LogSoftmax()", shape=(7,), scale=3),
    fn("log_softmax", lambda x: F.log_softmax(x, -1), "F.log_softmax({x}, -1)", scale=3),
    layer("Softmax2d", nn.Softmax2d, "Softmax2d()", scale=3),
]

NORMS = [
    layer("LayerNorm", lambda: nn.LayerNorm(5), "LayerNorm(5)", scale=3),
    layer("LayerNorm-2dims", lambda: nn.LayerNorm((4, 5)), "LayerNorm((4, 5))", scale=3),
    layer("LayerNorm-no-affine", lambda: nn.LayerNorm([5], elementwise_affine=False),
          "LayerNorm([5], elementwise_affine=False)", scale=3),
    layer("LayerNorm-eps", lambda: nn.LayerNorm([3, 4, 5], eps=1e-2),
          "LayerNorm([3, 4, 5], eps=1e-2)", scale=0.1),
    layer("LayerNorm-from-weight", lambda: nn.LayerNorm((4, 5)), "LayerNorm(None)"),
    layer("LayerNorm-2d-input", lambda: nn.LayerNorm(8), "LayerNorm(8)", shape=(8,)),
    fn("layer_norm", lambda x: F.layer_norm(x, (5,)), "F.layer_norm({x}, (5,))", scale=3),
    custom("layer_norm-weights",
           lambda: Net(lambda m, x: F.layer_norm(x, (4, 5), m.ln.weight, m.ln.bias, 1e-3),
                       ln=nn.LayerNorm((4, 5))),
           ["ln = LayerNorm((4, 5))"], "F.layer_norm(x0, (4, 5), ln.weight, ln.bias, 1e-3)"),
    custom("layer_norm-weight-only",
           lambda: Net(lambda m, x: F.layer_norm(x, (5,), weight=m.ln.weight),
                       ln=nn.LayerNorm(5)),
           ["ln = LayerNorm(5)"], "F.layer_norm(x0, (5,), weight=ln.weight)"),
    layer("GroupNorm", lambda: nn.GroupNorm(2, 6), "GroupNorm(2, 6)", shape=(6, 4, 5),
          scale=3, opsets=BASE + (21,)),
    layer("GroupNorm-no-affine", lambda: nn.GroupNorm(3, 6, affine=False),
          "GroupNorm(3, 6, affine=False)", shape=(6, 4, 5), opsets=BASE + (21,)),
    layer("GroupNorm-eps-2d", lambda: nn.GroupNorm(1, 6, eps=1e-2), "GroupNorm(1, 6, eps=1e-2)",
          shape=(6,), scale=0.1),
    layer("GroupNorm-1d", lambda: nn.GroupNorm(4, 8), "GroupNorm(4)", shape=(8, 7)),
    layer("GroupNorm-3d", lambda: nn.GroupNorm(6, 6), "GroupNorm(6, 6)", shape=(6, 2, 3, 4)),
    layer("GroupNorm-dynamic-hw", lambda: nn.GroupNorm(2, 6), "GroupNorm(2, 6)",
          shape=(6, 4, 5), extra=("--input", "x0:batch_size,6,H,W")),
    fn("group_norm", lambda x: F.group_norm(x, 3), "F.group_norm({x}, 3)", shape=(6, 4, 5)),
    custom("group_norm-weights",
           lambda: Net(lambda m, x: F.group_norm(x, 2, m.gn.weight, m.gn.bias, 1e-3),
                       gn=nn.GroupNorm(2, 6)),
           ["gn = GroupNorm(2, 6)"], "F.group_norm(x0, 2, gn.weight, gn.bias, 1e-3)",
           shape=(6, 4, 5)),
    layer("InstanceNorm1d", lambda: nn.InstanceNorm1d(6), "InstanceNorm1d(6)", shape=(6, 10)),
    layer("InstanceNorm2d-affine", lambda: nn.InstanceNorm2d(6, affine=True),
          "InstanceNorm2d(6, affine=True)", shape=(6, 4, 5)),
    layer("InstanceNorm3d-eps", lambda: nn.InstanceNorm3d(4, eps=1e-2),
          "InstanceNorm3d(4, eps=1e-2)", shape=(4, 2, 3, 4), scale=0.1),
    custom("InstanceNorm2d-running-stats",
           lambda: randomize_stats(Net(lambda m, x: m.layer(x),
                                       layer=nn.InstanceNorm2d(6, track_running_stats=True))),
           ["layer = InstanceNorm2d(6, track_running_stats=True)"], "layer(x0)", shape=(6, 4, 5)),
    custom("InstanceNorm1d-affine-running-stats",
           lambda: randomize_stats(Net(lambda m, x: m.layer(x), layer=nn.InstanceNorm1d(
               6, affine=True, track_running_stats=True))),
           ["layer = InstanceNorm1d(None, affine=True, track_running_stats=True)"], "layer(x0)",
           shape=(6, 10)),
    fn("instance_norm", F.instance_norm, "F.instance_norm({x})", shape=(6, 4, 5)),
    custom("instance_norm-weights",
           lambda: Net(lambda m, x: F.instance_norm(x, weight=m.n.weight, bias=m.n.bias, eps=1e-3),
                       n=nn.InstanceNorm2d(6, affine=True)),
           ["n = InstanceNorm2d(6, affine=True)"],
           "F.instance_norm(x0, weight=n.weight, bias=n.bias, eps=1e-3)", shape=(6, 4, 5)),
    custom("instance_norm-running-stats",
           lambda: randomize_stats(Net(
               lambda m, x: F.instance_norm(x, m.n.running_mean, m.n.running_var,
                                            use_input_stats=False),
               n=nn.InstanceNorm1d(6, track_running_stats=True))),
           ["n = InstanceNorm1d(6, track_running_stats=True)"],
           "F.instance_norm(x0, n.running_mean, n.running_var, use_input_stats=False)",
           shape=(6, 10)),
    # alpha large enough that the neighbourhood matters; odd and even sizes
    layer("LocalResponseNorm", lambda: nn.LocalResponseNorm(3, alpha=0.5),
          "LocalResponseNorm(3, alpha=0.5)", shape=(6, 4, 5), scale=2),
    layer("LocalResponseNorm-even", lambda: nn.LocalResponseNorm(4, alpha=0.9, beta=0.6, k=2.0),
          "LocalResponseNorm(4, alpha=0.9, beta=0.6, k=2.0)", shape=(6, 4, 5), scale=2),
    layer("LocalResponseNorm-default", lambda: nn.LocalResponseNorm(2),
          "LocalResponseNorm(2)", shape=(5, 4, 5), scale=30),
    layer("LocalResponseNorm-3d-input", lambda: nn.LocalResponseNorm(2, alpha=0.5),
          "LocalResponseNorm(2, alpha=0.5)", shape=(6, 10), scale=2),
    layer("LocalResponseNorm-5d-input", lambda: nn.LocalResponseNorm(5, alpha=0.5),
          "LocalResponseNorm(5, alpha=0.5)", shape=(7, 2, 3, 4), scale=2),
    fn("local_response_norm", lambda x: F.local_response_norm(x, 6, alpha=0.3, k=0.5),
       "F.local_response_norm({x}, 6, alpha=0.3, k=0.5)", shape=(8, 3, 3), scale=2),
    layer("StochasticDepth", lambda: torchvision.ops.StochasticDepth(0.2, "row"),
          "StochasticDepth(0.2, 'row')"),
    fn("stochastic_depth",
       lambda x: torchvision.ops.stochastic_depth(x, 0.5, "batch", training=False),
       "stochastic_depth({x}, 0.5, 'batch', training=False)"),
]


CASES = {p.id: p.values for p in ACTIVATIONS + SOFTMAX + NORMS}


@pytest.fixture(scope="module")
def results(request):
    """Every selected case converted, then run in one ONNX Runtime process
    (parity.check_snippets): a process per case would take most of the
    time."""
    wanted = [item.callspec.params["case"] for item in request.session.items
              if getattr(item, "function", None) is test_parity]
    cases = {}
    for cid in wanted:
        module, init, expr, shapes, opsets, kw = CASES[cid]
        cases[cid] = dict(module=module(), init=init, forward=expr, input_shapes=shapes,
                          opsets=opsets, **kw)
    return parity.check_snippets(cases)


@pytest.mark.parametrize("case", list(CASES))
def test_parity(case, results):
    report = results[case]
    if isinstance(report, BaseException):
        raise report
    assert {r[1] for r in report} == set(CASES[case][4])


def test_layer_norm_channels_last():
    """ConvNeXt's LayerNorm over channels: permute to NHWC, LayerNorm(C), back."""
    net = Net(lambda m, x: m.ln(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2), ln=nn.LayerNorm(6))
    parity.check_snippet(net, ["ln = LayerNorm(6)"],
                         "ln(x0.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)", [(6, 4, 5)])


def test_harness_sees_a_wrong_activation():
    """The parity check can fail: Softplus converted where PyTorch has Mish."""
    with pytest.raises(AssertionError, match="relative error"):
        parity.check_snippet(Net(lambda m, x: F.mish(x)), [], "F.softplus(x0)", [(4, 5)],
                             opsets=(17,))


ERRORS = [
    ("layer = GroupNorm(4, 6, affine=False)", "layer(x0)", "not divisible"),
    ("layer = Softmax(dim=4)", "layer(x0)", "dim out of range"),
    ("layer = GELU(approximate='fast')", "layer(x0)", "approximate must be 'none' or 'tanh'"),
    ("layer = PReLU(5)", "layer(x0)", "5 slopes for 6 channels"),
    ("layer = LocalResponseNorm(0)", "layer(x0)", "size must be at least 1"),
    ("layer = StochasticDepth(1.5, 'row')", "layer(x0)", "between 0 and 1"),
    ("layer = LayerNorm(7, elementwise_affine=False)", "layer(x0)", "normalized_shape[0] is 7"),
    ("pass", "F.softmax(x0, 1, dtype=torch.float16)", "dtype"),
    ("layer = GroupNorm(2, 6)", "layer(x0)", "missing key layer.bias"),
    ("layer = LayerNorm((4, 5))", "layer(x0)", "missing key layer.bias"),
    ("layer = InstanceNorm2d(6, affine=True)", "layer(x0)", "missing key layer.bias"),
]


@pytest.mark.parametrize("init,expr,message", ERRORS,
                         ids=[e[0].split("= ")[-1] if "=" in e[0] else e[1] for e in ERRORS])
def test_errors_point_at_the_call(init, expr, message):
    """Options that cannot be converted fail at the call site (exit 5; 6 when binding rejects a hyper-parameter)."""
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        arch = tmp / "m.arch"
        arch.write_text(f"model m(x0: [batch_size, 6, 4, 5]) -> y:\n    {init}\n\n"
                        f"    forward(x0):\n        return {expr}\n")
        sd = {}
        if "PReLU" in init:
            sd = {"layer.weight": torch.rand(5)}
        torch.save(sd, tmp / "m.pth")
        res = parity.convert(tmp / "m.pth", arch, tmp / "m.onnx")
    assert res.returncode in (5, 6), res.stderr
    assert message in res.stderr and "m.arch:" in res.stderr, res.stderr
