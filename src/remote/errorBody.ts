// The message inside a remote API's error body, for one clear line in the log and the status bar:
// `{"error": {"message": ...}}` (OpenAI-style servers, llama-server, Inception), `{"error": "..."}`
// (Ollama), `{"detail": [{"loc", "msg"}]}` (Mistral's 422) or `{"detail": "..."}`, `{"message": ...}`.
// Anything else (HTML from a proxy, plain text) is passed on as it came, trimmed.
export function errorMessage(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const o = body as Record<string, unknown>;
  if (typeof o.error === 'string') return o.error;
  const inner = o.error as Record<string, unknown> | undefined;
  if (typeof inner === 'object' && inner !== null && typeof inner.message === 'string') return inner.message;
  if (typeof o.detail === 'string') return o.detail;
  if (Array.isArray(o.detail)) {
    const said = o.detail.map((d: { loc?: unknown[]; msg?: unknown }) => (typeof d?.msg === 'string' ? `${Array.isArray(d.loc) ? d.loc.join('.') + ': ' : ''}${d.msg}` : '')).filter(Boolean);
    if (said.length) return said.join('; ');
  }
  return typeof o.message === 'string' ? o.message : undefined;
}

/** What the server said in a non-2xx body: its error message where the body has a known shape. */
export function errorText(raw: string): string {
  const text = raw.trim();
  try {
    return errorMessage(JSON.parse(text)) ?? text;
  } catch {
    return text;
  }
}
