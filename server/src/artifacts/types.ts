/**
 * The model-artifact scanner's data: what a scan reports, its limits, and the file extensions it looks at. Plain data
 * (no classes, no functions inside), so a report can cross a worker thread or be written as JSON.
 */

/** File extensions (lower case, with the dot) of model and data files the scanner reads. */
export const ARTIFACT_EXTENSIONS: readonly string[] = Object.freeze([
  '.pkl',
  '.pickle',
  '.joblib',
  '.dill',
  '.pt',
  '.pth',
  '.bin',
  '.ckpt',
  '.npy',
  '.npz',
  '.h5',
  '.keras',
  '.safetensors',
]);

/** Extensions whose files are loaded with `pickle.load` (or joblib / dill) whatever their first bytes are. */
export const PICKLE_EXTENSIONS: readonly string[] = Object.freeze(['.pkl', '.pickle', '.joblib', '.dill']);

/**
 * How much a scan may read. Every limit turns into a `limit` issue (a warning that says what was not scanned) when
 * it is reached; none of them makes a scan throw. `hash` says whether the whole file is hashed at all.
 */
export interface ArtifactLimits {
  /**
   * Whether to compute the file's `sha256` (a second pass over the whole file, up to `maxFileBytes`). Callers that do
   * not use the hash (`secure-ai scan`) turn it off: then no `sha256` and no "too large to hash" note.
   */
  hash: boolean;
  /** Files larger than this are not hashed (no `sha256`); their pickles, zip members and headers are still scanned. */
  maxFileBytes: number;
  /**
   * The most bytes read from one pickle stream, zip member or header, counted as read from disk or inflated (a
   * skipped `bytes` payload of a file on disk is not read, so a 2 GB pickle of arrays costs little).
   */
  maxMemberBytes: number;
  /** The most bytes inflated from all the members of one archive, nested archives included (zip bombs). */
  maxTotalUncompressedBytes: number;
  /** The most entries listed from one archive's central directory. */
  maxMembers: number;
  /** How deep archives inside archives are opened: 1 scans the top archive only. */
  maxZipDepth: number;
  /** The most pickle opcodes walked in one file, over all its pickles. */
  maxOpcodes: number;
}

const MB = 1024 * 1024;

export const DEFAULT_ARTIFACT_LIMITS: Readonly<ArtifactLimits> = Object.freeze({
  hash: true,
  maxFileBytes: 512 * MB,
  maxMemberBytes: 64 * MB,
  maxTotalUncompressedBytes: 512 * MB,
  maxMembers: 50_000,
  maxZipDepth: 3,
  maxOpcodes: 10_000_000,
});

/**
 * What the file is, by its content (and its extension where the content alone does not say):
 * - `pickle`: a plain pickle stream (also joblib and dill files, compressed with zlib or gzip or not);
 * - `pytorch-zip`: a zip archive with a `data.pkl` (`torch.save` since 1.6, TorchScript);
 * - `pytorch-legacy`: `torch.save`'s format before 1.6: stacked pickles, then raw storage bytes;
 * - `numpy` / `numpy-zip`: a `.npy` array / a `.npz` archive of them;
 * - `keras`: a Keras 3 `.keras` zip archive; `hdf5`: an HDF5 file (a Keras `.h5` model or weights);
 * - `safetensors`; `zip`: any other zip archive; `unknown`: none of these.
 */
export type ArtifactFormat =
  | 'pickle'
  | 'pytorch-zip'
  | 'pytorch-legacy'
  | 'numpy'
  | 'numpy-zip'
  | 'keras'
  | 'hdf5'
  | 'safetensors'
  | 'zip'
  | 'unknown';

/**
 * How an import is classified (see classify.ts):
 * - `safe`: on the allowlist (PyTorch's `weights_only` allowlist, plain data types);
 * - `library`: a class (or a known data constructor) of a well-known data or ML library (scikit-learn, pandas,
 *   numpy, scipy.sparse, xgboost, lightgbm, catboost, tokenizers, sentencepiece) whose rebuilding runs only that
 *   library's code on the file's data; like `safe`, it gives no issue;
 * - `dangerous`: on the denylist (an error); `unknown`: anything else (a warning).
 */
export type ImportClassification = 'safe' | 'library' | 'dangerous' | 'unknown';

/** A global a pickle imports when it is loaded (or a module and class a Keras config names). */
export interface PickleImport {
  /** As found in the file (not escaped; names over 200 characters are cut). Never print it raw: see text.ts. */
  module: string;
  name: string;
  /**
   * The archive member it was found in (`archive/data.pkl`; `outer.zip!/inner/data.pkl` for a nested archive), as
   * found in the archive.
   */
  member?: string;
  classification: ImportClassification;
}

export type ArtifactIssueKind =
  | 'dangerous-import'
  | 'unknown-import'
  | 'unreadable'
  | 'lambda-layer'
  | 'not-scanned'
  | 'object-array'
  | 'invalid-safetensors'
  | 'limit';

export interface ArtifactIssue {
  kind: ArtifactIssueKind;
  severity: 'error' | 'warning' | 'info';
  /**
   * One sentence: what was found and what it means, identifiers in backticks. Text from the file (names, members)
   * is shown escaped (no control or bidi characters, no backticks, at most 120 characters each; see text.ts).
   */
  message: string;
  /**
   * The same, as a phrase about the file for a one-line verdict: "its pickle imports `os.system`", "its pickle
   * imports `foo.Bar`, which is not on the allowlist".
   */
  summary: string;
  /** The archive member it concerns, shown as in the message (escaped; `PickleImport.member` holds it as found). */
  member?: string;
}

export interface ArtifactReport {
  path: string;
  format: ArtifactFormat;
  /** Bytes. */
  size: number;
  /**
   * Lowercase hex SHA-256 of the whole file; absent when hashing is off (`hash: false`), or the file is larger than
   * `maxFileBytes` or could not be read.
   */
  sha256?: string;
  /** Every distinct global imported (per member), safe ones included, in the order first seen. */
  imports: PickleImport[];
  issues: ArtifactIssue[];
}

/** `limits` completed with the defaults; non-finite or negative values fall back to the default. */
export function resolveLimits(limits?: Partial<ArtifactLimits>): ArtifactLimits {
  const out: ArtifactLimits = { ...DEFAULT_ARTIFACT_LIMITS };
  if (!limits) return out;
  for (const key of Object.keys(out) as Array<keyof ArtifactLimits>) {
    if (key === 'hash') continue;
    const v: unknown = limits[key];
    if (typeof v === 'number' && Number.isFinite(v) && v >= 0) out[key] = Math.floor(v);
  }
  if (typeof limits.hash === 'boolean') out.hash = limits.hash;
  return out;
}
