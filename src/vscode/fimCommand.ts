// "Diffusion Coder: Fill in the Middle": fills the selection (or a hole at the cursor) from the
// text around it, with a cancellable progress notification, as one undoable edit; with
// `diffusionCoder.inlineDenoise` the fill is drawn denoising in place meanwhile, and any
// keystroke cancels it.
import * as vscode from 'vscode';
import { EngineFn } from '../completion/completer';
import { extractContext } from '../completion/context';
import { decideMode } from '../completion/mode';
import { postprocess } from '../completion/postprocess';
import { abortSignalFor } from './cancel';
import { languageSettings } from './config';
import { indentStyle, textSource } from './document';
import { InlineDenoise } from './inlineDenoise';

export const FIM_COMMAND = 'diffusionCoder.fillInTheMiddle';

export async function fillInTheMiddle(engine: EngineFn, log: vscode.LogOutputChannel, denoise: InlineDenoise): Promise<boolean> {
  const editor = vscode.window.activeTextEditor;
  if (!editor) {
    void vscode.window.showInformationMessage('Diffusion Coder: open a file and select the part to fill in.');
    return false;
  }
  const { document: doc, selection } = editor;
  const cfg = languageSettings(doc.languageId);
  const ctx = extractContext(textSource(doc), doc.offsetAt(selection.start), doc.offsetAt(selection.end), cfg.limits);
  if (!ctx.ok) {
    void vscode.window.showWarningMessage(`Diffusion Coder: cannot fill in here: ${ctx.reason}.`);
    return false;
  }
  const mode = !selection.isSingleLine ? 'multi' : decideMode(ctx.prefix, ctx.suffix);
  const version = doc.version;
  const text = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'Diffusion Coder: filling in the middle', cancellable: true },
    async (progress, token) => {
      const abort = abortSignalFor(token);
      const inPlace = cfg.inlineDenoise ? denoise.start(editor, selection, cfg.denoiseStepMs) : undefined;
      const signal = inPlace ? AbortSignal.any([abort.signal, inPlace.signal]) : abort.signal;
      try {
        const params = { prefix: ctx.prefix, suffix: ctx.suffix, languageId: doc.languageId, maxTokens: cfg.maxTokens, mode, decode: cfg.decode, steps: cfg.steps, threshold: cfg.threshold };
        const result = await engine(params, signal, (s) => {
          const done = s.tokens.filter((t) => t !== null).length;
          progress.report({ message: `step ${s.step}: ${done}/${s.tokens.length} tokens` });
          inPlace?.step(s);
        });
        await inPlace?.drained(); // the user asked to watch: the edit waits for the last drawn step
        return postprocess(result.text, { prefix: ctx.prefix, suffix: ctx.suffix, mode, indent: indentStyle(doc) });
      } catch (e) {
        if (!signal.aborted) void vscode.window.showErrorMessage(`Diffusion Coder: ${(e as Error).message}`);
        log.warn(`fill in the middle: ${(e as Error).message}`);
        return undefined;
      } finally {
        inPlace?.end();
        abort.dispose();
      }
    },
  );
  if (text === undefined) return false;
  if (doc.version !== version) {
    void vscode.window.showWarningMessage('Diffusion Coder: the document changed meanwhile; nothing was inserted.');
    return false;
  }
  if (!text) {
    void vscode.window.showInformationMessage('Diffusion Coder: the model had nothing to fill in here.');
    return false;
  }
  return editor.edit((b) => b.replace(selection, text));
}
