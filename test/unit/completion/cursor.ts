// Test helper: splits source text at the <|cursor|> marker into prefix and suffix.
export const CURSOR = '<|cursor|>';

export function atCursor(src: string): { prefix: string; suffix: string } {
  const i = src.indexOf(CURSOR);
  if (i < 0 || src.indexOf(CURSOR, i + 1) >= 0) throw new Error(`exactly one ${CURSOR} expected in ${JSON.stringify(src)}`);
  return { prefix: src.slice(0, i), suffix: src.slice(i + CURSOR.length) };
}
