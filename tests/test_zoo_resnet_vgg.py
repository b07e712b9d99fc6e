"""Parity of the built-in ResNet and VGG architectures (samples/resnet.arch,
samples/vgg.arch) with torchvision 0.14: random-init models
(torch.manual_seed(0); check_model randomizes batch-norm statistics), saved
as a state_dict, converted by name at opset 17, run by ONNX Runtime at
batch 1 and 3.

`make test` checks resnet18 in test_convert.py (four save forms, opsets 13
and 17) and here the smallest VGG with and without batch norm; P2O_ZOO=all
(`make zoo`) checks every ResNet and VGG.  (ResNeXt and Wide ResNet, also in
samples/resnet.arch, are in test_zoo_classic.py.)  VGG's adaptive pool makes
any input from 32x32 work: 64x64 keeps the run short; ResNets run at their
224x224 default.
"""
import os

import pytest
import torch
import torchvision

import parity

ALL = os.environ.get("P2O_ZOO") == "all"

RESNETS = ["resnet18", "resnet34", "resnet50", "resnet101", "resnet152"]
VGGS = ["vgg11", "vgg13", "vgg16", "vgg19", "vgg11_bn", "vgg13_bn", "vgg16_bn", "vgg19_bn"]
CASES = [(n, (3, 224, 224), ()) for n in RESNETS if ALL and n != "resnet18"] + \
        [(n, (3, 64, 64), ("--input", "input:batch_size,3,64,64")) for n in VGGS
         if ALL or n in ("vgg11", "vgg11_bn")]


@pytest.mark.parametrize("name,shape,extra", CASES, ids=[c[0] for c in CASES])
def test_parity(name, shape, extra):
    parity.check_torchvision(name, shape, extra=extra)


def test_vgg_fine_tuned_to_2_classes_converts_under_the_same_name():
    torch.manual_seed(0)
    model = torchvision.models.vgg11_bn(num_classes=2)
    parity.check_model(model, "vgg11_bn", (3, 64, 64), forms=("state_dict",), opsets=(17,),
                       extra=("--input", "input:batch_size,3,64,64"))
