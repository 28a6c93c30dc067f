"""Near-duplicate removal (dcoder/neardup.py): another version of the same file is caught, an
unrelated file and a file sharing only a licence header are not, and the answer is the same in
every process (no Python string hashing)."""
import os
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, HERE)
from dcoder.neardup import NearDuplicates  # noqa: E402

HEADER = "".join(f"# Licensed under the MIT licence, line {i}\n" for i in range(6))


def module(seed, n=60):
    return "".join(f"def f{seed}_{i}(x):\n    return x * {i} + {seed}\n" for i in range(n))


class NearDuplicatesTest(unittest.TestCase):
    def test_another_version_is_caught_and_unrelated_files_are_not(self):
        nd = NearDuplicates(0.8)
        original = HEADER + module(1)
        self.assertFalse(nd.seen(original))
        edited = original.replace("return x * 3 + 1", "return x * 3 + 2") + "def extra():\n    pass\n"
        self.assertTrue(nd.seen(edited))                    # 2 of about 127 distinct lines changed
        self.assertTrue(nd.seen("    " + original.replace("\n", "\n    ")))  # re-indented
        self.assertFalse(nd.seen(HEADER + module(2)))     # the same header, other code
        self.assertFalse(nd.seen(module(3)))
        self.assertFalse(nd.seen("\n\n  \n"))             # no lines: never a duplicate, never kept

    def test_the_same_in_every_process(self):
        code = ("import sys; sys.path.insert(0, %r); from dcoder.neardup import NearDuplicates as N; "
                "print(N().signature('a\\nb\\nc').tolist())" % HERE)
        outs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                               env={**os.environ, "PYTHONHASHSEED": str(seed)}).stdout for seed in (1, 2)}
        self.assertEqual(len(outs), 1)


if __name__ == "__main__":
    unittest.main()
