"""Node-side checks for the converter's tests: onnxruntime-node and @huggingface/tokenizers, the
runtime and tokenizer the engine uses, driven from Python (the Python onnxruntime of .venv is a
second runtime; these check the one the extension ships)."""
import json
import os
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# onnxruntime's present_kv for the first parity case, against the torch values stored with it
PRESENT_JS = """
const ort = require('onnxruntime-node'); const fs = require('fs'); const dir = process.argv[1];
const m = JSON.parse(fs.readFileSync(dir + '/manifest.json')); const a = m.architecture;
const c = JSON.parse(fs.readFileSync(dir + '/parity.json')).cases[0]; const I = (v) => BigInt64Array.from(v, BigInt);
ort.InferenceSession.create(dir + '/model.onnx').then((s) => s.run({
  input_ids: new ort.Tensor('int64', I(c.input_ids), [1, c.T]), position_ids: new ort.Tensor('int64', I(c.position_ids), [1, c.T]),
  attn_mask: new ort.Tensor('bool', Uint8Array.from(c.attn_mask), [1, 1, c.T, c.P + c.T]),
  past_kv: new ort.Tensor('float32', Float32Array.from(c.past_kv), [a.n_layer, 2, 1, a.n_kv_head, c.P, a.head_dim]),
  num_logits: new ort.Tensor('int64', I([c.num_logits]), [1])})).then((o) => console.log(JSON.stringify({
  dims: o.present_kv.dims, diff: Math.max(...c.present_sample.map((v, i) => Math.abs(v - o.present_kv.data[i])))})));
"""
TOKENIZER_JS = """
const { Tokenizer } = require('@huggingface/tokenizers'); const fs = require('fs');
const t = new Tokenizer(JSON.parse(fs.readFileSync(process.argv[1])), {});
console.log(JSON.stringify(t.encode(process.argv[2], { add_special_tokens: false }).ids));
"""


def node(*args):
    r = subprocess.run(["node", *args], capture_output=True, text=True, cwd=ROOT)
    if r.returncode != 0:
        raise AssertionError(r.stdout + r.stderr)
    return json.loads(r.stdout)
