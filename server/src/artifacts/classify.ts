/**
 * Which globals a pickle may import: the allowlist (safe), the denylist (dangerous, with the reason), and everything
 * else (unknown). The allowlist is checked first, on the exact dotted name; the denylist matches a module and its
 * submodules. Python 2 names (`__builtin__`, `copy_reg`, ...) are read as Python 3's unpickler reads them.
 *
 * Sources of the facts (lists of names only; nothing here is copied code): PyTorch's `weights_only` unpickler
 * allowlist (`torch/_weights_only_unpickler.py`: tensor rebuild functions, storages, dtypes, `torch.Size`,
 * `collections.OrderedDict`, `_codecs.encode`, `builtins.set`/`bytearray`/`complex`), and the denylists of picklescan,
 * ModelScan and fickling (modules that run commands, code, imports or network calls).
 */
import type { ImportClassification } from './types';

export interface Classified {
  classification: ImportClassification;
  /** For a dangerous import: what it does when the file is loaded ("runs a shell command ..."). */
  reason?: string;
}

// ---------------------------------------------------------------------------------------------------------------
// The allowlist

const SAFE = new Set<string>();
const add = (module: string, names: string[]) => names.forEach((n) => SAFE.add(`${module}.${n}`));

// PyTorch's weights_only allowlist: what `torch.save` writes for tensors, parameters and state dicts.
add('torch._utils', [
  '_rebuild_tensor',
  '_rebuild_tensor_v2',
  '_rebuild_tensor_v3',
  '_rebuild_parameter',
  '_rebuild_parameter_with_state',
  '_rebuild_qtensor',
  '_rebuild_sparse_tensor',
  '_rebuild_meta_tensor_no_storage',
  '_rebuild_wrapper_subclass',
  '_rebuild_device_tensor_from_numpy',
  '_rebuild_device_tensor_from_cpu_tensor',
]);
add('torch._tensor', ['_rebuild_from_type_v2']);
add('torch.nn.parameter', ['Parameter']);
add('torch.serialization', ['_get_layout']);
add('torch', ['Size', 'Tensor', 'device', 'TypedStorage', 'UntypedStorage']);
add('torch.storage', ['TypedStorage', 'UntypedStorage']);
const STORAGE_KINDS = ['Double', 'Float', 'Half', 'BFloat16', 'Long', 'Int', 'Short', 'Char', 'Byte', 'Bool', 'ComplexDouble', 'ComplexFloat', 'QUInt8', 'QInt8', 'QInt32', 'QUInt4x2', 'QUInt2x4'];
add('torch', STORAGE_KINDS.map((k) => `${k}Storage`));
add('torch.cuda', STORAGE_KINDS.map((k) => `${k}Storage`));
const TENSOR_KINDS = ['Double', 'Float', 'Half', 'BFloat16', 'Long', 'Int', 'Short', 'Char', 'Byte', 'Bool'];
for (const m of ['torch', 'torch.cuda', 'torch.sparse', 'torch.cuda.sparse']) add(m, TENSOR_KINDS.map((k) => `${k}Tensor`));
// dtypes are pickled by name (`torch.float32`); aliases are listed too, they name the same objects.
add('torch', [
  'float32', 'float', 'float64', 'double', 'float16', 'half', 'bfloat16', 'complex32', 'chalf', 'complex64', 'cfloat',
  'complex128', 'cdouble', 'uint8', 'int8', 'int16', 'short', 'int32', 'int', 'int64', 'long', 'bool', 'qint8',
  'quint8', 'qint32', 'quint4x2', 'quint2x4', 'float8_e4m3fn', 'float8_e5m2', 'float8_e4m3fnuz', 'float8_e5m2fnuz',
  'float8_e8m0fnu', 'float4_e2m1fn_x2', 'uint16', 'uint32', 'uint64', 'bits1x8', 'bits2x4', 'bits4x2', 'bits8', 'bits16',
  ...[1, 2, 3, 4, 5, 6, 7].flatMap((n) => [`uint${n}`, `int${n}`]),
  // quantization schemes
  'per_tensor_affine', 'per_tensor_symmetric', 'per_channel_affine', 'per_channel_symmetric', 'per_channel_affine_float_qparams',
]);
// TorchScript archives: the list and tensor builders its unpickler resolves itself (the classes of the model, named
// `__torch__.*`, are TorchScript code and stay unknown).
add('torch.jit._pickle', ['build_intlist', 'build_tensorlist', 'build_doublelist', 'build_boollist', 'build_tensor_from_id', 'restore_type_tag']);
add('collections', ['OrderedDict', 'Counter', 'defaultdict', 'deque']);
// Plain data types: building them runs no code of the file's choosing. PyTorch allows set, bytearray and complex;
// the others are the ones Python's own documentation of restricted unpicklers allows, and the scalar containers.
add('builtins', ['set', 'frozenset', 'bytearray', 'complex', 'slice', 'range', 'dict', 'list', 'tuple', 'int', 'float', 'str', 'bytes', 'bool', 'object']);
// `_codecs.encode(text, 'latin1')` is how protocol-2 pickles carry `bytes` (numpy arrays, torch legacy files) and
// PyTorch's weights_only unpickler allows it: it only turns a string into bytes through a codec of the `encodings`
// package (a codec name cannot reach another module), so it runs nothing of the file's choosing.
add('_codecs', ['encode']);
// The protocol 0/1 and 2 object-building helpers: they instantiate the class passed as an argument, and that class is
// itself a global of the pickle, classified on its own.
add('copyreg', ['_reconstructor', '__newobj__', '__newobj_ex__']);
// numpy arrays, scalars and dtypes as numpy pickles them (numpy < 2 as `numpy.core`, numpy 2 as `numpy._core`).
for (const core of ['numpy.core', 'numpy._core']) {
  add(`${core}.multiarray`, ['_reconstruct', 'scalar']);
  add(`${core}.numeric`, ['_frombuffer']);
}
add('numpy', ['ndarray', 'dtype']);
// joblib's placeholder for an array written beside the pickle: a data holder (its dtype and array subclass are
// globals of their own).
add('joblib.numpy_pickle', ['NumpyArrayWrapper']);
add('sklearn.externals.joblib.numpy_pickle', ['NumpyArrayWrapper']);
// Value types of the standard library that construct from plain data.
add('datetime', ['date', 'time', 'datetime', 'timedelta', 'timezone']);
add('decimal', ['Decimal']);
add('fractions', ['Fraction']);
add('uuid', ['UUID']);
add('pathlib', ['Path', 'PosixPath', 'WindowsPath', 'PurePath', 'PurePosixPath', 'PureWindowsPath']);

const SAFE_PATTERNS = [/^numpy\.dtypes\.\w+DType$/];

// ---------------------------------------------------------------------------------------------------------------
// The denylist

const R = {
  shell: 'runs a shell command or starts a process when the file is loaded',
  os: "hands the file the operating system's functions (commands, files, environment) when it is loaded",
  code: 'runs arbitrary Python code when the file is loaded',
  imports: 'imports arbitrary modules when the file is loaded (a way to reach `os.system` and the like)',
  attrs: 'reaches arbitrary attributes and objects when the file is loaded (a way to reach `os.system` and the like)',
  interp: "reaches the interpreter's internals (`sys.modules`, ...) when the file is loaded",
  files: 'reads, writes or deletes files when the file is loaded',
  net: 'opens network connections when the file is loaded',
  native: 'calls native code or writes raw memory when the file is loaded',
  load: 'loads further serialized data, which may itself run code, when the file is loaded',
  call: 'builds calls indirectly, a common way to hide a dangerous call in a pickle',
  debug: 'starts a debugger or profiler that runs code given as text',
  install: 'installs packages or builds environments when the file is loaded',
  download: 'downloads files when the file is loaded',
} as const;

interface DenyRule {
  /** The module and its submodules. */
  module: string;
  /** Names (the first segment of a dotted name is compared too); `*` for the whole module. */
  names: '*' | readonly string[];
  reason: string;
}

const SHELL_NAMES = new Set(['system', 'popen', 'popen2', 'popen3', 'popen4', 'spawnl', 'spawnle', 'spawnlp', 'spawnlpe', 'spawnv', 'spawnve', 'spawnvp', 'spawnvpe', 'execl', 'execle', 'execlp', 'execlpe', 'execv', 'execve', 'execvp', 'execvpe', 'fork', 'forkpty', 'posix_spawn', 'posix_spawnp', 'startfile']);

const DENY: DenyRule[] = [
  // the operating system
  { module: 'os', names: '*', reason: R.os },
  { module: 'posix', names: '*', reason: R.os },
  { module: 'nt', names: '*', reason: R.os },
  { module: 'subprocess', names: '*', reason: R.shell },
  { module: '_posixsubprocess', names: '*', reason: R.shell },
  { module: '_winapi', names: '*', reason: R.shell },
  { module: 'pty', names: '*', reason: R.shell },
  { module: 'commands', names: '*', reason: R.shell },
  { module: 'popen2', names: '*', reason: R.shell },
  // `platform.popen` (Python <= 3.7) and its helpers (`_syscmd_ver`, `_syscmd_file`) run commands; nothing in a model
  // needs the module.
  { module: 'platform', names: '*', reason: R.shell },
  { module: 'asyncio', names: '*', reason: R.shell },
  { module: 'multiprocessing', names: '*', reason: R.shell },
  { module: 'torch.utils.collect_env', names: '*', reason: R.shell },
  { module: 'distutils', names: '*', reason: R.shell },
  { module: 'setuptools', names: '*', reason: R.shell },
  { module: 'numpy.distutils', names: '*', reason: R.shell },
  // code
  { module: 'builtins', names: ['eval', 'exec', 'execfile', 'compile'], reason: R.code },
  { module: 'builtins', names: ['__import__', 'reload'], reason: R.imports },
  { module: 'builtins', names: ['getattr', 'setattr', 'delattr', 'globals', 'locals', 'vars'], reason: R.attrs },
  { module: 'builtins', names: ['open', 'file'], reason: R.files },
  { module: 'builtins', names: ['breakpoint', 'input'], reason: R.debug },
  { module: 'builtins', names: ['help'], reason: R.shell },
  { module: 'builtins', names: ['apply'], reason: R.call },
  { module: '__builtins__', names: '*', reason: R.code },
  { module: 'runpy', names: '*', reason: R.code },
  { module: 'code', names: '*', reason: R.code },
  { module: 'codeop', names: '*', reason: R.code },
  { module: 'site', names: '*', reason: R.code },
  { module: 'types', names: ['CodeType', 'FunctionType', 'LambdaType', 'MethodType', 'CellType', 'new_class', 'prepare_class', 'coroutine'], reason: R.code },
  { module: 'marshal', names: '*', reason: R.code },
  { module: 'timeit', names: '*', reason: R.code },
  { module: 'cProfile', names: '*', reason: R.debug },
  { module: 'profile', names: '*', reason: R.debug },
  { module: 'trace', names: '*', reason: R.debug },
  { module: 'pdb', names: '*', reason: R.debug },
  { module: 'bdb', names: '*', reason: R.debug },
  { module: 'doctest', names: '*', reason: R.code },
  { module: 'idlelib', names: '*', reason: R.code },
  { module: 'lib2to3', names: '*', reason: R.code },
  { module: 'logging.config', names: '*', reason: R.code },
  { module: 'yaml', names: ['load', 'load_all', 'unsafe_load', 'unsafe_load_all', 'full_load', 'full_load_all'], reason: R.code },
  { module: 'numpy.testing._private.utils', names: '*', reason: R.code },
  { module: 'numpy.f2py', names: '*', reason: R.code },
  { module: 'torch._inductor', names: '*', reason: R.code },
  { module: 'torch._dynamo', names: '*', reason: R.code },
  { module: 'torch.fx.experimental.symbolic_shapes', names: '*', reason: R.code },
  { module: 'torch.jit.unsupported_tensor_ops', names: '*', reason: R.code },
  { module: 'torch.utils.bottleneck', names: '*', reason: R.code },
  { module: 'torch.package', names: '*', reason: R.code },
  { module: 'torch.hub', names: '*', reason: `${R.download} and runs their code` },
  // imports and attribute access
  { module: 'importlib', names: '*', reason: R.imports },
  { module: 'imp', names: '*', reason: R.imports },
  { module: 'pkgutil', names: '*', reason: R.imports },
  { module: 'zipimport', names: '*', reason: R.imports },
  { module: 'pydoc', names: '*', reason: R.imports },
  { module: 'sys', names: '*', reason: R.interp },
  { module: 'gc', names: '*', reason: R.interp },
  { module: 'operator', names: ['attrgetter', 'itemgetter', 'methodcaller'], reason: R.attrs },
  { module: 'operator', names: ['call'], reason: R.call },
  { module: 'functools', names: ['partial', 'partialmethod'], reason: R.call },
  // native code
  { module: 'ctypes', names: '*', reason: R.native },
  { module: '_ctypes', names: '*', reason: R.native },
  { module: 'cffi', names: '*', reason: R.native },
  { module: 'numpy.ctypeslib', names: '*', reason: R.native },
  { module: 'torch.utils.cpp_extension', names: '*', reason: R.native },
  // files
  { module: 'shutil', names: '*', reason: R.files },
  { module: 'fileinput', names: '*', reason: R.files },
  { module: 'io', names: ['open', 'open_code', 'FileIO'], reason: R.files },
  { module: '_io', names: ['open', 'open_code', 'FileIO'], reason: R.files },
  // network
  { module: 'socket', names: '*', reason: R.net },
  { module: '_socket', names: '*', reason: R.net },
  { module: 'ssl', names: '*', reason: R.net },
  { module: 'http', names: '*', reason: R.net },
  { module: 'httplib', names: '*', reason: R.net },
  { module: 'urllib', names: '*', reason: R.net },
  { module: 'urllib2', names: '*', reason: R.net },
  { module: 'urllib3', names: '*', reason: R.net },
  { module: 'requests', names: '*', reason: R.net },
  { module: 'aiohttp', names: '*', reason: R.net },
  { module: 'httpx', names: '*', reason: R.net },
  { module: 'ftplib', names: '*', reason: R.net },
  { module: 'smtplib', names: '*', reason: R.net },
  { module: 'telnetlib', names: '*', reason: R.net },
  { module: 'xmlrpc', names: '*', reason: R.net },
  { module: 'webbrowser', names: '*', reason: 'opens a web browser (on any address) when the file is loaded' },
  // further deserialisation
  { module: 'pickle', names: '*', reason: R.load },
  { module: '_pickle', names: '*', reason: R.load },
  { module: 'cPickle', names: '*', reason: R.load },
  // dill and cloudpickle rebuild functions from their bytecode (`_create_code`, `_make_function`, ...); dill's type
  // lookup for builtin types is the one helper that builds nothing.
  { module: 'dill._dill', names: ['_load_type'], reason: '' },
  { module: 'dill', names: '*', reason: R.code },
  { module: 'cloudpickle', names: '*', reason: R.code },
  { module: 'shelve', names: '*', reason: R.load },
  { module: 'joblib', names: ['load'], reason: R.load },
  { module: 'joblib.numpy_pickle', names: ['load'], reason: R.load },
  { module: 'numpy', names: ['load'], reason: R.load },
  { module: 'numpy.lib.npyio', names: ['load'], reason: R.load },
  { module: 'numpy.lib._npyio_impl', names: ['load'], reason: R.load },
  { module: 'pandas', names: ['read_pickle'], reason: R.load },
  { module: 'pandas.io.pickle', names: ['read_pickle'], reason: R.load },
  { module: 'torch', names: ['load'], reason: R.load },
  { module: 'torch.serialization', names: ['load'], reason: R.load },
  { module: 'torch.jit', names: ['load'], reason: R.load },
  { module: 'torch.utils._config_module', names: '*', reason: R.load },
  { module: 'torch.utils.data.datapipes.utils.decoder', names: '*', reason: R.load },
  // installers
  { module: 'pip', names: '*', reason: R.install },
  { module: 'ensurepip', names: '*', reason: R.install },
  { module: 'venv', names: '*', reason: R.install },
  // Keras' file download helper (reachable from a Keras config)
  { module: 'keras', names: ['get_file'], reason: R.download },
  { module: 'tf_keras', names: ['get_file'], reason: R.download },
  { module: 'tensorflow.keras', names: ['get_file'], reason: R.download },
];

/** Python 2 module names, read as Python 3's unpickler reads them (`_compat_pickle`, abridged). */
const PY2_MODULES: Record<string, string> = {
  __builtin__: 'builtins',
  exceptions: 'builtins',
  copy_reg: 'copyreg',
  cPickle: 'pickle',
  httplib: 'http.client',
  urllib2: 'urllib.request',
  cStringIO: 'io',
  StringIO: 'io',
  UserDict: 'collections',
  UserList: 'collections',
  Queue: 'queue',
  SocketServer: 'socketserver',
  _winreg: 'winreg',
};
const PY2_BUILTINS: Record<string, [string, string]> = {
  xrange: ['builtins', 'range'],
  unicode: ['builtins', 'str'],
  basestring: ['builtins', 'str'],
  long: ['builtins', 'int'],
  unichr: ['builtins', 'chr'],
  raw_input: ['builtins', 'input'],
  reduce: ['functools', 'reduce'],
  intern: ['sys', 'intern'],
};

/** The module and name Python 3 resolves (Python 2 names mapped). */
export function normalizeGlobal(module: string, name: string): [string, string] {
  if ((module === '__builtin__' || module === 'exceptions') && PY2_BUILTINS[name]) return PY2_BUILTINS[name];
  const first = module.split('.')[0];
  const mapped = PY2_MODULES[module] ?? (PY2_MODULES[first] ? PY2_MODULES[first] + module.slice(first.length) : undefined);
  return [mapped ?? module, name];
}

function inModule(module: string, prefix: string): boolean {
  return module === prefix || module.startsWith(`${prefix}.`);
}

const DUNDER = /^__\w+__$/;

/** The classification of `module.name` as a pickle (or a Keras config) would import it. */
export function classifyGlobal(rawModule: string, rawName: string): Classified {
  const [module, name] = normalizeGlobal(rawModule, rawName);
  const full = `${module}.${name}`;
  if (SAFE.has(full) || SAFE_PATTERNS.some((p) => p.test(full))) return { classification: 'safe' };
  const segments = name.split('.');
  // `Class.__init__.__globals__`, `f.__builtins__`: an attribute path through Python's internals.
  if (segments.slice(1).some((s) => DUNDER.test(s))) {
    return { classification: 'dangerous', reason: "reaches Python's internals (`__globals__`, `__builtins__`, ...) through attribute access when the file is loaded" };
  }
  for (const rule of DENY) {
    if (!inModule(module, rule.module)) continue;
    if (rule.names === '*' || rule.names.includes(name) || rule.names.includes(segments[0])) {
      // An exception listed before its module's rule.
      if (!rule.reason) return { classification: 'unknown' };
      const shell = (rule.module === 'os' || rule.module === 'posix' || rule.module === 'nt') && SHELL_NAMES.has(segments[0]);
      return { classification: 'dangerous', reason: shell ? R.shell : rule.reason };
    }
  }
  // Keras' download helper wherever Keras keeps it (`keras.utils.get_file`, `keras.src.utils.file_utils.get_file`).
  if (/^(keras|tf_keras|tensorflow\.keras)(\.|$)/.test(module) && segments[segments.length - 1] === 'get_file') {
    return { classification: 'dangerous', reason: R.download };
  }
  // A method of a filesystem path (`pathlib.Path.write_text`) called with a path object built by the pickle.
  if (module === 'pathlib' && segments.length > 1) return { classification: 'dangerous', reason: R.files };
  return { classification: 'unknown' };
}
