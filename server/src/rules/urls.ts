/**
 * URLs as messages show them: credentials, query strings and fragments are masked, since index URLs and download
 * links often carry a token (`https://user:token@pypi.example.com`, `…/model.bin?X-Amz-Signature=…`).
 */

/** Hosts that are this machine: plain HTTP to them never crosses a network. */
export const LOOPBACK_HOST = /^(localhost|127\.\d+\.\d+\.\d+|0\.0\.0\.0|\[::1\])$/i;

/** The URL with its user:password replaced by `***` and its query and fragment by `?…` / `#…`. */
export function displayUrl(url: string): string {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*@)?([^?#]*)(\?[^#]*)?(#.*)?$/i.exec(url);
  if (!m) return url;
  return `${m[1]}${m[2] ? '***@' : ''}${m[3]}${m[4] ? '?…' : ''}${m[5] ? '#…' : ''}`;
}

/** The host of a URL (lower case, without credentials or port), or undefined when it has none. */
export function hostOf(url: string): string | undefined {
  const m = /^[a-z][a-z0-9+.-]*:\/\/(?:[^/?#]*@)?(\[[^\]]*\]|[^/?#:]*)/i.exec(url);
  return m?.[1]?.toLowerCase() || undefined;
}
