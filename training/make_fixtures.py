"""Golden fixtures that keep the TypeScript engine equal to the Python side.

Usage:
    /usr/bin/python3 training/make_fixtures.py [--tokenizer training/data/tokenizer.json]

Writes test/fixtures/tiny-model/ (a tiny random block-causal model in fp32 ONNX with the real
tokenizer, manifest and parity.json), test/fixtures/golden-decode.json (reference decodes by
sampler.py on that model, on the block-causal and the bidirectional runner: the engine's denoiser
and runners must reproduce tokens, steps and forward passes; --golden-only rewrites just these)
and test/fixtures/tokenizer-golden.json (texts and their ids from bpe.py: the JS tokenizer must
produce the same ids).
"""
import argparse
import json
import os
import random

from dcoder import cpu_blas  # noqa: F401  (must come before torch)
import torch

from dcoder import bpe
from export import export_folder
from dcoder.model import DiffusionCoder, ModelConfig
from dcoder.sampler import BidirectionalRunner, CausalRunner, decode
from dcoder.verified import with_lookup

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(ROOT, "test", "fixtures")

EDGE_CASES = [
    "", " ", "\n", "\t", "\r\n", "def f():\n    return x  # ü<|mask|>\n",
    "a  b\t\tc\r\n\r\n  x=1234567", "   \n\n", "héllo wörld 😀 ", "x<|fim_prefix|>y<|eom|>",
    "\u00a0\ufeffz", "   =  ", "if (a) {\r\n\treturn b;\r\n}\r\n", " " * 40 + "x", "\t" * 9 + "end",
    "const s = `${a}${b}`;", "日本語のコメント // コード", "x = 0x1F + 1e-9 - .5", "<|mask|><|mask|>",
    "<|", "|>", "<|cursor|>", "a\fb\vc", "\\n\\t", "'''doc'''", 'r"\\d+"', "💡💡💡",
]


def tokenizer_golden(tok, corpus_test):
    rng = random.Random(5)
    texts = list(EDGE_CASES)
    if os.path.exists(corpus_test):
        docs = [json.loads(l)["text"] for l in open(corpus_test)]
        for _ in range(250):
            d = rng.choice(docs)
            a = rng.randrange(len(d))
            texts.append(d[a:a + rng.randint(1, 400)])
    return [{"text": t, "ids": tok.encode(t)} for t in texts]


EOM_SCALE = 4


def fixture_model(vocab_size):
    """The tiny random model behind the fixtures, rebuilt the same from its seed (the Python
    golden test rebuilds it and first checks it against parity.json)."""
    torch.manual_seed(7)
    cfg = ModelConfig(vocab_size=vocab_size, n_layer=2, n_head=2, d_model=64, d_ff=128)
    model = DiffusionCoder(cfg).eval()
    with torch.no_grad():
        model.wte.weight.normal_(0, 1.0)      # decisive logits: no near-ties between runtimes
        # <eom> (id 5 in our tokenizer) likely enough that decodes meet it away from the leftmost
        # undecided position, so the fixtures exercise the rule that it must wait there
        model.wte.weight[5].mul_(EOM_SCALE)
        for b in model.blocks:
            for w in (b.qkv.weight, b.proj.weight, b.fc.weight, b.out.weight):
                w.normal_(0, 0.3)
    return model


RUNNERS = {"causal": CausalRunner, "bidirectional": BidirectionalRunner}


def decode_case(model, man, pieces, case):
    """Run sampler.decode with a golden case's context and options, on the case's runner."""
    sp = man["special_tokens"]
    o = case["options"]
    runner = RUNNERS[case.get("runner", "causal")](model)
    r = decode(runner, case["context"], vocab_size=model.cfg.vocab_size, mask_id=sp["mask"], eom_id=sp["eom"], max_tokens=o["max_tokens"],
                  block_size=o["block_size"], policy=tuple(o["policy"]), single_line=o["single_line"],
                  pieces=pieces, max_position=man["max_context"], shift=o["shift"],
                  banned=sorted(v for k, v in sp.items() if k != "eom"), first_allowed=o.get("first_allowed"),
                  verified=o.get("verified", False))
    return {k: v for k, v in r.items() if k != "probs"}


def lookup_cases(vocab_size):
    """Prompt-lookup proposals (dcoder/verified.py with_lookup) that src/engine/lookupDraft.ts must
    reproduce: n-grams of 4 down to 2, the latest occurrence, disallowed tokens, no match, the
    proposal's length limit."""
    allowed = torch.ones(vocab_size, dtype=torch.bool)
    allowed[[0, 1, 2, 3, 4, 5]] = False
    rng = random.Random(7)
    cases = [(list(range(10, 40)) + [20, 21], [22, 99, 99, 99]),  # a 3-gram: 20 21 22 -> 23 24 25
             ([7, 8, 9, 50, 51, 7, 8, 9, 60, 61, 7, 8], [9, 99, 99]),  # the latest 7 8 9 -> 60 61
             ([30, 31, 2, 3, 40, 30], [31, 99, 99, 99]),  # a special token ends the proposal
             ([11, 12, 13], [14, 99]),  # no match: the draft as it is
             ([5], [6]),
             ([rng.randrange(6, 12) for _ in range(200)], [rng.randrange(6, 12)] + [99] * 7)]
    # max_len: the draft's own length, longer (the lookup extends it), shorter (it stops there)
    return [dict(history=h, draft=d, max_len=m, expected=with_lookup(d, h, allowed, m))
            for h, d in cases for m in sorted({len(d), 6, 2})]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tokenizer", default=os.path.join(ROOT, "training", "data", "tokenizer.json"))
    ap.add_argument("--golden-only", action="store_true",
                    help="rewrite golden-decode.json only, on the committed fixture model")
    args = ap.parse_args()
    out = os.path.join(FIX, "tiny-model")
    if args.golden_only:
        args.tokenizer = os.path.join(out, "tokenizer.json")
    tok = bpe.Tokenizer.load(args.tokenizer)
    model = fixture_model(tok.vocab_size)
    if args.golden_only:
        man = json.load(open(os.path.join(out, "manifest.json")))
    else:
        os.makedirs(FIX, exist_ok=True)
        with open(os.path.join(FIX, "tokenizer-golden.json"), "w") as f:
            json.dump(tokenizer_golden(tok, os.path.join(ROOT, "training", "data", "corpus", "test.jsonl")), f)
        man = export_folder(model, out, "tiny-fixture", args.tokenizer,
                            {"train_config": {"seq_len": 160, "max_mid": 32, "max_suffix": 32}},
                            quantize=False, block_size=4, weights=False)
    sp = man["special_tokens"]
    pieces = [tok.decode([i]) for i in range(tok.vocab_size)]
    cases = []
    prompts = [("def add(a, b):\n    ", "\n\nprint(add(1, 2))\n"), ("const x = ", ";\n"),
               ("for i in range(10):\n", ""), ("class A:\n    def __init__(self):\n        self.", "\n")]
    options = [dict(block_size=4, policy=["threshold", 0.9], single_line=False, max_tokens=12, shift=True),
               dict(block_size=4, policy=["threshold", 0.3], single_line=False, max_tokens=12, shift=True),
               dict(block_size=4, policy=["steps", 2], single_line=False, max_tokens=10, shift=True),
               dict(block_size=1, policy=["threshold", 0.9], single_line=False, max_tokens=8, shift=True),
               dict(block_size=8, policy=["steps", 8], single_line=True, max_tokens=16, shift=True),
               dict(block_size=8, policy=["threshold", 0.99, 3], single_line=False, max_tokens=16, shift=True),
               # the unshifted convention (converted or older models) stays covered
               dict(block_size=4, policy=["threshold", 0.9], single_line=False, max_tokens=12, shift=False),
               dict(block_size=8, policy=["steps", 4], single_line=False, max_tokens=16, shift=False),
               # verified drafts: greedy next-token output (the block_size=1 case's tokens) in fewer passes
               dict(block_size=4, policy=["steps", 1], single_line=False, max_tokens=12, shift=True, verified=True),
               dict(block_size=8, policy=["threshold", 0.5, 2], single_line=True, max_tokens=16, shift=True, verified=True),
               dict(block_size=1, policy=["threshold", 0.9], single_line=True, max_tokens=16, shift=True)]
    for prefix, suffix in prompts:
        ctx = [sp["fim_suffix"]] + tok.encode(suffix) + [sp["fim_prefix"]] + tok.encode(prefix) + [sp["fim_middle"]]
        for o in options:
            case = {"context": ctx, "options": o}
            cases.append({**case, "expected": decode_case(model, man, pieces, case)})
    # token healing: the first token restricted to a given set
    ctx = cases[0]["context"]
    allowed = [i for i, p in enumerate(pieces) if p.startswith("re")]
    case = {"context": ctx, "options": dict(block_size=4, policy=["threshold", 0.9], single_line=False,
                                            max_tokens=6, shift=True, first_allowed=allowed)}
    cases.append({**case, "expected": decode_case(model, man, pieces, case)})
    case = {"context": ctx, "options": {**case["options"], "verified": True, "policy": ["steps", 1]}}
    cases.append({**case, "expected": decode_case(model, man, pieces, case)})
    # the bidirectional runner (full attention, no cache) on the same model and contexts
    for c in [cases[i] for i in (0, 1, 2, 4, 6, 7)]:
        case = {"context": c["context"], "options": c["options"], "runner": "bidirectional"}
        cases.append({**case, "expected": decode_case(model, man, pieces, case)})
    with open(os.path.join(FIX, "golden-decode.json"), "w") as f:
        json.dump({"model": "tiny-model", "cases": cases}, f)
    with open(os.path.join(FIX, "golden-lookup.json"), "w") as f:
        json.dump(lookup_cases(tok.vocab_size), f)
    print(f"wrote {len(cases)} golden decodes, the lookup cases{'' if args.golden_only else ', the fixture model and the tokenizer fixture'} to {FIX}")


if __name__ == "__main__":
    main()
