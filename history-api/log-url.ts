/**
 * The URL as the access log writes it: values of query parameters that may carry credentials
 * (`token`, `access_token`, `id_token`, `password`, `secret`, `key`, `auth…`) are replaced by
 * `[redacted]`, so a token given in a query string never reaches a log line.
 */
const SENSITIVE = /^(access_?token|id_?token|token|bearer|password|passwd|secret|api_?key|key|auth\w*|signature|x-amz-signature|x-amz-credential)$/i;

/** Whether a query parameter's value may be a credential (exact names above, or any name containing token, password, secret or authorization). */
export function isSensitiveParam(name: string): boolean {
  return SENSITIVE.test(name.trim()) || /token|password|secret|authorization/i.test(name);
}

export function loggableUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const parts = url.slice(q + 1).split('&').map((pair) => {
    const eq = pair.indexOf('=');
    const rawName = eq < 0 ? pair : pair.slice(0, eq);
    let name = rawName;
    try {
      name = decodeURIComponent(rawName.replace(/\+/g, ' '));
    } catch {
      // an undecodable name is compared as it is
    }
    return eq >= 0 && isSensitiveParam(name) ? `${rawName}=[redacted]` : pair;
  });
  return `${url.slice(0, q)}?${parts.join('&')}`;
}
