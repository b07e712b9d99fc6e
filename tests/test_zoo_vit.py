"""Parity of the built-in Vision Transformers (samples/vit.arch) with
torchvision 0.14: random-init models (torch.manual_seed(0); check_model
randomizes constant-initialised parameters such as the class token and the
zero-initialised head), saved as a state_dict, converted by name at opset
17, run by ONNX Runtime at batch 1 and 3 on 3x224x224 inputs (the length of
encoder.pos_embedding fixes the image size).

`make test` checks vit_b_32 (the least compute; without onnx.checker, which
takes half a minute on its 350 MB) and recognition without --arch;
P2O_ZOO=all (`make zoo`) checks every model, with onnx.checker, and a
fine-tuned 2-class vit_b_32.
"""
import os
import subprocess

import pytest
import torch
import torchvision

import parity
from helpers import BIN

ALL = os.environ.get("P2O_ZOO") == "all"
SHAPE = (3, 224, 224)
NAMES = ["vit_b_16", "vit_b_32", "vit_l_16", "vit_l_32", "vit_h_14"]
SMALLEST = {"vit_b_32"}
# vit_h_14 (632M parameters, 2.5 GB) goes over protobuf's 2 GB: its weights
# are written as external data (tests/test_external_data.py)

MODELS = [n for n in NAMES if ALL or n in SMALLEST]


def report(name, rows):
    print(name, "max relative error", max(e for *_, e in rows))


@pytest.mark.parametrize("name", MODELS)
def test_parity(name):
    parity.check_torchvision(name, SHAPE, checker=ALL)


if ALL:  # a minute on 2 cores: make zoo only
    def test_fine_tuned_classifier_size_comes_from_weights():
        torch.manual_seed(0)
        model = torchvision.models.vit_b_32(num_classes=2)
        rows = parity.check_model(model, "vit_b_32", SHAPE, forms=("state_dict",), opsets=(17,),
                                  batches=(2,))
        assert rows[0][-1] <= parity.MAX_REL_ERR
        report("vit_b_32 (2 classes)", rows)


@pytest.mark.parametrize("name", ["vit_b_32"] + (["vit_b_16", "vit_l_16", "vit_l_32", "vit_h_14"] if ALL else []))
def test_recognised_without_arch(tmp_path, name):
    torch.manual_seed(0)
    ckpt = tmp_path / "m.pth"
    torch.save(getattr(torchvision.models, name)(num_classes=3).state_dict(), ckpt)
    res = subprocess.run([str(BIN), "inspect", str(ckpt)], capture_output=True, text=True,
                         timeout=300)
    assert res.returncode == 0, res.stderr
    assert f"recognised as built-in {name} (samples/vit.arch)" in res.stdout, res.stdout
