export * from './bodies.js';
export * from './ports/crossmint.js';
export * from './ports/crossmint-error.js';
export * from './ports/store.js';
export * from './requirements.js';
export * from './schemas/api.js';
export * from './schemas/formats.js';
export * from './schemas/record.js';
