export type ReadBody =
  | { ok: true; text: string }
  | { ok: false; reason: 'too-large' | 'interrupted'; error?: unknown };

/** JSON.parse without throwing: `undefined` when the text is not JSON. */
export function parseJson(text: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(text) };
  } catch {
    return undefined;
  }
}
