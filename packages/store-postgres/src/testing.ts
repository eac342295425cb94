// The store's SQL, for tests that check its query plans; not part of the store's API.
export {
  CLAIM_QUEUES,
  type ClaimQueue,
  claimQueueSql,
  LANE_QUEUES,
  nextWakeAtSql,
} from './statements.js';
