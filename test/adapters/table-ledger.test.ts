/** The step ledger against Azurite, and `once` on top of it. */
import { beforeAll, describe, expect, it } from 'vitest';
import { once } from '../../src/activities/once.js';
import { createTableClient } from '../../src/adapters/storage.js';
import { TableStepLedger, tableKey } from '../../src/adapters/table-ledger.js';
import { uniqueHubName } from '../harness/devhost.js';
import { useAzurite } from '../harness/product-host.js';

const azurite = useAzurite();
let ledger: TableStepLedger;

beforeAll(() => {
  ledger = new TableStepLedger(createTableClient(azurite.storage, uniqueHubName('Ledger')));
});

describe('TableStepLedger', () => {
  it('escapes characters Table keys cannot hold', () => {
    expect(tableKey('contain/flag#1?x')).toBe('contain%2fflag%231%3fx');
  });

  it('claims a step once and records its outcome once (first writer wins)', async () => {
    const key = { incidentId: 'inc-1', step: 'contain/flag/EnableLegacyHttpSse' };
    expect(await ledger.start(key, '2026-01-01T00:00:00Z')).toEqual({ fresh: true });
    const again = await ledger.start(key, '2026-01-01T00:00:01Z');
    expect(again).toMatchObject({ fresh: false, existing: { state: 'started', attempt: 1 } });
    expect(await ledger.finish(key, { changed: true }, '2026-01-01T00:00:02Z')).toEqual({ changed: true });
    expect(await ledger.finish(key, { changed: false }, '2026-01-01T00:00:03Z')).toEqual({ changed: true });
    expect(await ledger.get(key)).toMatchObject({ state: 'done', outcome: { changed: true }, attempt: 2 });
  });

  it('lets exactly one of many concurrent callers act', async () => {
    let acted = 0;
    const key = { incidentId: 'inc-2', step: 'swap/api' };
    const results = await Promise.all(
      Array.from({ length: 8 }, () =>
        once({
          ledger,
          key,
          now: '2026-01-01T00:00:00Z',
          act: async () => {
            acted++;
            await new Promise((r) => setTimeout(r, 50));
            return 'swapped';
          },
          reconcile: () => Promise.resolve(acted > 0 ? 'swapped' : undefined),
        }),
      ),
    );
    expect(acted).toBe(1);
    expect(results.every((r) => r.outcome === 'swapped')).toBe(true);
    expect(results.filter((r) => r.acted)).toHaveLength(1);
  });

  it('reconciles an interrupted attempt instead of acting again', async () => {
    const key = { incidentId: 'inc-3', step: 'post/declared' };
    await ledger.start(key, '2026-01-01T00:00:00Z'); // an attempt that crashed before finishing
    let acted = false;
    const result = await once({
      ledger,
      key,
      now: '2026-01-01T00:01:00Z',
      act: () => {
        acted = true;
        return Promise.resolve('posted twice');
      },
      reconcile: () => Promise.resolve('found the first post'),
    });
    expect(acted).toBe(false);
    expect(result).toEqual({ outcome: 'found the first post', acted: false });
  });
});
