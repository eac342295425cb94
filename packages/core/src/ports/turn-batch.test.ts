import { describe, expect, it } from 'vitest';
import { TurnBatch } from './turn-batch.js';

/** A batch over a table of rows, recording every read it makes. */
function tableBatch(table: Record<string, string>, options: { async?: boolean; failRead?: boolean } = {}) {
  const reads: string[][] = [];
  const readMany = (keys: readonly string[]) => {
    reads.push([...keys]);
    if (options.failRead) throw new Error('the database is locked');
    const rows = keys.map((k) => table[k]);
    return options.async ? Promise.resolve(rows) : rows;
  };
  const open = (key: string, row: string | undefined) => {
    if (row === 'corrupt') throw new Error(`the row of ${key} cannot be opened`);
    return row === undefined ? undefined : `${key}=${row}`;
  };
  return { batch: new TurnBatch(readMany, open), reads };
}

describe('TurnBatch', () => {
  for (const async of [false, true]) {
    describe(async ? 'with a read that answers later' : 'with a read that answers at once', () => {
      it('asks made in one turn share one read, each answered with its own row, in order', async () => {
        const { batch, reads } = tableBatch({ a: '1', b: '2', c: '3' }, { async });
        const answers = Promise.all(['a', 'b', 'nobody', 'a'].map((k) => batch.ask(k)));
        expect(reads).toEqual([]);
        expect(await answers).toEqual(['a=1', 'b=2', undefined, 'a=1']);
        expect(reads).toEqual([['a', 'b', 'nobody', 'a']]);
        expect(await batch.ask('c')).toBe('c=3');
        expect(reads).toHaveLength(2);
      });

      it('a row that cannot be opened fails only its own ask', async () => {
        const { batch } = tableBatch({ a: '1', b: 'corrupt', c: '3' }, { async });
        const settled = await Promise.allSettled(['a', 'b', 'c'].map((k) => batch.ask(k)));
        expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
        expect((settled[1] as PromiseRejectedResult).reason.message).toBe('the row of b cannot be opened');
      });
    });
  }

  it('a read that fails fails every ask of its turn, and the next turn reads again', async () => {
    const failing = tableBatch({ a: '1' }, { failRead: true });
    const settled = await Promise.allSettled([failing.batch.ask('a'), failing.batch.ask('b')]);
    expect(settled.map((s) => (s as PromiseRejectedResult).reason?.message)).toEqual([
      'the database is locked',
      'the database is locked',
    ]);
    await expect(failing.batch.ask('a')).rejects.toThrow('the database is locked');
    expect(failing.reads).toEqual([['a', 'b'], ['a']]);
  });

  it('flush reads at once what was asked so far; a flush with nothing asked reads nothing', async () => {
    const { batch, reads } = tableBatch({ a: '1' });
    batch.flush();
    expect(reads).toEqual([]);
    const answer = batch.ask('a');
    batch.flush();
    expect(reads).toEqual([['a']]);
    expect(await answer).toBe('a=1');
    // The turn's own read then finds nothing left to read.
    await Promise.resolve();
    expect(reads).toHaveLength(1);
  });
});
