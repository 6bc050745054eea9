/** Shows a result in the page: the three-image panel, the top-3 tables and the download link. */
import { images } from '../src/browser.js';
import type { Bounds, Prediction } from '../src/browser.js';
import type { PhotoAttackResult } from './attack-photo.js';

const PANEL_SIDE = 224;

function element<T extends Element>(selector: string): T {
  const found = document.querySelector<T>(selector);
  if (found === null) throw new Error(`page: ${selector} is missing`);
  return found;
}

/** `name p` with p to four decimals: what clean-top1 and adv-top1 show. */
export function formatPrediction(p: Prediction): string {
  return `${p.name} ${p.p.toFixed(4)}`;
}

function fillTop(body: HTMLElement, top: Prediction[]): void {
  body.replaceChildren(
    ...top.map((p) => {
      const row = document.createElement('tr');
      const name = Object.assign(document.createElement('td'), { textContent: p.name });
      const prob = Object.assign(document.createElement('td'), {
        textContent: p.p.toFixed(4),
        className: 'p',
      });
      row.append(name, prob);
      return row;
    }),
  );
}

export function renderResult(result: PhotoAttackResult, bounds: Bounds): void {
  const [, height, width] = result.original.shape;
  const scale = Math.max(1, Math.floor(PANEL_SIDE / Math.max(height, width)));
  const show = (role: string, image: PhotoAttackResult['original']) =>
    element(`[data-role="${role}"]`).replaceChildren(images.toCanvas(image, bounds, scale));
  show('original', result.original);
  show('perturbation', result.perturbation);
  show('adversarial', result.adversarialImage);
  element('[data-role="magnification"]').textContent =
    `perturbation (x${result.magnification.toPrecision(3)})`;
  element('[data-testid="clean-top1"]').textContent = formatPrediction(result.clean[0]);
  element('[data-testid="adv-top1"]').textContent = formatPrediction(result.adversarial[0]);
  fillTop(element('[data-role="clean-top"]'), result.clean);
  fillTop(element('[data-role="adv-top"]'), result.adversarial);
  element<HTMLAnchorElement>('[data-testid="download-link"]').href = images.toPngDataUrl(
    result.adversarialImage,
    bounds,
  );
  element<HTMLElement>('#results').hidden = false;
}
