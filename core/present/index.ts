/**
 * The presentation layer (docs/design/surfaces.md): how every surface — HTTP, CLI, MCP — shows
 * an answer. Pure functions, no I/O.
 */
export * from './age.ts';
export * from './budget.ts';
export * from './diff.ts';
export * from './events.ts';
export * from './fields.ts';
export * from './objects.ts';
export * from './paging.ts';
export * from './pod-status.ts';
export * from './summary.ts';
export * from './view.ts';
export * from './describe.ts';
export * from './wide.ts';
export * from './slim.ts';
