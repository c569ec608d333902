/**
 * A better-sqlite3 handle that hands Kysely the same prepared `Statement` for the same SQL text.
 * Kysely's SQLite driver prepares every query afresh; parsing and planning a statement costs more
 * than running it for the point lookups and list pages the API serves. Kysely serialises queries on
 * its single SQLite connection, so a cached statement is never run twice at once.
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

/** Bounded so that ad-hoc SQL (filters combined differently) cannot grow memory without limit. */
export const STATEMENT_CACHE_SIZE = 200;

export class CachingSqliteDatabase implements SqliteDatabase {
  // A Map keeps insertion order: re-inserting on a hit makes the first key the least recently used.
  private readonly statements = new Map<string, SqliteStatement>();
  // Separate from Kysely's: `raw(true)` changes a statement's result shape for every later run.
  private readonly rawStatements = new Map<string, BetterSqlite3.Statement>();

  constructor(
    private readonly sqlite: BetterSqlite3.Database,
    private readonly capacity = STATEMENT_CACHE_SIZE,
  ) {}

  prepare(sql: string): SqliteStatement {
    const hit = this.statements.get(sql);
    if (hit) {
      this.statements.delete(sql);
      this.statements.set(sql, hit);
      return hit;
    }
    const stmt = this.sqlite.prepare(sql) as unknown as SqliteStatement;
    // Schema changes (migrations) run DDL once; caching them would only evict useful entries.
    if (stmt.reader || /^\s*(insert|update|delete|select|with)\b/i.test(sql)) {
      this.statements.set(sql, stmt);
      if (this.statements.size > this.capacity) this.statements.delete(this.statements.keys().next().value as string);
    }
    return stmt;
  }

  /**
   * Rows as arrays in column order: building one object per row (a property per column) is most of
   * the cost of reading a page of rows. Callers must hold Kysely's connection (see `RawRows`).
   */
  rawAll(sql: string, parameters: readonly unknown[]): unknown[][] {
    let stmt = this.rawStatements.get(sql);
    if (!stmt) {
      stmt = this.sqlite.prepare(sql).raw(true);
      this.rawStatements.set(sql, stmt);
      if (this.rawStatements.size > this.capacity) this.rawStatements.delete(this.rawStatements.keys().next().value as string);
    }
    return stmt.all(...parameters) as unknown[][];
  }

  get size(): number {
    return this.statements.size;
  }

  close(): void {
    this.statements.clear();
    this.rawStatements.clear();
    this.sqlite.close();
  }
}
