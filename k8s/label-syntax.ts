/**
 * Label key and value syntax as Kubernetes validates it (apimachinery's qualified-name and
 * label-value rules). Each check returns the reasons a text is refused, empty when it is valid,
 * worded like the apiserver so a 400 built on it reads like one from the cluster.
 */

const NAME_MAX = 63;
const PREFIX_MAX = 253;
const NAME_SHAPE = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS_SUBDOMAIN = new RegExp(`^${DNS_LABEL}(\\.${DNS_LABEL})*$`);

const NAME_RULE =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const SUBDOMAIN_RULE =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
const VALUE_RULE =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";

const tooLong = (max: number) => `must be no more than ${max} characters`;

const utf8 = new TextEncoder();

/** Length in bytes, as Go's len() counts it. */
function byteLength(text: string): number {
  return utf8.encode(text).length;
}

/** Reasons `key` is not a label key: an optional DNS-1123 subdomain prefix and '/', then a name. */
export function labelKeyErrors(key: string): string[] {
  const parts = key.split('/');
  if (parts.length > 2) return [`a valid label key ${NAME_RULE}, with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`];
  const errs: string[] = [];
  const name = parts.at(-1)!;
  if (parts.length === 2) {
    const prefix = parts[0]!;
    if (!prefix) errs.push('prefix part must be non-empty');
    else {
      if (byteLength(prefix) > PREFIX_MAX) errs.push(`prefix part ${tooLong(PREFIX_MAX)}`);
      if (!DNS_SUBDOMAIN.test(prefix)) errs.push(`prefix part ${SUBDOMAIN_RULE}`);
    }
  }
  if (!name) errs.push('name part must be non-empty');
  else if (byteLength(name) > NAME_MAX) errs.push(`name part ${tooLong(NAME_MAX)}`);
  if (!NAME_SHAPE.test(name)) errs.push(`name part ${NAME_RULE}`);
  return errs;
}

/** Reasons `value` is not a label value: empty, or at most 63 characters shaped like a name. */
export function labelValueErrors(value: string): string[] {
  const errs: string[] = [];
  if (byteLength(value) > NAME_MAX) errs.push(tooLong(NAME_MAX));
  if (value !== '' && !NAME_SHAPE.test(value)) errs.push(VALUE_RULE);
  return errs;
}
