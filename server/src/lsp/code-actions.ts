/**
 * Code actions for secure-ai diagnostics, vscode-eslint's family: the rule's fix, "Suppress SAInnn on this line",
 * "Show documentation for SAInnn", and `source.fixAll.secure-ai` (every fix marked safe).
 *
 * The fix edits ride in `Diagnostic.data`, computed for `data.version`. When the document has moved on since (the
 * client shifts diagnostic ranges as the user types, but not the edits inside `data`), the finding is looked up again
 * by rule id and range in a fresh analysis of the current text; a diagnostic with no fresh match gets no fix.
 */
import {
  CodeActionKind,
  type CodeAction,
  type CodeActionParams,
  type Diagnostic,
  type SnippetTextEdit,
  type TextEdit,
  type WorkspaceEdit,
} from 'vscode-languageserver';
import type { Tree } from '../engine/parser';
import type { Finding, Fix, Range } from '../engine/types';
import { COMMANDS, DIAGNOSTIC_SOURCE, FIX_ALL_KIND, type DiagnosticData } from '../shared/protocol';
import { isDiagnosticData } from './convert';
import { cachedRevision, revisionTarget } from './hf-revision';
import { lineSuppressEdit, suppressEdit, type SuppressEdit } from './suppress-edit';

export interface ActionDocument {
  uri: string;
  version: number;
  text: string;
  /** The tree of the current text (Python only). */
  tree(): Tree | undefined;
  /**
   * Not Python but a file with `#` comments read line by line (a dependency manifest): suppression comments go on
   * their own line above the finding, and there is no tree.
   */
  lineComments?: boolean;
  /** Unsuppressed findings of the current text under the document's settings. */
  findings(): Finding[];
}

export interface ActionOptions {
  /** The client applies `SnippetTextEdit`s (LSP 3.18 `workspace.workspaceEdit.snippetEditSupport`). */
  snippets: boolean;
  /** The client takes `documentChanges` (versioned edits). */
  documentChanges: boolean;
  /** Where the Hugging Face hub cache is. */
  hfCacheDir: string;
}

const sameRange = (a: Range, b: Range) =>
  a.start.line === b.start.line && a.start.character === b.start.character && a.end.line === b.end.line && a.end.character === b.end.character;

function workspaceEdit(doc: ActionDocument, edits: Array<TextEdit | SnippetTextEdit>, opts: ActionOptions): WorkspaceEdit {
  const hasSnippet = edits.some((e) => 'snippet' in e);
  if (opts.documentChanges || hasSnippet) {
    return { documentChanges: [{ textDocument: { uri: doc.uri, version: doc.version }, edits }] };
  }
  return { changes: { [doc.uri]: edits as TextEdit[] } };
}

function kindWanted(only: string[] | undefined, kind: string): boolean {
  if (!only || only.length === 0) return true;
  return only.some((o) => kind === o || kind.startsWith(`${o}.`));
}

/** The fix of a diagnostic, for the current text: from `data` when it is current, else from a fresh analysis. */
function currentFix(doc: ActionDocument, diagnostic: Diagnostic, data: DiagnosticData, fresh: () => Finding[]): Fix | undefined {
  if (data.version === doc.version) return data.fix;
  const match = fresh().find((f) => f.ruleId === data.ruleId && sameRange(f.range, diagnostic.range));
  return match?.fix;
}

/** SAI101: pin to the SHA in the local Hugging Face cache; a snippet placeholder when there is none. */
function revisionAction(doc: ActionDocument, diagnostic: Diagnostic, opts: ActionOptions): CodeAction | undefined {
  const tree = doc.tree();
  if (!tree) return undefined;
  const target = revisionTarget(tree, doc.text, diagnostic.range);
  if (!target) return undefined;
  const sha = cachedRevision(target.repoId, target.repoType, target.ref, opts.hfCacheDir);
  if (sha) {
    const edit = target.edit(`"${sha}"`);
    if (!edit) return undefined;
    return {
      title: `Pin revision to ${sha.slice(0, 12)} from the local Hugging Face cache`,
      kind: CodeActionKind.QuickFix,
      diagnostics: [diagnostic],
      edit: workspaceEdit(doc, [edit], opts),
    };
  }
  if (!opts.snippets) return undefined;
  const edit = target.edit('"${1:full 40-character commit hash}"');
  if (!edit) return undefined;
  const snippet: SnippetTextEdit = { range: edit.range, snippet: { kind: 'snippet', value: edit.newText } };
  return {
    title: 'Add `revision=` (fill in the commit hash)',
    kind: CodeActionKind.QuickFix,
    diagnostics: [diagnostic],
    edit: workspaceEdit(doc, [snippet], opts),
  };
}

function suppressAction(doc: ActionDocument, diagnostic: Diagnostic, ruleId: string, opts: ActionOptions): CodeAction | undefined {
  let s: SuppressEdit | undefined;
  if (doc.lineComments) {
    s = lineSuppressEdit(doc.text, ruleId, diagnostic.range);
  } else {
    const tree = doc.tree();
    s = tree && suppressEdit(doc.text, tree, ruleId, diagnostic.range);
  }
  if (!s) return undefined;
  const edit: TextEdit | SnippetTextEdit = opts.snippets
    ? { range: s.range, snippet: { kind: 'snippet', value: s.snippet } }
    : { range: s.range, newText: s.text };
  return {
    title: `Suppress ${ruleId} on this line`,
    kind: CodeActionKind.QuickFix,
    diagnostics: [diagnostic],
    edit: workspaceEdit(doc, [edit], opts),
  };
}

function docsAction(diagnostic: Diagnostic, ruleId: string): CodeAction {
  return {
    title: `Show documentation for ${ruleId}`,
    kind: CodeActionKind.QuickFix,
    diagnostics: [diagnostic],
    command: { title: `Show documentation for ${ruleId}`, command: COMMANDS.showRuleDocumentation, arguments: [ruleId] },
  };
}

/**
 * Edits of several fixes that do not overlap, first come first served in document order (ruff's rule: a fix that
 * collides with an earlier one waits for the next run).
 */
export function combineFixes(fixes: Fix[]): TextEdit[] {
  const taken: Range[] = [];
  const out: TextEdit[] = [];
  const key = (r: Range) => [r.start.line, r.start.character];
  const before = (a: { line: number; character: number }, b: { line: number; character: number }) =>
    a.line < b.line || (a.line === b.line && a.character < b.character);
  const overlaps = (a: Range, b: Range) => before(a.start, b.end) && before(b.start, a.end);
  const touches = (a: Range, b: Range) => sameRange(a, b) || overlaps(a, b);
  const sorted = [...fixes].sort((a, b) => {
    const ka = key(a.edits[0]?.range ?? { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } });
    const kb = key(b.edits[0]?.range ?? { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } });
    return ka[0] - kb[0] || ka[1] - kb[1];
  });
  for (const fix of sorted) {
    if (fix.edits.some((e) => taken.some((t) => touches(e.range, t)))) continue;
    for (const e of fix.edits) {
      taken.push(e.range);
      out.push({ range: e.range, newText: e.newText });
    }
  }
  return out;
}

export function fixAllAction(doc: ActionDocument, opts: ActionOptions): CodeAction | undefined {
  const safe = doc.findings().flatMap((f) => (f.fix && f.fix.safety === 'safe' ? [f.fix] : []));
  const edits = combineFixes(safe);
  if (edits.length === 0) return undefined;
  return { title: 'Fix all safe secure-ai findings', kind: FIX_ALL_KIND, edit: workspaceEdit(doc, edits, opts) };
}

export function codeActions(doc: ActionDocument, params: CodeActionParams, opts: ActionOptions): CodeAction[] {
  const only = params.context.only;
  const actions: CodeAction[] = [];
  let fresh: Finding[] | undefined;
  const freshFindings = () => (fresh ??= doc.findings());

  if (kindWanted(only, CodeActionKind.QuickFix)) {
    for (const diagnostic of params.context.diagnostics) {
      if (diagnostic.source !== DIAGNOSTIC_SOURCE || !isDiagnosticData(diagnostic.data)) continue;
      const data = diagnostic.data;
      const fix = currentFix(doc, diagnostic, data, freshFindings);
      if (fix) {
        actions.push({
          title: fix.title,
          kind: CodeActionKind.QuickFix,
          diagnostics: [diagnostic],
          isPreferred: fix.safety === 'safe',
          edit: workspaceEdit(doc, fix.edits, opts),
        });
      } else if (data.ruleId === 'SAI101') {
        const a = revisionAction(doc, diagnostic, opts);
        if (a) actions.push(a);
      }
      const suppress = suppressAction(doc, diagnostic, data.ruleId, opts);
      if (suppress) actions.push(suppress);
      actions.push(docsAction(diagnostic, data.ruleId));
    }
  }
  // Only when asked for by kind (on save, or from the Source Action menu): never clutter the lightbulb.
  if (only?.some((o) => FIX_ALL_KIND === o || FIX_ALL_KIND.startsWith(`${o}.`))) {
    const all = fixAllAction(doc, opts);
    if (all) actions.push(all);
  }
  return actions;
}
