import type { Command } from 'commander';

interface TableFlags {
  dataset?: string;
  protocol?: string;
  suite?: string;
  format: string;
  allVersions?: boolean;
  resultsDir?: string;
}

export function register(program: Command): void {
  program
    .command('table')
    .description('Methods × Dice, Jaccard, 95HD, ASD for a dataset protocol: mean ± std over seeds beside the published numbers')
    .option('-d, --dataset <id>', 'dataset id (see `ssl-bench datasets list`)')
    .option('-p, --protocol <name>', 'protocol, e.g. 16+64 or 20% (default: every protocol with records)')
    .option('--suite <name>', 'a paper table from benchmarks/suites/: its dataset, protocol, methods (run or not) and profile')
    .option('--format <format>', 'terminal | md | csv | json', 'terminal')
    .option('--all-versions', 'also records of other ssl-bench versions, as rows of their own')
    .option('--results-dir <dir>', 'where records are read from (env SSL_BENCH_RESULTS; default ./results)')
    .addHelpText(
      'after',
      `
Records are pooled only when they are the same experiment up to the seed (same harness version,
protocol, method, profile, config fingerprint and reported checkpoint). Notes mark what makes a row
not like-for-like with the paper: T test-set checkpoint, C checkpoint differs from the paper's,
L largest-component post-processing, P partial dataset, S non-paper profile, U unverified published row.

Examples:
  $ ssl-bench table --dataset synthetic --format md
  $ ssl-bench table --suite la-16+64
  $ ssl-bench table --dataset LA --protocol 20% --format csv > la.csv`,
    )
    .action(async (flags: TableFlags) => {
      await tableCommand(flags);
    });
}

async function tableCommand(flags: TableFlags): Promise<void> {
  const { unknownChoice } = await import('../errors.js');
  const { FORMATS } = await import('../results/render.js');
  if (!(FORMATS as readonly string[]).includes(flags.format)) throw unknownChoice('format', flags.format, FORMATS);
  const { resolveScope, loadPublishedRows } = await import('../results/scope.js');
  const { loadRecords } = await import('../results/store.js');
  const { buildSections } = await import('../results/aggregate.js');
  const render = await import('../results/render.js');
  const { resolveResultsDir } = await import('../env.js');
  const { VERSION } = await import('../version.js');

  const scope = resolveScope(flags, 'table', true);
  const resultsDir = resolveResultsDir(flags.resultsDir);
  const loaded = await loadRecords(resultsDir, { dataset: scope.dataset, protocol: scope.protocol });
  const notices = [...loaded.notices];
  const published = loadPublishedRows(notices);
  const { sections, otherVersions } = buildSections(loaded.records, { ...scope, allVersions: flags.allVersions, currentVersion: VERSION, published, catalog: scope.catalog });
  for (const n of notices) process.stderr.write(`ssl-bench: ${n}\n`);

  const opts = { currentVersion: VERSION, allVersions: Boolean(flags.allVersions), catalog: scope.catalog };
  const format = flags.format as (typeof FORMATS)[number];
  if (sections.length === 0) {
    const what = [scope.dataset, scope.protocol].filter(Boolean).join(' ');
    const hint = otherVersions > 0 ? ` (${otherVersions} record(s) of other ssl-bench versions; --all-versions shows them)` : '';
    const message = `no records of ssl-bench ${VERSION} for ${what} under ${resultsDir}${hint}`;
    if (format === 'terminal' || format === 'md') {
      process.stdout.write(`${message}\n`);
      return;
    }
    process.stderr.write(`ssl-bench: ${message}\n`);
  }
  if (format === 'terminal') process.stdout.write(render.renderTerminal(sections, opts));
  else if (format === 'md') process.stdout.write(render.renderMarkdown(sections, opts));
  else if (format === 'csv') process.stdout.write(render.renderCsv(sections));
  else process.stdout.write(render.renderJson(sections, opts));
  if (otherVersions > 0 && !flags.allVersions && sections.length > 0) {
    process.stderr.write(`ssl-bench: ${otherVersions} record(s) of other ssl-bench versions left out; --all-versions shows them\n`);
  }
}
