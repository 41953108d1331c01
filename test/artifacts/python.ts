/**
 * Pickles written by the machine's `python3` with its own `pickle` module (protocols 0 to 5, as Python really writes
 * them), and files in the layouts PyTorch and joblib use, made with stand-in modules: a temporary folder on `sys.path`
 * holds small `torch`, `numpy`, `joblib`, `sklearn`, `pandas`, `xgboost`, `scipy` and `mymod` packages that define the
 * names the pickles refer to, so that no real library is needed. Python only writes pickles here (`pickle.dumps`); nothing is ever unpickled.
 */
import { spawnSync } from 'node:child_process';

const SCRIPT = String.raw`
import base64, collections, gzip, io, json, os, pickle, shutil, struct, sys, tempfile, zipfile, zlib

tmp = tempfile.mkdtemp(prefix='sai-fake-modules-')
def module(path, src):
    full = os.path.join(tmp, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, 'w') as f:
        f.write(src)

module('torch/__init__.py', 'class FloatStorage:\n    pass\n')
module('torch/_utils.py', 'def _rebuild_tensor_v2(*args):\n    pass\n')
module('joblib/__init__.py', '')
module('joblib/numpy_pickle.py', '''
class NumpyArrayWrapper(object):
    def __init__(self, subclass, shape, order, dtype, allow_mmap=False, numpy_array_alignment_bytes=16):
        self.subclass = subclass
        self.shape = shape
        self.order = order
        self.dtype = dtype
        self.allow_mmap = allow_mmap
        self.numpy_array_alignment_bytes = numpy_array_alignment_bytes
''')
module('numpy/__init__.py', '''
class ndarray(object):
    pass
class float64(float):
    pass
class dtype(object):
    def __init__(self, typestr):
        self.typestr = typestr
    def __reduce__(self):
        order = '|' if 'O' in self.typestr or 'b' in self.typestr else '<'
        return (dtype, (self.typestr, False, True), (3, order, None, None, None, -1, -1, 63 if 'O' in self.typestr else 0))
''')
module('mymod/__init__.py', 'class Thing(object):\n    pass\n')
# Stand-ins for scikit-learn, pandas, xgboost, scipy.sparse and numpy's random state, each pickled as the real
# library pickles it (by the names its classes and rebuild helpers have).
for pkg in ['sklearn', 'sklearn/linear_model', 'sklearn/tree', 'sklearn/ensemble', 'sklearn/ensemble/_hist_gradient_boosting', 'sklearn/_loss', 'sklearn/metrics', 'pandas', 'pandas/core', 'pandas/core/indexes', 'pandas/core/internals', 'pandas/_libs', 'xgboost', 'scipy', 'scipy/sparse', 'numpy/random']:
    module(pkg + '/__init__.py', '')
module('sklearn/linear_model/_logistic.py', 'class LogisticRegression(object):\n    def __init__(self):\n        self.C = 1.0\n        self._sklearn_version = "1.5.0"\n')
module('sklearn/tree/_tree.py', 'class Tree(object):\n    def __reduce__(self):\n        return (Tree, (4, [2], 1), {"max_depth": 3, "node_count": 5})\n')
module('sklearn/ensemble/_hist_gradient_boosting/binning.py', 'class _BinMapper(object):\n    pass\n')
module('sklearn/_loss/_loss.py', '''
def __pyx_unpickle_CyHalfBinomialLoss(t, checksum, state):
    pass
class CyHalfBinomialLoss(object):
    def __reduce__(self):
        return (globals()['__pyx_unpickle_CyHalfBinomialLoss'], (CyHalfBinomialLoss, 0xe3b0c44, None))
''')
module('sklearn/metrics/_scorer.py', 'def _passthrough_scorer(estimator, *args):\n    pass\n')
module('pandas/core/frame.py', 'class DataFrame(object):\n    pass\n')
module('pandas/core/internals/managers.py', 'class BlockManager(object):\n    pass\n')
module('pandas/_libs/internals.py', 'def _unpickle_block(values, placement, ndim):\n    pass\n')
module('pandas/core/indexes/base.py', '''
def _new_Index(cls, d):
    pass
class Index(object):
    def __reduce__(self):
        return (_new_Index, (type(self), {'data': [1, 2], 'name': None}), None)
''')
module('pandas/core/indexes/range.py', 'from pandas.core.indexes.base import Index\nclass RangeIndex(Index):\n    pass\n')
module('xgboost/core.py', 'class Booster(object):\n    pass\n')
module('xgboost/sklearn.py', 'class XGBClassifier(object):\n    pass\n')
module('scipy/sparse/_csr.py', 'class csr_matrix(object):\n    pass\n')
module('numpy/random/_pickle.py', 'def __randomstate_ctor(name="MT19937", ctor=None):\n    pass\n')
module('numpy/random/mtrand.py', '''
from numpy.random import _pickle
class RandomState(object):
    def __reduce__(self):
        return (getattr(_pickle, '__randomstate_ctor'), ('MT19937',), {'state': 1})
''')
sys.path.insert(0, tmp)
import torch, torch._utils, numpy, mymod
from joblib.numpy_pickle import NumpyArrayWrapper

class Evil(object):
    def __reduce__(self):
        return (os.system, ('echo pwned',))

out = {}

# ---- plain pickles, every protocol
for p in range(6):
    out['evil_p%d' % p] = pickle.dumps({'weights': [1, 2.5, 'x'], 'hook': Evil()}, protocol=p)
    out['clean_p%d' % p] = pickle.dumps({'a': [1, 2.5, 'text', b'bytes', None, True], 's': {1, 2}, 'o': collections.OrderedDict(k=(1, 2))}, protocol=p)
out['unknown_p4'] = pickle.dumps({'model': mymod.Thing()}, protocol=4)
bufs = []
out['oob_p5'] = pickle.dumps([pickle.PickleBuffer(b'abcdef'), pickle.PickleBuffer(bytearray(b'xyz')), Evil()], protocol=5, buffer_callback=bufs.append)
out['clean_then_evil'] = pickle.dumps([1, 2, 3], protocol=2) + pickle.dumps(Evil(), protocol=0)
out['clean_then_text'] = pickle.dumps([1, 2, 3], protocol=4) + b'this is a trailing comment, not a pickle\n'

# ---- PyTorch
class StorageRef(object):
    def __init__(self, key):
        self.key = key
class Tensor(object):
    def __init__(self, key):
        self.key = key
    def __reduce_ex__(self, proto):
        return (torch._utils._rebuild_tensor_v2, (StorageRef(self.key), 0, (2, 2), (2, 1), False, collections.OrderedDict()))
class TorchPickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, StorageRef):
            return ('storage', torch.FloatStorage, obj.key, 'cpu', 4)
        return None
def torch_pickle(obj):
    f = io.BytesIO()
    TorchPickler(f, protocol=2).dump(obj)
    return f.getvalue()
state = collections.OrderedDict([('layer.weight', Tensor('0')), ('layer.bias', Tensor('1'))])
# A storage whose raw bytes happen to start like a pickle: torch never unpickles it, nor may the scanner.
storage = b'\x80\x02' + bytes(range(14))
def torch_zip(data_pkl, extra=()):
    f = io.BytesIO()
    with zipfile.ZipFile(f, 'w', zipfile.ZIP_STORED) as z:
        z.writestr('archive/data.pkl', data_pkl)
        z.writestr('archive/byteorder', 'little')
        z.writestr('archive/data/0', storage)
        z.writestr('archive/data/1', storage)
        for name, data in extra:
            z.writestr(name, data)
        z.writestr('archive/version', '3\n')
        z.writestr('archive/.data/serialization_id', '1234567890')
    return f.getvalue()
out['torch_zip_clean'] = torch_zip(torch_pickle(state))
evil_state = collections.OrderedDict(state)
evil_state['hook'] = Evil()
out['torch_zip_evil'] = torch_zip(torch_pickle(evil_state))
out['torch_zip_odd_member'] = torch_zip(torch_pickle(state), [('archive/extra/blob.bin', pickle.dumps(Evil(), protocol=4))])

def legacy(obj):
    f = io.BytesIO()
    pickle.dump(0x1950a86a20f9469cfc6c, f, protocol=2)
    pickle.dump(1001, f, protocol=2)
    pickle.dump({'protocol_version': 1001, 'little_endian': True, 'type_sizes': {'short': 2, 'int': 4, 'long': 4}}, f, protocol=2)
    TorchPickler(f, protocol=2).dump(obj)
    pickle.dump(['0', '1'], f, protocol=2)
    for key in ('0', '1'):
        f.write(struct.pack('<q', 4))
        f.write(storage)
    return f.getvalue()
out['torch_legacy_clean'] = legacy(state)
out['torch_legacy_evil'] = legacy(evil_state)

# ---- joblib: the array's bytes are written into the stream right after the wrapper's BUILD
class Arr(object):
    def __init__(self, typestr, shape, data, alignment=16):
        self.typestr, self.shape, self.data, self.alignment = typestr, shape, data, alignment
class JoblibLike(pickle._Pickler):
    def __init__(self, f):
        pickle._Pickler.__init__(self, f, protocol=4)
        self.f = f
    def save(self, obj, save_persistent_id=True):
        if isinstance(obj, Arr):
            obj_array = 'O' in obj.typestr
            w = NumpyArrayWrapper(numpy.ndarray, obj.shape, 'C', numpy.dtype(obj.typestr), allow_mmap=not obj_array, numpy_array_alignment_bytes=obj.alignment)
            pickle._Pickler.save(self, w)
            self.framer.commit_frame(force=True)
            if obj_array:
                pickle.dump(obj.data, self.f, protocol=2)
            else:
                if obj.alignment is not None:
                    pad = obj.alignment - (self.f.tell() + 1) % obj.alignment
                    self.f.write(bytes([pad]) + b'\xff' * pad)
                self.f.write(obj.data)
            return
        pickle._Pickler.save(self, obj, save_persistent_id)
def joblib_like(obj):
    f = io.BytesIO()
    JoblibLike(f).dump(obj)
    return f.getvalue()
# Raw float bytes that spell a malicious pickle: joblib skips them, and pickle.load stops at the padding byte first.
payload = b"cos\nsystem\n(S'echo pwned'\ntR."
raw = payload + b'\0' * (48 - len(payload))
out['joblib_clean'] = joblib_like({'coef': Arr('<f8', (2, 3), raw), 'n': 3, 'tail': collections.OrderedDict(x=1)})
out['joblib_evil_after_array'] = joblib_like({'coef': Arr('<f8', (6,), raw), 'hook': Evil()})
out['joblib_shadow'] = joblib_like({'coef': Arr('<f8', (6,), raw, alignment=None)})
out['joblib_object_array'] = joblib_like({'objs': Arr('|O', (2,), [1, Evil()]), 'after': mymod.Thing()})
out['joblib_zlib'] = zlib.compress(out['joblib_evil_after_array'], 3)
out['joblib_gzip'] = gzip.compress(out['joblib_evil_after_array'])

# ---- an ML pipeline: what a scikit-learn / pandas / xgboost pickle imports
from sklearn.linear_model._logistic import LogisticRegression
from sklearn.tree._tree import Tree
from sklearn.ensemble._hist_gradient_boosting.binning import _BinMapper
from sklearn._loss._loss import CyHalfBinomialLoss
from sklearn.metrics._scorer import _passthrough_scorer
from pandas.core.frame import DataFrame
from pandas.core.internals.managers import BlockManager
from pandas.core.indexes.range import RangeIndex
from pandas._libs.internals import _unpickle_block
from xgboost.core import Booster
from xgboost.sklearn import XGBClassifier
from scipy.sparse._csr import csr_matrix
from numpy.random.mtrand import RandomState
class Block(object):
    def __reduce__(self):
        return (_unpickle_block, ([1.0, 2.0], slice(0, 2), 2))
pipeline = {'clf': LogisticRegression(), 'tree': Tree(), 'binner': _BinMapper(), 'loss': CyHalfBinomialLoss(),
            'frame': DataFrame(), 'mgr': BlockManager(), 'block': Block(), 'index': RangeIndex(), 'booster': Booster(),
            'xgb': XGBClassifier(), 'sparse': csr_matrix(), 'rng': RandomState(), 'dtype': numpy.float64,
            'meta': collections.OrderedDict(version='1.5.0')}
for p in (0, 2, 4):
    out['ml_pipeline_p%d' % p] = pickle.dumps(pipeline, protocol=p)
out['ml_pipeline_mixed'] = pickle.dumps({'clf': LogisticRegression(), 'scoring': _passthrough_scorer, 'custom': mymod.Thing()}, protocol=4)

print(json.dumps({k: base64.b64encode(v).decode() for k, v in out.items()}))
shutil.rmtree(tmp, ignore_errors=True)
`;

let cache: Record<string, Buffer> | undefined;

/** The artifacts of the script above, by name (generated once per process). */
export function pythonArtifacts(): Record<string, Buffer> {
  if (cache) return cache;
  const r = spawnSync('python3', ['-'], { input: SCRIPT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`python3 failed to write the test pickles: ${r.stderr || r.error?.message}`);
  const parsed = JSON.parse(r.stdout) as Record<string, string>;
  cache = Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, Buffer.from(v, 'base64')]));
  return cache;
}
