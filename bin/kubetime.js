#!/usr/bin/env node
// kubetime's command. The sources are TypeScript run by Node's own type stripping (Node >= 22.18;
// the project brings Node 24 through its `node` dev dependency, so `npx kubetime` uses it).
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(`kubetime needs Node.js >= 22.18 (this is ${process.version}); run it through npx kubetime or npm run, which use the project's Node 24\n`);
  process.exit(1);
}
// Tracing starts before anything else is loaded (when OTEL_* variables ask for it; cli/telemetry.ts)
// and is flushed once the command is done.
const { startTelemetry } = await import('../cli/telemetry.ts');
const telemetry = await startTelemetry(process.env);
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
await telemetry.shutdown();
// Everything was stopped (or given up on, cli/compose.ts shutdown): a handle still open (a watch
// connection, a keep-alive socket) must not keep the process past its SIGTERM. The timer is unref'd,
// so a process with nothing left exits at once, as before.
setTimeout(() => process.exit(), 2_000).unref();
