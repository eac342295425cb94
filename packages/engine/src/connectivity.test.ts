import type { CrossmintError } from '@kyc-handoff/core';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from './clock.js';
import { ConnectivityWatch, NO_ANSWER_WARNING_MS } from './connectivity.js';
import type { Logger } from './logger.js';

function recorder(): { logger: Logger; warnings: string[] } {
  const warnings: string[] = [];
  const none = () => {};
  return { warnings, logger: { debug: none, info: none, warn: (m) => warnings.push(m), error: none } };
}

const refused: CrossmintError = {
  kind: 'transient',
  message: 'getVerification GET /x: connection refused (ECONNREFUSED); retry later.',
  noAnswer: 'ECONNREFUSED',
};

describe('ConnectivityWatch', () => {
  it('says once, after 30 s of calls without any answer, where it cannot reach and why', () => {
    const clock = new VirtualClock();
    const { logger, warnings } = recorder();
    const watch = new ConnectivityWatch(clock, logger, () => 'http://127.0.0.1:9/api');
    watch.observe(refused);
    clock.advance(NO_ANSWER_WARNING_MS - 1);
    watch.observe(refused);
    expect(warnings).toEqual([]);
    clock.advance(1);
    watch.observe(refused);
    clock.advance(60_000);
    watch.observe(refused);
    expect(warnings).toEqual([
      'no answer from http://127.0.0.1:9/api: ECONNREFUSED; still retrying (check the base URL and the network)',
    ]);
  });

  it('any answer, even an error status, resets the watch and is said once after a warning', () => {
    const clock = new VirtualClock();
    const { logger, warnings } = recorder();
    const watch = new ConnectivityWatch(clock, logger, () => 'http://x/api');
    watch.observe(refused);
    clock.advance(20_000);
    watch.observe({ kind: 'transient', status: 503, message: 'server error' });
    clock.advance(20_000);
    watch.observe(refused);
    expect(warnings).toEqual([]);
    clock.advance(NO_ANSWER_WARNING_MS);
    watch.observe(refused);
    watch.observe(undefined);
    expect(warnings).toEqual([
      expect.stringMatching(/^no answer from http:\/\/x\/api/),
      'Crossmint answers again at http://x/api',
    ]);
  });
});
