/** Token credentials for tests: fixed tokens, counting calls (the lab's own identity endpoints issue real-looking ones). */
import { testToken } from '../../src/lab/graph-server.js';

/** A TokenCredential for tests: a fixed token, counting calls. */
export class TestTokenCredential {
  calls = 0;
  constructor(readonly token = 'test-arm-token') {}
  getToken(): Promise<{ token: string; expiresOnTimestamp: number }> {
    this.calls++;
    return Promise.resolve({ token: this.token, expiresOnTimestamp: Date.now() + 3600_000 });
  }
}

/** A TokenCredential issuing test tokens; counts calls. */
export function testCredential(claims: Record<string, unknown>) {
  const c = {
    calls: 0,
    getToken: () => {
      c.calls++;
      return Promise.resolve({ token: testToken(claims), expiresOnTimestamp: Date.now() + 3_600_000 });
    },
  };
  return c;
}
