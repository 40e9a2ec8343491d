/**
 * SnapshotStore on S3 or an S3-compatible server (MinIO, …: custom `endpoint`, path-style
 * addressing). Blobs larger than `partSize` go up as multipart uploads (lib-storage `Upload`);
 * S3 makes an object visible only when PutObject or CompleteMultipartUpload succeeds, so a failed
 * or interrupted upload leaves no object behind — at most an unfinished multipart upload, which
 * `removeIncomplete` aborts (and which a bucket lifecycle rule may also expire).
 */
import {
  AbortMultipartUploadCommand, DeleteObjectsCommand, GetObjectCommand, ListMultipartUploadsCommand,
  ListObjectsV2Command, S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { Readable } from 'node:stream';
import { KubetimeError } from '../../core/errors.ts';
import { assertValidKey } from '../../core/snapshot.ts';
import type { BlobInfo, SnapshotStore } from '../../core/snapshot.ts';
import type { Micros } from '../../core/time.ts';

export interface S3SnapshotStoreOptions {
  bucket: string;
  /** Key prefix inside the bucket (`snapshots` or `team/snapshots`); default none. */
  prefix?: string;
  region?: string;
  /** An S3-compatible server, e.g. `http://127.0.0.1:9000`. */
  endpoint?: string;
  /** Path-style addressing (`endpoint/bucket/key`); default true when `endpoint` is set. */
  forcePathStyle?: boolean;
  /** Default: the AWS SDK's credential chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Multipart part size in bytes (S3 minimum 5 MiB); larger blobs are uploaded in parts. Default 8 MiB. */
  partSize?: number;
  /** Parts uploaded concurrently (memory: queueSize × partSize). Default 2. */
  queueSize?: number;
  /** Attempts per request, including retries. Default 3. */
  maxAttempts?: number;
  /** Use this client instead of building one (tests). */
  client?: S3Client;
}

const MIB = 1024 * 1024;

function httpStatus(e: unknown): number | undefined {
  return (e as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

export class S3SnapshotStore implements SnapshotStore {
  readonly location: string;
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly partSize: number;
  private readonly queueSize: number;
  private readonly ownsClient: boolean;
  /** Full keys whose upload failed here: where an abandoned multipart upload may remain. */
  private readonly failedKeys = new Set<string>();

  constructor(o: S3SnapshotStoreOptions) {
    this.bucket = o.bucket;
    this.prefix = (o.prefix ?? '').replace(/^\/+|\/+$/g, '');
    if (this.prefix) this.prefix += '/';
    this.partSize = Math.max(5 * MIB, o.partSize ?? 8 * MIB);
    this.queueSize = o.queueSize ?? 2;
    this.ownsClient = !o.client;
    this.client = o.client ?? new S3Client({
      region: o.region ?? 'us-east-1',
      endpoint: o.endpoint,
      forcePathStyle: o.forcePathStyle ?? !!o.endpoint,
      credentials: o.credentials,
      maxAttempts: o.maxAttempts ?? 3,
      // Checksums only where S3 requires them: some S3-compatible servers reject the newer defaults.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestHandler: { connectionTimeout: 5_000, requestTimeout: 120_000 },
    });
    this.location = `s3://${this.bucket}/${this.prefix}${o.endpoint ? ` (at ${o.endpoint})` : ''}`;
  }

  private fail(what: string, key: string, e: unknown): KubetimeError {
    if (e instanceof KubetimeError) return e;
    const reason = (e as Error)?.name && (e as Error).name !== 'Error' ? `${(e as Error).name}: ${(e as Error).message}` : String((e as Error)?.message ?? e);
    return new KubetimeError('STORE_UNAVAILABLE', `${what} ${key} in s3://${this.bucket}/${this.prefix} failed: ${reason}`,
      { key, bucket: this.bucket, status: httpStatus(e) }, { cause: e });
  }

  async put(key: string, body: AsyncIterable<Uint8Array>): Promise<{ bytes: number }> {
    assertValidKey(key);
    let bytes = 0;
    let bodyError: unknown;
    const counted = (async function* () {
      try {
        for await (const c of body) {
          bytes += c.length;
          yield c;
        }
      } catch (e) {
        bodyError = e;
        throw e;
      }
    })();
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: this.prefix + key, Body: Readable.from(counted), ContentType: contentType(key) },
      partSize: this.partSize,
      queueSize: this.queueSize,
      leavePartsOnError: false,
    });
    try {
      await upload.done();
      return { bytes };
    } catch (e) {
      this.failedKeys.add(this.prefix + key);
      // The producer's own failure wins over what the upload made of it (e.g. a failed abort);
      // an abort seen by the producer is only the echo of the upload's failure.
      if (bodyError !== undefined && !isAbort(bodyError)) throw bodyError;
      throw this.fail('uploading', key, e);
    }
  }

  async *get(key: string): AsyncIterable<Uint8Array> {
    assertValidKey(key);
    let body: AsyncIterable<Uint8Array>;
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }));
      body = res.Body as unknown as AsyncIterable<Uint8Array>;
    } catch (e) {
      if ((e as Error)?.name === 'NoSuchKey' || httpStatus(e) === 404) {
        throw new KubetimeError('NOT_FOUND', `snapshot store has no ${key}`, { key });
      }
      throw this.fail('reading', key, e);
    }
    try {
      yield* body;
    } catch (e) {
      throw this.fail('reading', key, e);
    }
  }

  async *list(prefix: string): AsyncIterable<BlobInfo> {
    let token: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(new ListObjectsV2Command({
          Bucket: this.bucket, Prefix: this.prefix + prefix, ContinuationToken: token,
        }));
      } catch (e) {
        throw this.fail('listing', prefix, e);
      }
      for (const o of page.Contents ?? []) {
        if (!o.Key) continue;
        yield { key: o.Key.slice(this.prefix.length), bytes: o.Size ?? 0, modified: (o.LastModified?.getTime() ?? 0) * 1000 };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async delete(keys: readonly string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000);
      batch.forEach(assertValidKey);
      let res;
      try {
        res = await this.client.send(new DeleteObjectsCommand({
          Bucket: this.bucket,
          Delete: { Objects: batch.map((k) => ({ Key: this.prefix + k })), Quiet: true },
        }));
      } catch (e) {
        throw this.fail('deleting', batch[0]!, e);
      }
      const failed = (res.Errors ?? []).filter((x) => x.Code !== 'NoSuchKey');
      if (failed.length) {
        throw new KubetimeError('STORE_UNAVAILABLE', `deleting ${failed.length} blobs in s3://${this.bucket}/${this.prefix} failed: ${failed[0]!.Code} ${failed[0]!.Message}`, { keys: failed.map((x) => x.Key) });
      }
    }
  }

  /**
   * Multipart uploads still open under the prefix: the bucket-wide listing (S3), plus an exact-key
   * listing for every key whose put failed in this process — MinIO lists an upload only when the
   * Prefix names its exact key (and expires stale uploads itself, after 24 h by default).
   */
  async openUploads(): Promise<{ key: string; uploadId: string; initiated: Micros }[]> {
    const found = new Map<string, { key: string; uploadId: string; initiated: Micros }>();
    try {
      for (const prefix of [undefined, ...this.failedKeys]) {
        let keyMarker: string | undefined;
        let uploadIdMarker: string | undefined;
        do {
          const page = await this.client.send(new ListMultipartUploadsCommand({ Bucket: this.bucket, Prefix: prefix, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker }));
          for (const u of page.Uploads ?? []) {
            if (!u.Key || !u.UploadId || !u.Key.startsWith(this.prefix)) continue;
            found.set(u.UploadId, { key: u.Key.slice(this.prefix.length), uploadId: u.UploadId, initiated: (u.Initiated?.getTime() ?? 0) * 1000 });
          }
          const more = page.IsTruncated;
          keyMarker = more ? page.NextKeyMarker : undefined;
          uploadIdMarker = more ? page.NextUploadIdMarker : undefined;
        } while (keyMarker);
      }
    } catch (e) {
      throw this.fail('listing multipart uploads under', this.prefix || '/', e);
    }
    return [...found.values()];
  }

  async removeIncomplete(olderThan: Micros): Promise<number> {
    let removed = 0;
    for (const u of await this.openUploads()) {
      if (u.initiated >= olderThan) continue;
      try {
        await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: this.prefix + u.key, UploadId: u.uploadId }));
      } catch (e) {
        if (httpStatus(e) === 404) continue; // finished or aborted meanwhile
        throw this.fail('aborting the multipart upload of', u.key, e);
      }
      removed++;
    }
    const stillOpen = new Set((await this.openUploads()).map((u) => this.prefix + u.key));
    for (const k of this.failedKeys) if (!stillOpen.has(k)) this.failedKeys.delete(k);
    return removed;
  }

  async close(): Promise<void> {
    if (this.ownsClient) this.client.destroy();
  }
}

function isAbort(e: unknown): boolean {
  const x = e as { name?: string; code?: string } | undefined;
  return x?.name === 'AbortError' || x?.code === 'ABORT_ERR' || x?.code === 'ERR_STREAM_PREMATURE_CLOSE';
}

function contentType(key: string): string {
  return key.endsWith('.json') ? 'application/json' : key.endsWith('.gz') ? 'application/gzip' : 'application/octet-stream';
}
