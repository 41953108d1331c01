import type { Rule } from '../engine/rule';
import type { Confidence } from '../engine/types';
import { DATASET_BUILDERS, HUB_CALL_NAMES, HUB_LIBRARIES, describeSource, hubCall, offlineOnly, revisionOf, type Pin } from './hub';

export const rule: Rule = {
  id: 'SAI101',
  name: 'hub-download-without-pinned-revision',
  hazard: 'Hub model or dataset not pinned to a commit',
  severity: 'warning',
  confidence: 'high',
  guidelines: ['NCSC-2.1', 'NCSC-2.2', 'OWASP-ML06', 'OWASP-LLM03:2025', 'AML.T0010.003', 'CWE-494', 'CWE-829'],
  message:
    'A model or dataset is downloaded from the Hugging Face Hub without `revision` pinned to a commit hash, so a ' +
    'changed or compromised repository silently changes what is loaded.',
  triggers: [...HUB_CALL_NAMES],
  requires: HUB_LIBRARIES,
  docs: {
    why:
      'A Hub repository is mutable: its owner, anyone who takes over the account or a leaked write token can push ' +
      'new weights, a new tokenizer or new data to the default branch, and branches and tags can be moved to any ' +
      'commit. Without `revision=<full commit hash>` every run, CI job and deployment fetches whatever the ' +
      'repository holds that day, so a poisoned or backdoored update flows straight into training and serving, and ' +
      'two machines can silently run different models. A 40-character commit hash is the only reference that ' +
      'cannot be moved. This serves NCSC 2.1 (secure your supply chain: take models and data from verified ' +
      'sources, pinned and checked) and NCSC 2.2 (identify, track and protect your assets: know exactly which ' +
      'model and data version runs). The rule covers `from_pretrained` of transformers, diffusers, peft, ' +
      'sentence-transformers and optimum classes, `transformers.pipeline(model=...)`, `hf_hub_download`, ' +
      '`snapshot_download` (also on `HfApi`), `datasets.load_dataset`, `SentenceTransformer`, `CrossEncoder` and ' +
      '`timm.create_model("hf-hub:...")`. It stays quiet for local paths, `local_files_only=True`, the builtin ' +
      '`load_dataset` builders (`csv`, `json`, `parquet`, ...) and a revision held in a variable (your choice, ' +
      'not ours to guess). When the repo id itself is a variable the finding has medium confidence (it may be a ' +
      'local directory); when `**kwargs` may carry the revision, low confidence.',
    example:
      'from transformers import AutoModel\nfrom datasets import load_dataset\n\n' +
      'model = AutoModel.from_pretrained("org/model")\nmodel = AutoModel.from_pretrained("org/model", revision="main")\n' +
      'data = load_dataset("org/dataset")',
    useInstead:
      'from transformers import AutoModel\nfrom datasets import load_dataset\n\n' +
      '# the full commit hash from the repository\'s "Files and versions" history\n' +
      'MODEL_REVISION = "0123456789abcdef0123456789abcdef01234567"\n' +
      'model = AutoModel.from_pretrained("org/model", revision=MODEL_REVISION)\n' +
      'data = load_dataset("org/dataset", revision="89abcdef0123456789abcdef0123456789abcdef")\n' +
      '# timm: pin inside the name\n' +
      'import timm\nnet = timm.create_model("hf-hub:org/model@0123456789abcdef0123456789abcdef01234567", pretrained=True)',
    references: [
      'https://huggingface.co/docs/transformers/main_classes/model#transformers.PreTrainedModel.from_pretrained',
      'https://huggingface.co/docs/huggingface_hub/guides/download',
      'https://huggingface.co/docs/datasets/package_reference/loading_methods#datasets.load_dataset',
      'https://huggingface.co/docs/timm/main/en/reference/models#timm.create_model',
      'https://www.ncsc.gov.uk/collection/guidelines-secure-ai-system-development',
    ],
  },
  check(ctx) {
    for (const call of ctx.callsNamed(...HUB_CALL_NAMES)) {
      const hub = hubCall(call);
      if (!hub || offlineOnly(call)) continue;
      const { source } = hub;
      if (source.kind === 'none' || source.kind === 'local') continue;
      // `pipeline(task, model=m)` is as often an already-loaded model object as a repo id: only strings count.
      if (hub.kind === 'pipeline' && source.kind === 'unknown') continue;
      if (hub.kind === 'dataset' && source.kind === 'hub' && DATASET_BUILDERS.has(source.id.toLowerCase())) continue;

      const timm = hub.kind === 'timm';
      const rev = timm ? { pin: hub.embeddedPin ?? ({ kind: 'absent' } as Pin), node: undefined, name: '@' } : revisionOf(call);
      const pin = rev.pin;
      if (pin.kind === 'pinned' || pin.kind === 'unknown') continue;

      // The id is certain for a literal; a variable or an f-string may be a local directory after all.
      let confidence: Confidence = source.kind === 'hub' ? 'high' : 'medium';
      // A variable dataset path next to `data_files` is most often a builder name (`"csv"`) in disguise.
      if (hub.kind === 'dataset' && source.kind === 'unknown' && (call.keywords.has('data_files') || call.keywords.has('data_dir'))) {
        confidence = 'low';
      }
      if (pin.kind === 'absent') {
        // `**kwargs` may carry the revision (an explicit `revision=None` cannot be overridden by it).
        if (!timm && !rev.node && call.mayPass('revision')) confidence = 'low';
        const what = describeSource(source, 'a repository');
        const how = timm ? 'without an `@<commit hash>` pin' : 'without `revision` pinned to a commit hash';
        ctx.report({
          node: call.node,
          confidence,
          message: `\`${hub.label}\` downloads ${what} from the Hugging Face Hub ${how}, so a changed or compromised repository silently changes what is loaded.`,
        });
        continue;
      }
      const ref = timm ? `\`@${pin.ref}\`` : `\`${rev.name}="${pin.ref}"\``;
      const kindOfRef = pin.abbreviated
        ? 'is an abbreviated commit hash that a branch or tag of the same name can shadow'
        : 'names a branch or tag, which can be moved to another commit';
      ctx.report({
        node: rev.node ?? call.node,
        confidence,
        message: `${ref} ${kindOfRef}, so \`${hub.label}\` gets whatever ${describeSource(source, 'the repository')} holds at that ref when it runs.`,
      });
    }
  },
};
