// Loads the tree-sitter runtime (web-tree-sitter, WebAssembly) once and each grammar lazily,
// from one folder of .wasm files (dist/wasm in the package). Loading is asynchronous: WebAssembly
// compiles off the caller's turn, so the extension host is not held up by it.
import * as path from 'path';
import { Language, Parser } from 'web-tree-sitter';
import { Grammar, grammarFile, RUNTIME_FILE } from './grammars';

export class SyntaxRuntime {
  private init?: Promise<void>;
  private readonly languages = new Map<Grammar, Promise<Language>>();
  /** Milliseconds each grammar took to load (runtime start included for the first). */
  readonly loadMs = new Map<Grammar, number>();

  constructor(private readonly wasmDir: string) {}

  /** A new parser for a grammar (each document keeps its own, so that a parse can resume). */
  async parser(g: Grammar): Promise<Parser> {
    const language = await this.language(g);
    const p = new Parser();
    p.setLanguage(language);
    return p;
  }

  language(g: Grammar): Promise<Language> {
    let l = this.languages.get(g);
    if (!l) {
      const t0 = performance.now();
      l = this.start()
        .then(() => Language.load(path.join(this.wasmDir, grammarFile(g))))
        .then((lang) => (this.loadMs.set(g, Math.round((performance.now() - t0) * 10) / 10), lang));
      l.catch(() => this.languages.delete(g));
      this.languages.set(g, l);
    }
    return l;
  }

  private start(): Promise<void> {
    this.init ??= Parser.init({ locateFile: () => path.join(this.wasmDir, RUNTIME_FILE) });
    return this.init;
  }
}
