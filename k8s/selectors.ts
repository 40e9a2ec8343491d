/**
 * Kubernetes label and field selectors, parsed, validated and evaluated as kube-apiserver
 * (v1.34) does, so a selector accepted here is one the cluster accepts and selects the same
 * objects.
 *
 * Labels: requirements joined by commas — `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`,
 * `k`, `!k`, `k>n`, `k<n` (n an integer). Whitespace separates tokens anywhere; keys and values
 * follow the label syntax (k8s/label-syntax.ts). Fields: k8s/field-labels.ts. A refused selector throws K8sInvalidError
 * naming the parameter, with the apiserver's message.
 */
import { K8sInvalidError } from './errors.ts';
import { labelKeyErrors, labelValueErrors } from './label-syntax.ts';
import type { KubeObject } from './object.ts';

export { fieldSelector, parseFieldSelector, selectableFieldsOf, type FieldKind, type FieldRequirement } from './field-labels.ts';

export type Requirement =
  | { key: string; op: 'eq' | 'neq'; value: string }
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | 'notexists' }
  | { key: string; op: 'gt' | 'lt'; value: bigint };

export type Selector = (obj: KubeObject) => boolean;

type Tok = 'end' | 'ident' | '(' | ')' | ',' | '!' | '=' | '==' | '!=' | '>' | '<' | 'in' | 'notin';
interface Token {
  tok: Tok;
  text: string;
}

const SPECIAL = new Set(['=', '!', '(', ')', ',', '>', '<']);
const SYMBOLS = new Set<string>(['(', ')', ',', '!', '=', '==', '!=', '>', '<']);
const isSpace = (c: string | undefined) => c === ' ' || c === '\t' || c === '\r' || c === '\n';

/**
 * Splits a label selector into tokens: the longest symbol run that is an operator, or a word.
 * A NUL byte reads as the end of the input where a token would start, and ends (and is eaten
 * by) a token in progress, as in the apiserver's byte lexer.
 */
function lex(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  for (;;) {
    while (isSpace(text[i])) i++;
    if (i >= text.length || text[i] === '\0') break;
    const start = i;
    if (SPECIAL.has(text[i]!)) {
      i++;
      while (i < text.length && SPECIAL.has(text[i]!) && SYMBOLS.has(text.slice(start, i + 1))) i++;
      const sym = text.slice(start, i);
      if (text[i] === '\0') i++;
      out.push({ tok: sym as Tok, text: sym });
      continue;
    }
    while (i < text.length && !SPECIAL.has(text[i]!) && !isSpace(text[i]) && text[i] !== '\0') i++;
    const word = text.slice(start, i);
    if (text[i] === '\0') i++;
    out.push({ tok: word === 'in' || word === 'notin' ? word : 'ident', text: word });
  }
  out.push({ tok: 'end', text: '' });
  return out;
}

class LabelParser {
  private pos = 0;
  private readonly toks: Token[];
  constructor(toks: Token[]) {
    this.toks = toks;
  }

  /** The next token; in a value position the words `in` and `notin` are plain identifiers. */
  private peek(valuePos = true): Tok {
    const t = this.toks[this.pos]!.tok;
    return valuePos && (t === 'in' || t === 'notin') ? 'ident' : t;
  }
  private take(valuePos = true): Token {
    const t = this.toks[this.pos++]!;
    return valuePos && (t.tok === 'in' || t.tok === 'notin') ? { tok: 'ident', text: t.text } : t;
  }

  parse(): Requirement[] {
    const reqs: Requirement[] = [];
    for (;;) {
      const t = this.peek();
      if (t === 'end') return reqs;
      if (t !== 'ident' && t !== '!') throw new Error(`found '${this.toks[this.pos]!.text}', expected: !, identifier, or 'end of string'`);
      reqs.push(this.requirement());
      const sep = this.take();
      if (sep.tok === 'end') return reqs;
      if (sep.tok !== ',') throw new Error(`found '${sep.text}', expected: ',' or 'end of string'`);
      const next = this.peek();
      if (next !== 'ident' && next !== '!') throw new Error(`found '${this.toks[this.pos]!.text}', expected: identifier after ','`);
    }
  }

  private requirement(): Requirement {
    let t = this.take();
    const negated = t.tok === '!';
    if (negated) t = this.take();
    if (t.tok !== 'ident') throw new Error(`unable to parse requirement: found '${t.text}', expected: identifier`);
    checkKey(t.text);
    const key = t.text;
    const after = this.peek();
    if (negated) return { key, op: 'notexists' };
    if (after === 'end' || after === ',') return { key, op: 'exists' };
    const op = this.take(false);
    switch (op.tok) {
      case 'in':
      case 'notin':
        return { key, op: op.tok, values: checkValues(key, this.valueSet()) };
      case '=':
      case '==':
      case '!=':
        return { key, op: op.tok === '!=' ? 'neq' : 'eq', value: checkValues(key, [this.exactValue()])[0]! };
      case '>':
      case '<':
        return { key, op: op.tok === '>' ? 'gt' : 'lt', value: integerValue(key, this.exactValue()) };
      default:
        throw new Error(`unable to parse requirement: found '${op.text}', expected: in, notin, =, ==, !=, gt, lt`);
    }
  }

  private exactValue(): string {
    const next = this.peek();
    if (next === 'end' || next === ',') return '';
    const t = this.take();
    if (t.tok !== 'ident') throw new Error(`unable to parse requirement: found '${t.text}', expected: identifier`);
    return t.text;
  }

  /** `( a, b, … )`; empty members are the empty string, as the apiserver reads `()`, `(,a)` and `(a,)`. */
  private valueSet(): string[] {
    const open = this.take();
    if (open.tok !== '(') throw new Error(`unable to parse requirement: found '${open.text}' expected: '('`);
    const first = this.peek();
    if (first === ')') {
      this.take();
      return [''];
    }
    if (first !== 'ident' && first !== ',') throw new Error(`unable to parse requirement: found '${this.toks[this.pos]!.text}', expected: ',', ')' or identifier`);
    const values = new Set<string>();
    for (;;) {
      const t = this.take();
      if (t.tok === 'ident') {
        values.add(t.text);
        const next = this.peek();
        if (next === ')') break;
        if (next !== ',') throw new Error(`unable to parse requirement: found '${this.toks[this.pos]!.text}', expected: ',' or ')'`);
      } else if (t.tok === ',') {
        if (values.size === 0) values.add('');
        const next = this.peek();
        if (next === ')') {
          values.add('');
          break;
        }
        if (next === ',') {
          // v1.34 swallows the second comma of ",," so "(a,,)" ends on ')' where a value is due.
          this.take();
          values.add('');
        }
      } else throw new Error(`unable to parse requirement: found '${t.text}', expected: ',', or identifier`);
    }
    this.take(); // ')'
    return [...values];
  }
}

function checkKey(key: string): void {
  const errs = labelKeyErrors(key);
  if (errs.length) throw new Error(`unable to parse requirement: Invalid value: ${JSON.stringify(key)}: ${errs.join('; ')}`);
}

function checkValues(key: string, values: string[]): string[] {
  for (const v of values) {
    const errs = labelValueErrors(v);
    if (errs.length) throw new Error(`unable to parse requirement: values[${key}]: Invalid value: ${JSON.stringify(v)}: ${errs.join('; ')}`);
  }
  return values;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** A base-10 64-bit integer as Go's strconv.ParseInt reads it, or undefined. */
function parseInt64(text: string): bigint | undefined {
  if (!/^[+-]?[0-9]+$/.test(text)) return undefined;
  const n = BigInt(text);
  return n < INT64_MIN || n > INT64_MAX ? undefined : n;
}

function integerValue(key: string, text: string): bigint {
  checkValues(key, [text]);
  const n = parseInt64(text);
  if (n === undefined) throw new Error(`unable to parse requirement: Invalid value: ${JSON.stringify(text)}: for 'Gt', 'Lt' operators, the value must be an integer`);
  return n;
}

/** Parses a label selector; an empty or blank string selects everything. */
export function parseLabelSelector(text: string, param = 'labelSelector'): Requirement[] {
  try {
    return new LabelParser(lex(text)).parse();
  } catch (e) {
    throw new K8sInvalidError(param, (e as Error).message, { selector: text });
  }
}

/** Whether a label map satisfies every requirement (Kubernetes semantics: notin and != match absent keys). */
export function matchLabels(reqs: readonly Requirement[], labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  return reqs.every((r) => {
    const has = Object.hasOwn(l, r.key);
    const v = l[r.key];
    switch (r.op) {
      case 'eq': return has && v === r.value;
      case 'neq': return !has || v !== r.value;
      case 'in': return has && r.values.includes(v!);
      case 'notin': return !has || !r.values.includes(v!);
      case 'exists': return has;
      case 'notexists': return !has;
      case 'gt':
      case 'lt': {
        const n = has ? parseInt64(v!) : undefined;
        if (n === undefined) return false;
        return r.op === 'gt' ? n > r.value : n < r.value;
      }
    }
  });
}

export function labelsOf(obj: KubeObject): Record<string, string> | undefined {
  return (obj.metadata as { labels?: Record<string, string> } | undefined)?.labels;
}

export function labelSelector(text: string, param = 'labelSelector'): Selector {
  const reqs = parseLabelSelector(text, param);
  return (obj) => matchLabels(reqs, labelsOf(obj));
}
