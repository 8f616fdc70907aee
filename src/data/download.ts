/**
 * @file Fetches a dataset's files over HTTP(S) with node's http/https:
 *  - a partial download lives in `<file>.part` and is resumed with a Range request;
 *  - transient failures (network errors, cut connections, 5xx, 429) are retried with exponential backoff;
 *  - the sha256 (and size) is checked before an atomic rename into place, so a file under its real name
 *    is always complete; a verified file is never deleted or rewritten;
 *  - a 404/410 marks the file missing and the others carry on.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat, truncate } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { SslBenchError } from '../errors.js';
import type { DatasetEntry, FileSpec } from './catalog.js';
import { checkFile, datasetDir, selectFiles } from './files.js';

export type DownloadState = 'present' | 'downloaded' | 'missing' | 'corrupt' | 'failed';

export interface DownloadOutcome {
  path: string;
  url: string;
  /**
   * present: already there and verified; downloaded: fetched and verified; missing: the server has no
   * such file (404/410); corrupt: fetched but the checksum does not match; failed: gave up after retries.
   */
  state: DownloadState;
  bytes: number;
  message?: string;
  /** The host could not be reached at all (DNS, refused, TLS): the remaining files were not tried. */
  unreachable?: boolean;
}

export interface DownloadProgress {
  filesDone: number;
  filesTotal: number;
  /** Bytes received in this run plus bytes of files already present. */
  bytesDone: number;
  /** Sum of the known sizes (0 when none is known). */
  bytesTotal: number;
  /** Bytes received over the network in this run (for the rate). */
  bytesReceived: number;
  current?: string;
}

export interface DownloadOptions {
  /** Replaces `source.baseUrl`: a file with catalog path `a/b.h5` is fetched from `<mirror>/a/b.h5`. */
  mirror?: string;
  /** Only the files of these case ids. */
  cases?: readonly string[];
  /** Attempts after the first one, per file (default 4). */
  retries?: number;
  /** First backoff delay; doubles per attempt (default 1000 ms). */
  backoffMs?: number;
  /** Parallel transfers (default 3). */
  jobs?: number;
  /** Idle socket timeout (default 30 s). */
  timeoutMs?: number;
  onProgress?: (p: DownloadProgress) => void;
  onFile?: (outcome: DownloadOutcome) => void;
}

/** URL of one catalog file under a base URL; each path segment is percent-encoded. */
export function fileUrl(base: string, filePath: string): string {
  const trimmed = base.replace(/\/+$/, '');
  return `${trimmed}/${filePath.split('/').map(encodeURIComponent).join('/')}`;
}

/** Downloads the dataset's catalog files (or those of `options.cases`) into its folder under `dataDir`. */
export async function downloadDataset(entry: DatasetEntry, dataDir: string, options: DownloadOptions = {}): Promise<DownloadOutcome[]> {
  const src = entry.source;
  if (!src) throw new SslBenchError('SSLB_NO_FILES', `dataset ${entry.id} has no files to download (it is generated on the fly)`);
  const base = options.mirror ?? src.baseUrl;
  if (!base) {
    const steps = (src.steps ?? []).map((s, i) => `  ${i + 1}. ${s}`).join('\n');
    throw new SslBenchError('SSLB_MANUAL_DOWNLOAD', `dataset ${entry.id} cannot be downloaded by this tool (manual download):\n${steps}`);
  }
  if (!/^https?:\/\//.test(base)) throw new SslBenchError('SSLB_USAGE', `--mirror ${base}: expected an http:// or https:// URL`);
  const root = datasetDir(entry, dataDir);
  const files = selectFiles(entry, options.cases);
  return downloadFiles(
    files.map((f) => ({ spec: f, url: fileUrl(base, f.path), dest: path.join(root, f.path) })),
    options,
  );
}

export interface DownloadItem {
  spec: FileSpec;
  url: string;
  dest: string;
}

export async function downloadFiles(items: DownloadItem[], options: DownloadOptions = {}): Promise<DownloadOutcome[]> {
  const progress: DownloadProgress = {
    filesDone: 0,
    filesTotal: items.length,
    bytesDone: 0,
    bytesTotal: items.reduce((s, it) => s + (it.spec.size ?? 0), 0),
    bytesReceived: 0,
  };
  const report = () => options.onProgress?.({ ...progress });
  const out: DownloadOutcome[] = new Array(items.length);
  let next = 0;
  // Once a host is known to be unreachable, trying each remaining file with backoff would only take minutes
  // to print the same error.
  let unreachable: string | undefined;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      progress.current = items[i].spec.path;
      if (unreachable) {
        out[i] = { path: items[i].spec.path, url: items[i].url, state: 'failed', bytes: 0, unreachable: true, message: `not tried: ${unreachable}` };
        progress.filesDone++;
        options.onFile?.(out[i]);
        continue;
      }
      out[i] = await downloadOne(items[i], options, (n) => {
        progress.bytesDone += n;
        progress.bytesReceived += n;
        report();
      }, (n) => {
        progress.bytesDone += n;
      });
      if (out[i].unreachable && !unreachable) unreachable = out[i].message;
      progress.filesDone++;
      options.onFile?.(out[i]);
      report();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.jobs ?? 3, items.length)) }, worker));
  return out;
}

/** Connection-level failures that say the host as a whole cannot be reached, not this one file. */
const HOST_ERRORS = new Set(['ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'CERT_HAS_EXPIRED', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'ERR_TLS_CERT_ALTNAME_INVALID']);

class HttpStatusError extends Error {
  constructor(readonly status: number, url: string) {
    super(`HTTP ${status} for ${url}`);
  }
}

/** Errors worth another attempt: the network, a cut connection, a busy or failing server. */
function retryable(err: unknown): boolean {
  if (err instanceof HttpStatusError) return err.status >= 500 || err.status === 429 || err.status === 408;
  return !(err instanceof SslBenchError);
}

async function downloadOne(
  item: DownloadItem,
  options: DownloadOptions,
  onBytes: (n: number) => void,
  onSkipped: (n: number) => void,
): Promise<DownloadOutcome> {
  const { spec, url, dest } = item;
  const part = `${dest}.part`;
  const existing = await checkFile(spec, dest);
  if (existing.state === 'verified' || existing.state === 'present') {
    onSkipped(existing.size ?? 0);
    return { path: spec.path, url, state: 'present', bytes: 0 };
  }
  // A file under its real name that fails its checksum is not verified: it is replaced only once a good
  // copy has been fetched and checked.
  const replacing = existing.state === 'corrupt' ? existing.message : undefined;
  const retries = options.retries ?? 4;
  const backoff = options.backoffMs ?? 1000;
  let received = 0;
  const counted = (n: number) => {
    received += n;
    onBytes(n);
  };
  let checksumFailures = 0;
  let lastError: unknown;
  for (let attempt = 0; attempt <= retries; attempt++) {
    if (attempt > 0) await sleep(backoff * 2 ** (attempt - 1));
    try {
      await fetchToPart(url, part, spec.size, options.timeoutMs ?? 30_000, counted);
      const check = await checkFile(spec, part);
      if (check.state === 'corrupt') {
        // The bytes on disk are wrong; resuming would only extend them, so start over once.
        await rm(part, { force: true });
        checksumFailures++;
        if (checksumFailures >= 2 || attempt === retries) {
          return { path: spec.path, url, state: 'corrupt', bytes: received, message: `checksum mismatch for ${dest}: ${check.message?.replace(`${part}: `, '')}` };
        }
        lastError = new Error(check.message);
        continue;
      }
      await rename(part, dest);
      return { path: spec.path, url, state: 'downloaded', bytes: received, ...(replacing ? { message: `replaced a corrupt copy (${replacing})` } : {}) };
    } catch (err) {
      lastError = err;
      if (err instanceof HttpStatusError && (err.status === 404 || err.status === 410)) {
        return { path: spec.path, url, state: 'missing', bytes: received, message: `not on the server (HTTP ${err.status}): ${url}` };
      }
      if (!retryable(err)) break;
    }
  }
  const reason = lastError instanceof Error ? lastError.message : String(lastError);
  const code = (lastError as NodeJS.ErrnoException | undefined)?.code;
  if (code && HOST_ERRORS.has(code) && received === 0) {
    return { path: spec.path, url, state: 'failed', bytes: 0, unreachable: true, message: `cannot reach ${new URL(url).host}: ${code}${reason.includes(code) ? '' : ` (${reason})`} (after ${retries + 1} attempts)` };
  }
  return { path: spec.path, url, state: 'failed', bytes: received, message: `${dest}: ${reason} (after ${retries + 1} attempts; the partial file is kept and resumed next time)` };
}

/**
 * Appends the rest of `url` to `part` (Range from its current size) and resolves with the number of
 * bytes received. Rejects on HTTP errors and on a body shorter than announced.
 */
async function fetchToPart(url: string, part: string, expectedSize: number | undefined, timeoutMs: number, onBytes: (n: number) => void): Promise<number> {
  let have = (await stat(part).catch(() => null))?.size ?? 0;
  if (expectedSize !== undefined && have > expectedSize) {
    await truncate(part, 0);
    have = 0;
  }
  if (expectedSize !== undefined && have === expectedSize) return 0; // complete: only the checksum is left
  const res = await request(url, have > 0 ? { Range: `bytes=${have}-` } : {}, timeoutMs);
  let appendFrom = have;
  if (res.statusCode === 206) {
    const m = /^bytes (\d+)-/.exec(String(res.headers['content-range'] ?? ''));
    if (!m || Number(m[1]) !== have) {
      res.resume();
      await truncate(part, 0);
      throw new Error(`server answered a Range request for byte ${have} with Content-Range ${res.headers['content-range'] ?? '(none)'}`);
    }
  } else if (res.statusCode === 200) {
    appendFrom = 0; // the server ignored Range: start over
  } else if (res.statusCode === 416 && have > 0) {
    res.resume();
    // The part is at least as long as the file; let the checksum decide, or start over next attempt.
    if (expectedSize === undefined) return 0;
    await truncate(part, 0);
    throw new Error(`server rejected the resume range (HTTP 416) for ${url}`);
  } else {
    res.resume();
    throw new HttpStatusError(res.statusCode ?? 0, url);
  }
  const announced = res.headers['content-length'] !== undefined ? Number(res.headers['content-length']) : undefined;
  // Folders appear only once there is something to put in them (a 404 leaves no trace).
  await mkdir(path.dirname(part), { recursive: true });
  const out = createWriteStream(part, appendFrom > 0 ? { flags: 'a' } : { flags: 'w' });
  let got = 0;
  await new Promise<void>((resolve, reject) => {
    let settled = false;
    const finish = (err?: Error) => {
      if (settled) return;
      settled = true;
      if (err) {
        res.destroy();
        out.end(() => reject(err));
      } else {
        out.end((e?: Error | null) => (e ? reject(e) : resolve()));
      }
    };
    res.on('data', (chunk: Buffer) => {
      got += chunk.length;
      onBytes(chunk.length);
      if (!out.write(chunk)) {
        res.pause();
        out.once('drain', () => res.resume());
      }
    });
    res.on('end', () => {
      if (announced !== undefined && got < announced) finish(new Error(`connection closed after ${got} of ${announced} bytes`));
      else finish();
    });
    res.on('aborted', () => finish(new Error(`connection closed after ${got}${announced !== undefined ? ` of ${announced}` : ''} bytes`)));
    res.on('error', (err) => finish(new Error(`connection error after ${got} bytes: ${err.message}`)));
    res.on('close', () => {
      if (!res.complete) finish(new Error(`connection closed after ${got}${announced !== undefined ? ` of ${announced}` : ''} bytes`));
    });
    out.on('error', (err) => finish(new SslBenchError('SSLB_IO', `cannot write ${part}: ${err.message}`)));
  });
  return got;
}

/** GET with redirects (GitHub raw URLs redirect to raw.githubusercontent.com); resolves on the final response. */
function request(url: string, headers: Record<string, string>, timeoutMs: number, redirects = 5): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      reject(new SslBenchError('SSLB_USAGE', `not a URL: ${url}`));
      return;
    }
    const lib = parsed.protocol === 'https:' ? https : http;
    const req = lib.get(parsed, { headers: { 'User-Agent': 'ssl-bench', ...headers } }, (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && res.headers.location) {
        res.resume();
        if (redirects <= 0) {
          reject(new Error(`too many redirects from ${url}`));
          return;
        }
        request(new URL(res.headers.location, parsed).toString(), headers, timeoutMs, redirects - 1).then(resolve, reject);
        return;
      }
      resolve(res);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no data for ${Math.round(timeoutMs / 1000)} s from ${parsed.host}`)));
    req.on('error', reject);
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
