/** `text` with the character at `index` changed (A↔B or to A): one flipped byte of a ciphertext. */
export function flipChar(text: string, index: number): string {
  const c = text[index];
  return text.slice(0, index) + (c === 'A' ? 'B' : 'A') + text.slice(index + 1);
}
