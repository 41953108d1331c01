// Runs a Node script in this process and, on exit, prints its wall time and peak resident set size (which covers
// worker threads too) as one JSON line on stderr. Usage: node bench/measure.cjs <script> [args...]
const path = require('node:path');
const start = process.hrtime.bigint();
process.on('exit', (code) => {
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const maxRssMb = process.resourceUsage().maxRSS / 1024;
  process.stderr.write(`\n@@measure ${JSON.stringify({ ms, maxRssMb, code })}\n`);
});
const script = path.resolve(process.argv[2]);
process.argv = [process.argv[0], script, ...process.argv.slice(3)];
require(script);
