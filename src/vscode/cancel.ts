// The one place where a VS Code CancellationToken becomes an AbortSignal for the pure layers.
import * as vscode from 'vscode';

export function abortSignalFor(token: vscode.CancellationToken): { signal: AbortSignal; dispose(): void } {
  const ctl = new AbortController();
  if (token.isCancellationRequested) ctl.abort();
  const sub = token.onCancellationRequested(() => ctl.abort());
  return { signal: ctl.signal, dispose: () => sub.dispose() };
}
