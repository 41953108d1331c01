/**
 * Settings and their defaults: the one place they are declared. The CLI, the engine and (later) the language server
 * read them from here; a test checks that package.json declares the same defaults.
 */
import type { Confidence, Severity } from '../engine/types';

/** Per rule id or id prefix ("SAI2", "SAI202"): a severity, or "off". The longest matching key wins. */
export type RuleOverrides = Record<string, Severity | 'off'>;

export interface Settings {
  enable: boolean;
  run: 'onType' | 'onSave';
  rules: RuleOverrides;
  minConfidence: Confidence;
  exclude: string[];
  maxFileSizeKb: number;
  /** Where "Secure AI: Generate Threat Model" writes, relative to the workspace folder (never outside it). */
  'threatModel.path': string;
  /** Where "Secure AI: Export AI Bill of Materials" writes, relative to the workspace folder (never outside it). */
  'bom.path': string;
  /**
   * Model files (`.pt`, `.pkl`, …) larger than this (in MB) are not scanned for code (SAI210): they get a notice.
   * Scanning reads only the pickle streams of an archive, but a plain pickle is read whole.
   */
  maxModelFileSizeMb: number;
}

export const DEFAULT_SETTINGS: Readonly<Settings> = Object.freeze({
  enable: true,
  run: 'onType',
  rules: {},
  minConfidence: 'low',
  exclude: [],
  maxFileSizeKb: 2048,
  'threatModel.path': 'THREAT_MODEL.md',
  'bom.path': 'ai-bom.cdx.json',
  maxModelFileSizeMb: 512,
});

export function withDefaults(partial: Partial<Settings> | undefined): Settings {
  return { ...DEFAULT_SETTINGS, ...(partial ?? {}) } as Settings;
}

/** The override that applies to a rule id: the longest key that is a prefix of the id. */
export function ruleOverride(rules: RuleOverrides, ruleId: string): Severity | 'off' | undefined {
  let best: string | undefined;
  for (const key of Object.keys(rules)) {
    if (ruleId.startsWith(key) && (best === undefined || key.length > best.length)) best = key;
  }
  return best === undefined ? undefined : rules[best];
}
