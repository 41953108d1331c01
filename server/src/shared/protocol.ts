/**
 * What the VS Code client and the language server agree on, typed once (rust-analyzer's `lsp_ext` idea): custom
 * requests, command ids, the diagnostic `data` shape, the docs URI scheme and the initialisation options.
 *
 * Types and plain constants only: no runtime import, so both bundles can take it whichever vscode-jsonrpc version
 * each carries. Each side wraps a `RequestSpec` with its own library (`connection.onRequest(spec.method, ...)`,
 * `client.sendRequest(spec.method, ...)`) through the typed helpers beside it.
 */
import type { Confidence, Fix } from '../engine/types';

/** The configuration section every setting lives under (`secureAi.enable`, `secureAi.rules`, ...). */
export const CONFIG_SECTION = 'secureAi';

/** `Diagnostic.source` of every finding and notice the server publishes. */
export const DIAGNOSTIC_SOURCE = 'secure-ai';

/** The code action kind of "fix all safe fixes" (`editor.codeActionsOnSave: { "source.fixAll.secure-ai": ... }`). */
export const FIX_ALL_KIND = 'source.fixAll.secure-ai';

/** URI scheme of the read-only rule documentation documents the client serves: `secure-ai-docs:/SAI202.md`. */
export const DOCS_SCHEME = 'secure-ai-docs';

/**
 * Dependency manifests by name, as glob patterns: a superset of what `manifestKindOf` (server/src/manifests) accepts,
 * which has the last word. The client syncs open documents that match (whatever their language id) and the server
 * watches them on disk.
 */
export const MANIFEST_GLOBS: readonly string[] = [
  '**/*requirements*.{txt,in}',
  '**/constraints*.{txt,in}',
  '**/requirements/*.{txt,in}',
  '**/pyproject.toml',
  '**/setup.cfg',
  '**/{environment,conda}*.{yml,yaml}',
];

/** Command ids, contributed in package.json (a test checks they match). */
export const COMMANDS = {
  restartServer: 'secureAi.restartServer',
  scanWorkspace: 'secureAi.scanWorkspace',
  showRuleDocumentation: 'secureAi.showRuleDocumentation',
  showOutput: 'secureAi.showOutput',
  generateThreatModel: 'secureAi.generateThreatModel',
  exportBom: 'secureAi.exportBom',
} as const;

/**
 * Settings the client alone reads (vscode-languageclient traces the protocol under `secureAi.trace.server`). The
 * server's settings and their defaults live in `settings.ts`; these are the only other defaults, and the manifest
 * test checks package.json against both.
 */
export const CLIENT_SETTING_DEFAULTS = {
  'trace.server': 'off',
} as const;

/** What `Diagnostic.data` carries, so that a code action needs no server-side cache. */
export interface DiagnosticData {
  ruleId: string;
  fix?: Fix;
  confidence: Confidence;
  /** The document version the finding (and its fix edits) were computed for; absent for files read from disk. */
  version?: number;
}

/** `initializationOptions` the server understands. All optional. */
export interface InitializationOptions {
  /** Milliseconds to wait after the last keystroke before analysing (default 150). The latency bench sets 0. */
  debounceMs?: number;
  /** Scan the workspace's Python files in the background after start-up (default true). */
  scanOnStartup?: boolean;
}

export const DEFAULT_DEBOUNCE_MS = 150;

/** A request typed once: the method name plus phantom parameter and result types. */
export interface RequestSpec<P, R> {
  readonly method: string;
  /** Never set: carries the types. */
  readonly _types?: { params: P; result: R };
}

export type ParamsOf<S> = S extends RequestSpec<infer P, unknown> ? P : never;
export type ResultOf<S> = S extends RequestSpec<unknown, infer R> ? R : never;

export interface ScanWorkspaceResult {
  /** Python files analysed (open documents are not counted: they are analysed from the editor's text). */
  files: number;
  /** Unsuppressed findings in those files. */
  findings: number;
  /** Files skipped because they could not be read, were too large or were not decodable. */
  skipped: number;
  durationMs: number;
}

/** Re-scan every workspace folder now; resolves when the scan has published its diagnostics. */
export const scanWorkspaceRequest: RequestSpec<null, ScanWorkspaceResult> = { method: 'secureAi/scanWorkspace' };

export interface RuleDocumentationParams {
  ruleId: string;
}

export interface RuleDocumentationResult {
  ruleId: string;
  /** The rule's page in markdown: the same text as docs/rules/<id>.md. */
  markdown: string;
}

/** The markdown page of one rule, for the client's `secure-ai-docs:` documents (readable offline). Null: no such rule. */
export const ruleDocumentationRequest: RequestSpec<RuleDocumentationParams, RuleDocumentationResult | null> = {
  method: 'secureAi/ruleDocumentation',
};

export interface GenerateThreatModelParams {
  /** The workspace folder to describe (one of the server's workspace folders). */
  folderUri: string;
  /** `plan`: where the file goes (setting `secureAi.threatModel.path`) and what is there now; `write`: generate it. */
  mode: 'plan' | 'write';
  /** Replace a file that secure-ai did not write (the user agreed). */
  force?: boolean;
}

export interface GenerateThreatModelResult {
  /** The file's URI. */
  uri: string;
  exists: boolean;
  /** The file has secure-ai markers: regenerating replaces only the generated blocks. */
  ours: boolean;
  written: boolean;
  /** After a write: "22 threats: 20 open, ..." */
  summary?: string;
  /** After a write: threats whose status a person set and that were kept. */
  keptStatuses?: number;
}

/**
 * The threat-model generator, run by the server so that the client needs no engine of its own. `plan` first, so the
 * client can ask before replacing a file it did not write; then `write`. Errors (a path outside the folder, an
 * unreadable folder) come back as request errors with a one-line message.
 */
export const generateThreatModelRequest: RequestSpec<GenerateThreatModelParams, GenerateThreatModelResult> = {
  method: 'secureAi/generateThreatModel',
};

export interface ExportBomParams {
  /** The workspace folder to describe (one of the server's workspace folders). */
  folderUri: string;
  /** `plan`: where the file goes (setting `secureAi.bom.path`) and what is there now; `write`: generate it. */
  mode: 'plan' | 'write';
  /** Replace a file that secure-ai did not write (the user agreed). */
  force?: boolean;
}

export interface ExportBomResult {
  /** The file's URI. */
  uri: string;
  exists: boolean;
  /** The file is a CycloneDX BOM that secure-ai wrote: it is replaced without asking. */
  ours: boolean;
  written: boolean;
  /** After a write: "3 models, 2 datasets, ..." */
  summary?: string;
}

/**
 * The AI bill of materials (CycloneDX 1.6 JSON), generated by the server like the threat model: `plan` first, so the
 * client can ask before replacing a file it did not write; then `write`. Errors (a path outside the folder, an
 * unreadable folder) come back as request errors with a one-line message.
 */
export const exportBomRequest: RequestSpec<ExportBomParams, ExportBomResult> = {
  method: 'secureAi/exportBom',
};

/** `secure-ai-docs:/SAI202.md` ↔ `SAI202`. */
export function docsUriPath(ruleId: string): string {
  return `/${ruleId}.md`;
}

export function ruleIdOfDocsPath(path: string): string | undefined {
  const m = /^\/?(SAI\d{3})\.md$/i.exec(path);
  return m ? m[1].toUpperCase() : undefined;
}
