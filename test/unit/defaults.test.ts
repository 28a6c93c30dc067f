// package.json's settings must agree with src/defaults.ts, their one home, and defaults.json
// (which the Python pipeline reads) must hold what defaults.ts exports from it.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { DECODE, DEFAULT_LIMITS, DEFAULT_MODEL, defaultModelDir, enginePath, SETTINGS } from '../../src/defaults';
import { ROOT } from '../paths';

interface Setting {
  default: unknown;
  description?: string;
  markdownDescription?: string;
}

const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const settings: Record<string, Setting> = pkg.contributes.configuration.properties;
const SECTION = 'diffusionCoder.';

describe('defaults', () => {
  it('package.json declares exactly the settings of SETTINGS, with the same defaults', () => {
    const declared = Object.fromEntries(Object.entries(settings).map(([k, v]) => [k.slice(SECTION.length), v.default]));
    assert.deepStrictEqual(declared, { ...SETTINGS });
  });

  it("the threshold setting's description states the step budget", () => {
    const text = settings[`${SECTION}threshold`].description ?? '';
    assert.match(text, new RegExp(`in ${DECODE.stepBudget} steps`));
  });

  it('defaults.json holds the model name and the decode settings the Python side reads', () => {
    const json = JSON.parse(fs.readFileSync(path.join(ROOT, 'src', 'defaults.json'), 'utf8'));
    assert.strictEqual(json.model, DEFAULT_MODEL);
    assert.deepStrictEqual(json.decode, { ...DECODE });
    assert.ok(DECODE.singleLineMaxTokens <= DECODE.maxTokens);
  });

  it('the context limits follow the settings, and the bundled pieces are found from the package root', () => {
    assert.strictEqual(DEFAULT_LIMITS.prefixChars, SETTINGS['context.prefixChars']);
    assert.strictEqual(DEFAULT_LIMITS.suffixChars, SETTINGS['context.suffixChars']);
    assert.ok(fs.existsSync(path.join(defaultModelDir(ROOT), 'manifest.json')), defaultModelDir(ROOT));
    assert.strictEqual(enginePath(ROOT), path.join(ROOT, 'dist', 'engine.js'));
  });
});
