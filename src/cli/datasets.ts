/**
 * @file `ssl-bench datasets list | info | download | verify | import | split`. Only commander is
 * imported at top level; the catalog, readers and network code load inside the actions.
 */
import type { Command } from 'commander';
import { InvalidArgumentError, Option } from 'commander';

const DATA_DIR_HELP = 'where datasets live (default: $SSL_BENCH_DATA, else ~/.cache/ssl-bench/data)';

interface DirOpts {
  dataDir?: string;
  json?: boolean;
  cases?: string;
}

function casesOption(): Option {
  return new Option('--cases <ids>', 'only these case ids (comma-separated), e.g. to fetch a few cases first');
}

function parseCases(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const ids = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return ids.length > 0 ? ids : undefined;
}

function positiveInt(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${flag} ${value}: expected a non-negative integer`);
    return n;
  };
}

export function register(program: Command): void {
  const datasets = program
    .command('datasets')
    .description('Known datasets: sources, files, splits and protocols')
    .addHelpText(
      'after',
      `
Data directory: --data-dir DIR, else $SSL_BENCH_DATA, else ~/.cache/ssl-bench/data.
Each dataset lives in its own folder there (e.g. <data-dir>/LA/<case>/mri_norm2.h5).

Examples:
  $ ssl-bench datasets list
  $ ssl-bench datasets info LA
  $ ssl-bench datasets download LA                     fetch, resume, verify sha256
  $ ssl-bench datasets download LA --mirror http://host/LA --cases 06SR5RBREL16DQ6M8LWS
  $ ssl-bench datasets verify LA --json
  $ ssl-bench datasets import BraTS2019 --from ~/Downloads/BraTS2019
  $ ssl-bench datasets split LA --protocol 16+64 --json`,
    );

  datasets
    .command('list')
    .description('List the datasets of the catalog (datasets.json)')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const { loadCatalog } = await import('../data/catalog.js');
      const catalog = loadCatalog();
      const rows = catalog.datasets.map((d) => ({
        id: d.id,
        kind: d.kind,
        dimensionality: d.dimensionality,
        title: d.title,
        access: d.kind === 'synthetic' ? 'embedded' : (d.source?.access ?? 'unknown'),
        files: d.source?.files.length ?? 0,
        protocols: Object.keys(d.protocols),
        defaultProtocol: d.defaultProtocol,
      }));
      if (opts.json) {
        process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
        return;
      }
      const { default: Table } = await import('cli-table3');
      // Plain text when piped: no ANSI colours in files or other programs' input.
      const plain = !process.stdout.isTTY;
      const table = new Table({ head: ['id', 'kind', 'dims', 'source', 'protocols', 'title'], ...(plain ? { style: { head: [], border: [] } } : {}) });
      for (const r of rows) table.push([r.id, r.kind, r.dimensionality, r.access, r.protocols.join(', '), r.title]);
      process.stdout.write(table.toString() + '\n');
    });

  datasets
    .command('info')
    .description('Source, layout, splits, protocols and preprocessing of a dataset; shapes and labels read from its files when present')
    .argument('<id>', 'dataset id (see `datasets list`)')
    .option('--data-dir <dir>', DATA_DIR_HELP)
    .addOption(new Option('--scan <n>', 'read this many present cases for shapes and label values').default(3).argParser(positiveInt('--scan')))
    .option('--json', 'print JSON')
    .action(async (id: string, opts: DirOpts & { scan: number }) => {
      const [{ getDataset }, { resolveDataDir }, info] = await Promise.all([import('../data/catalog.js'), import('../env.js'), import('../data/info.js')]);
      const entry = getDataset(id);
      const report = await info.datasetInfo(entry, resolveDataDir(opts.dataDir), { scan: opts.scan });
      process.stdout.write(opts.json ? JSON.stringify(report, null, 2) + '\n' : info.renderInfo(entry, report));
    });

  datasets
    .command('download')
    .description('Fetch a dataset: resumes partial files (Range), retries with backoff, checks sha256 before moving each file into place')
    .argument('<id>', 'dataset id')
    .option('--data-dir <dir>', DATA_DIR_HELP)
    .option('--mirror <base>', 'fetch from this base URL instead of upstream: <base>/<path in the dataset folder>, e.g. <base>/<case>/mri_norm2.h5 for LA')
    .addOption(casesOption())
    .addOption(new Option('--retries <n>', 'extra attempts per file').default(4).argParser(positiveInt('--retries')))
    .addOption(new Option('--jobs <n>', 'parallel transfers').default(3).argParser(positiveInt('--jobs')))
    .option('--json', 'print a JSON report instead of text')
    .action(async (id: string, opts: DirOpts & { mirror?: string; retries: number; jobs: number }) => {
      const [{ getDataset }, { resolveDataDir, wantsProgress }, { downloadDataset }, { datasetDir }, progress, { SslBenchError }] = await Promise.all([
        import('../data/catalog.js'),
        import('../env.js'),
        import('../data/download.js'),
        import('../data/files.js'),
        import('../data/progress.js'),
        import('../errors.js'),
      ]);
      const entry = getDataset(id);
      const dataDir = resolveDataDir(opts.dataDir);
      const show = wantsProgress(opts.json);
      const line = show ? new progress.StatusLine(process.stderr) : null;
      const started = Date.now();
      const outcomes = await downloadDataset(entry, dataDir, {
        mirror: opts.mirror,
        cases: parseCases(opts.cases),
        retries: opts.retries,
        jobs: Math.max(1, opts.jobs),
        onProgress: line ? (p) => line.update(`${entry.id}  ${progress.describeTransfer(p, (Date.now() - started) / 1000)}`) : undefined,
        onFile: line
          ? (o) => {
              if (o.state === 'corrupt' || o.state === 'failed') {
                line.clear();
                process.stderr.write(`${o.state}: ${o.message}\n`);
              }
            }
          : undefined,
      });
      line?.clear();
      const count = (s: string) => outcomes.filter((o) => o.state === s).length;
      const summary = {
        downloaded: count('downloaded'),
        present: count('present'),
        missing: count('missing'),
        corrupt: count('corrupt'),
        failed: count('failed'),
      };
      const dir = datasetDir(entry, dataDir);
      if (opts.json) {
        process.stdout.write(JSON.stringify({ dataset: entry.id, dir, summary, files: outcomes }, null, 2) + '\n');
      } else {
        for (const o of outcomes) {
          if (o.state === 'missing') process.stdout.write(`missing  ${o.path}  (not on the server)\n`);
          else if (o.state === 'corrupt' || o.state === 'failed') process.stdout.write(`${o.state.padEnd(7)}  ${o.path}  ${o.message ?? ''}\n`);
          else if (o.message) process.stdout.write(`${o.state}  ${o.path}  ${o.message}\n`);
        }
        const received = outcomes.reduce((s, o) => s + o.bytes, 0);
        process.stdout.write(
          `${entry.id}: ${summary.downloaded} downloaded (${progress.formatBytes(received)} in ${progress.formatDuration((Date.now() - started) / 1000)}), ${summary.present} already present, ` +
            `${summary.missing} missing on the server, ${summary.corrupt} corrupt, ${summary.failed} failed -> ${dir}\n`,
        );
      }
      const bad = summary.missing + summary.corrupt + summary.failed;
      if (bad > 0) {
        const parts = [summary.missing && `${summary.missing} missing on the server`, summary.corrupt && `${summary.corrupt} failed the checksum`, summary.failed && `${summary.failed} failed`].filter(Boolean);
        const again = summary.failed + summary.corrupt > 0 ? '; run it again to retry (partial files are resumed)' : '';
        throw new SslBenchError('SSLB_DOWNLOAD', `download of ${entry.id} incomplete: ${parts.join(', ')} (of ${outcomes.length} files)${again}`);
      }
    });

  datasets
    .command('verify')
    .description('Check every file of a dataset against its sha256/size; list missing and corrupt files (exit 1 if any)')
    .argument('<id>', 'dataset id')
    .option('--data-dir <dir>', DATA_DIR_HELP)
    .addOption(casesOption())
    .option('--json', 'print JSON')
    .action(async (id: string, opts: DirOpts) => {
      const [{ getDataset }, { resolveDataDir, wantsProgress }, { checkDataset, datasetDir }, progress, { SslBenchError }] = await Promise.all([
        import('../data/catalog.js'),
        import('../env.js'),
        import('../data/files.js'),
        import('../data/progress.js'),
        import('../errors.js'),
      ]);
      const entry = getDataset(id);
      const dataDir = resolveDataDir(opts.dataDir);
      const line = wantsProgress(opts.json) ? new progress.StatusLine(process.stderr) : null;
      const checks = await checkDataset(entry, dataDir, {
        cases: parseCases(opts.cases),
        onFile: line ? (done, total) => line.update(`${entry.id}  checking ${done}/${total} files`) : undefined,
      });
      line?.clear();
      const dir = datasetDir(entry, dataDir);
      const by = (s: string) => checks.filter((c) => c.state === s);
      const missing = by('missing');
      const corrupt = by('corrupt');
      const summary = { verified: by('verified').length, present: by('present').length, missing: missing.length, corrupt: corrupt.length, total: checks.length };
      if (opts.json) {
        process.stdout.write(
          JSON.stringify(
            {
              dataset: entry.id,
              dir,
              ok: missing.length + corrupt.length === 0,
              summary,
              missing: missing.map((c) => c.path),
              corrupt: corrupt.map((c) => ({ path: c.path, message: c.message })),
              partial: missing.filter((c) => c.message).map((c) => c.path),
            },
            null,
            2,
          ) + '\n',
        );
      } else {
        for (const c of corrupt) process.stdout.write(`corrupt  ${c.path}  ${c.message}\n`);
        for (const c of missing) process.stdout.write(`missing  ${c.path}${c.message ? `  (${c.message})` : ''}\n`);
        const unchecked = summary.present ? `, ${summary.present} present (no checksum published)` : '';
        process.stdout.write(`${entry.id}: ${summary.verified} verified${unchecked}, ${summary.missing} missing, ${summary.corrupt} corrupt (${summary.total} files in ${dir})\n`);
      }
      if (missing.length + corrupt.length > 0) {
        const { fetchHint } = await import('../data/file-source.js');
        throw new SslBenchError('SSLB_VERIFY', `${entry.id}: ${missing.length} missing, ${corrupt.length} corrupt of ${checks.length} files; ${fetchHint(entry)}`);
      }
    });

  datasets
    .command('import')
    .description('Adopt files you already have (copy, or hard-link with --link), checking each checksum before it is placed')
    .argument('<id>', 'dataset id')
    .requiredOption('--from <dir>', 'folder holding the files (the layouts the papers use are recognised; see `datasets info`)')
    .option('--link', 'hard-link instead of copying (falls back to a copy across file systems)')
    .option('--data-dir <dir>', DATA_DIR_HELP)
    .addOption(casesOption())
    .option('--json', 'print JSON')
    .action(async (id: string, opts: DirOpts & { from: string; link?: boolean }) => {
      const [{ getDataset }, { resolveDataDir, wantsProgress }, { importDataset, datasetDir }, progress, { SslBenchError }, path] = await Promise.all([
        import('../data/catalog.js'),
        import('../env.js'),
        import('../data/files.js'),
        import('../data/progress.js'),
        import('../errors.js'),
        import('node:path'),
      ]);
      const entry = getDataset(id);
      const dataDir = resolveDataDir(opts.dataDir);
      const line = wantsProgress(opts.json) ? new progress.StatusLine(process.stderr) : null;
      const outcomes = await importDataset(entry, dataDir, path.resolve(opts.from), {
        link: opts.link,
        cases: parseCases(opts.cases),
        onFile: line ? (done, total) => line.update(`${entry.id}  importing ${done}/${total} files`) : undefined,
      });
      line?.clear();
      const count = (s: string) => outcomes.filter((o) => o.state === s).length;
      const summary = { imported: count('imported'), alreadyPresent: count('already-present'), notFound: count('not-found'), corrupt: count('corrupt') };
      const dir = datasetDir(entry, dataDir);
      if (opts.json) {
        process.stdout.write(JSON.stringify({ dataset: entry.id, dir, from: path.resolve(opts.from), summary, files: outcomes }, null, 2) + '\n');
      } else {
        for (const o of outcomes) if (o.state === 'corrupt') process.stdout.write(`corrupt  ${o.from ?? o.path}  ${o.message ?? ''} (not imported)\n`);
        const notFound = outcomes.filter((o) => o.state === 'not-found');
        for (const o of notFound.slice(0, 10)) process.stdout.write(`not found  ${o.path}\n`);
        if (notFound.length > 10) process.stdout.write(`not found  ... and ${notFound.length - 10} more (--json lists all)\n`);
        process.stdout.write(
          `${entry.id}: ${summary.imported} imported (${opts.link ? 'hard-linked where possible' : 'copied'}), ${summary.alreadyPresent} already present, ${summary.notFound} not found under ${opts.from}, ${summary.corrupt} corrupt -> ${dir}\n`,
        );
      }
      if (summary.corrupt > 0) throw new SslBenchError('SSLB_IMPORT', `${entry.id}: ${summary.corrupt} file(s) under ${opts.from} failed the checksum and were not imported`);
      if (summary.imported + summary.alreadyPresent === 0) {
        throw new SslBenchError('SSLB_IMPORT', `${entry.id}: none of its ${outcomes.length} files found under ${opts.from}; expected e.g. ${outcomes[0]?.path ?? '(no files)'} (see \`ssl-bench datasets info ${entry.id}\`)`);
      }
    });

  datasets
    .command('split')
    .description('Case ids of a protocol: labeled, unlabeled, test (and val), in the order the papers use')
    .argument('<id>', 'dataset id')
    .option('--protocol <p>', 'protocol key or alias, e.g. 16+64 or 20% (default: the dataset default)')
    .option('--json', 'print JSON {labeled, unlabeled, test[, val]}')
    .action(async (id: string, opts: { protocol?: string; json?: boolean }) => {
      const { getDataset, resolveSplit } = await import('../data/catalog.js');
      const entry = getDataset(id);
      const split = resolveSplit(entry, opts.protocol);
      if (opts.json) {
        const out: Record<string, string[]> = { labeled: split.labeled, unlabeled: split.unlabeled, test: split.test };
        if (split.val) out.val = split.val;
        process.stdout.write(JSON.stringify(out, null, 2) + '\n');
        return;
      }
      const spec = entry.protocols[split.protocol];
      const unit = entry.labeledUnit === 'slice' ? 'slices' : 'cases';
      const head = (ids: string[]) => (ids.length <= 6 ? ids.join(', ') : `${ids.slice(0, 4).join(', ')}, ... ${ids[ids.length - 1]}`);
      process.stdout.write(`${entry.id} protocol ${split.protocol}${spec.percent ? ` (${spec.percent})` : ''}: labeled = first ${spec.labeled} ${unit} of '${spec.split}'\n`);
      if (spec.patients) process.stdout.write(`  patients: ${spec.patients.labeled} labeled, ${spec.patients.unlabeled} unlabeled\n`);
      process.stdout.write(`  labeled   ${String(split.labeled.length).padStart(5)}  ${head(split.labeled)}\n`);
      process.stdout.write(`  unlabeled ${String(split.unlabeled.length).padStart(5)}  ${head(split.unlabeled)}\n`);
      process.stdout.write(`  test      ${String(split.test.length).padStart(5)}  ${head(split.test)}${spec.test && spec.test !== 'test' ? `  (list '${spec.test}')` : ''}\n`);
      if (split.val) process.stdout.write(`  val       ${String(split.val.length).padStart(5)}  ${head(split.val)}\n`);
      if (spec.note) process.stdout.write(`  note: ${spec.note}\n`);
    });
}
