import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ClientConfigError, CROSSMINT_BASE_URLS, createCrossmintClient } from '../src/index.js';
import { CLIENT_VERSION } from '../src/version.js';

function refusal(build: () => unknown): ClientConfigError {
  try {
    build();
  } catch (error) {
    expect(error).toBeInstanceOf(ClientConfigError);
    return error as ClientConfigError;
  }
  throw new Error('expected a ClientConfigError');
}

describe('createCrossmintClient refuses a configuration that cannot work, before any request', () => {
  it('refuses a missing or empty key', () => {
    expect(refusal(() => createCrossmintClient({ env: 'staging' }, { apiKey: '' })).message).toMatch(
      /No Crossmint API key/,
    );
    expect(refusal(() => createCrossmintClient({ env: 'staging' }, { apiKey: '   ' })).message).toMatch(
      /No Crossmint API key/,
    );
    expect(
      refusal(() => createCrossmintClient({ env: 'staging' }, {} as unknown as { apiKey: string })).message,
    ).toMatch(/No Crossmint API key/);
  });

  it('refuses a client key (ck_…) and says a server key is needed', () => {
    const e = refusal(() => createCrossmintClient({ env: 'staging' }, { apiKey: 'ck_staging_SECRETPART' }));
    expect(e.message).toMatch(/client key/);
    expect(e.message).not.toContain('SECRETPART');
  });

  it('refuses a key an HTTP header cannot carry (a newline, an escape, a space), without echoing it', () => {
    for (const apiKey of [
      'sk_staging_SECRETPART\n',
      'sk_staging_SECRET\u001bPART',
      'sk_staging_SECRET PART',
    ]) {
      const e = refusal(() => createCrossmintClient({ env: 'staging' }, { apiKey }));
      expect(e.message).toMatch(/character an HTTP header cannot carry/);
      expect(e.message).not.toContain('SECRET');
    }
  });

  it('refuses a key that is not a server key', () => {
    const e = refusal(() =>
      createCrossmintClient({ baseUrl: 'http://127.0.0.1:1/api' }, { apiKey: 'pk_SECRETPART' }),
    );
    expect(e.message).toMatch(/must start with sk_/);
    expect(e.message).not.toContain('SECRETPART');
  });

  it('refuses a staging key against the production host, naming the host', () => {
    const e = refusal(() =>
      createCrossmintClient({ env: 'production' }, { apiKey: 'sk_staging_SECRETPART' }),
    );
    expect(e.message).toMatch(/staging key .* production host www\.crossmint\.com/);
    expect(e.message).not.toContain('SECRETPART');
    refusal(() =>
      createCrossmintClient({ baseUrl: 'https://www.crossmint.com/api' }, { apiKey: 'sk_staging_x' }),
    );
  });

  it('refuses a production key against the staging host, naming the host', () => {
    const e = refusal(() =>
      createCrossmintClient({ env: 'staging' }, { apiKey: 'sk_production_SECRETPART' }),
    );
    expect(e.message).toMatch(/production key .* staging host staging\.crossmint\.com/);
    expect(e.message).not.toContain('SECRETPART');
  });

  it('refuses a bad base URL, bad numbers and an unknown environment', () => {
    refusal(() => createCrossmintClient({ baseUrl: 'not a url' }, { apiKey: 'sk_x' }));
    refusal(() => createCrossmintClient({ baseUrl: 'ftp://127.0.0.1/api' }, { apiKey: 'sk_x' }));
    refusal(() => createCrossmintClient({ baseUrl: 'http://u:p@127.0.0.1/api' }, { apiKey: 'sk_x' }));
    refusal(() =>
      createCrossmintClient({ baseUrl: 'http://127.0.0.1/api' }, { apiKey: 'sk_x', connections: 0 }),
    );
    refusal(() =>
      createCrossmintClient(
        { baseUrl: 'http://127.0.0.1/api' },
        { apiKey: 'sk_x', timeouts: { headersMs: -1 } },
      ),
    );
    refusal(() => createCrossmintClient({ env: 'dev' } as unknown as { env: 'staging' }, { apiKey: 'sk_x' }));
  });

  it('accepts any sk_ key against a custom base URL such as the local sandbox', async () => {
    for (const apiKey of ['sk_staging_a', 'sk_production_b', 'sk_local']) {
      const client = createCrossmintClient({ baseUrl: 'http://127.0.0.1:9/api/' }, { apiKey });
      expect(client.baseUrl).toBe('http://127.0.0.1:9/api');
      await client.close();
    }
  });

  it('accepts matching keys for the Crossmint environments', async () => {
    const staging = createCrossmintClient({ env: 'staging' }, { apiKey: 'sk_staging_a' });
    const production = createCrossmintClient({ env: 'production' }, { apiKey: 'sk_production_a' });
    expect(staging.baseUrl).toBe(CROSSMINT_BASE_URLS.staging);
    expect(production.baseUrl).toBe(CROSSMINT_BASE_URLS.production);
    await Promise.all([staging.close(), production.close(), staging.close()]);
  });

  it('keeps the User-Agent version equal to package.json', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(CLIENT_VERSION).toBe(pkg.version);
  });
});
