/**
 * Random label and field selectors over the whole grammar, valid and invalid, for the
 * differential test against kube-apiserver (selectors-differential.test.ts). Deterministic for a
 * seed. The pools mix what the test objects carry (so valid selectors select something) with
 * what the rules refuse (uppercase or over-long prefixes, long names and values, bad characters,
 * unknown fields, stray operators and parentheses).
 */
import { Rng } from '../../simulator/prng.ts';

const LONG_PREFIX = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`; // 253: the most allowed

/** Label keys and values the test objects carry. */
export const OBJECT_LABELS = {
  keys: ['app', 'tier', 'version', 'env', 'example.com/team', 'Upper.Case_key', 'in', 'empty', `${LONG_PREFIX}/n`],
  values: ['web', 'db', 'cache', 'front', 'back', '1', '7', '10', '02', 'prod', 'dev', 'Red', 'a.b_c-d', 'in', ''],
};

const KEYS = [
  ...OBJECT_LABELS.keys, 'missing', 'notin', 'k8s.io/x', 'x_y', 'A', '9',
  'Example.com/app', `${LONG_PREFIX}x/n`, `${'a'.repeat(64)}`, `${'n'.repeat(63)}`, '-bad', 'bad-', '_x', 'a/b/c', '/app', 'app/',
  'ex_ample.com/app', 'a..b/x', 'app@', 'é',
];
const VALUES = [
  ...OBJECT_LABELS.values, '', '0', '-1', '+1', '9223372036854775807', '9223372036854775808', '1e3', 'x y',
  'v'.repeat(63), 'v'.repeat(64), '-x', 'x-', '_x', 'a/b', 'notin', 'é',
];
const SPACE = ['', '', '', '', ' ', '  ', '\t', '\n', '\r', '\0'];
const OPS = ['=', '==', '!=', '>', '<'];
const JUNK = ['a b', '=x', '!', ',', '(', ')', 'a,,b', 'a!b', 'a===b', 'a=>1', 'a>=1', 'a<>1', '!a=b', '! a', 'a in', 'a in x', 'a notin (x', '()'];

export class SelectorGen {
  readonly #r: Rng;
  constructor(seed: number) {
    this.#r = new Rng(seed);
  }

  #sp(): string {
    return this.#r.pick(SPACE);
  }

  #valueList(): string {
    const r = this.#r;
    const n = r.int(0, 3);
    const items = Array.from({ length: n }, () => (r.chance(0.15) ? '' : r.pick(VALUES)));
    let body = items.map((v) => this.#sp() + v + this.#sp()).join(',');
    if (r.chance(0.1)) body = `,${body}`;
    if (r.chance(0.1)) body += ',';
    if (r.chance(0.05)) body += ',,';
    return r.chance(0.05) ? `(${body}` : `(${body})`;
  }

  #labelTerm(): string {
    const r = this.#r;
    const key = r.chance(0.8) ? r.pick(OBJECT_LABELS.keys) : r.pick(KEYS);
    switch (r.weighted([40, 18, 14, 6])) {
      case 0: {
        const op = r.pick(OPS);
        const numeric = op === '>' || op === '<' || key === 'version';
        const value = numeric && r.chance(0.7) ? String(r.int(0, 12)) : r.pick(VALUES);
        return `${key}${this.#sp()}${op}${this.#sp()}${value}`;
      }
      case 1: return `${key} ${r.pick(['in', 'notin'])}${this.#sp()}${this.#valueList()}`;
      case 2: return r.chance(0.5) ? key : `!${this.#sp()}${key}`;
      default: return r.pick(JUNK);
    }
  }

  /** A label selector of one to three terms, odd whitespace and now and then an empty one. */
  label(): string {
    const r = this.#r;
    if (r.chance(0.02)) return r.pick(['', ' ', '\t']);
    const n = r.int(1, 3);
    const terms = Array.from({ length: n }, () => this.#labelTerm());
    let sel = terms.map((t) => this.#sp() + t + this.#sp()).join(r.chance(0.03) ? ',,' : ',');
    if (r.chance(0.03)) sel += ',';
    return sel;
  }

  /** A field selector over `fields` (the kind's labels and aliases, plus unknown ones) and `values`. */
  field(fields: readonly string[], values: readonly string[]): string {
    const r = this.#r;
    if (r.chance(0.04)) return r.pick(['', ' ', ',', 'status.phase', 'metadata.name', '=x', '=', '!=', '==', ' =', '=,metadata.name=x']);
    const n = r.int(1, 3);
    const terms = Array.from({ length: n }, () => {
      const f = r.chance(0.9) ? r.pick(fields) : r.pick(['spec.foo', 'metadata.labels', 'metadata.uid', '', ' metadata.name', 'metadata.name ', 'Metadata.name', 'data']);
      let v = r.chance(0.85) ? r.pick(values) : r.pick(['a\\,b', 'a\\=b', 'a\\\\b', 'a\\x', 'a\\', 'a=b', ' x', 'x ', '!x']);
      if (r.chance(0.05)) v = '';
      return `${f}${r.pick(['=', '==', '!=', '=', '!='])}${v}`;
    });
    return terms.join(r.chance(0.03) ? ',,' : ',');
  }
}
