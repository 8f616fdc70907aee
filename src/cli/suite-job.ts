/**
 * @file `run --suite`: every method × seed cell of a paper table, each through the ordinary run
 * pipeline (`runCommand`), skipping cells that already have a matching record so that an interrupted
 * suite resumes where it stopped. Cells whose method is not registered, or has no recipe for the
 * dataset yet, are reported as skipped; a failing cell is reported and the others still run.
 */
import Table from 'cli-table3';
import { SslBenchError, UsageError } from '../errors.js';
import { tableOptions } from '../results/render.js';
import type { RunCliFlags } from './run.js';
import type { CellWant, Suite } from '../results/suites.js';
import type { Method } from '../methods/method.js';

export type CellStatus = 'done' | 'pending' | 'skipped' | 'ran' | 'failed' | 'busy';

export interface SuiteCell {
  method: string;
  seed: number;
  status: CellStatus;
  /** Record path (relative to the results dir) for done/ran cells, the reason for the others. */
  detail: string;
  selectBestOn?: 'test' | 'val';
  fingerprint?: string;
  checkpoint?: string;
}

/** Options a suite decides for itself; giving them too is a usage error rather than silently ignored. */
const SUITE_DECIDES: Array<[keyof RunCliFlags, string]> = [
  ['dataset', '--dataset'],
  ['protocol', '--protocol'],
  ['profile', '--profile'],
  ['seed', '--seed (use --seeds N)'],
  ['selectBestOn', "--select-best-on (the suite's evaluation.checkpoint decides)"],
];

export async function runSuite(flags: RunCliFlags & { suite: string }, givenOnCommandLine: (option: keyof RunCliFlags) => boolean): Promise<void> {
  const clashes = SUITE_DECIDES.filter(([key]) => givenOnCommandLine(key)).map(([, name]) => name);
  if (clashes.length) throw new UsageError(`--suite sets the dataset, protocol, profile, seeds and checkpoint policy; drop ${clashes.join(', ')}`);
  if (flags.json && !flags.dryRun) throw new UsageError('--json with --suite only goes with --dry-run (the plan); for the results use `ssl-bench table --suite NAME --format json`');

  const { loadSuite, suiteSeeds } = await import('../results/suites.js');
  const suite = loadSuite(flags.suite);
  const seeds = suiteSeeds(suite, flags.seeds);
  let methods = suite.methods;
  if (flags.method) {
    methods = flags.method.split(',').map((m) => m.trim());
    const outside = methods.filter((m) => !suite.methods.includes(m));
    if (outside.length) throw new UsageError(`--method with --suite picks methods of the suite; ${outside.join(', ')} not in suite ${suite.name} (${suite.methods.join(', ')})`);
  }
  const { resolveResultsDir } = await import('../env.js');
  const resultsDir = resolveResultsDir(flags.resultsDir);
  const cells = await planCells(suite, methods, seeds, flags, resultsDir);

  if (flags.dryRun) {
    if (flags.json) process.stdout.write(JSON.stringify({ suite: suite.name, dataset: suite.dataset, protocol: suite.protocol, profile: suite.profile, seeds, cells }, null, 2) + '\n');
    else process.stdout.write(renderCells(suite, cells, seeds, 'plan'));
    return;
  }

  const { runCommand } = await import('./run-job.js');
  const pending = cells.filter((c) => c.status === 'pending');
  const alreadyDone = cells.filter((c) => c.status === 'done').length;
  process.stdout.write(`suite ${suite.name}: ${cells.length} cell(s), ${alreadyDone} done, ${cells.filter((c) => c.status === 'skipped').length} skipped, ${pending.length} to run\n`);
  for (const [i, cell] of pending.entries()) {
    // Another process may have finished this cell since the plan was made.
    const again = await matchingRecord(suite, cell, flags, resultsDir);
    if (again) {
      Object.assign(cell, { status: 'done', detail: again });
      continue;
    }
    process.stdout.write(`\n[${i + 1}/${pending.length}] ${cell.method} seed ${cell.seed}${cell.selectBestOn ? ` (checkpoint: best on ${cell.selectBestOn})` : ''}\n`);
    const startedAt = new Date().toISOString();
    try {
      await runCommand({
        method: cell.method,
        dataset: suite.dataset,
        protocol: suite.protocol,
        profile: suite.profile,
        seed: cell.seed,
        backend: flags.backend,
        resultsDir: flags.resultsDir,
        dataDir: flags.dataDir,
        iterations: flags.iterations,
        allowPartial: flags.allowPartial,
        selectBestOn: cell.selectBestOn,
      });
      const made = await matchingRecord(suite, cell, flags, resultsDir);
      if (made) Object.assign(cell, { status: 'ran', detail: made });
      else {
        // The run wrote a record, but not with the config the plan fingerprinted: a later resume would run it again.
        const written = await newestRecordSince(suite, cell, resultsDir, startedAt);
        Object.assign(cell, { status: 'ran', detail: written ?? '(no record found)' });
        process.stderr.write(`ssl-bench: ${cell.method} seed ${cell.seed}: the record's config differs from the suite plan's, so resuming will not recognise this cell as done\n`);
      }
    } catch (err) {
      if (!(err instanceof SslBenchError)) {
        Object.assign(cell, { status: 'failed', detail: err instanceof Error ? err.message : String(err) });
        process.stderr.write(`ssl-bench: ${cell.method} seed ${cell.seed} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
        continue;
      }
      // Every other cell would stop on the same missing data, backend or bad flag.
      if (err instanceof UsageError || err.code === 'SSLB_DATASET_INCOMPLETE' || err.code === 'SSLB_BACKEND') throw err;
      if (err.code === 'SSLB_RUN_LOCKED') Object.assign(cell, { status: 'busy', detail: 'another ssl-bench process is running this cell' });
      else Object.assign(cell, { status: 'failed', detail: err.message });
      process.stderr.write(`ssl-bench: ${cell.method} seed ${cell.seed}: ${err.message}\n`);
    }
  }
  process.stdout.write('\n' + renderCells(suite, cells, seeds, 'result'));
  await printSuiteTable(suite, resultsDir);
  const failed = cells.filter((c) => c.status === 'failed');
  if (failed.length) throw new SslBenchError('SSLB_SUITE_FAILED', `suite ${suite.name}: ${failed.length} cell(s) failed: ${failed.map((c) => `${c.method} seed ${c.seed}`).join(', ')}`);
}

/** What the record of a cell must show (see findMatchingRecord). */
function wantFor(suite: Suite, cell: SuiteCell, flags: RunCliFlags, version: string): CellWant {
  return {
    dataset: suite.dataset,
    protocol: suite.protocol,
    method: cell.method,
    seed: cell.seed,
    profile: suite.profile,
    fingerprint: cell.fingerprint!,
    checkpoint: cell.checkpoint!,
    version,
    allowPartial: Boolean(flags.allowPartial),
  };
}

async function matchingRecord(suite: Suite, cell: SuiteCell, flags: RunCliFlags, resultsDir: string): Promise<string | undefined> {
  const { loadRecords } = await import('../results/store.js');
  const { findMatchingRecord } = await import('../results/suites.js');
  const { VERSION } = await import('../version.js');
  const { records } = await loadRecords(resultsDir, { dataset: suite.dataset, protocol: suite.protocol });
  return findMatchingRecord(records, wantFor(suite, cell, flags, VERSION))?.relPath;
}

async function newestRecordSince(suite: Suite, cell: SuiteCell, resultsDir: string, since: string): Promise<string | undefined> {
  const { loadRecords } = await import('../results/store.js');
  const { records } = await loadRecords(resultsDir, { dataset: suite.dataset, protocol: suite.protocol });
  return records
    .filter((r) => r.record.method.id === cell.method && r.record.seed === cell.seed && r.record.createdAt >= since)
    .sort((a, b) => (a.record.id < b.record.id ? 1 : -1))[0]?.relPath;
}

/** Every cell with what would happen to it: done (a matching record exists), skipped (why) or pending. */
export async function planCells(suite: Suite, methods: string[], seeds: number[], flags: RunCliFlags, resultsDir: string): Promise<SuiteCell[]> {
  const { METHODS } = await import('../methods/index.js');
  const { resolveConfig } = await import('../train/config.js');
  const { configFingerprint, loadRecords } = await import('../results/store.js');
  const { findMatchingRecord, selectBestOnFor } = await import('../results/suites.js');
  const { VERSION } = await import('../version.js');
  const loaded = await loadRecords(resultsDir, { dataset: suite.dataset, protocol: suite.protocol });
  for (const n of loaded.notices) process.stderr.write(`ssl-bench: ${n}\n`);
  const { evaluationPolicy } = await import('../methods/method.js');
  const registry = METHODS as Record<string, Method>;
  const cells: SuiteCell[] = [];
  for (const method of methods) {
    for (const seed of seeds) {
      const m = registry[method];
      if (!m) {
        cells.push({ method, seed, status: 'skipped', detail: `method ${method} is not registered yet` });
        continue;
      }
      let config: Record<string, unknown>;
      let paperCheckpoint: string;
      try {
        const resolved = resolveConfig({ method, dataset: suite.dataset, protocol: suite.protocol, profile: suite.profile, seed });
        // The same override runCommand applies, so the fingerprint is the one its record will carry.
        if (flags.iterations !== undefined) {
          resolved.iterations = flags.iterations;
          for (const stage of (resolved as { stages?: Array<{ iterations: number }> }).stages ?? []) stage.iterations = flags.iterations;
        }
        config = resolved as unknown as Record<string, unknown>;
        // The paper's checkpoint can depend on the dataset (BCP/CML: best on test for LA, on val for ACDC).
        paperCheckpoint = evaluationPolicy(m, resolved).checkpoint;
      } catch (err) {
        if (!(err instanceof UsageError)) throw err;
        cells.push({ method, seed, status: 'skipped', detail: err.message });
        continue;
      }
      const selectBestOn = selectBestOnFor(suite.evaluation.checkpoint, paperCheckpoint);
      const cell: SuiteCell = { method, seed, status: 'pending', detail: '', fingerprint: configFingerprint(config), checkpoint: selectBestOn ? `best-on-${selectBestOn}` : 'last' };
      if (selectBestOn) cell.selectBestOn = selectBestOn;
      const found = findMatchingRecord(loaded.records, wantFor(suite, cell, flags, VERSION));
      if (found) Object.assign(cell, { status: 'done', detail: found.relPath });
      cells.push(cell);
    }
  }
  return cells;
}

function renderCells(suite: Suite, cells: SuiteCell[], seeds: number[], what: 'plan' | 'result'): string {
  const table = new Table({ head: ['method', 'seed', 'status', 'record / reason'], ...tableOptions() });
  for (const c of cells) table.push([c.method, String(c.seed), what === 'plan' && c.status === 'pending' ? 'to run' : c.status, c.detail]);
  const header = `suite ${suite.name}: ${suite.title}\n${suite.dataset} ${suite.protocol}, profile ${suite.profile}, seeds ${seeds.join(', ')}, checkpoint policy ${suite.evaluation.checkpoint}`;
  return `${header}\n${table.toString()}\n`;
}

async function printSuiteTable(suite: Suite, resultsDir: string): Promise<void> {
  const { loadRecords } = await import('../results/store.js');
  const { buildSections } = await import('../results/aggregate.js');
  const { renderTerminal } = await import('../results/render.js');
  const { loadPublishedRows } = await import('../results/scope.js');
  const { VERSION } = await import('../version.js');
  const loaded = await loadRecords(resultsDir, { dataset: suite.dataset, protocol: suite.protocol });
  const notices: string[] = [];
  const published = loadPublishedRows(notices);
  for (const n of notices) process.stderr.write(`ssl-bench: ${n}\n`);
  const { sections } = buildSections(loaded.records, { suite, currentVersion: VERSION, published });
  process.stdout.write('\n' + renderTerminal(sections, { currentVersion: VERSION, allVersions: false }));
}
