// `diffusion-coder serve`: loads the engine child process, then listens (loopback by default; a
// public host needs --public and a bearer token from the environment, never from the command
// line) until SIGINT or SIGTERM. Resolves the exit status.
import * as fs from 'fs';
import * as path from 'path';
import { AddressInfo } from 'net';
import { EngineClient } from '../client/engineClient';
import { defaultModelDir, enginePath, SERVE } from '../defaults';
import { isLoopback, ServeArgs, UsageError } from '../cli/args';
import { createServer, FIM_PATH, HEALTH_PATH } from './server';

export async function serve(a: ServeArgs): Promise<number> {
  const token = process.env[SERVE.tokenEnv] || undefined;
  if (!isLoopback(a.host) && !token) throw new UsageError(`--host ${a.host} needs a bearer token: set ${SERVE.tokenEnv}`);
  const log = (line: string) => process.stderr.write(`diffusion-coder serve: ${line}\n`);
  const engine = new EngineClient({
    enginePath: enginePath(),
    modelDir: a.model ?? defaultModelDir(),
    threads: a.threads,
    log: (level, msg) => {
      if (level !== 'info' || process.env.DC_VERBOSE) log(msg);
    },
  });
  const info = await engine.start();
  const maxTokensLimit = JSON.parse(fs.readFileSync(path.join(info.dir, 'manifest.json'), 'utf8')).max_middle as number;
  const server = createServer({ engine, modelName: info.name, maxTokensLimit, token, log: process.env.DC_VERBOSE ? log : undefined });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(a.port, a.host, resolve);
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  // One line on stdout, for scripts and tests: where to connect.
  process.stdout.write(`listening on http://${host}:${addr.port} (POST ${FIM_PATH}, GET ${HEALTH_PATH}; model ${info.name}${token ? '; bearer token required' : ''})\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  server.close();
  engine.dispose();
  return 0;
}
