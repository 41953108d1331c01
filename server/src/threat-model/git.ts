/**
 * The commit a folder is at, read from the repository's files (HEAD, the ref it names, packed-refs) rather than by
 * running git. Handles worktrees and submodules (a `.git` file pointing elsewhere). Undefined outside a repository.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const SHA = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;

function read(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** The git directory for the repository holding `dir`, and its common directory (where refs live). */
function gitDirs(dir: string): { gitDir: string; commonDir: string } | undefined {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    const dotGit = path.join(d, '.git');
    let stat: fs.Stats | undefined;
    try {
      stat = fs.statSync(dotGit);
    } catch {
      stat = undefined;
    }
    if (stat?.isDirectory()) return { gitDir: dotGit, commonDir: dotGit };
    if (stat?.isFile()) {
      const m = /^gitdir:\s*(.+?)\s*$/m.exec(read(dotGit) ?? '');
      if (!m) return undefined;
      const gitDir = path.resolve(d, m[1]);
      const common = read(path.join(gitDir, 'commondir'))?.trim();
      return { gitDir, commonDir: common ? path.resolve(gitDir, common) : gitDir };
    }
    if (path.dirname(d) === d) return undefined;
  }
}

function resolveRef(ref: string, dirs: { gitDir: string; commonDir: string }): string | undefined {
  for (const base of [dirs.gitDir, dirs.commonDir]) {
    const v = read(path.join(base, ...ref.split('/')))?.trim();
    if (v && SHA.test(v)) return v;
  }
  const packed = read(path.join(dirs.commonDir, 'packed-refs')) ?? '';
  for (const line of packed.split(/\r?\n/)) {
    const [sha, name] = line.split(' ');
    if (name === ref && SHA.test(sha)) return sha;
  }
  return undefined;
}

export function readGitInfo(dir: string): { commit: string; branch?: string } | undefined {
  const dirs = gitDirs(dir);
  if (!dirs) return undefined;
  const head = read(path.join(dirs.gitDir, 'HEAD'))?.trim();
  if (!head) return undefined;
  if (SHA.test(head)) return { commit: head };
  const m = /^ref:\s*(refs\/\S+)$/.exec(head);
  if (!m) return undefined;
  const commit = resolveRef(m[1], dirs);
  if (!commit) return undefined; // a branch with no commits yet
  return { commit, branch: m[1].replace(/^refs\/heads\//, '') };
}
