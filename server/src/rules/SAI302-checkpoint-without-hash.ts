import type { Node } from '../engine/parser';
import type { Rule } from '../engine/rule';
import type { CallSite, SemanticModel } from '../engine/semantic';
import type { RecordSite } from './provenance';
import { boundValue, checkedNearby, digestSite, isEphemeral, isTestPath, isTrainingCode, savedObject } from './artifacts';

const TORCH_SAVE = new Set(['torch.save', 'torch.serialization.save']);
const SAFETENSORS_SAVE = /^safetensors\.(torch|numpy|flax|tensorflow|paddle|mlx)\.(save_file|save_model)$/;
const JOBLIB_DUMP = new Set(['joblib.dump', 'sklearn.externals.joblib.dump']);
/** Receivers of `save_pretrained` that hold no weights. */
const NOT_A_MODEL = /token|processor|extractor|config|scheduler|vocab/i;
/** Libraries whose objects `joblib.dump` writes as models. */
const ESTIMATOR_LIBRARY = /^(sklearn|xgboost|lightgbm|catboost|imblearn|skl2onnx)\./;
/** Names that hold a fitted estimator in scikit-learn style code. */
const ESTIMATOR_NAME =
  /^(?:[a-z0-9]+_)*(?:model|clf|classifier|regressor|estimator|pipeline|pipe|rf|xgb|lgbm|gbm|svc|svm|knn|booster|forest|net)_?$/i;

/** Calls that record a written model: MLflow and W&B artifact logging, a Hub upload (the Hub keeps each file's sha256). */
const MLFLOW_ARTIFACT = /^mlflow\.(\w+(\(\))?\.)*(log_artifacts?|log_model|save_model|register_model)$/;
const WANDB_ARTIFACT = /^wandb\.(\w+(\(\))?\.)*(log_artifact|log_model|link_model|save|add_file|add_dir|add_reference)$/;
const HUB_UPLOAD = /^huggingface_hub\.(\w+(\(\))?\.)*(upload_file|upload_folder|create_commit|upload_large_folder)$/;
const RECORD_METHODS = new Set(['log_artifact', 'log_artifacts', 'log_model', 'push_to_hub']);

function argumentNodes(call: CallSite): Node[] {
  const args = call.argumentList;
  return args ? args.namedChildren.filter((n): n is Node => !!n && n.type !== 'comment') : [];
}

function recordSite(call: CallSite): RecordSite | undefined {
  const digest = digestSite(call);
  if (digest) return digest;
  const q = call.qname ?? '';
  if (MLFLOW_ARTIFACT.test(q) || WANDB_ARTIFACT.test(q) || HUB_UPLOAD.test(q) || RECORD_METHODS.has(call.name)) {
    return { regions: argumentNodes(call), mode: 'names', scope: call.scope };
  }
  return undefined;
}

interface Save {
  label: string;
  /** The written path, when given. */
  path?: Node;
  /** What is written. */
  object?: Node;
}

function lastName(node: Node): string | undefined {
  if (node.type === 'identifier') return node.text;
  if (node.type === 'attribute') return node.childForFieldName('attribute')?.text;
  return undefined;
}

/** A fitted estimator, by where it came from (a scikit-learn style constructor or `.fit()`) or by its name. */
function isEstimator(model: SemanticModel, node: Node, call: CallSite): boolean {
  const v = model.evaluate(node, call.scope);
  if (v.kind === 'ref') return ESTIMATOR_LIBRARY.test(v.qname);
  if (node.type === 'identifier') {
    const b = boundValue(model, node.text, call.scope, node.startIndex);
    if (b?.value) {
      const bv = model.evaluate(b.value, b.scope, 0, b.at);
      if (bv.kind === 'ref') return ESTIMATOR_LIBRARY.test(bv.qname);
    }
  }
  if (savedObject(model, node, call.scope).kind === 'module') return true;
  const name = lastName(node);
  return !!name && ESTIMATOR_NAME.test(name);
}

/** The path is a parameter of the enclosing function (or a name bound to one): the caller may record the file. */
function isParameter(model: SemanticModel, node: Node, call: CallSite): boolean {
  if (node.type !== 'identifier') return false;
  const b = boundValue(model, node.text, call.scope, node.startIndex);
  if (!b) return false;
  if (b.parameter) return true;
  return b.value?.type === 'identifier' ? isParameter(model, b.value, call) : false;
}

/** What a call writes, when it writes a model or checkpoint. */
function saveOf(model: SemanticModel, call: CallSite): Save | undefined {
  const q = call.qname;
  if (q && TORCH_SAVE.has(q)) {
    const object = call.arg('obj', 0);
    if (!object) return undefined;
    const saved = savedObject(model, object, call.scope);
    if (saved.kind === 'unknown') return undefined;
    return { label: 'torch.save', path: call.arg('f', 1), object };
  }
  if (q && SAFETENSORS_SAVE.test(q)) {
    return { label: q.slice(q.lastIndexOf('.') + 1), path: call.arg('filename', 1), object: call.arg(q.endsWith('save_model') ? 'model' : 'tensors', 0) };
  }
  if (q && JOBLIB_DUMP.has(q)) {
    const object = call.arg('value', 0);
    if (!object || !isEstimator(model, object, call)) return undefined;
    return { label: 'joblib.dump', path: call.arg('filename', 1), object };
  }
  if (call.name === 'save_pretrained') {
    const fn = call.functionNode;
    const receiver = fn?.type === 'attribute' ? fn.childForFieldName('object') : null;
    if (!receiver) return undefined;
    const v = model.evaluate(receiver, call.scope);
    const described = v.kind === 'ref' ? v.qname : receiver.text;
    if (NOT_A_MODEL.test(described)) return undefined;
    if (receiver.type === 'identifier') {
      const b = boundValue(model, receiver.text, call.scope, call.node.startIndex);
      if (b?.value && NOT_A_MODEL.test(b.value.text.split('(')[0])) return undefined;
    }
    return { label: 'save_pretrained', path: call.arg('save_directory', 0), object: receiver };
  }
  return undefined;
}

export const rule: Rule = {
  id: 'SAI302',
  name: 'checkpoint-without-hash',
  hazard: 'Checkpoint or model saved with no hash recorded',
  severity: 'hint',
  confidence: 'medium',
  guidelines: ['NCSC-3.2', 'NCSC-2.3', 'OWASP-ML10', 'AML.T0018', 'AML.M0013', 'AML.M0014', 'CWE-353'],
  message:
    'A checkpoint is written with no hash computed or logged next to it, so a later swap or tampering of the file cannot be detected.',
  triggers: ['save', 'save_pretrained', 'save_file', 'save_model', 'dump'],
  // The rule reports only in training code, which spells one of the calls `isTrainingCode` looks for.
  requires: ['backward', 'zero_grad', 'fit', 'partial_fit', 'train', 'train_on_batch', 'fit_generator', '\\w*Trainer'],
  docs: {
    why:
      'Model weights are an asset an attacker can replace: a poisoned or backdoored checkpoint looks exactly like the ' +
      'real one unless someone recorded what the real one was. The NCSC guidelines ask that weights and checkpoints ' +
      'be hashed or signed right after training (NCSC 3.2) and that models be documented with their hashes (NCSC ' +
      '2.3); MITRE ATLAS names verifying AI artifacts and code signing (AML.M0014, AML.M0013) against model ' +
      'manipulation (AML.T0018, OWASP ML10). Without a recorded digest there is nothing to verify against (CWE-353). ' +
      'It is a record-keeping duty, so the finding is a hint.\n\n' +
      'In training code (a module that calls `backward`, `zero_grad`, `fit`, `partial_fit`, `train`, ' +
      '`train_on_batch` or builds a `*Trainer`), the rule reports `torch.save` of a model, a state dict or a ' +
      'checkpoint dict; `save_pretrained` on a model (not a tokenizer, processor, config or scheduler); safetensors ' +
      '`save_file` / `save_model`; and `joblib.dump` of an estimator (a scikit-learn, XGBoost, LightGBM or CatBoost ' +
      'object, or a name such as `model`, `clf`, `pipeline`). It stays quiet when the same function (or, at module ' +
      'level, a statement naming the same path or object) computes a digest (`hashlib.*`, a `*sha256*` / ' +
      '`*checksum*` / `*digest*` / `*hash*` helper, a `verify*` call) or records the file as a tracked artifact: ' +
      '`mlflow.log_artifact(s)`, `mlflow.<flavor>.log_model`, W&B `log_artifact`, `Artifact.add_file`, `wandb.save`, ' +
      '`log_model`, or a Hub upload (`push_to_hub`, `upload_file`, `upload_folder`), where the Hub keeps each ' +
      'file\'s sha256. Saves to an in-memory buffer (`io.BytesIO`) or a temporary file or directory (`tempfile.*`, ' +
      '`tmp_path`, `tmpdir`), and test modules (`test_*.py`, `*_test.py`, `conftest.py`, files under `tests/`), are ' +
      'not reported. A save whose path is a function parameter is reported with low confidence, since ' +
      'the caller may record it.',
    example:
      'import torch\n\nfor epoch in range(epochs):\n    loss.backward()\n    optimizer.step()\n' +
      'torch.save(model.state_dict(), "checkpoints/final.pt")',
    useInstead:
      'import hashlib\nimport json\nimport torch\n\ntorch.save(model.state_dict(), "checkpoints/final.pt")\n' +
      'with open("checkpoints/final.pt", "rb") as f:\n    digest = hashlib.file_digest(f, "sha256").hexdigest()\n' +
      'with open("checkpoints/final.pt.sha256", "w") as out:\n    out.write(digest)\n' +
      '# or: mlflow.log_artifact("checkpoints/final.pt") / a W&B artifact',
    references: [
      'https://www.ncsc.gov.uk/collection/guidelines-secure-ai-system-development',
      'https://atlas.mitre.org/mitigations/AML.M0014',
      'https://docs.python.org/3/library/hashlib.html#hashlib.file_digest',
      'https://mlflow.org/docs/latest/ml/tracking',
      'https://docs.wandb.ai/guides/artifacts',
    ],
  },
  check(ctx) {
    const model = ctx.model;
    // Tests save models to check a round trip; nothing they write is a released artifact.
    if (isTestPath(ctx.path)) return;
    let training: boolean | undefined;
    for (const call of ctx.callsNamed('save', 'save_pretrained', 'save_file', 'save_model', 'dump')) {
      const save = saveOf(model, call);
      if (!save) continue;
      if (save.path && isEphemeral(model, save.path, call.scope)) continue;
      training ??= isTrainingCode(model);
      if (!training) return;
      const sources = [save.path, save.object].filter((n): n is Node => !!n);
      if (checkedNearby(model, call, sources, recordSite).found) continue;
      ctx.report({
        node: call.node,
        confidence: save.path && isParameter(model, save.path, call) ? 'low' : undefined,
        message:
          `\`${save.label}\` writes a checkpoint with no hash computed or logged next to it, so a later swap or ` +
          'tampering of the file cannot be detected.',
      });
    }
  },
};
