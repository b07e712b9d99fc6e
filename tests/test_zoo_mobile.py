"""Built-in mobile architectures against torchvision 0.14: MobileNetV2,
MobileNetV3, MNASNet and ShuffleNetV2 (samples/mobilenetv2.arch,
mobilenetv3.arch, mnasnet.arch, shufflenetv2.arch).

Each model is a random-init torchvision model (torch.manual_seed(0)) with
random batch-norm statistics (parity.randomize), saved as a state_dict,
converted by its built-in name at opset 17 and run by ONNX Runtime at batch 1
and 3 (see parity.py).  `make test` checks the smallest model of each
family; P2O_ZOO=all (`make zoo`) checks every one.  A model fine-tuned to two
classes checks that the classifier's size comes from the weights."""
import os

import pytest
import torch
import torchvision

import parity

FAMILIES = {
    "mobilenet_v2": ["mobilenet_v2"],
    "mobilenet_v3": ["mobilenet_v3_small", "mobilenet_v3_large"],
    "mnasnet": ["mnasnet0_5", "mnasnet0_75", "mnasnet1_0", "mnasnet1_3"],
    "shufflenet_v2": ["shufflenet_v2_x0_5", "shufflenet_v2_x1_0", "shufflenet_v2_x1_5",
                      "shufflenet_v2_x2_0"],
}
SMALLEST = [names[0] for names in FAMILIES.values()]
ALL = [name for names in FAMILIES.values() for name in names]
MODELS = ALL if os.environ.get("P2O_ZOO") == "all" else SMALLEST


@pytest.mark.parametrize("name", MODELS)
def test_parity(name):
    parity.check_torchvision(name, (3, 224, 224))


@pytest.mark.parametrize("name", SMALLEST)
def test_fine_tuned_classifier(name):
    """num_classes=2: the classifier's output size comes from the weights;
    a smaller input through --input (every family ends in a global pool)."""
    torch.manual_seed(0)
    model = getattr(torchvision.models, name)(num_classes=2)
    report = parity.check_model(model, name, (3, 96, 96), forms=("state_dict",), opsets=(17,),
                                extra=("--input", "input:batch_size,3,96,96"))
    print(name, "num_classes=2 max relative error", max(e for *_, e in report))
