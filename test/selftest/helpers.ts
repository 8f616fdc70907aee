import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../helpers/cli.js';

export const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures', 'method-vectors');

/** The raw JSON of a fixture vector. */
export function readFixture(name: string): Record<string, any> {
  return JSON.parse(readFileSync(path.join(FIXTURES, `${name}.json`), 'utf8'));
}

/** Writes vectors (raw JSON, `name` decides the file name unless given) into a fresh folder. */
export function writeVectors(vectors: Array<Record<string, any> | { file: string; text: string }>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sslb-vectors-'));
  for (const v of vectors) {
    if ('text' in v && typeof v.text === 'string') writeFileSync(path.join(dir, String(v.file)), v.text);
    else writeFileSync(path.join(dir, `${(v as Record<string, any>).name}.json`), JSON.stringify(v));
  }
  return dir;
}
