/** loadOnce (src/domain/load-once.ts): one load shared by every call; a failed one forgotten. */
import { describe, expect, it } from 'vitest';
import { loadOnce } from '../../src/domain/load-once.js';

describe('loadOnce', () => {
  it('loads once for calls made meanwhile and after, and loads again after a load that failed', async () => {
    let loads = 0;
    const get = loadOnce(() => {
      loads++;
      return loads === 1 ? Promise.reject(new Error('first load fails')) : Promise.resolve(`loaded ${loads}`);
    });
    await expect(get()).rejects.toThrow('first load fails');
    expect(await Promise.all([get(), get(), get()])).toEqual(['loaded 2', 'loaded 2', 'loaded 2']);
    expect(await get()).toBe('loaded 2');
    expect(loads).toBe(2);
  });
});
