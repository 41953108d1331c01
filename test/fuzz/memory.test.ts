/**
 * Memory stays bounded on a 20,000-file workspace: after the language server's workspace scan, it keeps what the
 * open documents need and, for a closed file, only its URI when it has findings (the diagnostics themselves go to the
 * client). Settings are cached for the most recently used 1,024 URIs only. Measured in the server process: RSS from
 * /proc, and the JS heap after a full garbage collection, written by heap-probe.ts on SIGUSR2 (Linux only).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LspClient, fileUri } from '../lsp-harness';

const FILES = 20_000;
/** The JS heap may grow by at most this much per file of the workspace, after the scan (measured: under 100 B). */
const HEAP_BYTES_PER_FILE = 500;
/** RSS (the WebAssembly heap, V8's reserve, the allocator's) may grow by at most this much over the baseline. */
const RSS_GROWTH_MB = 150;
/** A second scan of the same workspace may add at most this much heap: nothing accumulates per scan. */
const RESCAN_HEAP_GROWTH_MB = 2;
const MB = 1024 * 1024;
const linux = process.platform === 'linux';

let dir: string;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sai-fuzz-mem-'));
  for (let d = 0; d < FILES / 100; d++) {
    const sub = path.join(dir, `pkg${d}`);
    fs.mkdirSync(sub);
    for (let i = 0; i < 100; i++) {
      const k = d * 100 + i;
      const text =
        k % 10 === 0
          ? `import torch\n\ndef load_${k}(p):\n    return torch.load(p)\n`
          : k % 3 === 0
            ? `import torch\n\ndef f_${k}(p):\n    return torch.load(p, weights_only=True)\n`
            : `import os\n\ndef g_${k}(x):\n    return os.path.join(x, "${k}")\n`;
      fs.writeFileSync(path.join(sub, `m${i}.py`), text);
    }
  }
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function rssMb(pid: number): { rss: number; peak: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)![1]);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

/** The server's memory after a full garbage collection, as heap-probe.ts reports it on SIGUSR2. */
function heap(client: LspClient): Promise<NodeJS.MemoryUsage & { collected: boolean }> {
  return new Promise((resolve) => {
    let buffer = '';
    const onData = (d: Buffer) => {
      buffer += d.toString();
      const m = /@@heap (.*)\n/.exec(buffer);
      if (m) {
        client.proc.stderr!.off('data', onData);
        resolve(JSON.parse(m[1]) as NodeJS.MemoryUsage & { collected: boolean });
      }
    };
    client.proc.stderr!.on('data', onData);
    client.proc.kill('SIGUSR2');
  });
}

test(`a ${FILES.toLocaleString('en')}-file workspace: the scan's memory stays bounded and nothing accumulates per scan`, { skip: !linux && 'measured from /proc and SIGUSR2 (Linux)' }, async () => {
  const probe = path.join(__dirname, 'heap-probe.js');
  const client = await LspClient.start({ folders: [dir], env: { NODE_OPTIONS: `--expose-gc --require ${JSON.stringify(probe)}`, SAI_HEAP_PROBE: '1' } });
  try {
    // The baseline: the engine loaded and one document analysed.
    const warm = fileUri(path.join(dir, 'warm.py'));
    await client.open(warm, 'import torch\ntorch.load(p)\n');
    await client.diagnosticsFor(warm, (d) => d.length === 1);
    await client.close(warm);
    const base = await heap(client);
    assert.ok(base.collected, 'the probe could not collect garbage (--expose-gc)');
    const baseRss = rssMb(client.proc.pid!);

    const first = (await client.connection.sendRequest('secureAi/scanWorkspace', null)) as { files: number; findings: number };
    assert.equal(first.files, FILES);
    assert.equal(first.findings, FILES / 10);
    const afterFirst = await heap(client);
    const rss = rssMb(client.proc.pid!);
    await client.connection.sendRequest('secureAi/scanWorkspace', null);
    const afterSecond = await heap(client);

    const perFile = (afterFirst.heapUsed - base.heapUsed) / FILES;
    console.log(
      `# ${FILES} files: heap ${(base.heapUsed / MB).toFixed(1)} -> ${(afterFirst.heapUsed / MB).toFixed(1)} MB after the scan ` +
        `(${perFile.toFixed(0)} B per file), ${(afterSecond.heapUsed / MB).toFixed(1)} MB after a second; ` +
        `RSS ${baseRss.rss.toFixed(0)} -> ${rss.rss.toFixed(0)} MB, peak ${rss.peak.toFixed(0)} MB`,
    );
    assert.ok(perFile <= HEAP_BYTES_PER_FILE, `${perFile.toFixed(0)} B of heap kept per file`);
    assert.ok(rss.rss - baseRss.rss <= RSS_GROWTH_MB, `RSS grew by ${(rss.rss - baseRss.rss).toFixed(0)} MB`);
    assert.ok((afterSecond.heapUsed - afterFirst.heapUsed) / MB <= RESCAN_HEAP_GROWTH_MB, 'a second scan kept more memory');
    // The findings of closed files were published, and are the client's to keep.
    assert.equal([...client.diagnostics.values()].filter((p) => p.diagnostics.length).length, FILES / 10);
  } finally {
    await client.stop();
  }
});
