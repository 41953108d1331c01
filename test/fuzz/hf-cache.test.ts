/**
 * The Hugging Face cache lookup behind SAI101's quick fix (server/src/lsp/hf-revision.ts) reads only below the cache
 * folder: repo ids and refs come from the workspace's code, and the cache may hold symbolic links. It must not follow
 * a link out of the cache, read a FIFO or a device, read a large file, or accept a path that climbs out.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs = require('node:fs');
import * as os from 'node:os';
import * as path from 'node:path';
import { cachedRevision } from '../../server/src/lsp/hf-revision';

const SHA = '0123456789abcdef0123456789abcdef01234567';
const OTHER = 'fedcba9876543210fedcba9876543210fedcba98';
const posix = process.platform !== 'win32';

let base: string;
let cache: string;
let outside: string;

function put(file: string, content: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
}

before(() => {
  base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'sai-hf-')));
  cache = path.join(base, 'hub');
  outside = path.join(base, 'outside');
  put(path.join(cache, 'models--org--ok', 'refs', 'main'), `${SHA}\n`);
  put(path.join(cache, 'models--org--ok', 'refs', 'release', 'v1'), SHA);
  // Outside the cache: a repo folder and a ref file with a valid SHA, which must never be read.
  put(path.join(outside, 'models--org--evil', 'refs', 'main'), OTHER);
  put(path.join(outside, 'secret-ref'), OTHER);
});
after(() => fs.rmSync(base, { recursive: true, force: true }));

/** Every file `f` opens or reads while it runs. */
function filesRead<T>(f: () => T): { result: T; files: string[] } {
  const files: string[] = [];
  const open = fs.openSync;
  const readFile = fs.readFileSync;
  fs.openSync = ((p: fs.PathLike, ...rest: unknown[]) => {
    files.push(String(p));
    return (open as (...a: unknown[]) => number)(p, ...rest);
  }) as typeof fs.openSync;
  fs.readFileSync = ((p: fs.PathOrFileDescriptor, ...rest: unknown[]) => {
    if (typeof p !== 'number') files.push(String(p));
    return (readFile as (...a: unknown[]) => unknown)(p, ...rest);
  }) as typeof fs.readFileSync;
  try {
    return { result: f(), files };
  } finally {
    fs.openSync = open;
    fs.readFileSync = readFile;
  }
}

describe('Hugging Face cache lookup: only below the cache folder', () => {
  test('a plain cache, and a cache folder that is itself a symbolic link, are read', () => {
    assert.equal(cachedRevision('org/ok', 'model', 'main', cache), SHA);
    assert.equal(cachedRevision('org/ok', 'model', 'release/v1', cache), SHA);
    if (posix) {
      const link = path.join(base, 'hub-link');
      fs.symlinkSync(cache, link);
      assert.equal(cachedRevision('org/ok', 'model', 'main', link), SHA);
    }
  });

  test('repo ids and refs that climb out, are absolute or hold separators are refused before any read', () => {
    const bad: Array<[string, string]> = [
      ['../outside/models--org--evil', 'main'],
      ['org/..', 'main'],
      ['..', 'main'],
      ['org/ok/extra', 'main'],
      ['org\\..\\..', 'main'],
      ['/etc', 'main'],
      ['', 'main'],
      ['org/ok', '../../../outside/secret-ref'],
      ['org/ok', '..'],
      ['org/ok', '/etc/passwd'],
      ['org/ok', 'a\\..\\..\\b'],
      ['org/ok', 'main\0'],
      ['org/ok', 'C:main'],
      ['org/ok', ''],
      ['org/ok', 'refs//main'],
      ['org/ok', './main'],
    ];
    for (const [repo, ref] of bad) {
      const { result, files } = filesRead(() => cachedRevision(repo, 'model', ref, cache));
      assert.equal(result, undefined, `${repo} ${ref}`);
      assert.deepEqual(files, [], `${repo} ${ref}: nothing is read`);
    }
  });

  test('symbolic links out of the cache are not followed; links inside it are', { skip: !posix && 'symbolic links need POSIX' }, () => {
    // The repo folder is a link out of the cache.
    fs.symlinkSync(path.join(outside, 'models--org--evil'), path.join(cache, 'models--org--evil'));
    // The refs folder is a link out.
    fs.mkdirSync(path.join(cache, 'models--org--refs'));
    fs.symlinkSync(path.join(outside, 'models--org--evil', 'refs'), path.join(cache, 'models--org--refs', 'refs'));
    // The ref file is a link out, to a file with a valid SHA, and to a device.
    put(path.join(cache, 'models--org--file', 'refs', '.keep'), '');
    fs.symlinkSync(path.join(outside, 'secret-ref'), path.join(cache, 'models--org--file', 'refs', 'main'));
    fs.symlinkSync('/dev/zero', path.join(cache, 'models--org--file', 'refs', 'zero'));
    // A relative link that climbs out.
    fs.symlinkSync('../../../outside/secret-ref', path.join(cache, 'models--org--file', 'refs', 'relative'));
    // A loop.
    fs.symlinkSync('loop-b', path.join(cache, 'models--org--file', 'refs', 'loop-a'));
    fs.symlinkSync('loop-a', path.join(cache, 'models--org--file', 'refs', 'loop-b'));
    // A link inside the cache, to another repo's ref: followed.
    put(path.join(cache, 'models--org--inside', 'refs', '.keep'), '');
    fs.symlinkSync(path.join(cache, 'models--org--ok', 'refs', 'main'), path.join(cache, 'models--org--inside', 'refs', 'main'));

    const root = fs.realpathSync(cache);
    for (const [repo, ref] of [
      ['org/evil', 'main'],
      ['org/refs', 'main'],
      ['org/file', 'main'],
      ['org/file', 'zero'],
      ['org/file', 'relative'],
      ['org/file', 'loop-a'],
    ]) {
      const { result, files } = filesRead(() => cachedRevision(repo, 'model', ref, cache));
      assert.equal(result, undefined, `${repo} ${ref}`);
      assert.ok(
        files.every((f) => f.startsWith(root + path.sep)),
        `${repo} ${ref}: read outside the cache: ${files.join(', ')}`,
      );
    }
    const inside = filesRead(() => cachedRevision('org/inside', 'model', 'main', cache));
    assert.equal(inside.result, SHA);
    assert.ok(inside.files.every((f) => f.startsWith(root + path.sep)));
  });

  test('a ref that is a folder, a large file or a FIFO is not read (and a FIFO does not block)', () => {
    fs.mkdirSync(path.join(cache, 'models--org--dir', 'refs', 'main'), { recursive: true });
    assert.equal(cachedRevision('org/dir', 'model', 'main', cache), undefined);
    put(path.join(cache, 'models--org--big', 'refs', 'main'), `${SHA}\n${'x'.repeat(10 * 1024 * 1024)}`);
    assert.equal(cachedRevision('org/big', 'model', 'main', cache), undefined);
    if (posix && spawnSync('mkfifo', ['--help']).error === undefined) {
      put(path.join(cache, 'models--org--fifo', 'refs', '.keep'), '');
      const fifo = path.join(cache, 'models--org--fifo', 'refs', 'main');
      assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
      // In a separate process with a time limit: opening a FIFO for reading without O_NONBLOCK waits for a writer.
      const lookup = path.join(__dirname, '..', '..', 'server', 'src', 'lsp', 'hf-revision.js');
      const r = spawnSync(process.execPath, ['-e', `console.log(String(require(${JSON.stringify(lookup)}).cachedRevision('org/fifo', 'model', 'main', ${JSON.stringify(cache)})))`], {
        encoding: 'utf8',
        timeout: 10_000,
      });
      assert.equal(r.error, undefined, 'the lookup blocked on a FIFO');
      assert.equal(r.stdout.trim(), 'undefined', r.stderr);
    }
  });
});
