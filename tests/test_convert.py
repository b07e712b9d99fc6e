"""`pth2onnx convert` end to end: the three samples in four save forms at
opsets 13 and 17 against PyTorch (see parity.py), and the error messages of
a wrong description."""
import inspect
import subprocess

import onnx
import onnx.numpy_helper

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


def _lenet_checkpoint(tmp_path, **drop):
    torch.manual_seed(0)
    model = TheModelClass().eval()
    sd = model.state_dict()
    for key in drop.get("keys", ()):
        del sd[key]
    ckpt = tmp_path / "lenet.pth"
    torch.save(sd, ckpt)
    return model, ckpt


def _run(*args):
    return subprocess.run([str(BIN), *map(str, args)], capture_output=True, text=True, timeout=120)


def test_graph_names_shapes_and_metadata(tmp_path):
    """Netron shows the model as the user knows it: nodes named by module
    path, initializers by state_dict key, a shape on every edge."""
    _, ckpt = _lenet_checkpoint(tmp_path)
    out = tmp_path / "lenet.onnx"
    res = _run("convert", ckpt, "--arch", SAMPLES / "lenet.arch", "-o", out)
    assert res.returncode == 0, res.stderr
    m = onnx.load(str(out))
    assert m.producer_name == "pth2onnx"
    assert {n.name for n in m.graph.node} >= {"conv1", "conv2", "pool", "fc1", "fc2", "fc3"}
    assert {i.name for i in m.graph.initializer} >= {
        "conv1.weight", "conv1.bias", "fc3.weight", "fc3.bias"}
    meta = {p.key: p.value for p in m.metadata_props}
    assert meta["source_checkpoint"] == str(ckpt) and meta["architecture"].endswith("lenet.arch")
    for v in (m.graph.input[0], m.graph.output[0]):
        assert v.type.tensor_type.shape.dim[0].dim_param == "batch_size"
    typed = {v.name: v for v in m.graph.value_info}
    outputs = {o.name for o in m.graph.output}
    for n in m.graph.node:
        for o in n.output:
            if o not in outputs:
                dims = typed[o].type.tensor_type.shape.dim
                assert len(dims) > 0 and dims[0].dim_param == "batch_size", o
    # the shape of x.view(-1, 400) keeps -1: no constant holds a batch size
    shapes = [onnx.numpy_helper.to_array(i) for i in m.graph.initializer
              if i.data_type == onnx.TensorProto.INT64]
    assert any(list(s) == [-1, 400] for s in shapes)


def test_output_is_deterministic(tmp_path):
    _, ckpt = _lenet_checkpoint(tmp_path)
    a, b = tmp_path / "a.onnx", tmp_path / "b.onnx"
    for out in (a, b):
        assert _run("convert", ckpt, "--arch", SAMPLES / "lenet.arch", "-o", out,
                    "-q").returncode == 0
    assert a.read_bytes() == b.read_bytes()


def test_static_batch(tmp_path):
    torch.manual_seed(0)
    parity.check_model(TheModelClass(), SAMPLES / "lenet.arch", (3, 32, 32),
                       forms=("state_dict",), opsets=(17,), batches=(2,),
                       extra=("--static-batch", "2"))


TWO_HEADS = """
import torch.nn as nn

class TwoHeads(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(kernel_size=3, padding=1)   # channels from the weight
        self.bn = nn.BatchNorm2d(4)
        self.fc_a = nn.Linear(4 * 4 * 4, 5)
        self.fc_b = nn.Linear()

    def forward(self, x, y):
        h = torch.flatten(self.bn(self.conv(x)) + y, 1)
        return self.fc_a(h), self.fc_b(F.relu(h))

model two(x: [batch_size, 2, 4, 4], y: [batch_size, 4, 4, 4]) -> (a, b) = TwoHeads()
"""


class TwoHeads(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 4, kernel_size=3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.fc_a = nn.Linear(4 * 4 * 4, 5)
        self.fc_b = nn.Linear(4 * 4 * 4, 3)

    def forward(self, x, y):
        h = torch.flatten(self.bn(self.conv(x)) + y, 1)
        return self.fc_a(h), self.fc_b(F.relu(h))


def test_class_syntax_several_inputs_and_outputs(tmp_path):
    arch = tmp_path / "two.arch"
    arch.write_text(TWO_HEADS)
    torch.manual_seed(0)
    parity.check_model(TwoHeads(), arch, [(2, 4, 4), (4, 4, 4)], forms=("state_dict",))


class LocalsNet(nn.Module):
    """__init__ as PyTorch users write it: a module in a local variable
    passed to a container (not a child of its own: no `conv.*` keys), a
    helper method defined after __init__ and called from it, a parameter
    shadowed by a local, and an attribute named like a parameter
    (`self.proj = nn.Linear(width, proj)`, as nn.TransformerEncoderLayer's
    `self.dropout = Dropout(dropout)`) that leaves the parameter alone."""

    def __init__(self, width=8, proj=12):
        super().__init__()
        conv = nn.Conv2d(3, width, 3, padding=1)
        width = width * 2
        self.features = nn.Sequential(conv, nn.ReLU(), nn.Conv2d(8, width, 1))
        self.proj = nn.Linear(width, proj)
        self.head = self._make_head(proj)  # the parameter, not self.proj

    def forward(self, x):
        x = torch.flatten(F.adaptive_avg_pool2d(self.features(x), 1), 1)
        return self.head(self.proj(x))

    def _make_head(self, c):
        return nn.Linear(c, 5)


# the class above pasted as it is, and a model line
LOCALS_ARCH = "import torch.nn as nn\n\n" + inspect.getsource(LocalsNet) + \
    "\nmodel locals_net(x: [batch_size, 3, 8, 8]) -> y = LocalsNet()\n"


def test_class_init_locals_and_later_methods(tmp_path):
    arch = tmp_path / "locals.arch"
    arch.write_text(LOCALS_ARCH)
    torch.manual_seed(0)
    assert not any(k.startswith("conv.") for k in LocalsNet().state_dict())
    parity.check_model(LocalsNet(), arch, (3, 8, 8), forms=("state_dict",), opsets=(17,))


def test_output_names_and_input_override(tmp_path):
    arch = tmp_path / "two.arch"
    arch.write_text(TWO_HEADS)
    torch.manual_seed(0)
    ckpt = tmp_path / "two.pth"
    torch.save(TwoHeads().state_dict(), ckpt)
    out = tmp_path / "two.onnx"
    res = _run("convert", ckpt, "--arch", arch, "-o", out, "--output", "logits",
               "--input", "x:1,2,4,4", "--input", "y:1,4,4,4")
    assert res.returncode == 0, res.stderr
    m = onnx.load(str(out))
    assert [o.name for o in m.graph.output] == ["logits", "b"]
    assert [d.dim_value for d in m.graph.input[0].type.tensor_type.shape.dim] == [1, 2, 4, 4]


def test_allow_missing_fills_zeros(tmp_path):
    model, ckpt = _lenet_checkpoint(tmp_path, keys=["fc3.bias"])
    out = tmp_path / "out.onnx"
    base = ["convert", ckpt, "--arch", SAMPLES / "lenet.arch", "-o", out]
    res = _run(*base)
    assert res.returncode == 6 and "missing key fc3.bias" in res.stderr
    res = _run(*base, "--allow-missing")
    assert res.returncode == 0, res.stderr
    assert "fc3.bias is missing; filled with zeros" in res.stderr
    with torch.no_grad():
        model.fc3.bias.zero_()
        x = torch.randn(2, 3, 32, 32)
        want = model(x).numpy()
    got = parity.run_ort(out, {"input": x.numpy()}, tmp_path)[0]
    assert parity.rel_err(got, want) <= parity.MAX_REL_ERR


@pytest.mark.parametrize("args,code,text", [
    (["--arch", "no_such_arch"], 2, "no built-in architecture"),
    (["--arch", "resnet18", "--opset", "9"], 2, "--opset takes a number from 13 to 21"),
    (["--arch", "resnet18", "--bogus"], 2, "unknown option"),
])
def test_usage_errors(tmp_path, args, code, text):
    _, ckpt = _lenet_checkpoint(tmp_path)
    res = _run("convert", ckpt, "-o", tmp_path / "x.onnx", *args)
    assert res.returncode == code and text in res.stderr, res.stderr


def test_archs_lists_builtins():
    res = _run("archs")
    lines = res.stdout.splitlines()
    names = [line.split()[0] for line in lines]
    assert res.returncode == 0
    assert {"TheModelClass", "mlp", "resnet18", "resnet50", "vgg16", "vgg16_bn"} <= set(names)
    # one column for the files, however long the names
    assert len({line.index("samples/") for line in lines}) == 1


def test_snippet_harness_catches_a_wrong_conversion():
    """The per-layer harness must fail when the numbers differ: a model that
    computes relu(x) + 1 against a description that computes relu(x)."""
    class PlusOne(nn.Module):
        def forward(self, x):
            return F.relu(x) + 1
    with pytest.raises(AssertionError, match="relative error"):
        parity.check_snippet(PlusOne(), [], "relu(x0)", [(4, 5)], opsets=(17,))
    parity.check_snippet(PlusOne(), [], "relu(x0) + 1", [(4, 5)], opsets=(17,))


class ConvBNNoAffine(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.bn = nn.BatchNorm2d(4, affine=False)
        self.bn_alone = nn.BatchNorm2d(4, affine=False, eps=1e-3)

    def forward(self, x):
        return self.bn_alone(F.relu(self.bn(self.conv(x))))


def test_batchnorm_without_affine_folded_and_alone():
    torch.manual_seed(0)
    parity.check_snippet(ConvBNNoAffine(), [
        "conv = Conv2d(3, 4, 3)", "bn = BatchNorm2d(4, affine=False)",
        "bn_alone = BatchNorm2d(4, affine=False, eps=1e-3)"],
        "bn_alone(relu(bn(conv(x0))))", [(3, 6, 6)])
