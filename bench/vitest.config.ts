import { packageProject } from '../vitest.shared.js';

export default packageProject('bench', { testTimeout: 120_000 });
