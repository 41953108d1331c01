import { setKeywordArgument } from '../engine/edits';
import type { Rule } from '../engine/rule';
import { torchMinimumFor } from '../engine/project';
import { compareVersions } from '../manifests';

/** The first PyTorch release whose `torch.load` defaults to `weights_only=True`. */
const SAFE_DEFAULT_FROM = '2.6';

const LOADERS = new Set(['torch.load', 'torch.serialization.load']);

export const rule: Rule = {
  id: 'SAI202',
  name: 'torch-load-without-weights-only',
  hazard: '`torch.load` without `weights_only=True`',
  severity: 'warning',
  confidence: 'high',
  guidelines: ['NCSC-1.3', 'NCSC-2.1', 'OWASP-ML06', 'OWASP-LLM03:2025', 'AML.T0011.000', 'AML.T0018.002', 'CWE-502'],
  message: '`torch.load` without `weights_only=True` unpickles the checkpoint, so a malicious file runs arbitrary code.',
  triggers: ['load'],
  requires: ['torch'],
  docs: {
    why:
      '`torch.load` reads checkpoints with `pickle`. Unless `weights_only=True` is passed (the default only from ' +
      'PyTorch 2.6 on), unpickling can import and call any Python function the file names, so loading a ' +
      'downloaded or shared checkpoint is running code from whoever wrote it. The NCSC guidelines ask that ' +
      'third-party models and serialised weights be treated as untrusted code (NCSC 1.3) and that the supply ' +
      'chain be secured (NCSC 2.1). An explicit `weights_only=False` is reported as an error. When the project\'s ' +
      'manifests (`requirements*.txt`, `pyproject.toml`, `setup.cfg`, `environment.yml`) all require torch 2.6 or ' +
      'later, a call without the argument drops to a hint, and the message says which manifest line decided it.',
    example: 'import torch\n\nstate = torch.load("checkpoint.pt")\nstate = torch.load(path, weights_only=False)',
    useInstead:
      'import torch\n\nstate = torch.load("checkpoint.pt", weights_only=True)\n# or, better, store weights as safetensors:\n' +
      'from safetensors.torch import load_file\nstate = load_file("model.safetensors")',
    references: [
      'https://pytorch.org/docs/stable/generated/torch.load.html',
      'https://huggingface.co/docs/safetensors/index',
      'https://www.ncsc.gov.uk/collection/guidelines-secure-ai-system-development',
    ],
  },
  check(ctx) {
    for (const call of ctx.callsNamed('load')) {
      if (!call.qname || !LOADERS.has(call.qname)) continue;
      const v = call.value('weights_only');
      if (v?.kind === 'bool' && v.value) continue;
      const fix = (title: string) => {
        const edit = setKeywordArgument(call, 'weights_only', 'True');
        return edit ? { title, safety: 'unsafe' as const, edits: [edit] } : undefined;
      };
      if (v?.kind === 'bool' && !v.value) {
        ctx.report({
          node: call.arg('weights_only') ?? call.node,
          severity: 'error',
          message: '`torch.load` with `weights_only=False` unpickles the checkpoint, so a malicious file runs arbitrary code.',
          fix: fix('Replace `weights_only=False` with `weights_only=True`'),
        });
      } else if (v === undefined) {
        const torch = torchMinimumFor(ctx.path, ctx.project, compareVersions);
        if (torch && compareVersions(torch.minimum, SAFE_DEFAULT_FROM) >= 0) {
          ctx.report({
            node: call.node,
            severity: 'hint',
            confidence: call.mayPass('weights_only') ? 'low' : 'high',
            message:
              `\`torch.load\` without \`weights_only=True\` is safe only on PyTorch ${SAFE_DEFAULT_FROM} or later, where it is the default; ` +
              `\`${torch.where}\` requires torch ${torch.minimum} or later, so this matters only where an older torch is installed.`,
            fix: call.hasKwSplat ? undefined : fix('Add `weights_only=True`'),
          });
          continue;
        }
        ctx.report({
          node: call.node,
          confidence: call.mayPass('weights_only') ? 'low' : 'high',
          fix: call.hasKwSplat ? undefined : fix('Add `weights_only=True`'),
        });
      }
      // A value the engine cannot resolve (a variable, a config field) is the caller's decision: stay quiet.
    }
  },
};
