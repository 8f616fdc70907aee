/**
 * @file What `table` and `check` look at: a dataset (and protocol), or a suite that names both, resolved
 * against the catalog so that aliases (`20%`) and case (`la`) give the canonical names records use.
 */
import { existsSync } from 'node:fs';
import { getDataset, loadCatalog, resolveProtocolName, type Catalog } from '../data/catalog.js';
import { SslBenchError, UsageError } from '../errors.js';
import { loadSuite, type Suite } from './suites.js';
import { PUBLISHED_FILE, readReferenceFile, type PublishedRow } from './published.js';

export interface Scope {
  dataset?: string;
  protocol?: string;
  suite: Suite | null;
  catalog: Catalog;
}

export function resolveScope(flags: { dataset?: string; protocol?: string; suite?: string }, command: string, requireDataset: boolean): Scope {
  const catalog = loadCatalog();
  const suite = flags.suite ? loadSuite(flags.suite, undefined, catalog) : null;
  if (flags.protocol && !flags.dataset && !suite) throw new UsageError(`${command}: --protocol needs --dataset`);
  const entry = flags.dataset ? getDataset(flags.dataset, catalog) : undefined;
  const protocol = entry && flags.protocol ? resolveProtocolName(entry, flags.protocol) : undefined;
  if (suite) {
    if (entry && entry.id !== suite.dataset) throw new UsageError(`${command}: suite ${suite.name} is on ${suite.dataset}, not ${entry.id}; drop --dataset`);
    if (flags.protocol && (protocol ?? resolveProtocolName(getDataset(suite.dataset, catalog), flags.protocol)) !== suite.protocol) {
      throw new UsageError(`${command}: suite ${suite.name} is protocol ${suite.protocol}, not ${flags.protocol}; drop --protocol`);
    }
    return { dataset: suite.dataset, protocol: suite.protocol, suite, catalog };
  }
  if (requireDataset && !entry) throw new UsageError(`${command}: give --dataset D (and optionally --protocol P), or --suite S`);
  return { dataset: entry?.id, protocol, suite: null, catalog };
}

/** The committed published numbers; none (with a notice) when the file is absent from this install. */
export function loadPublishedRows(notices: string[]): PublishedRow[] {
  if (!existsSync(PUBLISHED_FILE)) {
    notices.push(`${PUBLISHED_FILE} not found: published columns are empty (node benchmarks/build-published.mjs writes it)`);
    return [];
  }
  return readReferenceFile(PUBLISHED_FILE, (msg) => new SslBenchError('SSLB_PUBLISHED_INVALID', msg));
}
