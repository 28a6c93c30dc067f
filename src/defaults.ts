// Where the bundled pieces live relative to a built file in dist/ (CLI, bench, extension).
// The bundled model's name has one home, defaults.json, which the Python pipeline reads too.
import * as path from 'path';
import defaults from './defaults.json';

export const DEFAULT_MODEL: string = defaults.model;

/** The package root: dist/ is one level below it. */
export function packageRoot(distDir: string = __dirname): string {
  return path.resolve(distDir, '..');
}

export function defaultModelDir(root = packageRoot()): string {
  return path.join(root, 'models', DEFAULT_MODEL);
}

export function enginePath(root = packageRoot()): string {
  return path.join(root, 'dist', 'engine.js');
}
