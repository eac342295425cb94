/**
 * JSON with object keys sorted at every depth, so two equal values always give the same text
 * (and so the same digest) whatever order their keys were built in. Like JSON.stringify, it drops
 * undefined properties.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    return sortKeys((value as { toJSON(): unknown }).toJSON());
  }
  const out: Record<string, unknown> = {};
  for (const key of sortedKeys(value)) {
    const v = (value as Record<string, unknown>)[key];
    if (v === undefined) continue;
    // An own `__proto__` key (JSON.parse makes one) would set the prototype on assignment and
    // vanish from the text: two different values would then share a digest.
    if (key === '__proto__') Object.defineProperty(out, key, { value: sortKeys(v), enumerable: true });
    else out[key] = sortKeys(v);
  }
  return out;
}

/**
 * The keys in the order of `Array.prototype.sort()` (UTF-16 code units). A record's objects have a
 * handful of keys each, which an insertion sort in place orders without the copy `sort()` makes:
 * a quarter of canonicalJson's time and most of its garbage.
 */
function sortedKeys(value: object): string[] {
  const keys = Object.keys(value);
  if (keys.length > 16) return keys.sort();
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i]!;
    let j = i - 1;
    for (; j >= 0 && keys[j]! > key; j--) keys[j + 1] = keys[j]!;
    keys[j + 1] = key;
  }
  return keys;
}
