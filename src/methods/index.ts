/**
 * @file The method registry: each method is one file, imported here explicitly. The key is the id
 * users type (`--method supervised`) and the file name.
 */
import { unknownChoice } from '../errors.js';
import type { Method } from './method.js';
import { supervised } from './supervised.js';
import { mt } from './mt.js';
import { uaMt } from './ua-mt.js';
import { dtc } from './dtc.js';
import { upc } from './upc.js';
import { bcp } from './bcp.js';
import { acMt } from './ac-mt.js';
import { dycon } from './dycon.js';
import { mcf } from './mcf.js';
import { cml } from './cml.js';

export const METHODS = {
  supervised,
  mt,
  'ua-mt': uaMt,
  dtc,
  upc,
  mcf,
  bcp,
  cml,
  'ac-mt': acMt,
  dycon,
} satisfies Record<string, Method>;

export type MethodId = keyof typeof METHODS;

export const METHOD_IDS = Object.keys(METHODS) as MethodId[];

export function getMethod(id: string): Method {
  if (!(id in METHODS)) throw unknownChoice('method', id, [...METHOD_IDS, 'all']);
  return METHODS[id as MethodId];
}

/** `all` = every registered method, in registry order. */
export function resolveMethods(spec: string): Method[] {
  if (spec === 'all') return METHOD_IDS.map((id) => METHODS[id]);
  return spec.split(',').map((s) => getMethod(s.trim()));
}
