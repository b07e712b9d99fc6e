"""Built-in architectures of the classic torchvision 0.14 families (AlexNet,
ResNeXt / Wide ResNet, SqueezeNet, DenseNet, GoogLeNet, Inception v3)
against PyTorch: random-init torchvision models (torch.manual_seed(0);
parity.randomize() is applied by check_model), saved as a state_dict,
converted at opset 17 under their built-in names, run by ONNX Runtime.

`make test` checks the smallest model of each family at a small input;
P2O_ZOO=all (`make zoo`) checks every model at its declared input size.
Each family also converts a fine-tuned classifier (num_classes=2) under the
same name, and GoogLeNet / Inception v3 a checkpoint without auxiliary
heads with transform_input=True (what torchvision's pretrained weights give).
"""
import math
import os
import re
import subprocess

import numpy as np
import pytest
import torch
import torch.nn as nn
import torchvision

import parity
from helpers import BIN

ZOO_ALL = os.environ.get("P2O_ZOO") == "all"
TV = torchvision.models


def _inception_kw(**kw):
    # init_weights=None only adds a FutureWarning; the weights are random either way
    return dict(init_weights=True, **kw)


def _fan_in_init(model):
    """He-style weights for GoogLeNet / Inception v3.  Their own init
    (truncated normal, std 0.01 / 0.1) with random batch-norm statistics
    gives an output that does not depend on the input (GoogLeNet) or
    reaches 1e13 (Inception v3): the parity check would see nothing."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                gain = 2.0 if isinstance(m, nn.Conv2d) else 1.0
                m.weight.normal_(0, math.sqrt(gain / m.weight[0].numel()))
    return model


def googlenet(**kw):
    return _fan_in_init(TV.googlenet(**_inception_kw(**kw)))


def inception_v3(**kw):
    return _fan_in_init(TV.inception_v3(**_inception_kw(**kw)))


# family -> [(built-in name, torchvision constructor, declared input, small input)];
# the first entry is the family's smallest model, the one `make test` checks.
FAMILIES = {
    "alexnet": [
        # its cost is its 61M weights, not the input: 224 (the 6x6 feature map
        # AdaptiveAvgPool2d((6, 6)) keeps); the fine-tuned check takes 127 (3x3 -> 6x6)
        ("alexnet", lambda **kw: TV.alexnet(**kw), 224, 224),
    ],
    # ResNeXt and Wide ResNet: the ResNet family (samples/resnet.arch) with
    # groups / width_per_group; resnext50_32x4d exercises both parameters,
    # the wide ones (69M and 127M weights) are checked by P2O_ZOO=all
    "resnext_wide": [
        ("resnext50_32x4d", lambda **kw: TV.resnext50_32x4d(**kw), 224, 64),
        ("resnext101_32x8d", lambda **kw: TV.resnext101_32x8d(**kw), 224, 64),
        ("resnext101_64x4d", lambda **kw: TV.resnext101_64x4d(**kw), 224, 64),
        ("wide_resnet50_2", lambda **kw: TV.wide_resnet50_2(**kw), 224, 64),
        ("wide_resnet101_2", lambda **kw: TV.wide_resnet101_2(**kw), 224, 64),
    ],
    "squeezenet": [
        ("squeezenet1_1", lambda **kw: TV.squeezenet1_1(**kw), 224, 64),
        ("squeezenet1_0", lambda **kw: TV.squeezenet1_0(**kw), 224, 64),
    ],
    "densenet": [
        ("densenet121", lambda **kw: TV.densenet121(**kw), 224, 64),
        ("densenet169", lambda **kw: TV.densenet169(**kw), 224, 64),
        ("densenet201", lambda **kw: TV.densenet201(**kw), 224, 64),
        ("densenet161", lambda **kw: TV.densenet161(**kw), 224, 64),
    ],
    "googlenet": [
        ("googlenet", googlenet, 224, 64),
        ("googlenet_transform_input", lambda **kw: googlenet(transform_input=True, **kw), 224, 64),
    ],
    "inception": [
        # 75x75 is torchvision's minimum; 107 leaves a 2x2 map before the pooling
        ("inception_v3", inception_v3, 299, 107),
        ("inception_v3_transform_input", lambda **kw: inception_v3(transform_input=True, **kw),
         299, 107),
    ],
}

FINE_TUNED_SIZE = {"alexnet": 127}

CASES = [(fam, *entry) for fam, entries in FAMILIES.items()
         for entry in (entries if ZOO_ALL else entries[:1])]


def _assert_input_matters(model, size, seed):
    """The output must depend on the input, or parity proves little: another
    input must move it by 10x the parity tolerance at least.  (Deep networks
    with random batch-norm statistics come close: resnext101_32x8d moves by
    0.002 of the output's size at 224x224, the shallow ones by 0.02-0.1.)"""
    g = torch.Generator().manual_seed(seed + 100)
    x1, x2 = (torch.randn(2, 3, size, size, generator=g) for _ in range(2))
    with torch.no_grad():
        y1, y2 = model(x1), model(x2)
    change = float((y1 - y2).abs().max() / y1.abs().max())
    assert change > 10 * parity.MAX_REL_ERR, f"the output hardly depends on the input ({change:.2g})"


def _check(name, factory, size, batches=(1, 3), seed=0, **kw):
    torch.manual_seed(seed)
    model = parity.randomize(factory(**kw), seed).eval()
    _assert_input_matters(model, size, seed)
    report = parity.check_model(model, name, (3, size, size), forms=("state_dict",),
                                opsets=(17,), batches=batches, seed=seed,
                                extra=("--input", f"input:batch_size,3,{size},{size}"))
    return max(e for *_, e in report)


@pytest.mark.parametrize("family,name,factory,full,small", CASES,
                         ids=[c[1] for c in CASES])
def test_parity(family, name, factory, full, small):
    err = _check(name, factory, full if ZOO_ALL else small)
    print(name, "max relative error", err)


def _quick_check(tmp_path, name, model, size, batch=2, seed=1, keys=lambda sd: sd):
    """Convert, run and compare at one batch size, without onnx.checker (the
    parity test of the same architecture runs it; on AlexNet's 240 MB it
    alone takes 15 s).  keys: a change to the saved state_dict."""
    model = parity.randomize(model, seed).eval()
    _assert_input_matters(model, size, seed)
    ckpt, out = tmp_path / "w.pth", tmp_path / "m.onnx"
    torch.save(keys(model.state_dict()), ckpt)
    res = parity.convert(ckpt, name, out, "--input", f"input:batch_size,3,{size},{size}")
    assert res.returncode == 0, res.stderr
    x = np.random.default_rng(seed).standard_normal((batch, 3, size, size)).astype(np.float32)
    with torch.no_grad():
        want = model(torch.from_numpy(x)).numpy()
    (got,) = parity.run_ort(out, {"input": x}, tmp_path)
    assert got.shape == want.shape, f"shape {got.shape} != {want.shape}"
    err = parity.rel_err(got, want)
    assert err <= parity.MAX_REL_ERR, f"relative error {err:.3g}"
    return got.shape, err


@pytest.mark.parametrize("family", list(FAMILIES))
def test_fine_tuned_classifier_converts_under_the_same_name(tmp_path, family):
    name, factory, _, small = FAMILIES[family][0]
    torch.manual_seed(1)
    shape, err = _quick_check(tmp_path, name, factory(num_classes=2),
                              FINE_TUNED_SIZE.get(family, small))
    assert shape == (2, 2)
    print(name, "num_classes=2: max relative error", err)


def test_pretrained_style_googlenet_without_aux_heads():
    """googlenet(weights=...) gives transform_input=True and no auxiliary
    heads in the state_dict."""
    err = _check("googlenet_transform_input", googlenet, 64, batches=(2,), seed=2,
                 transform_input=True, aux_logits=False)
    print("googlenet_transform_input without aux heads: max relative error", err)


def test_pretrained_style_inception_v3_without_aux_head(tmp_path):
    """inception_v3(weights=..., aux_logits=False): transform_input=True, no
    AuxLogits.  (Without onnx.checker: test_parity checks this graph in
    P2O_ZOO=all, and the transform_input part with GoogLeNet above.)"""
    torch.manual_seed(2)
    _, err = _quick_check(tmp_path, "inception_v3_transform_input",
                          inception_v3(transform_input=True, aux_logits=False), 107, seed=2)
    print("inception_v3_transform_input without AuxLogits: max relative error", err)


def _old_densenet_keys(sd):
    """The keys of torchvision's DenseNet download files: denselayer1.norm.1.weight
    for denselayer1.norm1.weight (the inverse of torchvision's _load_state_dict),
    and no num_batches_tracked (they predate it)."""
    pattern = re.compile(r"^(.*denselayer\d+\.(?:norm|relu|conv))([12])\.(weight|bias|running_mean|running_var)$")
    old = {}
    for k, v in sd.items():
        if k.endswith("num_batches_tracked"):
            continue
        m = pattern.match(k)
        old[f"{m.group(1)}.{m.group(2)}.{m.group(3)}" if m else k] = v
    assert "features.denseblock1.denselayer1.norm.1.weight" in old
    return old


def test_densenet_old_key_names(tmp_path):
    torch.manual_seed(3)
    _, err = _quick_check(tmp_path, "densenet121", TV.densenet121(), 64, keys=_old_densenet_keys)
    print("densenet121 with old key names: max relative error", err)


def test_transform_input_variants_differ(tmp_path):
    """The two names are different models: converting a transform_input=True
    GoogLeNet as `googlenet` gives other numbers (so the parity check of the
    _transform_input variant can fail)."""
    torch.manual_seed(0)
    model = googlenet(transform_input=True)
    with pytest.raises(AssertionError, match="relative error"):
        parity.check_model(model, "googlenet", (3, 64, 64), forms=("state_dict",),
                           opsets=(17,), batches=(1,),
                           extra=("--input", "input:batch_size,3,64,64"))


# ---- the evaluator features the families use: has_weights, str,
# ---- add_module, items/children

class Optional2(nn.Module):
    def __init__(self, extra):
        super().__init__()
        self.body = nn.Linear(4, 4)
        if extra:
            self.head = nn.Linear(4, 3)
        self.blocks = nn.ModuleDict()
        for i in range(3):
            self.blocks.add_module("layer" + str(i + 1), nn.Linear(4, 4))

    def forward(self, x):
        x = self.body(x)
        for _, m in self.blocks.items():
            x = x + m(x)
        return x


OPTIONAL_ARCH = """
class Blocks(nn.Module):
    def __init__(self):
        for i in range(3):
            self.add_module("layer" + str(i + 1), nn.Linear(4, 4))
    def forward(self, x):
        for name, m in self.items():
            x = x + m(x)
        return x

class Optional2(nn.Module):
    def __init__(self, extra):
        self.body = nn.Linear(4, 4)
        if extra:
            self.head = nn.Linear(4, None)
        self.blocks = Blocks()
    def forward(self, x):
        x = self.body(x)
        n = 0
        for m in self.blocks.children():
            n += 1
        assert n == 3
        return self.blocks(x)

model m(x: [batch_size, 4]) -> y = Optional2(has_weights("head"))
"""


@pytest.mark.parametrize("extra", [True, False])
def test_has_weights_add_module_items(tmp_path, extra):
    arch = tmp_path / "opt.arch"
    arch.write_text(OPTIONAL_ARCH)
    torch.manual_seed(0)
    parity.check_model(Optional2(extra), arch, (4,), forms=("state_dict",), opsets=(17,),
                       batches=(2,))


def test_has_weights_is_not_a_wildcard(tmp_path):
    """A prefix matches whole path components: has_weights("hea") is False
    for head.weight, so the head is not declared and head.* is unexpected."""
    arch = tmp_path / "opt.arch"
    arch.write_text(OPTIONAL_ARCH.replace('has_weights("head")', 'has_weights("hea")'))
    torch.manual_seed(0)
    ckpt = tmp_path / "w.pth"
    torch.save(Optional2(True).state_dict(), ckpt)
    res = subprocess.run([str(BIN), "convert", str(ckpt), "--arch", str(arch), "-o",
                          str(tmp_path / "o.onnx")], capture_output=True, text=True, timeout=60)
    assert res.returncode == 6, res.stderr
    assert "unexpected key head.weight" in res.stderr


# ---- recognition without --arch (pth2onnx inspect)

@pytest.mark.parametrize("factory,expect", [
    (lambda: TV.squeezenet1_0(), "recognised as built-in squeezenet1_0"),
    (lambda: TV.squeezenet1_1(num_classes=2), "recognised as built-in squeezenet1_1"),
    (lambda: TV.densenet121(num_classes=2),
     "recognised as built-in densenet121 (samples/densenet.arch) with 2 classes"),
    (lambda: TV.resnext50_32x4d(num_classes=3),
     "recognised as built-in resnext50_32x4d (samples/resnet.arch) with 3 classes"),
    # transform_input is not in the weights: the user chooses
    (lambda: googlenet(aux_logits=False),
     "fit 2 built-in architectures equally: googlenet, googlenet_transform_input"),
    (lambda: googlenet(), "fit 2 built-in architectures equally: googlenet, googlenet_transform_input"),
])
def test_recognised_without_arch(tmp_path, factory, expect):
    torch.manual_seed(0)
    ckpt = tmp_path / "w.pth"
    torch.save(factory().state_dict(), ckpt)
    res = subprocess.run([str(BIN), "inspect", str(ckpt)], capture_output=True, text=True,
                         timeout=120)
    assert res.returncode == 0, res.stderr
    assert expect in res.stdout, res.stdout[:600]


def test_densenet_old_key_names_recognised(tmp_path):
    torch.manual_seed(0)
    ckpt = tmp_path / "w.pth"
    torch.save(_old_densenet_keys(TV.densenet121().state_dict()), ckpt)
    res = subprocess.run([str(BIN), "inspect", str(ckpt)], capture_output=True, text=True,
                         timeout=120)
    assert "recognised as built-in densenet121 (samples/densenet.arch) with 1000 classes" \
        in res.stdout, res.stdout[:600]
