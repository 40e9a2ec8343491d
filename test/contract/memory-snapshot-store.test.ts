// The compactor's in-memory test fake must keep the same contract as the real adapters.
import { MemorySnapshotStore } from '../../compactor/testing/memory-snapshot-store.ts';
import { snapshotStoreContract } from './snapshot-store.contract.ts';

snapshotStoreContract('MemorySnapshotStore (test fake)', async () => ({ store: new MemorySnapshotStore(), cleanup: async () => {} }), { big: 1024 * 1024 });
