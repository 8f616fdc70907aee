/**
 * @file From records to table rows: records are pooled only when they are the same experiment up to the
 * seed (harness version, dataset, protocol, method, profile, config fingerprint, reported checkpoint,
 * complete or partial data), summarised as mean ± sample std over seeds in the units the papers print
 * (Dice/Jaccard in %, distances in voxels), set beside the published number, and marked wherever the
 * comparison is not like for like.
 */
import { loadCatalog, type Catalog } from '../data/catalog.js';
import { METRIC_KEYS, type MetricKey, type StoredRecord } from './store.js';
import { lookupPublished, type PublishedRow } from './published.js';
import { suiteReferenceKey, type Suite } from './suites.js';

/** Paper-table row order for methods; others follow alphabetically. */
export const METHOD_ORDER = ['supervised', 'mt', 'ua-mt', 'dtc', 'upc', 'mcf', 'bcp', 'cml', 'ac-mt', 'dycon'];
const PROFILE_ORDER = ['paper', 'cpu', 'smoke'];

/** Comparability markers, in legend order. */
export const MARKERS = {
  T: 'a checkpoint was picked by its Dice on the test set',
  C: "reported checkpoint differs from the paper's",
  L: 'largest-connected-component post-processing',
  P: 'partial dataset: some cases were missing',
  S: "profile other than 'paper': not the papers' training settings",
  U: 'published number not verified against the paper (its status in results/published.json)',
  M: 'stored mean disagrees with the per-case metrics; recomputed from the cases',
  E: 'empty predictions, scored 0 on every metric',
  K: 'labels of the unlabeled cases were used (DyCON official-code leak, opt-in)',
} as const;
export type MarkerCode = keyof typeof MARKERS;

export interface Marker {
  code: MarkerCode;
  /** Short row-specific detail (`smoke`, `seed_only`, `3 cases`…), or empty. */
  detail: string;
}

export interface MetricCell {
  /** Mean over seeds in table units; null when the row has no records. */
  mean: number | null;
  /** Sample standard deviation over seeds (n − 1); null below two seeds. */
  std: number | null;
  published: number | null;
  /** mean − published. */
  delta: number | null;
}

export interface TableRow {
  dataset: string;
  protocol: string;
  method: string;
  version: string | null;
  profile: string | null;
  fingerprint: string | null;
  checkpoint: string | null;
  partial: boolean;
  n: number;
  seeds: number[];
  metrics: Record<MetricKey, MetricCell>;
  published: PublishedRow | null;
  markers: Marker[];
  /** One record per seed (the newest where a seed was run more than once), by seed. */
  records: StoredRecord[];
  /** Older records of a seed that has a newer one. */
  superseded: StoredRecord[];
  testCases: number | null;
  distanceUnit: string;
}

export interface TableSection {
  dataset: string;
  protocol: string;
  suite: Suite | null;
  rows: TableRow[];
}

export interface SectionOptions {
  dataset?: string;
  protocol?: string;
  suite?: Suite | null;
  /** Also records of other harness versions, as their own rows. */
  allVersions?: boolean;
  currentVersion: string;
  published: readonly PublishedRow[];
  /** Apply the suite's pinned published rows (only meaningful when `published` is results/published.json). */
  usePins?: boolean;
  catalog?: Catalog;
}

export interface Sections {
  sections: TableSection[];
  /** Records in scope left out because they come from another harness version. */
  otherVersions: number;
}

/** Papers print Dice and Jaccard in %. */
export function toTableUnits(key: MetricKey, value: number): number {
  return key === 'dice' || key === 'jaccard' ? 100 * value : value;
}

export function higherIsBetter(key: MetricKey): boolean {
  return key === 'dice' || key === 'jaccard';
}

export function meanStd(values: readonly number[]): { mean: number; std: number | null } {
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  if (values.length < 2) return { mean, std: null };
  const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1);
  return { mean, std: Math.sqrt(variance) };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function orderIndex(order: readonly string[], v: string | null): number {
  const i = v === null ? -1 : order.indexOf(v);
  return i < 0 ? order.length : i;
}

/** Compares dotted versions numerically, newest first. */
function newerFirst(a: string, b: string): number {
  const pa = a.split(/[.-]/);
  const pb = b.split(/[.-]/);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? '';
    const y = pb[i] ?? '';
    const nx = Number(x);
    const ny = Number(y);
    const d = Number.isFinite(nx) && Number.isFinite(ny) && x !== '' && y !== '' ? ny - nx : cmp(y, x);
    if (d !== 0) return d;
  }
  return 0;
}

function groupKey(r: StoredRecord): string {
  const rec = r.record;
  return [rec.sslBench.version, rec.dataset.id, rec.dataset.protocol, rec.method.id, rec.profile, r.fingerprint, rec.evaluation.checkpoint, String(rec.dataset.partial)].join('\u0000');
}

/** Newest record per seed: records of one seed and config are repeats, not more samples. */
function onePerSeed(records: StoredRecord[]): { kept: StoredRecord[]; superseded: StoredRecord[] } {
  const bySeed = new Map<number, StoredRecord[]>();
  for (const r of records) bySeed.set(r.record.seed, [...(bySeed.get(r.record.seed) ?? []), r]);
  const kept: StoredRecord[] = [];
  const superseded: StoredRecord[] = [];
  for (const seed of [...bySeed.keys()].sort((a, b) => a - b)) {
    const list = bySeed.get(seed)!.sort((a, b) => cmp(b.record.createdAt ?? '', a.record.createdAt ?? '') || cmp(b.record.id, a.record.id));
    kept.push(list[0]);
    superseded.push(...list.slice(1));
  }
  return { kept, superseded };
}

function markersFor(records: StoredRecord[], published: PublishedRow | null, profile: string | null): Marker[] {
  const out: Marker[] = [];
  const ev = records.map((r) => r.record.evaluation);
  // A multi-stage method can pick an intermediate stage on the test set even when the final checkpoint is the last one.
  if (ev.some((e) => e.checkpoint === 'best-on-test' || e.testSetUsedForSelection === true)) out.push({ code: 'T', detail: '' });
  const differs = ev.find((e) => e.paperCheckpoint !== undefined && e.paperCheckpoint !== e.checkpoint);
  if (differs) out.push({ code: 'C', detail: `paper: ${differs.paperCheckpoint}` });
  if (ev.some((e) => e.largestComponent)) out.push({ code: 'L', detail: '' });
  const missing = Math.max(0, ...records.map((r) => (r.record.dataset.partial ? r.record.dataset.missing?.length ?? 1 : 0)));
  if (records.some((r) => r.record.dataset.partial)) out.push({ code: 'P', detail: `${missing} missing` });
  if (profile !== null && profile !== 'paper') out.push({ code: 'S', detail: profile });
  if (published && !published.verified) out.push({ code: 'U', detail: published.status });
  const mismatched = records.filter((r) => r.meanMismatch.length > 0).length;
  if (mismatched > 0) out.push({ code: 'M', detail: `${mismatched} record(s)` });
  const empty = records.reduce((s, r) => s + r.record.cases.filter((c) => c.emptyPrediction).length, 0);
  if (empty > 0) out.push({ code: 'E', detail: `${empty} case(s)` });
  if (records.some((r) => r.record.training.usedUnlabeledLabels === true)) out.push({ code: 'K', detail: '' });
  return out;
}

function metricCells(records: StoredRecord[], published: PublishedRow | null): Record<MetricKey, MetricCell> {
  return Object.fromEntries(
    METRIC_KEYS.map((k) => {
      const pub = published?.metrics[k] ?? null;
      if (records.length === 0) return [k, { mean: null, std: null, published: pub, delta: null }];
      const { mean, std } = meanStd(records.map((r) => toTableUnits(k, r.derived[k])));
      return [k, { mean, std, published: pub, delta: pub === null ? null : mean - pub }];
    }),
  ) as Record<MetricKey, MetricCell>;
}

/** Catalog order for datasets and their protocols; unknown ones after, alphabetically. */
function sectionOrder(catalog: Catalog): (a: { dataset: string; protocol: string }, b: { dataset: string; protocol: string }) => number {
  const datasets = catalog.datasets.map((d) => d.id);
  const protocols = new Map(catalog.datasets.map((d) => [d.id, Object.keys(d.protocols)]));
  return (a, b) =>
    orderIndex(datasets, a.dataset) - orderIndex(datasets, b.dataset) ||
    cmp(a.dataset, b.dataset) ||
    orderIndex(protocols.get(a.dataset) ?? [], a.protocol) - orderIndex(protocols.get(b.dataset) ?? [], b.protocol) ||
    cmp(a.protocol, b.protocol);
}

/** Rows of every dataset × protocol in scope, in a stable order. */
export function buildSections(all: readonly StoredRecord[], opts: SectionOptions): Sections {
  const suite = opts.suite ?? null;
  const dataset = suite?.dataset ?? opts.dataset;
  const protocol = suite?.protocol ?? opts.protocol;
  let inScope = all.filter((r) => (!dataset || r.record.dataset.id === dataset) && (!protocol || r.record.dataset.protocol === protocol));
  if (suite) inScope = inScope.filter((r) => r.record.profile === suite.profile && suite.methods.includes(r.record.method.id));
  const current = opts.allVersions ? inScope : inScope.filter((r) => r.record.sslBench.version === opts.currentVersion);
  const otherVersions = inScope.length - current.length;

  const groups = new Map<string, StoredRecord[]>();
  for (const r of current) groups.set(groupKey(r), [...(groups.get(groupKey(r)) ?? []), r]);

  const methodOrder = suite ? [...suite.methods, ...METHOD_ORDER.filter((m) => !suite.methods.includes(m))] : METHOD_ORDER;
  const sectionMap = new Map<string, TableSection>();
  const sectionFor = (ds: string, proto: string): TableSection => {
    const k = `${ds}\u0000${proto}`;
    let s = sectionMap.get(k);
    if (!s) {
      s = { dataset: ds, protocol: proto, suite, rows: [] };
      sectionMap.set(k, s);
    }
    return s;
  };
  const referenceKey = (method: string) => (suite && opts.usePins !== false ? suiteReferenceKey(suite, method, opts.published) : undefined);

  for (const list of groups.values()) {
    const first = list[0].record;
    const { kept, superseded } = onePerSeed(list);
    const published = lookupPublished(opts.published, { dataset: first.dataset.id, protocol: first.dataset.protocol, method: first.method.id, profile: first.profile }, referenceKey(first.method.id));
    sectionFor(first.dataset.id, first.dataset.protocol).rows.push({
      dataset: first.dataset.id,
      protocol: first.dataset.protocol,
      method: first.method.id,
      version: first.sslBench.version,
      profile: first.profile,
      fingerprint: list[0].fingerprint,
      checkpoint: first.evaluation.checkpoint,
      partial: first.dataset.partial,
      n: kept.length,
      seeds: kept.map((r) => r.record.seed),
      metrics: metricCells(kept, published),
      published,
      markers: markersFor(kept, published, first.profile),
      records: kept,
      superseded,
      testCases: Math.max(...kept.map((r) => r.record.dataset.test)),
      distanceUnit: first.evaluation.distanceUnit ?? 'voxel',
    });
  }

  if (suite) {
    // The paper's table lists every method, run or not, with its published numbers.
    const section = sectionFor(suite.dataset, suite.protocol);
    for (const method of suite.methods) {
      if (section.rows.some((r) => r.method === method)) continue;
      const published = lookupPublished(opts.published, { dataset: suite.dataset, protocol: suite.protocol, method, profile: suite.profile }, referenceKey(method));
      section.rows.push({
        dataset: suite.dataset,
        protocol: suite.protocol,
        method,
        version: null,
        profile: null,
        fingerprint: null,
        checkpoint: null,
        partial: false,
        n: 0,
        seeds: [],
        metrics: metricCells([], published),
        published,
        markers: published && !published.verified ? [{ code: 'U', detail: published.status }] : [],
        records: [],
        superseded: [],
        testCases: null,
        distanceUnit: 'voxel',
      });
    }
  }

  // The current harness version first, then older ones newest first, then rows never run.
  const versionRank = (v: string | null) => (v === null ? 2 : v === opts.currentVersion ? 0 : 1);
  for (const s of sectionMap.values()) {
    s.rows.sort(
      (a, b) =>
        orderIndex(methodOrder, a.method) - orderIndex(methodOrder, b.method) ||
        cmp(a.method, b.method) ||
        versionRank(a.version) - versionRank(b.version) ||
        (a.version !== null && b.version !== null ? newerFirst(a.version, b.version) : 0) ||
        orderIndex(PROFILE_ORDER, a.profile) - orderIndex(PROFILE_ORDER, b.profile) ||
        cmp(a.profile ?? '', b.profile ?? '') ||
        cmp(a.checkpoint ?? '', b.checkpoint ?? '') ||
        Number(a.partial) - Number(b.partial) ||
        cmp(a.fingerprint ?? '', b.fingerprint ?? ''),
    );
  }
  const sections = [...sectionMap.values()].sort(sectionOrder(opts.catalog ?? loadCatalog()));
  return { sections, otherVersions };
}
