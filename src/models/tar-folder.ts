/**
 * Unpacks ONE folder of a gzip-compressed tar archive (an npm package tarball), streaming, without a
 * dependency. The archive is read in full and every entry is checked, also those outside the folder:
 * absolute paths, `..` segments, links and device files make the whole archive refused. Regular files and
 * folders are supported in the ustar, pax (`path`, `size` records) and GNU long-name forms npm and tar
 * write. Files are written with mode 0644 whatever the archive says.
 */
import { closeSync, createReadStream, existsSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { basename, dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { createGunzip } from 'node:zlib';

const BLOCK = 512;
/** Pax and GNU long-name records are small; a bigger one is a broken or hostile archive. */
const MAX_META_BYTES = 1 << 20;

/** The archive is not a tar.gz, is truncated, holds an unsafe entry, or lacks the folder asked for. */
export class BadArchiveError extends Error {}

interface Header {
  path: string;
  size: number;
  type: string;
}

/** What the bytes of the current entry are for. */
type Sink =
  | { kind: 'file'; fd: number }
  | { kind: 'meta'; type: 'pax' | 'longname'; parts: Buffer[] }
  | { kind: 'skip' };

/** Overrides of the next entry's header, from a pax record or a GNU long name. */
interface Pending {
  path?: string;
  size?: number;
}

/** A queue of incoming bytes that hands out exact-size pieces across chunk boundaries. */
class ByteQueue {
  private chunks: Buffer[] = [];
  length = 0;

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  /** Up to `n` bytes (at least 1 when the queue is not empty), without copying. */
  takeUpTo(n: number): Buffer {
    const first = this.chunks[0];
    const piece = first.subarray(0, Math.min(n, first.length));
    if (piece.length === first.length) this.chunks.shift();
    else this.chunks[0] = first.subarray(piece.length);
    this.length -= piece.length;
    return piece;
  }

  /** Exactly `n` bytes (the caller checks `length >= n`). */
  take(n: number): Buffer {
    const parts: Buffer[] = [];
    for (let left = n; left > 0;) {
      const piece = this.takeUpTo(left);
      parts.push(piece);
      left -= piece.length;
    }
    return parts.length === 1 ? parts[0] : Buffer.concat(parts);
  }
}

function readString(block: Buffer, offset: number, length: number): string {
  const field = block.subarray(offset, offset + length);
  const end = field.indexOf(0);
  return field.toString('utf8', 0, end === -1 ? length : end);
}

/** An octal number field, or a base-256 one (high bit set: GNU's form for sizes of 8 GiB and more). */
function readNumber(block: Buffer, offset: number, length: number, what: string): number {
  const field = block.subarray(offset, offset + length);
  if ((field[0] & 0x80) !== 0) {
    if ((field[0] & 0x40) !== 0) throw new Error(`negative ${what}`);
    let value = field[0] & 0x3f;
    for (let i = 1; i < field.length; i++) value = value * 256 + field[i];
    return value;
  }
  const text = readString(block, offset, length).trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new Error(`${what} '${text}' is not an octal number`);
  return parseInt(text, 8);
}

function isZeroBlock(block: Buffer): boolean {
  for (let i = 0; i < BLOCK; i++) if (block[i] !== 0) return false;
  return true;
}

function parseHeader(block: Buffer): Header {
  const stored = readString(block, 148, 8).trim();
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i];
  if (!/^[0-7]+$/.test(stored) || parseInt(stored, 8) !== sum) {
    throw new Error('not a tar archive (bad header checksum)');
  }
  const name = readString(block, 0, 100);
  const ustar = block.toString('latin1', 257, 262) === 'ustar';
  const prefix = ustar ? readString(block, 345, 155) : '';
  return {
    path: prefix === '' ? name : `${prefix}/${name}`,
    size: readNumber(block, 124, 12, 'size'),
    type: String.fromCharCode(block[156] === 0 ? 0x30 : block[156]),
  };
}

/** `path=` and `size=` of pax extended-header records (`LENGTH key=value\n`). */
function parsePax(bytes: Buffer): Pending {
  const out: Pending = {};
  let pos = 0;
  while (pos < bytes.length) {
    const space = bytes.indexOf(0x20, pos);
    const length = space === -1 ? NaN : Number(bytes.toString('latin1', pos, space));
    if (!(length > 0) || pos + length > bytes.length) throw new Error('malformed pax header');
    const record = bytes.toString('utf8', space + 1, pos + length).replace(/\n$/, '');
    const eq = record.indexOf('=');
    const key = record.slice(0, eq);
    const value = record.slice(eq + 1);
    if (key === 'path') out.path = value;
    else if (key === 'size') {
      if (!/^\d+$/.test(value)) throw new Error(`pax size '${value}' is not a number`);
      out.size = Number(value);
    }
    pos += length;
  }
  return out;
}

/** The entry's path as `a/b/c`, or an error when it is absolute or climbs out with `..`. */
function safePath(raw: string): string {
  if (raw.startsWith('/') || /^[A-Za-z]:/.test(raw) || raw.includes('\\')) {
    throw new Error(`entry '${raw}' has an absolute or non-portable path`);
  }
  const parts = raw.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new Error(`entry '${raw}' climbs out of the archive with '..'`);
  return parts.join('/');
}

function describeType(type: string): string {
  if (type === '1' || type === '2' || type === 'K') return 'a link';
  if (type === '3' || type === '4') return 'a device file';
  if (type === '6') return 'a FIFO';
  return `of unsupported type '${type}'`;
}

/**
 * Extracts the files under `folder` (e.g. `package/ResNet50`) of the tar.gz `archive` into `destination`
 * (created when missing), with `folder/` stripped from their paths. Returns the relative paths written.
 * Throws a BadArchiveError naming the archive and the problem.
 */
export async function extractTarFolder(
  archive: string,
  folder: string,
  destination: string,
): Promise<string[]> {
  if (!existsSync(archive)) throw new Error(`${archive}: no such file`);
  const name = basename(archive);
  const prefix = safePath(folder);
  const target = resolve(destination);
  mkdirSync(target, { recursive: true });
  const written: string[] = [];
  const queue = new ByteQueue();
  let header: Header | null = null;
  let sink: Sink = { kind: 'skip' };
  let remaining = 0;
  let padding = 0;
  let pending: Pending = {};
  let ended = false;
  let entries = 0;

  const closeOpenFile = () => {
    if (sink.kind === 'file') closeSync(sink.fd);
    sink = { kind: 'skip' };
  };
  const closeSink = () => {
    if (sink.kind === 'file') closeSync(sink.fd);
    else if (sink.kind === 'meta') {
      const bytes = Buffer.concat(sink.parts);
      pending =
        sink.type === 'pax' ? parsePax(bytes) : { ...pending, path: readString(bytes, 0, bytes.length) };
    }
    sink = { kind: 'skip' };
  };

  const openSink = (entry: Header): Sink => {
    if (entry.type === 'x' || entry.type === 'L') {
      if (entry.size > MAX_META_BYTES) throw new Error(`extended header of ${entry.size} bytes`);
      return { kind: 'meta', type: entry.type === 'x' ? 'pax' : 'longname', parts: [] };
    }
    if (entry.type === 'g') return { kind: 'skip' };
    const path = safePath(pending.path ?? entry.path);
    pending = {};
    const isFile = entry.type === '0' || entry.type === '7';
    if (!isFile && entry.type !== '5') throw new Error(`entry '${path}' is ${describeType(entry.type)}`);
    if (!isFile || !path.startsWith(`${prefix}/`)) return { kind: 'skip' };
    const rel = path.slice(prefix.length + 1);
    const file = resolve(target, rel);
    const inside = relative(target, file);
    if (inside === '' || inside.startsWith(`..${sep}`) || isAbsolute(inside)) {
      throw new Error(`entry '${path}' resolves outside the destination`);
    }
    mkdirSync(dirname(file), { recursive: true });
    written.push(rel);
    return { kind: 'file', fd: openSync(file, 'w', 0o644) };
  };

  /** Consumes what the queue holds; returns when it needs more bytes or the archive ended. */
  const drain = () => {
    for (;;) {
      if (header === null) {
        if (padding > 0) {
          if (queue.length === 0) return;
          padding -= queue.takeUpTo(padding).length;
          continue;
        }
        if (queue.length < BLOCK) return;
        const block = queue.take(BLOCK);
        if (isZeroBlock(block)) {
          ended = true;
          return;
        }
        entries++;
        const parsed = parseHeader(block);
        header = { ...parsed, size: pending.size ?? parsed.size };
        sink = openSink(header);
        remaining = header.size;
        padding = (BLOCK - (header.size % BLOCK)) % BLOCK;
      }
      while (remaining > 0 && queue.length > 0) {
        const piece = queue.takeUpTo(remaining);
        remaining -= piece.length;
        if (sink.kind === 'file') writeSync(sink.fd, piece);
        else if (sink.kind === 'meta') sink.parts.push(Buffer.from(piece));
      }
      if (remaining > 0) return;
      closeSink();
      header = null;
    }
  };

  const source = createReadStream(archive);
  const stream = createGunzip();
  source.on('error', (error) => stream.destroy(error)); // pipe() does not forward a read error
  source.pipe(stream);
  try {
    for await (const chunk of stream) {
      queue.push(chunk as Buffer);
      drain();
      if (ended) break;
    }
    if (!ended && (header !== null || queue.length > 0 || padding > 0))
      throw new Error('archive is truncated');
  } catch (error) {
    const message = (error as Error).message;
    const code = (error as { code?: string }).code;
    const where = entries > 0 ? ` (entry ${entries})` : '';
    if (code?.startsWith('Z_')) {
      const what = /unexpected end/.test(message)
        ? 'archive is truncated'
        : 'not a gzip-compressed tar archive';
      throw new BadArchiveError(`${name}: ${what} (${message})`, { cause: error });
    }
    if (code !== undefined) throw error; // a file-system error: not the archive's fault
    throw new BadArchiveError(`${name}: ${message}${where}`, { cause: error });
  } finally {
    closeOpenFile();
    stream.destroy();
    source.destroy();
  }
  if (written.length === 0) throw new BadArchiveError(`${name}: no files under '${prefix}/' in the archive`);
  return [...new Set(written)];
}

/** Where an npm package tarball keeps the package's subfolder `folder`: `package/<folder>`. */
export function packageFolder(folder: string): string {
  return `package/${safePath(folder)}`;
}
