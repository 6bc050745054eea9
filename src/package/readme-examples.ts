/**
 * The README's library examples: each ```ts block right after a `<!-- example -->` line is a program a
 * user could paste into a file of their project. A line `console.log(...); // → TEXT` says what that
 * call prints; the examples' check runs the program and compares.
 */

export interface ReadmeExample {
  /** Line of the opening fence in the README (1-based), for messages. */
  line: number;
  code: string;
  /** What the program prints, line by line, from its `// → ` comments. */
  expected: string[];
}

const MARKER = '<!-- example -->';
const PRINTS = /^\s*console\.log\(.*\);\s*\/\/ → (.*)$/;

export function readmeExamples(readme: string): ReadmeExample[] {
  const lines = readme.split('\n');
  const out: ReadmeExample[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() !== MARKER) continue;
    const open = i + 1;
    if (lines[open]?.trim() !== '```ts')
      throw new Error(`README line ${open + 1}: ${MARKER} not followed by \`\`\`ts`);
    const close = lines.findIndex((l, k) => k > open && l.trim() === '```');
    if (close < 0) throw new Error(`README line ${open + 1}: the example's block is not closed`);
    const body = lines.slice(open + 1, close);
    const expected = body.map((l) => PRINTS.exec(l)?.[1]).filter((t): t is string => t !== undefined);
    out.push({ line: open + 1, code: body.join('\n') + '\n', expected });
    i = close;
  }
  return out;
}
