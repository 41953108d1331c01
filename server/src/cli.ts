/**
 * The `secure-ai` command-line front end, bundled to dist/cli.js. Run directly (`node dist/cli.js scan .`) or through
 * bin/secure-ai.js; required as a module it only exports the programmatic API the benchmark uses.
 */
export { main, run, EXIT_OK, EXIT_FINDINGS, EXIT_ERROR } from './cli/commands';
export { collectFiles, DEFAULT_SKIPPED_DIRS, type CollectOptions, type CollectResult } from './cli/files';
export { scanFiles, defaultJobs, type ScanOptions } from './cli/scan';
export type { FileNotice, FileNoticeKind, FileReport } from './cli/report';

import * as path from 'node:path';
import { main } from './cli/commands';

// Run when this file is the program: `node dist/cli.js`, or a wrapper that loads it as its script with
// process.argv[1] pointing here (bench/measure.cjs). Required for its exports, it does nothing.
if (require.main === module || (process.argv[1] !== undefined && path.resolve(process.argv[1]) === __filename)) main();
