"""Parameter(shape): a block's bare nn.Parameter (ConvNeXt's layer_scale).
Its state_dict key is the attribute's path itself; in forward, naming it
(`scale`, `self.scale`) gives the tensor."""
import subprocess

import pytest
import torch
from torch import nn

import parity
from helpers import BIN


class Scaled(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.scale = nn.Parameter(torch.randn(4, 1, 1))

    def forward(self, x):
        return self.scale * self.conv(x)


class Outer(nn.Module):
    def __init__(self):
        super().__init__()
        self.blk = Scaled()
        self.shift = nn.Parameter(torch.randn(4))

    def forward(self, x):
        return self.blk(x) + self.shift.view(1, 4, 1, 1)


def test_bare_parameter_in_model_body():
    torch.manual_seed(0)
    parity.check_snippet(Scaled(), ["conv = Conv2d(3, 4, 3, padding=1)",
                                    "scale = Parameter((4, 1, 1))"],
                         "scale * conv(x0)", [(3, 5, 5)])


ARCH = """
class Scaled(nn.Module):
    def __init__(self):
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.scale = nn.Parameter(%s)

    def forward(self, x):
        return self.scale * self.conv(x)

block Outer():
    blk = Scaled()
    shift = Parameter(4)
    forward(x):
        return blk(x) + shift.view(1, 4, 1, 1)

model m(input: [batch_size, 3, 5, 5]) -> y = Outer()
"""


@pytest.mark.parametrize("shape", ["(4, 1, 1)", "(None, 1, None)", "None"])
def test_nested_key_is_the_path(tmp_path, shape):
    torch.manual_seed(0)
    model = Outer()
    assert {"blk.scale", "shift"} <= set(model.state_dict())
    arch = tmp_path / "outer.arch"
    arch.write_text(ARCH % shape)
    parity.check_model(model, arch, (3, 5, 5), forms=("state_dict",), opsets=(13, 17))


def _convert(tmp_path, shape, sd):
    ckpt = tmp_path / "w.pth"
    torch.save(sd, ckpt)
    arch = tmp_path / "outer.arch"
    arch.write_text(ARCH % shape)
    return subprocess.run([str(BIN), "convert", str(ckpt), "--arch", str(arch),
                           "-o", str(tmp_path / "o.onnx")], capture_output=True, text=True,
                          timeout=60)


def test_shape_mismatch_names_the_key(tmp_path):
    torch.manual_seed(0)
    res = _convert(tmp_path, "(3, 1, 1)", Outer().state_dict())
    assert res.returncode == 6, res.stderr
    assert "blk.scale has shape [4, 1, 1] but Parameter((3, 1, 1)) needs [3, 1, 1]" in res.stderr


def test_missing_parameter_is_reported(tmp_path):
    torch.manual_seed(0)
    sd = Outer().state_dict()
    del sd["blk.scale"]
    res = _convert(tmp_path, "(4, 1, 1)", sd)
    assert res.returncode == 6, res.stderr
    assert "missing key blk.scale," in res.stderr and "blk.scale.weight" not in res.stderr


def test_bad_shape_argument(tmp_path):
    torch.manual_seed(0)
    res = _convert(tmp_path, "'big'", Outer().state_dict())
    assert res.returncode == 6, res.stderr
    assert "shape must be a tuple of sizes, an int or None" in res.stderr
