// ESLint flat config (`npm run lint`, a layer of `npm test`, no warnings allowed): the
// recommended JavaScript and typescript-eslint rules over the extension, engine, CLI, bench,
// scripts, webview and tests. training/ is Python.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

const node = { require: 'readonly', module: 'writable', process: 'readonly', console: 'readonly', __dirname: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly' };
const browser = { window: 'readonly', document: 'readonly', acquireVsCodeApi: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly' };

export default defineConfig(
  { ignores: ['out/', 'dist/', 'node_modules/', 'test-results/', 'training/', 'models/', '.cache/', '.whl/'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: { '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }] },
  },
  {
    // Node scripts in CommonJS (esbuild.js, scripts/)
    files: ['**/*.js'],
    ignores: ['media/**'],
    languageOptions: { sourceType: 'commonjs', globals: node },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // The webview script: a browser script, typed through JSDoc (media/tsconfig.json).
    files: ['media/**/*.js'],
    languageOptions: { sourceType: 'script', globals: browser },
  },
);
