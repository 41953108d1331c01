/**
 * The tool's name and version, read from the package.json of this package at run time. The bundle lives in dist/ and
 * the tsc output in out/server/src/cli/, so the file is found by walking up from this module's folder.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const PACKAGE_NAME = 'secure-ai-dev';

let cached: { version: string } | undefined;

export function packageVersion(): string {
  if (!cached) {
    cached = { version: '0.0.0' };
    for (let dir = __dirname; ; dir = path.dirname(dir)) {
      const file = path.join(dir, 'package.json');
      try {
        const json = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: unknown; version?: unknown };
        if (json.name === PACKAGE_NAME && typeof json.version === 'string') {
          cached = { version: json.version };
          break;
        }
      } catch {
        // no package.json here, or not ours: keep walking up
      }
      if (path.dirname(dir) === dir) break;
    }
  }
  return cached.version;
}
