"""Initializers streamed to disk while a graph is written, so a converted model never has to sit
in memory: every tensor's bytes go to `model.onnx.data` (each one aligned, large ones to 4 KiB
so onnxruntime can map them) and the graph holds external-data references. `save` then keeps
that layout when the weights exceed `INLINE_LIMIT` (protobuf cannot hold 2 GB), and otherwise
folds them back into a single self-contained model.onnx.
"""
import os

import numpy as np
import onnx
from onnx import TensorProto

DATA_FILE = "model.onnx.data"
INLINE_LIMIT = 1_800_000_000
ONNX_TYPES = {np.dtype(np.float32): TensorProto.FLOAT, np.dtype(np.uint8): TensorProto.UINT8,
              np.dtype(np.int8): TensorProto.INT8, np.dtype(np.int64): TensorProto.INT64}


class WeightStore:
    def __init__(self, folder):
        self.path = os.path.join(folder, DATA_FILE)
        self.file = open(self.path, "wb")
        self.offset = 0
        self.tensors = []

    def add(self, name, shape, dtype, chunks):
        """One initializer from arrays whose concatenation along axis 0 is the tensor."""
        dtype = np.dtype(dtype)
        want = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
        align = 4096 if want >= 65536 else 16
        self.file.write(b"\0" * (-self.offset % align))
        begin = self.offset = self.offset + (-self.offset % align)
        for chunk in chunks:
            data = np.ascontiguousarray(chunk, dtype=dtype.newbyteorder("<")).tobytes()
            self.file.write(data)
            self.offset += len(data)
        if self.offset - begin != want:
            raise ValueError(f"initializer {name}: wrote {self.offset - begin} bytes for shape {shape}")
        t = TensorProto(name=name, data_type=ONNX_TYPES[dtype], dims=list(shape))
        t.data_location = TensorProto.EXTERNAL
        for key, value in (("location", DATA_FILE), ("offset", str(begin)), ("length", str(want))):
            entry = t.external_data.add()
            entry.key, entry.value = key, value
        self.tensors.append(t)
        return name

    def save(self, model, path):
        """Write model.onnx; returns the external data file's name, or None when inlined."""
        self.file.close()
        model.graph.initializer.extend(self.tensors)
        if self.offset > INLINE_LIMIT:
            onnx.save(model, path)
            return DATA_FILE
        with open(self.path, "rb") as f:
            for t in model.graph.initializer:
                info = {e.key: e.value for e in t.external_data}
                f.seek(int(info["offset"]))
                t.raw_data = f.read(int(info["length"]))
                del t.external_data[:]
                t.data_location = TensorProto.DEFAULT
        os.remove(self.path)
        onnx.save(model, path)
        return None
