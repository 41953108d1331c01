#!/usr/bin/env node
'use strict';
// The `secure-ai` command: a thin launcher for the bundle in dist/.
const fs = require('node:fs');
const path = require('node:path');

const cli = path.join(__dirname, '..', 'dist', 'cli.js');
if (!fs.existsSync(cli)) {
  process.stderr.write(`secure-ai: ${cli} is missing; run npm install (it builds through prepare) or npm run build\n`);
  process.exit(2);
}
require(cli).main(process.argv.slice(2));
