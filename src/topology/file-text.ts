/** Two guards of the topology loader that read text, not fields: nesting depth, and the field a misspelt one was meant to be. */

/** Deeper nesting is refused before parsing (a topology file needs 4 levels). */
export const MAX_NESTING = 32;

/**
 * Where the YAML nests deeper than MAX_NESTING (flow brackets, or block indentation), found
 * by a scan of the text: the parser itself recurses, and would overflow the stack first.
 */
export function tooDeep(text: string): { line: number; column: number } | undefined {
  let line = 1;
  let depth = 0;
  let quote: string | undefined;
  const indents: number[] = [];
  let lineStart = true;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\n') {
      line++;
      lineStart = true;
      continue;
    }
    if (lineStart) {
      lineStart = false;
      let j = i;
      while (text[j] === ' ' || text[j] === '-' || text[j] === '\t') j++;
      if (text[j] !== '\n' && text[j] !== '#' && j < text.length) {
        // Each "- " on a line opens a level of its own, as does each deeper indentation.
        const indent = j - i;
        while (indents.length > 0 && indents[indents.length - 1]! >= indent) indents.pop();
        indents.push(indent);
        const dashes = text.slice(i, j).split('-').length - 1;
        if (indents.length + dashes > MAX_NESTING) return { line, column: j - i + 1 };
      }
    }
    if (quote !== undefined) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === '#') {
      while (i + 1 < text.length && text[i + 1] !== '\n') i++;
    } else if (c === '[' || c === '{') {
      if (++depth + indents.length > MAX_NESTING) return { line, column: i - text.lastIndexOf('\n', i) };
    } else if (c === ']' || c === '}') {
      depth = Math.max(0, depth - 1);
    }
  }
  return undefined;
}

/** Edit distance, for "did you mean": a misspelt field is one or two edits away. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row.push(Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    prev = row;
  }
  return prev[b.length]!;
}

/** The field `key` was probably meant to be: one or two edits away from one of `allowed`. */
export function nearest(key: string, allowed: readonly string[]): string | undefined {
  return allowed.filter((f) => distance(key, f) <= Math.min(2, Math.floor(f.length / 2))).sort((a, b) => distance(key, a) - distance(key, b))[0];
}

