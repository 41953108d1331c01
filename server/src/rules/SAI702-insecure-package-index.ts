import type { Rule } from '../engine/rule';
import type { Fix } from '../engine/types';
import type { IndexOption } from '../manifests';
import { displayUrl, hostOf, LOOPBACK_HOST } from './urls';

/** An edit that turns the option's `http://` into `https://`, when the URL is found inside the option's span. */
function httpsFix(text: string, option: IndexOption): Fix | undefined {
  const lines = text.split(/\r?\n|\r/);
  const { line, character, endLine, endCharacter } = option.span;
  for (let l = line; l <= endLine && l < lines.length; l++) {
    const from = l === line ? character : 0;
    const to = l === endLine ? endCharacter : lines[l].length;
    const at = lines[l].slice(from, to).search(/http:\/\//i);
    if (at < 0) continue;
    const start = { line: l, character: from + at };
    return {
      title: 'Use `https://`',
      safety: 'unsafe',
      edits: [{ range: { start, end: { line: l, character: start.character + 'http'.length } }, newText: 'https' }],
    };
  }
  return undefined;
}

export const rule: Rule = {
  id: 'SAI702',
  name: 'insecure-package-index',
  hazard: 'Extra, unverified or plain-HTTP package index',
  severity: 'warning',
  confidence: 'high',
  guidelines: ['NCSC-2.1', 'OWASP-ML06', 'OWASP-LLM03:2025', 'AML.T0010.001', 'CWE-427', 'CWE-295', 'CWE-319'],
  message: 'The package index setting lets someone other than the intended index supply the packages.',
  triggers: [],
  reads: ['manifest', 'notebook-command'],
  docs: {
    why:
      'Where packages come from is part of the supply chain (NCSC 2.1). `--extra-index-url` adds a second index ' +
      'beside PyPI and pip takes the highest version found on either, so anyone who publishes a private package\'s ' +
      'name on PyPI with a higher version replaces it (dependency confusion, the attack that hit PyTorch nightly ' +
      'users through `torchtriton` in December 2022). `--trusted-host` switches off certificate checks for a host, and ' +
      'an `http://` index, find-links page, conda channel or Poetry/uv source is read without TLS: in both cases ' +
      'anyone on the network path can serve any package. The rule reads requirements files, `pyproject.toml` ' +
      '(Poetry and uv sources), `setup.cfg` (`dependency_links`), conda `environment.yml` channels and notebooks\' ' +
      '`pip install` lines. Plain HTTP is an error; an extra index and a trusted host are warnings. The quick fix ' +
      'switches `http://` to `https://`, which fails if the server has no TLS, so it is marked unsafe. Plain HTTP to ' +
      'this machine (`localhost`, `127.0.0.1`: a local mirror) is not reported, and credentials or tokens in a URL are ' +
      'masked in the message.',
    example: '# requirements.txt\n--extra-index-url https://pypi.internal.example.com/simple\n--trusted-host pypi.internal.example.com\n-i http://mirror.example.com/simple\ntorch==2.6.0',
    useInstead:
      '# requirements.txt: one index that proxies PyPI and serves the private packages, over HTTPS\n' +
      '--index-url https://pypi.internal.example.com/simple\ntorch==2.6.0 --hash=sha256:…\n' +
      '# or, with uv, pin private packages to their index: [tool.uv.sources] mypkg = { index = "internal" }',
    references: [
      'https://pip.pypa.io/en/stable/cli/pip_install/#finding-packages',
      'https://pytorch.org/blog/compromised-nightly-dependency/',
      'https://docs.astral.sh/uv/concepts/indexes/',
      'https://www.ncsc.gov.uk/collection/guidelines-secure-ai-system-development',
    ],
  },
  checkManifest(ctx) {
    for (const option of ctx.manifest.indexOptions) {
      const value = option.value.trim();
      // Plain HTTP to this machine (a local devpi or mirror) never crosses a network.
      const plainHttp = /^http:\/\//i.test(value) && !LOOPBACK_HOST.test(hostOf(value) ?? '');
      if (plainHttp) {
        ctx.report({
          span: option.span,
          severity: 'error',
          message: `\`${displayUrl(value)}\` is read over plain HTTP, so anyone on the network path can serve any package.`,
          fix: httpsFix(ctx.text, option),
        });
      } else if (option.option === 'trusted-host') {
        ctx.report({
          span: option.span,
          message: `\`--trusted-host ${displayUrl(value)}\` turns off certificate checks for that host, so anyone on the network path can serve any package.`,
        });
      } else if (option.option === 'extra-index-url') {
        ctx.report({
          span: option.span,
          message:
            '`--extra-index-url` makes pip take the highest version from either index, so a package published on PyPI ' +
            'under a private package\'s name replaces it (dependency confusion).',
        });
      }
    }
  },
};
