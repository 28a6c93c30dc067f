// The model's byte-level BPE, read from tokenizer.json through @huggingface/tokenizers.
// Adds what the engine needs on top: user text can never produce special tokens, each token's
// text is precomputed (for token healing and for drawing denoising steps).
import * as fs from 'fs';
import { Tokenizer } from '@huggingface/tokenizers';

export class CodeTokenizer {
  private tok: Tokenizer;
  private specialStrings: string[];
  /** Decoded text of every id (byte-level pieces that are not valid UTF-8 alone show as U+FFFD). */
  readonly pieces: string[];
  /** 1 for the ids the tokenizer has: a model's logits may be wider (Qwen2: 151936 for ~151665 ids). */
  readonly known: Uint8Array;

  constructor(json: object, readonly vocabSize: number) {
    this.tok = new Tokenizer(json as never, {});
    const added = ((json as { added_tokens?: { content: string; id: number }[] }).added_tokens ?? []);
    this.specialStrings = added.map((t) => t.content);
    this.known = new Uint8Array(vocabSize);
    const vocab = (json as { model?: { vocab?: Record<string, number> } }).model?.vocab ?? {};
    for (const id of [...Object.values(vocab), ...added.map((t) => t.id)]) if (id >= 0 && id < vocabSize) this.known[id] = 1;
    this.pieces = new Array(vocabSize);
    for (let i = 0; i < vocabSize; i++) this.pieces[i] = this.tok.decode([i], { skip_special_tokens: false, clean_up_tokenization_spaces: false });
  }

  static load(file: string, vocabSize: number): CodeTokenizer {
    return new CodeTokenizer(JSON.parse(fs.readFileSync(file, 'utf8')), vocabSize);
  }

  /** Exactly the library's (and the Python trainer's) encoding, special strings included. */
  encodeRaw(text: string): number[] {
    if (!text) return [];
    return this.tok.encode(text, { add_special_tokens: false }).ids;
  }

  /** Encode user text: a literal special-token string stays plain text. */
  encode(text: string): number[] {
    if (!text) return [];
    const hit = this.specialStrings.find((s) => text.includes(s));
    if (!hit) return this.encodeRaw(text);
    const out: number[] = [];
    const parts = text.split(hit);
    parts.forEach((p, i) => {
      if (i > 0) out.push(...this.encodeRaw(hit.slice(0, 2)), ...this.encode(hit.slice(2)));
      out.push(...this.encode(p));
    });
    return out;
  }

  decode(ids: number[]): string {
    if (ids.length === 0) return '';
    return this.tok.decode(ids, { skip_special_tokens: false, clean_up_tokenization_spaces: false });
  }
}
