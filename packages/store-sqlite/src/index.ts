export { DEMO_KEY_ID, type DemoKeyring, loadOrCreateDemoKeyring } from './demo-keyring.js';
export { MIGRATIONS, type Migration } from './migrations.js';
export { openSqliteStore, type SqliteStore, type SqliteStoreOptions } from './sqlite-store.js';
export {
  CLAIM_QUEUE_SQL,
  CLAIM_QUEUES,
  type ClaimQueue,
  LANE_QUEUES,
  NEXT_WAKE_AT_SQL,
} from './statements.js';
