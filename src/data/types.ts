/**
 * Shapes shared by every dataset. Volumes are C-order arrays indexed `data[(i * s1 + j) * s2 + k]`
 * for shape [s0, s1, s2] — the axis order of the upstream arrays (LA h5: x, y, z). 2-D datasets use
 * shape [s0, s1] for a slice and [slices, s0, s1] for a volume.
 */
export interface Volume {
  /** Case id as the split lists name it. */
  id: string;
  shape: number[];
  /** Intensities, already normalised as the papers' preprocessing leaves them. */
  image: Float32Array;
  /** Integer label map (0 = background); undefined for unlabeled-only cases. */
  label?: Uint8Array;
  /** Voxel spacing per axis in mm when known; the LA papers report voxel units regardless. */
  spacing?: number[];
}

/** Case ids of one protocol, in the order the papers use them. */
export interface Split {
  labeled: string[];
  unlabeled: string[];
  test: string[];
  val?: string[];
}

/** Where a run reads its cases from: an embedded generator or files under the data directory. */
export interface CaseSource {
  readonly datasetId: string;
  /** Loads one case (image and label). Throws an SslBenchError naming the file when it cannot. */
  load(id: string): Promise<Volume>;
  /** Case ids that are expected but absent (empty for complete or embedded datasets). */
  missing(ids: readonly string[]): Promise<string[]>;
}
