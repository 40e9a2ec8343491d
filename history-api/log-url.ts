/**
 * The URL as the access log writes it: values of query parameters that may carry credentials
 * (`token`, `access_token`, `id_token`, `password`, `secret`, `key`, `auth…`) are replaced by
 * `[redacted]`, so a token given in a query string never reaches a log line.
 */
const SENSITIVE = /^(access_?token|id_?token|token|bearer|password|passwd|secret|api_?key|key|auth\w*|signature|x-amz-signature|x-amz-credential)$/i;

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
    return eq >= 0 && SENSITIVE.test(name.trim()) ? `${rawName}=[redacted]` : pair;
  });
  return `${url.slice(0, q)}?${parts.join('&')}`;
}
