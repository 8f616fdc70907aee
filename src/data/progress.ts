/**
 * @file One self-overwriting status line on a terminal (files, bytes, rate, ETA). Only used when
 * `wantsProgress()` says a person is watching; everything else stays line-oriented.
 */

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[u]}`;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export interface TransferSnapshot {
  filesDone: number;
  filesTotal: number;
  bytesDone: number;
  bytesTotal: number;
  /** Bytes that actually crossed the network this run (the rate ignores files already present). */
  bytesReceived: number;
}

/** "37/100 files  82.1 MiB/239 MiB  12.3 MiB/s  ETA 13s" */
export function describeTransfer(p: TransferSnapshot, elapsedSeconds: number): string {
  const rate = elapsedSeconds > 0 ? p.bytesReceived / elapsedSeconds : 0;
  const parts = [`${p.filesDone}/${p.filesTotal} files`];
  parts.push(p.bytesTotal > 0 ? `${formatBytes(p.bytesDone)}/${formatBytes(p.bytesTotal)}` : formatBytes(p.bytesDone));
  parts.push(`${formatBytes(Math.round(rate))}/s`);
  if (p.bytesTotal > 0 && rate > 0) parts.push(`ETA ${formatDuration(Math.max(0, p.bytesTotal - p.bytesDone) / rate)}`);
  return parts.join('  ');
}

export class StatusLine {
  private last = 0;
  private width = 0;

  constructor(private readonly stream: NodeJS.WriteStream, private readonly intervalMs = 100) {}

  /** Redraws at most every intervalMs unless `force`. */
  update(text: string, force = false): void {
    const now = Date.now();
    if (!force && now - this.last < this.intervalMs) return;
    this.last = now;
    const max = Math.max(20, (this.stream.columns || 100) - 1);
    const line = text.length > max ? text.slice(0, max - 1) + '…' : text;
    this.stream.write(`\r${line}${' '.repeat(Math.max(0, this.width - line.length))}`);
    this.width = line.length;
  }

  /** Erases the line so normal output continues on a clean row. */
  clear(): void {
    if (this.width > 0) this.stream.write(`\r${' '.repeat(this.width)}\r`);
    this.width = 0;
  }
}
