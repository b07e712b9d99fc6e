"""ONNX external data (`--external-data`, and automatically over 2 GB):
the weights go to OUT.onnx.data, the model file keeps the graph.

What is checked comes from the ONNX spec and from PyTorch: onnx.checker
accepts the pair, ONNX Runtime gives PyTorch's numbers from it, every large
initializer names the data file with an offset and length that lie inside
it, and the bytes there are the checkpoint's tensor.  ResNet-18 and
LeNet are small, so this runs in `make test`; the models over 2 GB
(regnet_y_128gf, vit_h_14) are in `make zoo`.
"""
import os

import numpy as np
import onnx
import torch
import torchvision

import parity
from helpers import ROOT

EXT = ("--external-data",)


def test_resnet18_parity_with_external_data():
    torch.manual_seed(0)
    rows = parity.check_model(torchvision.models.resnet18(), "resnet18", (3, 64, 64),
                              forms=("state_dict", "legacy"), opsets=(13, 17),
                              extra=("--input", "input:batch_size,3,64,64", *EXT))
    assert len(rows) == 8
    print("resnet18 external data: max relative error", max(e for *_, e in rows))


def test_layout_bytes_and_determinism(tmp_path):
    torch.manual_seed(0)
    model = torchvision.models.resnet18().eval()
    sd = model.state_dict()
    ckpt = tmp_path / "r18.pth"
    torch.save(sd, ckpt)
    outs = []
    for name in ("a", "b"):
        d = tmp_path / name
        d.mkdir()
        out = d / "model.onnx"
        res = parity.convert(ckpt, "resnet18", out, *EXT)
        assert res.returncode == 0, res.stderr
        outs.append(out)
    # byte-identical runs, model and data
    assert outs[0].read_bytes() == outs[1].read_bytes()
    data_path = outs[0].parent / "model.onnx.data"
    assert data_path.read_bytes() == (outs[1].parent / "model.onnx.data").read_bytes()
    assert sorted(p.name for p in outs[0].parent.iterdir()) == ["model.onnx", "model.onnx.data"]

    data = data_path.read_bytes()
    m = onnx.load(str(outs[0]), load_external_data=False)
    assert os.path.getsize(outs[0]) < 100_000  # the graph only
    external = 0
    for t in m.graph.initializer:
        if t.data_location != onnx.TensorProto.EXTERNAL:
            assert len(t.raw_data) < 1024  # only small tensors stay inline
            continue
        external += 1
        kv = {e.key: e.value for e in t.external_data}
        assert kv["location"] == "model.onnx.data"
        off, n = int(kv["offset"]), int(kv["length"])
        assert off % 4096 == 0 and off + n <= len(data)
        got = np.frombuffer(data[off:off + n], dtype=np.float32).reshape(t.dims)
        if t.name in sd:  # an unchanged checkpoint tensor: its exact bytes
            assert np.array_equal(got, sd[t.name].numpy()), t.name
    assert external >= 20  # every conv weight at least
    assert sum(1 for t in m.graph.initializer if t.name in sd and
               t.data_location == onnx.TensorProto.EXTERNAL) > 0


def test_summary_mentions_the_data_file(tmp_path):
    out = tmp_path / "lenet.onnx"
    res = parity.subprocess.run([str(parity.BIN), "convert", str(ROOT / "samples" / "lenet.pth"),
                                 "--arch", str(ROOT / "samples" / "lenet.arch"), "-o", str(out),
                                 *EXT], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    assert f"weights in external data {out}.data" in res.stderr + res.stdout
    assert (tmp_path / "lenet.onnx.data").exists()
    onnx.checker.check_model(str(out), full_check=True)
