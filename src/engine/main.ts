// Entry point of the engine child process: the transport only. Messages from the parent over
// Node IPC go to the EngineHost (host.ts), its answers go back the same way. Imports nothing
// from vscode.
import { EngineMessage, PROTOCOL_VERSION } from '../protocol';
import { Engine } from './engine';
import { EngineHost } from './host';

function send(m: EngineMessage): void {
  if (process.connected) process.send?.(m);
}

const host = new EngineHost(send, (p) => Engine.load(p.modelDir, p));
process.on('message', (m) => host.receive(m));
process.on('disconnect', () => process.exit(0));
process.on('uncaughtException', (e) => {
  send({ v: PROTOCOL_VERSION, kind: 'log', level: 'error', message: `engine crashed: ${e.stack ?? e.message}` });
  process.exit(70);
});
send({ v: PROTOCOL_VERSION, kind: 'ready', pid: process.pid });
