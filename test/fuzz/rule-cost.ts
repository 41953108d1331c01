/**
 * `node out/test/fuzz/rule-cost.js [--json <file>] [--repeat <n>] [--size <MB>] [fixture or SAInnn filter...]`: the
 * CPU cost of each rule on every rule fixture repeated to 1 MB, the inputs of `npm run fuzz`'s "<fixture> repeated to
 * 1 MB" cases (engine.test.ts). Not a test (its name does not end in `.test.ts`): a tool to find the rule that makes a
 * scaled fixture slow, and to compare before and after a change. Run `npx tsc -p .` first.
 *
 * For each fixture it parses once, then runs each rule whose prefilter matches the text (as `analyze` would) on a
 * semantic model of its own (timed as `model`: what a rule memoises on the model is not shared with the next one),
 * timing its `check` with `process.cpuUsage()`. Then it times the whole `analyze` of the text, as the fuzz case does
 * (a notice, such as too-complex on a busy machine, is shown). `--repeat n` keeps the smallest of n runs. It prints a
 * line per fixture with the rules over 20 ms, then the worst time per rule; `--json` writes every finding (rule,
 * range, message, fix) per fixture, so that two runs can be diffed.
 *
 * `--work n` counts work instead of timing it: see `workTable`.
 */
import * as fs from 'node:fs';
import { activeRules, analyze, initEngine } from '../../server/src/engine/analyze';
import { parseBefore, timeLimitMs } from '../../server/src/engine/parser';
import { RuleContext } from '../../server/src/engine/rule';
import { SemanticModel } from '../../server/src/engine/semantic';
import { DEFAULT_SETTINGS } from '../../server/src/shared/settings';
import { ruleFixtures } from './generators';
import { CPU_MS_PER_MB } from './harness';
import { ruleWork } from './work';

const MB = 1024 * 1024;

function cpuMs(f: () => void): number {
  const before = process.cpuUsage();
  f();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

/** The input of engine.test.ts's "<fixture> repeated to 1 MB" case (or to `size` MB). */
export function scaled(text: string, size = 1): string {
  let s = '';
  while (s.length < size * MB) s += `${text}\n`;
  return s;
}

/**
 * `--work n`: each rule's work (test/fuzz/work.ts) on each fixture repeated n, 2n and 3n times, and the second
 * difference as a share of the first, the measure rule-scaling.test.ts bounds (about 0 for linear work).
 */
function workTable(copies: number, fixtureFilters: string[], ruleFilters: string[]): void {
  const rows: Array<{ fixture: string; rule: string; w: number[]; excess: number }> = [];
  for (const f of ruleFixtures()) {
    if (fixtureFilters.length && !fixtureFilters.some((x) => f.name.includes(x))) continue;
    const input = (k: number) => `${f.text}\n`.repeat(k * copies);
    for (const { rule } of activeRules(DEFAULT_SETTINGS).filter((r) => r.mayMatch(input(1)) && (!ruleFilters.length || ruleFilters.includes(r.rule.id)))) {
      const w = [1, 2, 3].map((k) => ruleWork(rule, input(k)));
      rows.push({ fixture: f.name, rule: rule.id, w, excess: (w[2] - 2 * w[1] + w[0]) / Math.max(1, w[0]) });
    }
  }
  rows.sort((a, b) => b.excess - a.excess);
  console.log(`| fixture | rule | work x${copies} | x${2 * copies} | x${3 * copies} | ratio x${2 * copies} / x${copies} | second difference / work x${copies} |`);
  console.log('|---|---|---:|---:|---:|---:|---:|');
  for (const { fixture, rule, w, excess } of rows) {
    console.log(`| ${fixture} | ${rule} | ${w[0]} | ${w[1]} | ${w[2]} | ${(w[1] / Math.max(1, w[0])).toFixed(2)} | ${excess.toFixed(3)} |`);
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  let json: string | undefined;
  let repeat = 1;
  let size = 1;
  let work: number | undefined;
  const filters: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--json') json = args[++i];
    else if (args[i] === '--repeat') repeat = Number(args[++i]);
    else if (args[i] === '--size') size = Number(args[++i]);
    else if (args[i] === '--work') work = Number(args[++i]);
    else filters.push(args[i]);
  }
  await initEngine();
  const rules = activeRules(DEFAULT_SETTINGS);
  const fixtureFilters = filters.filter((f) => !/^SAI\d+$/i.test(f));
  const ruleFilters = filters.filter((f) => /^SAI\d+$/i.test(f)).map((f) => f.toUpperCase());
  if (work !== undefined) {
    workTable(work, fixtureFilters, ruleFilters);
    return;
  }
  const worst = new Map<string, { ms: number; fixture: string }>();
  const findings: Record<string, unknown[]> = {};
  const over: string[] = [];
  for (const f of ruleFixtures()) {
    if (fixtureFilters.length && !fixtureFilters.some((x) => f.name.includes(x))) continue;
    const text = scaled(f.text, size);
    const active = rules.filter((r) => r.mayMatch(text) && (!ruleFilters.length || ruleFilters.includes(r.rule.id)));
    let modelMs = Infinity;
    const ruleMs = new Map<string, number>();
    const found: unknown[] = [];
    for (let k = 0; k < repeat; k++) {
      const tree = parseBefore(text, performance.now() + 100 * timeLimitMs(text.length));
      if (!tree) throw new Error(`${f.name}: parse timed out`);
      try {
        for (const { rule } of active) {
          // A fresh model per rule: what one rule memoises on the model must not be charged to the next.
          let model!: SemanticModel;
          modelMs = Math.min(modelMs, cpuMs(() => (model = new SemanticModel(tree, text, performance.now() + 100 * timeLimitMs(text.length)))));
          const ctx = new RuleContext(rule, model, 'fuzz.py');
          const ms = cpuMs(() => rule.check?.(ctx));
          ruleMs.set(rule.id, Math.min(ruleMs.get(rule.id) ?? Infinity, ms));
          if (k === 0) for (const x of ctx.findings) found.push(x);
        }
      } finally {
        tree.delete();
      }
    }
    findings[f.name] = found;
    // The whole analysis, as the fuzz case measures it (rules share what they memoise on the model here).
    let analyzeMs = Infinity;
    const notices = new Set<string>();
    const settings = { ...DEFAULT_SETTINGS, maxFileSizeKb: Math.ceil((text.length * 1.2) / 1024) };
    for (let k = 0; k < repeat; k++) {
      analyzeMs = Math.min(
        analyzeMs,
        cpuMs(() => {
          // A parse or walk over the engine's wall-clock limit (a busy machine) ends in a notice: said, as it is cheap.
          for (const n of analyze(text, 'fuzz.py', settings, ruleFilters.length ? { select: ruleFilters } : {}).notices) notices.add(n.kind);
        }),
      );
    }
    let total = active.length ? modelMs : 0;
    for (const ms of ruleMs.values()) total += ms;
    const bound = (CPU_MS_PER_MB * text.length) / MB;
    const line = `${f.name}: ${(text.length / MB).toFixed(2)} MB, model ${modelMs === Infinity ? '-' : modelMs.toFixed(0)} ms, rules ${(total - (active.length ? modelMs : 0)).toFixed(0)} ms, sum ${total.toFixed(0)} ms; analyze ${analyzeMs.toFixed(0)} ms${notices.size ? ` [notice: ${[...notices].join(', ')}]` : ''} (bound ${bound.toFixed(0)} ms)${analyzeMs > bound ? '  OVER' : ''}`;
    console.log(line);
    if (analyzeMs > bound) over.push(f.name);
    for (const [id, ms] of [...ruleMs].sort((a, b) => b[1] - a[1])) {
      if (ms >= 20) console.log(`    ${id} ${ms.toFixed(0)} ms`);
      const w = worst.get(id);
      if (!w || ms > w.ms) worst.set(id, { ms, fixture: f.name });
    }
  }
  console.log(`\nworst CPU per rule on one scaled fixture (min of ${repeat} run${repeat > 1 ? 's' : ''}):`);
  console.log('| rule | CPU ms | fixture |\n|---|---:|---|');
  for (const [id, w] of [...worst].sort((a, b) => a[0].localeCompare(b[0]))) console.log(`| ${id} | ${w.ms.toFixed(0)} | ${w.fixture} |`);
  console.log(`\n${over.length} fixture(s) whose analysis is over the bound${over.length ? `: ${over.join(', ')}` : ''}`);
  if (json) fs.writeFileSync(json, `${JSON.stringify(findings)}\n`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
