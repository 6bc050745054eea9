/**
 * `advx report IMAGE [--model M] [--models LIST] [--out FILE] [...]`
 *
 * Replays the book's chapter 10 on a photo of the user's choosing and writes one self-contained HTML
 * file: the top-3 predictions, minimal-eps FGSM (confident misclassification), the top-3 after it, the
 * original | magnified perturbation | adversarial panel, the noise sweep per model, PGD on noise and
 * the zoo transfer matrix, each with the command that reproduces it. Progress goes to stderr.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { loadImagesFor } from '../../data/images.js';
import { writeFileAtomically } from '../../data/atomic-write.js';
import { openOutputFile } from '../../data/output-folder.js';
import { initEngine } from '../../engine/backend.js';
import type { Model } from '../../models/model.js';
import { buildChapterReport, type ChapterReportEvents } from '../../report/chapter-report.js';
import { CHAPTER_SECTIONS } from '../../report/sections/chapter-sections.js';
import { CRITERION_HELP, parseCriterion } from '../criterion-option.js';
import { asUsage } from '../errors.js';
import { collectList, DEFAULT_IMAGENET_MODELS, loadModels } from '../experiment-options.js';
import { flushNotes } from '../notes.js';
import { progressBar, type Progress } from '../progress.js';
import { reportCommand, sectionCommands } from '../report-commands.js';
import { fgsmSettings, parseReportFlags, REPORT_DEFAULTS, type ReportFlags } from '../report-options.js';

export { REPORT_DEFAULTS, type ReportFlags } from '../report-options.js';

/** Steps of a report on stderr: "advx report: [k/N] title..." and "title done in 1.2 s". */
function stepper(total: number, err: (s: string) => void): (title: string) => void {
  let k = 0;
  let started = Date.now();
  let last = '';
  return (title: string) => {
    const now = Date.now();
    if (last !== '') err(`advx report: ${last} done in ${((now - started) / 1000).toFixed(1)} s\n`);
    started = now;
    last = title;
    if (title !== '') err(`advx report: [${++k}/${total}] ${title}...\n`);
  };
}

/** The steps on `err`, a progress bar per task of a step, section failures. */
function reportEvents(step: (title: string) => void, err: (s: string) => void) {
  let bar: { task: string; progress: Progress } | undefined;
  const stopBar = () => {
    bar?.progress.stop();
    bar = undefined;
  };
  const events: ChapterReportEvents = {
    step: (title) => {
      stopBar();
      step(title);
    },
    progress: (task, done, total, label) => {
      if (bar?.task !== task) {
        stopBar();
        bar = { task, progress: progressBar(task) };
      }
      bar.progress.update(done, total, label);
    },
    sectionFailed: (id, message) => err(`advx report: section '${id}' failed: ${message}\n`),
  };
  return { events, stopBar };
}

export interface ReportResult {
  file: string;
  sections: { id: string; ok: boolean; error?: string }[];
  seconds: number;
}

type ReportIo = { out: (s: string) => void; err: (s: string) => void };

export async function reportAction(
  image: string,
  flags: ReportFlags,
  io: ReportIo = {
    out: (s) => process.stdout.write(s),
    err: (s) => process.stderr.write(s),
  },
): Promise<ReportResult> {
  const startedAt = Date.now();
  await initEngine();
  const settings = await parseReportFlags(flags, image);
  // Checked (a folder, an existing file without --force, a place that cannot be written) and locked
  // against another run writing the same report, before any work.
  const output = await asUsage(() => openOutputFile(flags.out, { force: flags.force === true }));
  flushNotes(); // the options are checked: the work starts
  const step = stepper(CHAPTER_SECTIONS.length + 1, io.err);
  const specs = flags.models ?? DEFAULT_IMAGENET_MODELS;
  const { events, stopBar } = reportEvents(step, io.err);
  const loaded: Model[] = [];
  try {
    step('loading models and the photo');
    const unique = [...new Set([flags.model, ...specs])];
    loaded.push(...(await loadModels(unique)));
    const bySpec = new Map(unique.map((spec, i) => [spec, loaded[i]]));
    const model = bySpec.get(flags.model) as Model;
    const photo = await asUsage(() => loadImagesFor([image], model));
    const report = await buildChapterReport({
      image,
      photo,
      model,
      models: [...new Set(specs)].map((spec) => bySpec.get(spec) as Model),
      criterion: (label) => asUsage(() => parseCriterion(flags.criterion, [label], model.labels)),
      fgsm: fgsmSettings(flags, settings, model),
      ...settings,
      provenance: {
        sectionCommand: sectionCommands(image, flags, specs, model.labels),
        command: reportCommand(image, flags, specs),
        modelSpecs: specs,
        startedAt,
      },
      events,
    }).finally(() => photo.dispose());
    events.step?.('writing the report');
    // Atomically: a kill while writing leaves the previous report (with --force) or none, never half of one.
    const html = report.html;
    await asUsage(() => writeFileAtomically(flags.out, new TextEncoder().encode(html), flags.force === true));
    step('');
    const failed = report.sections.filter((s) => !s.ok);
    io.out(
      `${resolve(flags.out)} (${(html.length / 1024).toFixed(0)} KiB, ${report.sections.length} sections${failed.length > 0 ? `, ${failed.length} failed: ${failed.map((f) => f.id).join(', ')}` : ''}) in ${report.seconds.toFixed(0)} s\n`,
    );
    return { file: flags.out, sections: report.sections, seconds: report.seconds };
  } finally {
    stopBar();
    loaded.forEach((m) => m.dispose());
    output.release();
  }
}

export function registerReportCommand(program: Command): void {
  const d = REPORT_DEFAULTS;
  program
    .command('report')
    .description("replay the book's chapter 10 on a photo: one self-contained HTML report")
    .argument('<image>', 'a JPEG or PNG photo')
    .option('-m, --model <M>', 'model of the FGSM and PGD sections', d.model)
    .option(
      '--models <M>',
      `models of the noise sweep and transfer sections, repeat or comma-separate (default: ${DEFAULT_IMAGENET_MODELS.join(',')})`,
      collectList,
    )
    .option('-o, --out <FILE>', 'the HTML file to write', d.out)
    .option('--force', 'overwrite --out')
    .option('-c, --criterion <C>', `criterion of the minimal-eps FGSM (${CRITERION_HELP})`, d.criterion)
    .option(
      '--eps-search <GRID>',
      'eps grid START:STOP:STEP of the FGSM search (units of the bounds; the default is of the range)',
      d.epsSearch,
    )
    .option('--bisect <N>', 'bisection steps after the grid', d.bisect)
    .option('--mu <RANGE>', 'noise sweep means (pixel units)', d.mu)
    .option('--sigma <RANGE>', 'noise sweep standard deviations (pixel units)', d.sigma)
    .option('--pairs <MODE>', 'zip or grid', d.pairs)
    .option('-n, --samples <N>', 'noise images per (mu, sigma) point', d.samples)
    .option('-k, --top <K>', 'predictions kept per noise image', d.top)
    .option('--grid-images <N>', 'noise images shown per model', d.gridImages)
    .option('--pgd-mu <RANGE>', 'means of the noise images PGD attacks (zipped with --pgd-sigma)', d.pgdMu)
    .option('--pgd-sigma <RANGE>', 'standard deviations of the noise images PGD attacks', d.pgdSigma)
    .option('--pgd-eps <E>', 'Linf radius of PGD on noise', d.pgdEps)
    .option('--pgd-steps <N>', 'PGD steps', d.pgdSteps)
    .option(
      '-t, --target <CLASS>',
      "target class of targeted PGD on noise (default: the photo's top-1 class)",
    )
    .option('--transfer-images <N>', 'sample photos of the transfer section', d.transferImages)
    .option('--transfer-attack <NAME>', 'attack of the transfer section', d.transferAttack)
    .option('--transfer-eps <E>', 'epsilon of the transfer section', d.transferEps)
    .option('--transfer-steps <N>', 'iterations of an iterative transfer attack')
    .option('-s, --seed <S>', 'seed of noise, photo draw and random starts', d.seed)
    .action(async (image: string, flags: ReportFlags) => {
      const result = await reportAction(image, flags);
      if (result.sections.some((s) => !s.ok)) {
        throw new Error(
          `the report was written, but ${result.sections.filter((s) => !s.ok).length} section(s) failed`,
        );
      }
    });
}
