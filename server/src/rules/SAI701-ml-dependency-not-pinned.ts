import * as path from 'node:path';
import type { Rule } from '../engine/rule';
import { isModelEcosystemPackage, type ManifestDependency } from '../manifests';

/** What is wrong with a floating requirement, in the words of the message. */
function problem(dep: ManifestDependency): string {
  const spec = dep.specifier.trim();
  if (!spec) return `\`${dep.name}\` has no version constraint`;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(spec) || spec.startsWith('git+')) return `\`${dep.name}\` comes from a URL with neither a commit hash nor a file hash`;
  if (dep.minimum !== undefined) return `\`${dep.name}${spec}\` only sets a lower bound`;
  return `\`${dep.name}${spec}\` sets no lower and upper bound together`;
}

export const rule: Rule = {
  id: 'SAI701',
  name: 'ml-dependency-not-pinned',
  hazard: 'ML dependency unpinned or only lower-bounded in a manifest',
  severity: 'warning',
  confidence: 'high',
  guidelines: ['NCSC-2.1', 'NCSC-2.2', 'G7-6', 'OWASP-ML06', 'OWASP-LLM03:2025', 'AML.T0010.001', 'CWE-1357', 'CWE-829'],
  message: 'An ML dependency is not pinned, so every install takes the newest release, including a compromised or breaking one.',
  triggers: [],
  reads: ['manifest', 'notebook-command'],
  docs: {
    why:
      'ML libraries load and run models: a malicious or broken release of `torch`, `transformers` or `langchain` runs ' +
      'inside training jobs and model servers with their data and credentials. A requirement with no version, or only ' +
      'a lower bound (`transformers>=4`), installs whatever release is newest on the day, so a hijacked release, a ' +
      'typo-squat published under a higher version, or a breaking change reaches every new environment unreviewed. ' +
      'NCSC 2.1 asks that libraries come from verified sources, pinned and checked; NCSC 2.2 that assets are tracked. ' +
      'The rule reads `requirements*.txt`, `pyproject.toml` (PEP 621, PEP 735 groups, Poetry, uv), `setup.cfg`, conda ' +
      '`environment.yml` and the `!pip install` / `%pip install` lines of notebooks. A range bounded on both sides ' +
      '(`~=4.41`, `^4.41`, `>=4.41,<4.42`) is not reported. When a lock file that the installing tool reads covers the ' +
      'manifest, the finding drops to info: `poetry.lock`, `uv.lock`, `pdm.lock`, `requirements.lock` or `pixi.lock` ' +
      'in the folder of a `pyproject.toml` or above it, a conda-lock file for an environment file, and for a ' +
      'requirements file only its own `--hash` on every line (or, for a pip-tools `.in`, the hashed `.txt` compiled ' +
      'from it). pip never reads `poetry.lock`, so a lock does not cover a requirements file. A requirements file\'s ' +
      '`-c constraints.txt` and `-r other.txt` options are followed (relative to its folder, recursively, only inside ' +
      'the scanned folders): a requirement pinned with `==` there is pinned here too, because pip applies the ' +
      'constraints and resolves the included files as one set, so `torch` beside `-c constraints.txt` holding ' +
      '`torch==2.6.0` is not reported. A file such an option names that cannot be read (missing, outside the scanned ' +
      'folders, a URL) gets a notice on the requirements file, and its requirements are still reported.',
    example: '# requirements.txt\ntorch\ntransformers>=4\nlangchain @ git+https://github.com/langchain-ai/langchain',
    useInstead:
      '# requirements.txt (or generate one with hashes: pip-compile --generate-hashes)\ntorch==2.6.0\ntransformers==4.46.3\n' +
      'langchain==0.3.7',
    references: [
      'https://peps.python.org/pep-0508/',
      'https://pip.pypa.io/en/stable/topics/secure-installs/',
      'https://www.ncsc.gov.uk/collection/guidelines-secure-ai-system-development',
    ],
  },
  checkManifest(ctx) {
    for (const dep of ctx.manifest.dependencies) {
      if (dep.pin !== 'floating' || !isModelEcosystemPackage(dep.normalized)) continue;
      // pip applies a `-c` constraints file, and resolves a `-r` included file in the same set: a pin there holds here
      if (ctx.pinnedElsewhere(dep.normalized)) continue;
      if (ctx.lockFile) {
        const lock = ctx.lockFile === ctx.path ? 'this file carries a hash on every line' : `\`${path.basename(ctx.lockFile)}\` pins the installed versions`;
        ctx.report({
          span: dep.span,
          severity: 'info',
          message: `${problem(dep)}; ${lock}, so this matters only where the manifest is installed without the lock.`,
        });
      } else {
        ctx.report({ span: dep.span, message: `${problem(dep)}, so every install takes the newest release, including a compromised or breaking one.` });
      }
    }
  },
};
