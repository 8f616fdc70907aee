import type { Command } from 'commander';

interface ConfigFlags {
  method: string;
  dataset: string;
  protocol?: string;
  profile?: string;
  seed: string;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('config')
    .description('Print the fully resolved training configuration of a method on a dataset protocol, with the source of every value')
    .requiredOption('-m, --method <id>', 'method id')
    .option('-d, --dataset <id>', 'dataset id', 'synthetic')
    .option('-p, --protocol <name>', "protocol, e.g. 16+64 or 20% (default: the dataset's)")
    .option('--profile <name>', 'paper | cpu | smoke (default: paper for real datasets, cpu for synthetic)')
    .option('--seed <n>', 'run seed', '1337')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExample:\n  $ ssl-bench config --method ua-mt --dataset LA --protocol 16+64 --json')
    .action(async (flags: ConfigFlags) => {
      const { getDataset, resolveSplit } = await import('../data/catalog.js');
      const { getMethod } = await import('../methods/index.js');
      const { defaultProfileFor, resolveConfig } = await import('../train/config.js');
      const { UsageError } = await import('../errors.js');
      const seed = Number(flags.seed);
      if (!Number.isInteger(seed) || seed < 0) throw new UsageError(`--seed must be a non-negative integer, got '${flags.seed}'`);
      const entry = getDataset(flags.dataset);
      const method = getMethod(flags.method);
      const split = resolveSplit(entry, flags.protocol);
      const config = resolveConfig({ method: method.id, dataset: entry.id, protocol: split.protocol, profile: flags.profile ?? defaultProfileFor(entry.kind), seed });
      if (flags.json) {
        process.stdout.write(JSON.stringify(config, null, 2) + '\n');
        return;
      }
      const { sources, params, ...values } = config;
      const lines = [`${method.id} on ${entry.id} ${split.protocol} (${split.labeled.length} labeled + ${split.unlabeled.length} unlabeled), profile ${config.profile}`];
      for (const [key, value] of Object.entries(values)) {
        if (value === undefined) continue;
        const source = (sources as unknown as Record<string, string>)[key];
        lines.push(`  ${key.padEnd(20)} ${JSON.stringify(value).padEnd(40)} ${source ?? ''}`);
      }
      for (const [key, value] of Object.entries(params)) lines.push(`  params.${key.padEnd(13)} ${JSON.stringify(value).padEnd(40)} ${sources.params[key] ?? ''}`);
      process.stdout.write(lines.join('\n') + '\n');
    });
}
