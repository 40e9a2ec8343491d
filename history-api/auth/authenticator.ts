/**
 * Authentication of read requests: a bearer token becomes a Subject (core/access.ts).
 * Adapters: TokenReview against the watched cluster (users and agents keep the identities they
 * have there, OIDC included) and a static token file for offline use.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { LRUCache } from 'lru-cache';
import type { Subject } from '../../core/access.ts';
import { KubetimeError } from '../../core/errors.ts';

/**
 * The Authenticator port. Contract: resolves the token's Subject, or null when the token is not
 * valid (→ 401). Rejects with KubetimeError STORE_UNAVAILABLE when the backing system cannot
 * answer (→ 503, the client retries); never resolves a Subject it could not verify.
 */
export interface Authenticator {
  authenticate(token: string): Promise<Subject | null>;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest();

/**
 * Tokens from a file shaped like kube-apiserver's `--token-auth-file`: one `token,user,uid` line
 * per token, optionally with a quoted comma-separated group list (`token,user,uid,"g1,g2"`).
 * Blank lines and `#` comments are skipped.
 */
export class TokenFileAuthenticator implements Authenticator {
  readonly #entries: { digest: Buffer; subject: Subject }[];

  constructor(text: string, source = 'token file') {
    this.#entries = parseTokenFile(text, source);
  }

  static fromFile(path: string): TokenFileAuthenticator {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      throw new KubetimeError('INVALID_ARGUMENT', `tokenFile: cannot read ${path}`, { param: 'tokenFile' }, { cause: e });
    }
    return new TokenFileAuthenticator(text, path);
  }

  async authenticate(token: string): Promise<Subject | null> {
    const digest = sha256(token); // equal-length digests: the comparison's time says nothing about the token
    return this.#entries.find((e) => timingSafeEqual(e.digest, digest))?.subject ?? null;
  }
}

function parseTokenFile(text: string, source: string): { digest: Buffer; subject: Subject }[] {
  const out: { digest: Buffer; subject: Subject }[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const m = /^([^,]+),([^,]+),([^,]*)(?:,"([^"]*)"|,([^,"]*))?$/.exec(line);
    if (!m) throw new KubetimeError('INVALID_ARGUMENT', `tokenFile: ${source} line ${i + 1}: expected token,user,uid[,"group1,group2"]`, { param: 'tokenFile', line: i + 1 });
    const groups = (m[4] ?? m[5] ?? '').split(',').map((g) => g.trim()).filter(Boolean);
    out.push({ digest: sha256(m[1]!), subject: { user: m[2]!, ...(m[3] ? { uid: m[3] } : {}), groups } });
  });
  return out;
}

/** What a TokenReview answers (authentication.k8s.io/v1 TokenReview status), as the adapter needs it. */
export interface TokenReviewStatus {
  authenticated?: boolean;
  user?: { username?: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> };
  error?: string;
}

export interface TokenReviewOptions {
  /** Posts a TokenReview for the token; rejects when the apiserver cannot be reached. */
  review: (token: string) => Promise<TokenReviewStatus>;
  /** How long a valid token's identity is kept (ms); default 10 s. */
  ttlValid?: number;
  /** How long a rejected token stays rejected (ms); default 2 s. */
  ttlRejected?: number;
  /** Most tokens kept; default 10,000. */
  max?: number;
  /** Milliseconds clock (tests); default performance.now. */
  now?: () => number;
}

/**
 * TokenReview against the cluster. Answers are cached by the token's SHA-256 (the token itself is
 * never kept as a key): a valid one 10 s, a rejected one 2 s, so a client's burst of queries costs
 * one review, a revoked token stops working within 10 s, and a freshly issued one is not refused
 * for long because of an earlier failed attempt.
 */
export class TokenReviewAuthenticator implements Authenticator {
  readonly #o: TokenReviewOptions;
  readonly #cache: LRUCache<string, { subject: Subject | null }>;

  constructor(o: TokenReviewOptions) {
    this.#o = o;
    this.#cache = new LRUCache({ max: o.max ?? 10_000, ttl: o.ttlValid ?? 10_000, ...(o.now ? { perf: { now: o.now }, ttlResolution: 0 } : {}) });
  }

  async authenticate(token: string): Promise<Subject | null> {
    const key = sha256(token).toString('base64');
    const hit = this.#cache.get(key);
    if (hit) return hit.subject;
    let status: TokenReviewStatus;
    try {
      status = await this.#o.review(token);
    } catch (e) {
      throw new KubetimeError('STORE_UNAVAILABLE', 'authentication: the cluster did not answer the TokenReview; retry', { param: 'Authorization' }, { cause: e });
    }
    const u = status.user;
    const subject: Subject | null = status.authenticated && u?.username
      ? { user: u.username, groups: u.groups ?? [], ...(u.uid ? { uid: u.uid } : {}), ...(u.extra ? { extra: u.extra } : {}) }
      : null;
    this.#cache.set(key, { subject }, subject ? {} : { ttl: this.#o.ttlRejected ?? 2_000 });
    return subject;
  }
}
