/**
 * The compactor's public surface, for cli/ (the composition root) and history-api.
 */
export { SnapshotCatalog } from './catalog.ts';
export type { BadManifest, SnapshotCatalogOptions } from './catalog.ts';
export { Compactor } from './compactor.ts';
export type { CompactorOptions, RunReport, Timer } from './compactor.ts';
export { directorySize, diskStatus } from './disk-budget.ts';
export type { DiskBudget, DiskLevel, DiskStatus } from './disk-budget.ts';
export { checkSnapshot, readManifest, readSnapshot } from './read.ts';
export { restore } from './restore.ts';
export type { ClusterRestore, RestoreOptions } from './restore.ts';
export { applyRetention, DEFAULT_RETENTION, parseRetentionSpec, ruleFor } from './retention.ts';
export type { ApplyRetentionOptions, RetentionReport, RetentionRule } from './retention.ts';
export { DEFAULT_PART_BYTES, takeSnapshot } from './snapshot.ts';
export type { TakeSnapshotOptions } from './snapshot.ts';
export { findLeftovers, sweepLeftovers } from './sweep.ts';
export { planThinning, thinSnapshots } from './thinning.ts';
export { verify } from './verify.ts';
export type { Finding, Severity, VerifyOptions, VerifyReport } from './verify.ts';
export { renderVerifyReport } from './verify-render.ts';
