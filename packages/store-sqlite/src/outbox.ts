import {
  type ClaimedOutboxEvent,
  type ClaimOptions,
  type OutboxPayload,
  type OutboxSettlement,
  type OutboxStats,
  type OutboxStatus,
  outboxEventNumber,
} from '@kyc-handoff/core';
import type Database from 'better-sqlite3';
import { OUTBOX_SQL } from './statements.js';

interface EventRow {
  id: number;
  user_id: string;
  seq: number;
  type: string;
  payload: string;
  created_at: number;
  attempts: number;
}

function toEvent(r: EventRow): ClaimedOutboxEvent {
  return {
    ...(JSON.parse(r.payload) as OutboxPayload),
    id: `evt_${r.id}`,
    seq: r.seq,
    createdAt: r.created_at,
    attempts: r.attempts,
  };
}

export interface PreparedOutbox {
  write(userId: string, payloads: readonly OutboxPayload[], now: number, first?: boolean): void;
  claim: Database.Transaction<(options: ClaimOptions) => ClaimedOutboxEvent[]>;
  settle: Database.Transaction<(settlements: readonly OutboxSettlement[]) => void>;
  stats(): OutboxStats;
  replay: Database.Transaction<(options: { since: number; now: number }) => number>;
  next(): number | null;
}

/**
 * The outbox's statements, prepared once. `write` runs inside the caller's transaction (a submit's
 * or a commit's), so an event exists exactly when its transition does; the others are transactions
 * of their own, to be run IMMEDIATE.
 */
export function prepareOutbox(db: Database.Database): PreparedOutbox {
  const q = {
    insertFirst: db.prepare(OUTBOX_SQL.insertFirst),
    insertNext: db.prepare(OUTBOX_SQL.insertNext),
    claim: db.prepare<{ now: number; limit: number }, EventRow>(OUTBOX_SQL.claim),
    lease: db.prepare<[string, number, number]>(OUTBOX_SQL.lease),
    delivered: db.prepare(OUTBOX_SQL.delivered),
    retry: db.prepare(OUTBOX_SQL.retry),
    giveUp: db.prepare(OUTBOX_SQL.giveUp),
    countsByStatus: db.prepare<[], { status: OutboxStatus; n: number }>(OUTBOX_SQL.countsByStatus),
    oldestPending: db.prepare<[], number | null>(OUTBOX_SQL.oldestPending).pluck(),
    replay: db.prepare(OUTBOX_SQL.replay),
    next: db.prepare<[], number | null>(OUTBOX_SQL.next).pluck(),
  };

  return {
    /**
     * Appends `payloads` as the user's next events, in order; inside the caller's transaction.
     * `first`: the onboarding was created in this transaction, so they are its first.
     */
    write(userId: string, payloads: readonly OutboxPayload[], now: number, first = false): void {
      payloads.forEach((payload, i) => {
        const insert = first && i === 0 ? q.insertFirst : q.insertNext;
        insert.run({ userId, type: payload.type, payload: JSON.stringify(payload), now });
      });
    },

    claim: db.transaction(({ now, limit, owner, leaseMs }: ClaimOptions): ClaimedOutboxEvent[] => {
      const n = Math.max(0, Math.trunc(limit));
      if (n === 0) return [];
      const rows = q.claim.all({ now, limit: n });
      for (const r of rows) q.lease.run(owner, now + leaseMs, r.id);
      return rows.map(toEvent);
    }),

    settle: db.transaction((settlements: readonly OutboxSettlement[]): void => {
      for (const s of settlements) {
        const id = outboxEventNumber(s.id);
        if (s.delivered) q.delivered.run({ id, now: s.now });
        else if (s.retryAt === null) q.giveUp.run({ id, error: s.error });
        else q.retry.run({ id, error: s.error, retryAt: s.retryAt });
      }
    }),

    stats(): OutboxStats {
      const stats: OutboxStats = { pending: 0, failed: 0, delivered: 0, oldestPendingAt: null };
      for (const { status, n } of q.countsByStatus.all()) stats[status] = n;
      stats.oldestPendingAt = stats.pending === 0 ? null : (q.oldestPending.get() ?? null);
      return stats;
    },

    replay: db.transaction(({ since, now }: { since: number; now: number }): number =>
      Number(q.replay.run({ since, now }).changes),
    ),

    next(): number | null {
      return q.next.get() ?? null;
    },
  };
}
