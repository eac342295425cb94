import { existsSync, readFileSync, statSync } from 'node:fs';
import type { OnboardingStore } from '@kyc-handoff/core';
import {
  ENCRYPTION_KEY_ENV,
  isKeyringMismatchError,
  type Keyring,
  parseKeyring,
} from '@kyc-handoff/core/crypto';
import {
  ClientConfigError,
  type CrossmintClient,
  type CrossmintEnv,
  createCrossmintClient,
  createThreadedCrossmintClient,
  type DebugInfo,
} from '@kyc-handoff/crossmint-http';
import { loadOrCreateDemoKeyring, openSqliteStore } from '@kyc-handoff/store-sqlite';
import { type Command, Option } from 'commander';
import { UserError } from './errors.js';

export const DEFAULT_STORE = 'sqlite:./kyc-handoff.db';

/** The options every command takes (flags beat the environment). */
export interface GlobalFlags {
  store: string;
  baseUrl?: string;
  env?: CrossmintEnv;
  apiKey?: string;
  apiKeyFile?: string;
  encryptionKey?: string;
  eraseWhenTerminal?: boolean;
  sqliteSync?: 'normal' | 'full';
  debug?: boolean;
}

/** Adds --store, --base-url/--env, --api-key, --encryption-key and --debug to a command. */
export function withGlobalOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--store <store>', 'where onboardings are kept: sqlite:PATH or postgres://…')
        .env('KYC_HANDOFF_STORE')
        .default(DEFAULT_STORE),
    )
    .addOption(
      new Option('--base-url <url>', 'Crossmint API base URL, e.g. http://127.0.0.1:4010/api').env(
        'CROSSMINT_BASE_URL',
      ),
    )
    .addOption(
      new Option('--env <env>', 'Crossmint environment instead of --base-url').choices([
        'staging',
        'production',
      ]),
    )
    .addOption(
      new Option(
        '--api-key <key>',
        'Crossmint server key sk_staging_… / sk_production_… (never printed; other local users can see flags in ps: prefer --api-key-file)',
      ).env('CROSSMINT_API_KEY'),
    )
    .addOption(
      new Option(
        '--api-key-file <file>',
        'read the Crossmint server key from this file (keep it mode 0600)',
      ).env('CROSSMINT_API_KEY_FILE'),
    )
    .addOption(
      new Option('--encryption-key <keys>', 'key(s) that encrypt stored records: BASE64 or ID:BASE64,…').env(
        ENCRYPTION_KEY_ENV,
      ),
    )
    .addOption(
      new Option(
        '--erase-when-terminal',
        "delete a user's stored personal data as soon as the onboarding is verified or rejected",
      ).env('KYC_HANDOFF_ERASE_WHEN_TERMINAL'),
    )
    .addOption(
      new Option(
        '--sqlite-sync <mode>',
        'SQLite durability: normal (a power loss may drop the last commits; a repeat is identical) or full (fsync each commit)',
      )
        .choices(['normal', 'full'])
        .default('normal'),
    )
    .option('--debug', 'print stack traces and each Crossmint call (method, path, status; never bodies)');
}

export type StoreSpec = { kind: 'sqlite'; path: string } | { kind: 'postgres'; connectionString: string };

export function parseStoreSpec(spec: string): StoreSpec {
  if (spec.startsWith('sqlite:')) {
    const path = spec.slice('sqlite:'.length);
    if (path === '') throw new UserError('--store sqlite: needs a file path, e.g. sqlite:./kyc-handoff.db');
    return { kind: 'sqlite', path };
  }
  if (spec.startsWith('postgres://') || spec.startsWith('postgresql://')) {
    return { kind: 'postgres', connectionString: spec };
  }
  throw new UserError('--store must be sqlite:PATH or postgres://USER@HOST/DB (KYC_HANDOFF_STORE likewise)');
}

/** A store name safe to print: a PostgreSQL URL loses its password. */
export function describeStore(spec: StoreSpec): string {
  if (spec.kind === 'sqlite') return `sqlite:${spec.path}`;
  try {
    const url = new URL(spec.connectionString);
    if (url.password !== '') url.password = '***';
    return url.toString();
  } catch {
    return 'postgres://…';
  }
}

function keyringFrom(flags: GlobalFlags, spec: StoreSpec): Keyring {
  if (flags.encryptionKey !== undefined && flags.encryptionKey.trim() !== '') {
    try {
      return parseKeyring(flags.encryptionKey);
    } catch (error) {
      throw new UserError((error as Error).message);
    }
  }
  // A database the demo made keeps its generated key beside it: status and friends just work on it.
  if (spec.kind === 'sqlite' && existsSync(`${spec.path}.key`)) {
    process.stderr.write(`note: using the demo key kept in ${spec.path}.key (demo databases only)\n`);
    return loadOrCreateDemoKeyring(spec.path).keyring;
  }
  throw new UserError(
    `no encryption key: set ${ENCRYPTION_KEY_ENV} (or --encryption-key); generate one with \`openssl rand -base64 32\` and keep it: stored records cannot be read without it`,
  );
}

interface PostgresModule {
  openPostgresStore(options: {
    connectionString: string;
    keyring: Keyring;
    schema?: string;
    erasePersonalDataWhenTerminal?: boolean;
  }): Promise<OnboardingStore>;
}

/** Opens the store the flags name; every failure is one line saying what to do. */
export async function openStore(flags: GlobalFlags, keyring?: Keyring): Promise<OnboardingStore> {
  const spec = parseStoreSpec(flags.store);
  const key = keyring ?? keyringFrom(flags, spec);
  if (spec.kind === 'sqlite') {
    try {
      return openSqliteStore({
        path: spec.path,
        keyring: key,
        synchronous: flags.sqliteSync === 'full' ? 'FULL' : 'NORMAL',
        erasePersonalDataWhenTerminal: flags.eraseWhenTerminal === true,
      });
    } catch (error) {
      if (isKeyringMismatchError(error)) throw new UserError(`${describeStore(spec)}: ${error.message}`);
      throw new UserError(
        `cannot open the store ${describeStore(spec)}: ${(error as Error).message} (check the path and its permissions)`,
      );
    }
  }
  // Loaded only when asked for, so SQLite users never need pg (and a missing build is one clear line).
  const moduleName = '@kyc-handoff/store-postgres';
  let mod: PostgresModule;
  try {
    mod = (await import(moduleName)) as PostgresModule;
  } catch {
    throw new UserError(
      'the PostgreSQL store is not available in this build: run `pnpm turbo run build` (package @kyc-handoff/store-postgres), or use --store sqlite:PATH',
    );
  }
  try {
    return await mod.openPostgresStore({
      connectionString: spec.connectionString,
      keyring: key,
      erasePersonalDataWhenTerminal: flags.eraseWhenTerminal === true,
    });
  } catch (error) {
    if (isKeyringMismatchError(error)) throw new UserError(`${describeStore(spec)}: ${error.message}`);
    throw new UserError(
      `cannot open the store ${describeStore(spec)}: ${(error as Error).message} (is PostgreSQL running and the database created?)`,
    );
  }
}

/** The client factory `--http-thread` asks for: HTTP on a worker thread, or in the engine's own. */
export function clientFactory(httpThread: boolean | undefined) {
  return httpThread === true ? createThreadedCrossmintClient : createCrossmintClient;
}

/**
 * Builds the Crossmint client; the key is checked before any call and never printed. `onCall` sees
 * each call as it ends (method, path, status, duration: never a key or a body), e.g. for metrics.
 */
export function openClient(
  flags: GlobalFlags & { httpThread?: boolean | undefined },
  command: Command,
  onCall?: (info: DebugInfo) => void,
): CrossmintClient {
  const envFromFlag = command.getOptionValueSource('env') === 'cli' && flags.env !== undefined;
  const baseUrlFromFlag = command.getOptionValueSource('baseUrl') === 'cli';
  if (envFromFlag && baseUrlFromFlag) {
    throw new UserError('give either --env or --base-url, not both');
  }
  let target: { env: CrossmintEnv } | { baseUrl: string };
  if (envFromFlag && flags.env !== undefined) target = { env: flags.env };
  else if (flags.baseUrl !== undefined && flags.baseUrl !== '') target = { baseUrl: flags.baseUrl };
  else if (flags.env !== undefined) target = { env: flags.env };
  else {
    throw new UserError(
      'no Crossmint endpoint: pass --env staging (or production), or --base-url URL, or set CROSSMINT_BASE_URL',
    );
  }
  const apiKey = apiKeyFrom(flags, command);
  try {
    return clientFactory(flags.httpThread)(target, {
      apiKey,
      ...((flags.debug === true || onCall !== undefined) && {
        debug: (info) => {
          if (flags.debug === true) {
            process.stderr.write(
              `debug: ${info.method} ${info.path} → ${info.status ?? info.errorKind ?? '?'} in ${Math.round(info.durationMs)} ms\n`,
            );
          }
          onCall?.(info);
        },
      }),
    });
  } catch (error) {
    if (error instanceof ClientConfigError) throw new UserError(error.message);
    throw error;
  }
}

const MAX_KEY_FILE_BYTES = 4096;

/** How a secret given by value or by file is named in messages. */
export interface SecretNames {
  /** `--api-key`, and its environment variable. */
  flag: string;
  env: string;
  /** `--api-key-file`, and its environment variable. */
  fileFlag: string;
  fileEnv: string;
}

/**
 * A secret from its flag or its file flag (each with an environment variable; a flag beats the
 * environment); undefined when neither is given. Both at the same level is refused. Never printed.
 */
export function secretFrom(
  value: string | undefined,
  file: string | undefined,
  sources: { value: string | undefined; file: string | undefined },
  names: SecretNames,
): string | undefined {
  const haveKey = value !== undefined && value.trim() !== '';
  const haveFile = file !== undefined && file !== '';
  const keyFromCli = sources.value === 'cli';
  const fileFromCli = sources.file === 'cli';
  if (haveKey && haveFile && keyFromCli === fileFromCli) {
    throw new UserError(
      keyFromCli
        ? `give either ${names.flag} or ${names.fileFlag}, not both`
        : `set either ${names.env} or ${names.fileEnv}, not both`,
    );
  }
  if (haveFile && (!haveKey || fileFromCli)) return readSecretFile(file, names.fileFlag);
  if (haveKey) return value;
  return undefined;
}

const API_KEY_NAMES: SecretNames = {
  flag: '--api-key',
  env: 'CROSSMINT_API_KEY',
  fileFlag: '--api-key-file',
  fileEnv: 'CROSSMINT_API_KEY_FILE',
};

/** The key from --api-key or --api-key-file; a flag beats the environment. Never printed. */
function apiKeyFrom(flags: GlobalFlags, command: Command): string {
  const key = secretFrom(
    flags.apiKey,
    flags.apiKeyFile,
    { value: command.getOptionValueSource('apiKey'), file: command.getOptionValueSource('apiKeyFile') },
    API_KEY_NAMES,
  );
  if (key !== undefined) return key;
  throw new UserError(
    'no API key: set CROSSMINT_API_KEY_FILE (or --api-key-file) to a file holding a sk_staging_… or sk_production_… server key, or CROSSMINT_API_KEY (or --api-key) to the key itself',
  );
}

function readSecretFile(path: string, flag: string): string {
  let text: string;
  try {
    const stats = statSync(path);
    if (!stats.isFile()) throw new UserError(`${flag} ${path} is not a regular file`);
    if (stats.size > MAX_KEY_FILE_BYTES) {
      throw new UserError(`${flag} ${path} is ${stats.size} bytes: it should hold only the key`);
    }
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof UserError) throw error;
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new UserError(`cannot read ${flag} ${path} (${code}): check the path and its permissions`);
  }
  // Editors and `echo` end the file with a newline; anything else odd is the client's to refuse.
  const key = text.replace(/\r?\n$/, '');
  if (key.trim() === '') throw new UserError(`${flag} ${path} is empty`);
  return key;
}
