/**
 * Settings per resource: pulled with `workspace/configuration` (section `secureAi`, scoped to the file's URI), cached
 * per URI, cleared on `workspace/didChangeConfiguration`. Values the client sends are checked field by field; a
 * missing or malformed one takes its default from `DEFAULT_SETTINGS` (the one place defaults live).
 */
import { CONFIDENCES, SEVERITIES, type Confidence, type Severity } from '../engine/types';
import { DEFAULT_SETTINGS, type RuleOverrides, type Settings } from '../shared/settings';

export interface ConfigurationItem {
  scopeUri?: string;
  section?: string;
}

/** Asks the client for several items in one `workspace/configuration` request. */
export type ConfigurationFetcher = (items: ConfigurationItem[]) => Promise<unknown[]>;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The client's `secureAi` object as `Settings`; `problems` collects what was ignored and why. */
export function normalizeSettings(raw: unknown, problems: string[] = []): Settings {
  const d = DEFAULT_SETTINGS;
  if (raw === undefined || raw === null) return { ...d, rules: {}, exclude: [] };
  if (!isRecord(raw)) {
    problems.push('the secureAi settings are not an object; using the defaults');
    return { ...d, rules: {}, exclude: [] };
  }
  const pick = <T>(key: string, ok: (v: unknown) => v is T, fallback: T): T => {
    const v = raw[key];
    if (v === undefined || v === null) return fallback;
    if (ok(v)) return v;
    problems.push(`secureAi.${key}: ${JSON.stringify(v)} is not valid; using ${JSON.stringify(fallback)}`);
    return fallback;
  };
  const isBool = (v: unknown): v is boolean => typeof v === 'boolean';
  const isRun = (v: unknown): v is Settings['run'] => v === 'onType' || v === 'onSave';
  const isConfidence = (v: unknown): v is Confidence => typeof v === 'string' && (CONFIDENCES as readonly string[]).includes(v);
  const isSize = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0;

  const rules: RuleOverrides = {};
  const rawRules = raw.rules;
  if (isRecord(rawRules)) {
    for (const [key, value] of Object.entries(rawRules)) {
      if (typeof value === 'string' && (value === 'off' || (SEVERITIES as readonly string[]).includes(value))) {
        rules[key.trim().toUpperCase()] = value as Severity | 'off';
      } else {
        problems.push(`secureAi.rules.${key}: ${JSON.stringify(value)} is not one of ${[...SEVERITIES, 'off'].join(', ')}`);
      }
    }
  } else if (rawRules !== undefined && rawRules !== null) {
    problems.push('secureAi.rules is not an object of rule id (or prefix) to severity');
  }

  let exclude: string[] = [];
  const rawExclude = raw.exclude;
  if (Array.isArray(rawExclude)) {
    exclude = rawExclude.filter((p): p is string => typeof p === 'string' && p.trim() !== '');
    if (exclude.length !== rawExclude.length) problems.push('secureAi.exclude: entries that are not strings were ignored');
  } else if (rawExclude !== undefined && rawExclude !== null) {
    problems.push('secureAi.exclude is not an array of patterns');
  }

  // VS Code sends `secureAi.threatModel.path` nested (`{ threatModel: { path } }`); other clients may send it flat.
  const filePath = (section: 'threatModel' | 'bom'): string => {
    const key = `${section}.path` as const;
    const nested = raw[section];
    const v = isRecord(nested) ? nested.path : raw[key];
    if (typeof v === 'string' && v.trim() !== '') return v.trim();
    if (v !== undefined && v !== null) problems.push(`secureAi.${key}: ${JSON.stringify(v)} is not a file path; using ${JSON.stringify(d[key])}`);
    return d[key];
  };

  return {
    enable: pick('enable', isBool, d.enable),
    run: pick('run', isRun, d.run),
    rules,
    minConfidence: pick('minConfidence', isConfidence, d.minConfidence),
    exclude,
    maxFileSizeKb: pick('maxFileSizeKb', isSize, d.maxFileSizeKb),
    'threatModel.path': filePath('threatModel'),
    'bom.path': filePath('bom'),
    maxModelFileSizeMb: pick('maxModelFileSizeMb', isSize, d.maxModelFileSizeMb),
  };
}

/**
 * Settings per URI. With no `workspace/configuration` support (or no fetcher), every URI gets the defaults. A batch
 * of URIs can be prefetched in one request (the workspace scan does, 200 at a time).
 */
/**
 * URIs whose settings are kept, least recently used dropped first: enough for the open documents and the workspace
 * scan's batches in flight. Without a bound the cache held an entry for every file of the workspace.
 */
const MAX_CACHED_URIS = 1024;

export class SettingsCache {
  private readonly cache = new Map<string, Promise<Settings>>();
  /** Bumped on `clear()`, so an answer to a request sent before the clear is not cached after it. */
  private generation = 0;

  constructor(
    private readonly fetch: ConfigurationFetcher | undefined,
    private readonly log: (message: string) => void,
    private readonly section: string,
  ) {}

  clear(): void {
    this.cache.clear();
    this.generation++;
  }

  get(uri: string): Promise<Settings> {
    const hit = this.cache.get(uri);
    if (hit) {
      this.remember(uri, hit);
      return hit;
    }
    this.prefetch([uri]);
    return this.cache.get(uri)!;
  }

  /** Store (or refresh) an entry as the most recently used, dropping the least recently used over the bound. */
  private remember(uri: string, settings: Promise<Settings>): void {
    this.cache.delete(uri);
    this.cache.set(uri, settings);
    for (const oldest of this.cache.keys()) {
      if (this.cache.size <= MAX_CACHED_URIS) break;
      this.cache.delete(oldest);
    }
  }

  /** Ask for every URI not cached yet, in one request. */
  prefetch(uris: string[]): void {
    const missing = [...new Set(uris)].filter((u) => !this.cache.has(u));
    if (missing.length === 0) return;
    const fetch = this.fetch;
    if (!fetch) {
      for (const u of missing) this.remember(u, Promise.resolve(normalizeSettings(undefined)));
      return;
    }
    const generation = this.generation;
    const answer = fetch(missing.map((scopeUri) => ({ scopeUri, section: this.section }))).then(
      (values) => values,
      (err: unknown) => {
        this.log(`workspace/configuration failed (${err instanceof Error ? err.message : String(err)}); using the default settings`);
        return [] as unknown[];
      },
    );
    missing.forEach((uri, i) => {
      const p = answer.then((values) => {
        const problems: string[] = [];
        const s = normalizeSettings(values[i], problems);
        if (problems.length) this.log(`settings for ${uri}: ${problems.join('; ')}`);
        return s;
      });
      if (generation === this.generation) this.remember(uri, p);
    });
  }
}
