import type { Node } from '../engine/parser';
import type { Rule } from '../engine/rule';
import type { CallSite, Scope, SemanticModel } from '../engine/semantic';
import { addImportEdit, insertLineAfterStatement } from '../engine/edits';
import type { Confidence, Fix, TextEdit } from '../engine/types';
import { configAssignments, isFullSha, MentionIndex, mentionKeys, recordOf, sourceInfo, type RecordSite } from './provenance';
import { findKeys, redactKeys } from './secrets';

/**
 * Imports that make a module ML code. Data libraries on their own (`datasets`, `tensorflow_datasets`, `pandas`) do
 * not: a script that only fetches or converts data has no training run to record provenance against, and the
 * training code that later reads its output is where the finding belongs.
 */
const FRAMEWORKS = [
  'torch', 'torchvision', 'torchaudio', 'tensorflow', 'keras', 'jax', 'flax', 'sklearn', 'transformers', 'lightning',
  'pytorch_lightning', 'xgboost', 'lightgbm', 'catboost', 'sentence_transformers', 'peft', 'diffusers', 'trl',
  'accelerate', 'timm',
];

/** `load_dataset` builders that read local or remote files named by `data_files=` / `data_dir=`. */
const PACKAGED_BUILDERS = new Set([
  'csv', 'json', 'parquet', 'text', 'arrow', 'pandas', 'sql', 'xml', 'webdataset', 'imagefolder', 'audiofolder',
  'videofolder', 'pdffolder', 'niftifolder', 'hdf5', 'generator', 'cache',
]);

const PANDAS = /^pandas\.(io\.\w+\.)?(read_csv|read_json|read_parquet|read_feather)$/;
const SKLEARN_FETCH = /^sklearn\.datasets\.(_\w+\.)?fetch_(\w+)$/;
/** `mnist:3.0.1`: a TFDS dataset at an exact version, which TFDS checks against recorded checksums. */
const TFDS_EXACT_VERSION = /:\d+\.\d+\.\d+$/;
const CALLEE_NAMES = new Set([
  'load_dataset', 'load_from_disk', 'read_csv', 'read_json', 'read_parquet', 'read_feather', 'urlretrieve', 'load',
]);
/** The pandas readers' keyword for their first argument. */
const PANDAS_SOURCE: Record<string, string> = {
  read_csv: 'filepath_or_buffer',
  read_json: 'path_or_buf',
  read_parquet: 'path',
  read_feather: 'path',
};

type Kind = 'hf-dataset' | 'hf-disk' | 'pandas' | 'urlretrieve' | 'sklearn-fetch' | 'tfds';

function kindOf(qname: string | undefined): Kind | undefined {
  if (!qname) return undefined;
  if (qname === 'datasets.load_dataset' || qname === 'datasets.load.load_dataset') return 'hf-dataset';
  if (qname === 'datasets.load_from_disk' || qname === 'datasets.load.load_from_disk') return 'hf-disk';
  if (PANDAS.test(qname)) return 'pandas';
  if (qname === 'urllib.request.urlretrieve') return 'urlretrieve';
  if (SKLEARN_FETCH.test(qname)) return 'sklearn-fetch';
  if (qname === 'tensorflow_datasets.load') return 'tfds';
  return undefined;
}

const isLoad = (call: CallSite): boolean => kindOf(call.qname) !== undefined;

interface Load {
  /** The argument expressions that name where the data comes from. */
  sources: Node[];
  /** Extra strings that identify the source when no argument does (`california_housing` for its fetcher). */
  names: string[];
  /** A revision or version that fixes the content: nothing to report. */
  pinned: boolean;
  /** A revision that names a branch or tag, which can move. */
  movable?: string;
  confidence?: Confidence;
}

function present(...nodes: Array<Node | undefined>): Node[] {
  return nodes.filter((n): n is Node => !!n);
}

/** What a load reads and whether it is pinned; undefined when it reads nothing the rule can speak about. */
function describe(call: CallSite, kind: Kind): Load | undefined {
  const load = (sources: Node[], extra: Partial<Load> = {}): Load => ({ sources, names: [], pinned: false, ...extra });
  switch (kind) {
    case 'hf-dataset': {
      const path = call.arg('path', 0);
      if (!path) return call.mayPass('path', 0) ? load([], { confidence: 'low' }) : undefined;
      const builder = call.value('path', 0);
      if (builder?.kind === 'str' && builder.complete && PACKAGED_BUILDERS.has(builder.value)) {
        const files = present(call.arg('data_files', 3), call.arg('data_dir', 2));
        return load(files.length ? files : [path]);
      }
      const revision = call.keywords.get('revision');
      if (!revision) return load([path], call.hasKwSplat ? { confidence: 'low' } : {});
      const v = call.value('revision');
      if (v?.kind === 'none') return load([path]);
      if (v?.kind === 'str' && v.complete) {
        if (isFullSha(v.value)) return load([path], { pinned: true });
        return v.value ? load([path], { movable: v.value }) : load([path]);
      }
      if (v?.kind === 'str' && /[^0-9a-f]/i.test(v.value)) return load([path], { movable: `${v.value}…` });
      // A revision the engine cannot see (a parameter, a config field) was chosen on purpose: the caller's call.
      return load([path], { pinned: true });
    }
    case 'hf-disk':
      return fromArgument(call, 'dataset_path', load);
    case 'pandas': {
      // By the qualified name: `from pandas import read_json as rj` is still `read_json`.
      const reader = (call.qname ?? '').slice((call.qname ?? '').lastIndexOf('.') + 1);
      return fromArgument(call, PANDAS_SOURCE[reader] ?? 'filepath_or_buffer', load);
    }
    case 'urlretrieve': {
      const url = call.arg('url', 0);
      if (!url) return call.mayPass('url', 0) ? load([], { confidence: 'low' }) : undefined;
      return load(present(url, call.arg('filename', 1)));
    }
    case 'sklearn-fetch': {
      const dataset = SKLEARN_FETCH.exec(call.qname ?? '')?.[2] ?? '';
      if (dataset !== 'openml') {
        // The fixed benchmark fetchers download from URLs sklearn ships with SHA-256 checksums it verifies.
        return load([], { names: [dataset, `fetch_${dataset}`], confidence: 'low' });
      }
      // OpenML datasets are immutable once published: a `data_id` or a numeric `version` names fixed content.
      const id = call.value('data_id');
      const version = call.value('version');
      if ((id && id.kind !== 'none') || version?.kind === 'num') return load([], { pinned: true });
      const name = call.arg('name', 0);
      return name ? load([name]) : load([], { names: ['openml'], confidence: call.hasKwSplat ? 'low' : undefined });
    }
    case 'tfds': {
      const name = call.arg('name', 0);
      if (!name) return call.mayPass('name', 0) ? load([], { confidence: 'low' }) : undefined;
      const v = call.value('name', 0);
      return load([name], { pinned: v?.kind === 'str' && v.complete && TFDS_EXACT_VERSION.test(v.value) });
    }
  }
}

type MakeLoad = (sources: Node[], extra?: Partial<Load>) => Load;

function fromArgument(call: CallSite, keyword: string, load: MakeLoad): Load | undefined {
  const source = call.arg(keyword, 0);
  if (!source) return call.mayPass(keyword, 0) ? load([], { confidence: 'low' }) : undefined;
  if (isInline(call, source)) return undefined;
  return load([source]);
}

/** Data written in the code itself (`io.StringIO("a,b\n1,2")`, a JSON literal): it has no other origin to record. */
function isInline(call: CallSite, source: Node): boolean {
  const v = call.model.evaluate(source, call.scope);
  if (v.kind === 'str' && (v.value.includes('\n') || /^\s*[[{]/.test(v.value))) return true;
  if (source.type !== 'call') return false;
  const q = call.model.qnameOf(source.childForFieldName('function') ?? source, call.scope);
  if (q !== 'io.StringIO' && q !== 'io.BytesIO') return false;
  const first = source.childForFieldName('arguments')?.namedChildren.find((n) => n && n.type !== 'comment');
  return !first || first.type === 'string' || first.type === 'concatenated_string';
}

/** The source as the message names it: its string value, else its short source text. */
function display(model: SemanticModel, load: Load, call: CallSite): string | undefined {
  const first = load.sources[0];
  if (!first) return load.names[1] ?? undefined;
  const v = model.evaluate(first, call.scope);
  const text = v.kind === 'str' && v.complete ? v.value : first.text;
  if (text.includes('\n') || text.includes('`') || text.length > 80) return undefined;
  return redactKeys(text); // a key in the URL is shown masked, as SAI601 shows it
}

/** Expressions that can be evaluated a second time without side effects. */
const REPEATABLE = new Set(['identifier', 'attribute', 'string', 'concatenated_string', 'subscript']);

/**
 * Record the source right after the load: `logging.getLogger(__name__).info("training data source: %s", <source>)`
 * on a new line at the statement's indentation, with `import logging` added when the module lacks it.
 */
function loggingFix(text: string, model: SemanticModel, call: CallSite, source: Node | undefined): Fix | undefined {
  if (!source || !REPEATABLE.has(source.type) || source.text.includes('\n')) return undefined;
  // A source that holds a key (`?token=hf_…`): logging it would write the key to the logs, and the fix would quote it.
  if (findKeys(source.text).length) return undefined;
  const at = call.node.startIndex;
  let logging = model.spellingOf('logging', call.scope, at);
  let importEdit: TextEdit | undefined;
  if (!logging) {
    // Adding the import only helps when the name `logging` is not bound to something else here.
    const bound = model.lookup('logging', call.scope, at);
    if (bound.kind !== 'ref' || bound.qname !== 'logging') return undefined;
    importEdit = addImportEdit(model, 'logging');
    if (!importEdit) return undefined;
    logging = 'logging';
  }
  const line = insertLineAfterStatement(text, call.node, `${logging}.getLogger(__name__).info("training data source: %s", ${source.text})`);
  if (!line) return undefined;
  return { title: 'Log the training data source after loading it', safety: 'safe', edits: importEdit ? [importEdit, line] : [line] };
}

export const rule: Rule = {
  id: 'SAI301',
  name: 'training-data-without-provenance',
  hazard: 'Training data loaded with no recorded provenance',
  severity: 'info',
  confidence: 'medium',
  guidelines: ['NCSC-2.3', 'NCSC-2.2', 'OWASP-ML02', 'OWASP-LLM04:2025', 'AML.T0020', 'AML.M0025', 'CWE-778', 'CWE-345'],
  message:
    'Training data is loaded with no recorded provenance (no log, hash or pinned revision), so its origin cannot be audited.',
  triggers: [
    'load_dataset', 'load_from_disk', 'read_csv', 'read_parquet', 'read_json', 'read_feather', 'urlretrieve', 'fetch_\\w+',
    'tensorflow_datasets',
  ],
  // The rule only reports in modules that import an ML framework, so a file without one is never parsed for it.
  requires: FRAMEWORKS,
  docs: {
    why:
      'Poisoned training data leaves no trace in the code that trains on it: the only way to find out later which ' +
      'data a model saw, and whether it was tampered with, is a record made when it was loaded. The NCSC guidelines ' +
      'ask that data sources be documented with their hashes or signatures (NCSC 2.3) and that data be tracked and ' +
      'versioned as an asset (NCSC 2.2); MITRE ATLAS names dataset provenance (AML.M0025) as the mitigation for ' +
      'training-data poisoning (AML.T0020, OWASP ML02, OWASP LLM04). An unrecorded load is also a logging gap ' +
      '(CWE-778) that leaves the data\'s authenticity unverifiable (CWE-345). This is a documentation duty, not an ' +
      'exploit, so the finding is informational.\n\n' +
      'In modules that import an ML framework (torch, tensorflow, keras, jax, sklearn, transformers, lightning, ' +
      'xgboost and the like; `datasets`, `tensorflow_datasets` or pandas alone do not count), the rule reports ' +
      '`datasets.load_dataset` / `load_from_disk`, pandas `read_csv` / `read_json` / `read_parquet` / ' +
      '`read_feather`, `urllib.request.urlretrieve`, `sklearn.datasets.fetch_*` and `tensorflow_datasets.load` ' +
      'when the source is not pinned and nothing in the same function, or at module level, records it. For ' +
      '`load_dataset("csv", data_files=...)` and the other packaged builders the source is `data_files` ' +
      '(or `data_dir`). Loads of a function parameter, and sklearn\'s fixed, checksum-verified benchmark fetchers, ' +
      'are reported with low confidence.\n\n' +
      'Pinned: a `revision=` that is a full 40-hex commit (a revision the engine cannot resolve counts as a ' +
      'deliberate choice), an OpenML `data_id` or numeric `version`, a TFDS `name:x.y.z`, or a source obtained from ' +
      '`dvc.api.open` / `read` / `get_url` with `rev=`, from `hf_hub_download` / `snapshot_download` at a full ' +
      'commit, or from a W&B `use_artifact`.\n\n' +
      'Records: logging calls (`logging.*`, or `.info` / `.debug` / `.warning` / ... on a `getLogger()` instance or ' +
      'on a receiver named `logger` or `log`; `print` is not a record); MLflow `log_param(s)`, `set_tag(s)`, ' +
      '`log_artifact`, `log_input` and `mlflow.data.from_*`; W&B `wandb.init(config=...)`, `wandb.config.update`, ' +
      '`wandb.config[...] = ...`, `use_artifact`, `log_artifact` and `Artifact.add_file`; digests (`hashlib.*`, or ' +
      'a call whose name contains `sha`, `md5`, `checksum`, `digest` or `hash`). A record *mentions* the source ' +
      'when its arguments contain the same name or name path as the source, or a prefix of it ' +
      '(`wandb.init(config=vars(args))` records `args.data_path`; `self` alone records nothing) or a path-like ' +
      'attribute of it (`path.name`, `path.parent`); the same string, ' +
      'or a longer string that contains a source string of four or more characters as a whole word, in f-strings, ' +
      '`%` formatting, concatenation or dicts alike; a name whose constant value is such a string; or the same ' +
      'number. Generic words (`data`, `train`, `csv`, ...) never identify a source. Names are followed back through ' +
      'simple assignments and `with open(path) as f`, so `hashlib.file_digest(f, "sha256")` records `path`. A ' +
      'digest or an MLflow dataset may instead name the loaded data itself, since it fingerprints the content; a log ' +
      'line about the loaded data (`len(df)`) records nothing.',
    example:
      'import pandas as pd\nimport torch\nfrom datasets import load_dataset\n\n' +
      'df = pd.read_csv("data/train.csv")\nds = load_dataset("imdb")',
    useInstead:
      'import hashlib\nimport logging\n\nimport mlflow\nimport pandas as pd\nimport torch\n' +
      'from datasets import load_dataset\n\n' +
      'logger = logging.getLogger(__name__)\n\n' +
      'TRAIN = "data/train.csv"\nwith open(TRAIN, "rb") as f:\n' +
      '    logger.info("train data %s sha256=%s", TRAIN, hashlib.file_digest(f, "sha256").hexdigest())\n' +
      'df = pd.read_csv(TRAIN)\nmlflow.log_input(mlflow.data.from_pandas(df, source=TRAIN), context="training")\n\n' +
      'ds = load_dataset("imdb", revision="e6281661ce1c48d982bc483cf8a173c1bbeb5d31")  # a full commit hash',
    references: [
      'https://www.ncsc.gov.uk/collection/guidelines-secure-ai-system-development',
      'https://atlas.mitre.org/mitigations/AML.M0025',
      'https://mlflow.org/docs/latest/ml/dataset',
      'https://huggingface.co/docs/datasets/package_reference/loading_methods',
      'https://dvc.org/doc/api-reference/open',
      'https://cwe.mitre.org/data/definitions/778.html',
    ],
  },
  check(ctx) {
    const model = ctx.model;
    if (!FRAMEWORKS.some((f) => model.imports(f))) return;
    // What each scope's records mention, indexed once: a long module with n loads and n records would otherwise
    // compare every load with every record.
    const recordsByScope = new Map<Scope, MentionIndex<RecordSite>>();
    const recordsOf = (scope: Scope): MentionIndex<RecordSite> => {
      let index = recordsByScope.get(scope);
      if (!index) {
        const list: RecordSite[] = [];
        for (const c of scope.calls) {
          const r = recordOf(c);
          if (r) list.push(r);
        }
        list.push(...configAssignments(model, scope));
        index = new MentionIndex<RecordSite>();
        for (const r of list) index.add(r, mentionKeys(model, r, isLoad));
        recordsByScope.set(scope, index);
      }
      return index;
    };
    const any = () => true;

    for (const call of model.calls) {
      const f = call.functionNode;
      if (!CALLEE_NAMES.has(call.name) && !call.name.startsWith('fetch_') && f?.type !== 'identifier') continue;
      const kind = kindOf(call.qname);
      if (!kind) continue;
      const load = describe(call, kind);
      if (!load || load.pinned) continue;
      const source = sourceInfo(model, load.sources, call.scope, isLoad);
      if (source.derivedFrom) continue;
      for (const n of load.names) source.keys.strings.add(n);
      const owner = call.scope.owner;
      if (recordsOf(owner).matches(source.keys, any) || (owner !== model.module && recordsOf(model.module).matches(source.keys, any))) continue;

      const name = display(model, load, call);
      const what = name ? `Training data \`${name}\`` : 'Training data';
      const how = load.movable
        ? `is loaded at the movable revision \`${load.movable}\` with no recorded provenance (no log, hash or commit-pinned revision)`
        : 'is loaded with no recorded provenance (no log, hash or pinned revision)';
      const message = `${what} ${how}, so its origin cannot be audited.`;
      ctx.report({
        node: call.node,
        message,
        confidence: load.confidence ?? (source.fromParameter ? 'low' : undefined),
        fix: loggingFix(ctx.text, model, call, load.sources[0]),
      });
    }
  },
};
