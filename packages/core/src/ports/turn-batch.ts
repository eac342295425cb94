interface Asked<K, V> {
  key: K;
  resolve: (value: V) => void;
  reject: (error: unknown) => void;
}

/**
 * Reads asked for in one turn of the event loop, answered by one read: a claim starts its
 * onboardings together and each asks for its record at once, so a store answers them with one
 * read transaction (SQLite, where every statement outside one pays for its own locking) or one
 * query (PostgreSQL, one round trip). For store adapters.
 *
 * `readMany` gets every key asked for since the last read, in order, and returns a row per key
 * (or rejects, which fails them all); `open` makes each row the answer, and throwing there fails
 * only that key's ask.
 */
export class TurnBatch<K, R, V> {
  #asked: Asked<K, V>[] = [];

  constructor(
    private readonly readMany: (keys: readonly K[]) => readonly R[] | Promise<readonly R[]>,
    private readonly open: (key: K, row: R) => V,
  ) {}

  /** Answers `key` with the read of everything asked for in this turn. */
  ask(key: K): Promise<V> {
    return new Promise((resolve, reject) => {
      if (this.#asked.push({ key, resolve, reject }) === 1) queueMicrotask(() => void this.flush());
    });
  }

  /** Reads what was asked for now rather than at the end of the turn (before a store closes). */
  flush(): void | Promise<void> {
    const asked = this.#asked;
    if (asked.length === 0) return;
    this.#asked = [];
    let rows: readonly R[] | Promise<readonly R[]>;
    try {
      rows = this.readMany(asked.map((a) => a.key));
    } catch (error) {
      for (const a of asked) a.reject(error);
      return;
    }
    if (!(rows instanceof Promise)) return this.answer(asked, rows);
    return rows.then(
      (read) => this.answer(asked, read),
      (error: unknown) => {
        for (const a of asked) a.reject(error);
      },
    );
  }

  private answer(asked: readonly Asked<K, V>[], rows: readonly R[]): void {
    asked.forEach((a, i) => {
      try {
        a.resolve(this.open(a.key, rows[i] as R));
      } catch (error) {
        a.reject(error);
      }
    });
  }
}
