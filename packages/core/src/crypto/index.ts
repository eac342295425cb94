export { canonicalJson } from './canonical-json.js';
export { DEFAULT_KEY_ID, ENCRYPTION_KEY_ENV, generateKey, Keyring, parseKeyring } from './keyring.js';
export {
  createRecordCipher,
  type RecordCipher,
  RecordCipherError,
  type RecordCipherErrorKind,
} from './record-cipher.js';
