import { type ListOptions, listPageSize } from '@kyc-handoff/core';
import type Database from 'better-sqlite3';
import { FEW_CHANGED_ROWS, FEW_CHANGED_SQL, type ListPath, type ListShape, listSql } from './statements.js';

export interface PreparedList<Row> {
  /** The raw rows of one page; the store turns them into OnboardingRows. */
  page(options: ListOptions): Row[];
  /** Which statement a page of `options` runs (undefined: none, it is empty). For tests of plans. */
  shapeOf(options: ListOptions): ListShape | undefined;
}

/**
 * `list` over `db`: picks the index a page walks (see ListPath) and runs the statement of that
 * shape, prepared once per shape.
 */
export function prepareList<Row>(db: Database.Database): PreparedList<Row> {
  const prepared = new Map<string, Database.Statement<Record<string, unknown>, Row>>();
  const statement = (shape: ListShape) => {
    const sql = listSql(shape);
    let s = prepared.get(sql);
    if (s === undefined) {
      s = db.prepare<Record<string, unknown>, Row>(sql);
      prepared.set(sql, s);
    }
    return s;
  };
  const fewChanged = db.prepare<[number], number>(FEW_CHANGED_SQL).pluck();

  const pathOf = (options: ListOptions, states: readonly string[]): ListPath => {
    if (options.changedSince !== undefined && fewChanged.get(options.changedSince)! < FEW_CHANGED_ROWS)
      return 'changed';
    if (states.length > 0) return 'states';
    if (options.outcome !== undefined) return 'outcome';
    return 'all';
  };

  /** The statement a page of `options` runs, or undefined when it can only be empty. */
  const shapeOf = (options: ListOptions): ListShape | undefined => {
    const states = options.states === undefined ? [] : [...new Set<string>(options.states)];
    // Any of no state: nothing (as SQL's IN ()).
    if (listPageSize(options.limit) === 0 || (options.states !== undefined && states.length === 0)) return;
    return {
      path: pathOf(options, states),
      states: states.length,
      after: options.after !== undefined,
      outcome: options.outcome !== undefined,
      changedSince: options.changedSince !== undefined,
    };
  };

  const page = (options: ListOptions): Row[] => {
    const shape = shapeOf(options);
    if (shape === undefined) return [];
    const limit = listPageSize(options.limit);
    const states = options.states === undefined ? [] : [...new Set<string>(options.states)];
    const params: Record<string, unknown> = { limit };
    if (options.after !== undefined) params.after = options.after;
    if (options.outcome !== undefined) params.outcome = options.outcome;
    if (options.changedSince !== undefined) params.changedSince = options.changedSince;
    states.forEach((state, i) => {
      params[`s${i}`] = state;
    });
    return statement(shape).all(params);
  };

  return { page, shapeOf };
}
