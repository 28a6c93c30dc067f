"""dcoder/quantize.py against onnxruntime's own quantization tool (MatMulNBitsQuantizer, the
pinned onnxruntime of training/requirements.txt): for 4- and 8-bit weights, with an even and an
odd number of blocks along K and a K that is not a whole number of blocks, the MatMulNBits node
onnxruntime writes has the converter's attributes (onnx_builder: block 32, accuracy_level 4) and
initializers byte for byte equal to block_quantize's codes, scales and zero points. One difference,
in bytes the kernel never reads: past K in a last partial block onnxruntime stores code 0 and
block_quantize the zero point (it quantizes zero-padded weights); the open models' K are all
multiples of 32."""
import os
import sys
import unittest

import numpy as np
from onnx import TensorProto, helper, numpy_helper
from onnxruntime.quantization.matmul_nbits_quantizer import DefaultWeightOnlyQuantConfig, MatMulNBitsQuantizer

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from dcoder.onnx_builder import ACCURACY_LEVEL  # noqa: E402
from dcoder.quantize import BLOCK, block_quantize  # noqa: E402


def onnxruntime_quantized(w_kn, bits):
    """The MatMulNBits node and its initializers onnxruntime makes of x @ W (W [K, N])."""
    K, N = w_kn.shape
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "W"], ["y"])], "one_matmul",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, "T", K])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, "T", N])], [numpy_helper.from_array(w_kn, "W")])
    config = DefaultWeightOnlyQuantConfig(block_size=BLOCK, is_symmetric=False, accuracy_level=ACCURACY_LEVEL, bits=bits)
    q = MatMulNBitsQuantizer(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), algo_config=config)
    q.process()
    model = q.model.model
    (node,) = [n for n in model.graph.node if n.op_type == "MatMulNBits"]
    inits = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    return node, [inits[name] for name in node.input[1:4]]


class QuantizeTest(unittest.TestCase):
    def test_block_quantize_writes_onnxruntimes_bytes(self):
        rng = np.random.default_rng(0)
        for bits in (4, 8):
            for K in (64, 96, 80):            # 2 blocks, 3 blocks (a padded zero-point nibble), 2.5 blocks
                with self.subTest(bits=bits, K=K):
                    w = rng.standard_normal((K, 40)).astype(np.float32)
                    node, theirs = onnxruntime_quantized(w, bits)
                    attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
                    self.assertEqual(attrs, {"K": K, "N": 40, "bits": bits, "block_size": BLOCK,
                                             "accuracy_level": ACCURACY_LEVEL})
                    ours = block_quantize(w.T.copy(), bits)
                    for name, mine, got in zip(("codes", "scales", "zero points"), ours, theirs):
                        self.assertEqual((mine.dtype, mine.size), (got.dtype, got.size), name)
                    used = K * bits // 8   # code bytes per output column that hold weights
                    np.testing.assert_array_equal(ours[0].reshape(40, -1)[:, :used], theirs[0].reshape(40, -1)[:, :used])
                    np.testing.assert_array_equal(ours[1], theirs[1].reshape(ours[1].shape))
                    np.testing.assert_array_equal(ours[2], theirs[2].reshape(ours[2].shape))


if __name__ == "__main__":
    unittest.main()
