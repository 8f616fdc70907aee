/**
 * @file Table sections as text: terminal (cli-table3), markdown, CSV (csv-stringify) and JSON. Every
 * format carries the same numbers: Dice/Jaccard in %, distances in the records' unit, mean ± std over
 * seeds with n, the published number and the difference, and the comparability markers.
 */
import Table from 'cli-table3';
import { stringify } from 'csv-stringify/sync';
import { METRIC_KEYS, type MetricKey } from './store.js';
import { MARKERS, type MarkerCode, type MetricCell, type TableRow, type TableSection } from './aggregate.js';
import { loadCatalog, type Catalog } from '../data/catalog.js';

export const FORMATS = ['terminal', 'md', 'csv', 'json'] as const;
export type TableFormat = (typeof FORMATS)[number];

export interface RenderOptions {
  currentVersion: string;
  /** Rows of other harness versions are included: show a version column. */
  allVersions: boolean;
  catalog?: Catalog;
}

/**
 * cli-table3 options: no row separators (tables of many rows stay readable), and colour codes only for
 * a terminal so that piped output is plain text.
 */
export function tableOptions(isTTY = Boolean(process.stdout.isTTY)) {
  return {
    style: isTTY ? {} : { head: [], border: [] },
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  };
}

export function fmt(v: number | null, digits = 2): string {
  return v === null ? '—' : v.toFixed(digits);
}

export function signed(v: number | null, digits = 2): string {
  if (v === null) return '—';
  const r = v.toFixed(digits);
  if (Number(r) === 0) return (0).toFixed(digits);
  return v > 0 ? `+${r}` : r;
}

export function metricHeader(key: MetricKey, unit: string): string {
  return { dice: 'Dice (%)', jaccard: 'Jaccard (%)', hd95: `95HD (${unit})`, asd: `ASD (${unit})` }[key];
}

export function measuredText(c: MetricCell, n: number): string {
  if (c.mean === null) return n === 0 ? 'not run' : '—';
  return c.std === null ? fmt(c.mean) : `${fmt(c.mean)} ± ${fmt(c.std)}`;
}

export function publishedText(c: MetricCell): string {
  if (c.published === null) return '—';
  return c.delta === null ? fmt(c.published) : `${fmt(c.published)} (${signed(c.delta)})`;
}

export function markerText(row: TableRow): string {
  return row.markers.map((m) => (m.detail ? `${m.code}: ${m.detail}` : m.code)).join('; ');
}

/** Legend lines for the markers used in these rows, in a fixed order. */
export function legend(rows: readonly TableRow[]): string[] {
  const used = new Set(rows.flatMap((r) => r.markers.map((m) => m.code)));
  return (Object.keys(MARKERS) as MarkerCode[]).filter((c) => used.has(c)).map((c) => `${c} = ${MARKERS[c]}`);
}

export function sectionTitle(s: TableSection, opts: RenderOptions): string {
  const catalog = opts.catalog ?? loadCatalog();
  const spec = catalog.datasets.find((d) => d.id === s.dataset)?.protocols[s.protocol];
  const parts = [`${s.dataset} ${s.protocol}`];
  if (spec) {
    const c = spec.patients ?? { labeled: spec.labeled, unlabeled: spec.unlabeled };
    const unit = spec.patients ? 'patients' : 'cases';
    parts.push(`${c.labeled} labeled + ${c.unlabeled} unlabeled ${unit}${spec.percent ? ` (${spec.percent})` : ''}`);
  }
  const tests = s.rows.map((r) => r.testCases).filter((t): t is number => t !== null);
  if (tests.length > 0) parts.push(`${Math.max(...tests)} test cases`);
  parts.push(opts.allVersions ? 'records of every harness version' : `records of ssl-bench ${opts.currentVersion}`);
  const title = parts.join(' — ');
  return s.suite ? `suite ${s.suite.name}: ${s.suite.title}\n${title}` : title;
}

function unitOf(s: TableSection): string {
  return s.rows.find((r) => r.n > 0)?.distanceUnit ?? 'voxel';
}

function head(s: TableSection, opts: RenderOptions): string[] {
  const unit = unitOf(s);
  return ['method', ...(opts.allVersions ? ['version'] : []), 'profile', 'n', ...METRIC_KEYS.flatMap((k) => [metricHeader(k, unit), 'published (Δ)']), 'notes'];
}

function cells(r: TableRow, opts: RenderOptions): string[] {
  return [
    r.method,
    ...(opts.allVersions ? [r.version ?? '—'] : []),
    r.profile ?? '—',
    String(r.n),
    ...METRIC_KEYS.flatMap((k) => [measuredText(r.metrics[k], r.n), publishedText(r.metrics[k])]),
    markerText(r),
  ];
}

export function renderTerminal(sections: readonly TableSection[], opts: RenderOptions, isTTY = Boolean(process.stdout.isTTY)): string {
  const out: string[] = [];
  for (const s of sections) {
    const table = new Table({ head: head(s, opts), ...tableOptions(isTTY) });
    for (const r of s.rows) table.push(cells(r, opts));
    out.push(sectionTitle(s, opts), table.toString(), ...legend(s.rows), '');
  }
  return out.join('\n');
}

export function escapeMd(text: string): string {
  return text.replace(/\|/g, '\\|');
}

export function renderMarkdown(sections: readonly TableSection[], opts: RenderOptions): string {
  const out: string[] = [];
  for (const s of sections) {
    const [first, ...rest] = sectionTitle(s, opts).split('\n');
    out.push(`### ${escapeMd(first)}`, '', ...rest.map((l) => `${escapeMd(l)}`), ...(rest.length ? [''] : []));
    const h = head(s, opts);
    out.push(`| ${h.map(escapeMd).join(' | ')} |`);
    out.push(`|${h.map((c) => (c === 'method' || c === 'profile' || c === 'version' || c === 'notes' ? ' --- ' : ' ---: ')).join('|')}|`);
    for (const r of s.rows) out.push(`| ${cells(r, opts).map(escapeMd).join(' | ')} |`);
    const lines = legend(s.rows);
    if (lines.length) out.push('', ...lines.map((l) => `- ${escapeMd(l)}`));
    out.push('');
  }
  return out.join('\n');
}

function round(v: number | null, digits = 4): number | null {
  return v === null ? null : Number(v.toFixed(digits));
}

export function rowJson(r: TableRow) {
  return {
    dataset: r.dataset,
    protocol: r.protocol,
    method: r.method,
    version: r.version,
    profile: r.profile,
    checkpoint: r.checkpoint,
    partial: r.partial,
    fingerprint: r.fingerprint,
    n: r.n,
    seeds: r.seeds,
    metrics: Object.fromEntries(METRIC_KEYS.map((k) => [k, r.metrics[k]])),
    published: r.published && {
      key: r.published.key,
      status: r.published.status,
      verified: r.published.verified,
      reportedBy: r.published.reportedBy,
      paper: r.published.paper,
      variant: r.published.variant,
    },
    markers: r.markers.map((m) => ({ code: m.code, detail: m.detail, meaning: MARKERS[m.code] })),
    records: r.records.map((x) => x.relPath),
    superseded: r.superseded.map((x) => x.relPath),
  };
}

export function renderJson(sections: readonly TableSection[], opts: RenderOptions): string {
  const doc = {
    schema: 'ssl-bench/table',
    schemaVersion: 1,
    version: opts.currentVersion,
    allVersions: opts.allVersions,
    units: { dice: '%', jaccard: '%', hd95: unitOfAll(sections), asd: unitOfAll(sections) },
    sections: sections.map((s) => ({ dataset: s.dataset, protocol: s.protocol, suite: s.suite?.name ?? null, title: sectionTitle(s, opts), rows: s.rows.map(rowJson) })),
  };
  return JSON.stringify(doc, null, 2) + '\n';
}

function unitOfAll(sections: readonly TableSection[]): string {
  return sections.map(unitOf)[0] ?? 'voxel';
}

export function renderCsv(sections: readonly TableSection[]): string {
  const columns = [
    'dataset',
    'protocol',
    'suite',
    'method',
    'version',
    'profile',
    'checkpoint',
    'partial',
    'fingerprint',
    'n',
    'seeds',
    ...METRIC_KEYS.flatMap((k) => [`${k}_mean`, `${k}_std`, `${k}_published`, `${k}_delta`]),
    'published_key',
    'published_status',
    'published_verified',
    'markers',
    'records',
  ];
  const rows = sections.flatMap((s) =>
    s.rows.map((r) => [
      r.dataset,
      r.protocol,
      s.suite?.name ?? '',
      r.method,
      r.version ?? '',
      r.profile ?? '',
      r.checkpoint ?? '',
      r.n > 0 ? String(r.partial) : '',
      r.fingerprint ?? '',
      r.n,
      r.seeds.join(' '),
      ...METRIC_KEYS.flatMap((k) => {
        const c = r.metrics[k];
        return [round(c.mean), round(c.std), c.published, round(c.delta)].map((v) => (v === null ? '' : v));
      }),
      r.published?.key ?? '',
      r.published?.status ?? '',
      r.published ? String(r.published.verified) : '',
      r.markers.map((m) => (m.detail ? `${m.code}:${m.detail}` : m.code)).join(';'),
      r.records.map((x) => x.relPath).join(';'),
    ]),
  );
  return stringify(rows, { header: true, columns });
}
