/**
 * Progress of long work on stderr, so stdout stays clean: a bar where stderr is a terminal, and where it
 * is not (a log file, CI, a pipe) a plain line every ADVX_PROGRESS_SECONDS seconds (default 10) with the
 * percentage, the count, the time spent and the time left. ADVX_PROGRESS=0 turns both off.
 */
import cliProgress from 'cli-progress';

export interface Progress {
  update(done: number, total: number, label?: string): void;
  stop(): void;
}

export interface ProgressOptions {
  /** Where to write (default process.stderr); a bar when it is a terminal, plain lines otherwise. */
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Seconds between two plain lines (default ADVX_PROGRESS_SECONDS, else 10). */
  intervalSeconds?: number;
  /** Clock in milliseconds (default Date.now). */
  now?: () => number;
}

const SILENT: Progress = { update: () => undefined, stop: () => undefined };
const DEFAULT_INTERVAL_SECONDS = 10;

/** "2h 05m", "3m 07s", "12s". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s >= 3600) return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

function intervalFromEnv(): number {
  const value = Number(process.env.ADVX_PROGRESS_SECONDS);
  return Number.isFinite(value) && value > 0 ? value : DEFAULT_INTERVAL_SECONDS;
}

/** One line of plain progress: "advx: TITLE 37% (370/1000), LABEL, 1m 02s elapsed, about 1m 45s left". */
export function progressLine(
  title: string,
  done: number,
  total: number,
  label: string,
  elapsedSeconds: number,
): string {
  const fraction = total > 0 ? Math.min(1, done / total) : 0;
  const parts = [`advx: ${title} ${(100 * fraction).toFixed(0)}% (${done}/${total})`];
  if (label !== '') parts.push(label);
  parts.push(`${formatDuration(elapsedSeconds)} elapsed`);
  if (done > 0 && done < total)
    parts.push(`about ${formatDuration((elapsedSeconds * (total - done)) / done)} left`);
  return `${parts.join(', ')}\n`;
}

function plainLines(
  title: string,
  stream: NodeJS.WritableStream,
  intervalMs: number,
  now: () => number,
): Progress {
  const started = now();
  let lastLine = started;
  return {
    update(done, total, label = '') {
      const t = now();
      if (t - lastLine < intervalMs) return;
      lastLine = t;
      stream.write(progressLine(title, done, total, label, (t - started) / 1000));
    },
    stop: () => undefined,
  };
}

function terminalBar(title: string, stream: NodeJS.WritableStream): Progress {
  const bar = new cliProgress.SingleBar(
    {
      format: `${title} [{bar}] {percentage}% | {value}/{total} | {label} | ETA {eta_formatted}`,
      stream,
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(done, total, label = '') {
      if (!started) {
        bar.start(total, done, { label });
        started = true;
      } else {
        bar.setTotal(total);
        bar.update(done, { label });
      }
    },
    stop() {
      if (started) bar.stop();
      started = false;
    },
  };
}

export function progressBar(title: string, options: ProgressOptions = {}): Progress {
  if (process.env.ADVX_PROGRESS === '0') return SILENT;
  const stream = options.stream ?? process.stderr;
  if (stream.isTTY === true) return terminalBar(title, stream);
  const seconds = options.intervalSeconds ?? intervalFromEnv();
  return plainLines(title, stream, seconds * 1000, options.now ?? Date.now);
}
