// Reads the extension's settings (contributes.configuration, section "diffusionCoder") on
// demand, per language, so every change applies without a reload.
import * as os from 'os';
import * as vscode from 'vscode';
import { CompleterSettings } from '../completion/completer';
import { ContextLimits, DEFAULT_LIMITS } from '../completion/context';

export const SECTION = 'diffusionCoder';

export interface LanguageSettings extends CompleterSettings {
  enable: boolean;
  triggerWhenCodeRightOfCursor: boolean;
  limits: ContextLimits;
}

export interface EngineSettings {
  modelDir: string;
  threads?: number;
}

function section(languageId?: string): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration(SECTION, languageId ? { languageId } : undefined);
}

/** Settings that shape completions; `enable` may be overridden per language. */
export function languageSettings(languageId?: string): LanguageSettings {
  const c = section(languageId);
  const steps = c.get<number>('steps', 0);
  return {
    enable: c.get<boolean>('enable', true),
    triggerWhenCodeRightOfCursor: c.get<boolean>('triggerWhenCodeRightOfCursor', false),
    debounceMs: c.get<number>('debounceMs', 15),
    maxTokens: c.get<number>('maxTokens', 64),
    steps: steps > 0 ? steps : undefined,
    threshold: steps > 0 ? undefined : c.get<number>('threshold', 0.7),
    limits: {
      ...DEFAULT_LIMITS,
      prefixChars: c.get<number>('context.prefixChars', DEFAULT_LIMITS.prefixChars),
      suffixChars: c.get<number>('context.suffixChars', DEFAULT_LIMITS.suffixChars),
    },
  };
}

/** Settings that need an engine restart; an empty model directory means the bundled model. */
export function engineSettings(bundledModelDir: string): EngineSettings {
  const c = section();
  const threads = c.get<number>('engine.threads', 0);
  const dir = c.get<string>('modelDirectory', '').replace(/^~(?=$|[\\/])/, os.homedir());
  return { modelDir: dir || bundledModelDir, threads: threads > 0 ? threads : undefined };
}

export const affectsEngine = (e: vscode.ConfigurationChangeEvent) =>
  e.affectsConfiguration(`${SECTION}.modelDirectory`) || e.affectsConfiguration(`${SECTION}.engine.threads`);
