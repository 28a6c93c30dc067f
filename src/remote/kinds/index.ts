// Each remote kind's wire format, by the name the setting `diffusionCoder.engine.kind` uses.
import { REMOTE_KINDS } from '../../defaults';
import { fimApi } from './fimApi';
import { llamaServer } from './llamaServer';
import { ollama } from './ollama';
import { WireKind } from './wire';

export type RemoteKind = (typeof REMOTE_KINDS)[number];

export const WIRE: Record<RemoteKind, WireKind> = {
  mercury: fimApi(true),
  'fim-api': fimApi(false),
  ollama,
  'llama-server': llamaServer,
};

export function isRemoteKind(k: string): k is RemoteKind {
  return (REMOTE_KINDS as readonly string[]).includes(k);
}
