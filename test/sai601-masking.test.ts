/**
 * SAI601 shows a key masked (`sk-p…`, the first four characters). This proves the whole key never leaves the tool
 * through any output: the engine's result (messages, fix titles and edits, notices), every report of the CLI (text,
 * JSON and SARIF, with and without --show-suppressed, and the threat model in Markdown and JSON), and the language
 * server (diagnostics of open and scanned files, hovers, code actions, logs), while the masked form does show.
 *
 * The keys are generated here from a fixed seed, one per format the rule knows (server/src/rules/secrets.ts) plus
 * the context-only ones (Cohere, W&B, Azure), and each is checked to be one the rule recognises, so the test never
 * passes because a key went unnoticed. They sit in the places where other rules quote code too: a dataset URL, a
 * download URL, an f-string, a string with two keys. Needs `npm run build` (the CLI and the server run from dist/).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Diagnostic } from 'vscode-languageserver-protocol/node';
import { analyze, initEngine } from '../server/src/engine/analyze';
import { findKeys, looksLikeSecret, redact, type Provider } from '../server/src/rules/secrets';
import { scanWorkspaceRequest } from '../server/src/shared/protocol';
import { DEFAULT_SETTINGS } from '../server/src/shared/settings';
import { ROOT } from './helpers';
import { LspClient, SERVER, fileUri } from './lsp-harness';

const CLI = path.join(ROOT, 'dist', 'cli.js');

// ------------------------------------------------------------------ keys

/** mulberry32: a small seeded generator, so that the keys are the same in every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = prng(0x5a1601);
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const TOKEN = `${ALNUM}_-`;
const HEX = '0123456789abcdef';
const draw = (alphabet: string, n: number) => Array.from({ length: n }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');

/** A key of a known format that the rule recognises (drawn again until it does: random text can look like a placeholder). */
function formatKey(provider: Provider, make: () => string): string {
  for (let i = 0; i < 100; i++) {
    const key = make();
    const [m] = findKeys(key);
    if (m && m.key === key && m.provider === provider) return key;
  }
  throw new Error(`no ${provider} key drawn`);
}

/** A key with no format of its own, recognised where a key goes. */
function contextKey(provider: Provider, make: () => string): string {
  for (let i = 0; i < 100; i++) {
    const key = make();
    if (looksLikeSecret(key, provider) && findKeys(key).length === 0) return key;
  }
  throw new Error(`no ${provider} key drawn`);
}

const K = {
  openaiProject: formatKey('openai', () => `sk-proj-${draw(TOKEN, 48)}`),
  openaiService: formatKey('openai', () => `sk-svcacct-${draw(TOKEN, 48)}`),
  openaiAdmin: formatKey('openai', () => `sk-admin-${draw(TOKEN, 40)}`),
  openaiLegacy: formatKey('openai', () => `sk-${draw(ALNUM, 20)}T3BlbkFJ${draw(ALNUM, 20)}`),
  openaiInPair: formatKey('openai', () => `sk-proj-${draw(TOKEN, 48)}`),
  anthropic: formatKey('anthropic', () => `sk-ant-api03-${draw(TOKEN, 93)}AA`),
  anthropicAdmin: formatKey('anthropic', () => `sk-ant-admin01-${draw(TOKEN, 93)}AA`),
  anthropicSuppressed: formatKey('anthropic', () => `sk-ant-api03-${draw(TOKEN, 93)}AA`),
  hf: formatKey('huggingface', () => `hf_${draw(LETTERS, 34)}`),
  hfLogin: formatKey('huggingface', () => `hf_${draw(LETTERS, 34)}`),
  hfEnviron: formatKey('huggingface', () => `hf_${draw(LETTERS, 34)}`),
  hfGetenv: formatKey('huggingface', () => `hf_${draw(LETTERS, 34)}`),
  hfInPair: formatKey('huggingface', () => `hf_${draw(LETTERS, 34)}`),
  hfInDatasetUrl: formatKey('huggingface', () => `hf_${draw(LETTERS, 34)}`),
  hfInDownloadUrl: formatKey('huggingface', () => `hf_${draw(LETTERS, 34)}`),
  hfInUrlPath: formatKey('huggingface', () => `hf_${draw(LETTERS, 34)}`),
  hfOrg: formatKey('huggingface', () => `api_org_${draw(LETTERS, 34)}`),
  google: formatKey('google', () => `AIza${draw(`${ALNUM}_-`, 35)}`),
  googleInFString: formatKey('google', () => `AIza${draw(`${ALNUM}_-`, 35)}`),
  replicateInHeader: formatKey('replicate', () => `r8_${draw(ALNUM, 37)}`),
  cohere: contextKey('cohere', () => draw(ALNUM, 40)),
  wandb: contextKey('wandb', () => draw(HEX, 40)),
  azure: contextKey('azure-openai', () => draw(HEX, 32)),
};
const KEYS = Object.entries(K) as Array<[keyof typeof K, string]>;

/** Keys that SAI601 reports as the key of their literal (the second key of a two-key literal shares its finding). */
const REPORTED = KEYS.filter(([name]) => name !== 'hfInPair' && name !== 'anthropicSuppressed');

const SOURCE = `import os
import urllib.request

import cohere
import pandas as pd
import torch
import wandb
from anthropic import Anthropic
from huggingface_hub import login
from openai import AzureOpenAI, OpenAI
from transformers import AutoModelForCausalLM

client = OpenAI(api_key="${K.openaiProject}")
service = OpenAI(api_key="${K.openaiService}")
admin = OpenAI(api_key="${K.openaiAdmin}")
OPENAI_API_KEY = "${K.openaiLegacy}"
claude = Anthropic(api_key="${K.anthropic}")
claude_admin = Anthropic(api_key="${K.anthropicAdmin}")
claude_old = Anthropic(api_key="${K.anthropicSuppressed}")  # secure-ai: ignore[SAI601] revoked on 2026-11-01
HF_TOKEN = "${K.hf}"
login(token="${K.hfLogin}")
os.environ["HF_TOKEN"] = "${K.hfEnviron}"
token = os.getenv("HF_TOKEN", "${K.hfGetenv}")
model = AutoModelForCausalLM.from_pretrained("acme/private-llm", token="${K.hfOrg}", trust_remote_code=True)
GOOGLE_API_KEY = "${K.google}"
headers = {"Authorization": "Bearer ${K.replicateInHeader}"}
co = cohere.Client("${K.cohere}")
wandb.login(key="${K.wandb}")
azure = AzureOpenAI(azure_endpoint="https://acme.openai.azure.com", api_version="2024-06-01", api_key="${K.azure}")
both = "${K.openaiInPair},${K.hfInPair}"


def search(query):
    return f"https://www.googleapis.com/customsearch/v1?key=${K.googleInFString}&q={query}"


def train():
    frame = pd.read_csv("https://huggingface.co/d/train.csv?token=${K.hfInDatasetUrl}")
    urllib.request.urlretrieve("https://huggingface.co/acme/m/resolve/main/model.pt?token=${K.hfInDownloadUrl}", "model.pt")
    urllib.request.urlretrieve("http://models.acme.example/fetch/${K.hfInUrlPath}")
    state = torch.load("model.pt")
    return frame, state
`;

/** The line (0-based) of a key in SOURCE. */
const lineOf = (key: string) => SOURCE.slice(0, SOURCE.indexOf(key)).split('\n').length - 1;
/** `sk-p…` as the messages show it, in backticks. */
const masked = (key: string) => `\`${redact(key)}\``;

/** Every key that occurs in `output`, by name: the test's one assertion about leaks. */
function leaked(output: string): string[] {
  return KEYS.filter(([, key]) => output.includes(key)).map(([name]) => name);
}

/** The masked forms the SAI601 messages must show, each on the line of its key. */
function assertMasked(findings: Array<{ ruleId: string; line: number; message: string }>, where: string): void {
  for (const [name, key] of REPORTED) {
    const line = lineOf(key);
    const f = findings.find((x) => x.ruleId === 'SAI601' && x.line === line);
    assert.ok(f, `${where}: SAI601 reports ${name} on line ${line + 1}`);
    assert.ok(f.message.includes(masked(key)), `${where}: the message for ${name} shows ${masked(key)}: ${f.message}`);
  }
}

let dir: string;
let file: string;
before(async () => {
  await initEngine();
  dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'sai-sai601-')));
  file = path.join(dir, 'keys.py');
  fs.writeFileSync(file, SOURCE);
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('the generated keys are all different and all in the source', () => {
  assert.equal(new Set(KEYS.map(([, k]) => k)).size, KEYS.length);
  assert.deepEqual(leaked(SOURCE).length, KEYS.length);
});

describe('the engine', () => {
  test('its result (messages, fixes, notices) holds no key, and shows each one masked', () => {
    const result = analyze(SOURCE, file, DEFAULT_SETTINGS);
    assert.deepEqual(result.notices, []);
    assertMasked(
      result.findings.map((f) => ({ ruleId: f.ruleId, line: f.range.start.line, message: f.message })),
      'engine',
    );
    const suppressed = result.findings.find((f) => f.ruleId === 'SAI601' && f.range.start.line === lineOf(K.anthropicSuppressed));
    assert.ok(suppressed?.suppressed, 'the suppressed key is still found, and marked suppressed');
    assert.ok(suppressed.message.includes(masked(K.anthropicSuppressed)));
    // Other rules report on these lines too (SAI101, SAI102, SAI104, SAI202, SAI301): none may quote a key, and
    // those that quote a URL show its key masked.
    assert.ok(new Set(result.findings.map((f) => f.ruleId)).size > 3, result.findings.map((f) => f.ruleId).join(', '));
    const at = (ruleId: string, key: string) => result.findings.find((f) => f.ruleId === ruleId && f.range.start.line === lineOf(key));
    assert.ok(at('SAI301', K.hfInDatasetUrl)?.message.includes(`?token=${redact(K.hfInDatasetUrl)}\``), 'SAI301 quotes the dataset URL masked');
    assert.equal(at('SAI301', K.hfInDatasetUrl)?.fix, undefined, 'no fix that would log a URL with a key');
    assert.ok(at('SAI104', K.hfInUrlPath)?.message.includes(masked(K.hfInUrlPath)), 'SAI104 names the file masked');
    const pair = at('SAI601', K.openaiInPair);
    assert.ok(pair && !pair.fix, 'no fix for a literal with two keys (the replacement would keep the second)');
    assert.deepEqual(leaked(JSON.stringify(result)), []);
  });
});

describe('the CLI', () => {
  function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
    const r = spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: 'utf8', timeout: 60_000, env: { ...process.env, NO_COLOR: '1' } });
    if (r.error) throw r.error;
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  for (const format of ['text', 'json', 'sarif'] as const) {
    for (const showSuppressed of [false, true]) {
      test(`scan --format ${format}${showSuppressed ? ' --show-suppressed' : ''}: no key in stdout or stderr, each masked`, () => {
        const r = cli(['scan', '.', '--format', format, ...(showSuppressed ? ['--show-suppressed'] : [])]);
        assert.equal(r.status, 1, r.stderr);
        assert.deepEqual(leaked(r.stdout + r.stderr), []);
        let findings: Array<{ ruleId: string; line: number; message: string }>;
        if (format === 'json') {
          const report = JSON.parse(r.stdout) as { findings: Array<{ ruleId: string; line: number; message: string }> };
          findings = report.findings.map((f) => ({ ...f, line: f.line - 1 }));
        } else if (format === 'sarif') {
          const log = JSON.parse(r.stdout) as {
            runs: Array<{ results: Array<{ ruleId: string; message: { text: string }; locations: Array<{ physicalLocation: { region: { startLine: number } } }> }> }>;
          };
          findings = log.runs[0].results.map((x) => ({ ruleId: x.ruleId, message: x.message.text, line: x.locations[0].physicalLocation.region.startLine - 1 }));
        } else {
          // `  13:25  error  SAI601  A hard-coded ...`
          findings = [...r.stdout.matchAll(/^\s+(\d+):\d+\s+\w+\s+(SAI\d+)\s+(.*)$/gm)].map((m) => ({ ruleId: m[2], line: Number(m[1]) - 1, message: m[3] }));
        }
        assertMasked(findings, `--format ${format}`);
        const suppressedShown = findings.some((f) => f.ruleId === 'SAI601' && f.line === lineOf(K.anthropicSuppressed));
        assert.equal(suppressedShown, showSuppressed);
        if (showSuppressed) assert.ok(r.stdout.includes(masked(K.anthropicSuppressed)));
      });
    }
  }

  test('threat-model (Markdown, JSON, Threat Dragon): secrets by name, datasets with their key masked, never a key', () => {
    for (const format of ['md', 'json', 'threat-dragon']) {
      const r = cli(['threat-model', '.', '--format', format, '--output', '-']);
      assert.equal(r.status, 0, r.stderr);
      assert.ok(r.stdout.length > 1000);
      assert.deepEqual(leaked(r.stdout + r.stderr), [], `threat-model --format ${format}`);
      if (format === 'md') assert.ok(r.stdout.includes(`?token=${redact(K.hfInDatasetUrl)}`), 'the dataset is listed, its key masked');
    }
  });

  test('bom (the AI bill of materials, where the command exists): never a key', (t) => {
    if (cli(['bom', '--help']).status !== 0) return t.skip('no bom command in this build');
    const r = cli(['bom', '.', '--output', '-']);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(leaked(r.stdout + r.stderr), []);
  });
});

describe('the language server', () => {
  let client: LspClient;
  before(async () => {
    assert.ok(fs.existsSync(SERVER), `${SERVER} is missing: run npm run build`);
    client = await LspClient.start({ folders: [dir] });
  });
  after(async () => {
    await client.stop();
  });

  const asFindings = (ds: Diagnostic[]) => ds.map((d) => ({ ruleId: String(d.code ?? ''), line: d.range.start.line, message: typeof d.message === 'string' ? d.message : String(d.message) }));

  test('diagnostics of a scanned file and of the open document, hovers, code actions and logs hold no key', async () => {
    const uri = fileUri(file);
    // The file on disk, through the workspace scan.
    await client.connection.sendRequest(scanWorkspaceRequest.method, null);
    await client.waitUntil(() => (client.diagnostics.get(uri)?.diagnostics.length ?? 0) > 0, 'the scan publishes the file');
    assertMasked(asFindings(client.diagnostics.get(uri)!.diagnostics), 'workspace scan');
    // The same text open in the editor.
    await client.open(uri, SOURCE);
    const ds = await client.diagnosticsFor(uri, (d) => d.some((x) => x.code === 'SAI601'));
    assertMasked(asFindings(ds), 'open document');
    const answers: unknown[] = [];
    for (const d of ds) {
      answers.push(await client.connection.sendRequest('textDocument/hover', { textDocument: { uri }, position: d.range.start }));
      answers.push(await client.connection.sendRequest('textDocument/codeAction', { textDocument: { uri }, range: d.range, context: { diagnostics: [d] } }));
    }
    answers.push(await client.connection.sendRequest('textDocument/codeAction', { textDocument: { uri }, range: ds[0].range, context: { diagnostics: ds, only: ['source.fixAll.secure-ai'] } }));
    assert.ok(answers.some((a) => JSON.stringify(a).includes('os.environ')), 'the SAI601 fix is offered');
    assert.deepEqual(leaked(JSON.stringify(client.published)), [], 'published diagnostics');
    assert.deepEqual(leaked(JSON.stringify(answers)), [], 'hovers and code actions');
    assert.deepEqual(leaked(client.logs.join('\n') + client.stderr), [], 'logs');
  });
});
