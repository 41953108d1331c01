import { replaceNode } from '../engine/edits';
import type { Rule } from '../engine/rule';

const KERAS_ROOTS = ['keras', 'tensorflow.keras', 'tf_keras'];

/** `load_model(filepath, custom_objects=None, compile=True, safe_mode=True)`: `safe_mode` is position 3. */
const LOAD_MODEL = new Set(KERAS_ROOTS.flatMap((root) => [`${root}.models.load_model`, `${root}.saving.load_model`]));
const SAFE_MODE_POSITION = 3;

const ENABLE_UNSAFE = new Set([
  ...KERAS_ROOTS.map((root) => `${root}.config.enable_unsafe_deserialization`),
  'keras.src.saving.serialization_lib.enable_unsafe_deserialization',
]);

export const rule: Rule = {
  id: 'SAI205',
  name: 'keras-unsafe-deserialization',
  hazard: 'Keras model loading with safe mode off',
  severity: 'warning',
  confidence: 'high',
  guidelines: ['NCSC-1.3', 'NCSC-2.1', 'OWASP-ML06', 'OWASP-LLM03:2025', 'AML.T0011.000', 'AML.T0018.002', 'CWE-502'],
  message:
    '`load_model` with `safe_mode=False` deserialises `Lambda` layers from the model file, so a malicious model runs arbitrary code when it is loaded.',
  triggers: ['load_model', 'enable_unsafe_deserialization'],
  requires: ['keras', 'tensorflow', 'tf_keras'],
  docs: {
    why:
      'A `.keras` model file may hold `Lambda` layers, whose Python code is stored as marshalled bytecode. Keras ' +
      'refuses to rebuild them while `safe_mode` is on (the default); `load_model(..., safe_mode=False)` or ' +
      '`keras.config.enable_unsafe_deserialization()` (which turns safe mode off for the whole process) lets a ' +
      'model file run whatever code it carries as it loads. Models are downloaded and shared like data, so this is ' +
      'running code from whoever published the file (CVE-2024-3660 is the same hazard before safe mode existed). ' +
      'The NCSC guidelines ask that third-party models be treated as untrusted code with secure defaults ' +
      '(NCSC 1.3) and that the supply chain be secured (NCSC 2.1). Both forms are reported as warnings: the ' +
      'process-wide switch is no worse per load than `safe_mode=False`, only broader. The fix sets ' +
      '`safe_mode=True`; it is marked unsafe because a model that really needs its `Lambda` layers will then fail ' +
      'to load: rewrite those layers as registered custom layers instead.',
    example:
      'import keras\n\nmodel = keras.models.load_model("model.keras", safe_mode=False)\n' +
      'keras.config.enable_unsafe_deserialization()',
    useInstead:
      'import keras\n\n@keras.saving.register_keras_serializable()\nclass Scale(keras.layers.Layer):\n' +
      '    def call(self, x):\n        return x * 2.0\n\nmodel = keras.models.load_model("model.keras")  # safe_mode=True',
    references: [
      'https://keras.io/api/models/model_saving_apis/model_saving_and_loading/',
      'https://keras.io/api/utils/config_utils/',
      'https://nvd.nist.gov/vuln/detail/CVE-2024-3660',
      'https://cwe.mitre.org/data/definitions/502.html',
      'https://www.ncsc.gov.uk/collection/guidelines-secure-ai-system-development',
    ],
  },
  check(ctx) {
    for (const call of ctx.callsNamed('load_model', 'enable_unsafe_deserialization')) {
      const qname = call.qname;
      if (!qname) continue;
      if (ENABLE_UNSAFE.has(qname)) {
        ctx.report({
          node: call.node,
          message: `\`${qname}\` turns Keras safe mode off for the whole process, so any model file loaded afterwards can run arbitrary code.`,
        });
        continue;
      }
      if (!LOAD_MODEL.has(qname)) continue;
      const v = call.value('safe_mode', SAFE_MODE_POSITION);
      // Absent (the default, True), True, or a value the engine cannot resolve: the caller's decision.
      if (v?.kind !== 'bool' || v.value) continue;
      const node = call.arg('safe_mode', SAFE_MODE_POSITION);
      if (!node) continue;
      ctx.report({
        node,
        message: `\`${qname}\` with \`safe_mode=False\` deserialises \`Lambda\` layers from the model file, so a malicious model runs arbitrary code when it is loaded.`,
        fix: { title: 'Set `safe_mode=True`', safety: 'unsafe', edits: [replaceNode(node, 'True')] },
      });
    }
  },
};
