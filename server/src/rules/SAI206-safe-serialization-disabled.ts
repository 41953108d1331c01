import { replaceNode } from '../engine/edits';
import type { Node } from '../engine/parser';
import type { Rule, RuleContext } from '../engine/rule';
import type { CallSite } from '../engine/semantic';
import type { Fix } from '../engine/types';
import { isEphemeral, savedObject } from './artifacts';

/** Methods that take `safe_serialization=` (transformers, diffusers, peft, accelerate, sentence-transformers). */
const SAFE_SERIALIZATION_METHODS = new Set(['save_pretrained', 'push_to_hub', 'save_model', 'save_state', 'save']);
/** Loaders that take `use_safetensors=` (transformers, diffusers). */
const SAFETENSORS_LOADERS = new Set([
  'from_pretrained', 'from_single_file', 'load_lora_weights', 'load_attn_procs', 'load_textual_inversion',
]);
/** Libraries whose training-argument objects take `save_safetensors=`. */
const TRAINING_ARGUMENT_LIBRARIES = /^(transformers|trl|setfit|sentence_transformers|optimum)\./;
const TORCH_SAVE = new Set(['torch.save', 'torch.serialization.save']);

/** The keyword's node when the call sets it to a value that resolves to `False`. */
function setFalse(call: CallSite, name: string): Node | undefined {
  const node = call.keywords.get(name);
  if (!node) return undefined;
  const v = call.model.evaluate(node, call.scope);
  return v.kind === 'bool' && !v.value ? node : undefined;
}

function flip(node: Node, name: string, note = ''): Fix {
  return { title: `Set \`${name}=True\`${note}`, safety: 'unsafe', edits: [replaceNode(node, 'True')] };
}

function checkSaves(ctx: RuleContext): void {
  for (const call of ctx.callsNamed(...SAFE_SERIALIZATION_METHODS)) {
    const fn = call.functionNode;
    // A method on a model object; a bare function of that name is something else.
    if (fn?.type !== 'attribute') continue;
    const node = setFalse(call, 'safe_serialization');
    if (!node) continue;
    ctx.report({
      node,
      message:
        `\`${call.name}\` with \`safe_serialization=False\` writes the weights as a pickle, so whoever loads them ` +
        'later runs any code the file carries.',
      fix: flip(node, 'safe_serialization'),
    });
  }
}

function checkLoads(ctx: RuleContext): void {
  for (const call of ctx.callsNamed(...SAFETENSORS_LOADERS)) {
    if (call.functionNode?.type !== 'attribute') continue;
    const node = setFalse(call, 'use_safetensors');
    if (!node) continue;
    ctx.report({
      node,
      message:
        `\`${call.name}\` with \`use_safetensors=False\` loads pickled weights, so a malicious checkpoint runs ` +
        'arbitrary code.',
      fix: flip(node, 'use_safetensors', ' (loading fails if the repository has no safetensors weights)'),
    });
  }
}

function checkTrainingArguments(ctx: RuleContext): void {
  if (!ctx.text.includes('save_safetensors')) return;
  for (const call of ctx.model.calls) {
    if (!call.keywords.has('save_safetensors')) continue;
    const q = call.qname;
    if (!q || !TRAINING_ARGUMENT_LIBRARIES.test(q)) continue;
    const node = setFalse(call, 'save_safetensors');
    if (!node) continue;
    ctx.report({
      node,
      message:
        '`save_safetensors=False` makes every checkpoint of the run a pickle, so whoever loads one runs any code ' +
        'the file carries.',
      fix: flip(node, 'save_safetensors'),
    });
  }
}

function checkTorchSave(ctx: RuleContext): void {
  for (const call of ctx.callsNamed('save')) {
    if (!call.qname || !TORCH_SAVE.has(call.qname)) continue;
    const obj = call.arg('obj', 0);
    if (!obj) continue;
    const saved = savedObject(ctx.model, obj, call.scope);
    if (saved.kind !== 'module') continue;
    // A round trip through memory or a temporary file (a deep copy, a test) hands the pickle to no one.
    const target = call.arg('f', 1);
    if (target && isEphemeral(ctx.model, target, call.scope)) continue;
    ctx.report({
      node: call.node,
      confidence: saved.byName ? 'medium' : 'high',
      message:
        '`torch.save` of a whole module pickles the model object, so loading it needs `weights_only=False` and ' +
        'runs any code the file carries; save its `state_dict()` instead.',
    });
  }
}

export const rule: Rule = {
  id: 'SAI206',
  name: 'safe-serialization-disabled',
  hazard: 'Safe (safetensors) serialisation turned off, or a whole module pickled',
  severity: 'warning',
  confidence: 'high',
  guidelines: ['NCSC-1.3', 'NCSC-2.1', 'OWASP-ML06', 'OWASP-LLM03:2025', 'AML.T0011.000', 'AML.T0018.002', 'CWE-502'],
  message:
    'Safe serialisation is turned off, so the weights are stored or read as a pickle that runs arbitrary code when loaded.',
  triggers: ['safe_serialization', 'use_safetensors', 'save_safetensors', 'save'],
  // `save` matters only as `torch.save`, which needs `torch` in the file; the other triggers stand on their own.
  requires: ['torch', 'safe_serialization', 'use_safetensors', 'save_safetensors'],
  docs: {
    why:
      'safetensors stores only tensors and their shapes: loading a `.safetensors` file cannot run code. Pickle-based ' +
      'weights (`pytorch_model.bin`, `.pt`, `.ckpt`) can: unpickling imports and calls whatever functions the file ' +
      'names. Hugging Face libraries write and prefer safetensors by default; this rule reports code that turns the ' +
      'default off, which hands every later consumer of the weights a file that must be trusted like code. The NCSC ' +
      'guidelines ask for secure defaults and for serialised weights to be treated as untrusted code (NCSC 1.3), and ' +
      'for a supply chain whose artifacts can be checked (NCSC 2.1); MITRE ATLAS lists pickled models as the carrier ' +
      'for embedded malware (AML.T0011.000, AML.T0018.002).\n\n' +
      'Reported: `save_pretrained`, `push_to_hub`, `save_model`, `save_state` and `save` method calls with ' +
      '`safe_serialization=False` (transformers, diffusers, peft, accelerate, sentence-transformers); ' +
      '`from_pretrained`, `from_single_file` and the diffusers LoRA / adapter loaders with `use_safetensors=False`; ' +
      'transformers / trl training arguments with `save_safetensors=False`; and `torch.save` of a whole module ' +
      'rather than its `state_dict()`. A whole module is recognised by where it came from (an `nn.*` layer, a class ' +
      'deriving from `nn.Module` or a LightningModule, a torchvision / timm / transformers model factory, ' +
      '`copy.deepcopy` or `.to()` of one) with high confidence, or by its name alone (`model`, `net`, `best_model`, ' +
      '`self.encoder`) with medium confidence. A module saved to an in-memory buffer or a temporary file (a deep copy, a ' +
      'test round trip) is not reported. Values the engine cannot resolve (a config field) are left alone.\n\n' +
      'The fix sets the flag to `True`; it is marked unsafe because the output files change name and format ' +
      '(`model.safetensors` instead of `pytorch_model.bin`), and `use_safetensors=True` fails for repositories ' +
      'that publish only pickled weights. `torch.save` of a module has no automatic fix: the loading side must ' +
      'change too (build the model, then `load_state_dict`).',
    example:
      'import torch\n\nmodel.save_pretrained("out", safe_serialization=False)\n' +
      'model = AutoModel.from_pretrained("org/name", use_safetensors=False)\ntorch.save(model, "model.pt")',
    useInstead:
      'import torch\nfrom safetensors.torch import save_file\n\nmodel.save_pretrained("out")  # safetensors by default\n' +
      'model = AutoModel.from_pretrained("org/name", use_safetensors=True)\n' +
      'torch.save(model.state_dict(), "model.pt")  # load with weights_only=True\n' +
      'save_file(model.state_dict(), "model.safetensors")',
    references: [
      'https://huggingface.co/docs/safetensors/index',
      'https://huggingface.co/docs/transformers/main_classes/model#transformers.PreTrainedModel.save_pretrained',
      'https://pytorch.org/tutorials/beginner/saving_loading_models.html',
      'https://www.ncsc.gov.uk/collection/guidelines-secure-ai-system-development',
    ],
  },
  check(ctx) {
    checkSaves(ctx);
    checkLoads(ctx);
    checkTrainingArguments(ctx);
    checkTorchSave(ctx);
  },
};
