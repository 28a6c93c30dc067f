// Bundles the extension, the engine child process, the parser check's worker thread, the CLI, the
// benchmark and the soak into dist/.
// onnxruntime-node (native) and vscode stay external; @huggingface/tokenizers (ESM) and
// web-tree-sitter are bundled, and the tree-sitter runtime's and grammars' .wasm files (those that
// src/completion/syntax/grammars.json names) are copied into dist/wasm/.
// --watch (`npm run watch`, the F5 build task) rebuilds on change and prints the lines that
// .vscode/tasks.json's problem matcher reads.
const esbuild = require('esbuild');
const fs = require('fs');

const entries = {
  extension: 'src/vscode/extension.ts',
  engine: 'src/engine/main.ts',
  cli: 'src/cli/main.ts',
  bench: 'src/bench/main.ts',
  soak: 'src/bench/soak.ts',
  syntaxWorker: 'src/completion/syntax/worker.ts',
};

/** Marks each rebuild's start and end, and prints errors as "✘ [ERROR] text" + "    file:line:col:". */
const watchReport = {
  name: 'watch-report',
  setup(build) {
    build.onStart(() => console.log('[watch] build started'));
    build.onEnd((result) => {
      for (const { text, location } of result.errors) {
        console.error(`✘ [ERROR] ${text}`);
        if (location) console.error(`    ${location.file}:${location.line}:${location.column}:`);
      }
      console.log('[watch] build finished');
    });
  },
};

/** The parser check's WebAssembly: web-tree-sitter's runtime and one grammar per checked language. */
function copyWasm() {
  const grammars = new Set(Object.values(require('./src/completion/syntax/grammars.json')));
  fs.mkdirSync('dist/wasm', { recursive: true });
  fs.copyFileSync('node_modules/web-tree-sitter/web-tree-sitter.wasm', 'dist/wasm/web-tree-sitter.wasm');
  for (const g of grammars) fs.copyFileSync(`node_modules/@repomix/tree-sitter-wasms/out/tree-sitter-${g}.wasm`, `dist/wasm/tree-sitter-${g}.wasm`);
}

async function main() {
  const watch = process.argv.includes('--watch');
  const production = process.argv.includes('--production');
  const present = Object.fromEntries(Object.entries(entries).filter(([, f]) => fs.existsSync(f)));
  copyWasm();
  const ctx = await esbuild.context({
    entryPoints: present,
    bundle: true,
    platform: 'node',
    target: 'node18',
    format: 'cjs',
    outdir: 'dist',
    external: ['vscode', 'onnxruntime-node'],
    // web-tree-sitter's ESM build needs import.meta.url, which a CommonJS bundle lacks: use its CommonJS build
    alias: { 'web-tree-sitter': './node_modules/web-tree-sitter/web-tree-sitter.cjs' },
    sourcemap: !production,
    minify: production,
    logLevel: 'warning',
    plugins: watch ? [watchReport] : [],
  });
  if (watch) await ctx.watch();
  else {
    await ctx.rebuild();
    await ctx.dispose();
    if (fs.existsSync('dist/cli.js')) fs.chmodSync('dist/cli.js', 0o755);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
