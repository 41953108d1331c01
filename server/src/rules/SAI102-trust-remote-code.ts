import { replaceNode } from '../engine/edits';
import type { Node } from '../engine/parser';
import type { Rule, RuleContext } from '../engine/rule';
import type { CallSite, Scope, Value } from '../engine/semantic';
import type { Fix, Severity } from '../engine/types';
import { hubCall, pinOf, revisionOf, type Pin } from './hub';
import { callAt } from './provenance';

const KEYWORD = 'trust_remote_code';

type Truth = 'true' | 'false' | 'unknown';

/** Python truthiness as far as the engine can tell: `trust_remote_code="False"` is true. */
function truthOf(v: Value | undefined): Truth {
  if (!v) return 'false';
  switch (v.kind) {
    case 'bool':
      return v.value ? 'true' : 'false';
    case 'none':
      return 'false';
    case 'num':
      return v.value !== 0 ? 'true' : 'false';
    case 'str':
      return v.value !== '' ? 'true' : v.complete ? 'false' : 'unknown';
    default:
      return 'unknown';
  }
}

/** Where the remote code comes from, and so how bad running it is. */
type Origin = 'unpinned' | 'pinned' | 'local';

/** A pinned commit fixes the code; a revision in a variable is the caller's pin, which we take at its word. */
function pinned(pin: Pin): boolean {
  return pin.kind === 'pinned' || pin.kind === 'unknown';
}

function originOfCall(call: CallSite): Origin {
  if (hubCall(call)?.source.kind === 'local') return 'local';
  const rev = revisionOf(call);
  if (!pinned(rev.pin)) return 'unpinned';
  // Code that lives in another repository is fetched at `code_revision`; an explicit movable one unpins it.
  const code = revisionOf(call, ['code_revision']);
  return code.node && !pinned(code.pin) ? 'unpinned' : 'pinned';
}

const MESSAGES: Record<Origin, string> = {
  unpinned:
    '`trust_remote_code=True` runs Python code from the repository on this machine, and with no pinned commit whoever ' +
    'controls the repository decides what that code is.',
  pinned:
    '`trust_remote_code=True` runs Python code from the repository on this machine with this process\'s rights; the ' +
    'pinned commit fixes which code, so it must be reviewed at that commit.',
  local:
    '`trust_remote_code=True` runs the Python files stored with the local model on this machine, with this ' +
    'process\'s rights.',
};

const UNRESOLVED =
  '`trust_remote_code` is set from a value the linter cannot resolve; when it is true, Python code from the ' +
  'repository runs on this machine.';

function report(ctx: RuleContext, node: Node, value: Node, truth: Truth, origin: Origin): void {
  const severity: Severity = origin === 'unpinned' ? 'error' : 'warning';
  if (truth === 'unknown') {
    ctx.report({ node, severity, confidence: 'low', message: UNRESOLVED });
    return;
  }
  const fix: Fix = { title: 'Set `trust_remote_code=False`', safety: 'unsafe', edits: [replaceNode(value, 'False')] };
  ctx.report({ node, severity, message: MESSAGES[origin], fix });
}

function stringKey(pair: Node, model: RuleContext['model'], scope: Scope): string | undefined {
  const key = pair.childForFieldName('key');
  if (!key) return undefined;
  const v = model.evaluate(key, scope);
  return v.kind === 'str' && v.complete ? v.value : undefined;
}

/** The call a dict literal is handed to directly: `f(**{...})` or `f(model_kwargs={...})`. */
function enclosingCall(dict: Node, model: RuleContext['model']): CallSite | undefined {
  let n = dict.parent;
  if (n && (n.type === 'dictionary_splat' || n.type === 'keyword_argument')) n = n.parent;
  if (!n || n.type !== 'argument_list' || !n.parent) return undefined;
  // Looked up by node, not searched for among the file's calls at each dict (quadratic on a long file).
  return callAt(model, n.parent);
}

export const rule: Rule = {
  id: 'SAI102',
  name: 'trust-remote-code',
  hazard: '`trust_remote_code=True` runs code from the Hub',
  severity: 'error',
  confidence: 'high',
  guidelines: ['NCSC-1.3', 'NCSC-2.1', 'OWASP-ML06', 'OWASP-LLM03:2025', 'AML.T0010.001', 'AML.T0010.003', 'CWE-829', 'CWE-94'],
  message: MESSAGES.unpinned,
  triggers: [KEYWORD],
  docs: {
    why:
      '`trust_remote_code=True` lets transformers, datasets, sentence-transformers and friends import Python files ' +
      'that come with a Hub repository (`modeling_*.py`, dataset scripts) and run them in your process, with your ' +
      'credentials, files and network. Whoever controls the repository, or the repository its `auto_map` points ' +
      'to, decides what runs; without a pinned commit that code can change between two runs without any change in ' +
      'yours. This serves NCSC 1.3 (design for security: treat third-party models as untrusted code, secure ' +
      'defaults) and NCSC 2.1 (secure your supply chain). The finding is an error when the revision is not a full ' +
      'commit hash and a warning when it is (the code is then fixed, but still has to be reviewed), or when the ' +
      'model is a local directory. A value the linter cannot resolve (a config field) is reported with low ' +
      'confidence. The fix sets `trust_remote_code=False`, which changes behaviour: models whose architecture is ' +
      'not yet in the library will stop loading.',
    example:
      'from transformers import AutoModelForCausalLM\n\n' +
      'model = AutoModelForCausalLM.from_pretrained("org/model", trust_remote_code=True)',
    useInstead:
      'from transformers import AutoModelForCausalLM\n\n' +
      '# prefer an architecture that the installed library implements natively:\n' +
      'model = AutoModelForCausalLM.from_pretrained("org/model", revision="0123456789abcdef0123456789abcdef01234567")\n' +
      '# if remote code is unavoidable: review it at one commit and pin that commit\n' +
      'model = AutoModelForCausalLM.from_pretrained(\n' +
      '    "org/model", revision="0123456789abcdef0123456789abcdef01234567", trust_remote_code=True\n' +
      ')  # secure-ai: ignore[SAI102] modeling code reviewed at this commit',
    references: [
      'https://huggingface.co/docs/transformers/custom_models#using-a-model-with-custom-code',
      'https://huggingface.co/docs/transformers/main_classes/model#transformers.PreTrainedModel.from_pretrained',
      'https://huggingface.co/docs/datasets/package_reference/loading_methods#datasets.load_dataset',
      'https://www.ncsc.gov.uk/collection/guidelines-secure-ai-system-development',
    ],
  },
  check(ctx) {
    const model = ctx.model;
    for (const call of model.calls) {
      const value = call.keywords.get(KEYWORD);
      const node = call.keywordNodes.get(KEYWORD);
      if (!value || !node) continue;
      const truth = truthOf(model.evaluate(value, call.scope));
      if (truth === 'false') continue;
      report(ctx, node, value, truth, originOfCall(call));
    }

    // `model_kwargs={"trust_remote_code": True}`, `**{"trust_remote_code": True}`, a kwargs dict built up front.
    for (const pair of model.tree.rootNode.descendantsOfType('pair')) {
      if (!pair || !pair.parent || pair.parent.type !== 'dictionary') continue;
      const scope = model.scopeAt(pair);
      if (stringKey(pair, model, scope) !== KEYWORD) continue;
      const value = pair.childForFieldName('value');
      if (!value) continue;
      const truth = truthOf(model.evaluate(value, scope));
      if (truth === 'false') continue;
      const dict = pair.parent;
      let pin: Pin = { kind: 'absent' };
      for (const sibling of dict.namedChildren) {
        if (sibling?.type !== 'pair' || stringKey(sibling, model, scope) !== 'revision') continue;
        const v = sibling.childForFieldName('value');
        if (v) pin = pinOf(model.evaluate(v, scope));
      }
      let origin: Origin = pinned(pin) ? 'pinned' : 'unpinned';
      const call = enclosingCall(dict, model);
      if (origin === 'unpinned' && call) origin = originOfCall(call);
      report(ctx, pair, value, truth, origin);
    }
  },
};
