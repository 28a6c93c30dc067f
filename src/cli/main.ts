#!/usr/bin/env node
// `diffusion-coder`: infill from the command line through the engine child process, a JSON-lines
// mode for scripts (evaluation, benchmark), a parity check of a model folder, `convert` for open
// models, and `serve`.
import * as fs from 'fs';
import * as path from 'path';
import * as readline from 'readline';
import { EngineClient } from '../client/engineClient';
import { defaultModelDir, enginePath } from '../defaults';
import { EngineError, InfillParams } from '../protocol';
import { CliArgs, InfillArgs, parseArgs, splitAtCursor, USAGE, UsageError } from './args';
import { parseJsonlLine } from './jsonl';
import { CliSyntaxCheck } from './syntaxCheck';
import { convert } from './convert';
import { checkParity } from './parity';
import { StepPrinter } from './render';
import { serve } from '../serve/serve';

function client(a: { model?: string; threads?: number; device?: string }): EngineClient {
  return new EngineClient({
    enginePath: enginePath(),
    modelDir: a.model ?? defaultModelDir(),
    threads: a.threads,
    device: a.device,
    maxRestarts: 2,
    log: (level, msg) => {
      if (level === 'error' && process.env.DC_VERBOSE) process.stderr.write(msg + '\n');
    },
  });
}

/** The model's limit on middle tokens (its manifest's max_middle); read once the engine loaded the folder. */
async function middleLimit(c: EngineClient, a: InfillArgs): Promise<number> {
  const info = await c.start();
  const limit = JSON.parse(fs.readFileSync(path.join(info.dir, 'manifest.json'), 'utf8')).max_middle as number;
  if (a.maxTokens !== undefined && a.maxTokens > limit) throw new UsageError(`--max-tokens must be at most ${limit} (the model's limit), got ${a.maxTokens}`);
  return limit;
}

function requestOf(a: InfillArgs, prefix: string, suffix: string): InfillParams {
  return { prefix, suffix, mode: a.mode, maxTokens: a.maxTokens, threshold: a.threshold, stepBudget: a.maxSteps, steps: a.steps, decode: a.decode, middleLength: a.middleLength };
}

async function infillFile(a: InfillArgs): Promise<void> {
  let text: string;
  try {
    text = fs.readFileSync(a.file!, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${a.file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const { prefix, suffix } = splitAtCursor(text, a.at);
  const c = client(a);
  try {
    await middleLimit(c, a);
    const printer = a.showSteps ? new StepPrinter(process.stderr.isTTY ? process.stderr : process.stdout) : undefined;
    const r = await c.infill(requestOf(a, prefix, suffix), { onStep: printer && ((s) => printer.print(s)) });
    process.stdout.write(r.text + (r.text.endsWith('\n') ? '' : '\n'));
    if (a.showSteps) process.stderr.write(`${r.tokens} tokens, ${r.steps} steps, ${r.forwards} forward passes, ${r.ms} ms (${r.stopReason})\n`);
  } finally {
    c.dispose();
  }
}

/** Answers each input line with one output line; resolves the number of lines that failed. */
async function infillJsonl(a: InfillArgs): Promise<number> {
  const c = client(a);
  const out = (o: object) => process.stdout.write(JSON.stringify(o) + '\n');
  const syntax = a.syntaxCheck ? new CliSyntaxCheck(a.syntaxCheck) : undefined;
  let failed = 0;
  try {
    const limit = await middleLimit(c, a);
    const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
    let line = 0;
    for await (const text of rl) {
      line++;
      if (!text.trim()) continue;
      const req = parseJsonlLine(text, line, limit);
      if (!req.ok) {
        failed++;
        out({ id: req.id, line: req.line, error: req.error });
        continue;
      }
      const p = requestOf(a, req.prefix, req.suffix);
      if (req.maxTokens !== undefined) p.maxTokens = req.maxTokens;
      if (req.mode !== undefined) p.mode = req.mode;
      try {
        const r = await c.infill(p);
        const checked = syntax && { ...(await syntax.check(req.prefix, req.suffix, r.text, p.mode)), raw: r.text };
        out({ id: req.id, text: r.text, tokens: r.tokens, steps: r.steps, forwards: r.forwards, ms: r.ms, stopReason: r.stopReason, cacheHit: r.cacheHit, confidence: r.confidence, ...checked });
      } catch (e) {
        failed++;
        out({ id: req.id, line, error: `line ${line}: ${(e as Error).message}` });
      }
    }
  } finally {
    c.dispose();
  }
  if (syntax) process.stderr.write(`diffusion-coder: ${syntax.summary()}\n`);
  if (failed) process.stderr.write(`diffusion-coder: ${failed} input line(s) failed\n`);
  return failed;
}

async function main(argv: string[]): Promise<number> {
  let args: CliArgs;
  try {
    args = parseArgs(argv);
  } catch (e) {
    process.stderr.write(`diffusion-coder: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  try {
    if (args.command === 'help') process.stdout.write(USAGE + '\n');
    else if (args.command === 'serve') return await serve(args);
    else if (args.command === 'convert') return await convert(args);
    else if (args.command === 'parity') return (await checkParity(args.model ?? defaultModelDir())) ? 0 : 1;
    else if (args.jsonl) return (await infillJsonl(args)) > 0 ? 1 : 0;
    else await infillFile(args);
    return 0;
  } catch (e) {
    const code = e instanceof UsageError ? 2 : 1;
    const what = e instanceof EngineError ? `${e.message}` : (e as Error).message;
    process.stderr.write(`diffusion-coder: ${what}\n`);
    return code;
  }
}

main(process.argv.slice(2)).then((code) => process.exit(code));
