// Where the tests find the repository: they run compiled, from out/test/, so every path is
// resolved from the package root.
import * as path from 'path';

export const ROOT = path.resolve(__dirname, '..', '..');
export const FIXTURES = path.join(ROOT, 'test', 'fixtures');
export const TINY_MODEL = path.join(FIXTURES, 'tiny-model');
