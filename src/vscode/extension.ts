// Extension entry point: builds the services, registers the inline provider, commands, panel
// and status bar, and pushes every disposable into context.subscriptions.
import * as vscode from 'vscode';
import { Completer } from '../completion/completer';
import { SET_API_KEY_COMMAND, setApiKey } from './apiKey';
import { languageSettings, SECTION } from './config';
import { EngineService } from './engineService';
import { FIM_COMMAND, fillInTheMiddle } from './fimCommand';
import { InlineDenoise } from './inlineDenoise';
import { InlineProvider } from './inlineProvider';
import { DenoisingPanel, PANEL_VIEW } from './panel';
import { StatusBar } from './statusBar';
import { SyntaxService } from './syntaxService';
import { Telemetry } from './telemetry';

/** What activate() returns: used by the integration tests and available to other extensions. */
export interface DiffusionCoderApi {
  engine: EngineService;
  completer: Completer;
  provider: InlineProvider;
  panel: DenoisingPanel;
  syntax: SyntaxService;
  telemetry: Telemetry;
  denoise: InlineDenoise;
}

export function activate(context: vscode.ExtensionContext): DiffusionCoderApi {
  const activatedAt = performance.now();
  const log = vscode.window.createOutputChannel('Diffusion Coder', { log: true });
  const engine = new EngineService(context, log, activatedAt);
  const completer = new Completer(engine.infill('inline'), languageSettings);
  const syntax = new SyntaxService(context.extensionUri, log);
  const telemetry = new Telemetry(context.globalState);
  const denoise = new InlineDenoise();
  const provider = new InlineProvider(completer, log, { syntax, telemetry, engineLabel: () => engine.label, denoise });
  const panel = new DenoisingPanel(context.extensionUri, engine, telemetry);
  const showPanel = 'diffusionCoder.showPanel';

  context.subscriptions.push(
    log,
    engine,
    panel,
    syntax,
    telemetry,
    denoise,
    new StatusBar(engine, syntax, telemetry, showPanel),
    { dispose: () => completer.cancel() },
    vscode.languages.registerInlineCompletionItemProvider([{ pattern: '**' }, { scheme: 'untitled' }], provider),
    vscode.window.registerWebviewViewProvider(PANEL_VIEW, panel),
    vscode.commands.registerCommand(FIM_COMMAND, () => fillInTheMiddle(engine.infill('fim'), log, denoise)),
    vscode.commands.registerCommand(showPanel, () => vscode.commands.executeCommand(`${PANEL_VIEW}.focus`)),
    vscode.commands.registerCommand('diffusionCoder.showLog', () => log.show()),
    vscode.commands.registerCommand('diffusionCoder.restartEngine', () => engine.restart()),
    vscode.commands.registerCommand(SET_API_KEY_COMMAND, () => setApiKey(context.secrets, log)),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration(SECTION)) return;
      completer.cache.clear();
      if (languageSettings().enable) engine.start();
    }),
  );
  void engine.chooseEngine().then(() => {
    if (languageSettings().enable) engine.start();
  });
  return { engine, completer, provider, panel, syntax, telemetry, denoise };
}

