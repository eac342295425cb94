export { canonicalJson } from './canonical-json.js';
export {
  isKeyringMismatchError,
  type KeyIdInUse,
  type KeyringMismatch,
  KeyringMismatchError,
  keyCheckOf,
  type StoredKeyCheck,
  verifyKeyring,
} from './key-check.js';
export { DEFAULT_KEY_ID, ENCRYPTION_KEY_ENV, generateKey, Keyring, parseKeyring } from './keyring.js';
export {
  createRecordCipher,
  type RecordCipher,
  RecordCipherError,
  type RecordCipherErrorKind,
} from './record-cipher.js';
export { openStoredRecord } from './stored-record.js';
