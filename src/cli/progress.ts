/** A single live status line on stderr for people at a terminal; silent otherwise. */
export class ProgressLine {
  private last = 0;
  private width = 0;
  constructor(private readonly enabled: boolean) {}

  update(text: string, force = false): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (!force && now - this.last < 100) return;
    this.last = now;
    const line = text.length > 150 ? text.slice(0, 150) : text;
    process.stderr.write(`\r${line}${' '.repeat(Math.max(0, this.width - line.length))}`);
    this.width = line.length;
  }

  done(text?: string): void {
    if (!this.enabled) return;
    if (text !== undefined) this.update(text, true);
    process.stderr.write('\n');
    this.width = 0;
  }
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(r).padStart(2, '0')}s` : `${r}s`;
}
