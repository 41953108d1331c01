/**
 * Units of the threat-model generator: the inventory read from code, dependency declarations, the Markdown blocks
 * and their merge, the git commit read from files, and the VS Code command's steps (against a fake editor).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generateThreatModelFlow, type ThreatModelUi } from '../client/src/threat-model-flow';
import { initEngine } from '../server/src/engine/analyze';
import { getParser } from '../server/src/engine/parser';
import { SemanticModel } from '../server/src/engine/semantic';
import type { GenerateThreatModelParams, GenerateThreatModelResult } from '../server/src/shared/protocol';
import { parsePyproject, parseRequirement, parseRequirementsTxt } from '../server/src/threat-model/dependencies';
import { blockBody, cells, mergeDocument, parseDocument, readThreatTable } from '../server/src/threat-model/document';
import { readGitInfo } from '../server/src/threat-model/git';
import { fileFacts, secretLikeName, type FileFacts } from '../server/src/threat-model/inventory';

before(async () => {
  await initEngine();
});

const made: string[] = [];
after(() => {
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});

function facts(src: string, file = 'app.py'): FileFacts {
  const tree = getParser().parse(src)!;
  try {
    return fileFacts(new SemanticModel(tree, src), file);
  } finally {
    tree.delete();
  }
}

const SHA = 'a'.repeat(40);

describe('inventory', () => {
  test('hub models: id, revision, pin, loader, remote code, format', () => {
    const f = facts(
      [
        'import torch, timm',
        'from transformers import AutoModel as AM, pipeline',
        'from huggingface_hub import hf_hub_download',
        `REV = "${SHA}"`,
        'a = AM.from_pretrained("org/a", revision=REV)',
        'b = AM.from_pretrained("org/b", revision="main", trust_remote_code=True, use_safetensors=True)',
        'c = pipeline("text-generation")',
        'd = hf_hub_download("org/d", filename="model.pkl")',
        'e = torch.hub.load("pytorch/vision:v0.10.0", "resnet18")',
        `g = timm.create_model("hf-hub:org/g@${SHA}")`,
        'h = timm.create_model("resnet50")',
        'i = AM.from_pretrained("./local/dir")',
      ].join('\n'),
    );
    const rows = f.models.map((m) => [m.name, m.source, m.loader, m.pinned, m.trustRemoteCode, m.format]);
    assert.deepEqual(rows, [
      ['org/a', 'hub', 'AutoModel.from_pretrained', 'yes', false, 'safetensors or pickle'],
      ['org/b', 'hub', 'AutoModel.from_pretrained', 'no', true, 'safetensors'],
      ['(default model for text-generation)', 'unknown', 'pipeline', 'no', false, 'safetensors or pickle'],
      ['org/d', 'hub', 'hf_hub_download', 'no', false, 'pickle'],
      ['pytorch/vision:v0.10.0 (resnet18)', 'torch-hub', 'torch.hub.load', 'no', true, 'torch (pickle)'],
      [`hf-hub:org/g@${SHA}`, 'hub', 'timm.create_model', 'yes', false, 'safetensors or pickle'],
      ['./local/dir', 'local', 'AutoModel.from_pretrained', 'n/a', false, 'safetensors or pickle'],
    ]);
    assert.equal(f.models[1].revision, 'main');
    assert.equal(f.file.usesLlm, true, 'a text-generation pipeline is a language model');
  });

  test('local loaders: path through `with open(...) as fh`, weights_only, keras by extension', () => {
    const f = facts(
      [
        'import pickle, torch',
        'from tensorflow import keras',
        'with open("artefacts/labels.pkl", "rb") as fh:',
        '    labels = pickle.load(fh)',
        'w = torch.load("ckpt.pt", weights_only=True)',
        'm = keras.models.load_model("model.h5")',
        'n = torch.load(some_path)',
      ].join('\n'),
    );
    assert.deepEqual(
      f.models.map((m) => [m.name, m.format, m.computed ?? false]),
      [
        ['artefacts/labels.pkl', 'pickle', false],
        ['ckpt.pt', 'torch (weights only)', false],
        ['model.h5', 'hdf5', false],
        ['some_path', 'torch (pickle)', true],
      ],
    );
  });

  test('datasets: hub with pin, packaged builders, pandas, library fetchers', () => {
    const f = facts(
      [
        'import pandas as pd',
        'from datasets import load_dataset',
        'from sklearn.datasets import fetch_california_housing',
        `a = load_dataset("org/data", revision="${SHA}")`,
        'b = load_dataset("csv", data_files="data/train.csv")',
        'c = pd.read_parquet("s3://bucket/x.parquet")',
        'd = fetch_california_housing()',
      ].join('\n'),
      'train.py',
    );
    assert.deepEqual(
      f.datasets.map((d) => [d.name, d.source, d.pinned]),
      [
        ['org/data', 'hub', 'yes'],
        ['data/train.csv', 'local', 'n/a'],
        ['s3://bucket/x.parquet', 'url', 'n/a'],
        ['fetch_california_housing', 'library', 'yes'],
      ],
    );
    assert.equal(f.file.role, 'training');
  });

  test('serving: Flask, FastAPI routers, gradio Blocks launched from a with-block, streamlit, binds', () => {
    const flask = facts(
      [
        'from flask import Flask, Blueprint',
        'app = Flask(__name__)',
        'bp = Blueprint("api", __name__)',
        '@bp.route("/items/<id>", methods=["GET", "DELETE"])',
        'def item(id): ...',
        'app.add_url_rule("/ping", view_func=item)',
        'app.run(port=5000)',
      ].join('\n'),
    );
    assert.deepEqual(flask.endpoints.map((e) => e.name), ['GET|DELETE /items/<id>', 'GET /ping']);
    assert.deepEqual(flask.binds.map((b) => [b.host, b.port, b.public]), [[undefined, 5000, false]]);
    const fastapi = facts(['from fastapi import APIRouter', 'router = APIRouter()', '@router.websocket("/ws")', 'async def ws(s): ...'].join('\n'));
    assert.deepEqual(fastapi.endpoints.map((e) => [e.framework, e.name]), [['fastapi', 'WEBSOCKET /ws']]);
    const gradio = facts(['import gradio as gr', 'with gr.Blocks() as demo:', '    gr.Markdown("hi")', 'demo.launch(server_name="0.0.0.0", server_port=7860)'].join('\n'));
    assert.deepEqual(gradio.endpoints.map((e) => e.name), ['gradio Blocks']);
    assert.deepEqual(gradio.binds.map((b) => [b.framework, b.host, b.port, b.public, b.share]), [['gradio', '0.0.0.0', 7860, true, false]]);
    const st = facts(['import os', 'import streamlit as st', 'st.title("demo")'].join('\n'), 'ui.py');
    assert.deepEqual(st.endpoints.map((e) => [e.name, e.evidence.line]), [['streamlit app', 2]]);
    assert.equal(st.binds[0].public, true, 'streamlit run listens on every interface unless told otherwise');
    assert.equal(st.file.role, 'serving');
  });

  test('secrets by name only: environment reads, SDK defaults, literals (never their values)', () => {
    const f = facts(
      [
        'import os',
        'from os import environ',
        'from openai import OpenAI',
        'from huggingface_hub import login',
        'a = os.environ["HF_TOKEN"]',
        'b = environ.get("AWS_SECRET_ACCESS_KEY")',
        'c = os.getenv("TOKENIZERS_PARALLELISM")',
        'd = os.getenv("DATA_DIR")',
        'client = OpenAI()',
        'other = OpenAI(api_key=os.environ["OTHER_KEY"])',
        'login(token="hf_abcdefghijklmnopqrstuvwxyz123456")',
        'placeholder = OpenAI(api_key="your-api-key")',
      ].join('\n'),
    );
    const names = f.secrets.map((s) => [s.name, s.kind]).sort();
    assert.deepEqual(names, [
      ['AWS_SECRET_ACCESS_KEY', 'env'],
      ['HF_TOKEN', 'env'],
      ['OPENAI_API_KEY', 'implicit'],
      ['OTHER_KEY', 'env'],
      ['token', 'literal'],
    ]);
    assert.ok(!JSON.stringify(f).includes('hf_abcdefghijklmnopqrstuvwxyz123456'));
    assert.ok(secretLikeName('WANDB_API_KEY') && secretLikeName('db-password') && !secretLikeName('TOKENIZERS_PARALLELISM') && !secretLikeName('MONKEY'));
  });

  test('AI APIs by client and by URL; roles from what files do and what they are called', () => {
    const f = facts(
      ['import requests', 'from anthropic import Anthropic', 'c = Anthropic()', 'r = requests.post("https://api.openai.com/v1/responses", json={})'].join('\n'),
      'scripts/summarise.py',
    );
    assert.deepEqual(f.externalApis.map((a) => a.provider), ['Anthropic', 'OpenAI']);
    assert.equal(f.file.role, 'other');
    assert.equal(facts('import torch\nmodel.fit(x)\n', 'x.py').file.role, 'training');
    assert.equal(facts('import joblib\nm = joblib.load("m.pkl")\n', 'src/serve_model.py').file.role, 'serving');
    assert.equal(facts('import joblib\nm = joblib.load("m.pkl")\n', 'src/eval.py').file.role, 'other');
  });
});

describe('dependencies', () => {
  test('PEP 508 requirements: what pins and what does not', () => {
    const pinned = (s: string) => parseRequirement(s)?.pinned;
    assert.equal(pinned('torch==2.3.1'), true);
    assert.equal(pinned('torch === 2.3.1'), true);
    assert.equal(pinned('Torch[cuda]==2.3.1 ; python_version >= "3.10"'), true);
    assert.equal(pinned('torch==2.*'), false);
    assert.equal(pinned('torch>=2,<3'), false);
    assert.equal(pinned('torch'), false);
    assert.equal(pinned('torch~=2.3'), false);
    assert.equal(pinned(`mylib @ git+https://github.com/org/mylib@${SHA}`), true);
    assert.equal(pinned('mylib @ git+https://github.com/org/mylib@main'), false);
    assert.equal(pinned('pkg @ https://x/pkg-1.0.tar.gz#sha256=abc'), true);
    assert.equal(parseRequirement('not a requirement!'), undefined);
  });

  test('requirements.txt: comments, options, continuations, hashes, editable VCS lines', () => {
    const deps = parseRequirementsTxt(
      [
        '# comment',
        '-r base.txt',
        '--index-url https://example.invalid/simple',
        'numpy==1.26.4  # pinned',
        'transformers \\',
        '  >=4.40',
        'torch==2.3.1 \\',
        '    --hash=sha256:00',
        `-e git+https://github.com/org/lib@${SHA}#egg=lib`,
        '',
      ].join('\n'),
    );
    assert.deepEqual(deps.map((d) => [d.name, d.pinned, d.line]), [
      ['numpy', true, 4],
      ['transformers', false, 5],
      ['torch', true, 7],
      ['lib', true, 9],
    ]);
  });

  test('pyproject.toml: PEP 621, optional dependencies, dependency groups, Poetry', () => {
    const p = parsePyproject(
      [
        '[project]',
        'name = "demo"',
        'dependencies = ["torch==2.3.1", "transformers>=4"]',
        '[project.optional-dependencies]',
        'serve = ["fastapi"]',
        '[dependency-groups]',
        'dev = ["pytest==8.0.0"]',
        '[tool.poetry.dependencies]',
        'python = "^3.11"',
        'numpy = "1.26.4"',
        'pandas = "^2.2"',
        `mylib = { git = "https://github.com/org/mylib", rev = "${SHA}" }`,
      ].join('\n'),
    );
    assert.equal(p.name, 'demo');
    assert.deepEqual(p.dependencies.map((d) => [d.name, d.pinned, d.line]), [
      ['torch', true, 3],
      ['transformers', false, 3],
      ['fastapi', false, 5],
      ['pytest', true, 7],
      ['numpy', true, 10],
      ['pandas', false, 11],
      ['mylib', true, 12],
    ]);
    assert.deepEqual(parsePyproject('this is [not toml').dependencies, []);
  });
});

describe('the Markdown document', () => {
  const doc = ['# T', '', 'mine', '<!-- secure-ai:begin a -->', 'old a', '<!-- secure-ai:end -->', 'between', '<!-- secure-ai:begin b -->', 'old b', '<!-- secure-ai:end -->', 'end', ''].join('\n');
  const fresh = ['# T', '', '<!-- secure-ai:begin a -->', 'new a', '<!-- secure-ai:end -->', '', '## C', '', '<!-- secure-ai:begin c -->', 'new c', '<!-- secure-ai:end -->', ''].join('\n');

  test('blocks are replaced, text around them is kept, unknown blocks are left alone, missing ones appended', () => {
    const { text, added } = mergeDocument(doc, fresh);
    assert.equal(text, ['# T', '', 'mine', '<!-- secure-ai:begin a -->', 'new a', '<!-- secure-ai:end -->', 'between', '<!-- secure-ai:begin b -->', 'old b', '<!-- secure-ai:end -->', 'end', '', '## C', '', '<!-- secure-ai:begin c -->', 'new c', '<!-- secure-ai:end -->', ''].join('\n'));
    assert.deepEqual(added, ['c']);
  });

  test('CRLF files stay CRLF; an unterminated block is not touched', () => {
    const crlf = doc.replace(/\n/g, '\r\n');
    const { text } = mergeDocument(crlf, fresh);
    assert.ok(text.includes('new a\r\n') && !/[^\r]\n/.test(text));
    const broken = '<!-- secure-ai:begin a -->\nmine, no end\n';
    assert.equal(parseDocument(broken).unterminated, 'a');
    assert.ok(mergeDocument(broken, fresh).text.startsWith('<!-- secure-ai:begin a -->\nmine, no end\n'));
  });

  test('the threats table is read by its header; escaped pipes stay in their cell', () => {
    const body = [
      '| ID | Status | Notes |',
      '|---|---|---|',
      '| T-1 | **Open** | a \\| b |',
      '| T-2 | n/a | |',
      '| T-3 | weird | x |',
      '',
      '<!-- secure-ai:state {"T-1":"Open","T-2":"Mitigated"} -->',
    ].join('\n');
    const s = readThreatTable(body);
    assert.deepEqual(cells('| a | b \\| c |'), ['a', 'b \\| c']);
    assert.equal(s.rows.get('T-1')!.status, 'Open');
    assert.equal(s.rows.get('T-1')!.notes, 'a \\| b');
    assert.equal(s.rows.get('T-2')!.status, 'Not applicable');
    assert.equal(s.rows.get('T-3')!.status, undefined);
    assert.deepEqual(s.generated, { 'T-1': 'Open', 'T-2': 'Mitigated' });
    assert.equal(blockBody(doc, 'b'), 'old b');
  });
});

describe('git', () => {
  function repo(): string {
    const d = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'sai-git-')));
    made.push(d);
    return d;
  }

  test('HEAD on a branch, a packed ref, a detached HEAD, a worktree, no repository', () => {
    const d = repo();
    fs.mkdirSync(path.join(d, '.git', 'refs', 'heads'), { recursive: true });
    fs.writeFileSync(path.join(d, '.git', 'HEAD'), 'ref: refs/heads/main\n');
    fs.writeFileSync(path.join(d, '.git', 'refs', 'heads', 'main'), `${'1'.repeat(40)}\n`);
    fs.mkdirSync(path.join(d, 'sub', 'dir'), { recursive: true });
    assert.deepEqual(readGitInfo(path.join(d, 'sub', 'dir')), { commit: '1'.repeat(40), branch: 'main' });

    fs.writeFileSync(path.join(d, '.git', 'HEAD'), 'ref: refs/heads/feature/x\n');
    fs.writeFileSync(path.join(d, '.git', 'packed-refs'), `# pack-refs with: peeled\n${'2'.repeat(40)} refs/heads/feature/x\n`);
    assert.deepEqual(readGitInfo(d), { commit: '2'.repeat(40), branch: 'feature/x' });

    fs.writeFileSync(path.join(d, '.git', 'HEAD'), `${'3'.repeat(40)}\n`);
    assert.deepEqual(readGitInfo(d), { commit: '3'.repeat(40) });

    const wt = repo();
    const gitdir = path.join(d, '.git', 'worktrees', 'wt');
    fs.mkdirSync(gitdir, { recursive: true });
    fs.writeFileSync(path.join(gitdir, 'HEAD'), 'ref: refs/heads/main\n');
    fs.writeFileSync(path.join(gitdir, 'commondir'), '../..\n');
    fs.writeFileSync(path.join(wt, '.git'), `gitdir: ${gitdir}\n`);
    assert.deepEqual(readGitInfo(wt), { commit: '1'.repeat(40), branch: 'main' });

    fs.writeFileSync(path.join(d, '.git', 'HEAD'), 'ref: refs/heads/unborn\n');
    fs.rmSync(path.join(d, '.git', 'packed-refs'));
    assert.equal(readGitInfo(d), undefined);
  });
});

describe('the VS Code command, step by step (a fake editor)', () => {
  type Call = [string, ...unknown[]];
  function fakeUi(over: Partial<ThreatModelUi> & { plan?: Partial<GenerateThreatModelResult> } = {}): { ui: ThreatModelUi; calls: Call[] } {
    const calls: Call[] = [];
    const uri = 'file:///ws/a/THREAT_MODEL.md';
    const ui: ThreatModelUi = {
      folders: () => [{ uri: 'file:///ws/a', name: 'a' }],
      pickFolder: async (f) => {
        calls.push(['pick', f.length]);
        return f[1];
      },
      request: async (p: GenerateThreatModelParams) => {
        calls.push(['request', p.mode, p.folderUri, p.force ?? false]);
        if (p.mode === 'plan') return { uri, exists: false, ours: false, written: false, ...over.plan };
        return { uri, exists: true, ours: true, written: true, summary: '3 threats', keptStatuses: 1 };
      },
      confirmReplace: async () => {
        calls.push(['confirm']);
        return true;
      },
      saveIfDirty: async (u) => void calls.push(['save', u]),
      withProgress: (_t, task) => task(),
      open: async (u) => void calls.push(['open', u]),
      done: async (_u, m) => void calls.push(['done', m]),
      error: (m) => void calls.push(['error', m]),
      ...over,
    };
    return { ui, calls };
  }

  test('one folder: plan, save the open copy, write, open, offer the preview', async () => {
    const { ui, calls } = fakeUi();
    assert.equal(await generateThreatModelFlow(ui), 'written');
    assert.deepEqual(calls.map((c) => c[0]), ['request', 'save', 'request', 'open', 'done']);
    assert.deepEqual(calls[2], ['request', 'write', 'file:///ws/a', false]);
    assert.match(String(calls[4][1]), /THREAT_MODEL\.md \(3 threats\)\. Kept 1 status you set\./);
  });

  test('multi-root: asks which folder; cancelling the pick does nothing', async () => {
    const two = () => [{ uri: 'file:///ws/a', name: 'a' }, { uri: 'file:///ws/b', name: 'b' }];
    const { ui, calls } = fakeUi({ folders: two });
    await generateThreatModelFlow(ui);
    assert.deepEqual(calls[0], ['pick', 2]);
    assert.equal(calls[1][2], 'file:///ws/b');
    const cancelled = fakeUi({ folders: two, pickFolder: async () => undefined });
    assert.equal(await generateThreatModelFlow(cancelled.ui), 'cancelled');
    assert.deepEqual(cancelled.calls, []);
  });

  test('a file secure-ai did not write: asks first; no means nothing is written, yes means force', async () => {
    const refused = fakeUi({ plan: { exists: true, ours: false }, confirmReplace: async () => false });
    assert.equal(await generateThreatModelFlow(refused.ui), 'cancelled');
    assert.ok(!refused.calls.some((c) => c[0] === 'request' && c[1] === 'write'));
    const agreed = fakeUi({ plan: { exists: true, ours: false } });
    assert.equal(await generateThreatModelFlow(agreed.ui), 'written');
    assert.ok(agreed.calls.some((c) => c[0] === 'request' && c[1] === 'write' && c[3] === true));
    const ours = fakeUi({ plan: { exists: true, ours: true } });
    await generateThreatModelFlow(ours.ui);
    assert.ok(!ours.calls.some((c) => c[0] === 'confirm'), 'a file secure-ai wrote is regenerated without asking');
  });

  test('no folder open, or a server error: one message, nothing else', async () => {
    const none = fakeUi({ folders: () => [] });
    assert.equal(await generateThreatModelFlow(none.ui), 'no-folder');
    assert.equal(none.calls[0][0], 'error');
    const failing = fakeUi({ request: async () => Promise.reject(new Error("refusing to write '../x.md': it is outside '/ws/a'")) });
    assert.equal(await generateThreatModelFlow(failing.ui), 'failed');
    assert.match(String(failing.calls.at(-1)![1]), /outside/);
  });
});
