import { randomBytes } from 'node:crypto';
import { describeWithService } from '../infra/services.ts';
import { S3SnapshotStore } from '../../store/s3/s3-snapshot-store.ts';
import { snapshotStoreContract } from './snapshot-store.contract.ts';

describeWithService('minio', 'S3SnapshotStore on MinIO', (env) => {
  snapshotStoreContract('S3SnapshotStore', async () => {
    const store = new S3SnapshotStore({
      bucket: env.KUBETIME_S3_BUCKET!,
      prefix: `contract-${randomBytes(4).toString('hex')}`,
      endpoint: env.KUBETIME_S3_ENDPOINT,
      region: env.AWS_REGION,
      credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID!, secretAccessKey: env.AWS_SECRET_ACCESS_KEY! },
      partSize: 5 * 1024 * 1024,
    });
    return {
      store,
      cleanup: async () => {
        const keys: string[] = [];
        for await (const b of store.list('')) keys.push(b.key);
        await store.delete(keys);
        await store.removeIncomplete(Date.now() * 1000 + 60_000_000);
        await store.close();
      },
    };
  });
});
