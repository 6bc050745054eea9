/**
 * `advx export onnx --model M --out F [--force] [--json]`: writes a model's network as an ONNX file
 * (logits output; its bounds, preprocessing and labels as `advx.*` metadata, so loading it needs no flags).
 */
import type { Command } from 'commander';
import { exportToOnnx, type OnnxExportSummary } from '../../models/export-onnx.js';
import { asUsage } from '../errors.js';
import { addModelOptions, type ModelFlags } from '../model-options.js';
import { parseBounds, parsePreprocess } from '../options.js';

export interface ExportOnnxFlags extends ModelFlags {
  out: string;
  force?: boolean;
  json?: boolean;
}

const shapeText = (shape: (number | string)[]) => `[${shape.join(',')}]`;

export function renderExportSummary(summary: OnnxExportSummary): string {
  const [input] = summary.inputs;
  const [output] = summary.outputs;
  return (
    `${summary.model} -> ${summary.path} (${summary.bytes} bytes, ${summary.nodes} nodes, opset ${summary.opset})\n` +
    `input ${input.name} ${shapeText(input.shape)} NHWC, after the model's preprocessing; ` +
    `output ${output.name} ${shapeText(output.shape)} logits\n`
  );
}

/** Parses the flags, exports (every failure is bad input: exit 2), prints the summary. */
export async function exportOnnxAction(
  flags: ExportOnnxFlags,
  out: (s: string) => void = (s) => process.stdout.write(s),
): Promise<OnnxExportSummary> {
  const bounds = flags.bounds === undefined ? undefined : parseBounds(flags.bounds);
  const preprocess = flags.preprocess === undefined ? undefined : parsePreprocess(flags.preprocess);
  const summary = await asUsage(() =>
    exportToOnnx(flags.model, flags.out, { bounds, preprocess, force: flags.force === true }),
  );
  out(flags.json ? JSON.stringify(summary, null, 2) + '\n' : renderExportSummary(summary));
  return summary;
}

/** Returns the `export` command of `program`, creating it on first use. */
function getExportCommand(program: Command): Command {
  const existing = program.commands.find((c) => c.name() === 'export');
  if (existing !== undefined) return existing;
  return program.command('export').description('write a model in another format');
}

export function registerExportCommand(program: Command): void {
  addModelOptions(
    getExportCommand(program)
      .command('onnx')
      .description("write a model's network as ONNX (logits; bounds, preprocessing, labels as metadata)"),
  )
    .requiredOption('-o, --out <FILE>', 'the .onnx file to write')
    .option('--force', 'overwrite an existing file')
    .option('--json', 'print one JSON document on stdout')
    .action(async (flags: ExportOnnxFlags) => {
      await exportOnnxAction(flags);
    });
}
