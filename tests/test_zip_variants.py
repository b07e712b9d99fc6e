"""Zip containers PyTorch itself accepts but does not write by default:
deflated entries (re-zipped files), zero or wrong CRCs (torch disables CRC
checks), ZIP64 records.  Each must read to exactly PyTorch's tensors."""
import io
import struct
import zipfile

import pytest

from helpers import FIXDIR, compare_values, load_expect, run_tool
from fixtures import pthcraft

SOURCE = "lenet_zip.pth"


def _assert_same_as_pytorch(path):
    res = run_tool("inspect", path, "--json", "--values")
    assert res.rc == 0, res.describe()
    exp = load_expect(SOURCE)
    got = res.json["tensors"]
    assert [t["name"] for t in got] == [t["name"] for t in exp["tensors"]]
    for g, e in zip(got, exp["tensors"]):
        assert g["shape"] == e["shape"] and g["dtype"] == e["dtype"], e["name"]
        msg = compare_values(e["name"], e["dtype"], g["values"], e["values"])
        assert msg is None, msg


def _entries():
    return pthcraft.read_zip(FIXDIR / SOURCE)


def test_deflated_entries(tmp_path):
    path = tmp_path / "deflated.pth"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in _entries():
            zf.writestr(name, data)
    with zipfile.ZipFile(path) as zf:  # the test is only meaningful if it deflated
        assert all(i.compress_type == zipfile.ZIP_DEFLATED for i in zf.infolist())
    _assert_same_as_pytorch(path)


def _set_crcs(data, value):
    """Overwrite the CRC of every local header and central-directory entry."""
    buf = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        infos = zf.infolist()
    for info in infos:  # local header: CRC-32 at offset 14
        assert buf[info.header_offset:info.header_offset + 4] == b"PK\x03\x04"
        struct.pack_into("<I", buf, info.header_offset + 14, value)
    eocd = buf.rindex(b"PK\x05\x06")
    count, _, cd_offset = struct.unpack_from("<HII", buf, eocd + 10)
    pos = cd_offset
    for _ in range(count):  # central directory entry: CRC-32 at offset 16
        assert buf[pos:pos + 4] == b"PK\x01\x02"
        struct.pack_into("<I", buf, pos + 16, value)
        n, m, k = struct.unpack_from("<HHH", buf, pos + 28)
        pos += 46 + n + m + k
    return bytes(buf)


@pytest.mark.parametrize("crc", [0, 0xDEADBEEF], ids=["zero", "wrong"])
def test_crc_is_not_checked(tmp_path, crc):
    src = tmp_path / "src.pth"
    pthcraft.write_zip(src, _entries())
    path = tmp_path / "crc.pth"
    path.write_bytes(_set_crcs(src.read_bytes(), crc))
    with pytest.raises(zipfile.BadZipFile):  # Python's zipfile does check them
        with zipfile.ZipFile(path) as zf:
            zf.read(zf.infolist()[-1].filename) and zf.testzip()
            for i in zf.infolist():
                zf.read(i.filename)
    _assert_same_as_pytorch(path)


def test_zip64_records(tmp_path):
    path = tmp_path / "zip64.pth"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
        for name, data in _entries():
            with zf.open(zipfile.ZipInfo(name), "w", force_zip64=True) as f:
                f.write(data)
    data = path.read_bytes()
    n = struct.unpack_from("<H", data, 26)[0]
    # the first local header carries a zip64 extra field (tag 1, 16 bytes)
    assert data[:4] == b"PK\x03\x04" and data[30 + n:30 + n + 4] == b"\x01\x00\x10\x00"
    _assert_same_as_pytorch(path)
