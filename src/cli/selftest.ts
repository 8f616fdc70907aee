import type { Command } from 'commander';

export interface SelftestFlags {
  vectors?: string;
  filter?: string;
  json?: boolean;
  strict?: boolean;
}

export function register(program: Command): void {
  program
    .command('selftest')
    .description("Check the project's losses, schedules and helpers against golden vectors computed by the official PyTorch code")
    .option('--vectors <dir>', "folder of ssl-method-vector/1 JSON files (default: the project's copy in test/fixtures/method-vectors)")
    .option('--filter <prefix>', 'only vectors whose name starts with this prefix (comma-separated for several), e.g. dtc__ or common__,mt__')
    .option('--json', 'print the report as JSON')
    .option('--strict', 'also fail when a vector, or part of one, is not implemented by the project')
    .addHelpText(
      'after',
      `
One line per vector: PASS, FAIL or NOT-IMPLEMENTED, the largest relative error, and details. Each vector is
compared with its own tolerance (|got - exp| <= abs + rel*|exp|; integers and booleans exactly). A vector, or
an entry of one, that belongs to a method the project does not implement yet is reported as such, never as a
pass. Exit status 1 when any vector fails (with --strict also when anything is not implemented).

Examples:
  $ ssl-bench selftest
  $ ssl-bench selftest --filter dtc__ --json
  $ ssl-bench selftest --vectors ../shared/reference/method-vectors --strict`,
    )
    .action(async (flags: SelftestFlags) => {
      const { runSelftest, formatReport, selftestFailed } = await import('../selftest/run.js');
      const report = await runSelftest({ dir: flags.vectors, filter: flags.filter });
      process.stdout.write(flags.json ? JSON.stringify(report, null, 2) + '\n' : formatReport(report));
      if (selftestFailed(report, flags.strict)) process.exitCode = 1;
    });
}
