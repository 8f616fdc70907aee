/**
 * @file Shared by the dataset tests: where the real reference data is, a throw-away data directory,
 * an HTTP mirror of `shared/data/LA` that can misbehave on purpose, and running the CLI.
 */
import { execFile } from 'node:child_process';
import { createReadStream, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root: dist/test/data/helpers.js is three levels below it. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** `shared/` sits beside the checkout in CI; developers have it at /work/shared. */
export const SHARED = [path.resolve(REPO_ROOT, '..', 'shared'), '/work/shared'].find((p) => existsSync(path.join(p, 'data', 'LA', 'SHA256SUMS'))) ?? '';
export const SHARED_DATA = path.join(SHARED, 'data');
export const LA_DIR = path.join(SHARED_DATA, 'LA');

export function readList(file: string): string[] {
  return readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .map((s) => s.trim())
    .filter(Boolean);
}

export function tempDir(prefix = 'ssl-bench-data-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** LA cases present in shared/ (first 32 of train.list + the 20 of test.list). */
export function presentLaCases(): string[] {
  return [...readList(path.join(LA_DIR, 'train.list')), ...readList(path.join(LA_DIR, 'test.list'))].filter((id) => existsSync(path.join(LA_DIR, id, 'mri_norm2.h5')));
}

export interface MirrorOptions {
  /** First GET of this path (relative, e.g. `<case>/mri_norm2.h5`) sends this many bytes, then drops the connection. */
  cutOnce?: Map<string, number>;
  /** Paths served with one byte flipped (same size). */
  corrupt?: Set<string>;
  /** Paths answered 503 the first time. */
  failOnce?: Set<string>;
  /** Ignore Range headers (answer 200 with the whole file). */
  ignoreRange?: boolean;
}

export interface Mirror {
  url: string;
  requests: Array<{ path: string; range?: string; status: number }>;
  close: () => Promise<void>;
}

/** A static server for a folder on 127.0.0.1 (random port) with Range support and fault injection. */
export async function startMirror(root: string, options: MirrorOptions = {}): Promise<Mirror> {
  const requests: Mirror['requests'] = [];
  const cut = new Map(options.cutOnce ?? []);
  const failOnce = new Set(options.failOnce ?? []);
  const server = http.createServer((req, res) => {
    const rel = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname).replace(/^\/+/, '');
    const file = path.join(root, rel);
    const log = (status: number) => requests.push({ path: rel, ...(req.headers.range ? { range: req.headers.range } : {}), status });
    if (rel.includes('..') || !existsSync(file) || !statSync(file).isFile()) {
      log(404);
      res.writeHead(404).end('not found');
      return;
    }
    if (failOnce.delete(rel)) {
      log(503);
      res.writeHead(503).end('busy');
      return;
    }
    const size = statSync(file).size;
    let start = 0;
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (m && !options.ignoreRange) {
      start = Number(m[1]);
      if (start >= size) {
        log(416);
        res.writeHead(416, { 'Content-Range': `bytes */${size}` }).end();
        return;
      }
      log(206);
      res.writeHead(206, { 'Content-Length': size - start, 'Content-Range': `bytes ${start}-${size - 1}/${size}`, 'Accept-Ranges': 'bytes' });
    } else {
      log(200);
      res.writeHead(200, { 'Content-Length': size, 'Accept-Ranges': 'bytes' });
    }
    if (options.corrupt?.has(rel)) {
      const body = readFileSync(file);
      body[Math.floor(size / 2)] ^= 0x01;
      res.end(body.subarray(start));
      return;
    }
    const limit = cut.get(rel);
    if (limit !== undefined && start === 0) {
      cut.delete(rel);
      const body = readFileSync(file).subarray(0, limit);
      // end() rather than destroy(): the client gets every byte written, then an early EOF.
      res.write(body, () => res.socket?.end());
      return;
    }
    createReadStream(file, { start }).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs bin/ssl-bench.js asynchronously (a server in this process must keep answering meanwhile). */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(REPO_ROOT, 'bin', 'ssl-bench.js'), ...args],
      { cwd: REPO_ROOT, env: { ...process.env, CI: 'true', ...env }, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
