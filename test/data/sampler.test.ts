import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TwoStreamSampler } from '../../src/data/sampler.js';

const L = Array.from({ length: 16 }, (_, i) => `l${i}`);
const U = Array.from({ length: 64 }, (_, i) => `u${i}`);

test('two-stream batches: labeled first, each epoch a permutation of the labeled set', () => {
  const s = new TwoStreamSampler(L, U, 2, 2, 1337);
  assert.equal(s.epochLength, 8);
  const seen: string[] = [];
  for (let k = 0; k < 8; k++) {
    const b = s.batch(k);
    assert.equal(b.labeled.length, 2);
    assert.equal(b.unlabeled.length, 2);
    assert.ok(b.labeled.every((id) => id.startsWith('l')) && b.unlabeled.every((id) => id.startsWith('u')));
    seen.push(...b.labeled);
  }
  assert.deepEqual([...seen].sort(), [...L].sort());
  assert.notDeepEqual(s.batch(8).labeled.concat(s.batch(9).labeled), seen.slice(0, 4), 'a new epoch reshuffles');
});

test('unlabeled stream covers the pool once before repeating within an epoch', () => {
  const s = new TwoStreamSampler(L.slice(0, 8), U.slice(0, 6), 1, 3, 7);
  const drawn = [0, 1].flatMap((k) => s.batch(k).unlabeled);
  assert.deepEqual([...drawn].sort(), [...U.slice(0, 6)].sort());
});

test('batches are a pure function of (seed, iteration) — what resume relies on', () => {
  const a = new TwoStreamSampler(L, U, 2, 2, 42);
  const b = new TwoStreamSampler(L, U, 2, 2, 42);
  for (const k of [0, 5, 17, 123]) assert.deepEqual(a.batch(k), b.batch(k));
  assert.notDeepEqual(new TwoStreamSampler(L, U, 2, 2, 43).batch(0), a.batch(0));
});

test('a labeled batch larger than the labeled set is a usage error', () => {
  assert.throws(() => new TwoStreamSampler(L.slice(0, 1), U, 2, 2, 1), /1 labeled cases cannot fill a labeled batch of 2/);
});
