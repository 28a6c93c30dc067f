// `npm run bench -- --model DIR`: what one model costs per denoising step, in this process, for
// models too big or too untrained for the end-to-end bench (a converted open model, or a random
// one of its shape): load time and RSS, then the p50/p95 of a block's first step (the whole
// sequence: context, block and, for the natural layout, the suffix) and of a cached step (the
// block against the kept K/V: the dual cache for the natural layout, the context cache for ours);
// for the natural layout also whole single-line infills with the middle's length read from the
// model first (`probe`) and without (`fixed`). Prints a table, then one JSON line.
import { DECODE } from '../defaults';
import { Engine } from '../engine/engine';
import { loadModel } from '../engine/model';
import { runnerFor } from '../engine/runners';
import { quantile } from './stats';

export interface StepBenchOptions {
  threads: number;
  device?: string;
  /** Context tokens before the middle, and (natural layout) after it. */
  prefixTokens: number;
  suffixTokens: number;
  repeats: number;
}

const rssMb = () => Math.round(process.memoryUsage().rss / 2 ** 20);

export async function stepBench(dir: string, o: StepBenchOptions): Promise<void> {
  const rss0 = rssMb();
  const t0 = performance.now();
  const model = await loadModel(dir, { threads: o.threads, device: o.device });
  const loadMs = Math.round(performance.now() - t0);
  const m = model.manifest;
  const B = m.block_size;
  const runner = runnerFor(model.session, m);
  // ids from the tokenizer's ordinary range, away from the special tokens
  const ordinary = (n: number, seed: number) => Array.from({ length: n }, (_, i) => 256 + ((i * 7919 + seed) % Math.max(1, Math.min(m.architecture.vocab_size, 30000) - 512)));
  const middle = Math.min(DECODE.maxTokens, m.max_middle);
  const tail = m.layout === 'natural' ? ordinary(Math.min(o.suffixTokens, m.max_suffix), 2) : [];
  // as much context as asked for, within what the model's context holds beside the middle and suffix
  const prefix = ordinary(Math.min(o.prefixTokens, m.max_context - middle - tail.length), 1);
  const block = new Array<number>(B).fill(m.special_tokens.mask);
  const rows = B + 1;
  // a cached step of our block-causal runner returns the block's rows only (the anchor row came from the block's first step)
  const cachedRows = runner.anchorRowEveryStep ? B + 1 : B;
  const full: number[] = [];
  const cached: number[] = [];
  for (let r = 0; r < o.repeats + 1; r++) {
    runner.truncate(0);
    runner.placeTail?.(tail, prefix.length + middle);
    let t = performance.now();
    await runner.step(prefix, block, prefix.length, rows);
    const f = performance.now() - t;
    t = performance.now();
    await runner.step([], block, prefix.length, cachedRows);
    const c = performance.now() - t;
    if (r > 0) {
      // the first round warms onnxruntime up
      full.push(f);
      cached.push(c);
    }
  }
  const infills: Record<string, number> = {};
  if (m.layout === 'natural') {
    const engine = new Engine(model);
    const code = 'def mean(xs):\n    total = 0\n    for x in xs:\n        total += x\n    return ';
    for (const middleLength of ['probe', 'fixed'] as const) {
      const ms: number[] = [];
      for (let r = 0; r < Math.max(3, o.repeats / 2); r++) {
        const t = performance.now();
        await engine.infill({ prefix: code.repeat(4), suffix: '\n\nprint(mean([1, 2]))\n', mode: 'single', middleLength });
        ms.push(performance.now() - t);
      }
      infills[middleLength] = quantile(ms, 0.5);
    }
  }
  const rss = rssMb();
  const q = (xs: number[], p: number) => Math.round(quantile(xs, p) * 10) / 10;
  const seq = prefix.length + B + (m.layout === 'natural' ? middle - B + tail.length : 0);
  console.log(`model ${m.name} (${(m.params / 1e6).toFixed(1)} M params, ${m.kind}, ${m.layout}, ${(m.quantization ?? 'fp32').split(' (')[0]}), ${model.info.threads} threads, ${model.info.device}${model.info.deviceNote ? ` (${model.info.deviceNote})` : ''}`);
  console.log(`load ${loadMs} ms, RSS ${rss} MB (${rss - rss0} MB for the model); block ${B}, context ${prefix.length} tokens${tail.length ? `, middle ${middle}, suffix ${tail.length}` : ''}`);
  console.log('step                          |  n | p50 ms | p95 ms | tokens run');
  console.log('------------------------------|----|--------|--------|-----------');
  console.log(`block's first step (full)     | ${String(full.length).padStart(2)} | ${String(q(full, 0.5)).padStart(6)} | ${String(q(full, 0.95)).padStart(6)} | ${seq}`);
  console.log(`cached step                   | ${String(cached.length).padStart(2)} | ${String(q(cached, 0.5)).padStart(6)} | ${String(q(cached, 0.95)).padStart(6)} | ${cachedRows}`);
  for (const [k, v] of Object.entries(infills)) console.log(`single-line infill, ${k.padEnd(5)} length | p50 ${Math.round(v)} ms`);
  const fullP50 = quantile(full, 0.5);
  const cachedP50 = quantile(cached, 0.5);
  console.log(
    JSON.stringify({
      model: m.name,
      params: m.params,
      quantization: m.quantization ?? 'fp32',
      device: model.info.device,
      threads: model.info.threads,
      load_ms: loadMs,
      rss_mb: rss,
      model_rss_mb: rss - rss0,
      full_step: { p50_ms: q(full, 0.5), p95_ms: q(full, 0.95), tokens: seq },
      cached_step: { p50_ms: q(cached, 0.5), p95_ms: q(cached, 0.95), tokens: cachedRows },
      cache_speedup: Math.round((fullP50 / cachedP50) * 100) / 100,
      ...(infills.probe !== undefined ? { infill_single_line_p50_ms: { probe: Math.round(infills.probe), fixed: Math.round(infills.fixed) } } : {}),
    }),
  );
  await model.session.release();
}
