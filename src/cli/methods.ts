import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('methods')
    .description('List the registered methods with the paper and official script each follows')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const { METHODS } = await import('../methods/index.js');
      const { knownRecipes, resolveConfig } = await import('../train/config.js');
      const { evaluationPolicy } = await import('../methods/method.js');
      const recipes = knownRecipes();
      const rows = Object.values(METHODS).map((m) => {
        const datasets = recipes.filter((r) => r.methods.includes(m.id)).map((r) => r.dataset);
        // The test policy can depend on the dataset's recipe (BCP/CML: LA vs ACDC).
        const evaluationByDataset = Object.fromEntries(
          datasets.map((d) => [d, evaluationPolicy(m, resolveConfig({ method: m.id, dataset: d, protocol: 'default', profile: 'paper', seed: 1337 }))]),
        );
        return { id: m.id, title: m.title, paper: m.paper, source: m.source, datasets, evaluation: m.evaluation, evaluationByDataset };
      });
      if (opts.json) {
        process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
        return;
      }
      const { default: Table } = await import('cli-table3');
      const style = process.stdout.isTTY ? {} : { head: [], border: [] };
      const table = new Table({ head: ['id', 'method', 'official code', 'datasets'], style });
      for (const r of rows) table.push([r.id, r.title, r.source, r.datasets.join(', ')]);
      process.stdout.write(table.toString() + '\n');
    });
}
