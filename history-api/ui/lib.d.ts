// Types of lib.js (plain browser JavaScript, outside the TypeScript build) for its tests.

export interface UiState {
  cluster: string; namespace: string; kind: string; name: string;
  from: string; to: string; at: string; sel: string;
  /** Show changes by system: users (controllers, kubelets). */
  system: boolean;
  /** Show Kubernetes Events in the timeline (hidden in the page only: the feed's pages still hold them). */
  events: boolean;
}
export interface Actor { username?: string; impersonatedUser?: string; groups?: string[] }
export interface Change { ts: string; op: string; kind: string; namespace?: string; name: string; uid?: string; resourceVersion: string; source?: string; verb?: string; actor?: Actor }
export interface Failure { object: { kind: string; namespace?: string; name: string }; reason: string; start: string; end: string | null }
export type Entry = { type: 'change'; ts: string; us: number; change: Change } | { type: 'failure'; ts: string; us: number; failure: Failure };
export interface DiffRow { path: string; op: string; old: string; new: string }

export declare const DEFAULT_STATE: Readonly<UiState>;
export declare function parseState(search: string): UiState;
export declare function stateToSearch(state: Partial<UiState>): string;
export declare function toMicros(text: unknown): number | undefined;
export declare function fromMicros(us: number): string;
export declare function formatTime(text: unknown): { short: string; date: string; full: string };
export declare function aroundWindow(t: string, minutes?: number): { from: string; to: string } | undefined;
export declare function justBefore(t: string): string | undefined;
export declare function changeId(change: Change): string;
export declare function actorLabel(actor: Actor | undefined): string;
export declare function actorShort(actor: Actor | undefined): string;
export declare function refLabel(ref: { kind: string; namespace?: string; name: string }, namespace?: string): string;
export declare function timelineGroups(changes: Change[], failures: Failure[]): { minute: string; entries: Entry[] }[];
export declare function failingAt(change: Change, failures: Failure[]): boolean;
export declare function pointerLabel(pointer: string): string;
export declare function valueText(value: unknown, max?: number): string;
export declare function diffRows(answer: Record<string, unknown>, max?: number): { note: 'created' | 'deleted' | 'changed' | 'unchanged'; rows: DiffRow[] };
export declare function errorMessage(status: number, body: unknown): { auth: boolean; text: string };
export declare function panelKinds(state: UiState, changes: Change[], max?: number): string[];
