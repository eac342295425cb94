// The store's SQL, for tests that check its query plans; not part of the store's API.
export {
  CLAIM_QUEUE_SQL,
  CLAIM_QUEUES,
  type ClaimQueue,
  LANE_QUEUES,
  NEXT_WAKE_AT_SQL,
} from './statements.js';
