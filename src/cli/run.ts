import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';

export interface RunFlags {
  method: string;
  dataset: string;
  protocol?: string;
  profile?: string;
  seed: number;
  backend?: string;
  resultsDir?: string;
  dataDir?: string;
  iterations?: number;
  allowPartial?: boolean;
  selectBestOn?: string;
  dryRun?: boolean;
  json?: boolean;
}

export function parseInteger(name: string, min = 0) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer >= ${min}, got '${value}'`);
    return n;
  };
}

export function register(program: Command): void {
  program
    .command('run')
    .description('Train a method on a dataset protocol, evaluate it on the test cases and write a result record')
    .requiredOption('-m, --method <id>', "method id, a comma-separated list, or 'all' (see `ssl-bench methods`)")
    .option('-d, --dataset <id>', 'dataset id (see `ssl-bench datasets list`)', 'synthetic')
    .option('-p, --protocol <name>', 'labeled+unlabeled protocol, e.g. 16+64 or 20% (default: the dataset\'s)')
    .option('--profile <name>', 'paper | cpu | smoke (default: paper for real datasets, cpu for synthetic)')
    .option('--seed <n>', 'run seed', parseInteger('--seed'), 1337)
    .option('--backend <name>', 'tensorflow-gpu | tensorflow | wasm | cpu | auto', 'auto')
    .option('--results-dir <dir>', 'where records and runs are written (env SSL_BENCH_RESULTS; default ./results)')
    .option('--data-dir <dir>', 'where datasets live (env SSL_BENCH_DATA)')
    .option('--iterations <n>', 'override the number of training updates', parseInteger('--iterations', 1))
    .option('--allow-partial', 'run on the cases present when a dataset is incomplete (the record says so)')
    .option('--select-best-on <split>', "report the checkpoint with the best Dice on 'test' (as BCP, CML, AC-MT did on LA) or 'val'; the record and tables mark it")
    .option('--dry-run', 'print the resolved configuration of every method and exit')
    .option('--json', 'print the result record(s) as JSON instead of a table; no progress output')
    .addHelpText(
      'after',
      `
Examples:
  $ ssl-bench run --method all --dataset synthetic
  $ ssl-bench run --method supervised --dataset synthetic --profile smoke --json
  $ ssl-bench run --method supervised --dataset LA --protocol 16+64 --dry-run

An interrupted run resumes from its last checkpoint when started again with the same arguments.`,
    )
    .action(async (flags: RunFlags) => {
      const { runCommand } = await import('./run-job.js');
      await runCommand(flags);
    });
}
