// The behaviour every OnboardingStore adapter must have, as a vitest suite: import it from an
// adapter's tests (vitest is an optional peer dependency of @kyc-handoff/core for this entry only).
export { runStoreContract, type StoreUnderTest } from './store-contract.js';
