// Starts and stops a fresh code-server (a real VS Code workbench and extension host) on the
// loopback interface, every folder under one run directory, with the .vsix installed.
import { ChildProcess, execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';

export interface CodeServer {
  port: number;
  url: string;
  /** Where the .vsix got unpacked (the installed extension's folder). */
  extensionDir: string;
  stop(): void;
}

/** User settings that keep the workbench quiet and deterministic. */
const SETTINGS = {
  'telemetry.telemetryLevel': 'off',
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'update.mode': 'none',
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'security.workspace.trust.enabled': false,
  'editor.inlineSuggest.enabled': true,
  'editor.quickSuggestions': { other: 'off', comments: 'off', strings: 'off' },
  'editor.suggestOnTriggerCharacters': false,
  'editor.wordBasedSuggestions': 'off',
  'editor.minimap.enabled': false,
  'git.enabled': false,
  'chat.disableAIFeatures': true,
  'workbench.colorTheme': 'Default Dark Modern',
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
};

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

async function waitHealthy(port: number, proc: ChildProcess, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (proc.exitCode !== null) throw new Error(`code-server exited with ${proc.exitCode}`);
    try {
      const r = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('code-server did not become healthy');
}

export async function startCodeServer(opts: {
  bin: string;
  vsix: string;
  runDir: string;
  workspace: string;
  env: NodeJS.ProcessEnv;
}): Promise<CodeServer> {
  const { runDir } = opts;
  const port = await freePort();
  const udd = path.join(runDir, 'udd');
  const exts = path.join(runDir, 'exts');
  fs.mkdirSync(path.join(udd, 'User'), { recursive: true });
  // DC_SETTINGS (JSON) adds or overrides user settings, e.g. to measure another decoding policy.
  const extra = JSON.parse(opts.env.DC_SETTINGS || '{}');
  fs.writeFileSync(path.join(udd, 'User', 'settings.json'), JSON.stringify({ ...SETTINGS, ...extra }, null, 2));
  const config = path.join(runDir, 'config.yaml');
  fs.writeFileSync(config, `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
  const env = {
    ...opts.env,
    XDG_CONFIG_HOME: path.join(runDir, 'xdg/config'),
    XDG_DATA_HOME: path.join(runDir, 'xdg/data'),
    XDG_CACHE_HOME: path.join(runDir, 'xdg/cache'),
  };
  const args = [
    '--config', config, '--user-data-dir', udd, '--extensions-dir', exts,
    '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, '--disable-telemetry', '--disable-update-check',
    '--disable-workspace-trust', '--disable-getting-started-override', '--vscode-option', 'enable-smoke-test-driver',
  ];
  execFileSync(opts.bin, [...args, '--install-extension', opts.vsix], { env, stdio: 'pipe' });
  const installed = fs.readdirSync(exts).find((d) => d.startsWith('diffusion-coder.diffusion-coder-'));
  if (!installed) throw new Error(`the .vsix did not install into ${exts}`);
  const log = fs.openSync(path.join(runDir, 'code-server.log'), 'w');
  const proc = spawn(opts.bin, [...args, opts.workspace], { env, detached: true, stdio: ['ignore', log, log] });
  const stop = () => {
    try {
      process.kill(-proc.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  try {
    await waitHealthy(port, proc, 30_000);
  } catch (e) {
    stop();
    throw e;
  }
  return { port, url: `http://127.0.0.1:${port}`, extensionDir: path.join(exts, installed), stop };
}
