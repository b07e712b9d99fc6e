"""`pth2onnx convert` end to end: the three samples in four save forms at
opsets 13 and 17 against PyTorch (see parity.py), and the error messages of
a wrong description."""
import subprocess

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

import parity
from helpers import BIN, ROOT

SAMPLES = ROOT / "samples"


class TheModelClass(nn.Module):
    """The seed's LeNet, as in PyTorch's saving-and-loading tutorial."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = x.view(-1, 16 * 5 * 5)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


class MLP(nn.Module):
    def __init__(self, sizes=(784, 256, 128, 10), dropout=0.2):
        super().__init__()
        layers = []
        for i in range(len(sizes) - 1):
            layers.append(nn.Linear(sizes[i], sizes[i + 1]))
            if i < len(sizes) - 2:
                layers += [nn.ReLU(), nn.Dropout(dropout)]
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(torch.flatten(x, 1))


CASES = {
    "lenet": (TheModelClass, SAMPLES / "lenet.arch", (3, 32, 32)),
    "mlp": (MLP, SAMPLES / "mlp.arch", (1, 28, 28)),
    "resnet18": (lambda: torchvision.models.resnet18(), "resnet18", (3, 224, 224)),
}


@pytest.mark.parametrize("name", list(CASES))
def test_parity(name):
    torch.manual_seed(0)
    factory, arch, shape = CASES[name]
    report = parity.check_model(factory(), arch, shape)
    assert len(report) == 4 * 2 * 2  # forms x opsets x batches
    print(name, "max relative error", max(e for *_, e in report))


def test_fine_tuned_classifier_size_comes_from_weights(tmp_path):
    torch.manual_seed(1)
    model = torchvision.models.resnet18(num_classes=2)
    parity.check_model(model, "resnet18", (3, 64, 64), forms=("state_dict",), opsets=(17,),
                       extra=("--input", "input:batch_size,3,64,64"))


def _convert_error(tmp_path, arch_text, model=None):
    torch.manual_seed(0)
    ckpt = tmp_path / "lenet.pth"
    torch.save((model or TheModelClass()).state_dict(), ckpt)
    arch = tmp_path / "net.arch"
    arch.write_text(arch_text)
    out = tmp_path / "out.onnx"
    res = subprocess.run([str(BIN), "convert", str(ckpt), "--arch", str(arch), "-o", str(out)],
                         capture_output=True, text=True, timeout=60)
    assert not out.exists(), "no output file on failure"
    return res, arch


LENET = (SAMPLES / "lenet.arch").read_text()


def test_wrong_shape_names_the_key(tmp_path):
    res, arch = _convert_error(tmp_path, LENET.replace("Conv2d(3, 6, 5)", "Conv2d(3, 8, 5)"))
    assert res.returncode == 6, res.stderr
    assert "conv1.weight has shape [6, 3, 5, 5] but Conv2d(3, 8, 5) needs [8, 3, 5, 5]" in res.stderr
    assert f"{arch}:4:13" in res.stderr  # where Conv2d(3, 8, 5) is written


def test_missing_and_unexpected_keys_reported_together(tmp_path):
    text = LENET.replace("fc3 = Linear(84, 10)", "fc4 = Linear(84, 10)")
    res, _ = _convert_error(tmp_path, text)
    assert res.returncode == 6, res.stderr
    assert "missing key fc4.weight" in res.stderr and "missing key fc4.bias" in res.stderr
    assert "unexpected key fc3.weight" in res.stderr and "unexpected key fc3.bias" in res.stderr
    assert "2 missing, 2 unexpected, 0 mismatched" in res.stderr


def test_allow_unused_and_missing(tmp_path):
    torch.manual_seed(0)
    ckpt = tmp_path / "lenet.pth"
    sd = TheModelClass().state_dict()
    sd["extra.weight"] = torch.zeros(3)
    torch.save(sd, ckpt)
    out = tmp_path / "out.onnx"
    base = [str(BIN), "convert", str(ckpt), "--arch", str(SAMPLES / "lenet.arch"), "-o", str(out)]
    res = subprocess.run(base, capture_output=True, text=True)
    assert res.returncode == 6 and "unexpected key extra.weight" in res.stderr
    res = subprocess.run(base + ["--allow-unused"], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert "warning: unexpected key extra.weight" in res.stderr


def test_syntax_error_points_at_line_and_column(tmp_path):
    res, arch = _convert_error(tmp_path, LENET.replace("Conv2d(6, 16, 5)", "Conv2d(6, 16 5)"))
    assert res.returncode == 5, res.stderr
    lines = res.stderr.splitlines()
    assert lines[0].startswith(f"pth2onnx: {arch}:6:")
    assert "conv2 = Conv2d(6, 16 5)" in lines[1]
    caret = lines[2].index("^")
    assert lines[1][caret] == "5", "the caret points at the unexpected token"


def test_refuses_to_overwrite_the_checkpoint(tmp_path):
    torch.manual_seed(0)
    ckpt = tmp_path / "lenet.pth"
    torch.save(TheModelClass().state_dict(), ckpt)
    before = ckpt.read_bytes()
    res = subprocess.run([str(BIN), "convert", str(ckpt), "--arch", str(SAMPLES / "lenet.arch"),
                          "-o", str(ckpt)], capture_output=True, text=True)
    assert res.returncode == 3, res.stderr
    assert ckpt.read_bytes() == before
