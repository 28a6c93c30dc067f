// Takes the prefix and suffix around the cursor (or a selection) out of a document, within
// character limits and cut at line boundaries; refuses huge, binary or minified text.
import { looksBinary } from '../binaryText';

/** What the context needs from a document: its length, ranges of it, and line lengths. */
export interface TextSource {
  readonly length: number;
  slice(start: number, end: number): string;
  /** Length of the line holding offset, without its line break. */
  lineLength(offset: number): number;
}

export interface ContextLimits {
  prefixChars: number;
  suffixChars: number;
  /** Documents longer than this are refused outright. */
  maxDocumentChars: number;
  /** A cursor line longer than this (minified code, data) is refused. */
  maxLineChars: number;
}

export type Extracted = { ok: true; prefix: string; suffix: string } | { ok: false; reason: string };

/** Text in [start - prefixChars, start) and [end, end + suffixChars), whole lines where cut. */
export function extractContext(doc: TextSource, start: number, end: number, limits: ContextLimits): Extracted {
  if (doc.length > limits.maxDocumentChars) return { ok: false, reason: `document over ${limits.maxDocumentChars} characters` };
  const from = Math.max(0, start - limits.prefixChars);
  const to = Math.min(doc.length, end + limits.suffixChars);
  let prefix = doc.slice(from, start);
  let suffix = doc.slice(end, to);
  if (from > 0) {
    const nl = prefix.indexOf('\n');
    if (nl >= 0 && nl < prefix.length - 1) prefix = prefix.slice(nl + 1);
  }
  if (to < doc.length) {
    const nl = suffix.lastIndexOf('\n');
    if (nl > 0) suffix = suffix.slice(0, nl);
  }
  if (looksBinary(prefix) || looksBinary(suffix)) return { ok: false, reason: 'binary content' };
  prefix = prefix.replace(/\r\n/g, '\n');
  suffix = suffix.replace(/\r\n/g, '\n');
  if (doc.lineLength(start) > limits.maxLineChars) return { ok: false, reason: 'cursor line too long (minified?)' };
  return { ok: true, prefix, suffix };
}

