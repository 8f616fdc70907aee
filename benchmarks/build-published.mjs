#!/usr/bin/env node
/**
 * Builds results/published.json from the shared reference table of published numbers
 * (reference/published.json, DATASETS.md Appendix B): every row mapped to the harness's method ids,
 * catalog dataset ids and protocol keys, its verification status kept, and one row per cell marked
 * primary (the strongest status) for the tables to print.
 *
 *   npm run build && node benchmarks/build-published.mjs [--from ../shared/reference/published.json] [--out results/published.json] [--check]
 *
 * --check writes nothing and exits 1 when the committed file is not what the reference gives (for CI,
 * where ../shared exists). The output depends only on the reference and datasets.json: no dates.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : def;
};
const from = path.resolve(opt('--from', path.join(root, '..', 'shared', 'reference', 'published.json')));
const out = path.resolve(opt('--out', path.join(root, 'results', 'published.json')));
const check = args.includes('--check');

const compiled = path.join(root, 'dist', 'src', 'results', 'published.js');
if (!existsSync(compiled)) {
  console.error('build-published: the TypeScript sources are not compiled yet; run `npm run build` first.');
  process.exit(1);
}
if (!existsSync(from)) {
  console.error(`build-published: no reference file at ${from} (pass --from FILE)`);
  process.exit(1);
}
const { buildPublished } = await import(pathToFileURL(compiled).href);
const { writeFileAtomic } = await import(pathToFileURL(path.join(root, 'dist', 'src', 'util', 'fs-atomic.js')).href);

const bytes = readFileSync(from);
const sha256 = createHash('sha256').update(bytes).digest('hex');
let built;
try {
  // The file is named by its place in the shared folder, so the output does not depend on where it was read.
  built = buildPublished(JSON.parse(bytes.toString('utf8')), { file: 'reference/published.json', sha256 });
} catch (err) {
  console.error(`build-published: ${from}: ${err.message}`);
  process.exit(1);
}
const text = JSON.stringify(built, null, 2) + '\n';
const rel = path.relative(process.cwd(), out) || out;

if (check) {
  const current = existsSync(out) ? readFileSync(out, 'utf8') : '';
  if (current !== text) {
    console.error(`build-published: ${rel} is not up to date with ${from}; run node benchmarks/build-published.mjs`);
    process.exit(1);
  }
  console.log(`${rel} is up to date (${built.rows.length} rows)`);
} else {
  await writeFileAtomic(out, text);
  const byStatus = {};
  for (const r of built.rows) byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
  console.log(`wrote ${rel}: ${built.rows.length} rows, ${built.rows.filter((r) => r.primary).length} cells; ${Object.entries(byStatus).map(([s, n]) => `${s} ${n}`).join(', ')}`);
}
