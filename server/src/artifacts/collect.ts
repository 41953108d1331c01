/**
 * What one scan collects: the imports found, the issues (deduplicated, each with its message and its one-line
 * summary), the opcode budget and the bytes inflated so far. The scanners of each format report here.
 */
import { classifyGlobal } from './classify';
import type { OpcodeBudget, PickleScanResult, PickleSink } from './pickle';
import { SHADOW_LOOKAHEAD } from './pickle';
import { shown, shownMember } from './text';
import type { ArtifactIssue, ArtifactIssueKind, ArtifactLimits, ArtifactReport } from './types';

/** Errors kept per report, and warnings and notes; the rest are counted in one last issue. */
const MAX_ERRORS = 500;
const MAX_OTHER_ISSUES = 200;
/** Imports listed per report (all are still classified); and distinct imports remembered to skip repeats. */
const MAX_IMPORTS = 5000;
const MAX_SEEN_IMPORTS = 100_000;

export function formatBytes(n: number): string {
  if (n >= 1024 * 1024 * 1024) return `${+(n / (1024 * 1024 * 1024)).toFixed(1)} GB`;
  if (n >= 1024 * 1024) return `${+(n / (1024 * 1024)).toFixed(1)} MB`;
  if (n >= 1024) return `${+(n / 1024).toFixed(1)} KB`;
  return `${n} bytes`;
}

/** Names longer than this are cut in a report's data (Python takes any length; nobody reads 64 KB). Messages show less. */
const NAME_SHOWN = 200;

function clip(s: string): string {
  return s.length <= NAME_SHOWN ? s : `${s.slice(0, NAME_SHOWN)}…(${s.length} characters)`;
}

export class Collector {
  readonly budget: OpcodeBudget;
  /** Bytes inflated from archive members so far (all archives of the file). */
  inflated = 0;
  private readonly seenImports = new Set<string>();
  private readonly seenIssues = new Set<string>();
  private dropped = 0;
  private droppedImports = 0;
  private errors = 0;
  private others = 0;

  constructor(
    readonly limits: ArtifactLimits,
    readonly report: ArtifactReport,
  ) {
    this.budget = { used: 0, max: limits.maxOpcodes };
  }

  /**
   * Add an issue (once per kind, member and message). `member` is the member's name as found (it is stored shown, as
   * messages show it); text from the file inside `message` and `summary` must already be shown (text.ts).
   */
  issue(kind: ArtifactIssueKind, severity: ArtifactIssue['severity'], message: string, summary: string, member?: string): void {
    const key = `${kind}\0${member ?? ''}\0${message}`;
    if (this.seenIssues.has(key)) return;
    if (severity === 'error' ? this.errors >= MAX_ERRORS : this.others >= MAX_OTHER_ISSUES) {
      this.dropped++;
      return;
    }
    this.seenIssues.add(key);
    if (severity === 'error') this.errors++;
    else this.others++;
    const issue: ArtifactIssue = { kind, severity, message, summary };
    if (member !== undefined) issue.member = shownMember(member);
    this.report.issues.push(issue);
  }

  /** Close the report: count the issues left out. */
  finish(): void {
    if (this.droppedImports) {
      this.report.issues.push({
        kind: 'limit',
        severity: 'info',
        message: `${this.droppedImports} more imports were found (and classified) but not listed.`,
        summary: `${this.droppedImports} more imports were not listed`,
      });
      this.droppedImports = 0;
    }
    if (this.dropped) {
      this.report.issues.push({
        kind: 'limit',
        severity: 'info',
        message: `${this.dropped} more issues were found and not listed.`,
        summary: `${this.dropped} more issues were not listed`,
      });
      this.dropped = 0;
    }
  }

  /**
   * Record an import (once per member) and its issue. `source` names what holds it in messages ("the pickle",
   * "the Keras config"); `note` is a parenthetical on where in the file it lies.
   */
  addImport(rawModule: string, rawName: string, member: string | undefined, source: 'pickle' | 'Keras config', note = ''): void {
    const module = clip(rawModule);
    const name = clip(rawName);
    const key = `${member ?? ''}\0${module}\0${name}`;
    if (this.seenImports.has(key)) return;
    if (this.seenImports.size < MAX_SEEN_IMPORTS) this.seenImports.add(key);
    const { classification, reason } = classifyGlobal(rawModule, rawName);
    if (this.report.imports.length < MAX_IMPORTS) {
      const imp: ArtifactReport['imports'][number] = { module, name, classification };
      if (member !== undefined) imp.member = member;
      this.report.imports.push(imp);
    } else this.droppedImports++;
    if (classification !== 'dangerous' && classification !== 'unknown') return;
    const full = `\`${shown(`${rawModule}.${rawName}`)}\``;
    const where = member !== undefined ? `The ${source} \`${shownMember(member)}\`` : `The ${source}`;
    const what = source === 'pickle' ? `${where} imports ${full}${note}` : `${where} makes Keras import ${full}${note}`;
    if (classification === 'dangerous') {
      this.issue('dangerous-import', 'error', `${what}, which ${reason}.`, `its ${source} imports ${full}`, member);
    } else {
      const how = source === 'pickle' ? 'which is not on the allowlist, so loading the file runs whatever code it brings in' : 'custom code that is not on the allowlist and runs when the model is loaded';
      this.issue('unknown-import', 'warning', `${what}, ${how}.`, `its ${source} imports ${full}, which is not on the allowlist`, member);
    }
  }

  /** The sink a pickle walk reports to. */
  pickleSink(member?: string): PickleSink {
    const where = member !== undefined ? `The pickle \`${shownMember(member)}\`` : 'The pickle';
    const shadowNote = ' (in bytes that `joblib.load` reads as array data but `pickle.load` of the same file runs as opcodes)';
    return {
      global: (module, name, _offset, _op, shadow) => this.addImport(module, name, member, 'pickle', shadow ? shadowNote : ''),
      unresolved: (_offset, detail, shadow) => {
        const stack = detail.startsWith('a STACK_GLOBAL');
        this.issue(
          'unknown-import',
          'warning',
          `${where} has ${detail}${shadow ? shadowNote : ''}, a common way to disguise a dangerous import.`,
          stack ? 'its pickle has a STACK_GLOBAL whose module/name could not be resolved statically' : 'its pickle imports a global through an extension code, which cannot be resolved statically',
          member,
        );
      },
      shadowUndecided: (offset) =>
        this.issue(
          'unreadable',
          'warning',
          `${where} holds a joblib array at byte ${offset} whose data also reads as pickle opcodes beyond the ${SHADOW_LOOKAHEAD / 1024} KB scanned, which \`pickle.load\` of the file (unlike \`joblib.load\`) would run.`,
          'its joblib array data also reads as pickle opcodes, which `pickle.load` would run',
          member,
        ),
    };
  }

  /** Turn how a pickle walk ended into issues. */
  pickleResult(r: PickleScanResult, member?: string): void {
    const where = member !== undefined ? `The pickle \`${shownMember(member)}\`` : 'The pickle';
    const p = r.problem;
    if (p) {
      switch (p.kind) {
        case 'corrupt':
        case 'truncated':
          this.issue(
            'unreadable',
            'warning',
            `${where} could not be parsed past byte ${p.offset}: ${shown(p.message, 300)}; \`pickle.load\` fails there too, and nothing after it was scanned.`,
            `its pickle could not be parsed past byte ${p.offset} (${p.kind === 'truncated' ? 'truncated' : 'corrupt'})`,
            member,
          );
          break;
        case 'stream':
          this.issue('unreadable', 'warning', `${where} could not be read past byte ${p.offset} (${shown(p.message, 300)}), so the rest of it was not scanned.`, `its pickle could not be read past byte ${p.offset}`, member);
          break;
        case 'capped':
          this.issue(
            'limit',
            'warning',
            `${where} was only partly scanned: ${shown(p.message, 300)} (\`maxMemberBytes\` is ${formatBytes(this.limits.maxMemberBytes)}); anything after byte ${p.offset} was not scanned.`,
            `its pickle was only partly scanned (over ${formatBytes(this.limits.maxMemberBytes)})`,
            member,
          );
          break;
        case 'stack':
          this.issue(
            'limit',
            'warning',
            `${where} was only partly scanned: ${shown(p.message, 300)}; anything after byte ${p.offset} was not scanned.`,
            'its pickle was only partly scanned (its stack grew too deep)',
            member,
          );
          break;
        case 'opcodes':
          this.issue(
            'limit',
            'warning',
            `${where} was only partly scanned: ${shown(p.message, 300)} (\`maxOpcodes\`); anything after byte ${p.offset} was not scanned.`,
            `its pickle was only partly scanned (over ${this.limits.maxOpcodes.toLocaleString('en-US')} opcodes)`,
            member,
          );
          break;
      }
    } else if (r.trailing) {
      this.issue(
        'not-scanned',
        'info',
        `${where} is followed, from byte ${r.end}, by bytes that do not start another pickle; they were not scanned (\`pickle.load\` reads one pickle per call).`,
        'bytes after its pickle were not scanned',
        member,
      );
    }
  }
}
