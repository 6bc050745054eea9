/**
 * The book's chapter 10 replayed on a photo, as one self-contained HTML report: the top-3 predictions,
 * minimal-eps FGSM and the top-3 after it, the original | magnified perturbation | adversarial panel, the
 * noise sweep per model, PGD on noise and the zoo transfer matrix (one builder each, in sections/), each
 * with the command that reproduces it. A section that fails becomes a note in the report (and `ok: false`
 * in the result), not a lost report.
 */
import { basename } from 'node:path';
import type { Criterion } from '../criteria/index.js';
import { tf, type Tensor4D } from '../engine/tf.js';
import { topPredictions, type Model } from '../models/model.js';
import { renderHtmlReport, type ReportBlock, type ReportSection } from './html-report.js';
import {
  CHAPTER_SECTIONS,
  type ChapterSectionId,
  type SectionProgress,
} from './sections/chapter-sections.js';
import { cleanPredictionsBlocks } from './sections/clean-predictions.js';
import {
  minimalFgsm,
  minimalFgsmBlocks,
  type MinimalFgsm,
  type MinimalFgsmSettings,
} from './sections/minimal-fgsm.js';
import { noisePgdBlocks, type NoisePgdSettings } from './sections/noise-pgd.js';
import { noiseSweepBlocks, type NoiseSweepSettings } from './sections/noise-sweep.js';
import { perturbationPanelBlocks } from './sections/perturbation-panel.js';
import { transferZooBlocks, type TransferSettings } from './sections/transfer-zoo.js';

/** How the report and each of its sections are reproduced, and since when it runs. */
export interface ChapterProvenance {
  /** The command line that reproduces a section, given the class the model sees in the photo. */
  sectionCommand(id: ChapterSectionId, photoClass: number): string;
  /** The command line of the whole report (in the footer). */
  command: string;
  /** The noise and transfer sections' models as the command names them (in the introduction). */
  modelSpecs: readonly string[];
  /** When the run started (ms since the epoch): the footer says how long it took. */
  startedAt: number;
}

/** What the caller hears while the report is built. */
export interface ChapterReportEvents {
  /** A step starts: 'top-3 predictions', 'minimal-epsilon FGSM', ... */
  step?(title: string): void;
  /** Progress of a step's long work, named by `task` ('noise sweep'). */
  progress?(task: string, done: number, total: number, label: string): void;
  /** A section failed; the report shows `message` in its place. */
  sectionFailed?(id: ChapterSectionId, message: string): void;
}

export interface ChapterReportInput {
  /** The photo's file (named in the report) and its pixels as `model` sees them, `[1,H,W,C]` (kept). */
  image: string;
  photo: Tensor4D;
  /** The model of the clean, FGSM, panel and PGD-on-noise sections. */
  model: Model;
  /** The models of the noise sweep and transfer sections. */
  models: readonly Model[];
  /** The criterion of the minimal-eps FGSM, for the photo's class (the model's clean top-1). */
  criterion: (photoClass: number) => Criterion | Promise<Criterion>;
  fgsm: MinimalFgsmSettings;
  noiseSweep: NoiseSweepSettings;
  noisePgd: NoisePgdSettings;
  transfer: TransferSettings;
  provenance: ChapterProvenance;
  events?: ChapterReportEvents;
}

export interface ChapterReport {
  html: string;
  sections: { id: ChapterSectionId; ok: boolean; error?: string }[];
  /** Since `provenance.startedAt`. */
  seconds: number;
}

/** The sections built so far; `build` runs one, and a failure becomes a note in its place. */
function sectionRunner(events: ChapterReportEvents | undefined) {
  const sections: ReportSection[] = [];
  const status: ChapterReport['sections'] = [];
  const build = async (id: ChapterSectionId, command: string, blocks: () => Promise<ReportBlock[]>) => {
    const title = CHAPTER_SECTIONS.find((s) => s.id === id)?.title as string;
    try {
      sections.push({ id, title, command, blocks: await blocks() });
      status.push({ id, ok: true });
    } catch (error) {
      const message = (error as Error).message;
      events?.sectionFailed?.(id, message);
      sections.push({
        id,
        title,
        command,
        blocks: [{ kind: 'note', text: `This section failed: ${message}` }],
      });
      status.push({ id, ok: false, error: message });
    }
  };
  return { sections, status, build };
}

export async function buildChapterReport(input: ChapterReportInput): Promise<ChapterReport> {
  const { image, photo, model, models, provenance, events } = input;
  const progress =
    (task: string): SectionProgress =>
    (done, total, label) =>
      events?.progress?.(task, done, total, label);
  const { sections, status, build } = sectionRunner(events);
  const name = basename(image);

  events?.step?.('top-3 predictions');
  const clean = (await topPredictions(model, photo, 3))[0];
  const label = clean[0].index;
  const command = (id: ChapterSectionId) => provenance.sectionCommand(id, label);
  await build('clean', command('clean'), async () => cleanPredictionsBlocks(name, model, clean));

  events?.step?.('minimal-epsilon FGSM');
  const criterion = await input.criterion(label);
  let fgsm: MinimalFgsm | undefined;
  try {
    await build('fgsm', command('fgsm'), async () => {
      fgsm = await minimalFgsm(
        model,
        image,
        photo,
        label,
        criterion,
        input.fgsm,
        progress('fgsm eps search'),
      );
      return minimalFgsmBlocks(fgsm.run, criterion, input.fgsm, model);
    });
    await build('panel', command('panel'), async () =>
      fgsm === undefined
        ? [{ kind: 'note', text: 'No adversarial: the FGSM section failed.' }]
        : perturbationPanelBlocks(model, photo, clean, fgsm),
    );
  } finally {
    fgsm?.adversarial.dispose();
  }

  events?.step?.('noise sweep');
  await build('noise-sweep', command('noise-sweep'), () =>
    noiseSweepBlocks(models, input.noiseSweep, progress('noise sweep')),
  );
  events?.step?.('PGD on noise');
  await build('noise-pgd', command('noise-pgd'), () =>
    noisePgdBlocks(model, label, input.noisePgd, progress(`PGD on noise (${model.name})`)),
  );
  events?.step?.('transfer across the zoo');
  await build('transfer', command('transfer'), () =>
    transferZooBlocks(models, input.transfer, progress('transfer')),
  );

  const seconds = (Date.now() - provenance.startedAt) / 1000;
  const html = renderHtmlReport({
    title: `Adversarial examples on ${name}`,
    intro: [
      `Chapter 10 of GANs in Action, replayed by advx on ${name} with ${model.name} (FGSM and PGD sections) and ${provenance.modelSpecs.join(', ')} (noise and transfer sections). Every section shows the command that reproduces it.`,
    ],
    sections,
    footer: `advx report, ${new Date().toISOString()}, ${tf.getBackend()} backend, ${seconds.toFixed(0)} s. Command: ${provenance.command}`,
  });
  return { html, sections: status, seconds };
}
