// The remote engine's API key: kept in VS Code's SecretStorage only (never in settings or logs),
// set or cleared by the command "Diffusion Coder: Set API Key".
import * as vscode from 'vscode';

export const SET_API_KEY_COMMAND = 'diffusionCoder.setApiKey';
const SECRET = 'diffusionCoder.engine.apiKey';

export function readApiKey(secrets: vscode.SecretStorage): Thenable<string | undefined> {
  return secrets.get(SECRET);
}

export function onApiKeyChange(secrets: vscode.SecretStorage, listener: () => void): vscode.Disposable {
  return secrets.onDidChange((e) => {
    if (e.key === SECRET) listener();
  });
}

/** Asks for the key (hidden input); an empty answer removes it, Escape changes nothing. */
export async function setApiKey(secrets: vscode.SecretStorage, log: vscode.LogOutputChannel): Promise<void> {
  const key = await vscode.window.showInputBox({
    title: 'Diffusion Coder: API key for the remote engine',
    prompt: 'Stored in VS Code\'s secret storage, sent only to the configured remote engine. Leave empty to remove it.',
    password: true,
    ignoreFocusOut: true,
  });
  if (key === undefined) return;
  if (key.trim()) {
    await secrets.store(SECRET, key.trim());
    log.info('API key stored in secret storage');
  } else {
    await secrets.delete(SECRET);
    log.info('API key removed from secret storage');
  }
}
