/**
 * Terminal and markdown rendering of result means: methods × (Dice, Jaccard, 95HD, ASD). Dice and
 * Jaccard are shown in % and distances in the record's unit, as the papers print them.
 */
import Table from 'cli-table3';
import type { ResultRecord } from './record.js';

export interface TableRow {
  method: string;
  dice: number;
  jaccard: number;
  hd95: number;
  asd: number;
  notes: string[];
}

export function rowFromRecord(r: ResultRecord): TableRow {
  const notes: string[] = [];
  if (r.evaluation.largestComponent) notes.push('LCC');
  if (r.flags.emptyPredictions > 0) notes.push(`${r.flags.emptyPredictions} empty prediction(s) scored 0`);
  if (r.dataset.partial) notes.push('partial dataset');
  if (r.profile !== 'paper') notes.push(`profile ${r.profile}`);
  return { method: r.method.id, ...r.mean, notes };
}

export function renderTerminalTable(title: string, rows: readonly TableRow[], unit: string): string {
  // Colour codes only for a terminal; piped output stays plain text.
  const style = process.stdout.isTTY ? {} : { head: [], border: [] };
  const table = new Table({ head: ['method', 'Dice (%)', 'Jaccard (%)', `95HD (${unit})`, `ASD (${unit})`, 'notes'], style });
  for (const r of rows) {
    table.push([r.method, (100 * r.dice).toFixed(2), (100 * r.jaccard).toFixed(2), r.hd95.toFixed(2), r.asd.toFixed(2), r.notes.join('; ')]);
  }
  return `${title}\n${table.toString()}\n`;
}
