// Reads the extension's settings (contributes.configuration, section "diffusionCoder") on
// demand, per language, so every change applies without a reload.
import * as os from 'os';
import * as vscode from 'vscode';
import { CompleterSettings } from '../completion/completer';
import { ContextLimits } from '../completion/context';
import { DEFAULT_LIMITS, REMOTE, SETTINGS } from '../defaults';
import { isRemoteKind, RemoteKind } from '../remote/kinds';

export const SECTION = 'diffusionCoder';

export interface LanguageSettings extends CompleterSettings {
  enable: boolean;
  triggerWhenCodeRightOfCursor: boolean;
  limits: ContextLimits;
  syntaxCheck: boolean;
  inlineDenoise: boolean;
  /** Shortest time a drawn denoising step stays on screen. */
  denoiseStepMs: number;
}

export interface EngineSettings {
  modelDir: string;
  threads?: number;
  device: string;
}

function section(languageId?: string): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration(SECTION, languageId ? { languageId } : undefined);
}

/** Settings that shape completions; `enable` may be overridden per language. */
export function languageSettings(languageId?: string): LanguageSettings {
  const c = section(languageId);
  const get = <K extends keyof typeof SETTINGS>(key: K) => c.get<(typeof SETTINGS)[K]>(key, SETTINGS[key]);
  const steps = get('steps');
  return {
    enable: get('enable'),
    triggerWhenCodeRightOfCursor: get('triggerWhenCodeRightOfCursor'),
    debounceMs: get('debounceMs'),
    maxTokens: get('maxTokens'),
    decode: get('decode'),
    steps: steps > 0 ? steps : undefined,
    threshold: steps > 0 ? undefined : get('threshold'),
    minConfidence: get('minConfidence'),
    limits: { ...DEFAULT_LIMITS, prefixChars: get('context.prefixChars'), suffixChars: get('context.suffixChars') },
    syntaxCheck: get('syntaxCheck'),
    inlineDenoise: get('inlineDenoise'),
    denoiseStepMs: get('denoiseStepMs'),
    alternatives: get('alternatives'),
  };
}

/** Settings that need an engine restart; an empty model directory means the bundled model. */
export function engineSettings(bundledModelDir: string): EngineSettings {
  const c = section();
  const threads = c.get<number>('engine.threads', SETTINGS['engine.threads']);
  const dir = c.get<string>('modelDirectory', SETTINGS.modelDirectory).replace(/^~(?=$|[\\/])/, os.homedir());
  const device = c.get<string>('engine.device', SETTINGS['engine.device']).trim() || SETTINGS['engine.device'];
  return { modelDir: dir || bundledModelDir, threads: threads > 0 ? threads : undefined, device };
}

export const affectsEngine = (e: vscode.ConfigurationChangeEvent) =>
  ['modelDirectory', 'engine.threads', 'engine.device'].some((k) => e.affectsConfiguration(`${SECTION}.${k}`));

/** The engine kind; a remote kind with its base URL and model (empty settings: the kind's defaults). */
export type EngineChoice = { kind: 'local' } | { kind: RemoteKind; baseUrl: string; model: string };

export function engineChoice(): EngineChoice {
  const c = section();
  const kind = c.get<string>('engine.kind', SETTINGS['engine.kind']);
  if (!isRemoteKind(kind)) return { kind: 'local' };
  const baseUrl = c.get<string>('engine.baseUrl', SETTINGS['engine.baseUrl']) || REMOTE.baseUrls[kind];
  const model = c.get<string>('engine.model', SETTINGS['engine.model']) || REMOTE.models[kind];
  return { kind, baseUrl, model };
}

export const affectsEngineChoice = (e: vscode.ConfigurationChangeEvent) =>
  ['engine.kind', 'engine.baseUrl', 'engine.model'].some((k) => e.affectsConfiguration(`${SECTION}.${k}`));
