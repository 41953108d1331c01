/**
 * An audit of what a process does behind the analysis: every way Node offers to start a process, open a network
 * connection or resolve a host name, and every module load from a workspace folder, is replaced by a recorder that
 * logs the attempt and throws (so nothing runs).
 *
 * Used in-process (`installAudit`), and as a preload for the CLI and the language server (`node --require
 * out/test/fuzz/audit.js`, via NODE_OPTIONS): with `SAI_AUDIT_LOG` set, every thread that loads it appends
 * `loaded <pid> <threadId>` and one line per attempt to that file; `SAI_AUDIT_ROOTS` lists the workspace folders
 * (path.delimiter-separated) whose modules must never be loaded.
 */
// `import x = require(...)`: the module objects themselves. A namespace import would be a copy with getters, and
// patching it would change nothing for anyone else.
import childProcess = require('node:child_process');
import dgram = require('node:dgram');
import dns = require('node:dns');
import fs = require('node:fs');
import http = require('node:http');
import https = require('node:https');
import net = require('node:net');
import path = require('node:path');
import tls = require('node:tls');
import { threadId } from 'node:worker_threads';

type Patchable = Record<string, unknown>;

const TARGETS: Array<[string, Patchable, string[]]> = [
  ['child_process', childProcess as unknown as Patchable, ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork']],
  ['net', net as unknown as Patchable, ['connect', 'createConnection']],
  ['net.Socket.prototype', net.Socket.prototype as unknown as Patchable, ['connect']],
  ['tls', tls as unknown as Patchable, ['connect']],
  ['dns', dns as unknown as Patchable, ['lookup', 'resolve', 'resolve4', 'resolve6', 'resolveAny', 'lookupService']],
  ['dns.promises', dns.promises as unknown as Patchable, ['lookup', 'resolve', 'resolve4', 'resolve6', 'resolveAny']],
  ['http', http as unknown as Patchable, ['request', 'get']],
  ['https', https as unknown as Patchable, ['request', 'get']],
  ['dgram', dgram as unknown as Patchable, ['createSocket']],
  ['globalThis', globalThis as unknown as Patchable, ['fetch']],
];

/** Replace every target with a recorder; returns the function that puts the originals back. */
export function installAudit(record: (event: string) => void, roots: readonly string[] = []): () => void {
  const restore: Array<() => void> = [];
  for (const [owner, object, names] of TARGETS) {
    for (const name of names) {
      // Getters (the module namespace objects TypeScript and esbuild build) read through to these objects.
      const original = object[name];
      if (typeof original !== 'function') continue;
      const target = object;
      const replacement = function (this: unknown, ...args: unknown[]) {
        record(`${owner}.${name}(${args.map((a) => (typeof a === 'string' ? JSON.stringify(a) : typeof a)).join(', ')})`);
        throw new Error(`secure-ai audit: ${owner}.${name} is not allowed during analysis`);
      };
      target[name] = replacement;
      if (target[name] !== replacement) throw new Error(`the audit cannot replace ${owner}.${name}`);
      restore.push(() => {
        target[name] = original;
      });
    }
  }
  if (roots.length) {
    // Module._load is internal but stable; a require() or import of a workspace file goes through it.
    const Module = require('node:module') as { _load: (request: string, parent: unknown, isMain: boolean) => unknown; _resolveFilename: (request: string, parent: unknown) => string };
    const load = Module._load;
    const resolved = roots.map((r) => path.resolve(r) + path.sep);
    Module._load = function (request: string, parent: unknown, isMain: boolean) {
      let file = request;
      try {
        file = Module._resolveFilename(request, parent);
      } catch {
        // left to the real loader to report
      }
      if (request.endsWith('.py') || resolved.some((r) => path.resolve(file).startsWith(r))) {
        record(`module load of ${JSON.stringify(request)}`);
        throw new Error(`secure-ai audit: loading ${request} is not allowed`);
      }
      return load.call(this, request, parent, isMain);
    };
    restore.push(() => {
      Module._load = load;
    });
  }
  return () => {
    for (const r of restore.reverse()) r();
  };
}

// As a preload: record to the file named by SAI_AUDIT_LOG.
const logFile = process.env.SAI_AUDIT_LOG;
if (logFile) {
  const append = (line: string) => fs.appendFileSync(logFile, `${line}\n`);
  append(`loaded ${process.pid} ${threadId}`);
  const roots = (process.env.SAI_AUDIT_ROOTS ?? '').split(path.delimiter).filter(Boolean);
  installAudit((event) => append(`event ${process.pid} ${threadId} ${event}`), roots);
}
