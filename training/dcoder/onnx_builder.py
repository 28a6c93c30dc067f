"""A small ONNX node builder (opset 17): unique names, inline constants, and the few composite
pieces the open-model graph repeats (RMSNorm in the pattern onnxruntime fuses into
SimplifiedLayerNormalization, rotate-half RoPE, linear layers in float32 or as com.microsoft
MatMulNBits with weights streamed from the checkpoint through a WeightStore).
"""
import numpy as np
from onnx import helper, numpy_helper

from dcoder.quantize import BLOCK, block_quantize

CHUNK_VALUES = 1 << 24   # weights are read and quantized about 64 MB of float32 at a time
BITS = {"int4": 4, "int8": 8}
# MatMulNBits accuracy_level 4: activations quantized to int8 per block inside the kernel
# (onnxruntime's fast CPU path for 4- and 8-bit weights).
ACCURACY_LEVEL = 4


class Builder:
    def __init__(self, store, quant):
        self.store, self.quant = store, quant
        self.nodes = []
        self._count = 0

    def name(self, hint):
        self._count += 1
        return f"{hint}_{self._count}"

    def op(self, op_type, inputs, hint=None, outputs=1, domain=None, **attrs):
        outs = [self.name(hint or op_type) for _ in range(outputs)]
        kwargs = {"domain": domain} if domain else {}
        self.nodes.append(helper.make_node(op_type, list(inputs), outs, name=self.name(op_type), **kwargs, **attrs))
        return outs[0] if outputs == 1 else outs

    def const(self, value, dtype=np.int64):
        out = self.name("const")
        self.nodes.append(helper.make_node("Constant", [], [out], value=numpy_helper.from_array(np.array(value, dtype=dtype))))
        return out

    def weight(self, name, array):
        return self.store.add(name, array.shape, array.dtype, [array])

    def rmsnorm(self, x, weight, eps):
        ms = self.op("ReduceMean", [self.op("Pow", [x, self.const(2.0, np.float32)])], axes=[-1], keepdims=1)
        rms = self.op("Sqrt", [self.op("Add", [ms, self.const(eps, np.float32)])])
        return self.op("Mul", [self.op("Div", [x, rms]), weight])

    def rope(self, x, cos, sin, half):
        x1, x2 = self.op("Split", [x, self.const([half, half])], outputs=2, axis=-1)
        rotated = self.op("Concat", [self.op("Neg", [x2]), x1], axis=-1)
        return self.op("Add", [self.op("Mul", [x, cos]), self.op("Mul", [rotated, sin])])

    def linear(self, x, ckpt, tensor, rows, in_features, bias=None, hint="linear"):
        """x @ W^T (+ bias) for a checkpoint weight W [rows, in_features] (its first `rows` rows)."""
        if self.quant == "none":
            w = self.weight(hint, np.ascontiguousarray(ckpt.read(tensor, rows=(0, rows)).T))
            y = self.op("MatMul", [x, w], hint=hint)
        else:
            bits = BITS[self.quant]
            step = max(1, CHUNK_VALUES // in_features)
            scales, zps = [], []

            def codes():
                for r in range(0, rows, step):
                    q, scale, zp = block_quantize(ckpt.read(tensor, rows=(r, min(rows, r + step))), bits)
                    scales.append(scale)
                    zps.append(zp)
                    yield q

            shape = (rows, -(-in_features // BLOCK), BLOCK * bits // 8)
            b = self.store.add(hint + "_q", shape, np.uint8, codes())
            s = self.weight(hint + "_scales", np.concatenate(scales))
            z = self.weight(hint + "_zp", np.concatenate(zps))
            y = self.op("MatMulNBits", [x, b, s, z], hint=hint, domain="com.microsoft", K=in_features, N=rows,
                        bits=bits, block_size=BLOCK, accuracy_level=ACCURACY_LEVEL)
        if bias is not None:
            y = self.op("Add", [y, self.weight(hint + "_bias", ckpt.read(bias))])
        return y
