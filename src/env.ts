/**
 * @file Paths and environment knobs, resolved in one place. Flags win over environment variables,
 * which win over the defaults.
 */
import os from 'node:os';
import path from 'node:path';

/** Where datasets live: `--data-dir`, else `SSL_BENCH_DATA`, else `~/.cache/ssl-bench/data`. */
export function resolveDataDir(flag?: string): string {
  if (flag) return path.resolve(flag);
  if (process.env.SSL_BENCH_DATA) return path.resolve(process.env.SSL_BENCH_DATA);
  return path.join(os.homedir(), '.cache', 'ssl-bench', 'data');
}

/** Where result records live: `--results-dir`, else `SSL_BENCH_RESULTS`, else `./results`. */
export function resolveResultsDir(flag?: string): string {
  if (flag) return path.resolve(flag);
  if (process.env.SSL_BENCH_RESULTS) return path.resolve(process.env.SSL_BENCH_RESULTS);
  return path.resolve('results');
}

/** Progress lines only when a person is watching: stderr is a TTY and JSON output was not asked for. */
export function wantsProgress(json: boolean | undefined): boolean {
  return !json && Boolean(process.stderr.isTTY) && process.env.CI !== 'true';
}
