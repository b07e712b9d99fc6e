"""Parity of the built-in EfficientNet, RegNet and ConvNeXt architectures
(samples/efficientnet.arch, regnet.arch, convnext.arch) with torchvision
0.14: random-init models (torch.manual_seed(0); check_model randomizes the
batch-norm statistics and constant-initialised parameters such as ConvNeXt's
layer_scale), saved as a state_dict, converted by name at opset 17, run by
ONNX Runtime at batch 1 and 3 on 3x64x64 inputs (every family ends in an
adaptive pool).

`make test` checks the smallest model of each family (both RegNet kinds:
X has no squeeze-excitation, Y has) and one fine-tuned classifier
(num_classes=2) per family; P2O_ZOO=all (`make zoo`) checks every model.
"""
import os

import pytest
import torch
import torchvision

import parity

ALL = os.environ.get("P2O_ZOO") == "all"
SHAPE = (3, 64, 64)
INPUT = ("--input", "input:batch_size,3,64,64")

FAMILIES = {
    "efficientnet": ["efficientnet_b0", "efficientnet_b1", "efficientnet_b2",
                     "efficientnet_b3", "efficientnet_b4", "efficientnet_b5",
                     "efficientnet_b6", "efficientnet_b7", "efficientnet_v2_s",
                     "efficientnet_v2_m", "efficientnet_v2_l"],
    "regnet": ["regnet_x_400mf", "regnet_x_800mf", "regnet_x_1_6gf", "regnet_x_3_2gf",
               "regnet_x_8gf", "regnet_x_16gf", "regnet_x_32gf",
               "regnet_y_400mf", "regnet_y_800mf", "regnet_y_1_6gf", "regnet_y_3_2gf",
               "regnet_y_8gf", "regnet_y_16gf", "regnet_y_32gf", "regnet_y_128gf"],
    "convnext": ["convnext_tiny", "convnext_small", "convnext_base", "convnext_large"],
}
SMALLEST = {"efficientnet_b0", "regnet_x_400mf", "regnet_y_400mf", "convnext_tiny"}
# regnet_y_128gf (2.6 GB of weights) goes over protobuf's 2 GB: pth2onnx
# writes its weights as external data by itself (tests/test_external_data.py)
FINE_TUNED = {"efficientnet": "efficientnet_b0", "regnet": "regnet_y_400mf",
              "convnext": "convnext_tiny"}

MODELS = [name for names in FAMILIES.values() for name in names
          if (ALL or name in SMALLEST)]


def report(name, rows):
    print(name, "max relative error", max(e for *_, e in rows))


@pytest.mark.parametrize("name", MODELS)
def test_parity(name):
    parity.check_torchvision(name, SHAPE, extra=INPUT)


@pytest.mark.parametrize("family", list(FAMILIES))
def test_fine_tuned_classifier_size_comes_from_weights(family):
    name = FINE_TUNED[family]
    torch.manual_seed(0)
    model = getattr(torchvision.models, name)(num_classes=2)
    rows = parity.check_model(model, name, SHAPE, forms=("state_dict",), opsets=(17,),
                              extra=INPUT)
    assert all(r[-1] <= parity.MAX_REL_ERR for r in rows)
    report(name + " (2 classes)", rows)
