/**
 * SAI210 has two halves. The model-artifact scanner (`server/src/artifacts`) reads model files in the workspace and
 * `artifactFindings` turns its report into findings on the file itself; `check` puts the same verdict on each Python
 * call that loads a flagged file, when the call's path argument resolves to it.
 */
import * as path from 'node:path';
import type { ArtifactReport } from '../artifacts';
import { guidelineLabel, ruleSetting, type AnalyzeOptions } from '../engine/analyze';
import type { Node } from '../engine/parser';
import type { Rule } from '../engine/rule';
import type { Scope, SemanticModel } from '../engine/semantic';
import { confidenceRank, type Finding, type Notice, type Severity } from '../engine/types';
import type { Settings } from '../shared/settings';
import { torchMinimumFor } from '../engine/project';
import { compareVersions } from '../manifests';
import { boundValue } from './artifacts';

/** Loaders whose first argument (or `f`/`path`/`filepath` keyword) is the model file or a file object opened on it. */
const LOADERS = new Map<string, string[]>([
  ['torch.load', ['f']],
  ['torch.serialization.load', ['f']],
  ['pickle.load', ['file']],
  ['cPickle.load', ['file']],
  ['_pickle.load', ['file']],
  ['dill.load', ['file']],
  ['cloudpickle.load', ['file']],
  ['joblib.load', ['filename']],
  ['sklearn.externals.joblib.load', ['filename']],
  ['pandas.read_pickle', ['filepath_or_buffer']],
  ['numpy.load', ['file']],
  ['keras.models.load_model', ['filepath']],
  ['keras.saving.load_model', ['filepath']],
  ['tensorflow.keras.models.load_model', ['filepath']],
  ['tf_keras.models.load_model', ['filepath']],
]);
const NAMES = [...new Set([...LOADERS.keys()].map((q) => q.slice(q.lastIndexOf('.') + 1)))];
const JOINS = new Set(['os.path.join', 'posixpath.join', 'ntpath.join']);
const PATHS = new Set(['pathlib.Path', 'pathlib.PurePath', 'pathlib.PosixPath', 'pathlib.PurePosixPath']);
const OPENERS = new Set(['open', 'builtins.open', 'io.open', 'gzip.open', 'bz2.open', 'lzma.open']);
/** Calls that name the same file as their argument, and the folder of it. */
const SAME = new Set(['str', 'os.fspath', 'os.path.abspath', 'os.path.realpath', 'os.path.normpath', 'os.path.expanduser']);
const DIRNAME = new Set(['os.path.dirname', 'posixpath.dirname', 'ntpath.dirname']);
const PATH_SAME = new Set(['resolve', 'absolute', 'expanduser']);

/**
 * The path a node names, as far as constants tell: a string, `os.path.join` / `Path(...)` / `/` of known parts, a
 * name bound to one, or a file object from `open(path)` (directly or as a `with` target). Undefined otherwise.
 */
export function pathOf(model: SemanticModel, node: Node, scope: Scope, file: string, depth = 0): string | undefined {
  if (depth > 8) return undefined;
  const of = (n: Node | null | undefined, s: Scope = scope) => (n ? pathOf(model, n, s, file, depth + 1) : undefined);
  switch (node.type) {
    case 'string':
    case 'concatenated_string': {
      const v = model.evaluate(node, scope);
      return v.kind === 'str' && v.complete ? v.value : undefined;
    }
    case 'parenthesized_expression':
      return of(node.firstNamedChild);
    case 'identifier': {
      if (node.text === '__file__' && !model.bindingsOf('__file__', scope)) return path.resolve(file);
      const v = model.evaluate(node, scope);
      if (v.kind === 'str' && v.complete) return v.value;
      const b = boundValue(model, node.text, scope, node.startIndex);
      return b?.value ? of(b.value, b.scope) : undefined;
    }
    case 'attribute': {
      // `Path(__file__).parent`: the folder of a known path.
      if (node.childForFieldName('attribute')?.text !== 'parent') return undefined;
      const p = of(node.childForFieldName('object'));
      return p === undefined ? undefined : path.posix.dirname(p);
    }
    case 'binary_operator': {
      if (node.childForFieldName('operator')?.type !== '/') return undefined;
      const left = node.childForFieldName('left');
      const right = node.childForFieldName('right');
      const l = of(left);
      const r = of(right);
      return l !== undefined && r !== undefined ? path.posix.join(l, r) : undefined;
    }
    case 'as_pattern': // `with open(p) as f` hands back the context expression's parent in some grammars
      return of(node.firstNamedChild);
    case 'call': {
      const fn = node.childForFieldName('function');
      const args = node.childForFieldName('arguments');
      if (!fn || !args) return undefined;
      // `Path(...).resolve()`, `.absolute()`: the same file.
      if (fn.type === 'attribute' && PATH_SAME.has(fn.childForFieldName('attribute')?.text ?? '') && args.namedChildCount === 0) {
        return of(fn.childForFieldName('object'));
      }
      const v = model.evaluate(fn, scope);
      const qname = v.kind === 'ref' ? v.qname : fn.type === 'identifier' && v.kind !== 'local' ? fn.text : undefined;
      if (!qname) return undefined;
      const positional = args.namedChildren.filter((n): n is Node => !!n && n.type !== 'keyword_argument' && n.type !== 'comment');
      if (JOINS.has(qname) || PATHS.has(qname)) {
        if (positional.length === 0 || positional.length !== args.namedChildren.filter((n) => n?.type !== 'comment').length) return undefined;
        const parts = positional.map((p) => of(p));
        return parts.every((p): p is string => p !== undefined) ? path.posix.join(...parts) : undefined;
      }
      if (OPENERS.has(qname) || SAME.has(qname)) return of(positional[0]);
      if (DIRNAME.has(qname)) {
        const p = of(positional[0]);
        return p === undefined ? undefined : path.posix.dirname(p);
      }
      return undefined;
    }
    default:
      return undefined;
  }
}

/** The absolute paths a relative path may mean: beside the file, then under each project root. */
function candidates(file: string, p: string, roots: readonly string[]): string[] {
  if (path.isAbsolute(p)) return [path.resolve(p)];
  const bases = [path.dirname(path.resolve(file)), ...roots];
  return [...new Set(bases.map((b) => path.resolve(b, p)))];
}

export const rule: Rule = {
  id: 'SAI210',
  name: 'unsafe-model-artifact',
  hazard: 'Model file whose pickle or config runs code when loaded',
  severity: 'error',
  confidence: 'high',
  guidelines: ['NCSC-1.3', 'NCSC-2.1', 'OWASP-ML06', 'OWASP-LLM03:2025', 'AML.T0010.003', 'AML.T0011.000', 'AML.M0016', 'CWE-502'],
  message: 'The model file runs code when it is loaded.',
  triggers: NAMES,
  reads: ['artifact'],
  docs: {
    why:
      'Pickle-based model files (`.pt`, `.pth`, `.bin`, `.ckpt`, `.pkl`, `.joblib`, `.dill`, `.npy` with objects) are ' +
      'programs: unpickling imports and calls whatever functions the file names, so a checkpoint that names ' +
      '`os.system` runs a shell command the moment `torch.load` or `pickle.load` reads it. Keras files can carry ' +
      '`Lambda` layers whose code runs on load. The NCSC guidelines ask that third-party models be treated as ' +
      'untrusted code (NCSC 1.3) and that the supply chain be checked (NCSC 2.1). Secure AI Dev reads the pickle ' +
      'opcode stream of each model file in the workspace, without unpickling it or running Python: PyTorch zip and ' +
      'legacy checkpoints, several pickles in one file, numpy object arrays, joblib files, `.keras` configs and ' +
      '`.h5` model configs. An import on the known-dangerous list (`os`, `subprocess`, `builtins.eval`, `runpy`, ' +
      '`socket`, …) is an error; an import outside PyTorch\'s `weights_only` allowlist, or a stream that cannot be ' +
      'read, is a warning. Classes of well-known ML libraries (scikit-learn, pandas, xgboost, …) are not reported. ' +
      'The finding shows on the file, and a known-dangerous file also on every load call whose path argument ' +
      'resolves to it (a string, `os.path.join`, `Path(...) / ...`, `Path(__file__).parent`, `open(...)`), even with ' +
      '`weights_only=True`, which refuses it: the file itself is hostile. Safetensors files hold no code and are only ' +
      'checked for a valid header; Git LFS pointers and formats the scanner does not know get a notice.',
    example: 'import torch\n\n# models/classifier.pt: its data.pkl imports os.system\nstate = torch.load("models/classifier.pt")',
    useInstead:
      'from safetensors.torch import load_file\n\n# weights only: no code can run when the file is read\nstate = load_file("models/classifier.safetensors")',
    references: [
      'https://docs.python.org/3/library/pickle.html#restricting-globals',
      'https://pytorch.org/docs/stable/notes/serialization.html#weights-only',
      'https://huggingface.co/docs/hub/security-pickle',
      'https://www.ncsc.gov.uk/collection/guidelines-secure-ai-system-development',
    ],
  },
  check(ctx) {
    const flagged = ctx.project.artifacts;
    if (!flagged || Object.keys(flagged).length === 0) return;
    const roots = ctx.project.roots ?? [];
    for (const call of ctx.callsNamed(...NAMES)) {
      const keywords = call.qname ? LOADERS.get(call.qname) : undefined;
      if (!keywords) continue;
      // numpy refuses object arrays unless `allow_pickle=True`: without it, loading a flagged `.npy` fails safely.
      const allowPickle = call.qname === 'numpy.load' ? call.value('allow_pickle') : undefined;
      if (call.qname === 'numpy.load' && !(allowPickle?.kind === 'bool' && allowPickle.value)) continue;
      const arg = call.positional[0] ?? keywords.map((k) => call.keywords.get(k)).find((n) => n !== undefined);
      if (!arg) continue;
      const p = pathOf(ctx.model, arg, call.scope, ctx.path);
      if (p === undefined) continue;
      const hit = candidates(ctx.path, p, roots).find((c) => flagged[c]);
      // Only a known-dangerous file is reported where it is loaded: an unknown import is a question about the file,
      // which its own finding asks, and SAI201 / SAI202 already speak for the loader.
      if (!hit || flagged[hit].severity !== 'error') continue;
      const verdict = flagged[hit];
      const shown = path.isAbsolute(p) ? path.relative(path.dirname(path.resolve(ctx.path)), p) || p : p;
      // When `torch.load` will refuse the file anyway (weights_only, given or the default from PyTorch 2.6), say so:
      // the finding stays, because the file itself is hostile.
      const weightsOnly = call.value('weights_only');
      const torch = call.qname?.startsWith('torch.');
      const min = torch && weightsOnly === undefined ? torchMinimumFor(ctx.path, ctx.project, compareVersions) : undefined;
      const refused =
        torch && weightsOnly?.kind === 'bool' && weightsOnly.value
          ? '`weights_only=True` refuses it, but the file itself is hostile'
          : min && compareVersions(min.minimum, '2.6') >= 0
            ? `PyTorch ${min.minimum} or later refuses it by default, but the file itself is hostile`
            : undefined;
      ctx.report({
        node: arg,
        severity: 'error',
        confidence: 'high',
        message: refused
          ? `\`${call.qname}\` loads \`${shown}\`, ${verdict.summary.replace(/^its /, 'whose ')}: ${refused}.`
          : `\`${call.qname}\` loads \`${shown}\`: ${verdict.summary}, so loading it runs that code.`,
      });
    }
  },
};

const SEVERITY: Record<'error' | 'warning' | 'info', Severity> = { error: 'error', warning: 'warning', info: 'info' };

/**
 * What the scanner could not look at (a format it does not know, an HDF5 file whose config it cannot find, a file too
 * large to hash): said as notices, not findings, since nothing suspicious was seen. A fastText `.bin` is not a hazard.
 */
function isNotice(issue: ArtifactReport['issues'][number]): boolean {
  return issue.severity === 'info' && (issue.kind === 'not-scanned' || issue.kind === 'limit');
}

/** The scanner's notes on what it could not read in the file (see `isNotice`). */
export function artifactNotices(report: ArtifactReport): Notice[] {
  return report.issues.filter(isNotice).map((issue) => ({ kind: 'not-scanned' as const, message: issue.message }));
}

/** The findings the scanner's report gives on the model file itself (at its first position). */
export function artifactFindings(report: ArtifactReport, settings: Settings, options: Pick<AnalyzeOptions, 'select' | 'ignore'> = {}): Finding[] {
  const { on, severity } = ruleSetting(rule.id, settings, options);
  if (!on) return [];
  const label = guidelineLabel(rule);
  const minRank = confidenceRank(settings.minConfidence);
  const out: Finding[] = [];
  for (const issue of report.issues) {
    if (isNotice(issue)) continue;
    const confidence = issue.severity === 'error' ? 'high' : issue.kind === 'unknown-import' ? 'medium' : 'low';
    if (confidenceRank(confidence) < minRank) continue;
    const where = issue.member && !issue.message.includes(issue.member) ? ` (in \`${issue.member}\`)` : '';
    const text = issue.message.replace(/\.$/, '');
    out.push({
      ruleId: rule.id,
      range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
      message: `${text}${where}. [${label}]`,
      severity: severity ?? SEVERITY[issue.severity],
      confidence,
      guidelines: rule.guidelines,
    });
  }
  return out;
}
