/** The defaults of the experiment commands, which `advx report` takes over for its sections. */

export const NOISE_SWEEP_DEFAULTS = {
  mu: '50:200:10',
  sigma: '10:100:2',
  pairs: 'zip',
  top: '20',
  samples: '4',
  seed: '0',
  gridImages: '16',
};

export const NOISE_PGD_DEFAULTS = {
  mu: '50:200:50',
  sigma: '10:100:30',
  pairs: 'zip',
  samples: '1',
  seed: '0',
  eps: '4/255',
  steps: '10',
  panelRows: '8',
};

export const NOISE_PGD_DEFAULT_MODEL = 'mobilenet-v1-0.75';

export const TRANSFER_ZOO_DEFAULTS = { images: '16', seed: '0', attack: 'fgsm', eps: '4/255' };
