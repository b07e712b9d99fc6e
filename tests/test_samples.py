"""Parity of the custom-model samples (samples/unet.arch, lstm_classifier.arch,
transformer_classifier.arch, gru_encoder.arch, m5.arch): models users write themselves, transcribed as
they are usually written.  Each test builds the PyTorch reference model
below (random init, torch.manual_seed(0); check_model randomizes the
batch-norm statistics), saves it as a state_dict and as a checkpoint dict
(the U-Nets, 31M and 17M parameters, as a state_dict only), converts it by
its built-in name at opsets 13 and 17, and compares ONNX Runtime with
PyTorch at batch 1 and 3 and two sizes of the dynamic axes (sequence
length, number of samples, image height and width: one ONNX file runs them
all).  Also: the functions the samples call with run-time sizes (F.pad by
x.size() arithmetic, pooling over a whole dynamic axis) as snippets."""

import math

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

import parity

FORMS = ("state_dict", "checkpoint")


def report(name, rows):
    print(name, len(rows), "outputs compared, max relative error",
          max(e for *_, e in rows))


# ------------------------------------------------------------------ U-Net
# milesial/Pytorch-UNet (unet_parts.py, unet_model.py)
class DoubleConv(nn.Module):
    def __init__(self, in_channels, out_channels, mid_channels=None):
        super().__init__()
        if not mid_channels:
            mid_channels = out_channels
        self.double_conv = nn.Sequential(
            nn.Conv2d(in_channels, mid_channels, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(mid_channels),
            nn.ReLU(inplace=True),
            nn.Conv2d(mid_channels, out_channels, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(inplace=True))

    def forward(self, x):
        return self.double_conv(x)


class Down(nn.Module):
    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.maxpool_conv = nn.Sequential(nn.MaxPool2d(2), DoubleConv(in_channels, out_channels))

    def forward(self, x):
        return self.maxpool_conv(x)


class Up(nn.Module):
    def __init__(self, in_channels, out_channels, bilinear=True):
        super().__init__()
        if bilinear:
            self.up = nn.Upsample(scale_factor=2, mode='bilinear', align_corners=True)
            self.conv = DoubleConv(in_channels, out_channels, in_channels // 2)
        else:
            self.up = nn.ConvTranspose2d(in_channels, in_channels // 2, kernel_size=2, stride=2)
            self.conv = DoubleConv(in_channels, out_channels)

    def forward(self, x1, x2):
        x1 = self.up(x1)
        diffY = x2.size()[2] - x1.size()[2]
        diffX = x2.size()[3] - x1.size()[3]
        x1 = F.pad(x1, [diffX // 2, diffX - diffX // 2, diffY // 2, diffY - diffY // 2])
        x = torch.cat([x2, x1], dim=1)
        return self.conv(x)


class OutConv(nn.Module):
    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size=1)

    def forward(self, x):
        return self.conv(x)


class UNet(nn.Module):
    def __init__(self, n_channels, n_classes, bilinear=False):
        super().__init__()
        self.inc = DoubleConv(n_channels, 64)
        self.down1 = Down(64, 128)
        self.down2 = Down(128, 256)
        self.down3 = Down(256, 512)
        factor = 2 if bilinear else 1
        self.down4 = Down(512, 1024 // factor)
        self.up1 = Up(1024, 512 // factor, bilinear)
        self.up2 = Up(512, 256 // factor, bilinear)
        self.up3 = Up(256, 128 // factor, bilinear)
        self.up4 = Up(128, 64, bilinear)
        self.outc = OutConv(64, n_classes)

    def forward(self, x):
        x1 = self.inc(x)
        x2 = self.down1(x1)
        x3 = self.down2(x2)
        x4 = self.down3(x3)
        x5 = self.down4(x4)
        x = self.up1(x5, x4)
        x = self.up2(x, x3)
        x = self.up3(x, x2)
        x = self.up4(x, x1)
        return self.outc(x)


# (height, width) pairs: even, and odd in both (the skip connections pad)
UNET_SIZES = {32: 40, 37: 23}


@pytest.mark.parametrize("name,bilinear", [("unet", False), ("unet_bilinear", True)])
def test_unet(name, bilinear):
    """Two image sizes, 32x40 and 37x23, through one ONNX file: the skip
    connections' F.pad amounts are computed from run-time sizes.  (The
    state_dict form only: 31M / 17M parameters make every form slow.)"""
    torch.manual_seed(0)
    model = UNet(3, 2, bilinear)
    rows = parity.check_model(
        model, name, ("batch_size", 3, "H", "W"), forms=("state_dict",), full_shapes=True,
        sizes={"H": tuple(UNET_SIZES), "W": (0,)},
        feeds=lambda rng, i, env: rng.standard_normal(
            (env["batch_size"], 3, env["H"], UNET_SIZES[env["H"]])).astype("float32"))
    assert len(rows) == 2 * 2 * 2  # opsets, batches, sizes
    report(name, rows)


class Fn(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, *xs):
        return self.fn(*xs)


# Functions whose arguments are run-time sizes, as the samples use them:
# F.pad by amounts computed from x.size() (U-Net's Up), pooling over a whole
# axis of dynamic length (M5; Kim's text CNN uses max_pool1d).  One ONNX
# file per opset runs at two lengths; "crop" pads by -2 at length 8.
L1, L2 = ("batch_size", 4, "L"), ("batch_size", 3, "L", 5)
DYN_SIZES = {
    "pad-constant": (lambda x: F.pad(x, [x.size(2) % 3, 2]), "F.pad(x0, [x0.size(2) % 3, 2])",
                     L1),
    "pad-value": (lambda x: F.pad(x, (1, x.size(-1) // 2), value=-1.5),
                  "F.pad(x0, (1, x0.size(-1) // 2), value=-1.5)", L1),
    "pad-reflect-to-multiple": (
        lambda x: F.pad(x, (0, (4 - x.size(2) % 4) % 4), mode='reflect'),
        "F.pad(x0, (0, (4 - x0.size(2) % 4) % 4), mode='reflect')", L1),
    "pad-replicate": (lambda x: F.pad(x, [x.size(2) - 4, 1], mode='replicate'),
                      "F.pad(x0, [x0.size(2) - 4, 1], mode='replicate')", L1),
    "pad-crop": (lambda x: F.pad(x, [1, 6 - x.size(2)]), "F.pad(x0, [1, 6 - x0.size(2)])", L1),
    "pad-2d": (lambda x: F.pad(x, [0, x.size(2) % 2, x.size(2) // 4, 1]),
               "F.pad(x0, [0, x0.size(2) % 2, x0.size(2) // 4, 1])", L2),
    "avg_pool1d-whole": (lambda x: F.avg_pool1d(x, x.shape[-1]),
                         "F.avg_pool1d(x0, x0.shape[-1])", L1),
    "max_pool1d-whole": (lambda x: F.max_pool1d(x, x.size(2)).squeeze(2),
                         "F.max_pool1d(x0, x0.size(2)).squeeze(2)", L1),
    "avg_pool2d-whole": (lambda x: F.avg_pool2d(x, x.size()[2:], stride=1),
                         "F.avg_pool2d(x0, x0.size()[2:], stride=1)", L2),
    "max_pool2d-whole": (lambda x: F.max_pool2d(x, (x.size(2), 5)),
                         "F.max_pool2d(x0, (x0.size(2), 5))", L2),
}


@pytest.fixture(scope="module")
def dyn_size_results():
    return parity.check_snippets({
        cid: dict(module=Fn(fn), init=[], forward=expr, input_shapes=[shape],
                  full_shapes=True, sizes={"L": (5, 8)})
        for cid, (fn, expr, shape) in DYN_SIZES.items()})


@pytest.mark.parametrize("case", list(DYN_SIZES))
def test_run_time_sizes_as_arguments(case, dyn_size_results):
    rows = dyn_size_results[case]
    if isinstance(rows, BaseException):
        raise rows
    assert len(rows) == 2 * 2 * 2


@pytest.mark.parametrize("forward,message", [
    ("F.pad(x0, [x0.size(2) % 3, 1], mode='circular')",
     "circular padding needs amounts known at conversion time"),
    ("F.avg_pool1d(x0, x0.size(2) // 2)",
     "a kernel size known only at run time must be the whole size of its axis"),
    ("F.max_pool1d(x0, x0.size(2), padding=1)", "takes no padding"),
])
def test_run_time_size_errors(tmp_path, forward, message):
    arch = tmp_path / "m.arch"
    arch.write_text(parity.snippet_arch([], forward, [L1], full_shapes=True))
    torch.save({}, tmp_path / "empty.pth")
    res = parity.convert(tmp_path / "empty.pth", arch, tmp_path / "out.onnx")
    assert res.returncode == 5, res.stderr  # an error in the description
    assert message in res.stderr and "m.arch:5:" in res.stderr, res.stderr


# ---------------------------------------------------------- LSTM classifier
class LSTMClassifier(nn.Module):
    def __init__(self, vocab_size, embed_dim=64, hidden_dim=128, num_classes=2,
                 num_layers=2, dropout=0.3):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        self.lstm = nn.LSTM(embed_dim, hidden_dim, num_layers=num_layers,
                            batch_first=True, bidirectional=True, dropout=dropout)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(hidden_dim * 2, num_classes)

    def forward(self, text):
        embedded = self.dropout(self.embedding(text))
        output, (hidden, cell) = self.lstm(embedded)
        last = output[:, -1, :]
        return self.fc(self.dropout(last))


def padded_tokens(vocab):
    """feeds for check_model: token ids in [1, vocab), the first sequence
    padded with 0 (the padding id) after its first half."""
    def feed(rng, i, env):
        tokens = rng.integers(1, vocab, size=(env["batch_size"], env["seq_len"]))
        tokens[0, env["seq_len"] // 2 + 1:] = 0
        return tokens.astype("int64")
    return feed


def test_lstm_classifier():
    """Vocabulary 1000 and 5 classes from the weights; sequences of 7 and 3
    tokens through one ONNX file."""
    torch.manual_seed(0)
    model = LSTMClassifier(1000, num_classes=5)
    rows = parity.check_model(model, "lstm_classifier", ("batch_size", "seq_len"), forms=FORMS,
                              full_shapes=True, sizes={"seq_len": (7, 3)}, dtypes=["int64"],
                              feeds=padded_tokens(1000))
    assert len(rows) == 2 * 2 * 2 * 2  # forms, opsets, batches, lengths
    report("lstm_classifier", rows)


# ------------------------------------------------ Transformer classifier
class TransformerClassifier(nn.Module):
    def __init__(self, vocab_size, d_model=128, nhead=4, num_layers=2, dim_feedforward=256,
                 num_classes=2, max_len=512, dropout=0.1):
        super().__init__()
        self.d_model = d_model
        self.embedding = nn.Embedding(vocab_size, d_model, padding_idx=0)
        self.pos_embedding = nn.Parameter(torch.zeros(1, max_len, d_model))
        encoder_layer = nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout,
                                                   batch_first=True)
        self.encoder = nn.TransformerEncoder(encoder_layer, num_layers,
                                             enable_nested_tensor=False)
        self.classifier = nn.Linear(d_model, num_classes)

    def forward(self, tokens):
        padding = tokens == 0
        x = self.embedding(tokens) * math.sqrt(self.d_model)
        x = x + self.pos_embedding[:, :tokens.size(1)]
        x = self.encoder(x, src_key_padding_mask=padding)
        keep = (~padding).unsqueeze(-1).float()
        x = (x * keep).sum(dim=1) / keep.sum(dim=1).clamp(min=1.0)
        return self.classifier(x)


def test_transformer_classifier():
    """Vocabulary 1000 and 4 classes from the weights; sequences of 9 and 4
    tokens, the first one padded (masked as keys and in the mean), through
    one ONNX file.  The encoder layer is a local variable of __init__, as
    PyTorch's documentation writes it: no `encoder_layer.*` keys."""
    torch.manual_seed(0)
    model = TransformerClassifier(1000, num_classes=4)
    assert not any(k.startswith("encoder_layer.") for k in model.state_dict())
    rows = parity.check_model(model, "transformer_classifier", ("batch_size", "seq_len"),
                              forms=FORMS, full_shapes=True, sizes={"seq_len": (9, 4)},
                              dtypes=["int64"], feeds=padded_tokens(1000))
    assert len(rows) == 2 * 2 * 2 * 2  # forms, opsets, batches, lengths
    report("transformer_classifier", rows)


# ------------------------------------------------------------- GRU encoder
# the encoder of PyTorch's chatbot tutorial, without packing (see the sample)
class EncoderRNN(nn.Module):
    def __init__(self, hidden_size, embedding, n_layers=1, dropout=0):
        super().__init__()
        self.n_layers = n_layers
        self.hidden_size = hidden_size
        self.embedding = embedding
        self.gru = nn.GRU(hidden_size, hidden_size, n_layers,
                          dropout=(0 if n_layers == 1 else dropout), bidirectional=True)

    def forward(self, input_seq, hidden=None):
        embedded = self.embedding(input_seq)
        outputs, hidden = self.gru(embedded, hidden)
        outputs = outputs[:, :, :self.hidden_size] + outputs[:, :, self.hidden_size:]
        return outputs, hidden


def test_gru_encoder():
    """Vocabulary 300 from the weights; [seq_len, batch] inputs of 7 and 3
    steps; both outputs (summed outputs, final hidden states) compared."""
    torch.manual_seed(0)
    model = EncoderRNN(500, nn.Embedding(300, 500), 2, 0.1)
    rows = parity.check_model(model, "gru_encoder", ("seq_len", "batch_size"), forms=FORMS,
                              full_shapes=True, sizes={"seq_len": (7, 3)}, dtypes=["int64"],
                              high=300)
    assert len(rows) == 2 * 2 * 2 * 2 * 2  # forms, opsets, batches, lengths, outputs
    report("gru_encoder", rows)


def test_gru_encoder_from_the_tutorials_checkpoint(tmp_path):
    """The tutorial saves one dict for the whole chatbot: the encoder's
    weights are under 'en' (next to 'de', the optimizers, the vocabulary
    and the embedding's own state_dict); --key en selects them."""
    torch.manual_seed(0)
    embedding = nn.Embedding(300, 500)
    model = parity.randomize(EncoderRNN(500, embedding, 2, 0.1)).eval()
    decoder = nn.GRU(500, 500, 2)
    ckpt = tmp_path / "4000_checkpoint.tar"
    torch.save({"iteration": 4000, "en": model.state_dict(), "de": decoder.state_dict(),
                "en_opt": torch.optim.Adam(model.parameters()).state_dict(),
                "de_opt": torch.optim.Adam(decoder.parameters()).state_dict(), "loss": 2.5,
                "voc_dict": {"name": "movie", "word2index": {"hello": 3}, "num_words": 300},
                "embedding": embedding.state_dict()}, ckpt)
    out = tmp_path / "encoder.onnx"
    res = parity.convert(ckpt, "gru_encoder", out, "--key", "en")
    assert res.returncode == 0, res.stderr
    tokens = torch.randint(0, 300, (6, 2))
    with torch.no_grad():
        want = model(tokens)
    got = parity.run_ort(out, {"input_seq": tokens.numpy()}, tmp_path)
    for g, w in zip(got, want):
        assert parity.rel_err(g, w.numpy()) <= parity.MAX_REL_ERR


# ---------------------------------------------------------------------- M5
# PyTorch's speech command tutorial (torchaudio)
class M5(nn.Module):
    def __init__(self, n_input=1, n_output=35, stride=16, n_channel=32):
        super().__init__()
        self.conv1 = nn.Conv1d(n_input, n_channel, kernel_size=80, stride=stride)
        self.bn1 = nn.BatchNorm1d(n_channel)
        self.pool1 = nn.MaxPool1d(4)
        self.conv2 = nn.Conv1d(n_channel, n_channel, kernel_size=3)
        self.bn2 = nn.BatchNorm1d(n_channel)
        self.pool2 = nn.MaxPool1d(4)
        self.conv3 = nn.Conv1d(n_channel, 2 * n_channel, kernel_size=3)
        self.bn3 = nn.BatchNorm1d(2 * n_channel)
        self.pool3 = nn.MaxPool1d(4)
        self.conv4 = nn.Conv1d(2 * n_channel, 2 * n_channel, kernel_size=3)
        self.bn4 = nn.BatchNorm1d(2 * n_channel)
        self.pool4 = nn.MaxPool1d(4)
        self.fc1 = nn.Linear(2 * n_channel, n_output)

    def forward(self, x):
        x = self.pool1(F.relu(self.bn1(self.conv1(x))))
        x = self.pool2(F.relu(self.bn2(self.conv2(x))))
        x = self.pool3(F.relu(self.bn3(self.conv3(x))))
        x = self.pool4(F.relu(self.bn4(self.conv4(x))))
        x = F.avg_pool1d(x, x.shape[-1])
        x = x.permute(0, 2, 1)
        x = self.fc1(x)
        return F.log_softmax(x, dim=2)


def test_m5():
    """35 classes from the weights; one-second clips at 8 kHz (8000 samples,
    3 steps left for the average) and 16000 samples (8 steps) through one
    ONNX file."""
    torch.manual_seed(0)
    model = M5(n_input=1, n_output=35)
    rows = parity.check_model(model, "m5", ("batch_size", 1, "samples"), forms=FORMS,
                              full_shapes=True, sizes={"samples": (8000, 16000)})
    assert len(rows) == 2 * 2 * 2 * 2  # forms, opsets, batches, lengths
    report("m5", rows)
