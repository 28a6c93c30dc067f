"""The lent-GPU path without a GPU: gpu_run.sh's CPU dry run (tiny model, seconds of training, a
deadline that fires during training) must leave weights parts that join and load, the log, the
scores and at most 8 files of at most 16 MiB in $OUT; a call killed mid-training must still leave
the latest weights; and gpu.py's transfer-size check must count what travels and refuse too much."""
import gzip
import io
import json
import lzma
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest

import torch

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import device_eval  # noqa: E402
import evaluate  # noqa: E402
import export  # noqa: E402
import gpu  # noqa: E402
from dcoder.model import DiffusionCoder, ModelConfig  # noqa: E402
from dcoder.checkpoint import join_parts  # noqa: E402
from dcoder.config import gpu_config, tiny_config  # noqa: E402
from dcoder import warm_start  # noqa: E402

LIMIT = 60  # the training window is about 20 s of it: a few steps even on a busy 2-core machine

# Three single-line infilling tasks whose floors are known: the missing line of the first is a
# no-op (every floor passes), the second needs a statement in an `if` body (only `pass` passes),
# the third is a whole function body (no floor passes).
TASKS = [
    {"prompt": "def add(a, b):\n    result = a + b\n", "canonical_solution": "    result = int(result)\n",
     "suffix": "    return result\n", "entry_point": "add",
     "test": "def check(candidate):\n    assert candidate(1, 2) == 3\n"},
    {"prompt": "def clip(x):\n    if x < 0:\n", "canonical_solution": "        x = 0\n", "suffix": "    return x\n",
     "entry_point": "clip", "test": "def check(candidate):\n    assert candidate(5) == 5\n"},
    {"prompt": "def double(x):\n", "canonical_solution": "    return 2 * x\n", "suffix": "", "entry_point": "double",
     "test": "def check(candidate):\n    assert candidate(2) == 4\n"},
]
FLOORS = {"empty": 100 / 3, "pass": 200 / 3, "repeat_previous_line": 100 / 3}


def carried_data(folder):
    """What gpu.py prepare would carry, from files every checkout has: the tasks above, their
    signatures, and JS/TS records of this repository's own sources."""
    os.makedirs(folder)
    with gzip.open(os.path.join(folder, gpu.HUMANEVAL), "wt") as f:
        for i, t in enumerate(TASKS):
            f.write(json.dumps({"task_id": f"Fixture/{i}", **t}) + "\n")
    with open(os.path.join(folder, "humaneval-signatures.txt"), "w") as f:
        f.write("".join(t["prompt"].split("\n")[0] + "\n" for t in TASKS))
    with lzma.open(os.path.join(folder, gpu.JSTS), "wt") as f:
        for d, _, names in os.walk(os.path.join(ROOT, "src")):
            for nm in sorted(names):
                if nm.endswith(".ts"):
                    path = os.path.join(d, nm)
                    f.write(json.dumps({"package": "diffusion-coder-" + os.path.basename(d), "split_key": nm,
                                        "lang": "typescript", "licence": "MIT", "path": os.path.relpath(path, ROOT),
                                        "text": open(path).read()}) + "\n")


INIT_TOKENS = 123_456


def tiny_shipped_model(folder):
    """A model folder as export.py ships it (int8 MatMulNBits), with the tiny configuration's
    architecture and the shipped tokenizer: what the dry run warm-starts from (the shipped 17 M
    model itself takes seconds a step on this CPU; tests/test_warm_start.py reads that one back)."""
    torch.manual_seed(3)
    with open(os.path.join(ROOT, "models", gpu.DEFAULT_MODEL, "tokenizer.json")) as f:
        tok_json = f.read()
    model = DiffusionCoder(tiny_config().model).eval()
    export.export_folder(model, folder, "tiny-init", tok_json, {"tokens": INIT_TOKENS, "step": 7})


def dry_run(out, data, init):
    """The script, started in its own process group (so that a test can kill all of it)."""
    env = {**os.environ, "DC_GPU_DRY": "1", "DC_GPU_DATA": data, "OUT": out, "PYTHON": sys.executable,
           "DC_GPU_INIT": init}
    return subprocess.Popen(["bash", os.path.join(HERE, "gpu_run.sh"), str(LIMIT)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)


def load_joined(folder):
    blob, meta = join_parts(folder)
    state = torch.load(io.BytesIO(blob), map_location="cpu")
    model = DiffusionCoder(ModelConfig.from_dict(state["model_config"]))
    model.load_state_dict({k: v.float() for k, v in state["model"].items()})
    return state, meta


class GpuRunDryTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.data = os.path.join(self.tmp.name, "gpu")
        carried_data(self.data)
        self.init = os.path.join(self.tmp.name, "init")
        tiny_shipped_model(self.init)

    def tearDown(self):
        self.tmp.cleanup()

    def test_dry_run_leaves_weights_log_and_scores_within_the_limits(self):
        out = os.path.join(self.tmp.name, "out")
        t0 = time.time()
        p = dry_run(out, self.data, self.init)
        printed = p.communicate(timeout=LIMIT + 30)[0]
        took = time.time() - t0
        self.assertEqual(p.returncode, 0, printed[-3000:])
        self.assertLess(took, LIMIT, "the script ran past its own limit")
        files = sorted(os.listdir(out))
        self.assertLessEqual(len(files), 8, files)
        for name in ("weights.json", "weights.pt.part00", "run.log", "log.jsonl", "device-eval.json"):
            self.assertIn(name, files)
        for name in files:
            self.assertFalse(name.endswith(".tmp"), name)
            self.assertLessEqual(os.path.getsize(os.path.join(out, name)), 16 * 2**20, name)
        state, meta = load_joined(out)
        self.assertEqual([p["name"] for p in meta["parts"]], [f for f in files if f.startswith("weights.pt.part")])
        self.assertEqual(state["step"], meta["step"])
        self.assertIn("<|eom|>", state["tokenizer_json"])
        # the deadline, not the step or minute budget, ended training, after some steps
        self.assertGreater(meta["step"], 1)
        self.assertLess(meta["seconds"], LIMIT)
        self.assertEqual(state["train_config"]["max_steps"], 0)
        # it continued from the model folder's weights (its ONNX read back), counting on from its tokens
        self.assertIn(f"initialised from {self.init}", printed)
        self.assertGreater(state["tokens"], INIT_TOKENS)
        with open(os.path.join(out, "run.log")) as f:
            log = f.read()
        self.assertEqual(log.strip(), printed.strip())
        for phase in ("== [", "corpus", "training (deadline", f"done: step {meta['step']}", "export", "pass@1"):
            self.assertIn(phase, log)
        with open(os.path.join(out, "device-eval.json")) as f:
            ev = json.load(f)
        self.assertEqual((ev["tasks"], ev["scored"]), (3, 3))
        self.assertEqual(ev["decode"]["block"], 16)
        self.assertEqual(ev["floors"]["scored"], 3)
        for k, want in FLOORS.items():
            self.assertAlmostEqual(ev["floors"][k]["pass@1"], want, places=1)
        self.assertIn(ev["diffusion"]["pass@1"], (0.0, 33.33, 66.67, 100.0))
        # a deadline too close to decode anything: it says so rather than scoring nothing as 0 %
        ckpt = os.path.join(self.tmp.name, "weights.pt")
        gpu.join(out, ckpt)
        late = os.path.join(self.tmp.name, "late.json")
        subprocess.run([sys.executable, os.path.join(HERE, "device_eval.py"), "--ckpt", ckpt, "--device", "cpu",
                        "--tasks", os.path.join(self.data, gpu.HUMANEVAL), "--out", late,
                        "--deadline", str(time.time() + device_eval.PROGRAM_S + 4)], check=True, capture_output=True)
        with open(late) as f:
            ev = json.load(f)
        self.assertEqual((ev["tasks"], ev["scored"], ev["complete"], ev["diffusion"]["pass@1"]), (3, 0, False, None))

    def test_a_killed_call_still_returns_the_latest_weights(self):
        out = os.path.join(self.tmp.name, "out")
        p = dry_run(out, self.data, self.init)
        try:
            t0 = time.time()
            while not os.path.exists(os.path.join(out, "weights.json")) and time.time() - t0 < LIMIT:
                time.sleep(0.2)
        finally:
            os.killpg(p.pid, signal.SIGKILL)
            p.communicate()
        state, meta = load_joined(out)
        self.assertEqual(state["step"], meta["step"])
        with open(os.path.join(out, "run.log")) as f:
            self.assertIn("training (deadline", f.read())


class WarmStartChoiceTest(unittest.TestCase):
    def test_the_next_gpu_run_continues_from_the_shipped_model(self):
        """gpu_config's architecture is the shipped model's, so gpu_run.sh's --warm-start loads it."""
        with open(os.path.join(ROOT, "models", gpu.DEFAULT_MODEL, "manifest.json")) as f:
            have = warm_start.config_of(json.load(f))
        self.assertEqual(warm_start.mismatch(gpu_config().model, have), "")

    def test_a_warm_started_gpu_run_adapts_longer_with_smaller_steps(self):
        """train.py --gpu: from scratch the configured rates and phases, from trained weights warm_lrs
        and warm_ar_frac (one step on the CPU, the tiny architecture standing in for the shipped one)."""
        arch = json.dumps({k: getattr(tiny_config().model, k) for k in ("n_layer", "n_head", "d_model", "d_ff")})
        with tempfile.TemporaryDirectory() as d:
            corpus = os.path.join(d, "corpus")
            os.makedirs(corpus)
            for split in ("train", "test"):
                with open(os.path.join(corpus, f"{split}.jsonl"), "w") as f:
                    for nm in ("layout.py", "fim.py", "objective.py"):
                        with open(os.path.join(HERE, "dcoder", nm)) as src:
                            f.write(json.dumps({"lang": "python", "text": src.read()}) + "\n")
            tiny_shipped_model(os.path.join(d, "init"))
            said = {}
            for name, extra in (("scratch", []), ("warm", ["--warm-start", os.path.join(d, "init")])):
                r = subprocess.run([sys.executable, os.path.join(HERE, "train.py"), "--gpu", "--device", "cpu",
                                    "--model", arch, "--out", os.path.join(d, name), "--corpus", corpus,
                                    "--tokenizer", os.path.join(ROOT, "models", gpu.DEFAULT_MODEL, "tokenizer.json"),
                                    "--max-steps", "1", "--batch", "2", "--accum", "1", "--threads", "1"] + extra,
                                   capture_output=True, text=True)
                self.assertEqual(r.returncode, 0, r.stderr[-2000:])
                said[name] = r.stdout
        cfg = gpu_config()
        self.assertIn(f"next-token only for {cfg.ar_frac:.0%} of the time, muon (lr {cfg.lr:g}, Muon {cfg.muon_lr:g})",
                      said["scratch"])
        self.assertIn(f"next-token only for {cfg.warm_ar_frac:.0%} of the time, muon (lr {cfg.warm_lrs[0]:g}, "
                      f"Muon {cfg.warm_lrs[1]:g})", said["warm"])


class CollectNameTest(unittest.TestCase):
    def test_a_new_model_is_named_by_its_size(self):
        shipped = os.path.join(ROOT, "models", gpu.DEFAULT_MODEL)
        with open(os.path.join(shipped, "manifest.json")) as f:
            params = json.load(f)["params"]
        same = {"model": {"w": torch.zeros(params)}}
        self.assertEqual(gpu.target_folder(shipped, same), os.path.normpath(shipped))
        bigger = {"model": {"a": torch.zeros(25_000_000), "b": torch.zeros(1_200_000)}}
        self.assertEqual(gpu.target_folder(shipped + "/", bigger), os.path.join(ROOT, "models", "dcoder-26m"))


class DeviceDecodingTest(unittest.TestCase):
    def test_the_torch_sampler_answers_as_the_engine(self):
        """device_eval's layout (window, memory, suffix fit, token healing) and decode settings
        against `dist/cli.js infill --jsonl` on the same fp32 weights, over one engine's requests."""
        torch.manual_seed(11)
        with open(os.path.join(ROOT, "models", gpu.DEFAULT_MODEL, "tokenizer.json")) as f:
            tok_json = f.read()
        tok = device_eval.bpe.Tokenizer.from_json(json.loads(tok_json))
        model = DiffusionCoder(ModelConfig(vocab_size=tok.vocab_size, n_layer=2, n_head=2, d_model=64, d_ff=128)).eval()
        with torch.no_grad():  # decisive logits, as in make_fixtures.py: no near-ties between runtimes
            model.wte.weight.normal_(0, 1.0)
            for b in model.blocks:
                for w in (b.qkv.weight, b.proj.weight, b.fc.weight, b.out.weight):
                    w.normal_(0, 0.3)
        limits = {"seq_len": 96, "max_mid": 24, "max_suffix": 24}
        with open(os.path.join(HERE, "dcoder", "fim.py")) as f:
            text = f.read()
        cuts = [(t["prompt"], t["suffix"]) for t in TASKS] + [(t["prompt"] + t["canonical_solution"][:7], t["suffix"])
                                                              for t in TASKS]
        cuts += [(text[:n], text[n:]) for n in (900, 905, 2000, 2003, 2010, 4321)]   # long: windowed, healed
        sp = {k: tok.specials[f"<|{k}|>"] for k in ("pad", "mask", "fim_prefix", "fim_suffix", "fim_middle", "eom")}
        ours = device_eval.SingleLine(model, tok, {"max_context": 96, "max_middle": 24, "max_suffix": 24,
                                                   "special_tokens": sp})
        mine = [ours(p, s) for p, s in cuts]
        with tempfile.TemporaryDirectory() as d:
            export.export_folder(model, os.path.join(d, "m"), "m", tok_json, {"train_config": limits}, quantize=False)
            out = evaluate.run_engine(os.path.join(d, "m"), [{"id": i, "prefix": p, "suffix": s, "mode": "single",
                                                              "maxTokens": ours.max_tokens} for i, (p, s) in enumerate(cuts)])
        self.assertTrue(any(device_eval.Layout(tok, ours.m).context(p, s, 24)[1] for p, s in cuts), "none healed")
        for i, (text, r) in enumerate(mine):
            self.assertEqual((text, r["forwards"]), (out[i]["text"], out[i]["forwards"]), f"request {i}")


class TransferSizeTest(unittest.TestCase):
    def test_counts_what_travels_and_refuses_too_much(self):
        with tempfile.TemporaryDirectory() as root:
            def write(rel, n):
                os.makedirs(os.path.dirname(os.path.join(root, rel)), exist_ok=True)
                with open(os.path.join(root, rel), "wb") as f:
                    f.write(b"x" * n)
            subprocess.run(["git", "init", "-q", root], check=True)
            write(".gitignore", 0)
            with open(os.path.join(root, ".gitignore"), "w") as f:
                f.write("data/\nshared/\n")
            write("tracked.txt", 1000)
            write("untracked.txt", 500)
            write("data/ignored.bin", 7000)
            write("data/gpu/carried.gz", 300)
            write("shared/eval.txt", 100)
            subprocess.run(["git", "-C", root, "add", "tracked.txt", ".gitignore"], check=True)
            want = 1000 + 500 + 300 + 100 + len("data/\nshared/\n")
            self.assertEqual(gpu.check_transfer(root, ("data/gpu",), limit=10_000), want)
            self.assertEqual(gpu.check_transfer(root, (), limit=10_000), want - 300)
            with self.assertRaises(SystemExit) as e:
                gpu.check_transfer(root, ("data/gpu",), limit=want)
            self.assertIn("refusing", str(e.exception))
            self.assertIn("tracked.txt", str(e.exception))

    def test_the_repository_alone_fits(self):
        self.assertLess(gpu.check_transfer(ROOT, ()), gpu.TRANSFER_LIMIT)


if __name__ == "__main__":
    unittest.main()
