/**
 * The failure timeline's request and answer (GET /v1/failures, `kubetime failures`, the MCP tool
 * `failures`): spans of broken state in a window and scope, each with its evidence and the
 * changes shortly before it (suspects). Times are Micros; surfaces format them.
 */
import type { Viewer } from '../access.ts';
import type { Ref, WindowScope } from '../ref.ts';
import type { Actor, Op } from '../record.ts';
import type { Micros } from '../time.ts';

/** Default span of time before a failure's start searched for suspects: 15 minutes. */
export const DEFAULT_SUSPECT_WINDOW: Micros = 15 * 60e6;

/**
 * The window (inclusive: spans overlapping it are reported) and scope, as the change feed takes
 * them; `kind` is one of Pod, Node, Deployment, StatefulSet, DaemonSet, Job,
 * HorizontalPodAutoscaler, PersistentVolumeClaim.
 */
export interface FailuresRequest extends WindowScope {
  /** Whose answer this is: spans and suspects the viewer may not `list` are left out. */
  viewer: Viewer;
  /** How far before a span's start changes are suspects (µs); default DEFAULT_SUSPECT_WINDOW. */
  suspectWindow?: Micros;
  continue?: string;
}

export const FAILURE_REASONS = [
  'CrashLoopBackOff', 'OOMKilled', 'ContainerCrashed', 'ImagePullBackOff', 'Unschedulable', 'Evicted',
  'ProbeFailing', 'StuckTerminating', 'StuckPending',
  'NodeNotReady', 'MemoryPressure', 'DiskPressure', 'PIDPressure', 'Cordoned',
  'UnavailableReplicas', 'ProgressDeadlineExceeded', 'JobFailed', 'HPAAtMaxReplicas', 'HPAUnableToScale', 'PVCPending',
] as const;
export type FailureReason = (typeof FAILURE_REASONS)[number];

/** What the stored revisions and Events show about a span; only the fields that apply are set. */
export interface Evidence {
  container?: string;
  /** The last termination's exit code and reason (`Error`, `OOMKilled`). */
  exitCode?: number;
  terminationReason?: string;
  /** Container restarts within the span. */
  restarts?: number;
  /** The container's memory limit (resources.limits.memory), for OOM kills. */
  memoryLimit?: string;
  image?: string;
  /** The Node a Pod ran on. */
  node?: string;
  /** The scheduler's, kubelet's or controller's message (a condition's or a waiting state's). */
  message?: string;
  /** Workloads: replicas wanted and unavailable at the worst point of the span. */
  desired?: number;
  unavailable?: number;
  /** Warning Events about the object in the span, by reason. */
  events?: { reason: string; count: number; message: string }[];
}

/**
 * Why a change is a suspect: its relation to the failing object. `template`: the change to the
 * owning workload that introduced the failing Pod's template (its image, command, resources…),
 * shown even when it is older than the suspect window.
 */
export type SuspectRelation = 'self' | 'owner' | 'template' | 'node' | 'config';

/** A change shortly before (or, for `recoveredAfter`, within) a span. */
export interface Suspect {
  ref: Ref;
  relation: SuspectRelation;
  ts: Micros;
  op: Op;
  resourceVersion: string;
  verb?: string;
  actor?: Actor;
  /** One line: `image: api:2.14.3 → api:2.15.0`, `created`, `deleted`. */
  diff: string;
}

export interface FailureSpan {
  object: Ref & { uid: string };
  reason: FailureReason;
  start: Micros;
  /** null while ongoing at the window's end. */
  end: Micros | null;
  /** How it ended: the condition cleared, or the object was deleted. */
  ended?: 'recovered' | 'deleted';
  evidence: Evidence;
  /** Node spans: the Pods on the node that were deleted (drained, evicted) or present when it began. */
  affected?: Ref[];
  /** Most likely first. */
  suspects: Suspect[];
  /** The last change before the span ended, among the same candidates ("recovered after …"). */
  recoveredAfter?: Suspect;
}

export interface FailuresResult {
  cluster: string;
  from: Micros;
  to: Micros;
  items: FailureSpan[];
  continue?: string;
}

/** The query, for HistoryQueries and the MCP tool. */
export interface FailureQueries {
  failures(r: FailuresRequest): Promise<FailuresResult>;
}
