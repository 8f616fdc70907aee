import type { Command } from 'commander';

interface LeaderboardFlags {
  out?: string;
  resultsDir?: string;
  allVersions?: boolean;
}

export function register(program: Command): void {
  program
    .command('leaderboard')
    .description('Write one markdown file with a table per dataset × protocol, best values in bold, linked to the records')
    .option('--out <file>', 'where to write it (default: <results-dir>/LEADERBOARD.md)')
    .option('--results-dir <dir>', 'where records are read from (env SSL_BENCH_RESULTS; default ./results)')
    .option('--all-versions', 'also records of other ssl-bench versions, as rows of their own')
    .addHelpText(
      'after',
      `
The file depends only on the records: running it again on the same records gives the same bytes.

Examples:
  $ ssl-bench leaderboard
  $ ssl-bench leaderboard --out docs/LEADERBOARD.md`,
    )
    .action(async (flags: LeaderboardFlags) => {
      const path = (await import('node:path')).default;
      const { loadRecords } = await import('../results/store.js');
      const { buildSections } = await import('../results/aggregate.js');
      const { renderLeaderboard } = await import('../results/leaderboard.js');
      const { loadPublishedRows } = await import('../results/scope.js');
      const { writeFileAtomic } = await import('../util/fs-atomic.js');
      const { resolveResultsDir } = await import('../env.js');
      const { VERSION } = await import('../version.js');

      const resultsDir = resolveResultsDir(flags.resultsDir);
      const out = flags.out ? path.resolve(flags.out) : path.join(resultsDir, 'LEADERBOARD.md');
      const loaded = await loadRecords(resultsDir);
      const notices = [...loaded.notices];
      const published = loadPublishedRows(notices);
      const { sections } = buildSections(loaded.records, { allVersions: flags.allVersions, currentVersion: VERSION, published });
      for (const n of notices) process.stderr.write(`ssl-bench: ${n}\n`);
      const recordCount = sections.reduce((s, sec) => s + sec.rows.reduce((t, r) => t + r.records.length, 0), 0);
      const text = renderLeaderboard(sections, { outDir: path.dirname(out), recordCount, currentVersion: VERSION, allVersions: Boolean(flags.allVersions) });
      await writeFileAtomic(out, text);
      process.stdout.write(`wrote ${path.relative(process.cwd(), out) || out}: ${sections.length} table(s) from ${recordCount} record(s)\n`);
    });
}
