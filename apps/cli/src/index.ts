export { sandboxCommand } from './commands/sandbox.js';
