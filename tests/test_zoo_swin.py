"""Parity of the built-in Swin Transformer family (samples/swin.arch) with
torchvision 0.14: random-init models (torch.manual_seed(0); check_model
randomizes constant-initialised parameters, such as the zero qkv and MLP
biases, so v2's zeroing of the key bias and every bias path are checked),
saved as a state_dict, converted by name at opset 17, run by ONNX Runtime
at batch 1 and 3.

Input 3x112x112 (--input): patch size 4 gives 28x28 tokens, then 14, 7
and 4.  With v1's 7x7 windows, stages 1 and 2 use shifted windows (their
attention mask), stage 3 is one window (no shift) and stage 4 (4x4) is
padded to 7x7; patch merging pads 7 to 8.  With v2's 8x8 windows, 28 and
14 are padded to 32 and 16 and shifted, 7 and 4 are padded to 8.

`make test` checks swin_t and swin_v2_t and recognition without --arch;
P2O_ZOO=all (`make zoo`) checks all six models, swin_t and swin_v2_t also
at their default sizes (224 and 256) and at odd sizes (72, 40), and
2-class fine-tunes.
"""
import os
import subprocess

import pytest
import torch
import torchvision

import parity
from helpers import BIN

ALL = os.environ.get("P2O_ZOO") == "all"
SIZE = 112
SHAPE = (3, SIZE, SIZE)
INPUT = ("--input", f"input:batch_size,3,{SIZE},{SIZE}")

MODELS_ALL = ["swin_t", "swin_s", "swin_b", "swin_v2_t", "swin_v2_s", "swin_v2_b"]
SMALLEST = {"swin_t", "swin_v2_t"}
MODELS = [m for m in MODELS_ALL if ALL or m in SMALLEST]


def report(name, rows):
    print(name, "max relative error", max(e for *_, e in rows))


@pytest.mark.parametrize("name", MODELS)
def test_parity(name):
    parity.check_torchvision(name, SHAPE, extra=INPUT)


if ALL:  # make zoo only: default sizes and fine-tuned classifiers
    @pytest.mark.parametrize("name,size", [("swin_t", 224), ("swin_v2_t", 256)])
    def test_default_input_size(name, size):
        """No --input: the model's declared size (torchvision's weights' crop)."""
        torch.manual_seed(0)
        model = getattr(torchvision.models, name)()
        rows = parity.check_model(model, name, (3, size, size), forms=("state_dict",),
                                  opsets=(17,))
        report(f"{name} at {size}", rows)

    @pytest.mark.parametrize("name,size", [("swin_t", 72), ("swin_v2_t", 40)])
    def test_odd_sizes(name, size):
        """Odd feature maps: patch merging pads (9 -> 10, 5 -> 6), windows
        pad 18 -> 21 (v1) and 10 -> 16 (v2) with shifts."""
        torch.manual_seed(0)
        model = getattr(torchvision.models, name)()
        rows = parity.check_model(model, name, (3, size, size), forms=("state_dict",),
                                  opsets=(17,), extra=("--input", f"input:batch_size,3,{size},{size}"))
        report(f"{name} at {size}", rows)

    @pytest.mark.parametrize("name", ["swin_t", "swin_v2_t"])
    def test_fine_tuned_classifier_size_comes_from_weights(name):
        torch.manual_seed(0)
        model = getattr(torchvision.models, name)(num_classes=2)
        rows = parity.check_model(model, name, SHAPE, forms=("state_dict",), opsets=(17,),
                                  extra=INPUT)
        report(name + " (2 classes)", rows)


RECOGNISED = [("swin_v2_t", 3)] + ([(m, 1000) for m in MODELS_ALL] if ALL else [])


@pytest.mark.parametrize("name,classes", RECOGNISED)
def test_recognised_without_arch(tmp_path, name, classes):
    """pth2onnx inspect names the model (v1 and v2 differ in their keys,
    t/s in depth, s/b in width)."""
    torch.manual_seed(0)
    ckpt = tmp_path / "w.pth"
    torch.save(getattr(torchvision.models, name)(num_classes=classes).state_dict(), ckpt)
    res = subprocess.run([str(BIN), "inspect", str(ckpt)], capture_output=True, text=True,
                         timeout=120)
    assert res.returncode == 0, res.stderr
    want = f"recognised as built-in {name} (samples/swin.arch) with {classes} classes"
    assert want in res.stdout, res.stdout[:600]


def test_window_must_fit_static_size(tmp_path):
    """The attention mask needs H and W known at conversion time: a
    symbolic image size is refused with a message at the call site."""
    torch.manual_seed(0)
    ckpt = tmp_path / "w.pth"
    torch.save(torchvision.models.swin_t(num_classes=2).state_dict(), ckpt)
    res = parity.convert(ckpt, "swin_t", tmp_path / "out.onnx",
                         "--input", "input:batch_size,3,h,w")
    assert res.returncode != 0
    assert "samples/swin.arch" in res.stderr, res.stderr
