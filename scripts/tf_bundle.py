"""Minimal, dependency-light reader/writer for TensorFlow's checkpoint "tensor bundle" format.

A TF V2 checkpoint `PREFIX` is `PREFIX.index` (a LevelDB-format SSTable whose values are
BundleEntryProto protobufs, and whose empty key "" holds a BundleHeaderProto) plus data shards
`PREFIX.data-00000-of-0000N` holding the raw little-endian tensor bytes.

Used by the fixture scripts for two things TensorFlow itself does not do for us:
  * re-encode a real TF index with Snappy-compressed, tiny blocks (TF's own writer never
    compresses its index), so the Swift reader's Snappy and multi-block paths are exercised;
  * write a checkpoint without TensorFlow installed (fallback; `write_bundle`).
Also used to cross-check what TensorFlow wrote (`read_table`, `decode_entry`).
"""
import struct

try:  # hardware/C implementation when available; the pure-Python one is fine for small data
    import crc32c as _crc32c_mod

    def crc32c(data: bytes, crc: int = 0) -> int:
        return _crc32c_mod.crc32c(data, crc)
except ImportError:  # pragma: no cover
    _TABLE = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        _TABLE.append(c)

    def crc32c(data: bytes, crc: int = 0) -> int:
        crc ^= 0xFFFFFFFF
        for b in data:
            crc = _TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
        return crc ^ 0xFFFFFFFF

MASK_DELTA = 0xA282EAD8
TABLE_MAGIC = 0xDB4775248B80FB57
DT_FLOAT, DT_DOUBLE, DT_INT32, DT_INT64, DT_STRING, DT_HALF, DT_BFLOAT16 = 1, 2, 3, 9, 7, 19, 14


def mask_crc(crc: int) -> int:
    """LevelDB/TF store checksums "masked" so a CRC of data that embeds CRCs stays well-mixed."""
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + MASK_DELTA) & 0xFFFFFFFF


def unmask_crc(masked: int) -> int:
    rot = (masked - MASK_DELTA) & 0xFFFFFFFF
    return ((rot >> 17) | (rot << 15)) & 0xFFFFFFFF


# ---------------------------------------------------------------- varints / protobuf
def put_varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def get_varint(buf: bytes, pos: int):
    result = shift = 0
    while True:
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7


def pb_field(num: int, wire: int, payload) -> bytes:
    key = put_varint((num << 3) | wire)
    if wire == 0:
        return key + put_varint(payload)
    if wire == 2:
        return key + put_varint(len(payload)) + payload
    if wire == 5:
        return key + struct.pack("<I", payload)
    raise ValueError(wire)


def pb_fields(buf: bytes):
    """Yields (field number, wire type, value) of a serialized message."""
    pos = 0
    while pos < len(buf):
        key, pos = get_varint(buf, pos)
        num, wire = key >> 3, key & 7
        if wire == 0:
            val, pos = get_varint(buf, pos)
        elif wire == 1:
            val = struct.unpack_from("<Q", buf, pos)[0]
            pos += 8
        elif wire == 2:
            n, pos = get_varint(buf, pos)
            val = buf[pos:pos + n]
            pos += n
        elif wire == 5:
            val = struct.unpack_from("<I", buf, pos)[0]
            pos += 4
        else:
            raise ValueError(f"unsupported wire type {wire}")
        yield num, wire, val


def encode_header(num_shards: int = 1) -> bytes:
    # BundleHeaderProto{num_shards=1, endianness=LITTLE (default, omitted), version{producer=1}}
    return pb_field(1, 0, num_shards) + pb_field(3, 2, pb_field(1, 0, 1))


def encode_entry(dtype: int, shape, shard_id: int, offset: int, size: int, crc_masked: int) -> bytes:
    shape_msg = b"".join(pb_field(2, 2, pb_field(1, 0, d)) for d in shape)
    out = pb_field(1, 0, dtype) + pb_field(2, 2, shape_msg)
    if shard_id:
        out += pb_field(3, 0, shard_id)
    if offset:
        out += pb_field(4, 0, offset)
    if size:
        out += pb_field(5, 0, size)
    return out + pb_field(6, 5, crc_masked)


def decode_entry(buf: bytes) -> dict:
    e = {"dtype": 0, "shape": [], "shard_id": 0, "offset": 0, "size": 0, "crc32c": 0}
    for num, _, val in pb_fields(buf):
        if num == 1:
            e["dtype"] = val
        elif num == 2:
            for n2, _, dim in pb_fields(val):
                if n2 == 2:
                    size = 0
                    for n3, _, v3 in pb_fields(dim):
                        if n3 == 1:
                            size = v3
                    e["shape"].append(size)
        elif num == 3:
            e["shard_id"] = val
        elif num == 4:
            e["offset"] = val
        elif num == 5:
            e["size"] = val
        elif num == 6:
            e["crc32c"] = val
    return e


# ---------------------------------------------------------------- LevelDB table
def _shortest_separator(start: bytes, limit: bytes) -> bytes:
    """LevelDB's bytewise FindShortestSeparator: a short key k with start <= k < limit."""
    n = min(len(start), len(limit))
    i = 0
    while i < n and start[i] == limit[i]:
        i += 1
    if i < n:
        b = start[i]
        if b < 0xFF and b + 1 < limit[i]:
            return start[:i] + bytes([b + 1])
    return start


def _short_successor(key: bytes) -> bytes:
    for i, b in enumerate(key):
        if b != 0xFF:
            return key[:i] + bytes([b + 1])
    return key


def _build_block(entries, restart_interval: int) -> bytes:
    out = bytearray()
    restarts = []
    prev = b""
    for i, (k, v) in enumerate(entries):
        if i % restart_interval == 0:
            restarts.append(len(out))
            shared = 0
        else:
            shared = 0
            while shared < min(len(prev), len(k)) and prev[shared] == k[shared]:
                shared += 1
        out += put_varint(shared) + put_varint(len(k) - shared) + put_varint(len(v))
        out += k[shared:] + v
        prev = k
    if not restarts:
        restarts = [0]
    for r in restarts:
        out += struct.pack("<I", r)
    out += struct.pack("<I", len(restarts))
    return bytes(out)


def write_table(path: str, items, block_size: int = 262144, restart_interval: int = 16,
                compression: str = "none"):
    """Writes sorted (key bytes, value bytes) pairs as a LevelDB-format table.

    compression: "none", "snappy" (LevelDB's rule: keep the compressed block only when it
    saves at least 1/8) or "snappy-always" (for tests: every non-empty block compressed)."""
    items = list(items)
    assert all(items[i][0] < items[i + 1][0] for i in range(len(items) - 1)), "keys must be sorted"
    out = bytearray()

    def emit(raw: bytes, allow_compress: bool = True):
        kind, body = 0, raw
        if compression != "none" and allow_compress:
            import snappy  # python-snappy; only needed when compressing
            comp = snappy.compress(raw)
            if compression == "snappy-always" or len(comp) < len(raw) - len(raw) // 8:
                kind, body = 1, comp
        handle = put_varint(len(out)) + put_varint(len(body))
        out.extend(body)
        trailer = bytes([kind])
        out.extend(trailer + struct.pack("<I", mask_crc(crc32c(body + trailer))))
        return handle

    index_entries = []
    block, block_bytes = [], 0
    for i, (k, v) in enumerate(items):
        block.append((k, v))
        block_bytes += len(k) + len(v) + 8
        last = i == len(items) - 1
        if block_bytes >= block_size or last:
            handle = emit(_build_block(block, restart_interval))
            sep = _short_successor(k) if last else _shortest_separator(k, items[i + 1][0])
            index_entries.append((sep, handle))
            block, block_bytes = [], 0
    meta_handle = emit(_build_block([], restart_interval), allow_compress=False)
    index_handle = emit(_build_block(index_entries, 1))
    footer = meta_handle + index_handle
    footer += b"\0" * (40 - len(footer)) + struct.pack("<Q", TABLE_MAGIC)
    out += footer
    with open(path, "wb") as f:
        f.write(out)


def _read_block(data: bytes, handle: bytes, pos: int = 0):
    off, pos = get_varint(handle, pos)
    size, pos = get_varint(handle, pos)
    body = data[off:off + size]
    kind = data[off + size]
    (crc_masked,) = struct.unpack_from("<I", data, off + size + 1)
    assert unmask_crc(crc_masked) == crc32c(body + bytes([kind])), "block checksum mismatch"
    if kind == 1:
        import snappy
        body = snappy.uncompress(body)
    n_restarts = struct.unpack_from("<I", body, len(body) - 4)[0]
    end = len(body) - 4 - 4 * n_restarts
    entries, p, prev = [], 0, b""
    while p < end:
        shared, p = get_varint(body, p)
        non_shared, p = get_varint(body, p)
        vlen, p = get_varint(body, p)
        key = prev[:shared] + body[p:p + non_shared]
        p += non_shared
        entries.append((key, body[p:p + vlen]))
        p += vlen
        prev = key
    return entries


def read_table(path: str):
    """All (key, value) pairs of a LevelDB-format table, in order."""
    with open(path, "rb") as f:
        data = f.read()
    footer = data[-48:]
    assert struct.unpack_from("<Q", footer, 40)[0] == TABLE_MAGIC, "bad table magic"
    _, p = get_varint(footer, 0)
    _, p = get_varint(footer, p)  # skip the metaindex handle
    index = _read_block(data, footer, p)
    items = []
    for _, handle in index:
        items.extend(_read_block(data, handle))
    return items


def write_bundle(prefix: str, tensors):
    """Writes float32 tensors {name: numpy array} as a single-shard TF V2 checkpoint, the way
    TensorFlow's BundleWriter lays it out (data concatenated in key order, uncompressed index)."""
    import numpy as np
    names = sorted(tensors, key=lambda s: s.encode())
    items = [(b"", encode_header(1))]
    offset = 0
    with open(prefix + ".data-00000-of-00001", "wb") as f:
        for name in names:
            arr = np.ascontiguousarray(tensors[name], dtype="<f4")
            raw = arr.tobytes()
            f.write(raw)
            items.append((name.encode(), encode_entry(DT_FLOAT, arr.shape, 0, offset, len(raw),
                                                      mask_crc(crc32c(raw)))))
            offset += len(raw)
    write_table(prefix + ".index", items)
