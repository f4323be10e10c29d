// How many bound parameters one SQL statement may carry: SQLite's default (32,766) under
// better-sqlite3; a Durable Object's SQLite allows 100. Multi-row inserts and id lists are cut to
// fit. One setting per isolate: the edge entry lowers it before any query runs.
export const nodeSqlVariableLimit = 32_766;
export const durableObjectSqlVariableLimit = 100;

let limit = nodeSqlVariableLimit;

export function setSqlVariableLimit(max: number): void {
  limit = max;
}

export function sqlVariableLimit(): number {
  return limit;
}

/** Rows of `columns` bound values each that one INSERT may carry, at most `most`. */
export function rowsPerStatement(columns: number, most: number): number {
  return Math.max(1, Math.min(most, Math.floor((limit - 1) / columns)));
}
