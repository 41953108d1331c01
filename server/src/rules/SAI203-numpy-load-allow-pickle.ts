import { replaceNode } from '../engine/edits';
import type { Rule } from '../engine/rule';

/** Loaders that take `allow_pickle`, with its position among the positional parameters. */
const LOADERS = new Map<string, number>([
  ['numpy.load', 2], // load(file, mmap_mode=None, allow_pickle=False, fix_imports=True, encoding='ASCII')
  ['numpy.lib.format.read_array', 1], // read_array(fp, allow_pickle=False, pickle_kwargs=None, ...)
]);

export const rule: Rule = {
  id: 'SAI203',
  name: 'numpy-load-allow-pickle',
  hazard: '`numpy.load` with `allow_pickle=True`',
  severity: 'warning',
  confidence: 'high',
  guidelines: ['NCSC-1.3', 'NCSC-2.1', 'OWASP-ML06', 'OWASP-LLM03:2025', 'AML.T0011.000', 'AML.T0018.002', 'CWE-502'],
  message: '`numpy.load` with `allow_pickle=True` unpickles object arrays, so a malicious `.npy` or `.npz` file runs arbitrary code.',
  triggers: ['load', 'read_array'],
  requires: ['numpy'],
  docs: {
    why:
      '`.npy` and `.npz` files hold plain numeric arrays, except for arrays of dtype `object`, which NumPy stores ' +
      'as a pickle. `allow_pickle=True` lets `numpy.load` unpickle them, and unpickling imports and calls whatever ' +
      'the file names, so loading a downloaded dataset or embedding file is running code from whoever wrote it ' +
      '(NumPy made `False` the default in 1.16.3 for this reason, CVE-2019-6446). The NCSC guidelines ask that ' +
      'third-party models and serialised data be treated as untrusted code with secure defaults (NCSC 1.3) and ' +
      'that artefacts come from verified sources (NCSC 2.1). The fix sets `allow_pickle=False`; it is marked ' +
      'unsafe because a file that really holds object arrays will then fail to load: store such data as plain ' +
      'arrays or in a format without code (JSON, Parquet, safetensors).',
    example: 'import numpy as np\n\nfeatures = np.load("features.npy", allow_pickle=True)',
    useInstead:
      'import numpy as np\n\nfeatures = np.load("features.npy")  # allow_pickle defaults to False\n' +
      'features = np.load("features.npy", allow_pickle=False)',
    references: [
      'https://numpy.org/doc/stable/reference/generated/numpy.load.html',
      'https://nvd.nist.gov/vuln/detail/CVE-2019-6446',
      'https://cwe.mitre.org/data/definitions/502.html',
      'https://www.ncsc.gov.uk/collection/guidelines-secure-ai-system-development',
    ],
  },
  check(ctx) {
    for (const call of ctx.callsNamed('load', 'read_array')) {
      const position = call.qname ? LOADERS.get(call.qname) : undefined;
      if (position === undefined) continue;
      const v = call.value('allow_pickle', position);
      // Absent (the default, False), False, or a value the engine cannot resolve: the caller's decision.
      if (v?.kind !== 'bool' || !v.value) continue;
      const node = call.arg('allow_pickle', position);
      if (!node) continue;
      ctx.report({
        node,
        message: `\`${call.qname}\` with \`allow_pickle=True\` unpickles object arrays, so a malicious \`.npy\` or \`.npz\` file runs arbitrary code.`,
        fix: { title: 'Set `allow_pickle=False`', safety: 'unsafe', edits: [replaceNode(node, 'False')] },
      });
    }
  },
};
