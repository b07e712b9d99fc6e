"""Parity of the spatial layers and functions against PyTorch: convolution
variants, transposed convolution, Bilinear, pooling (average, max,
adaptive), Upsample/interpolate, pixel and channel shuffles, padding.

Each case is one `.arch` snippet and the PyTorch module or function it
transcribes; it is converted at opsets 13 and 17, checked by onnx.checker
and run by ONNX Runtime at batch 1 and 3 (max relative error <= 1e-4, the
harness of tests/parity.py).  The cases of one test are run by a single
ONNX Runtime process to keep the file fast.  Cases with a dynamic spatial
size feed a different spatial size at batch 3 than at batch 1.
"""
import tempfile
from pathlib import Path

import numpy as np
import onnx
import onnx.defs
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

import parity

OPSETS = (13, 17)
WORST = {"err": 0.0, "checks": 0}


class Ref(nn.Module):
    """The PyTorch reference: `layer` (optional) and a forward function."""

    def __init__(self, fn, layer=None):
        super().__init__()
        if layer is not None:
            self.layer = layer
        self.fn = fn

    def forward(self, *xs):
        return self.fn(self, *xs)


def L(init, layer, shape, fwd="layer(x0)", ref=None, **kw):
    """A layer case: `init` is the .arch constructor call for `layer`."""
    return dict(init=[f"layer = {init}"], forward=fwd, shapes=[shape],
                model=Ref(ref or (lambda m, x: m.layer(x)), layer), id=init, **kw)


def Fn(expr, fn, shapes, **kw):
    """A function case: `expr` over x0, x1, ...; fn the PyTorch function."""
    shapes = shapes if isinstance(shapes, list) else [shapes]
    return dict(init=[], forward=expr, shapes=shapes, model=Ref(lambda m, *xs: fn(*xs)),
                id=expr, **kw)


def snippet(case):
    shapes = case["shapes"]
    decl = ", ".join(f"x{i}: [batch_size, {', '.join(map(str, s))}]" for i, s in enumerate(shapes))
    params = ", ".join(f"x{i}" for i in range(len(shapes)))
    body = "".join(f"    {line}\n" for line in case["init"]) or "    pass\n"
    return (f"model m({decl}) -> y:\n{body}\n    forward({params}):\n"
            f"        return {case['forward']}\n")


def run_cases(cases, seed=0):
    """Convert every case, run all in one ONNX Runtime process, compare."""
    failures, jobs, labels = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        rng = np.random.default_rng(seed)
        for ci, case in enumerate(cases):
            model = parity.randomize(case["model"], seed).eval()
            batches = case.get("batches", (1, 3))
            shapes = {1: case["shapes"], 3: case.get("shapes3", case["shapes"])}
            xs = {b: [rng.standard_normal((b, *s)).astype(np.float32) for s in shapes[b]]
                  for b in batches}
            with torch.no_grad():
                want = {b: model(*[torch.from_numpy(x) for x in xs[b]]).numpy() for b in batches}
            arch = tmp / f"c{ci}.arch"
            arch.write_text(snippet(case))
            ckpt = tmp / f"c{ci}.pth"
            torch.save(model.state_dict(), ckpt)
            for opset in case.get("opsets", OPSETS):
                out = tmp / f"c{ci}_{opset}.onnx"
                res = parity.convert(ckpt, arch, out, "--opset", str(opset), *case.get("extra", ()))
                if res.returncode != 0:
                    failures.append(f"{case['id']} opset {opset}: convert failed: {res.stderr}")
                    continue
                try:
                    if opset <= onnx.defs.onnx_opset_version():  # else ONNX Runtime only
                        onnx.checker.check_model(str(out), full_check=True)
                except Exception as e:  # noqa: BLE001 - reported with the case
                    failures.append(f"{case['id']} opset {opset}: checker: {e}")
                    continue
                names = [i.name for i in onnx.load(str(out)).graph.input]
                for b in batches:
                    jobs.append((out, dict(zip(names, xs[b]))))
                    labels.append((case["id"], opset, b, want[b]))
        results = parity.run_ort_jobs(jobs, tmp) if jobs else []
    for (cid, opset, b, w), got in zip(labels, results):
        g = got[0]
        if g.shape != w.shape:
            failures.append(f"{cid} opset {opset} batch {b}: shape {g.shape} != {w.shape}")
            continue
        e = parity.rel_err(g, w)
        WORST["err"] = max(WORST["err"], e)
        WORST["checks"] += 1
        if e > parity.MAX_REL_ERR:
            failures.append(f"{cid} opset {opset} batch {b}: relative error {e:.3g}")
    assert not failures, "\n".join(failures)


def convert_error(init, forward, shape, model=None):
    """Convert a snippet that must fail; returns stderr."""
    case = dict(init=init, forward=forward, shapes=[shape])
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "a.arch").write_text(snippet(case))
        torch.save((model or nn.Module()).state_dict(), tmp / "w.pth")
        res = parity.convert(tmp / "w.pth", tmp / "a.arch", tmp / "o.onnx")
    assert res.returncode != 0, "conversion should have failed"
    assert "a.arch:" in res.stderr  # the error points at the call site
    return res.stderr


DYN2 = dict(extra=("--input", "x0:batch_size,3,H,W"))


# ------------------------------------------------------------ convolution
def test_conv_options():
    run_cases([
        L("Conv2d(3, 6, 3, stride=2, padding=1)", nn.Conv2d(3, 6, 3, stride=2, padding=1), (3, 9, 9)),
        L("Conv2d(4, 6, (3, 2), stride=(2, 1), padding=(1, 0), dilation=(2, 1), groups=2)",
          nn.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=(1, 0), dilation=(2, 1), groups=2),
          (4, 10, 9)),
        L("Conv2d(6, 6, 3, padding=1, groups=6, bias=False)",  # depthwise
          nn.Conv2d(6, 6, 3, padding=1, groups=6, bias=False), (6, 7, 8)),
        L("Conv2d(3, 6, 3, groups=3)", nn.Conv2d(3, 6, 3, groups=3), (3, 7, 7)),  # multiplier 2
        L("Conv2d(3, 4, 4, padding='same', dilation=2)",
          nn.Conv2d(3, 4, 4, padding="same", dilation=2), (3, 9, 8)),
        L("Conv2d(3, 4, (2, 3), padding='same')", nn.Conv2d(3, 4, (2, 3), padding="same"), (3, 6, 7)),
        L("Conv2d(3, 4, 3, padding='valid')", nn.Conv2d(3, 4, 3, padding="valid"), (3, 6, 7)),
        L("Conv1d(3, 4, 5, stride=3, padding=2, dilation=2)",
          nn.Conv1d(3, 4, 5, stride=3, padding=2, dilation=2), (3, 20)),
        L("Conv1d(4, 4, 4, padding='same', groups=4)", nn.Conv1d(4, 4, 4, padding="same", groups=4), (4, 11)),
        L("Conv3d(2, 4, (3, 2, 3), stride=(1, 2, 2), padding=(1, 0, 1), groups=2)",
          nn.Conv3d(2, 4, (3, 2, 3), stride=(1, 2, 2), padding=(1, 0, 1), groups=2), (2, 5, 6, 7)),
        L("Conv2d(3, 4, 3, stride=2, padding=1)", nn.Conv2d(3, 4, 3, stride=2, padding=1), (3, 9, 9),
          shapes3=[(3, 12, 7)], **DYN2),
    ])


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_conv_padding_modes(mode):
    run_cases([
        L(f"Conv2d(3, 4, 3, padding=1, padding_mode='{mode}')",
          nn.Conv2d(3, 4, 3, padding=1, padding_mode=mode), (3, 6, 7)),
        L(f"Conv2d(3, 4, (3, 5), stride=2, padding=(1, 2), padding_mode='{mode}')",
          nn.Conv2d(3, 4, (3, 5), stride=2, padding=(1, 2), padding_mode=mode), (3, 7, 8)),
        L(f"Conv2d(3, 4, 4, padding='same', padding_mode='{mode}')",
          nn.Conv2d(3, 4, 4, padding="same", padding_mode=mode), (3, 6, 7)),
        L(f"Conv1d(2, 4, 5, padding=2, dilation=1, groups=2, padding_mode='{mode}')",
          nn.Conv1d(2, 4, 5, padding=2, groups=2, padding_mode=mode), (2, 9)),
        L(f"Conv3d(2, 3, 3, padding=(1, 0, 2), padding_mode='{mode}')",
          nn.Conv3d(2, 3, 3, padding=(1, 0, 2), padding_mode=mode), (2, 4, 5, 6)),
        L(f"Conv2d(3, 4, 3, padding=2, padding_mode='{mode}')",
          nn.Conv2d(3, 4, 3, padding=2, padding_mode=mode), (3, 6, 7), shapes3=[(3, 9, 5)], **DYN2),
        # batch norm still folds into the Conv behind the padding
        L(f"Sequential(Conv2d(3, 4, 3, padding=1, padding_mode='{mode}'), BatchNorm2d(4))",
          nn.Sequential(nn.Conv2d(3, 4, 3, padding=1, padding_mode=mode), nn.BatchNorm2d(4)), (3, 5, 6)),
    ])


def test_conv_transpose():
    run_cases([
        L("ConvTranspose2d(3, 4, 3)", nn.ConvTranspose2d(3, 4, 3), (3, 5, 6)),
        L("ConvTranspose2d(3, 4, 3, stride=2, padding=1, output_padding=1)",
          nn.ConvTranspose2d(3, 4, 3, stride=2, padding=1, output_padding=1), (3, 5, 6)),
        L("ConvTranspose2d(4, 6, (3, 4), stride=(2, 3), padding=(1, 2), output_padding=(1, 2), "
          "groups=2, dilation=(2, 1), bias=False)",
          nn.ConvTranspose2d(4, 6, (3, 4), stride=(2, 3), padding=(1, 2), output_padding=(1, 2),
                             groups=2, dilation=(2, 1), bias=False), (4, 5, 4)),
        L("ConvTranspose2d(4, 4, 3, stride=1, padding=2, output_padding=1, dilation=2, groups=4)",
          nn.ConvTranspose2d(4, 4, 3, padding=2, output_padding=1, dilation=2, groups=4), (4, 5, 6)),
        L("ConvTranspose1d(2, 6, 4, stride=2, padding=1, groups=2)",
          nn.ConvTranspose1d(2, 6, 4, stride=2, padding=1, groups=2), (2, 7)),
        L("ConvTranspose1d(3, 2, 5, stride=3, output_padding=2, dilation=2)",
          nn.ConvTranspose1d(3, 2, 5, stride=3, output_padding=2, dilation=2), (3, 6)),
        L("ConvTranspose3d(2, 4, (2, 3, 3), stride=(1, 2, 2), padding=(0, 1, 1), output_padding=(0, 1, 0), groups=2)",
          nn.ConvTranspose3d(2, 4, (2, 3, 3), stride=(1, 2, 2), padding=(0, 1, 1),
                             output_padding=(0, 1, 0), groups=2), (2, 3, 4, 5)),
        # output_padding >= stride (allowed below the dilation) without padding to absorb it
        L("ConvTranspose1d(2, 3, 3, dilation=3, output_padding=2)",
          nn.ConvTranspose1d(2, 3, 3, dilation=3, output_padding=2), (2, 5)),
        L("ConvTranspose2d(2, 4, 2, stride=(1, 2), padding=(1, 0), output_padding=(2, 1), dilation=3, groups=2)",
          nn.ConvTranspose2d(2, 4, 2, stride=(1, 2), padding=(1, 0), output_padding=(2, 1), dilation=3,
                             groups=2), (2, 4, 5)),
        L("ConvTranspose2d(kernel_size=3, stride=2)",  # channels from the weight
          nn.ConvTranspose2d(3, 5, 3, stride=2), (3, 4, 4)),
        L("ConvTranspose2d(3, 4, 3, stride=2, padding=1)", nn.ConvTranspose2d(3, 4, 3, stride=2, padding=1),
          (3, 5, 6), fwd="layer(x0, output_size=[10, 12])",
          ref=lambda m, x: m.layer(x, output_size=[10, 12])),
        L("ConvTranspose2d(3, 4, 3, stride=2, padding=1, output_padding=1)",
          nn.ConvTranspose2d(3, 4, 3, stride=2, padding=1, output_padding=1), (3, 5, 6),
          shapes3=[(3, 7, 4)], **DYN2),
    ])


def test_bilinear():
    run_cases([
        L("Bilinear(5, 4, 3)", nn.Bilinear(5, 4, 3), (5,), fwd="layer(x0, x1)",
          ref=lambda m, a, b: m.layer(a, b)) | dict(shapes=[(5,), (4,)]),
        L("Bilinear(5, 4, 6, bias=False)", nn.Bilinear(5, 4, 6, bias=False), (5,),
          fwd="layer(x0, x1)", ref=lambda m, a, b: m.layer(a, b)) | dict(shapes=[(2, 5), (2, 4)]),
        L("Bilinear(3, 3, 2)", nn.Bilinear(3, 3, 2), (3,), fwd="layer(x0, x0)",
          ref=lambda m, a: m.layer(a, a)) | dict(shapes=[(4, 2, 3)]),
    ])


# ---------------------------------------------------------------- pooling
def test_avg_pool():
    cases = []
    # ceil_mode x count_include_pad x padding, including a last window that
    # starts in the right padding (dropped) and windows overhanging it
    for n, k, s, p in [(5, 2, 2, 1), (6, 3, 2, 1), (7, 3, 3, 1), (8, 2, 3, 0), (5, 3, 2, 0)]:
        for ceil in (False, True):
            for cip in (False, True):
                args = f"{k}, stride={s}, padding={p}, ceil_mode={ceil}, count_include_pad={cip}"
                cases.append(L(f"AvgPool1d({args})", nn.AvgPool1d(k, s, p, ceil, cip), (2, n)))
    cases += [
        L("AvgPool2d(3)", nn.AvgPool2d(3), (2, 9, 10)),
        L("AvgPool2d((3, 2), stride=(2, 1), padding=(1, 1), ceil_mode=True, count_include_pad=True)",
          nn.AvgPool2d((3, 2), (2, 1), (1, 1), True, True), (2, 8, 7)),
        L("AvgPool2d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)",
          nn.AvgPool2d(3, 2, 1, True, False), (2, 8, 9)),
        L("AvgPool2d(3, stride=2, padding=1, divisor_override=5)",
          nn.AvgPool2d(3, 2, 1, divisor_override=5), (2, 8, 9)),
        L("AvgPool2d(2, ceil_mode=True, divisor_override=3)",  # no overhang: 8 = 4 * 2
          nn.AvgPool2d(2, ceil_mode=True, divisor_override=3), (2, 8, 6)),
        L("AvgPool3d((2, 3, 2), stride=2, padding=(1, 1, 0), ceil_mode=True)",
          nn.AvgPool3d((2, 3, 2), 2, (1, 1, 0), True), (2, 5, 6, 7)),
        L("AvgPool3d(2, count_include_pad=False, divisor_override=2)",
          nn.AvgPool3d(2, count_include_pad=False, divisor_override=2), (2, 4, 4, 6)),
        Fn("avg_pool1d(x0, 3, 2, 1, True, False)", lambda x: F.avg_pool1d(x, 3, 2, 1, True, False), (3, 8)),
        Fn("F.avg_pool2d(x0, kernel_size=2, stride=1, padding=1)",
           lambda x: F.avg_pool2d(x, 2, 1, 1), (3, 5, 6)),
        Fn("avg_pool3d(x0, 2, ceil_mode=True)", lambda x: F.avg_pool3d(x, 2, ceil_mode=True), (2, 3, 5, 4)),
        L("AvgPool2d(3, stride=2, padding=1, ceil_mode=True)", nn.AvgPool2d(3, 2, 1, True), (3, 8, 9),
          shapes3=[(3, 11, 6)], **DYN2),
    ]
    run_cases(cases)


def test_max_pool():
    cases = []
    for n, k, s, p, d in [(5, 2, 2, 1, 1), (8, 3, 2, 1, 2), (9, 2, 3, 1, 2), (7, 3, 3, 0, 1)]:
        for ceil in (False, True):
            args = f"{k}, stride={s}, padding={p}, dilation={d}, ceil_mode={ceil}"
            cases.append(L(f"MaxPool1d({args})", nn.MaxPool1d(k, s, p, d, ceil_mode=ceil), (2, n)))
    cases += [
        L("MaxPool2d((3, 2), stride=(2, 1), padding=(1, 0), dilation=(1, 2), ceil_mode=True)",
          nn.MaxPool2d((3, 2), (2, 1), (1, 0), (1, 2), ceil_mode=True), (2, 8, 9)),
        L("MaxPool3d(2, stride=2, padding=1, ceil_mode=True)",
          nn.MaxPool3d(2, 2, 1, ceil_mode=True), (2, 5, 4, 7)),
        Fn("F.max_pool2d(x0, 3, 2, 1, 1, True)", lambda x: F.max_pool2d(x, 3, 2, 1, 1, True), (2, 8, 8)),
        L("MaxPool2d(3, stride=2, padding=1, ceil_mode=True)", nn.MaxPool2d(3, 2, 1, ceil_mode=True),
          (3, 8, 9), shapes3=[(3, 11, 6)], **DYN2),
    ]
    run_cases(cases)


def test_adaptive_pool():
    cases = []
    for kind in ("Avg", "Max"):
        f = kind.lower()
        cases += [
            L(f"Adaptive{kind}Pool1d(3)", getattr(nn, f"Adaptive{kind}Pool1d")(3), (2, 7)),      # k3 s2
            L(f"Adaptive{kind}Pool1d(4)", getattr(nn, f"Adaptive{kind}Pool1d")(4), (2, 10)),     # irregular
            L(f"Adaptive{kind}Pool1d(1)", getattr(nn, f"Adaptive{kind}Pool1d")(1), (2, 10)),
            L(f"Adaptive{kind}Pool1d(5)", getattr(nn, f"Adaptive{kind}Pool1d")(5), (2, 3)),      # out > in
            L(f"Adaptive{kind}Pool2d((2, 3))", getattr(nn, f"Adaptive{kind}Pool2d")((2, 3)), (2, 5, 5)),
            L(f"Adaptive{kind}Pool2d((None, 3))", getattr(nn, f"Adaptive{kind}Pool2d")((None, 3)), (2, 5, 7)),
            L(f"Adaptive{kind}Pool2d((4, None))", getattr(nn, f"Adaptive{kind}Pool2d")((4, None)), (2, 10, 6)),
            L(f"Adaptive{kind}Pool2d(7)", getattr(nn, f"Adaptive{kind}Pool2d")(7), (2, 14, 9)),
            L(f"Adaptive{kind}Pool2d(1)", getattr(nn, f"Adaptive{kind}Pool2d")(1), (3, 5, 6),
              shapes3=[(3, 8, 4)], **DYN2),
            L(f"Adaptive{kind}Pool3d((1, 3, 2))", getattr(nn, f"Adaptive{kind}Pool3d")((1, 3, 2)), (2, 4, 7, 5)),
            Fn(f"adaptive_{f}_pool1d(x0, 5)", getattr(F, f"adaptive_{f}_pool1d"), (2, 11)) | dict(
                model=Ref(lambda m, x, g=getattr(F, f"adaptive_{f}_pool1d"): g(x, 5))),
            Fn(f"F.adaptive_{f}_pool2d(x0, (3, 4))", None, (2, 7, 10)) | dict(
                model=Ref(lambda m, x, g=getattr(F, f"adaptive_{f}_pool2d"): g(x, (3, 4)))),
            Fn(f"adaptive_{f}_pool3d(x0, (2, None, 2))", None, (2, 5, 3, 4)) | dict(
                model=Ref(lambda m, x, g=getattr(F, f"adaptive_{f}_pool3d"): g(x, (2, None, 2)))),
        ]
    # the size-1 axis of unknown length is reduced, the known one pooled
    cases.append(L("AdaptiveAvgPool2d((1, 3))", nn.AdaptiveAvgPool2d((1, 3)), (3, 5, 6),
                   shapes3=[(3, 9, 6)], extra=("--input", "x0:batch_size,3,H,6")))
    run_cases(cases)


# ------------------------------------------------------------- resizing
def _interp_cases():
    cases = []
    shapes = {1: (2, 7), 2: (2, 5, 6), 3: (2, 3, 4, 5)}
    modes = [("nearest", 1), ("nearest", 2), ("nearest", 3), ("nearest-exact", 2), ("linear", 1),
             ("bilinear", 2), ("bicubic", 2), ("trilinear", 3)]
    for mode, sp in modes:
        acs = [None] if mode.startswith("nearest") else [False, True]
        sizes = [(11, 9, 7)[:sp], (3, 1, 2)[:sp]]
        scales = [2.0, (1.7, 0.6, 2.5)[:sp], 0.5, 1 / 3]
        for ac in acs:
            for size in sizes:
                kw = dict(size=size, mode=mode, align_corners=ac)
                cases.append(Fn(f"interpolate(x0, size={size}, mode='{mode}', align_corners={ac})",
                                lambda x, kw=kw: F.interpolate(x, **kw), shapes[sp]))
            for scale in scales:
                kw = dict(scale_factor=scale, mode=mode, align_corners=ac)
                cases.append(Fn(f"F.interpolate(x0, scale_factor={scale!r}, mode='{mode}', "
                                f"align_corners={ac})",
                                lambda x, kw=kw: F.interpolate(x, **kw), shapes[sp]))
    return cases


def test_interpolate_modes():
    run_cases(_interp_cases(), seed=1)


def test_upsample_forms():
    run_cases([
        L("Upsample(scale_factor=2)", nn.Upsample(scale_factor=2), (3, 4, 5)),
        L("Upsample(size=(7, 9), mode='bilinear')", nn.Upsample(size=(7, 9), mode="bilinear"), (3, 4, 5)),
        L("Upsample(scale_factor=(1.5, 2.5), mode='bicubic', align_corners=True)",
          nn.Upsample(scale_factor=(1.5, 2.5), mode="bicubic", align_corners=True), (3, 4, 5)),
        L("Upsample(scale_factor=1.7, mode='bilinear', recompute_scale_factor=True)",
          nn.Upsample(scale_factor=1.7, mode="bilinear", recompute_scale_factor=True), (3, 5, 7)),
        L("Upsample(scale_factor=0.45, mode='nearest', recompute_scale_factor=True)",
          nn.Upsample(scale_factor=0.45, recompute_scale_factor=True), (3, 9, 7)),
        L("Upsample(size=9, mode='linear')", nn.Upsample(size=9, mode="linear"), (3, 5)),
        L("Upsample(scale_factor=2, mode='trilinear', align_corners=False)",
          nn.Upsample(scale_factor=2, mode="trilinear", align_corners=False), (2, 3, 4, 3)),
        L("UpsamplingNearest2d(scale_factor=3)", nn.UpsamplingNearest2d(scale_factor=3), (2, 3, 4)),
        L("UpsamplingNearest2d(size=(5, 8))", nn.UpsamplingNearest2d(size=(5, 8)), (2, 3, 4)),
        L("UpsamplingBilinear2d(scale_factor=2)", nn.UpsamplingBilinear2d(scale_factor=2), (2, 3, 4)),
        L("UpsamplingBilinear2d(size=(5, 7))", nn.UpsamplingBilinear2d(size=(5, 7)), (2, 3, 4)),
        Fn("upsample_nearest(x0, scale_factor=2)",
           lambda x: F.interpolate(x, scale_factor=2, mode="nearest"), (2, 3, 4)),
        Fn("F.upsample_bilinear(x0, size=(6, 5))",
           lambda x: F.interpolate(x, size=(6, 5), mode="bilinear", align_corners=True), (2, 3, 4)),
        Fn("F.upsample(x0, scale_factor=2, mode='bilinear')",
           lambda x: F.interpolate(x, scale_factor=2, mode="bilinear"), (2, 3, 4)),
        # dynamic spatial size: scales follow it, sizes keep batch and channels
        L("Upsample(scale_factor=2, mode='bilinear')", nn.Upsample(scale_factor=2, mode="bilinear"),
          (3, 4, 5), shapes3=[(3, 6, 3)], **DYN2),
        L("Upsample(size=(6, 8), mode='nearest')", nn.Upsample(size=(6, 8)), (3, 4, 5),
          shapes3=[(3, 9, 3)], **DYN2),
        L("Upsample(size=(6, 8), mode='bilinear')", nn.Upsample(size=(6, 8), mode="bilinear"), (3, 4, 5),
          batches=(1,), extra=("--static-batch", "1")),  # constant sizes
        Fn("interpolate(x0, scale_factor=1.5, mode='bicubic')",
           lambda x: F.interpolate(x, scale_factor=1.5, mode="bicubic"), (3, 4, 6),
           shapes3=[(3, 6, 4)], **DYN2),
    ])


# ------------------------------------------------------------- shuffles
def test_shuffles():
    run_cases([
        L("PixelShuffle(2)", nn.PixelShuffle(2), (12, 3, 4)),
        L("PixelShuffle(3)", nn.PixelShuffle(3), (9, 2, 3)),
        L("PixelUnshuffle(2)", nn.PixelUnshuffle(2), (3, 4, 6)),
        L("PixelUnshuffle(3)", nn.PixelUnshuffle(3), (2, 6, 9)),
        Fn("pixel_shuffle(x0, 2)", lambda x: F.pixel_shuffle(x, 2), (8, 3, 3)),
        Fn("F.pixel_unshuffle(x0, 2)", lambda x: F.pixel_unshuffle(x, 2), (2, 4, 2)),
        Fn("pixel_shuffle(pixel_unshuffle(x0, 2), 2)",
           lambda x: F.pixel_shuffle(F.pixel_unshuffle(x, 2), 2), (3, 4, 6)),
        L("ChannelShuffle(3)", nn.ChannelShuffle(3), (6, 3, 4)),
        L("ChannelShuffle(2)", nn.ChannelShuffle(2), (8, 5)),
        Fn("channel_shuffle(x0, 4)", lambda x: F.channel_shuffle(x, 4), (8, 2, 3, 2)),
        # dynamic spatial size
        L("PixelUnshuffle(2)", nn.PixelUnshuffle(2), (3, 4, 6), shapes3=[(3, 8, 2)], **DYN2),
        L("PixelShuffle(2)", nn.PixelShuffle(2), (12, 3, 4), shapes3=[(12, 2, 5)],
          extra=("--input", "x0:batch_size,12,H,W")),
        L("ChannelShuffle(3)", nn.ChannelShuffle(3), (3, 3, 4), shapes3=[(3, 5, 2)], **DYN2),
    ])


# -------------------------------------------------------------- padding
def test_padding_layers():
    cases = []
    for kind in ("Reflection", "Replication"):
        cases += [
            L(f"{kind}Pad1d(2)", getattr(nn, f"{kind}Pad1d")(2), (3, 5)),
            L(f"{kind}Pad1d((3, 1))", getattr(nn, f"{kind}Pad1d")((3, 1)), (3, 5)),
            L(f"{kind}Pad2d((1, 2, 3, 0))", getattr(nn, f"{kind}Pad2d")((1, 2, 3, 0)), (2, 4, 5)),
            L(f"{kind}Pad3d((1, 0, 2, 1, 0, 2))", getattr(nn, f"{kind}Pad3d")((1, 0, 2, 1, 0, 2)),
              (2, 3, 4, 5)),
        ]
    cases += [
        L("ZeroPad2d(2)", nn.ZeroPad2d(2), (3, 4, 5)),
        L("ZeroPad2d((1, 0, 2, 3))", nn.ZeroPad2d((1, 0, 2, 3)), (3, 4, 5)),
        L("ZeroPad2d((-1, 2, 0, -2))", nn.ZeroPad2d((-1, 2, 0, -2)), (3, 4, 5)),
        L("ConstantPad1d((2, 3), 1.5)", nn.ConstantPad1d((2, 3), 1.5), (3, 4)),
        L("ConstantPad2d(1, -2.0)", nn.ConstantPad2d(1, -2.0), (3, 4, 5)),
        L("ConstantPad3d((1, 2, 0, 1, 2, 0), 0.5)", nn.ConstantPad3d((1, 2, 0, 1, 2, 0), 0.5), (2, 3, 4, 5)),
        # layers PyTorch 1.13 lacks, against the F.pad they stand for
        L("ZeroPad1d((1, 2))", None, (3, 4), ref=lambda m, x: F.pad(x, (1, 2))),
        L("ZeroPad3d(1)", None, (2, 3, 4, 5), ref=lambda m, x: F.pad(x, (1,) * 6)),
        L("CircularPad1d((2, 1))", None, (3, 4), ref=lambda m, x: F.pad(x, (2, 1), mode="circular")),
        L("CircularPad2d(1)", None, (3, 4, 5), ref=lambda m, x: F.pad(x, (1,) * 4, mode="circular")),
        L("CircularPad3d((1, 0, 2, 1, 0, 2))", None, (2, 3, 4, 5),
          ref=lambda m, x: F.pad(x, (1, 0, 2, 1, 0, 2), mode="circular")),
        L("ReflectionPad2d((2, 1, 1, 2))", nn.ReflectionPad2d((2, 1, 1, 2)), (3, 4, 5),
          shapes3=[(3, 6, 3)], **DYN2),
    ]
    run_cases(cases)


def test_pad_function():
    cases = []
    for mode in ("constant", "reflect", "replicate", "circular"):
        cases += [
            Fn(f"F.pad(x0, (1, 2), mode='{mode}')", lambda x, m=mode: F.pad(x, (1, 2), mode=m), (3, 5)),
            Fn(f"F.pad(x0, (2, 0, 1, 3), mode='{mode}')",
               lambda x, m=mode: F.pad(x, (2, 0, 1, 3), mode=m), (3, 4, 5)),
            Fn(f"F.pad(x0, [1, 1, 0, 2, 2, 1], '{mode}')",
               lambda x, m=mode: F.pad(x, [1, 1, 0, 2, 2, 1], m), (2, 3, 4, 5)),
            Fn(f"pad(x0, (-1, 2, 2, -3), mode='{mode}')",  # crop, then pad
               lambda x, m=mode: F.pad(x, (-1, 2, 2, -3), mode=m), (3, 5, 6)),
            Fn(f"F.pad(x0, (1, 2, 2, 0), mode='{mode}')",
               lambda x, m=mode: F.pad(x, (1, 2, 2, 0), mode=m),
               (3, 4, 5), shapes3=[(3, 6, 3)], **DYN2),
        ]
    cases += [
        Fn("F.pad(x0, (1, 2, 0, 1), value=0.75)", lambda x: F.pad(x, (1, 2, 0, 1), value=0.75), (3, 4, 5)),
        Fn("F.pad(x0, (1, 1, 2, 0, 1, 1))", lambda x: F.pad(x, (1, 1, 2, 0, 1, 1)), (3, 4)),  # batch too
        # reflect reflects over the whole input, then crops; circular crops first
        Fn("F.pad(x0, (2, -4), mode='reflect')", lambda x: F.pad(x, (2, -4), mode="reflect"), (2, 6)),
        Fn("F.pad(x0, (-4, 3, 1, 0), mode='reflect')",
           lambda x: F.pad(x, (-4, 3, 1, 0), mode="reflect"), (2, 3, 6)),
        Fn("F.pad(x0, (3, -2), mode='circular')", lambda x: F.pad(x, (3, -2), mode="circular"), (2, 6)),
        Fn("F.pad(x0, (0, 0, -1, -1), 'constant', -1.0)",
           lambda x: F.pad(x, (0, 0, -1, -1), "constant", -1.0), (3, 4, 5)),
    ]
    run_cases(cases)


def test_newer_opsets():
    """Ops whose form changes after 17: Reduce* (axes input, 18), Pad (axes,
    18; wrap, 19), Resize (18, 19), AveragePool (19).  The installed onnx
    checker stops at 17: these run in ONNX Runtime only."""
    newer = dict(opsets=(18, 19, 21))
    run_cases([
        L("AdaptiveMaxPool2d((1, 3))", nn.AdaptiveMaxPool2d((1, 3)), (3, 5, 6), shapes3=[(3, 9, 6)],
          extra=("--input", "x0:batch_size,3,H,6"), **newer),
        L("AdaptiveAvgPool1d(4)", nn.AdaptiveAvgPool1d(4), (2, 10), **newer),
        Fn("F.pad(x0, (2, -1, 1, 1), mode='circular')",
           lambda x: F.pad(x, (2, -1, 1, 1), mode="circular"), (2, 4, 5), **newer),
        Fn("F.pad(x0, (2, 1, 0, 1), mode='reflect')",
           lambda x: F.pad(x, (2, 1, 0, 1), mode="reflect"), (2, 4, 5), **newer),
        L("ConstantPad2d((1, 0, 2, -1), 0.5)", nn.ConstantPad2d((1, 0, 2, -1), 0.5), (2, 4, 5), **newer),
        L("Upsample(size=(7, 3), mode='bicubic', align_corners=False)",
          nn.Upsample(size=(7, 3), mode="bicubic", align_corners=False), (3, 4, 5), **newer),
        L("Upsample(scale_factor=(1.5, 0.5), mode='nearest')", nn.Upsample(scale_factor=(1.5, 0.5)),
          (3, 4, 6), shapes3=[(3, 6, 4)], **DYN2, **newer),
        L("AvgPool2d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=True)",
          nn.AvgPool2d(3, 2, 1, True, True), (2, 8, 9), **newer),
        L("MaxPool2d(2, stride=2, padding=1, ceil_mode=True)", nn.MaxPool2d(2, 2, 1, ceil_mode=True),
          (2, 5, 7), **newer),
        L("ConvTranspose2d(2, 4, 3, stride=2, padding=1, output_padding=1, groups=2)",
          nn.ConvTranspose2d(2, 4, 3, stride=2, padding=1, output_padding=1, groups=2), (2, 4, 5), **newer),
        L("PixelUnshuffle(2)", nn.PixelUnshuffle(2), (3, 4, 6), **newer),
    ])


# ---------------------------------------------------------------- errors
@pytest.mark.parametrize("init, forward, shape, message", [
    (["p = AdaptiveMaxPool2d(3, return_indices=True)"], "p(x0)", (3, 6, 6), "return_indices"),
    (["p = AdaptiveAvgPool2d(3)"], "p(x0)", ("H", 6, 6), None),
    ([], "interpolate(x0, scale_factor=2, mode='area')", (3, 6, 6), "area"),
    ([], "interpolate(x0, scale_factor=2, mode='bilinear', antialias=True)", (3, 6, 6), "antialias"),
    ([], "interpolate(x0, scale_factor=2, align_corners=True)", (3, 6, 6), "align_corners"),
    ([], "interpolate(x0, size=4, scale_factor=2)", (3, 6, 6), "exactly one"),
    ([], "interpolate(x0, size=4, mode='bilinear')", (3, 6), "mode"),
    ([], "F.pad(x0, (3, 3), mode='reflect')", (3, 3), "smaller"),
    ([], "F.pad(x0, (1, 1, 1), mode='constant')", (3, 3), "even"),
    ([], "F.pad(x0, (1, 1), mode='wrap')", (3, 3), "mode"),
    (["p = AvgPool2d(3, 2, 1, ceil_mode=True, divisor_override=2)"], "p(x0)", (3, 6, 6), "overhang"),
    (["p = PixelShuffle(2)"], "p(x0)", (6, 4, 4), "divisible"),
    (["p = ChannelShuffle(4)"], "p(x0)", (6, 4, 4), "divisible"),
])
def test_errors(init, forward, shape, message):
    if shape[0] == "H":  # a dynamic spatial size
        shape = shape[1:]
        case = dict(init=init, forward=forward, shapes=[shape])
        text = snippet(case).replace(f"x0: [batch_size, {shape[0]}, {shape[1]}]",
                                     f"x0: [batch_size, {shape[0]}, H, {shape[1]}]")
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            (tmp / "a.arch").write_text(text)
            torch.save({}, tmp / "w.pth")
            res = parity.convert(tmp / "w.pth", tmp / "a.arch", tmp / "o.onnx")
        assert res.returncode != 0 and "a.arch:" in res.stderr and "known input size" in res.stderr
        return
    err = convert_error(init, forward, shape)
    assert message in err, err


def test_conv_transpose_output_size_error():
    err = convert_error(["layer = ConvTranspose2d(3, 4, 3, stride=2)"],
                        "layer(x0, output_size=[20, 20])",
                        (3, 5, 5), model=Ref(None, nn.ConvTranspose2d(3, 4, 3, stride=2)))
    assert "not reachable" in err, err


def test_report_worst():
    """Not a check: prints how many comparisons ran and the worst error."""
    print(f"\nspatial parity: {WORST['checks']} comparisons, max relative error {WORST['err']:.3g}")
