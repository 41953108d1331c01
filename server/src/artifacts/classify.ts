/**
 * Which globals a pickle may import: the allowlist (safe), the denylist (dangerous, with the reason), the classes of
 * well-known data and ML libraries (library: no issue, see `libraryClass`), and everything else (unknown). The
 * allowlist is checked first, on the exact dotted name; then attribute paths through dunders and the denylist, which
 * matches a module and its submodules; then the library tier. Python 2 names (`__builtin__`, `copy_reg`, ...) are
 * read as Python 3's unpickler reads them.
 *
 * Sources of the facts (lists of names only; nothing here is copied code): PyTorch's `weights_only` unpickler
 * allowlist (`torch/_weights_only_unpickler.py`: tensor rebuild functions, storages, dtypes, `torch.Size`,
 * `collections.OrderedDict`, `_codecs.encode`, `builtins.set`/`bytearray`/`complex`), and the denylists of picklescan,
 * ModelScan and fickling (modules that run commands, code, imports or network calls).
 */
import type { ImportClassification } from './types';

export interface Classified {
  classification: ImportClassification;
  /**
   * For a dangerous import: what it does when the file is loaded ("runs a shell command ..."); for a library one: the
   * library ("scikit-learn").
   */
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

// ---------------------------------------------------------------------------------------------------------------
// The library tier: classes of well-known data and ML libraries
//
// Every scikit-learn, pandas or xgboost model pickle imports the library's classes (`sklearn.linear_model._logistic.
// LogisticRegression`, `pandas.core.frame.DataFrame`, `xgboost.core.Booster`), and a warning on each of them is noise
// that hides the findings that matter (picklescan and ModelScan report only dangerous imports). The criterion for
// the tier, which gives no issue:
//
//   the import is a class, or a known data constructor, of a well-known library, such that rebuilding it (calling it
//   with arguments from the file, `__new__`, `__setstate__`) runs only that library's code on the file's data: no
//   code given as text, no other module, no files, processes or network.
//
// What that admits, per library (a module and its submodules, minus the ones listed):
// - a class: a single name (no `Class.method` path, no dunder) in CapWords, private ones included (`_BinMapper`,
//   `_PredictScorer`). A function is never admitted, however harmless it looks: a pickle can call any global it
//   imports, and functions are what read files (`pandas.read_csv`), load more pickles (`numpy.load`) or evaluate
//   text (`pandas.eval`);
// - Cython's generated `__pyx_unpickle_<Class>` helpers (they build the named class from a state tuple);
// - the lower-case classes and data constructors listed by full name (numpy's scalar types, `scipy.sparse` matrices,
//   pandas' `_new_Index`, numpy's `__randomstate_ctor`, ...). Some of these call a class or a function the pickle
//   passes in: that callable is itself a global of the pickle, classified on its own (as for `copyreg.__newobj__`).
//
// Left out: modules that do I/O, evaluate expressions, test, vendor other packages or start workers (`pandas.io`,
// `pandas.core.computation`, `pandas.compat` (its own unpickler), `numpy.lib.npyio`, `numpy.testing`,
// `sklearn.externals`, `sklearn.datasets`, `sklearn.utils.parallel`, any `tests`/`testing` module), classes that
// open files or connections when built (`pandas.HDFStore`, `ExcelWriter`, `numpy.lib.npyio.NpzFile`,
// `numpy.DataSource`, xgboost's `DMatrix` family, lightgbm's `Dataset`, catboost's `Pool`), native-library handles
// (`xgboost.core._LIB`), and whole libraries whose classes do: `transformers` (tokenizers that
// download vocabularies, `TrainingArguments`/`Trainer` that start distributed and logging integrations), `torch`
// beyond the allowlist, `keras`/`tensorflow`, `joblib` beyond the allowlist (`Memory`, `Parallel`). The denylist is
// checked first, so a denied name in a library module stays dangerous. Known residue: a model class such as
// `xgboost.core.Booster` or `sentencepiece.SentencePieceProcessor` can be built with `model_file=<path>`, which makes
// the library read and parse that local file (its own format, no code).

interface LibraryRule {
  /** The library's name in reasons. */
  library: string;
  /** The top-level package. */
  package: string;
  /** When given, only these modules (and their submodules) of the package. */
  only?: readonly string[];
  /** Modules (and their submodules) left out. */
  exclude?: readonly string[];
  /** Whether CapWords names are admitted as classes (false: only the names in `LIBRARY_NAMES`). */
  classes: boolean;
  /** CapWords names that are not admitted (matched after leading underscores). */
  notClasses?: RegExp;
}

const LIBRARIES: readonly LibraryRule[] = [
  {
    library: 'scikit-learn',
    package: 'sklearn',
    exclude: ['sklearn.externals', 'sklearn.datasets', 'sklearn.utils._testing', 'sklearn.utils.estimator_checks', 'sklearn.utils.parallel', 'sklearn.utils._joblib', 'sklearn.utils._show_versions', 'sklearn.experimental', 'sklearn._build_utils', 'sklearn.__check_build'],
    classes: true,
  },
  {
    library: 'pandas',
    package: 'pandas',
    exclude: ['pandas.io', 'pandas.core.computation', 'pandas.plotting', 'pandas.util', 'pandas.api', 'pandas.compat', 'pandas._config', 'pandas.core.config_init', 'pandas._libs.parsers'],
    classes: true,
    notClasses: /^(HDFStore|ExcelFile|ExcelWriter)$/,
  },
  {
    library: 'numpy',
    package: 'numpy',
    exclude: ['numpy.lib.npyio', 'numpy.lib._npyio_impl', 'numpy.lib._datasource', 'numpy.lib.format', 'numpy.lib._format_impl', 'numpy.lib.utils', 'numpy.lib._utils_impl', 'numpy.f2py', 'numpy.distutils', 'numpy.ctypeslib', 'numpy.compat', 'numpy._pytesttester'],
    classes: true,
    notClasses: /^(NpzFile|DataSource|Repository|BagObj)$/,
  },
  { library: 'scipy', package: 'scipy', only: ['scipy.sparse'], exclude: ['scipy.sparse.linalg', 'scipy.sparse.csgraph'], classes: false },
  { library: 'xgboost', package: 'xgboost', only: ['xgboost.core', 'xgboost.sklearn'], classes: true, notClasses: /DMatrix$|^DataIter$/ },
  { library: 'LightGBM', package: 'lightgbm', only: ['lightgbm.basic', 'lightgbm.sklearn'], classes: true, notClasses: /^(Dataset|Sequence)$/ },
  { library: 'CatBoost', package: 'catboost', only: ['catboost.core'], classes: true, notClasses: /^Pool$/ },
  { library: 'tokenizers', package: 'tokenizers', exclude: ['tokenizers.tools', 'tokenizers.implementations'], classes: true },
  { library: 'sentencepiece', package: 'sentencepiece', classes: false },
];

/** Lower-case classes and data constructors of the libraries, by full dotted name. */
const LIBRARY_NAMES = new Set<string>();
const lib = (module: string, names: string[]) => names.forEach((n) => LIBRARY_NAMES.add(`${module}.${n}`));
// numpy's scalar types and array subclasses are pickled by reference as `numpy.<name>` (a `dtype=np.float64`
// parameter of an estimator, for instance); building one converts a value.
lib('numpy', [
  'bool_', 'bool', 'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64', 'intc', 'uintc', 'intp',
  'uintp', 'int_', 'uint', 'byte', 'ubyte', 'short', 'ushort', 'longlong', 'ulonglong', 'half', 'single', 'double',
  'longdouble', 'float16', 'float32', 'float64', 'float96', 'float128', 'float_', 'csingle', 'cdouble', 'clongdouble',
  'complex64', 'complex128', 'complex192', 'complex256', 'complex_', 'object_', 'str_', 'bytes_', 'unicode_',
  'string_', 'void', 'datetime64', 'timedelta64', 'generic', 'number', 'integer', 'signedinteger', 'unsignedinteger',
  'inexact', 'floating', 'complexfloating', 'flexible', 'character', 'matrix', 'recarray', 'record',
]);
// RandomState / Generator / BitGenerator pickles (`random_state=np.random.RandomState(0)`): they build the named
// bit generator, or call the one passed in, which is a global of the pickle itself.
lib('numpy.random._pickle', ['__randomstate_ctor', '__generator_ctor', '__bit_generator_ctor']);
lib('numpy.ma.core', ['_mareconstruct']);
// pandas' index and block rebuilders: `_new_Index(cls, d)` is `cls.__new__(cls, **d)` for a class of the pickle.
lib('pandas.core.indexes.base', ['_new_Index']);
lib('pandas.core.indexes.period', ['_new_PeriodIndex']);
lib('pandas.core.indexes.datetimes', ['_new_DatetimeIndex']);
lib('pandas.core.indexes.interval', ['_new_IntervalIndex']);
lib('pandas._libs.internals', ['_unpickle_block']);
lib('pandas._libs.tslibs.timestamps', ['_unpickle_timestamp']);
lib('pandas._libs.tslibs.timedeltas', ['_timedelta_unpickle']);
lib('pandas._libs.tslibs.nattype', ['__nat_unpickle']);
// scipy.sparse matrices and arrays (lower-case classes), in their old and new modules.
for (const m of ['scipy.sparse', 'scipy.sparse._csr', 'scipy.sparse._csc', 'scipy.sparse._coo', 'scipy.sparse._bsr', 'scipy.sparse._dia', 'scipy.sparse._dok', 'scipy.sparse._lil', 'scipy.sparse.csr', 'scipy.sparse.csc', 'scipy.sparse.coo', 'scipy.sparse.bsr', 'scipy.sparse.dia', 'scipy.sparse.dok', 'scipy.sparse.lil']) {
  lib(m, ['csr_matrix', 'csc_matrix', 'coo_matrix', 'bsr_matrix', 'dia_matrix', 'dok_matrix', 'lil_matrix', 'csr_array', 'csc_array', 'coo_array', 'bsr_array', 'dia_array', 'dok_array', 'lil_array']);
}
// scikit-learn: KD and ball trees rebuild with `newObj(cls)` (`cls.__new__(cls)`); a column selector is a class.
lib('sklearn.neighbors._kd_tree', ['newObj']);
lib('sklearn.neighbors._ball_tree', ['newObj']);
lib('sklearn.compose._column_transformer', ['make_column_selector']);
lib('sentencepiece', ['SentencePieceProcessor']);

const CLASS_NAME = /^_*[A-Z][A-Za-z0-9_]*$/;
/** CapWords-looking names that are not classes: the ctypes handle of a library's native code (`xgboost.core._LIB`). */
const NOT_CLASS = /^_*LIB$/;
const PYX_UNPICKLE = /^__pyx_unpickle_\w+$/;
const TEST_MODULE = /(^|\.)(tests?|_?testing|conftest)(\.|$)/;

/** The library whose tier admits `module.name`, or undefined (see the criterion above). */
export function libraryClass(module: string, name: string): string | undefined {
  if (!name || name.includes('.') || DUNDER.test(name) || TEST_MODULE.test(module)) return undefined;
  for (const rule of LIBRARIES) {
    if (!inModule(module, rule.package)) continue;
    if (rule.only && !rule.only.some((m) => inModule(module, m))) return undefined;
    if (rule.exclude?.some((m) => inModule(module, m))) return undefined;
    if (LIBRARY_NAMES.has(`${module}.${name}`)) return rule.library;
    if (!rule.classes) return undefined;
    if (PYX_UNPICKLE.test(name)) return rule.library;
    if (CLASS_NAME.test(name) && !NOT_CLASS.test(name) && !rule.notClasses?.test(name.replace(/^_+/, ''))) return rule.library;
    return undefined;
  }
  return undefined;
}

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
  const library = libraryClass(module, name);
  if (library) return { classification: 'library', reason: library };
  return { classification: 'unknown' };
}
