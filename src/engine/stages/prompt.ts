// Stage "prompt": the model's context for a planned request, in the model's FIM layout.
// WindowPrompt lays out both layouts of layout.ts (SPM, natural) with its sticky prefix window;
// a model family with another kind of prompt adds a Prompt here, picked in promptFor.
import { Context, buildContext, WindowMemory } from '../layout';
import { Manifest } from '../manifest';
import { CodeTokenizer } from '../tokenizer';
import { InfillPlan } from './resolve';

export interface Prompt {
  build(plan: InfillPlan): Context;
  /** Forget what earlier requests left behind (the sticky window). */
  reset(): void;
}

export class WindowPrompt implements Prompt {
  private memory = new WindowMemory();

  constructor(
    private readonly tok: CodeTokenizer,
    private readonly m: Manifest,
  ) {}

  build(plan: InfillPlan): Context {
    return buildContext(this.tok, this.m, plan.prefix, plan.suffix, plan.maxTokens, this.memory);
  }

  reset(): void {
    this.memory = new WindowMemory();
  }
}

export function promptFor(tok: CodeTokenizer, m: Manifest): Prompt {
  return new WindowPrompt(tok, m);
}
