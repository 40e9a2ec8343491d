import type { Micros } from './time.ts';

/** A reference to one object by kind and name, as the query answers show it. */
export interface Ref { kind: string; namespace?: string; name: string }

/** A window and a scope, as the change feed, Events and failures take them (µs, inclusive). */
export interface WindowScope {
  cluster?: string;
  from: Micros;
  to: Micros;
  namespace?: string;
  kind?: string;
  name?: string;
  limit?: number;
}
