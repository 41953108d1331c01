/**
 * Package URLs (https://github.com/package-url/purl-spec) for what the AI BOM lists: Hugging Face models, PyPI
 * packages and GitHub repositories (`torch.hub`). Written here rather than with `packageurl-js`, which is not a
 * dependency of this package; only the three types' rules are needed:
 * - `huggingface`: the namespace is the user or organisation (when there is one), the name the repository, the
 *   version the commit hash, lowercased; names keep their case.
 * - `pypi`: the name lowercased with `_` replaced by `-`.
 * - `github`: namespace and name lowercased.
 * Every segment is percent-encoded.
 */

const FULL_SHA = /^[0-9a-f]{40}$/i;
/** A Hub repository id: `name` or `namespace/name`. */
const HUB_ID = /^(?!\.)(?!.*\.\.)[\w.-]+(?:\/(?!\.)[\w.-]+)?$/;

const enc = (s: string) => encodeURIComponent(s);

/** `pkg:huggingface/org/name@<sha>` for a Hub model id; the version only for a full commit hash. */
export function huggingFacePurl(id: string, revision?: string): string | undefined {
  if (!HUB_ID.test(id)) return undefined;
  const path = id.split('/').map(enc).join('/');
  const version = revision && FULL_SHA.test(revision) ? `@${revision.toLowerCase()}` : '';
  return `pkg:huggingface/${path}${version}`;
}

/** The name as the purl spec writes it for PyPI. */
export function pypiPurlName(name: string): string {
  return name.toLowerCase().replace(/_/g, '-');
}

export function pypiPurl(name: string, version?: string): string {
  return `pkg:pypi/${enc(pypiPurlName(name))}${version ? `@${enc(version)}` : ''}`;
}

/** `pkg:github/owner/repo@ref` for a GitHub repository, as `torch.hub.load` names one (`owner/repo`). */
export function githubPurl(owner: string, repo: string, ref?: string): string {
  return `pkg:github/${enc(owner.toLowerCase())}/${enc(repo.toLowerCase())}${ref ? `@${enc(ref)}` : ''}`;
}

export function isFullSha(s: string | undefined): s is string {
  return s !== undefined && FULL_SHA.test(s);
}

export function isHubId(s: string): boolean {
  return HUB_ID.test(s);
}
