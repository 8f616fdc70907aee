import type { Command } from 'commander';

interface CheckFlags {
  against?: string;
  writeBaseline?: string;
  dataset?: string;
  protocol?: string;
  suite?: string;
  profile?: string;
  tolerance?: string;
  resultsDir?: string;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('check')
    .description('Compare measured means with the published numbers or a baseline; exit 1 when a cell is worse beyond the tolerance')
    .option('--against <published|file>', "'published' (results/published.json) or a file in the reference format, e.g. results/baselines/<suite>.json")
    .option('--write-baseline <file>', 'instead of checking, write the current means of the scope as a baseline file')
    .option('-d, --dataset <id>', 'only this dataset')
    .option('-p, --protocol <name>', 'only this protocol (with --dataset)')
    .option('--suite <name>', "only this suite's dataset, protocol, methods and profile")
    .option('--profile <name>', 'only records of this profile')
    .option('--tolerance <spec>', 'allowed shortfall per metric in table units: Dice/Jaccard points in %, distances in voxels (default dice=1,jaccard=1,hd95=2,asd=1; baselines carry their own)')
    .option('--results-dir <dir>', 'where records are read from (env SSL_BENCH_RESULTS; default ./results)')
    .option('--json', 'print the comparison as JSON')
    .addHelpText(
      'after',
      `
Exit status: 0 when every compared cell is within tolerance (better than the reference is fine),
1 when any is worse (for a baseline: moved either way, or not measured), 2 on a usage error.

Examples:
  $ ssl-bench check --against published --dataset LA --protocol 16+64
  $ ssl-bench check --against results/baselines/synthetic-smoke.json
  $ ssl-bench check --write-baseline results/baselines/synthetic-smoke.json --suite synthetic-smoke`,
    )
    .action(async (flags: CheckFlags) => {
      await checkCommand(flags);
    });
}

async function checkCommand(flags: CheckFlags): Promise<void> {
  const path = (await import('node:path')).default;
  const { SslBenchError, UsageError, unknownChoice } = await import('../errors.js');
  const { PROFILES } = await import('../train/config.js');
  const { resolveScope, loadPublishedRows } = await import('../results/scope.js');
  const { loadRecords } = await import('../results/store.js');
  const { buildSections } = await import('../results/aggregate.js');
  const { readReferenceFile, resolveReference } = await import('../results/published.js');
  const check = await import('../results/check.js');
  const { resolveResultsDir } = await import('../env.js');
  const { VERSION } = await import('../version.js');

  if (flags.against && flags.writeBaseline) throw new UsageError('check: give either --against or --write-baseline, not both');
  if (!flags.against && !flags.writeBaseline) throw new UsageError('check: give --against published|FILE (or --write-baseline FILE)');
  if (flags.profile && !(PROFILES as readonly string[]).includes(flags.profile)) throw unknownChoice('profile', flags.profile, PROFILES);
  const tolerance = flags.tolerance ? check.parseTolerance(flags.tolerance) : {};
  const scope = resolveScope(flags, 'check', Boolean(flags.writeBaseline));
  if (scope.suite && flags.profile && flags.profile !== scope.suite.profile) throw new UsageError(`check: suite ${scope.suite.name} is profile ${scope.suite.profile}, not ${flags.profile}`);
  const resultsDir = resolveResultsDir(flags.resultsDir);
  const loaded = await loadRecords(resultsDir, { dataset: scope.dataset, protocol: scope.protocol });
  const notices = [...loaded.notices];

  if (flags.writeBaseline) {
    const { writeFileAtomic } = await import('../util/fs-atomic.js');
    const { sections } = buildSections(loaded.records, { ...scope, currentVersion: VERSION, published: [], usePins: false });
    const rows = sections.flatMap((s) => s.rows).filter((r) => !flags.profile || r.profile === flags.profile);
    for (const n of notices) process.stderr.write(`ssl-bench: ${n}\n`);
    const missing = scope.suite ? scope.suite.methods.filter((m) => !rows.some((r) => r.method === m && r.n > 0)) : [];
    const baseline = check.baselineRows(rows, scope.suite, VERSION, { ...check.BASELINE_TOLERANCE, ...tolerance });
    if (baseline.length === 0) throw new SslBenchError('SSLB_BASELINE_EMPTY', `no records of ssl-bench ${VERSION} in this scope under ${resultsDir}; run them first${scope.suite ? ` (ssl-bench run --suite ${scope.suite.name})` : ''}`);
    const file = path.resolve(flags.writeBaseline);
    await writeFileAtomic(file, JSON.stringify(baseline, null, 2) + '\n');
    process.stdout.write(`wrote ${path.relative(process.cwd(), file) || file}: ${baseline.length} row(s)\n`);
    if (missing.length) process.stderr.write(`ssl-bench: suite methods without records, left out of the baseline: ${missing.join(', ')}\n`);
    return;
  }

  const referenceFile = resolveReference(flags.against!);
  const reference = flags.against === 'published' ? loadPublishedRows(notices) : readReferenceFile(referenceFile);
  const { sections } = buildSections(loaded.records, { ...scope, currentVersion: VERSION, published: reference, usePins: flags.against === 'published' });
  for (const n of notices) process.stderr.write(`ssl-bench: ${n}\n`);
  const report = check.compareWithReference(sections.flatMap((s) => s.rows), reference, { ...scope, profile: flags.profile }, tolerance);

  if (flags.json) {
    process.stdout.write(JSON.stringify({ reference: path.relative(process.cwd(), referenceFile) || referenceFile, ...report, cells: report.cells.map((c) => ({ ...c, reference: c.reference && { key: c.reference.key, status: c.reference.status, verified: c.reference.verified } })) }, null, 2) + '\n');
  } else {
    const { renderCheck } = await import('../results/render-check.js');
    process.stdout.write(renderCheck(report, path.relative(process.cwd(), referenceFile) || referenceFile, tolerance));
  }
  if (report.failed) throw new SslBenchError('SSLB_CHECK_FAILED', `check failed: ${report.reasons.join('; ')}`);
}
