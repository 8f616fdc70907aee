/**
 * @file Checkpoints: one file holding a JSON header (iteration, config fingerprint, tensor manifest)
 * and the float32 data of every parameter, BN buffer, momentum buffer and EMA teacher, written
 * atomically so an interrupted write never corrupts the last good checkpoint.
 */
import { promises as fs } from 'node:fs';
import { tf, type Variable } from '../nn/tf.js';
import { writeFileAtomic } from '../util/fs-atomic.js';
import { SslBenchError } from '../errors.js';

const MAGIC = 'SSLBCKPT1';

export interface CheckpointMeta {
  /** Number of completed updates. */
  iteration: number;
  fingerprint: string;
  [key: string]: unknown;
}

interface Entry {
  name: string;
  shape: number[];
  offset: number;
  length: number;
}

export async function saveCheckpoint(file: string, meta: CheckpointMeta, tensors: Map<string, Variable>): Promise<void> {
  const entries: Entry[] = [];
  const chunks: Float32Array[] = [];
  let offset = 0;
  for (const [name, v] of tensors) {
    const data = (await v.data()) as Float32Array;
    entries.push({ name, shape: v.shape, offset, length: data.length });
    chunks.push(data);
    offset += data.length;
  }
  const header = Buffer.from(JSON.stringify({ magic: MAGIC, meta, entries }), 'utf8');
  const out = Buffer.alloc(4 + header.length + offset * 4 + 4);
  out.writeUInt32LE(header.length, 0);
  header.copy(out, 4);
  // Float data starts on a 4-byte boundary so it can be viewed as a Float32Array in place.
  const dataStart = 4 + header.length + ((4 - ((4 + header.length) % 4)) % 4);
  let pos = dataStart;
  for (const c of chunks) {
    Buffer.from(c.buffer, c.byteOffset, c.byteLength).copy(out, pos);
    pos += c.byteLength;
  }
  await writeFileAtomic(file, out.subarray(0, pos));
}

export interface LoadedCheckpoint {
  meta: CheckpointMeta;
  tensors: Map<string, { shape: number[]; data: Float32Array }>;
}

export async function loadCheckpoint(file: string): Promise<LoadedCheckpoint> {
  const buf = await fs.readFile(file);
  try {
    const headerLength = buf.readUInt32LE(0);
    const header = JSON.parse(buf.subarray(4, 4 + headerLength).toString('utf8')) as { magic: string; meta: CheckpointMeta; entries: Entry[] };
    if (header.magic !== MAGIC) throw new Error('not an ssl-bench checkpoint');
    const dataStart = 4 + headerLength + ((4 - ((4 + headerLength) % 4)) % 4);
    const floats = new Float32Array(buf.buffer.slice(buf.byteOffset + dataStart, buf.byteOffset + buf.length));
    const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const e of header.entries) {
      if (e.offset + e.length > floats.length) throw new Error(`tensor ${e.name} is truncated`);
      tensors.set(e.name, { shape: e.shape, data: floats.subarray(e.offset, e.offset + e.length) });
    }
    return { meta: header.meta, tensors };
  } catch (err) {
    throw new SslBenchError('SSLB_CHECKPOINT', `${file}: unreadable checkpoint (${(err as Error).message}); delete it to restart the run`);
  }
}

/** Copies checkpoint values into existing variables; every variable must be present with its shape. */
export function restoreVariables(file: string, loaded: LoadedCheckpoint, variables: Map<string, Variable>): void {
  for (const [name, v] of variables) {
    const t = loaded.tensors.get(name);
    if (!t) throw new SslBenchError('SSLB_CHECKPOINT', `${file}: has no tensor '${name}'; it was written by a different configuration`);
    if (t.shape.join('x') !== v.shape.join('x')) {
      throw new SslBenchError('SSLB_CHECKPOINT', `${file}: tensor '${name}' has shape [${t.shape}] but the network expects [${v.shape}]`);
    }
    tf.tidy(() => v.assign(tf.tensor(t.data, t.shape)));
  }
}
