/**
 * The model-artifact scanner under hostile and broken input (issue 8): random bytes under every artifact extension,
 * truncated and corrupted pickles and archives, memo opcodes with huge indices, random opcode streams, zip bombs
 * (members, and directory entries sharing one member, that inflate to far more than the caps), archives nested deeper
 * than `maxZipDepth`, and central directories whose sizes, offsets, methods and counts lie.
 *
 * Every input must come back with a report (never an exception, never a hang), of the declared shape, whose verdict
 * agrees with its issues, within the CPU bound of harness.ts (`cpuBoundMs`: 2 s per MB, at least 1 s). Scans run in a
 * separate thread (test/artifacts/fuzz-worker.ts) so that one that hangs is stopped and written out; inputs follow from
 * their seeds alone (no Python). See harness.ts for `FUZZ_SEED`, `FUZZ_SCALE`, `FUZZ_LONG` and replaying a failure.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ArtifactLimits } from '../../server/src/artifacts';
import { cat, P } from '../artifacts/build';
import { flipped, hostileNames, hugeMemo, lfsPointer, lyingDirectory, nestedZip, opcodeSoup, randomArtifact, seeds, truncated, zipBomb, type Input } from '../artifacts/corpus';
import { checkBound, checkReport, ScanHost, type ScanOutcome } from '../artifacts/fuzz-host';
import { BASE_SEED, iterations, LONG, recordFailure, REPLAY, Rng, seedsFor, Stats } from './harness';

const SUITE = 'artifacts';
const host = new ScanHost();
const stats = new Stats();
const started = Date.now();

after(async () => {
  await host.dispose();
  stats.save(SUITE, { wallMs: Date.now() - started });
  console.log(`# artifact fuzz (base seed ${BASE_SEED}): ${stats.line()}; ${((Date.now() - started) / 1000).toFixed(1)} s`);
});

/** Scan one input, check it, count it; on failure write the seed and input out and fail with how to replay. */
async function tryInput(name: string, iteration: number, seed: number, input: Input, limits?: Partial<ArtifactLimits>, expect?: (o: ScanOutcome) => void): Promise<ScanOutcome> {
  try {
    const outcome = await host.scan(input.bytes, input.name, limits);
    checkReport(input.bytes, input.name, outcome, limits);
    checkBound(input.bytes, outcome);
    expect?.(outcome);
    stats.add(name, input.bytes.length, outcome.cpuMs);
    return outcome;
  } catch (err) {
    const file = recordFailure(SUITE, name, iteration, seed, input.bytes, err);
    throw new Error(`${name} input #${iteration} (seed ${seed}, ${input.name}) failed; written to ${file}\n${(err as Error).message}`);
  }
}

function fuzz(name: string, count: number, generate: (r: Rng, iteration: number) => Input, opts: { limits?: Partial<ArtifactLimits>; expect?: (o: ScanOutcome, input: Input) => void } = {}): void {
  test(`${name}: ${REPLAY ? 'replay' : `${iterations(count)} inputs`}`, async () => {
    for (const { iteration, seed } of seedsFor(SUITE, name, count)) {
      const input = generate(new Rng(seed), iteration);
      await tryInput(name, iteration, seed, input, opts.limits, opts.expect && ((o) => opts.expect!(o, input)));
    }
  });
}

const pool = seeds();
const hasIssue = (o: ScanOutcome, kind: string, severity?: string) => o.report.issues.some((i) => i.kind === kind && (!severity || i.severity === severity));

describe('well-formed seeds', () => {
  test(`the ${pool.length} seeds scan as expected (malicious ones are errors, clean ones have no verdict)`, async () => {
    for (const [i, s] of pool.entries()) {
      await tryInput('seeds', i, 0, s, undefined, (o) => {
        const evil = /evil|two|p0|model\.pth|model\.joblib|o\.npy|arrs|m\.keras|m\.h5/.test(s.name);
        assert.equal(o.verdict?.severity, evil ? 'error' : undefined, `${s.name}: ${JSON.stringify(o.report.issues)}`);
      });
    }
  });
});

describe('random and broken input', () => {
  fuzz('random-bytes', 300, (r) => randomArtifact(r));
  fuzz('truncated', 300, (r) => truncated(r, pool));
  fuzz('byte-flips', 400, (r) => flipped(r, pool));
  fuzz('opcode-soup', 300, (r) => opcodeSoup(r));
  fuzz('huge-memo-indices', 150, (r) => hugeMemo(r));
  fuzz('lying-central-directory', 200, (r) => lyingDirectory(r, pool));
});

describe('hostile names and odd files', () => {
  // Every report is checked for control and bidi characters and unbalanced code spans in what it shows (fuzz-host.ts).
  fuzz('hostile-names', 300, (r) => hostileNames(r));
  fuzz('lfs-pointers', 100, (r) => lfsPointer(r), {
    expect: (o, input) => {
      const lfs = o.report.issues.filter((i) => /Git LFS pointer/.test(i.message));
      if (lfs.length) assert.ok(lfs.length === 1 && o.report.issues.length === 1 && lfs[0].severity === 'info' && input.bytes.length < 1024, JSON.stringify(o.report.issues));
    },
  });
  fuzz('hash-off', 100, (r) => (r.chance(0.5) ? truncated(r, pool) : flipped(r, pool)), { limits: { hash: false } });
});

describe('zip bombs and nesting', () => {
  // Default limits: each member stops at `maxMemberBytes` (64 MB), the archive at `maxTotalUncompressedBytes`.
  fuzz('zip-bomb', LONG ? 12 : 3, (r) => zipBomb(r), { expect: (o) => assert.ok(hasIssue(o, 'limit', 'warning'), JSON.stringify(o.report.issues)) });
  fuzz('zip-bomb-small-caps', 12, (r) => zipBomb(r), {
    limits: { maxMemberBytes: 1024 * 1024, maxTotalUncompressedBytes: 3 * 1024 * 1024 },
    expect: (o) => assert.ok(hasIssue(o, 'limit', 'warning'), JSON.stringify(o.report.issues)),
  });
  fuzz('nested-zips', 40, (r) => nestedZip(r, r.range(1, 40)), {
    expect: (o, input) => {
      // Up to `maxZipDepth` (3 by default) archives are opened: the pickle inside is found, or the depth is a limit.
      if (input.depth! <= 3) assert.equal(o.verdict?.severity, 'error', JSON.stringify(o.report.issues));
      else assert.ok(hasIssue(o, 'limit', 'warning') && !hasIssue(o, 'dangerous-import'), JSON.stringify(o.report.issues));
    },
  });
});

describe('large input', () => {
  const MB = 1024 * 1024;
  const single = (name: string, make: (r: Rng) => Input, limits?: Partial<ArtifactLimits>, expect?: (o: ScanOutcome) => void) =>
    test(name, async () => {
      for (const { iteration, seed } of seedsFor(SUITE, name, 1, false)) await tryInput(name, iteration, seed, make(new Rng(seed)), limits, expect);
    });
  single('4 MB of random bytes named .pkl', (r) => ({ bytes: r.bytes(4 * MB), name: 'big.pkl' }));
  single('a 14 MB pickle of a million memoized strings: walked whole, the import at its end found', () => {
    const parts: Uint8Array[] = [cat(P.proto(4), P.emptyList, P.mark)];
    const item = cat(P.shortBinunicode('token-00000'), P.memoize);
    for (let i = 0; i < 1_000_000; i++) {
      parts.push(item);
      if (i % 1000 === 999) parts.push(cat(0x65, P.mark)); // APPENDS, MARK
    }
    parts.push(cat(0x65, P.global('os', 'system'), P.stop));
    return { bytes: Buffer.concat(parts), name: 'vocab.pkl' };
  }, undefined, (o) => assert.equal(o.verdict?.severity, 'error', 'the import at the end is found'));
  single('a 2 MB run of MARKs and NONEs (a deep stack) under small caps', () => ({ bytes: cat(P.proto(2), new Uint8Array(1024 * 1024).fill(0x28), new Uint8Array(1024 * 1024).fill(0x4e), P.stop), name: 'deep.pkl' }), { maxOpcodes: 500_000 }, (o) => assert.ok(hasIssue(o, 'limit', 'warning')));
});
