import { describe, expect, it } from 'vitest';
import { fieldSelector, labelSelector, parseFieldSelector, parseLabelSelector, selectableFieldsOf } from './selectors.ts';

const pod = (labels: Record<string, string>, extra: Record<string, unknown> = {}) => ({ metadata: { name: 'p', namespace: 'ns', labels }, ...extra });
const POD = { group: '', kind: 'Pod', namespaced: true };
const badRequest = (param: string) => expect.objectContaining({ name: 'K8sInvalidError', param });

describe('label selectors', () => {
  it('implements every operator with Kubernetes semantics', () => {
    const l = { app: 'web', tier: 'front', version: '7' };
    const cases: [string, boolean][] = [
      ['app=web', true], ['app==web', true], ['app=db', false], ['app!=db', true], ['missing!=x', true],
      ['app in (web,db)', true], ['app in (db)', false], ['app notin (db)', true], ['missing notin (db)', true],
      ['tier', true], ['missing', false], ['!missing', true], ['!tier', false],
      ['app=web,tier=front', true], ['app=web,tier=back', false], ['', true], ['   ', true],
      ['version>1', true], ['version>7', false], ['version<8', true], ['missing<8', false], ['app>1', false],
    ];
    for (const [sel, want] of cases) expect(labelSelector(sel)(pod(l)), sel).toBe(want);
  });

  it('tokenises like the apiserver: whitespace anywhere, keywords as values, empty values', () => {
    expect(labelSelector(' app  =  web ,tier')(pod({ app: 'web', tier: 'x' }))).toBe(true);
    expect(labelSelector('app in(web)')(pod({ app: 'web' }))).toBe(true);
    expect(labelSelector('app=in')(pod({ app: 'in' }))).toBe(true);
    expect(labelSelector('in in (notin)')(pod({ in: 'notin' }))).toBe(true);
    expect(labelSelector('empty=')(pod({ empty: '' }))).toBe(true);
    expect(labelSelector('empty in ()')(pod({ empty: '' }))).toBe(true);
    expect(labelSelector('app in (,web)')(pod({ app: '' }))).toBe(true);
    expect(labelSelector('app in (web,)')(pod({ app: '' }))).toBe(true);
    expect(labelSelector('app.kubernetes.io/name=orders')(pod({ 'app.kubernetes.io/name': 'orders' }))).toBe(true);
    expect(labelSelector('Upper_Case.key=V')(pod({ 'Upper_Case.key': 'V' }))).toBe(true);
    // NUL: the end where a token starts, a separator inside one
    expect(labelSelector('app=web\0,tier')(pod({ app: 'web', tier: 'x' }))).toBe(true);
    expect(() => parseLabelSelector('app=web,\0((')).toThrow(/identifier after ','/);
    expect(labelSelector('\0((')(pod({}))).toBe(true);
    expect(() => parseLabelSelector('a=b\0 garbage((')).toThrow(/found 'garbage'/);
  });

  it('refuses what the apiserver refuses, naming the parameter', () => {
    const bad = [
      'app in web', 'a b c', 'app=we b', ',', 'a,', ',a', 'app=(x)', '-bad=x', 'app=web=x', 'a===b', '!a=b', 'a!b',
      'Example.com/app=x', `${'a'.repeat(254)}/app=x`, `${'a'.repeat(64)}=x`, '/app', 'a/b/c', 'app=-x', `app=${'v'.repeat(64)}`,
      'version>x', 'version>', 'version>-1', 'version>99999999999999999999', 'version>=1', 'a in (x', 'a in (,,)', 'a in (x,,)', 'a in (x y)',
    ];
    for (const s of bad) expect(() => parseLabelSelector(s), s).toThrowError(badRequest('labelSelector'));
    expect(() => parseLabelSelector('Example.com/app', 'l')).toThrow(/^l: unable to parse requirement: .*prefix part a lowercase RFC 1123 subdomain/);
  });

  it('accepts the longest prefix and name the rules allow', () => {
    const prefix = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`;
    expect(prefix).toHaveLength(253);
    expect(() => parseLabelSelector(`${prefix}/${'n'.repeat(63)}=${'v'.repeat(63)}`)).not.toThrow();
    expect(() => parseLabelSelector('a in (x,,y)')).not.toThrow();
  });
});

describe('field selectors', () => {
  const p = pod({}, { spec: { nodeName: 'node-1', restartPolicy: 'Always' }, status: { phase: 'Running', podIPs: [{ ip: '10.0.0.1' }] } });
  const matches = (sel: string, o: Record<string, unknown> = p) => fieldSelector(sel, 'fieldSelector', POD)(o);

  it('reads a Pod\'s selectable fields, aliases and defaults included', () => {
    expect(matches('metadata.name=p')).toBe(true);
    expect(matches('metadata.namespace==ns,status.phase=Running')).toBe(true);
    expect(matches('spec.nodeName!=node-1')).toBe(false);
    expect(matches('spec.host=node-1')).toBe(true);
    expect(matches('spec.hostNetwork=false')).toBe(true);
    expect(matches('spec.hostNetwork=true', pod({}, { spec: { hostNetwork: true } }))).toBe(true);
    expect(matches('status.podIP=10.0.0.1')).toBe(true);
    expect(matches('status.podIPs=')).toBe(true);
    expect(matches('spec.nodeName=', pod({}))).toBe(true);
    expect(matches('')).toBe(true);
    expect(matches(',,')).toBe(true);
    expect(matches('=,!=')).toBe(true);
    expect(() => parseFieldSelector('=x', 'fieldSelector', POD)).toThrow(/field label not supported: $/);
  });

  it('keeps whitespace and unescapes values', () => {
    expect(matches('metadata.name= p')).toBe(false);
    expect(() => parseFieldSelector('metadata.name =p', 'fieldSelector', POD)).toThrow(/field label not supported: metadata.name $/);
    expect(fieldSelector('metadata.name=a\\,b')({ metadata: { name: 'a,b' } })).toBe(true);
  });

  it('knows each kind\'s field set', () => {
    const node = { group: '', kind: 'Node', namespaced: false };
    expect(fieldSelector('spec.unschedulable=false', 'f', node)({ metadata: { name: 'n' }, spec: {} })).toBe(true);
    expect(() => parseFieldSelector('metadata.namespace=x', 'f', node)).toThrow(/not supported/);
    const cm = { group: '', kind: 'ConfigMap', namespaced: true };
    expect(() => parseFieldSelector('data.x=y', 'f', cm)).toThrow(/"data.x" is not a known field selector: only "metadata.name", "metadata.namespace"/);
    const ev = { group: '', kind: 'Event', namespaced: true };
    expect(fieldSelector('source=kubelet,type=Warning', 'f', ev)({ metadata: { name: 'e' }, type: 'Warning', reportingComponent: 'kubelet' })).toBe(true);
    const job = { group: 'batch', kind: 'Job', namespaced: true };
    expect(fieldSelector('status.successful=0', 'f', job)({ metadata: { name: 'j' }, status: {} })).toBe(true);
    const pv = { group: '', kind: 'PersistentVolume', namespaced: false };
    expect(fieldSelector('metadata.namespace=', 'f', pv)({ metadata: { name: 'v' } })).toBe(true);
  });

  it('reads a custom resource\'s selectable fields as its CRD declares them', () => {
    const crd = { spec: { versions: [{ name: 'v1', storage: true, selectableFields: [{ jsonPath: '.spec.color' }, { jsonPath: '.spec.size' }, { jsonPath: '.spec.on' }] }] } };
    const widget = { group: 'toys.example.com', kind: 'Widget', namespaced: true, selectableFields: selectableFieldsOf(crd, 'v1') };
    const w = { metadata: { name: 'w', namespace: 'ns' }, spec: { color: 'red', size: 3, on: false } };
    expect(widget.selectableFields).toEqual(['spec.color', 'spec.size', 'spec.on']);
    expect(fieldSelector('spec.color=red,spec.size=3,spec.on=false', 'f', widget)(w)).toBe(true);
    expect(fieldSelector('spec.color=', 'f', widget)({ metadata: { name: 'x' }, spec: {} })).toBe(true);
    expect(() => parseFieldSelector('spec.shape=x', 'f', widget)).toThrowError(badRequest('f'));
    expect(selectableFieldsOf(undefined, 'v1')).toEqual([]);
    expect(selectableFieldsOf(crd, 'v2')).toEqual(['spec.color', 'spec.size', 'spec.on']);
  });

  it('refuses what the apiserver refuses', () => {
    for (const bad of ['status.phase', ' ', 'spec.foo=x', '=x', 'metadata.name=a=b', 'metadata.name=a\\x', 'metadata.name=a\\', 'metadata.name!==x']) {
      expect(() => parseFieldSelector(bad, 'fieldSelector', POD), bad).toThrowError(badRequest('fieldSelector'));
    }
  });
});
