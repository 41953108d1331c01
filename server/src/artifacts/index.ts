/**
 * The model-artifact scanner (issue 6): third-party weights are untrusted code (NCSC 1.3). It reads pickles (every
 * protocol, joblib and dill files, compressed or not), PyTorch checkpoints (zip and legacy), numpy `.npy`/`.npz`,
 * Keras `.keras`/`.h5` and safetensors files, never unpickling or executing anything, and reports what they import
 * when loaded, classified against an allowlist, a denylist and the classes of well-known ML libraries. Messages show
 * the names a file chooses escaped (text.ts); Git LFS pointers and paths that are not regular files are noted, not read.
 */
export { ARTIFACT_EXTENSIONS, DEFAULT_ARTIFACT_LIMITS } from './types';
export type { ArtifactFormat, ArtifactIssue, ArtifactIssueKind, ArtifactLimits, ArtifactReport, ImportClassification, PickleImport } from './types';
export { hasPickleMagic } from './pickle';
export { classifyGlobal } from './classify';
export { isArtifactPath, isLfsPointer, looksLikeArtifact, scanArtifactBytes, scanArtifactFile, verdictOf } from './scan';
export { shown } from './text';
