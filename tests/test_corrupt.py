"""Corrupt, hostile and unreadable inputs.

Every case must end with exit status 3 or 4 (never a signal), print one
`pth2onnx: ...` line on stderr naming the file, and finish within 10 s.
Truncated files may exit 0 only when the tensors listed are exactly the
original's (cutting a few trailing bytes can leave a zip readable).
"""
import random
import re
import struct

import pytest

import pthcraft
from helpers import FIXDIR, check_error_message, compare_values, ensure_fixtures, load_expect, \
    run_tool

TIMEOUT = 10
SMALL_ZIP = "dtypes.pth"
SMALL_LEGACY = "dtypes_legacy.pth"


def run_corrupt(path):
    res = run_tool("inspect", path, "--json", "--values", timeout=TIMEOUT)
    assert res.rc >= 0, f"killed by signal {-res.rc}\n{res.describe()}"
    return res


def assert_rejected(path, codes=(3, 4)):
    res = run_corrupt(path)
    assert res.rc in codes, res.describe()
    check_error_message(res, path)
    return res


def assert_same_tensors(res, expect_name):
    """An exit-0 result must list exactly the original tensors."""
    exp = load_expect(expect_name)
    got = res.json.get("tensors", [])
    assert [(t["name"], t["dtype"], t["shape"]) for t in got] == \
        [(t["name"], t["dtype"], t["shape"]) for t in exp["tensors"]], res.describe()
    for g, e in zip(got, exp["tensors"]):
        msg = compare_values(e["name"], e["dtype"], g.get("values"), e["values"])
        assert msg is None, msg


def fixture_bytes(name):
    return (FIXDIR / name).read_bytes()


def cut_points(size):
    pts = {size * i // 40 for i in range(1, 40)} | {4, 30, 100, size - 1}
    return sorted(p for p in pts if 0 < p < size)


def _cut_ids():
    ensure_fixtures()  # this runs at collection time, before any fixture
    return {name: cut_points(len(fixture_bytes(name))) for name in (SMALL_ZIP, SMALL_LEGACY)}


CUTS = _cut_ids()


# ------------------------------------------------------------- truncation
@pytest.mark.parametrize("name,cut", [(n, c) for n, cs in CUTS.items() for c in cs])
def test_truncated(tmp_path, name, cut):
    path = tmp_path / ("cut_%d_" % cut + name)
    path.write_bytes(fixture_bytes(name)[:cut])
    res = run_corrupt(path)
    if res.rc == 0:
        assert_same_tensors(res, name)
    else:
        assert res.rc in (3, 4), res.describe()
        check_error_message(res, path)


# ------------------------------------------------------------ not a model
def test_random_bytes(tmp_path):
    path = tmp_path / "random.pth"
    path.write_bytes(random.Random(42).randbytes(4096))
    assert_rejected(path)


def test_empty_file(tmp_path):
    path = tmp_path / "empty.pth"
    path.write_bytes(b"")
    assert_rejected(path)


def test_text_file(tmp_path):
    path = tmp_path / "readme.pth"
    path.write_text("This is not a checkpoint.\nJust some text.\n" * 20)
    assert_rejected(path)


def test_nonexistent_file(tmp_path):
    assert_rejected(tmp_path / "does_not_exist.pth", codes=(3,))


def test_directory(tmp_path):
    path = tmp_path / "a_directory.pth"
    path.mkdir()
    assert_rejected(path)


# ----------------------------------------------------------- bad pickles
def _zip_with_pickle(tmp_path, name, pkl):
    path = tmp_path / name
    pthcraft.bare_zip_checkpoint(path, pkl)
    return path


def test_binunicode_length_2g(tmp_path):
    pkl = b"\x80\x02X" + struct.pack("<I", 2 ** 31) + b"abc."
    assert_rejected(_zip_with_pickle(tmp_path, "binunicode.pth", pkl))


def test_binunicode_length_max(tmp_path):
    pkl = b"\x80\x02X" + struct.pack("<I", 2 ** 32 - 1) + b"abc."
    assert_rejected(_zip_with_pickle(tmp_path, "binunicode_max.pth", pkl))


def test_long_binget_unset_memo(tmp_path):
    pkl = b"\x80\x02}q\x00j" + struct.pack("<I", 12345) + b"."
    assert_rejected(_zip_with_pickle(tmp_path, "binget.pth", pkl))


N = 100000
DEEP = {
    # EMPTY_LIST x N then APPEND x N: a valid list nested N deep, no tensors
    "lists_append": b"\x80\x02" + b"]" * N + b"a" * (N - 1) + b".",
    # (EMPTY_LIST MARK) x N then APPENDS x N
    "lists_mark_appends": b"\x80\x02" + b"](" * N + b"]" + b"e" * N + b".",
    # MARK x N then TUPLE x N: tuples nested N deep
    "tuples": b"\x80\x02" + b"(" * N + b"t" * N + b".",
    # dicts nested via SETITEM
    "dicts": b"\x80\x02" + b"}X\x01\x00\x00\x00k" * N + b"N" + b"s" * N + b".",
    # unbalanced: N marks left on the stack at STOP
    "marks_unbalanced": b"\x80\x02" + b"(]" * N + b".",
}


@pytest.mark.parametrize("kind", list(DEEP))
@pytest.mark.parametrize("container", ["zip", "pickle"])
def test_deep_nesting(tmp_path, kind, container):
    if container == "zip":
        path = _zip_with_pickle(tmp_path, f"deep_{kind}.pth", DEEP[kind])
    else:
        path = tmp_path / f"deep_{kind}.pkl"
        path.write_bytes(DEEP[kind])
    if kind == "marks_unbalanced":
        assert_rejected(path)
        return
    # A valid pickle that holds no weights: inspect shows it and exits 0
    # (docs/inspect-json.md), without crashing on the depth.
    res = run_corrupt(path)
    assert res.rc == 0, res.describe()
    assert res.json["weights_key"] is None and res.json["tensors"] == [], res.describe()


# ----------------------------------------------------- inconsistent zips
def _zip_parts(name):
    entries = pthcraft.read_zip(FIXDIR / name)
    arch = pthcraft.archive_name(entries)
    return entries, arch, dict(entries)


def test_storage_shorter_than_numel(tmp_path):
    entries, arch, d = _zip_parts(SMALL_ZIP)
    storages = pthcraft.scan_storages(d[arch + "/data.pkl"])
    key = max(storages, key=lambda k: len(d[f"{arch}/data/{k}"]))
    rec = f"{arch}/data/{key}"
    path = tmp_path / "short_storage.pth"
    pthcraft.write_zip(path, pthcraft.replace_entries(entries, {rec: d[rec][: len(d[rec]) // 2]}))
    assert_rejected(path)


def test_missing_storage_record(tmp_path):
    entries, arch, d = _zip_parts(SMALL_ZIP)
    path = tmp_path / "missing_storage.pth"
    pthcraft.write_zip(path, [e for e in entries if e[0] != arch + "/data/1"])
    assert_rejected(path)


def test_missing_data_pkl(tmp_path):
    entries, arch, d = _zip_parts(SMALL_ZIP)
    path = tmp_path / "no_data_pkl.pth"
    pthcraft.write_zip(path, [e for e in entries if not e[0].endswith("/data.pkl")])
    assert_rejected(path)


# f32 in dtypes.pth is rebuilt as (storage, offset 0, size (3, 4), stride (4, 1));
# its storage holds 12 floats.  Opcodes: K=BININT1 M=BININT2 J=BININT
# \x8a\x08=LONG1(8 bytes) \x86=TUPLE2, and a BINPUT (q.) between size and stride.
F32_ARGS = re.compile(rb"K\x00K\x03K\x04\x86(q.)K\x04K\x01\x86", re.S)
BIG = b"\x8a\x08" + struct.pack("<q", 2 ** 62)
BAD_LAYOUT = {  # (offset + size, stride) replacing the originals
    "size_too_big": (b"K\x00K\x1eK\x04\x86", b"K\x04K\x01\x86"),          # (30, 4)
    "stride_too_big": (b"K\x00K\x03K\x04\x86", b"M\x90\x01K\x01\x86"),    # (400, 1)
    "offset_too_big": (b"K\x05K\x03K\x04\x86", b"K\x04K\x01\x86"),        # offset 5
    "negative_size": (b"K\x00J\xff\xff\xff\xffK\x04\x86", b"K\x04K\x01\x86"),
    "numel_overflow": (b"K\x00" + BIG + BIG + b"\x86", b"K\x04K\x01\x86"),   # 2**62 x 2**62
}


@pytest.mark.parametrize("kind", list(BAD_LAYOUT))
def test_tensor_outside_storage(tmp_path, kind):
    entries, arch, d = _zip_parts(SMALL_ZIP)
    pkl = d[arch + "/data.pkl"]
    assert len(F32_ARGS.findall(pkl)) == 1, "fixture layout changed: update F32_ARGS"
    head, stride = BAD_LAYOUT[kind]
    new = F32_ARGS.sub(lambda m: head + m.group(1) + stride, pkl)
    assert new != pkl
    path = tmp_path / f"{kind}.pth"
    pthcraft.write_zip(path, pthcraft.replace_entries(entries, {arch + "/data.pkl": new}))
    assert_rejected(path)
