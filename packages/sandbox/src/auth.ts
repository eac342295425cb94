const SERVER_KEY = /^sk_\S{8,}$/;

export type AuthResult = { ok: true; apiKey: string } | { ok: false; status: 401 | 403; message: string };

/** Key shape only: the sandbox has no key registry, each distinct server key is its own project. */
export function authenticate(header: string | string[] | undefined): AuthResult {
  const key = Array.isArray(header) ? header[0] : header;
  if (key === undefined || key === '') {
    return { ok: false, status: 401, message: 'X-API-KEY header is required' };
  }
  if (key.startsWith('ck_')) {
    return {
      ok: false,
      status: 403,
      message: 'client API keys (ck_) cannot call the users API: use a server key (sk_)',
    };
  }
  if (!SERVER_KEY.test(key)) {
    return {
      ok: false,
      status: 401,
      message: 'X-API-KEY is not a valid server API key (sk_staging_… or sk_production_…)',
    };
  }
  return { ok: true, apiKey: key };
}
