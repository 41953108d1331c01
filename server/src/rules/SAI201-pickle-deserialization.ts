import type { Rule } from '../engine/rule';

/** How a flagged callable deserialises, which picks the message. */
type Kind = 'pickle' | 'file' | 'shelve' | 'jsonpickle' | 'skops';

const TARGETS = new Map<string, Kind>();
for (const mod of ['pickle', 'cPickle', '_pickle', 'dill', 'cloudpickle']) {
  for (const fn of ['load', 'loads', 'Unpickler']) TARGETS.set(`${mod}.${fn}`, 'pickle');
}
// The pure-Python twins the `pickle` module keeps next to the C ones.
for (const fn of ['_load', '_loads', '_Unpickler']) TARGETS.set(`pickle.${fn}`, 'pickle');
for (const q of [
  'dill.load_session',
  'dill.load_module',
  'joblib.load',
  'sklearn.externals.joblib.load',
  'pandas.read_pickle',
  'pandas.io.pickle.read_pickle',
]) {
  TARGETS.set(q, 'file');
}
TARGETS.set('shelve.open', 'shelve');
for (const q of ['jsonpickle.decode', 'jsonpickle.loads', 'jsonpickle.unpickler.decode']) TARGETS.set(q, 'jsonpickle');
for (const q of ['skops.io.load', 'skops.io.loads']) TARGETS.set(q, 'skops');

const NAMES = [...new Set([...TARGETS.keys()].map((q) => q.slice(q.lastIndexOf('.') + 1)))];

function messageFor(kind: Kind, qname: string): string {
  switch (kind) {
    case 'pickle':
      return `\`${qname}\` unpickles its input, so a malicious file or payload runs arbitrary code as soon as it is loaded.`;
    case 'file':
      return `\`${qname}\` unpickles the file, so a malicious file runs arbitrary code as soon as it is loaded.`;
    case 'shelve':
      return '`shelve.open` stores its values with pickle, so a tampered shelf file runs arbitrary code when a value is read.';
    case 'jsonpickle':
      return `\`${qname}\` rebuilds whatever Python objects the JSON names, so a malicious document runs arbitrary code when it is decoded.`;
    case 'skops':
      return `\`${qname}\` with \`trusted=True\` trusts every type the file names, so a malicious file runs arbitrary code when it is loaded.`;
  }
}

export const rule: Rule = {
  id: 'SAI201',
  name: 'pickle-deserialization',
  hazard: 'pickle-based deserialisation',
  severity: 'warning',
  confidence: 'high',
  guidelines: ['NCSC-1.3', 'NCSC-2.1', 'OWASP-ML06', 'OWASP-LLM03:2025', 'AML.T0011.000', 'AML.T0018.002', 'CWE-502'],
  message:
    'Pickle-based deserialisation (`pickle.load`, `joblib.load`, `pandas.read_pickle`) runs arbitrary code from a malicious file as soon as it is loaded.',
  triggers: NAMES,
  // Each flagged callable resolves through an import that names its module (`sklearn.externals.joblib` names
  // joblib; `pandas.read_pickle` is imported or called by its own name), so one of these words is in the file.
  requires: ['pickle', 'cPickle', '_pickle', 'dill', 'cloudpickle', 'joblib', 'read_pickle', 'shelve', 'jsonpickle', 'skops'],
  docs: {
    why:
      'A pickle is a small program for a stack machine, not a data format: loading one imports and calls whatever ' +
      'Python callables it names (`os.system`, `subprocess.Popen`, `builtins.exec`), and no option of the `pickle` ' +
      'module turns that off. The same holds for everything built on it: `dill`, `cloudpickle`, `joblib.load` (the ' +
      'usual scikit-learn model format), `pandas.read_pickle`, `shelve`, and `jsonpickle`, which rebuilds arbitrary ' +
      'classes from JSON. `skops.io.load` is the safe alternative for scikit-learn models only while it checks ' +
      'types: `trusted=True` (older skops) or trusting exactly what `get_untrusted_types` reports switches the ' +
      'check off. Loading a model, dataset or cache someone else produced is therefore running their code. The ' +
      'NCSC guidelines ask that third-party models and serialised weights be treated as untrusted code and that ' +
      'systems be secure by design (NCSC 1.3), and that artefacts come from verified, checked sources (NCSC 2.1); ' +
      'this is the model-format supply-chain attack of OWASP ML06 and LLM03 and MITRE ATLAS AML.T0011.000 / ' +
      'AML.T0018.002. There is no drop-in safe replacement, so the rule offers no fix: switch the format.',
    example:
      'import pickle\nimport joblib\n\nwith open("model.pkl", "rb") as f:\n    model = pickle.load(f)\n' +
      'clf = joblib.load("classifier.joblib")',
    useInstead:
      '# tensors: safetensors\nfrom safetensors.torch import load_file\nstate = load_file("model.safetensors")\n\n' +
      '# plain data: json\nimport json\nwith open("config.json") as f:\n    config = json.load(f)\n\n' +
      '# scikit-learn models: skops with an explicit, reviewed list of trusted types\nimport skops.io as sio\n' +
      'clf = sio.load("classifier.skops", trusted=["sklearn.tree._tree.Tree"])',
    references: [
      'https://docs.python.org/3/library/pickle.html',
      'https://joblib.readthedocs.io/en/stable/persistence.html',
      'https://skops.readthedocs.io/en/stable/persistence.html',
      'https://huggingface.co/docs/hub/security-pickle',
      'https://huggingface.co/docs/safetensors/index',
      'https://cwe.mitre.org/data/definitions/502.html',
      'https://www.ncsc.gov.uk/collection/guidelines-secure-ai-system-development',
    ],
  },
  check(ctx) {
    for (const call of ctx.callsNamed(...NAMES)) {
      const qname = call.qname;
      const kind = qname ? TARGETS.get(qname) : undefined;
      if (!qname || !kind) continue;
      if (kind === 'shelve') {
        // flag 'n' always starts from an empty database: reads can only return what this process wrote.
        const flag = call.value('flag', 1);
        if (flag?.kind === 'str' && flag.value.startsWith('n')) continue;
      }
      if (kind === 'skops') {
        const trusted = call.value('trusted', 1);
        if (trusted?.kind === 'bool' && trusted.value) {
          ctx.report({ node: call.arg('trusted', 1) ?? call.node, message: messageFor(kind, qname) });
        } else if (trusted?.kind === 'ref' && trusted.qname === 'skops.io.get_untrusted_types()') {
          ctx.report({
            node: call.arg('trusted', 1) ?? call.node,
            confidence: 'medium',
            message:
              `\`${qname}\` trusts every type \`get_untrusted_types\` reports, which switches the check off, so a ` +
              'malicious file runs arbitrary code when it is loaded.',
          });
        }
        // A literal or variable list of type names is the API working as intended: stay quiet.
        continue;
      }
      ctx.report({ node: call.node, message: messageFor(kind, qname) });
    }
  },
};
