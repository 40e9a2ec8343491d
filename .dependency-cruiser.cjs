// Import rules that keep the architecture (STYLE.md "Boundaries"), run by `npm run lint:deps`
// (test/lint/deps.ts), itself part of `npm test`. Violations that predate a rule are listed in
// .dependency-cruiser-known-violations.json, to shrink: a new one fails.
//
// Why dependency-cruiser rather than ESLint with import/no-cycle + boundaries: the rules here are
// about the module graph only (who may import whom, cycles), which is all depcruise does, in one
// declarative file, in a few seconds over the whole tree; ESLint would bring a TypeScript parser,
// a plugin set and a style debate the project does not need for this. depcruise also sees
// `export … from` and dynamic `import()`, which the old regex test (core/boundaries.test.ts)
// missed. It reads the tree as JavaScript prepared by test/lint/deps.ts (why: see there).
const IO_LIBRARIES = [
  'fastify', '@fastify/', 'fastify-type-provider-zod', 'cassandra-driver', '@aws-sdk/', 'lmdb', '@kubernetes/client-node',
  'pino', 'undici', '@modelcontextprotocol/', 'prom-client', '@opentelemetry/sdk-',
];
const IO_BUILTINS = ['fs', 'net', 'http', 'https', 'http2', 'child_process', 'dgram', 'tls'];
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
/** A package as depcruise resolves it (node_modules is a symlink in worktrees: `../../x/node_modules/…`). */
const pkg = (name) => `(^|/node_modules/)${escape(name)}${name.endsWith('/') || name.endsWith('-') ? '' : '($|/)'}`;

/** Test-only code may compose anything: tests beside the code, and the testing/ helper folders. */
const TEST_CODE = '(^|/)(testing/|[^/]+\\.test\\.ts$)';

module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment: 'An import cycle makes load order matter and hides which module owns what. Type-only cycles count too.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'core-imports-no-io',
      severity: 'error',
      comment: 'core/ is the pure domain (STYLE.md): no I/O library, no I/O builtin. Adapters live in store/, ingester/, history-api/.',
      from: { path: '^core/', pathNot: TEST_CODE },
      to: {
        path: [...IO_LIBRARIES.map(pkg), ...IO_BUILTINS.map((b) => `^(node:)?${b}($|/)`)],
      },
    },
    {
      name: 'core-imports-only-core',
      severity: 'error',
      comment: 'core/ depends on nothing else of kubetime but k8s/: every other folder depends on it.',
      from: { path: '^core/', pathNot: TEST_CODE },
      to: { path: '^(store|ingester|compactor|history-api|cli|simulator|test|bench|bin)/' },
    },
    {
      name: 'only-cli-builds-adapters',
      severity: 'error',
      comment: 'store/ adapters are constructed in cli/ (the composition root) and handed to the rest as ports; test code and bench/ may build them too.',
      from: { path: '^', pathNot: ['^cli/', '^store/', '^test/', '^bench/', TEST_CODE] },
      to: { path: '^store/' },
    },
    {
      name: 'store-adapters-stay-apart',
      severity: 'error',
      comment: 'Each adapter folder of store/ stands alone (their tests may compare them).',
      from: { path: '^store/([^/]+)/', pathNot: TEST_CODE },
      to: { path: '^store/', pathNot: '^store/$1/' },
    },
    {
      name: 'k8s-imports-only-k8s',
      severity: 'error',
      comment: 'k8s/ holds Kubernetes-generic building blocks (object type, µs time, built-in kinds, selectors, JSON patch) that core/ and simulator/ share: no kubetime concept, no package, nothing outside k8s/ (its tests may compose anything).',
      from: { path: '^k8s/', pathNot: TEST_CODE },
      to: { pathNot: '^k8s/' },
    },
    {
      name: 'simulator-imports-no-kubetime',
      severity: 'error',
      comment: 'simulator/ stands for a real cluster: it shares nothing with kubetime but the Kubernetes API on the wire, and the Kubernetes-generic building blocks of k8s/. Its own files may import only simulator/ and k8s/ (packages and builtins aside).',
      from: { path: '^simulator/' },
      to: { dependencyTypes: ['local'], pathNot: '^(simulator|k8s)/' },
    },
    {
      name: 'history-api-reads-through-ports',
      severity: 'error',
      comment: "history-api/ reaches storage only through core's ports (HistoryStore, SnapshotStore), never an adapter (its tests may build one, as cli/ does).",
      from: { path: '^history-api/', pathNot: TEST_CODE },
      to: { path: '^store/' },
    },
  ],
  options: {
    doNotFollow: { path: '(^|/)node_modules/' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'], exportsFields: ['exports'], conditionNames: ['import', 'node', 'default'] },
    moduleSystems: ['es6', 'cjs'],
    cache: false,
  },
};
