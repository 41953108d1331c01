/** Package names: PEP 503 normalisation, conda's names for PyPI packages, and the model-ecosystem set of SAI701. */

/** PEP 503: lower case, every run of `-`, `_` and `.` as one `-`. */
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

/**
 * conda packages whose PyPI name differs, for the packages that matter to the rules. `pytorch-cpu` and `pytorch-gpu`
 * (conda-forge) are metapackages that install `pytorch` at their own version, so they count as torch.
 * `pytorch-cuda` (pytorch channel) only selects the CUDA runtime; its version is CUDA's, not torch's, so it keeps its
 * own name. Others (`tensorflow`, `transformers`, `onnxruntime`, ...) have the same name in both.
 */
const CONDA_TO_PYPI: Record<string, string> = {
  pytorch: 'torch',
  'pytorch-cpu': 'torch',
  'pytorch-gpu': 'torch',
  'py-xgboost': 'xgboost',
  'py-xgboost-cpu': 'xgboost',
  'py-xgboost-gpu': 'xgboost',
};

/** The PyPI-normalised name of a conda package. */
export function condaNormalizedName(name: string): string {
  const n = normalizeName(name);
  return CONDA_TO_PYPI[n] ?? n;
}

/**
 * The criterion: a package is in the set when a release of it decides how model files, checkpoints or model
 * artefacts are downloaded, deserialised or executed, or what model code runs (framework loaders, hub clients,
 * model-format runtimes, serving and experiment-tracking stores that load models, LLM/agent frameworks and model-API
 * SDKs). An unpinned one means a new release can change what a model load does. Libraries that only compute on
 * arrays or frames, or do general I/O (numpy, pandas, scipy, requests, fastapi), are out: they are in every project
 * and flagging them would bury the findings that matter. General app frameworks (streamlit, flask) are out for the
 * same reason; gradio is in because it exists to serve models.
 */
const MODEL_ECOSYSTEM = new Set([
  // PyTorch and its family
  'torch', 'torchvision', 'torchaudio', 'torchtext', 'torchdata', 'torchserve', 'torch-model-archiver', 'torch-geometric',
  'pytorch-lightning', 'lightning', 'fastai', 'timm', 'open-clip-torch', 'ultralytics', 'detectron2', 'mmcv', 'mmengine',
  // TensorFlow, Keras, JAX
  'tensorflow', 'tf-keras', 'tf-nightly', 'keras', 'keras-nlp', 'keras-cv', 'keras-hub', 'jax', 'jaxlib', 'flax', 'orbax-checkpoint',
  'paddlepaddle', 'paddlepaddle-gpu', 'mxnet',
  // Hugging Face
  'transformers', 'tokenizers', 'datasets', 'huggingface-hub', 'diffusers', 'accelerate', 'peft', 'trl', 'safetensors',
  'sentence-transformers', 'optimum', 'evaluate', 'hf-transfer', 'hf-xet',
  // quantisation, distributed training and inference engines
  'bitsandbytes', 'deepspeed', 'vllm', 'llama-cpp-python', 'ctransformers', 'auto-gptq', 'autoawq', 'ctranslate2',
  'faster-whisper', 'openai-whisper', 'sentencepiece', 'gguf', 'ollama', 'xformers', 'flash-attn', 'tensorrt', 'openvino',
  'coremltools', 'tflite-runtime',
  // model formats and runtimes
  'onnx', 'onnxruntime', 'skl2onnx', 'tf2onnx',
  // classical ML and the pickle-based persistence it relies on
  'scikit-learn', 'sklearn', 'skops', 'xgboost', 'lightgbm', 'catboost', 'joblib', 'cloudpickle', 'dill', 'statsmodels',
  // NLP libraries that download and load pickled or packaged models
  'spacy', 'nltk', 'gensim', 'fasttext', 'flair', 'stanza',
  // model-API SDKs and LLM frameworks
  'openai', 'anthropic', 'cohere', 'mistralai', 'groq', 'together', 'replicate', 'google-generativeai', 'google-genai',
  'litellm', 'langchain', 'langgraph', 'llama-index', 'haystack-ai', 'farm-haystack', 'dspy', 'dspy-ai', 'guidance',
  'instructor', 'semantic-kernel', 'autogen', 'pyautogen', 'crewai', 'smolagents',
  // serving, tracking and model stores that load models
  'gradio', 'mlflow', 'bentoml', 'ray', 'kserve', 'tritonclient', 'clearml', 'dvc',
]);

const MODEL_ECOSYSTEM_PREFIXES = ['tensorflow-', 'tf-models-', 'langchain-', 'langgraph-', 'llama-index-', 'onnxruntime-', 'keras-'];

/** Whether a (normalised) package is in the set SAI701 watches: see the criterion above. */
export function isModelEcosystemPackage(normalizedName: string): boolean {
  const n = normalizeName(normalizedName);
  return MODEL_ECOSYSTEM.has(n) || MODEL_ECOSYSTEM_PREFIXES.some((p) => n.startsWith(p));
}
