import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { formatDuration, progressBar, progressLine } from './progress.js';

/** A stream that collects what is written, a terminal or not. */
function sink(isTTY: boolean): Writable & { isTTY: boolean; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  }) as Writable & { isTTY: boolean; text: () => string };
  stream.isTTY = isTTY;
  stream.text = () => chunks.join('');
  return stream;
}

test('off a terminal, long work prints a plain line every interval with percent, count, time spent and left', () => {
  const stream = sink(false);
  let now = 0;
  const bar = progressBar('linf-pgd', { stream, intervalSeconds: 10, now: () => now });
  for (let done = 1; done <= 100; done++) {
    now = done * 1000; // one step a second
    bar.update(done, 100, 'eps 1/1');
  }
  bar.stop();
  const lines = stream.text().trimEnd().split('\n');
  assert.equal(lines.length, 10, 'one line per 10 s, not one per step');
  assert.equal(lines[0], 'advx: linf-pgd 10% (10/100), eps 1/1, 10s elapsed, about 1m 30s left');
  assert.equal(lines[9], 'advx: linf-pgd 100% (100/100), eps 1/1, 1m 40s elapsed');
});

test('short work prints nothing off a terminal; on a terminal it draws a bar; ADVX_PROGRESS=0 silences both', () => {
  const quiet = sink(false);
  const short = progressBar('fgsm', { stream: quiet, intervalSeconds: 10 });
  short.update(1, 2);
  short.update(2, 2);
  short.stop();
  assert.equal(quiet.text(), '');

  const terminal = sink(true);
  const bar = progressBar('fgsm', { stream: terminal });
  bar.update(1, 4, 'eps 1/1');
  bar.stop();
  assert.match(terminal.text(), /fgsm \[.*\] 25% \| 1\/4 \| eps 1\/1/);

  const saved = process.env.ADVX_PROGRESS;
  process.env.ADVX_PROGRESS = '0';
  try {
    const off = sink(false);
    const silent = progressBar('x', { stream: off, intervalSeconds: 0.001, now: () => 1e9 });
    silent.update(1, 2);
    assert.equal(off.text(), '');
  } finally {
    if (saved === undefined) delete process.env.ADVX_PROGRESS;
    else process.env.ADVX_PROGRESS = saved;
  }
});

test('durations and lines read well', () => {
  assert.equal(formatDuration(12.4), '12s');
  assert.equal(formatDuration(187), '3m 07s');
  assert.equal(formatDuration(7500), '2h 05m');
  assert.equal(progressLine('gan', 0, 8, '', 3), 'advx: gan 0% (0/8), 3s elapsed\n');
});
