/**
 * `ssl-bench bench train-step | infer`: times real V-Net training steps (forward, backward, SGD update)
 * or eval-mode forward passes through the project's own network and optimiser, and prints the same
 * fields as shared/bench/torch_vnet_step.py so the two compare side by side.
 */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';

interface BenchFlags {
  size: number[];
  batch: number;
  filters: number;
  backend: string;
  steps: number;
  json?: boolean;
}

function parseSize(value: string): number[] {
  const dims = value.split(',').map(Number);
  if (dims.length !== 3 || dims.some((d) => !Number.isInteger(d) || d < 16 || d % 16 !== 0)) {
    throw new InvalidArgumentError(`--size must be three multiples of 16 like 64,64,48 (four stride-2 downsamplings), got '${value}'`);
  }
  return dims;
}

function positive(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a positive integer, got '${value}'`);
    return n;
  };
}

async function bench(mode: 'train-step' | 'infer', flags: BenchFlags): Promise<void> {
  const { selectBackend } = await import('../nn/backend.js');
  const backend = await selectBackend(flags.backend);
  const { tf } = await import('../nn/tf.js');
  const { VNet, vnetForwardFlops } = await import('../nn/vnet.js');
  const { Sgd } = await import('../train/sgd.js');
  const { crossEntropy } = await import('../methods/losses.js');
  const { Rng } = await import('../util/rng.js');
  const [d, h, w] = flags.size;
  try {
    const kernels = await import('../nn/kernels/index.js');
    if (mode === 'train-step') kernels.assertTrainStepFits({ size: [d, h, w], batch: flags.batch, filters: flags.filters }, backend.tfBackend);
  } catch (err) {
    if ((err as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') throw err;
  }
  const net = new VNet('bench', 0, { filters: flags.filters, dropout: mode === 'train-step' ? 0.5 : 0 });
  const rng = new Rng(0);
  const x = tf.randomNormal([flags.batch, d, h, w, 1], 0, 1, 'float32', 1);
  const y = tf.cast(tf.greater(tf.randomUniform([flags.batch, d, h, w], 0, 1, 'float32', 2), 0.5), 'int32');
  const opt = new Sgd(net.store.params, { momentum: 0.9, weightDecay: 1e-4 });
  const vars = [...net.store.params.values()];
  const once = async () => {
    if (mode === 'infer') {
      const out = tf.tidy(() => tf.softmax(net.forward(x, { training: false }).logits));
      await out.data();
      out.dispose();
      return;
    }
    const { value, grads } = tf.variableGrads(() => crossEntropy(net.forward(x, { training: true, rng }).logits, y), vars);
    opt.step(grads, 0.01);
    await value.data();
    tf.dispose([value, grads]);
  };
  await once(); // warm-up: kernel compilation, buffer allocation
  const times: number[] = [];
  for (let i = 0; i < flags.steps; i++) {
    const t = performance.now();
    await once();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const ms = times[Math.floor(times.length / 2)];
  const forward = vnetForwardFlops([d, h, w], flags.filters) * flags.batch;
  const work = (mode === 'train-step' ? 3 : 1) * forward;
  const result = {
    framework: `ssl-bench (tfjs ${tf.version_core})`,
    mode,
    size: [d, h, w],
    batch: flags.batch,
    filters: flags.filters,
    backend: backend.name,
    // Replacement kernels only: `gradient:` and `reference:` entries are registered on every backend.
    fastKernels: backend.fastKernels.some((k) => !k.includes(':')),
    ms_per_step: Math.round(ms * 10) / 10,
    forward_gflop: Math.round((forward / 1e9) * 1000) / 1000,
    gflops_per_s: Math.round((work / 1e9 / (ms / 1000)) * 100) / 100,
    peak_bytes: tf.memory().numBytes,
  };
  net.dispose();
  opt.dispose();
  if (flags.json) {
    process.stdout.write(JSON.stringify(result) + '\n');
    return;
  }
  process.stdout.write(
    `${mode} V-Net ${d}×${h}×${w} batch ${flags.batch} filters ${flags.filters} on ${backend.name}${result.fastKernels ? ' (fast kernels)' : ''}: ` +
      `${result.ms_per_step} ms/step, ${result.forward_gflop} GFLOP forward, ${result.gflops_per_s} GFLOP/s (step counted as ${mode === 'infer' ? '1' : '3'}× forward)\n`,
  );
}

export function register(program: Command): void {
  const group = program.command('bench').description('Time V-Net training steps or inference on a backend (compare with shared/bench/torch_vnet_step.py)');
  for (const mode of ['train-step', 'infer'] as const) {
    group
      .command(mode)
      .description(mode === 'train-step' ? 'median time of a V-Net training step (forward, backward, SGD)' : 'median time of an eval-mode V-Net forward pass')
      .option('--size <d,h,w>', 'patch size, multiples of 16', parseSize, [64, 64, 48])
      .option('--batch <n>', 'batch size', positive('--batch'), 4)
      .option('--filters <n>', 'V-Net base filters', positive('--filters'), 8)
      .option('--backend <name>', 'tensorflow-gpu | webgpu | tensorflow | wasm | cpu | auto', 'auto')
      .option('--steps <n>', 'timed steps after one warm-up step', positive('--steps'), 3)
      .option('--json', 'print one JSON line')
      .addHelpText('after', `\nExample:\n  $ ssl-bench bench ${mode} --size 64,64,48 --batch 4 --filters 8 --json`)
      .action((flags: BenchFlags) => bench(mode, flags));
  }
}
