// `npm run bench`: end-to-end latency of the engine child process on fixed held-out cases
// (bench/cases.jsonl), the three decodes on the same weights in the same run (verified drafts,
// the diffusion decode by threshold, greedy next-token AR): free-running (each stops where it
// likes; verified and AR write the same text) and at matched output (each produces exactly the
// reference middle's token count); then the remote path through `serve` on loopback
// (remotePath.ts), the cost of several candidates (alternativesBench.ts) and of the parser check
// (syntaxBench.ts). Prints a table, then one JSON line. `--model DIR` runs the per-step bench of
// steps.ts on that model instead; `--syntax` and `--alternatives` run only those parts.
import * as fs from 'fs';
import * as path from 'path';
import { EngineClient } from '../client/engineClient';
import { BENCH_THREADS, DECODE, defaultModelDir, enginePath, packageRoot } from '../defaults';
import { readModelFolder } from '../engine/manifest';
import { CodeTokenizer } from '../engine/tokenizer';
import { DecodeMode, InfillParams, InfillResult } from '../protocol';
import { alternativesBench, alternativesSummary, printAlternatives } from './alternativesBench';
import { remotePath } from './remotePath';
import { printSyntax, syntaxBench } from './syntaxBench';
import { quantile } from './stats';
import { stepBench } from './steps';

interface Case {
  id: string;
  lang: string;
  kind: 'single' | 'multi';
  prefix: string;
  suffix: string;
  middle: string;
}

interface Sample {
  ms: number;
  r: InfillResult;
}

const DECODERS: readonly DecodeMode[] = ['verified', 'threshold', 'ar'];

type Typing = Awaited<ReturnType<typeof typing>>;
interface Runs {
  s: Typing;
  m: Typing;
  sx: Sample[];
  mx: Sample[];
}

interface Summary {
  n: number;
  p50_ms: number;
  p95_ms: number;
  forwards_per_token: number;
  tokens_per_s: number;
  mean_tokens: number;
  /** Verified drafts: tokens kept per verifying pass. */
  tokens_per_verify?: number;
}

function summarize(xs: Sample[]): Summary {
  const tokens = xs.reduce((a, x) => a + x.r.tokens, 0);
  const forwards = xs.reduce((a, x) => a + x.r.forwards, 0);
  const ms = xs.reduce((a, x) => a + x.ms, 0);
  const r = (v: number, d = 1) => Math.round(v * 10 ** d) / 10 ** d;
  return {
    n: xs.length,
    p50_ms: r(quantile(xs.map((x) => x.ms), 0.5)),
    p95_ms: r(quantile(xs.map((x) => x.ms), 0.95)),
    forwards_per_token: r(forwards / Math.max(1, tokens), 3),
    tokens_per_s: r((tokens / ms) * 1000),
    mean_tokens: r(tokens / xs.length),
    ...(xs.some((x) => x.r.verifyPasses) && { tokens_per_verify: r(tokens / xs.reduce((a, x) => a + (x.r.verifyPasses ?? 0), 0), 2) }),
  };
}

async function timed(c: EngineClient, p: InfillParams): Promise<Sample> {
  const t0 = performance.now();
  const r = await c.infill(p);
  return { ms: performance.now() - t0, r };
}

/** The user types the last `typed` characters of the prefix one by one. */
async function typing(c: EngineClient, cases: Case[], decode: DecodeMode, typed: number): Promise<{ warm: Sample[]; cold: Sample[]; hits: number; lookups: number }> {
  const warm: Sample[] = [];
  const cold: Sample[] = [];
  let hits = 0;
  let lookups = 0;
  for (const k of cases) {
    const mode = k.kind;
    const maxTokens = mode === 'single' ? DECODE.singleLineMaxTokens : DECODE.maxTokens;
    for (let cut = typed; cut >= 0; cut--) {
      const s = await timed(c, { prefix: k.prefix.slice(0, k.prefix.length - cut), suffix: k.suffix, mode, maxTokens, decode });
      if (cut === typed) cold.push(s);
      else {
        warm.push(s);
        lookups++;
        if (s.r.cacheHit) hits++;
      }
    }
  }
  return { warm, cold, hits, lookups };
}

/** Every decoder produces exactly the reference middle's token count, from the same cached context. */
async function matched(c: EngineClient, cases: Case[], tok: CodeTokenizer, decode: DecodeMode): Promise<Sample[]> {
  const out: Sample[] = [];
  for (const k of cases) {
    const middle = k.kind === 'single' ? k.middle.replace(/\n$/, '') : k.middle;
    const p: InfillParams = { prefix: k.prefix, suffix: k.suffix, mode: k.kind, maxTokens: Math.max(1, tok.encode(middle).length), exactTokens: true };
    await c.infill({ ...p, maxTokens: 1 }); // the context is cached before the timed request, for every decoder
    out.push(await timed(c, { ...p, decode }));
  }
  return out;
}

/** `--model DIR [--device D] [--threads N]`: the per-step bench of steps.ts instead. */
function stepArgs(argv: string[]): { dir: string; device?: string; threads?: number } | undefined {
  const at = (flag: string) => (argv.includes(flag) ? argv[argv.indexOf(flag) + 1] : undefined);
  const dir = at('--model');
  if (!dir) return undefined;
  return { dir, device: at('--device'), threads: at('--threads') ? Number(at('--threads')) : undefined };
}

async function main(): Promise<void> {
  const root = packageRoot();
  const steps = stepArgs(process.argv.slice(2));
  if (steps) {
    const threads = steps.threads ?? Number(process.env.DC_THREADS ?? BENCH_THREADS);
    return stepBench(steps.dir, { threads, device: steps.device, prefixTokens: 384, suffixTokens: 64, repeats: 10 });
  }
  if (process.argv[2] === '--syntax') {
    const figures = await syntaxBench();
    printSyntax(figures);
    return console.log(JSON.stringify({ syntax_check: figures }));
  }
  const only = process.argv[2] === '--alternatives';
  const casesFile = only ? path.join(root, 'bench', 'cases.jsonl') : (process.argv[2] ?? path.join(root, 'bench', 'cases.jsonl'));
  const cases: Case[] = fs.readFileSync(casesFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const threads = Number(process.env.DC_THREADS ?? BENCH_THREADS);
  const t0 = performance.now();
  const modelDir = process.env.DC_MODEL ?? defaultModelDir(root);
  const files = readModelFolder(modelDir, { verify: false });
  const tok = CodeTokenizer.load(files.tokenizerPath, files.manifest.architecture.vocab_size);
  const c = new EngineClient({ enginePath: enginePath(root), modelDir, threads });
  const info = await c.start();
  if (only) {
    const f = await alternativesBench(c, cases);
    c.dispose();
    printAlternatives(f);
    return console.log(JSON.stringify({ alternatives: alternativesSummary(f) }));
  }
  const readyMs = performance.now() - t0;
  const single = cases.filter((k) => k.kind === 'single');
  const multi = cases.filter((k) => k.kind === 'multi');
  // one untimed pass so every decoder starts equally warm
  for (const d of DECODERS) await typing(c, cases.slice(0, 2), d, 1);
  const runs = new Map<DecodeMode, Runs>();
  for (const d of DECODERS) {
    const s = await typing(c, single, d, 5);
    const m = await typing(c, multi, d, 3);
    runs.set(d, { s, m, sx: await matched(c, single, tok, d), mx: await matched(c, multi, tok, d) });
  }
  const run = (d: DecodeMode) => runs.get(d) as Runs;
  const rss = (await c.status()).stats.rssMb;
  const alts = await alternativesBench(c, cases);
  const remote = await remotePath(c, single, 3, 4);
  const syntax = await syntaxBench();
  c.dispose();

  const rows: [string, Summary][] = DECODERS.flatMap((d): [string, Summary][] => [
    [`${d} single-line (typing)`, summarize(run(d).s.warm)],
    [`${d} multi-line (typing)`, summarize(run(d).m.warm)],
    [`${d} single-line (cold, 1.5 KB)`, summarize(run(d).s.cold)],
    [`${d} single-line (matched output)`, summarize(run(d).sx)],
    [`${d} multi-line (matched output)`, summarize(run(d).mx)],
  ]);
  const row = (name: string) => (rows.find(([n]) => n === name) as [string, Summary])[1];
  const w = Math.max(...rows.map(([n]) => n.length));
  console.log(`model ${info.name} (${(info.params / 1e6).toFixed(1)} M params, ${info.kind}, block ${info.blockSize}), ${threads} threads, ${cases.length} cases`);
  console.log(`${'scenario'.padEnd(w)} |    n | p50 ms | p95 ms | fwd/token | tok/s | tokens | tok/verify`);
  console.log(`${'-'.repeat(w)}-|------|--------|--------|-----------|-------|--------|-----------`);
  for (const [name, s] of rows) {
    console.log(`${name.padEnd(w)} | ${String(s.n).padStart(4)} | ${String(s.p50_ms).padStart(6)} | ${String(s.p95_ms).padStart(6)} | ${String(s.forwards_per_token).padStart(9)} | ${String(s.tokens_per_s).padStart(5)} | ${String(s.mean_tokens).padStart(6)} | ${String(s.tokens_per_verify ?? '').padStart(10)}`);
  }
  const same = single.filter((_, i) => run('verified').sx[i].r.text === run('ar').sx[i].r.text).length;
  console.log(`verified and AR at matched output, single-line: the same text in ${same} of ${single.length} cases`);
  const q = (xs: number[], p: number) => Math.round(quantile(xs, p) * 10) / 10;
  console.log(
    `remote path (serve on 127.0.0.1, fim-api, single-line, ${remote.remote_ms.length} requests): p50 ${q(remote.remote_ms, 0.5)} ms, p95 ${q(remote.remote_ms, 0.95)} ms; ` +
      `child process directly: p50 ${q(remote.direct_ms, 0.5)} ms, p95 ${q(remote.direct_ms, 0.95)} ms; same text ${remote.same_text}/${remote.remote_ms.length}`,
  );
  console.log(`4 concurrent clients: ${remote.concurrent_rps.toFixed(1)} requests/s, p50 ${q(remote.concurrent_ms, 0.5)} ms, p95 ${q(remote.concurrent_ms, 0.95)} ms`);
  const pick = (s: Summary) => ({ p50_ms: s.p50_ms, p95_ms: s.p95_ms, forwards_per_token: s.forwards_per_token, tokens_per_s: s.tokens_per_s, ...(s.tokens_per_verify && { tokens_per_verify: s.tokens_per_verify }) });
  const r2 = (v: number) => Math.round(v * 100) / 100;
  const out = {
    default_decode: DECODE.mode,
    single_line: pick(row(`${DECODE.mode} single-line (typing)`)),
    multi_line: pick(row(`${DECODE.mode} multi-line (typing)`)),
    cold_single_line: pick(row(`${DECODE.mode} single-line (cold, 1.5 KB)`)),
    ...Object.fromEntries(
      DECODERS.map((d) => [d, { single_line: pick(row(`${d} single-line (typing)`)), multi_line: pick(row(`${d} multi-line (typing)`)), matched_single: pick(row(`${d} single-line (matched output)`)), matched_multi: pick(row(`${d} multi-line (matched output)`)) }]),
    ),
    verified_speedup_over_ar_matched_single: r2(row('ar single-line (matched output)').p50_ms / row('verified single-line (matched output)').p50_ms),
    verified_speedup_over_ar_matched_multi: r2(row('ar multi-line (matched output)').p50_ms / row('verified multi-line (matched output)').p50_ms),
    verified_tokens_per_verify_matched_multi: row('verified multi-line (matched output)').tokens_per_verify,
    verified_same_text_as_ar_matched_single: `${same}/${single.length}`,
    matched_tokens_single: row('ar single-line (matched output)').mean_tokens,
    matched_tokens_multi: row('ar multi-line (matched output)').mean_tokens,
    load_ms: info.loadMs,
    ready_ms: Math.round(readyMs),
    rss_mb: rss,
    context_cache_hit_rate: r2((run(DECODE.mode).s.hits + run(DECODE.mode).m.hits) / Math.max(1, run(DECODE.mode).s.lookups + run(DECODE.mode).m.lookups)),
    remote_single_line: { p50_ms: q(remote.remote_ms, 0.5), p95_ms: q(remote.remote_ms, 0.95) },
    remote_overhead_p50_ms: r2(quantile(remote.remote_ms, 0.5) - quantile(remote.direct_ms, 0.5)),
    remote_concurrent_4: { requests_per_s: r2(remote.concurrent_rps), p95_ms: q(remote.concurrent_ms, 0.95) },
    alternatives: alternativesSummary(alts),
    syntax_check: syntax,
  };
  printAlternatives(alts);
  printSyntax(syntax);
  console.log(JSON.stringify(out));
}

main().catch((e) => {
  console.error(`bench: ${(e as Error).message}`);
  process.exit(1);
});
