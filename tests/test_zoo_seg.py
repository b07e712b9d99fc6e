"""Parity of the built-in segmentation models (samples/segmentation.arch)
with torchvision 0.14: FCN, DeepLabV3 and LR-ASPP on dilated ResNet and
MobileNetV3-Large backbones.

Random-init models (torch.manual_seed(0), weights_backbone=None, 21
classes; check_model randomizes the batch-norm statistics), saved as a
state_dict, converted by name at opset 17 and run by ONNX Runtime at batch 1
and 3.  The ONNX output `out` is compared with PyTorch's model(x)["out"].
The input's height and width stay dynamic: one ONNX file runs at several
sizes, and the output follows the input's size.

`make test` checks one model per family (fcn_resnet50,
deeplabv3_mobilenet_v3_large, lraspp_mobilenet_v3_large) at small inputs,
one model through two input sizes and with its auxiliary classifier;
P2O_ZOO=all (`make zoo`) checks all six, and the ResNet models with their
auxiliary classifier.
"""
import os
import subprocess

import onnx
import pytest
import torch
import torchvision
from torchvision.models import segmentation as S

import parity
from helpers import BIN

ALL = os.environ.get("P2O_ZOO") == "all"
SHAPE = (3, 96, 80)

FAMILIES = {
    "fcn": ["fcn_resnet50", "fcn_resnet101"],
    "deeplabv3": ["deeplabv3_mobilenet_v3_large", "deeplabv3_resnet50", "deeplabv3_resnet101"],
    "lraspp": ["lraspp_mobilenet_v3_large"],
}
SMALLEST = {"fcn_resnet50", "deeplabv3_mobilenet_v3_large", "lraspp_mobilenet_v3_large"}
MODELS = [n for names in FAMILIES.values() for n in names if ALL or n in SMALLEST]


class OutOnly(torch.nn.Module):
    """model(x)["out"], with the wrapped model's own state_dict keys."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model(x)["out"]

    def state_dict(self, *args, **kwargs):
        return self.model.state_dict(*args, **kwargs)


def make(name, **kwargs):
    torch.manual_seed(0)
    return OutOnly(getattr(S, name)(weights_backbone=None, **kwargs))


def report(name, rows):
    assert all(r[-1] <= parity.MAX_REL_ERR for r in rows)
    print(name, "max relative error", max(e for *_, e in rows))


class Fn(torch.nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, *xs):
        return self.fn(*xs)


F = torch.nn.functional
HW = {"h": (5, 8), "w": (6, 3)}
# interpolate(size=...) with sizes known only at run time (x0's dynamic
# height and width): sizes = Concat(Shape(x)[0:2], Shape(x0) -> Gather ...)
DYNAMIC_SIZE_CASES = {
    "bilinear to x0.shape[-2:]": (
        "interpolate(x1, size=x0.shape[-2:], mode='bilinear', align_corners=False)",
        lambda x0, x1: F.interpolate(x1, size=x0.shape[-2:], mode="bilinear",
                                     align_corners=False),
        [(2, "h", "w"), (3, 4, 5)]),
    "bicubic align_corners to x0.shape[2:]": (
        "F.interpolate(x1, size=x0.shape[2:], mode='bicubic', align_corners=True)",
        lambda x0, x1: F.interpolate(x1, size=x0.shape[2:], mode="bicubic", align_corners=True),
        [(2, "h", "w"), (3, 4, 5)]),
    "nearest, one dynamic and one constant size": (
        "interpolate(x1, size=(x0.size(2), 7))",
        lambda x0, x1: F.interpolate(x1, size=(x0.size(2), 7)),
        [(2, "h", "w"), (3, 4, 5)]),
    "linear, one dynamic int": (
        "interpolate(x1, size=x0.size(2), mode='linear')",
        lambda x0, x1: F.interpolate(x1, size=x0.size(2), mode="linear"),
        [(2, "h"), (3, 4)]),
    "sizes computed from dynamic sizes": (
        "interpolate(x1, size=(x0.size(2) * 2, x0.size(3) + 1), mode='bilinear')",
        lambda x0, x1: F.interpolate(x1, size=(x0.size(2) * 2, x0.size(3) + 1),
                                     mode="bilinear"),
        [(2, "h", "w"), (3, 4, 5)]),
    "trilinear, sizes from the input's own": (
        "interpolate(x0, size=(4, x0.size(3), x0.size(4) + 2), mode='trilinear')",
        lambda x0: F.interpolate(x0, size=(4, x0.size(3), x0.size(4) + 2), mode="trilinear"),
        [(2, 3, "h", "w")]),
}


@pytest.fixture(scope="module")
def dynamic_size_results():
    return parity.check_snippets({
        cid: dict(module=Fn(fn), init=[], forward=expr, input_shapes=shapes, sizes=HW)
        for cid, (expr, fn, shapes) in DYNAMIC_SIZE_CASES.items()})


@pytest.mark.parametrize("cid", list(DYNAMIC_SIZE_CASES))
def test_interpolate_to_a_size_known_at_run_time(dynamic_size_results, cid):
    res = dynamic_size_results[cid]
    if isinstance(res, BaseException):
        raise res
    assert len(res) >= 2 * 2 * 2  # 2 opsets, 2 batches, 2 sizes (or 4)
    report(cid, res)


@pytest.mark.parametrize("name", MODELS)
def test_parity(name):
    rows = parity.check_model(make(name), name, SHAPE, forms=("state_dict",), opsets=(17,))
    assert len(rows) == 2  # batch 1 and 3
    report(name, rows)


def test_height_and_width_are_dynamic():
    """One ONNX file, four input sizes (odd ones too): the output has the
    input's height and width."""
    name = "lraspp_mobilenet_v3_large"
    rows = parity.check_model(make(name), name, (3, "height", "width"), forms=("state_dict",),
                              opsets=(17,), sizes={"height": (64, 45), "width": (80, 37)})
    assert len(rows) == 8  # 2 batches x 2 heights x 2 widths
    report(name + " (dynamic height and width)", rows)


def test_graph_declares_dynamic_height_and_width(tmp_path):
    torch.manual_seed(0)
    ckpt = tmp_path / "w.pth"
    torch.save(S.lraspp_mobilenet_v3_large(weights_backbone=None).state_dict(), ckpt)
    out = tmp_path / "m.onnx"
    res = parity.convert(ckpt, "lraspp_mobilenet_v3_large", out)
    assert res.returncode == 0, res.stderr
    g = onnx.load(str(out)).graph
    dims = lambda v: [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim]
    assert dims(g.input[0]) == ["batch_size", 3, "height", "width"]
    assert [o.name for o in g.output] == ["out"]
    assert dims(g.output[0]) == ["batch_size", 21, "height", "width"]


def test_fixed_input_size():
    """--input fixes height and width: the sizes become constants."""
    name = "lraspp_mobilenet_v3_large"
    rows = parity.check_model(make(name), name, (3, 64, 64), forms=("state_dict",),
                              opsets=(13, 17), extra=("--input", "input:batch_size,3,64,64"))
    report(name + " (--input 64x64)", rows)


def test_aux_classifier_weights_are_accepted():
    """aux_loss=True: the checkpoint holds aux_classifier.*; the description
    declares it, `out` is unchanged and the auxiliary head is not run."""
    name = "deeplabv3_mobilenet_v3_large"
    rows = parity.check_model(make(name, aux_loss=True), name, (3, 64, 48),
                              forms=("state_dict",), opsets=(17,))
    report(name + " (aux_loss=True)", rows)


if ALL:  # make zoo only (not defined otherwise: no skipped tests in make test)
    @pytest.mark.parametrize("name", ["fcn_resnet50", "fcn_resnet101", "deeplabv3_resnet50",
                                      "deeplabv3_resnet101"])
    def test_resnet_models_with_aux_classifier(name):
        rows = parity.check_model(make(name, aux_loss=True), name, SHAPE,
                                  forms=("state_dict",), opsets=(17,))
        report(name + " (aux_loss=True)", rows)


def test_number_of_classes_comes_from_the_weights():
    name = "lraspp_mobilenet_v3_large"
    rows = parity.check_model(make(name, num_classes=3), name, (3, 64, 64),
                              forms=("state_dict",), opsets=(17,))
    report(name + " (3 classes)", rows)


@pytest.mark.parametrize("name,kwargs", [
    ("lraspp_mobilenet_v3_large", {}),
    ("deeplabv3_mobilenet_v3_large", {"aux_loss": True}),
    ("deeplabv3_mobilenet_v3_large", {}),
    ("fcn_resnet50", {"aux_loss": True}),
    ("deeplabv3_resnet50", {"num_classes": 5}),
])
def test_recognised_without_arch(tmp_path, name, kwargs):
    torch.manual_seed(0)
    ckpt = tmp_path / "w.pth"
    torch.save(getattr(S, name)(weights_backbone=None, **kwargs).state_dict(), ckpt)
    res = subprocess.run([str(BIN), "inspect", str(ckpt)], capture_output=True, text=True,
                         timeout=120)
    assert res.returncode == 0, res.stderr
    assert f"recognised as built-in {name} (samples/segmentation.arch)" in res.stdout, \
        res.stdout[:600]


def test_classifier_backbone_is_not_a_segmentation_model(tmp_path):
    """A plain resnet50 is still recognised as the classifier."""
    torch.manual_seed(0)
    ckpt = tmp_path / "w.pth"
    torch.save(torchvision.models.resnet50().state_dict(), ckpt)
    res = subprocess.run([str(BIN), "inspect", str(ckpt)], capture_output=True, text=True,
                         timeout=120)
    assert "recognised as built-in resnet50 (samples/resnet.arch)" in res.stdout, \
        res.stdout[:600]
