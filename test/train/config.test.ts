import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveConfig } from '../../src/train/config.js';
import { consistencyWeight } from '../../src/train/schedules.js';

test('paper recipes step the consistency ramp every 150 updates, as the scripts\' iter_num // 150', () => {
  for (const [method, dataset] of [['ua-mt', 'LA'], ['mt', 'ACDC'], ['dycon', 'LA']]) {
    const c = resolveConfig({ method, dataset, protocol: dataset === 'LA' ? '16+64' : '7+63', profile: 'paper', seed: 1 });
    assert.equal(c.consistencyEpoch, 150, `${method}/${dataset}`);
    assert.doesNotMatch(c.sources.consistencyEpoch, /^profile:/, 'a paper value carries its script');
  }
});

test('the cpu profile shrinks the ramp\'s steps with the run, so the weight follows the paper\'s curve at the same fraction of training', () => {
  const paper = resolveConfig({ method: 'ua-mt', dataset: 'synthetic', protocol: '8+32', profile: 'paper', seed: 1 });
  const cpu = resolveConfig({ method: 'ua-mt', dataset: 'synthetic', protocol: '8+32', profile: 'cpu', seed: 1 });
  assert.equal(cpu.consistencyRampup, paper.consistencyRampup, 'the ramp keeps its length in steps');
  assert.equal(cpu.consistencyEpoch, Math.round(150 * cpu.iterations / paper.iterations));
  assert.equal(cpu.sources.consistencyEpoch, 'profile:cpu');
  const at = (c: typeof cpu, fraction: number) => consistencyWeight(Math.floor(fraction * c.iterations), c.consistencyWeight, c.consistencyRampup, c.consistencyEpoch);
  for (const fraction of [0.25, 0.5, 0.75, 0.99]) {
    assert.ok(Math.abs(at(cpu, fraction) - at(paper, fraction)) <= 0.05 * paper.consistencyWeight, `weight at ${fraction} of training`);
  }
  assert.ok(at(cpu, 0.5) > 0.2 * cpu.consistencyWeight, 'the unsupervised term is on well before the end');
});

test('the smoke profile keeps the paper\'s 150-update steps (its numbers are a regression guard, not a curve)', () => {
  const smoke = resolveConfig({ method: 'mt', dataset: 'synthetic', protocol: '8+32', profile: 'smoke', seed: 1 });
  assert.equal(smoke.consistencyEpoch, 150);
});
