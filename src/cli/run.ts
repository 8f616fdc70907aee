import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { UsageError } from '../errors.js';

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
  strategy?: string;
  feclLabels?: string;
  dryRun?: boolean;
  json?: boolean;
}

/** What the command line gives: `--method` or `--suite` (with `--seeds`). */
export interface RunCliFlags extends Omit<RunFlags, 'method'> {
  method?: string;
  suite?: string;
  seeds?: number;
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
    .option('-m, --method <id>', "method id, a comma-separated list, or 'all' (see `ssl-bench methods`); with --suite, a subset of its methods")
    .option('--suite <name>', 'run every method × seed of a paper table in benchmarks/suites/, skipping cells that already have a matching record')
    .option('--seeds <n>', "with --suite: how many seeds (default: the suite's list)", parseInteger('--seeds', 1))
    .option('-d, --dataset <id>', 'dataset id (see `ssl-bench datasets list`)', 'synthetic')
    .option('-p, --protocol <name>', 'labeled+unlabeled protocol, e.g. 16+64 or 20% (default: the dataset\'s)')
    .option('--profile <name>', 'paper | cpu | smoke (default: paper for real datasets, cpu for synthetic)')
    .option('--seed <n>', 'run seed', parseInteger('--seed'), 1337)
    .option('--backend <name>', 'tensorflow-gpu | webgpu | tensorflow | wasm | cpu | auto', 'auto')
    .option('--results-dir <dir>', 'where records and runs are written (env SSL_BENCH_RESULTS; default ./results)')
    .option('--data-dir <dir>', 'where datasets live (env SSL_BENCH_DATA)')
    .option('--iterations <n>', 'override the number of training updates', parseInteger('--iterations', 1))
    .option('--allow-partial', 'run on the cases present when a dataset is incomplete (the record says so)')
    .option('--strategy <name>', 'AC-MT ambiguity selection: entropy | mu | perr | serr (default entropy)')
    .option('--fecl-labels <source>', "DyCON FeCL patch labels of unlabeled cases: 'teacher' (default, no labels of unlabeled data) or 'ground-truth' (the official code's leak; the record and tables mark it)")
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
  $ ssl-bench run --suite synthetic-smoke                   a whole paper table; resumes where it stopped
  $ ssl-bench run --suite la-16+64 --seeds 3 --dry-run      which cells are done, to run or skipped

An interrupted run resumes from its last checkpoint when started again with the same arguments.`,
    )
    .action(async (flags: RunCliFlags, command: Command) => {
      if (flags.suite !== undefined) {
        const { runSuite } = await import('./suite-job.js');
        await runSuite({ ...flags, suite: flags.suite }, (option) => command.getOptionValueSource(option) === 'cli');
        return;
      }
      if (flags.method === undefined) throw new UsageError("run: give --method <id> (or --suite <name>); see `ssl-bench methods`");
      if (flags.seeds !== undefined) throw new UsageError('--seeds goes with --suite; for one run use --seed <n>');
      const { runCommand } = await import('./run-job.js');
      const { suite: _suite, seeds: _seeds, ...rest } = flags;
      await runCommand({ ...rest, method: flags.method });
    });
}
