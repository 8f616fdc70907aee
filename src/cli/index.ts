/**
 * @file The one place where commands are registered. Each command lives in its own file and exports
 * `register(program)`; a command file imports only light modules at top level and loads tfjs, data or
 * metrics lazily inside its action, so `ssl-bench --help` stays fast and never loads a backend.
 */
import { Command, CommanderError } from 'commander';
import { SslBenchError } from '../errors.js';
import { VERSION } from '../version.js';
import * as runCommand from './run.js';
import * as methodsCommand from './methods.js';
import * as datasetsCommand from './datasets.js';
import * as doctorCommand from './doctor.js';
import * as metricsCommand from './metrics.js';
import * as configCommand from './config.js';
import * as selftestCommand from './selftest.js';
import * as tableCommand from './table.js';
import * as leaderboardCommand from './leaderboard.js';
import * as checkCommand from './check.js';
import * as benchCommand from './bench.js';

const COMMANDS: ReadonlyArray<{ register(program: Command): void }> = [
  runCommand,
  methodsCommand,
  datasetsCommand,
  doctorCommand,
  metricsCommand,
  configCommand,
  selftestCommand,
  tableCommand,
  leaderboardCommand,
  checkCommand,
  benchCommand,
];

export function buildProgram(): Command {
  const program = new Command('ssl-bench')
    .version(VERSION)
    .description('Reproduce the comparison tables of semi-supervised medical image segmentation papers.')
    .showSuggestionAfterError(true)
    .addHelpText(
      'after',
      `
Examples:
  $ ssl-bench run --method all --dataset synthetic          every method on the embedded dataset
  $ ssl-bench run --method supervised --dataset synthetic --profile smoke --json
  $ ssl-bench methods                                        registered methods
  $ ssl-bench datasets list                                  known datasets
  $ ssl-bench doctor                                         which compute backend is used and why`,
    );
  for (const command of COMMANDS) command.register(program);
  // Usage errors (unknown option, missing argument) exit 2; --help and --version exit 0.
  program.exitOverride();
  for (const sub of program.commands) {
    sub.exitOverride();
    for (const subsub of sub.commands) subsub.exitOverride();
  }
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    process.exitCode = exitCodeFor(err);
  }
}

function exitCodeFor(err: unknown): number {
  if (err instanceof CommanderError) {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
    return 2; // commander already printed its message
  }
  if (err instanceof SslBenchError) {
    process.stderr.write(`ssl-bench: ${err.message}\n`);
    return err.exitCode;
  }
  const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
  process.stderr.write(`ssl-bench: unexpected error: ${message}\n`);
  return 1;
}
