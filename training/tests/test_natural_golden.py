"""The Python side of the natural-layout golden decodes: dcoder/natural.py and sampler.decode on
the torch reference model must reproduce test/fixtures/golden-natural.json, as the engine's
NaturalRunner, middle stage and denoiser must on the converted ONNX files
(test/engine/natural.test.ts). An edit to either side alone fails one of the two."""
import json
import os
import sys
import unittest

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, HERE)

from make_natural_golden import FIX, decode_natural, reference  # noqa: E402


class NaturalGoldenTest(unittest.TestCase):
    def test_reference_reproduces_every_natural_golden_decode(self):
        cases = json.load(open(os.path.join(FIX, "golden-natural.json")))["cases"]
        self.assertGreaterEqual(len(cases), 8)
        models = {}
        for i, case in enumerate(cases):
            if case["family"] not in models:
                models[case["family"]] = reference(case["family"])
            with self.subTest(case=i, family=case["family"], options=case["options"]):
                self.assertEqual(decode_natural(*models[case["family"]], case), case["expected"])


if __name__ == "__main__":
    unittest.main()
