// Which tree-sitter grammar parses which VS Code language id, and how a block left open at the
// end of a candidate is closed for the check. grammars.json is the one table: esbuild.js copies
// exactly those grammars' .wasm files into dist/wasm/. Any other language skips the check.
import table from './grammars.json';

export type Grammar = 'python' | 'javascript' | 'typescript' | 'tsx' | 'go' | 'rust' | 'java' | 'c' | 'cpp';

const GRAMMARS: Readonly<Record<string, Grammar>> = table as Record<string, Grammar>;

/** The grammar for a VS Code language id, or undefined when the language is not checked. */
export function grammarFor(languageId: string | undefined): Grammar | undefined {
  return languageId !== undefined && Object.prototype.hasOwnProperty.call(GRAMMARS, languageId) ? GRAMMARS[languageId] : undefined;
}

/** The .wasm file of a grammar inside the wasm folder (dist/wasm). */
export const grammarFile = (g: Grammar) => `tree-sitter-${g}.wasm`;

/** The runtime's own .wasm file inside the same folder. */
export const RUNTIME_FILE = 'web-tree-sitter.wasm';

/**
 * A line-completion often ends by opening a block whose body the user writes next (`if x:`,
 * `for (...) {`). Such a candidate is checked with a stub body after it (never shown), so that
 * it is not taken for broken. Returns the stub, or '' when the candidate leaves no block open.
 */
export function closingStub(g: Grammar, candidate: string, lineIndent: string): string {
  const t = candidate.trimEnd();
  if (g === 'python') return t.endsWith(':') ? `\n${lineIndent}    pass` : '';
  return t.endsWith('{') ? `\n${lineIndent}}` : '';
}
