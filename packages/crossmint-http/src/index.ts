export { type CrossmintClient, createCrossmintClient } from './client.js';
export {
  ClientConfigError,
  type ClientOptions,
  type ClientTarget,
  type ClientTimeouts,
  CROSSMINT_BASE_URLS,
  type CrossmintEnv,
  type DebugInfo,
} from './config.js';
export {
  classifyStatus,
  classifyTransportError,
  isConnectionReset,
  MAX_MESSAGE_CHARS,
  type ResponseFacts,
} from './errors.js';
export { parseRetryAfter, type RetryAfterPolicy } from './retry-after.js';
export { createThreadedCrossmintClient } from './threaded.js';
