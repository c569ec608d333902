/**
 * A query built and compiled once, then run with new values. For the point lookups every API
 * request makes (its token, a call page), Kysely's building and compiling cost several times what
 * SQLite spends running the statement. The query's shape must not depend on the values: build one
 * `Prepared` per shape (e.g. per combination of filters).
 */
import type { Compilable, CompiledQuery, Kysely } from 'kysely';
import type { DB } from './schema.js';

// A value no caller passes: the builder places it where the named argument goes.
const marker = (name: string): string => `\u0000prepared:${name}\u0000`;

export class Prepared<A extends Record<string, unknown>, R> {
  private compiled?: CompiledQuery<R>;
  /** Per compiled parameter: the argument it takes, or undefined for a constant of the query. */
  private slots: (keyof A | undefined)[] = [];

  constructor(
    private readonly db: Kysely<DB>,
    private readonly build: (args: A) => Compilable<R>,
    private readonly names: readonly (keyof A & string)[],
  ) {}

  /** The compiled query with these values, for `Kysely.executeQuery` or a raw reader. */
  bind(args: A): CompiledQuery<R> {
    if (!this.compiled) {
      const markers = Object.fromEntries(this.names.map((n) => [n, marker(n)])) as unknown as A;
      const compiled = this.build(markers).compile();
      const byMarker = new Map(this.names.map((n) => [marker(n), n]));
      this.slots = compiled.parameters.map((p) => (typeof p === 'string' ? byMarker.get(p) : undefined));
      for (const n of this.names)
        if (!this.slots.includes(n)) throw new Error(`prepared query: argument ${n} is not a parameter of the query`);
      this.compiled = compiled;
    }
    const c = this.compiled;
    return { ...c, parameters: this.slots.map((s, i) => (s === undefined ? c.parameters[i] : args[s])) };
  }

  async execute(args: A): Promise<R[]> {
    return (await this.db.executeQuery(this.bind(args))).rows;
  }
}
