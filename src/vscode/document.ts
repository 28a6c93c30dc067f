// Adapts a TextDocument and its editor to what the pure completion layer reads: a TextSource
// that reads only the ranges it needs, and the editor's indentation style.
import * as vscode from 'vscode';
import { TextSource } from '../completion/context';
import { IndentStyle } from '../completion/postprocess';

export function textSource(doc: vscode.TextDocument): TextSource {
  const end = doc.offsetAt(doc.lineAt(doc.lineCount - 1).range.end);
  return {
    length: end,
    slice: (a, b) => doc.getText(new vscode.Range(doc.positionAt(a), doc.positionAt(b))),
    lineLength: (offset) => doc.lineAt(doc.positionAt(offset).line).text.length,
  };
}

export function indentStyle(doc: vscode.TextDocument): IndentStyle {
  const editor = vscode.window.visibleTextEditors.find((e) => e.document === doc);
  const { insertSpaces, tabSize } = editor?.options ?? {};
  return {
    insertSpaces: typeof insertSpaces === 'boolean' ? insertSpaces : true,
    tabSize: typeof tabSize === 'number' ? tabSize : 4,
  };
}
