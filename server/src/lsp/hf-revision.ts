/**
 * SAI101's fix: pin a Hugging Face Hub download to a commit with `revision="<sha>"`.
 *
 * The SHA comes from the local Hugging Face cache only ($HF_HUB_CACHE, else $HF_HOME/hub, else
 * ~/.cache/huggingface/hub): the folder `models--{org}--{name}` (or `datasets--` / `spaces--`) holds `refs/<ref>`,
 * a file with the commit the ref pointed to when the files were downloaded. Nothing outside that folder is read, and
 * no symbolic link out of it is followed (the repo id and ref come from the workspace's code). Without it there is no SHA to insert and
 * none is invented: the caller offers a snippet placeholder when the client takes snippet edits, or nothing.
 *
 * The engine is pure, so the filesystem lookup lives here. What the call downloads is recomputed from the document's
 * tree with the same helpers the rule uses (rules/hub.ts).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { addKeywordArgument, replaceNode } from '../engine/edits';
import type { Node, Tree } from '../engine/parser';
import { SemanticModel, type CallSite } from '../engine/semantic';
import type { Range, TextEdit } from '../engine/types';
import { hubCall, isFullSha, revisionOf } from '../rules/hub';
import { isInside } from '../workspace/ignore-rules';

/** The hub cache folder, as huggingface_hub resolves it. */
export function hfHubCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HF_HUB_CACHE) return env.HF_HUB_CACHE;
  if (env.HF_HOME) return path.join(env.HF_HOME, 'hub');
  const xdg = env.XDG_CACHE_HOME;
  return path.join(xdg || path.join(os.homedir(), '.cache'), 'huggingface', 'hub');
}

export type RepoType = 'model' | 'dataset' | 'space';

/** A Hub repo id: `name` or `org/name`, of the characters the Hub allows, never `.` or `..`. */
const REPO_ID = /^(?:[\w][\w.-]*\/)?[\w][\w.-]*$/;
/** The longest `refs/<ref>` file read: a SHA and a newline; anything longer is not a ref file. */
const MAX_REF_BYTES = 256;

/** A branch or tag name as a relative path below `refs/`: no empty, `.` or `..` segment, no backslash or NUL. */
function isRefPath(ref: string): boolean {
  if (ref === '' || ref.length > 255 || /[\\\0:]/.test(ref) || path.isAbsolute(ref)) return false;
  return ref.split('/').every((s) => s !== '' && s !== '.' && s !== '..');
}

/**
 * The commit SHA `refs/<ref>` holds for a repo in the cache, or undefined. Reads only below the cache folder: the
 * repo id and ref must be plain names, and the file, once symbolic links are resolved, must still lie inside the
 * (resolved) cache folder and be a small regular file (not a FIFO, a device or a folder). A symbolic link inside the
 * cache that points inside it is followed; one that points out of it is not.
 */
export function cachedRevision(repoId: string, repoType: RepoType, ref = 'main', cacheDir = hfHubCacheDir()): string | undefined {
  if (typeof repoId !== 'string' || !REPO_ID.test(repoId)) return undefined;
  if (typeof ref !== 'string' || !isRefPath(ref)) return undefined;
  let fd: number | undefined;
  try {
    const root = fs.realpathSync(cacheDir);
    const file = fs.realpathSync(path.join(root, `${repoType}s--${repoId.split('/').join('--')}`, 'refs', ...ref.split('/')));
    if (!isInside(file, root) || file === root) return undefined;
    // O_NONBLOCK: opening a FIFO must not wait for a writer; O_NOFOLLOW: the path was resolved, a link swapped in
    // since then is refused.
    const flags = fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0) | (fs.constants.O_NOFOLLOW ?? 0);
    fd = fs.openSync(file, flags);
    const stat = fs.fstatSync(fd);
    if (!stat.isFile() || stat.size > MAX_REF_BYTES) return undefined;
    const buffer = Buffer.alloc(MAX_REF_BYTES);
    const read = fs.readSync(fd, buffer, 0, MAX_REF_BYTES, 0);
    const sha = buffer.subarray(0, read).toString('utf8').trim();
    return isFullSha(sha) ? sha.toLowerCase() : undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

const sameRange = (n: Node, r: Range) =>
  n.startPosition.row === r.start.line &&
  n.startPosition.column === r.start.character &&
  n.endPosition.row === r.end.line &&
  n.endPosition.column === r.end.character;

export interface RevisionTarget {
  repoId: string;
  repoType: RepoType;
  /** The ref the code asks for today: `main` when none is given, else the branch or tag it names. */
  ref: string;
  /** Where `revision=...` goes: inserted after the last argument, or replacing the movable value. */
  edit(valueText: string): TextEdit | undefined;
}

/**
 * What the SAI101 finding at `range` downloads, and how to pin it. Undefined when the call cannot take a
 * `revision=` edit: timm (pinned inside the name), a repo id the engine cannot read, a `**kwargs` splat that may
 * already carry one.
 */
export function revisionTarget(tree: Tree, text: string, range: Range): RevisionTarget | undefined {
  const model = new SemanticModel(tree, text);
  let call: CallSite | undefined;
  let valueNode: Node | undefined;
  for (const c of model.calls) {
    if (sameRange(c.node, range)) {
      call = c;
      break;
    }
    const rev = revisionOf(c);
    if (rev.node && sameRange(rev.node, range)) {
      call = c;
      valueNode = rev.node;
      break;
    }
  }
  if (!call) return undefined;
  const hub = hubCall(call);
  if (!hub || hub.kind === 'timm' || hub.source.kind !== 'hub') return undefined;
  let repoType: RepoType = hub.kind === 'dataset' ? 'dataset' : 'model';
  const typeValue = call.value('repo_type');
  if (typeValue?.kind === 'str' && (typeValue.value === 'dataset' || typeValue.value === 'space')) repoType = typeValue.value;
  // `revision=None` or `revision=""` is reported on the call, but the keyword is there: replace its value.
  valueNode ??= revisionOf(call).node;
  let ref = 'main';
  if (valueNode) {
    const v = call.model.evaluate(valueNode, call.scope);
    if (v.kind === 'str' && v.complete && v.value !== '') ref = v.value;
    else if (!(v.kind === 'none' || (v.kind === 'str' && v.complete && v.value === ''))) return undefined;
  } else if (call.hasKwSplat) {
    return undefined;
  }
  const target = call;
  return {
    repoId: hub.source.id,
    repoType,
    ref,
    edit: (valueText) => (valueNode ? replaceNode(valueNode, valueText) : addKeywordArgument(target, `revision=${valueText}`)),
  };
}
