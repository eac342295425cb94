export type { SharedBudgetStore } from './budget.js';
export { listenForWakeups, type WakeListenerOptions } from './listener.js';
export { MIGRATIONS, type Migration } from './migrations.js';
export {
  openPostgresStore,
  type PostgresCommonOptions,
  type PostgresStore,
  type PostgresStoreOptions,
} from './postgres-store.js';
