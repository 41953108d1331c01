/**
 * Reads a folder into the facts the generator takes: the Python files the scan reads (the CLI's `collectFiles`, so
 * the same .gitignore and exclude rules), their findings (the CLI's `scanFiles`, on the worker pool), each file's
 * inventory (parsed once more, in this thread, only where an inventory word occurs), and the other files that
 * matter to a threat model (model files, dependency declarations, lock files, model cards, CI workflows).
 *
 * It reads files and never runs anything from the workspace: no Python, no pip, no git (the commit comes from the
 * repository's files).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { collectFiles } from '../cli/files';
import { fileKindOf } from '../workspace/file-kinds';
import { packageVersion } from '../cli/package-info';
import { scanFiles } from '../cli/scan';
import { initEngine } from '../engine/analyze';
import { decode } from '../engine/decode';
import { getParser } from '../engine/parser';
import { SemanticModel } from '../engine/semantic';
import { withDefaults, type Settings } from '../shared/settings';
import { GitignoreStack, SKIPPED_DIRS, ignoreRules, matchesUnder, repositoryRoot, toPosix, walkFiles } from '../workspace/ignore-rules';
import type { WorkspaceFacts } from './build';
import { LOCK_FILES, isDependencyManifest, readDependencyManifest, toDependencies } from './dependencies';
import { readGitInfo } from './git';
import { INVENTORY_TRIGGERS, fileFacts, formatOfPath, unparsedFileFacts, type FileFacts } from './inventory';
import type { Dependency, FindingRef, ModelFile, WorkspaceFile } from './types';

export interface GatherOptions {
  /** Engine settings for the scan (exclude, maxFileSizeKb, rules, minConfidence). */
  settings?: Partial<Settings>;
  /** Honour .gitignore files when choosing Python files (default true). */
  gitignore?: boolean;
  /** Worker threads for the scan; default: every core. */
  jobs?: number;
  /** The date written into the model; default today. */
  now?: Date;
  /** The generator version written into the model; default this package's. */
  version?: string;
  /** Stop early (the caller went away); checked between files. */
  cancelled?: () => boolean;
}

/** Model files listed at most; a workspace full of checkpoints is summarised. */
const MAX_MODEL_FILES = 200;

export class GatherError extends Error {}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

async function pythonFacts(files: string[], root: string, settings: Settings, cancelled: () => boolean): Promise<FileFacts[]> {
  await initEngine();
  const parser = getParser();
  const out: FileFacts[] = [];
  for (let i = 0; i < files.length; i++) {
    if (i % 16 === 15) {
      await yieldToEventLoop();
      if (cancelled()) throw new GatherError('cancelled');
    }
    const rel = toPosix(path.relative(root, files[i]));
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(files[i]);
    } catch {
      out.push(unparsedFileFacts(rel));
      continue;
    }
    const decoded = bytes.length <= settings.maxFileSizeKb * 1024 ? decode(bytes) : undefined;
    if (!decoded?.ok || !INVENTORY_TRIGGERS.test(decoded.text)) {
      out.push(unparsedFileFacts(rel));
      continue;
    }
    const tree = parser.parse(decoded.text);
    if (!tree) {
      out.push(unparsedFileFacts(rel));
      continue;
    }
    try {
      out.push(fileFacts(new SemanticModel(tree, decoded.text), rel));
    } catch {
      out.push(unparsedFileFacts(rel));
    } finally {
      tree.delete();
    }
  }
  return out;
}

interface OtherFiles {
  modelFiles: ModelFile[];
  dependencies: Dependency[];
  workspaceFiles: WorkspaceFile[];
  projectName?: string;
}

const MODEL_CARD = /^(?:model[_-]?card|data[_-]?card|datasheet)[\w.-]*\.md$/i;
const WORKFLOW = /(?:^|\/)\.github\/workflows\/[^/]+\.ya?ml$|(?:^|\/)\.gitlab-ci\.yml$|(?:^|\/)azure-pipelines\.yml$|(?:^|\/)Jenkinsfile$/;

/** One walk over the folder for the files that are not Python: what they are, not what is in them (bar a few). */
function otherFiles(root: string, settings: Settings): OtherFiles {
  const exclude = settings.exclude.length ? ignoreRules(settings.exclude) : undefined;
  const gitignore = new GitignoreStack(repositoryRoot(root) ?? root);
  const found = walkFiles(
    root,
    (name, abs) => {
      if (SKIPPED_DIRS.has(name)) return true;
      if (fs.existsSync(path.join(abs, 'pyvenv.cfg'))) return true;
      return !!exclude && matchesUnder(exclude, root, abs, true);
    },
    (file) => {
      const base = path.basename(file);
      const rel = toPosix(path.relative(root, file));
      return (
        !!formatOfPath(base) ||
        isDependencyManifest(rel) ||
        LOCK_FILES.has(base) ||
        MODEL_CARD.test(base) ||
        /^SECURITY\.md$/i.test(base) ||
        WORKFLOW.test(rel) ||
        /^\.env(?:\.[\w-]+)?$/.test(base) ||
        base.endsWith('.dvc') ||
        base === 'dvc.yaml'
      );
    },
  ).sync();
  const files = found.map((f) => path.resolve(f)).sort();
  const out: OtherFiles = { modelFiles: [], dependencies: [], workspaceFiles: [] };
  let modelFiles = 0;
  for (const abs of files) {
    if (exclude && matchesUnder(exclude, root, abs)) continue;
    const rel = toPosix(path.relative(root, abs));
    const base = path.basename(abs);
    const ignored = gitignore.ignored(abs, false);
    const text = () => {
      try {
        return fs.readFileSync(abs, 'utf8');
      } catch {
        return '';
      }
    };
    if (isDependencyManifest(rel)) {
      const p = readDependencyManifest(rel, text());
      out.dependencies.push(...toDependencies(rel, p.dependencies));
      if (rel === 'pyproject.toml' && p.name) out.projectName = p.name;
    } else if (LOCK_FILES.has(base)) {
      out.workspaceFiles.push({ path: rel, kind: 'lockfile' });
    } else if (MODEL_CARD.test(base)) {
      out.workspaceFiles.push({ path: rel, kind: 'model-card' });
    } else if (/^SECURITY\.md$/i.test(base)) {
      out.workspaceFiles.push({ path: rel, kind: 'security-policy' });
    } else if (WORKFLOW.test(rel)) {
      out.workspaceFiles.push({ path: rel, kind: 'ci-workflow', runsSecureAi: /secure-ai/.test(text()) });
    } else if (/^\.env(?:\.[\w-]+)?$/.test(base)) {
      out.workspaceFiles.push({ path: rel, kind: 'env-file', gitignored: ignored });
    } else if (base.endsWith('.dvc') || base === 'dvc.yaml') {
      out.workspaceFiles.push({ path: rel, kind: 'dvc' });
    } else {
      const format = formatOfPath(base);
      if (!format) continue;
      if (++modelFiles > MAX_MODEL_FILES) continue;
      let bytes = 0;
      try {
        bytes = fs.statSync(abs).size;
      } catch {
        continue;
      }
      out.modelFiles.push({ path: rel, format, bytes, gitignored: ignored });
    }
  }
  return out;
}

/** Everything the generator needs about `root`. Throws `GatherError` for a folder that cannot be read. */
export async function gatherWorkspace(root: string, options: GatherOptions = {}): Promise<WorkspaceFacts> {
  const abs = path.resolve(root);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(abs);
  } catch {
    throw new GatherError(`cannot read '${root}': no such folder`);
  }
  if (!stat.isDirectory()) throw new GatherError(`'${root}' is not a folder`);
  const settings = withDefaults(options.settings);
  const cancelled = options.cancelled ?? (() => false);

  const collected = await collectFiles([abs], { cwd: abs, gitignore: options.gitignore ?? true, exclude: settings.exclude });
  if (collected.errors.length) throw new GatherError(collected.errors[0]);
  const reports = await scanFiles(collected.files, { settings, jobs: options.jobs, roots: [abs], lockFiles: collected.lockFiles });
  if (cancelled()) throw new GatherError('cancelled');
  const findings: FindingRef[] = [];
  let notAnalysed = 0;
  for (const r of reports) {
    if (r.notices.length) notAnalysed++;
    const rel = toPosix(path.relative(abs, r.path));
    for (const f of r.findings) {
      findings.push({
        ruleId: f.ruleId,
        severity: f.severity,
        message: f.message,
        evidence: { path: rel, line: f.range.start.line + 1 },
        guidelines: f.guidelines,
        ...(f.fix ? { fix: f.fix.title } : {}),
        ...(f.suppressed ? { suppressed: f.suppressed.reason ? { reason: f.suppressed.reason } : {} } : {}),
      });
    }
  }
  const files = await pythonFacts(collected.files.filter((f) => fileKindOf(f) === 'python'), abs, settings, cancelled);
  const other = otherFiles(abs, settings);
  const now = options.now ?? new Date();
  const git = readGitInfo(abs);
  return {
    project: {
      name: other.projectName ?? path.basename(abs),
      generatedAt: now.toISOString().slice(0, 10),
      generator: { name: 'secure-ai', version: options.version ?? packageVersion() },
      ...(git ? { git } : {}),
    },
    files,
    findings,
    notAnalysed,
    modelFiles: other.modelFiles,
    dependencies: other.dependencies,
    workspaceFiles: other.workspaceFiles,
  };
}
