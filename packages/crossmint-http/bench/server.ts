// The server side of the benchmark, run in its own process so that it does not share the client's
// event loop: `minimal` answers the eligibility JSON, `sandbox` is the in-process Crossmint sandbox.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const mode = process.argv[2] ?? 'minimal';

const ELIGIBILITY = JSON.stringify({
  eligibility: [
    { type: 'onramp', status: 'verified' },
    { type: 'onramp-light', status: 'verified' },
    { type: 'offramp', status: 'verified' },
    { type: 'regulated-transfer', status: 'verified' },
  ],
});

if (mode === 'sandbox') {
  const { createSandbox } = await import('@kyc-handoff/sandbox');
  const sandbox = createSandbox({ verifyAfterPolls: 1, writesPerMin: 0, readsPerMin: 0 });
  const { url } = await sandbox.listen({ port: 0, host: '127.0.0.1' });
  console.log(`listening ${url}`);
} else {
  const server = createServer((req, res) => {
    req.resume();
    res.writeHead(200, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(ELIGIBILITY),
    });
    res.end(ELIGIBILITY);
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => {
    console.log(`listening http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  });
}
