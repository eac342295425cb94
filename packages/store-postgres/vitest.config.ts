import { packageProject } from '../../vitest.shared.js';

// Vitest hands ssr.resolve.conditions to the worker as `node --conditions`, which also applies to
// require(). The shared list contains 'import', so pg's require('pg-pool') would load pg-pool's ESM
// build and fail ("Class extends value [object Module]"). This package replaces the list (mergeConfig
// would append to it) with one without 'import'; 'source' still selects the workspace TypeScript.
const config = packageProject('store-postgres');
if (config.ssr?.resolve) config.ssr.resolve.conditions = ['source', 'node', 'development|production'];

export default config;
