/**
 * The web timeline in a real browser: headless Chromium (the chromium service,
 * test/infra/chromium.sh) driven by playwright-core against a real `kubetime serve --no-watch`
 * process over a seeded embedded store (the simulator's scenario, ingested through the audit
 * sink), with token-file authentication and a policy file. What an SRE would notice: the page asks
 * for a token on a 401 and then lists the window's changes with their actors; a click shows the
 * change's old and new values and the namespace's objects as of that moment; a namespace the token
 * may not read says which read was refused; an actor made of HTML is shown as text.
 * Screenshots go to a temp folder, kept when a test fails or when KUBETIME_UI_SCREENSHOTS names the
 * folder (its path is printed at the end).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { AuditSink } from '../../ingester/audit/audit-sink.ts';
import { seedStore, SEEDED_CLUSTER } from '../../history-api/testing/seeded-store.ts';
import { ManualClock } from '../../simulator/manual-clock.ts';
import { LmdbHistoryStore } from '../../store/lmdb/lmdb-history-store.ts';
import { describeWithService } from '../infra/services.ts';
import { aroundWindow, formatTime, justBefore } from '../../history-api/ui/lib.js';

const FROM = '2026-01-10T10:00:00Z';
const TO = '2026-01-10T10:05:00Z';
const NS = 'shop';
const XSS_ACTOR = '<img src=x onerror="window.__xss=1">mallory';

interface Change { ts: string; op: string; kind: string; namespace: string; name: string; uid: string; resourceVersion: string; actor?: { username: string } }

/** One more audited change whose actor is HTML, ingested like the seeded ones. */
async function addHostileChange(dir: string, template: Record<string, any>): Promise<void> {
  const store = LmdbHistoryStore.open({ path: join(dir, 'store') });
  try {
    const sink = new AuditSink({ writer: { write: async (r) => void (await store.append(r)) }, clock: new ManualClock(), cluster: SEEDED_CLUSTER });
    const ev = structuredClone(template);
    const name = 'hostile-config';
    ev.auditID = '00000000-0000-4000-8000-00000000beef';
    ev.user = { username: XSS_ACTOR, groups: ['system:authenticated'] };
    ev.requestURI = `/api/v1/namespaces/${NS}/configmaps`;
    ev.objectRef = { ...ev.objectRef, namespace: NS, name };
    ev.requestReceivedTimestamp = '2026-01-10T10:04:29.999Z';
    ev.stageTimestamp = '2026-01-10T10:04:30.000123Z';
    for (const o of [ev.requestObject, ev.responseObject]) Object.assign(o.metadata, { name, namespace: NS });
    Object.assign(ev.responseObject.metadata, { uid: '0b5e55ed-0000-4000-8000-000000000001', resourceVersion: '9999999', creationTimestamp: '2026-01-10T10:04:30Z' });
    const { accepted } = await sink.ingestEvents([ev]);
    if (accepted !== 1) throw new Error(`the hostile change was not accepted (${accepted})`);
  } finally {
    await store.close();
  }
}

/** Starts `kubetime serve --no-watch` on the data dir; resolves its base URL from the line it prints. */
function serve(dir: string, child: { p?: ChildProcess }): Promise<string> {
  // A clean environment: the shell's KUBETIME_* (services, tokens) must not configure this server.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('KUBETIME_')));
  const p = spawn(process.execPath, ['bin/kubetime.js', 'serve', '--no-watch', '--port', '0', '--data-dir', dir,
    '--authn', 'token-file', '--token-file', join(dir, 'tokens.csv'), '--authz', 'policy', '--policy-file', join(dir, 'policy.yaml'), '--log-level', 'warn'],
  { env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.p = p;
  let output = '';
  return new Promise((resolve, reject) => {
    const look = (d: Buffer) => {
      output += d;
      const m = /serving on (http:\/\/\S+)/.exec(output);
      if (m) resolve(m[1]!.replace(/\/$/, ''));
    };
    p.stdout!.on('data', look);
    p.stderr!.on('data', look);
    p.once('exit', (code) => reject(new Error(`kubetime serve exited (${code}) before listening:\n${output}`)));
  });
}

describeWithService('chromium', 'the web timeline in a browser', (svc) => {
  let dir: string;
  let shots: string;
  const child: { p?: ChildProcess } = {};
  let failed = false;
  let base: string;
  let context: BrowserContext;
  let changes: Change[];
  let allChanges: Change[];
  let picked: Change;
  let pickedDiff: { path: string; old?: unknown; new?: unknown }[];

  const api = async (path: string, token = 'sre-token') => {
    const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } });
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return res.json() as Promise<any>;
  };
  const shot = (page: Page, name: string) => page.screenshot({ path: join(shots, `${name}.png`) });
  const pageUrl = (q: string) => `${base}/ui?${q}`;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kubetime-ui-'));
    shots = process.env.KUBETIME_UI_SCREENSHOTS ?? join(dir, 'screenshots');
    const seeded = await seedStore(dir, { seconds: 300 });
    const template = seeded.history.audit.find((e: any) => e.objectRef?.resource === 'configmaps' && e.verb === 'create');
    await addHostileChange(dir, template as Record<string, any>);
    writeFileSync(join(dir, 'tokens.csv'), 'sre-token,sre,u1,"sre"\ndev-token,dev,u2,"dev"\n');
    writeFileSync(join(dir, 'policy.yaml'), 'rules:\n  - users: [sre]\n    namespaces: ["*"]\n  - users: [dev]\n    namespaces: [payments]\n');
    mkdirSync(shots, { recursive: true });
    base = await serve(dir, child);

    // What the API answers is what the page must show.
    const first = await api(`/v1/changes?namespace=${NS}&from=${FROM}&to=${TO}&limit=500`);
    changes = first.items;
    expect(first.continue, 'the seeded window holds more than one page of changes').toBeDefined();
    allChanges = changes.concat((await api(`/v1/changes?namespace=${NS}&from=${FROM}&to=${TO}&limit=10000&continue=${first.continue}`)).items);
    for (const c of changes.filter((x) => x.op === 'MODIFIED' && x.actor && !x.actor.username.startsWith('system:'))) {
      const d = await api(`/v1/diff?kind=${c.kind}&name=${c.name}&namespace=${NS}&from=${justBefore(c.ts)}&to=${c.ts}&view=full`);
      if (d.changes.length) {
        [picked, pickedDiff] = [c, d.changes];
        break;
      }
    }
    expect(picked, 'a change by a person with a diff in the seeded window').toBeDefined();

    context = await chromium.launchPersistentContext(join(dir, 'chromium-profile'), {
      executablePath: svc.KUBETIME_CHROMIUM!,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync'],
      viewport: { width: 1440, height: 1000 },
    });
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    if (child.p && child.p.exitCode === null) {
      child.p.kill('SIGTERM');
      await new Promise((r) => child.p!.once('exit', r));
    }
    // A failing run keeps its data, server and screenshots for a look; a passing one cleans up.
    if (failed || process.env.KUBETIME_UI_SCREENSHOTS) process.stderr.write(`\n[ui-browser] screenshots in ${shots}${failed ? `, data in ${dir}` : ''}\n`);
    if (dir && !failed) rmSync(dir, { recursive: true, force: true }); // KUBETIME_UI_SCREENSHOTS lies outside it
  });

  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') failed = true;
  });

  /** A new tab; page errors, console errors and CSP violations fail the test that made them. */
  async function newPage(): Promise<{ page: Page; problems: string[] }> {
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      const text = m.text();
      if (/Content Security Policy|Refused to/i.test(text) || (m.type() === 'error' && !text.startsWith('Failed to load resource'))) problems.push(text);
    });
    // Error answers the page is meant to meet: a 401 (ask for a token), a 403 (say what was refused),
    // and /v1/failures refusing a kind it does not judge (the page asks again without it). Any other counts (a 404, a 500).
    page.on('response', (r) => {
      const { pathname, searchParams } = new URL(r.url());
      const meant = r.status() === 401 || r.status() === 403 || (r.status() === 400 && pathname === '/v1/failures' && searchParams.has('kind'));
      if (r.status() >= 400 && !meant) problems.push(`${r.status()} ${r.url()}`);
    });
    return { page, problems };
  }

  it('asks for a token on a 401, then lists the window\'s changes with their actors and failures', async () => {
    const { page, problems } = await newPage();
    await page.goto(pageUrl(`namespace=${NS}&from=${FROM}&to=${TO}`));
    await page.locator('#auth').waitFor({ state: 'visible' });
    expect(await page.locator('#auth-why').textContent()).toContain('bearer token');
    await shot(page, '1-token-prompt');
    await page.fill('#auth-token', 'sre-token');
    await page.click('#auth-form button[type=submit]');
    await page.locator(`.change[data-id="${picked.uid}@${picked.resourceVersion}"]`).waitFor();
    expect(await page.locator('#auth').isHidden()).toBe(true);
    expect(await page.locator('.change').count()).toBe(changes.length);
    const row = page.locator(`.change[data-id="${picked.uid}@${picked.resourceVersion}"]`);
    expect(await row.locator('.actor').textContent()).toBe(picked.actor!.username); // a person: shown in full
    expect(await row.locator('.actor').getAttribute('title')).toContain(picked.actor!.username);
    expect(await row.locator('.ref').textContent()).toBe(`${picked.kind}/${picked.name}`);
    expect(await row.locator('time').getAttribute('title')).toMatch(/^2026-01-10T\d\d:\d\d:\d\d\.\d{6}Z$/);
    const failures = (await api(`/v1/failures?namespace=${NS}&from=${FROM}&to=${TO}`)).items;
    expect(await page.locator('#failures .failure').count()).toBe(failures.length);
    // A failure clicked: the namespace as of its start, the failing object highlighted.
    const broken = failures.find((f: { object: { kind: string } }) => f.object.kind === 'Pod');
    await page.locator('#failures .failure', { hasText: broken.object.name }).first().click();
    await page.locator(`#asof-time time[datetime="${formatTime(broken.start).full}"]`).waitFor();
    await page.locator('#asof table[data-kind="Pod"] tr.hit').waitFor();
    expect(await page.locator('#asof table[data-kind="Pod"] tr.hit td').first().textContent()).toBe(broken.object.name);
    expect(new URL(page.url()).searchParams.get('at')).toBe(broken.start);
    await shot(page, '2-timeline');

    // The next page: "more changes…" asks with the same filters and the token, and nothing is lost.
    expect(await page.textContent('#status')).toContain('(more below)');
    await page.click('#more');
    await page.locator(`.change >> nth=${changes.length}`).waitFor();
    await page.locator('#more').waitFor({ state: 'hidden' });
    expect(await page.locator('.change').count()).toBe(allChanges.length);

    // Events hidden (in the page only), and the link says so.
    const events = allChanges.filter((c) => c.kind === 'Event').length;
    expect(events).toBeGreaterThan(0);
    await page.click('#f-events');
    await page.waitForURL((u) => u.searchParams.get('events') === 'false');
    expect(await page.textContent('#status')).toContain(`${events} Events hidden`);
    expect(await page.locator('.change').count()).toBe(allChanges.length - events);
    expect(await page.locator('.change .ref', { hasText: /^Event\// }).count()).toBe(0);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('shows a clicked change\'s old and new values and the namespace as of that moment, and keeps both in the link', async () => {
    const { page, problems } = await newPage();
    await page.goto(pageUrl(`namespace=${NS}&from=${FROM}&to=${TO}`)); // a new tab: its sessionStorage holds no token yet
    await page.locator('#auth').waitFor({ state: 'visible' });
    await page.fill('#auth-token', 'sre-token');
    await page.click('#auth-form button[type=submit]');
    const id = `${picked.uid}@${picked.resourceVersion}`;
    await page.locator(`.change[data-id="${id}"]`).click();
    await page.locator('#detail .diff table').waitFor();
    const cells = await page.locator('#detail .diff tbody tr').evaluateAll((rows) => rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent)));
    const first = pickedDiff[0]!;
    const shown = (v: unknown) => (v === undefined ? '—' : typeof v === 'string' ? v : JSON.stringify(v));
    expect(cells.some((c) => c[2] === shown(first.old) && c[3] === shown(first.new)), JSON.stringify({ cells, first })).toBe(true);
    const hit = page.locator(`#asof table tr.hit`);
    await hit.first().waitFor();
    expect(await hit.first().locator('td').first().textContent()).toBe(picked.name);
    expect(await page.locator('#asof-time time').getAttribute('datetime')).toBe(formatTime(picked.ts).full);
    const url = new URL(page.url());
    expect(url.searchParams.get('sel')).toBe(id);
    expect(url.searchParams.get('at')).toBe(picked.ts);
    await shot(page, '3-diff-and-state');

    // The link, opened again, shows the same change.
    await page.goto(url.toString());
    await page.locator(`.change.selected[data-id="${id}"]`).waitFor();
    await page.locator('#detail .diff table').waitFor();

    // "± 10 min" around the change: the window moves, and the link says so.
    await page.click('#f-around-go');
    const around = aroundWindow(picked.ts)!;
    await page.waitForURL((u) => u.searchParams.get('from') === around.from);
    expect(new URL(page.url()).searchParams.get('to')).toBe(around.to);
    await page.locator(`#window time[datetime="${formatTime(around.from).full}"]`).waitFor();
    expect(problems).toEqual([]);
    await page.close();
  });

  it('says which read was refused when the token may not read the namespace', async () => {
    const { page, problems } = await newPage();
    // The feed keeps only what the token may list (docs/access.md): the list as of T is refused outright.
    await page.goto(pageUrl(`namespace=${NS}&kind=deploy&from=${FROM}&to=${TO}`));
    await page.fill('#auth-token', 'dev-token');
    await page.click('#auth-form button[type=submit]');
    const refused = page.locator('#asof .error');
    await refused.waitFor();
    expect(await refused.textContent()).toBe(`Forbidden: dev may not list deployments.apps in namespace "${NS}" (cluster ${SEEDED_CLUSTER}).`);
    expect(await page.locator('.change').count()).toBe(0);
    expect(await page.locator('#timeline').textContent()).toContain('may read');
    await shot(page, '4-forbidden');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('pins a relative window (the default, the last hour) to absolute times in the link, and says what is wrong with a bad one', async () => {
    const { page, problems } = await newPage();
    await page.goto(pageUrl(`namespace=${NS}`));
    await page.fill('#auth-token', 'sre-token');
    await page.click('#auth-form button[type=submit]');
    await page.locator('#window time').first().waitFor();
    expect(await page.inputValue('#f-from')).toBe('now-1h');
    const shown = await page.locator('#window time').first().getAttribute('datetime');
    await page.click('#f-pin');
    await page.waitForURL((u) => u.searchParams.has('from'));
    const from = new URL(page.url()).searchParams.get('from')!;
    expect(formatTime(from).full).toBe(shown);
    expect(await page.locator('.change').count()).toBe(0); // the seeded history is from January

    // A window the API refuses: its message, and nothing of the previous answer left on screen.
    await page.fill('#f-from', 'yesterday');
    await page.click('#f-apply');
    await page.locator('#error').waitFor({ state: 'visible' });
    expect(await page.textContent('#error')).toMatch(/^400 INVALID_ARGUMENT: from: /);
    expect(await page.locator('#failures .failure').count()).toBe(0);
    expect(problems.filter((p) => !/^400 .*\/v1\/changes\?.*from=yesterday/.test(p))).toEqual([]);
    await page.close();
  });

  it('shows an actor made of HTML as text, never as markup', async () => {
    const { page, problems } = await newPage();
    await page.goto(pageUrl(`namespace=${NS}&kind=cm&name=hostile-config&from=${FROM}&to=${TO}`));
    await page.fill('#auth-token', 'sre-token');
    await page.click('#auth-form button[type=submit]');
    const row = page.locator('.change', { hasText: 'hostile-config' });
    await row.waitFor();
    expect(await row.locator('.actor').textContent()).toBe(XSS_ACTOR);
    await row.click();
    await page.locator('#detail .diff').waitFor();
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as { __xss?: number }).__xss)).toBeUndefined();
    await shot(page, '5-hostile-actor');
    expect(problems).toEqual([]);
    await page.close();
  });
});
