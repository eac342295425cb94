export { DEMO_KEY_ID, type DemoKeyring, loadOrCreateDemoKeyring } from './demo-keyring.js';
export { MIGRATIONS, type Migration } from './migrations.js';
export { openSqliteStore, type SqliteStore, type SqliteStoreOptions } from './sqlite-store.js';
