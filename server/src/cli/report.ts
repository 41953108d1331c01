/** What a scan returns per file. */
import type { Finding, Notice } from '../engine/types';

/**
 * The engine's notice kinds, plus two that only a scan over files can meet: the file could not be read, or the
 * worker analysing it died.
 */
export type FileNoticeKind = Notice['kind'] | 'unreadable' | 'worker-crashed';

export interface FileNotice {
  kind: FileNoticeKind;
  message: string;
}

export interface FileReport {
  /** The path as it was handed to the scan. */
  path: string;
  /** Every finding, suppressed ones included (they carry `suppressed`). */
  findings: Finding[];
  /** Why the file was not (fully) analysed; empty for a normal file. */
  notices: FileNotice[];
  /** False when the file was skipped before parsing (no rule's trigger word, too large, undecodable). */
  parsed: boolean;
}
