// The fake must keep the port's contract, or compactor tests prove nothing: run the shared suite.
import { historyStoreContract } from '../../test/contract/history-store.contract.ts';
import { MemoryHistoryStore } from './memory-history-store.ts';

historyStoreContract('MemoryHistoryStore (compactor test fake)', async () => ({
  store: new MemoryHistoryStore(),
  cleanup: async () => {},
}));
