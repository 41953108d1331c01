// `npm run fuzz`: the fuzz suites of test/fuzz with a long budget. Runs after `npm run build` and `tsc -p .`.
//   FUZZ_SEED   base seed (default: a fresh random one, printed, so that the run can be repeated)
//   FUZZ_SCALE  inputs per case, as a multiple of the `npm test` budget (default 25)
//   FUZZ_LONG   also the cases too slow for `npm test` (default 1)
//   FUZZ_REPLAY a failing-seed file from test-results/fuzz/ (replays that input only)
// Failing inputs are written to test-results/fuzz/; the counts and worst times to test-results/fuzz/summary.json.
import { spawnSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const env = { ...process.env };
env.FUZZ_SEED ??= String(randomInt(2 ** 31));
env.FUZZ_SCALE ??= '25';
env.FUZZ_LONG ??= '1';
const summary = join('test-results', 'fuzz', 'summary.json');
mkdirSync(join('test-results', 'fuzz'), { recursive: true });
rmSync(summary, { force: true });

console.log(`fuzz: base seed ${env.FUZZ_SEED}, scale ${env.FUZZ_SCALE}, long cases ${env.FUZZ_LONG === '1' ? 'on' : 'off'}${env.FUZZ_REPLAY ? `, replaying ${env.FUZZ_REPLAY}` : ''}`);
const started = Date.now();
const r = spawnSync(process.execPath, ['scripts/run-tests.mjs', join('out', 'test', 'fuzz') + '/'], { stdio: 'inherit', env });
console.log(`\nfuzz: ${((Date.now() - started) / 1000).toFixed(0)} s, base seed ${env.FUZZ_SEED} (repeat with FUZZ_SEED=${env.FUZZ_SEED})`);
if (existsSync(summary)) console.log(readFileSync(summary, 'utf8'));
process.exit(r.status ?? 1);
