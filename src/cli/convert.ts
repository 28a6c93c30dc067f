// `diffusion-coder convert`: runs the Python converter (training/convert.py) on a Hugging Face
// checkpoint folder. Finds a Python with what the converter imports first ($DC_PYTHON, the
// project's .venv made by scripts/setup.sh, then python3 on the PATH) and says what to install
// when there is none.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { packageRoot } from '../defaults';
import { ConvertArgs, UsageError } from './args';

const NEEDS = 'import torch, onnx, numpy, safetensors';

const INSTALL = `convert needs Python 3 with torch, onnx, numpy and safetensors:
  Debian 12: bash scripts/setup.sh (Debian's python3-torch and the pinned .venv)
  elsewhere: python3 -m pip install -r training/requirements.txt torch numpy
or point $DC_PYTHON at an interpreter that has them.`;

/** The first interpreter that imports what the converter needs; undefined when none does. */
export function findPython(candidates = [process.env.DC_PYTHON, path.join(packageRoot(), '.venv', 'bin', 'python'), 'python3']): string | undefined {
  for (const py of candidates) {
    if (!py) continue;
    const r = spawnSync(py, ['-c', NEEDS], { stdio: 'ignore', timeout: 60_000 });
    if (r.status === 0) return py;
  }
  return undefined;
}

export async function convert(a: ConvertArgs, root = packageRoot()): Promise<number> {
  const script = path.join(root, 'training', 'convert.py');
  if (!fs.existsSync(script)) throw new UsageError(`the converter is not here (${script}): run convert from a clone of the repository`);
  if (!fs.existsSync(path.join(a.from, 'config.json'))) throw new UsageError(`${a.from} has no config.json: give the folder of a downloaded Hugging Face checkpoint`);
  const py = findPython();
  if (!py) {
    process.stderr.write(INSTALL + '\n');
    return 1;
  }
  const r = spawnSync(py, [script, '--from', a.from, '--to', a.to, '--quant', a.quant], { stdio: 'inherit' });
  if (r.error) throw new Error(`could not run ${py}: ${r.error.message}`);
  return r.status ?? 1;
}
