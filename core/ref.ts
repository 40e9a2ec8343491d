/** A reference to one object by kind and name, as the query answers show it. */
export interface Ref { kind: string; namespace?: string; name: string }
