import type { DatasetEntry } from './catalog.js';
import type { CaseSource } from './types.js';

/** The case source of a catalog entry: the embedded generator, or the files under the data directory. */
export async function openCaseSource(entry: DatasetEntry, options: { dataDir: string }): Promise<CaseSource> {
  if (entry.kind === 'synthetic') {
    const { SyntheticSource } = await import('./synthetic.js');
    return new SyntheticSource(entry);
  }
  const { openFileSource } = await import('./file-source.js');
  return openFileSource(entry, options.dataDir);
}
