"""Hugging Face safetensors, read and written by hand (no `safetensors` package on Debian).

A file is an 8-byte little-endian header length, a JSON header {name: {dtype, shape,
data_offsets: [begin, end]}} (plus an optional "__metadata__"), then the raw little-endian
tensor bytes, offsets counted from the end of the header. BF16 is the upper 16 bits of an IEEE
float32. A checkpoint folder holds one `model.safetensors` or shards listed by
`model.safetensors.index.json` ({"weight_map": {tensor: file}}).

Reading memory-maps each file and converts one tensor (or a range of its rows) at a time, so
a multi-gigabyte checkpoint never sits in memory as float32.
"""
import json
import os
import struct

import numpy as np

DTYPES = {"F32": np.dtype("<f4"), "F16": np.dtype("<f2"), "BF16": np.dtype("<u2")}
INDEX = "model.safetensors.index.json"
SINGLE = "model.safetensors"


class FormatError(Exception):
    """A checkpoint that cannot be read as described; the message says what and where."""


def to_float32(raw, dtype):
    """Decode a little-endian array of a safetensors dtype into float32."""
    if dtype == "BF16":
        return (raw.astype(np.uint32) << 16).view(np.float32)
    return raw.astype(np.float32)


def bf16_bits(x):
    """float32 -> bf16 bit patterns, rounded to nearest even (how torch casts)."""
    u = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32)
    return ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)


class SafetensorsFile:
    """One .safetensors file: its header, checked against the file size, and its tensors."""

    def __init__(self, path):
        self.path = path
        name = os.path.basename(path)
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            head = f.read(8)
            if len(head) < 8:
                raise FormatError(f"{name}: truncated (no header length)")
            (n,) = struct.unpack("<Q", head)
            if n > size - 8:
                raise FormatError(f"{name}: truncated (header of {n} bytes, file of {size})")
            try:
                header = json.loads(f.read(n))
            except ValueError as e:
                raise FormatError(f"{name}: header is not JSON ({e})")
        header.pop("__metadata__", None)
        self.data_start = 8 + n
        self.tensors = {}
        for tname, info in header.items():
            dtype, shape, (begin, end) = info["dtype"], info["shape"], info["data_offsets"]
            if dtype not in DTYPES:
                raise FormatError(f"{name}: tensor {tname} has dtype {dtype} (supported: BF16, F16, F32)")
            want = int(np.prod(shape, dtype=np.int64)) * DTYPES[dtype].itemsize
            if end - begin != want:
                raise FormatError(f"{name}: tensor {tname} spans {end - begin} bytes, its shape needs {want}")
            if self.data_start + end > size:
                raise FormatError(f"{name}: truncated (tensor {tname} ends past the end of the file)")
            self.tensors[tname] = (dtype, tuple(shape), begin)
        self._map = None

    def raw(self, tname):
        """The tensor's stored values as a read-only memory-mapped array of its own dtype."""
        if self._map is None:
            self._map = np.memmap(self.path, dtype=np.uint8, mode="r")
        dtype, shape, begin = self.tensors[tname]
        count = int(np.prod(shape, dtype=np.int64))
        flat = self._map[self.data_start + begin:self.data_start + begin + count * DTYPES[dtype].itemsize]
        return flat.view(DTYPES[dtype]).reshape(shape)


class Checkpoint:
    """The tensors of a checkpoint folder, found through the shard index when there is one."""

    def __init__(self, folder):
        index = os.path.join(folder, INDEX)
        if os.path.exists(index):
            with open(index) as f:
                weight_map = json.load(f).get("weight_map")
            if not isinstance(weight_map, dict) or not weight_map:
                raise FormatError(f"{INDEX} has no weight_map")
            files = sorted(set(weight_map.values()))
        elif os.path.exists(os.path.join(folder, SINGLE)):
            files, weight_map = [SINGLE], None
        else:
            raise FormatError(f"no {SINGLE} or {INDEX} in {folder}")
        self.files = files
        self._files = {}
        for fname in files:
            path = os.path.join(folder, fname)
            if not os.path.exists(path):
                raise FormatError(f"shard {fname} named by {INDEX} is missing")
            self._files[fname] = SafetensorsFile(path)
        self._where = {}
        for fname, st in self._files.items():
            for tname in st.tensors:
                self._where[tname] = st
        for tname, fname in (weight_map or {}).items():
            if tname not in self._files[fname].tensors:
                raise FormatError(f"{INDEX} puts {tname} in {fname}, which does not hold it")

    def __contains__(self, tname):
        return tname in self._where

    def names(self):
        return sorted(self._where)

    def shape(self, tname):
        return self._where[tname].tensors[tname][1]

    def read(self, tname, rows=None):
        """float32 copy of a tensor, or of rows [start, stop) of its first axis."""
        st = self._where[tname]
        raw = st.raw(tname)
        if rows is not None:
            raw = raw[rows[0]:rows[1]]
        return to_float32(np.asarray(raw), st.tensors[tname][0])


def save(path, tensors, dtype="BF16", metadata=None):
    """Write {name: float32 array} as one safetensors file (names in sorted order)."""
    header, blobs, offset = {}, [], 0
    for tname in sorted(tensors):
        arr = np.asarray(tensors[tname], dtype=np.float32)
        data = bf16_bits(arr).tobytes() if dtype == "BF16" else arr.astype(DTYPES[dtype]).tobytes()
        header[tname] = {"dtype": dtype, "shape": list(arr.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    if metadata:
        header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for data in blobs:
            f.write(data)
