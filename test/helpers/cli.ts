import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root (tests run from dist/test/..., two levels below it). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const BIN = path.join(REPO_ROOT, 'bin', 'ssl-bench.js');

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real CLI as a user would, piped (no TTY), with a clean environment for paths. */
export function runCli(args: string[], options: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {}): CliResult {
  const env = { ...process.env, ...options.env };
  delete env.SSL_BENCH_RESULTS;
  delete env.SSL_BENCH_DATA;
  Object.assign(env, options.env);
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: options.cwd ?? REPO_ROOT, env, encoding: 'utf8', timeout: options.timeoutMs ?? 600_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The backend tests train on: SSL_BENCH_TEST_BACKEND, else the harness's own pick. */
export const TEST_BACKEND = process.env.SSL_BENCH_TEST_BACKEND ?? 'auto';
