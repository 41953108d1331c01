import type { Rule } from '../engine/rule';
import type { Value } from '../engine/semantic';
import { pinOf, type Pin } from './hub';

/** The torch.hub entry points that fetch a GitHub repository and import its `hubconf.py`. */
const ENTRY_POINTS = new Map([
  ['torch.hub.load', 'load'],
  ['torch.hub.list', 'list'],
  ['torch.hub.help', 'help'],
]);

/** `owner/repo` or `owner/repo:ref`, the form torch.hub accepts for GitHub. */
const GITHUB_REPO = /^([\w.-]+\/[\w.-]+)(?::(.*))?$/s;

type Target =
  | { kind: 'repo'; repo: string; pin: Pin }
  /** Not a GitHub spelling the rule can read: a variable, an f-string without a known ref, a local path. */
  | { kind: 'unknown' };

function targetOf(v: Value | undefined): Target {
  if (v?.kind !== 'str') return { kind: 'unknown' };
  // A local path or another spelling torch.hub would reject; `f"owner/{name}"`, whose ref may be interpolated.
  const m = GITHUB_REPO.exec(v.value);
  if (!m) return { kind: 'unknown' };
  const [, repo, ref] = m;
  if (ref === undefined) {
    // Complete: no ref, the default branch. Partial without a `:` yet: the ref may be in the part we cannot see.
    return v.complete ? { kind: 'repo', repo, pin: { kind: 'absent' } } : { kind: 'unknown' };
  }
  return { kind: 'repo', repo, pin: pinOf({ kind: 'str', value: ref, complete: v.complete }) };
}

export const rule: Rule = {
  id: 'SAI103',
  name: 'torch-hub-load-unpinned',
  hazard: '`torch.hub.load` from GitHub without a pinned commit',
  severity: 'warning',
  confidence: 'high',
  guidelines: ['NCSC-2.1', 'NCSC-1.3', 'OWASP-ML06', 'OWASP-LLM03:2025', 'AML.T0010.001', 'AML.T0010.003', 'CWE-494', 'CWE-829'],
  message:
    '`torch.hub.load` imports `hubconf.py` from a GitHub repository that is not pinned to a commit, so whoever can ' +
    'push to that repository decides what code runs here.',
  triggers: ['load', 'list', 'help'],
  requires: ['hub'],
  docs: {
    why:
      '`torch.hub.load("owner/repo", "model")` downloads the repository and imports its `hubconf.py`, which then ' +
      'runs with your process\'s rights and usually downloads weights of its own. Without a ref it takes the ' +
      'default branch; a branch or tag (`owner/repo:main`, `owner/repo:v0.10.0`) can be moved to any commit. ' +
      'Either way, whoever can push to the repository (its owner, a compromised maintainer account, a stolen ' +
      'token) chooses the code you run, and two runs can execute different code. Only `owner/repo:<40-character ' +
      'commit hash>` fixes it. `trust_repo=True` also skips the prompt that asks before running code from a ' +
      'repository not seen before, so it is reported even for a pinned commit. `torch.hub.list` and ' +
      '`torch.hub.help` import `hubconf.py` the same way and are checked too. This serves NCSC 2.1 (secure your ' +
      'supply chain: pinned and checked sources) and NCSC 1.3 (treat third-party models as untrusted code). ' +
      '`source="local"` and a repository given as a variable (the ref may be in it) are not reported.',
    example: 'import torch\n\nmodel = torch.hub.load("pytorch/vision", "resnet50", weights="DEFAULT")\n' +
      'model = torch.hub.load("pytorch/vision:main", "resnet50", trust_repo=True)',
    useInstead:
      'import torch\n\n# a commit reviewed once, pinned for good\n' +
      'model = torch.hub.load("pytorch/vision:0123456789abcdef0123456789abcdef01234567", "resnet50", weights="DEFAULT")\n' +
      '# or vendor the code and load it from disk\n' +
      'model = torch.hub.load("third_party/vision", "resnet50", source="local")',
    references: [
      'https://pytorch.org/docs/stable/hub.html#torch.hub.load',
      'https://pytorch.org/docs/stable/hub.html#running-a-loaded-model',
      'https://www.ncsc.gov.uk/collection/guidelines-secure-ai-system-development',
    ],
  },
  check(ctx) {
    for (const call of ctx.callsNamed('load', 'list', 'help')) {
      const fn = call.qname && ENTRY_POINTS.get(call.qname);
      if (!fn) continue;
      const label = `torch.hub.${fn}`;
      if (fn === 'load') {
        const source = call.value('source');
        // A local directory is code already on disk; a source the engine cannot resolve is the caller's choice.
        if (source && !(source.kind === 'str' && source.complete && source.value === 'github')) continue;
      }
      const repoNode = call.arg('repo_or_dir', 0) ?? call.keywords.get('github');
      const target = targetOf(repoNode ? ctx.evaluate(repoNode, call) : undefined);
      const trust = call.value('trust_repo');
      const trusted = trust?.kind === 'bool' && trust.value;
      const pin = target.kind === 'repo' ? target.pin : undefined;
      const unpinned = pin !== undefined && pin.kind !== 'pinned' && pin.kind !== 'unknown';
      if (!unpinned && !trusted) continue;

      const repo = target.kind === 'repo' ? `\`${target.repo}\`` : 'the repository';
      let message: string;
      if (pin?.kind === 'movable') {
        const what = pin.abbreviated ? 'an abbreviated commit hash that a branch or tag can shadow' : 'a branch or tag that can be moved';
        message = trusted
          ? `\`${label}\` with \`trust_repo=True\` imports \`hubconf.py\` from ${repo} at \`${pin.ref}\`, ${what}, without asking, so whoever can push to that repository runs code here.`
          : `\`${label}\` imports \`hubconf.py\` from ${repo} at \`${pin.ref}\`, ${what}, so whoever can push to that repository decides what code runs here.`;
      } else if (unpinned) {
        message = trusted
          ? `\`${label}\` with \`trust_repo=True\` imports \`hubconf.py\` from the default branch of ${repo} without asking, so whoever can push to that repository runs code here.`
          : `\`${label}\` imports \`hubconf.py\` from the default branch of ${repo}, so whoever can push to that repository decides what code runs here.`;
      } else {
        message = `\`${label}\` with \`trust_repo=True\` imports \`hubconf.py\` from ${repo} without the prompt that asks before trusting a repository, so a mistyped or look-alike repository runs code here unchallenged.`;
      }
      const node = unpinned ? (trusted ? call.node : (repoNode ?? call.node)) : (call.keywordNodes.get('trust_repo') ?? call.node);
      // `**kwargs` may carry `source="local"`.
      const confidence = fn === 'load' && call.mayPass('source') ? 'low' : 'high';
      ctx.report({ node, message, confidence });
    }
  },
};
