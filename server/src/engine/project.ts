/**
 * Facts about the project around a file, gathered before its Python files are analysed: what the dependency
 * manifests pin, whether a lock file exists, and which model artifacts the scanner found dangerous. Plain data, so a
 * scan can hand it to its worker threads. Every field is optional: a single file analysed alone has no project.
 */

/** What the model-artifact scanner concluded about one file, as rules on Python code need it. */
export interface ArtifactVerdict {
  /** `error`: a known-dangerous import; `warning`: an unknown import or a stream that could not be read. */
  severity: 'error' | 'warning';
  /** One line for a message: "its pickle imports `os.system`". */
  summary: string;
}

export interface ProjectFacts {
  /** Folders the project's relative paths may be read against (workspace folders, the scan's roots). */
  roots?: string[];
  /**
   * The lowest torch version the manifests allow, when every manifest that names torch bounds it from below
   * (`torch==2.6.0`, `torch>=2.6`), with the place that says so (`requirements.txt:3`).
   */
  torch?: { minimum: string; where: string };
  /**
   * Lock files found (absolute paths): `poetry.lock`, `uv.lock`, …, or a requirements file with a hash on every
   * line. A lock file covers the manifests in its folder and below.
   */
  lockFiles?: string[];
  /** Model artifacts the scanner flagged, by absolute path. Safe artifacts are not listed. */
  artifacts?: Record<string, ArtifactVerdict>;
}
