// Engine benchmark (issue 4): the engine's cost per transaction over 10,000 pending orders with the
// sandbox gateway and PURCHASE_DELAY_MS=0, events included, beside the floor: the same SQLite
// commits done directly with better-sqlite3 prepared statements. Prints figures; asserts nothing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { systemClock } from '../src/clock.js';
import { openDatabase } from '../src/db/open.js';
import { createCredentialCipher, generateCredentialKey } from '../src/domain/credential-cipher.js';
import { createAutoPurchase } from '../src/engine/auto-purchase.js';
import { runSnapshot } from '../src/stores/run-events.js';
import { createSandboxGateway } from '../src/gateway/sandbox.js';
import { createLogger } from '../src/logger.js';
import { upsertAccountByUser } from '../src/stores/accounts.js';
import { write } from '../src/db/write.js';

const orders = Number(process.env.BENCH_ORDERS ?? 10_000);

function seedOrders(sqlite: import('better-sqlite3').Database, count: number) {
  const insert = sqlite.prepare(
    "insert into transactions (invoice_id, gamepass_id, gamepass_name, gamepass_price, gamepass_seller_id, status, created_at, updated_at) values (?, ?, ?, ?, ?, 'pending', ?, ?)",
  );
  const now = Date.now() - count;
  sqlite.transaction(() => {
    for (let i = 0; i < count; i++) insert.run(`BENCH-${i}`, i + 1, `Pass ${i}`, 10, 77, now + i, now + i);
  })();
}

async function engineRun() {
  const dir = mkdtempSync(join(tmpdir(), 'autopurchase-bench-'));
  const database = openDatabase(join(dir, 'bench.db'));
  try {
    seedOrders(database.sqlite, orders);
    const cipher = await createCredentialCipher(generateCredentialKey());
    const gateway = createSandboxGateway();
    const credential = `sandbox:bench:${orders * 10}`;
    const verified = await gateway.verifyAccount(credential);
    if (!verified.ok) throw new Error('sandbox refused the bench account');
    const now = Date.now();
    const credentialEnc = await cipher.encrypt(credential);
    // Through a transaction, as every write: a failed commit throws here instead of being lost.
    write(database.db, (tx) =>
      upsertAccountByUser(tx, {
        id: 'bench-account',
        userId: verified.userId,
        username: verified.username,
        displayName: verified.displayName,
        robux: verified.robux,
        status: 'active',
        credentialEnc,
        lastChecked: now,
        createdAt: now,
        updatedAt: now,
      }),
    );
    const engine = createAutoPurchase({
      db: database.db,
      gateway,
      cipher,
      clock: systemClock,
      logger: createLogger('warn'),
      options: { purchaseDelayMs: 0, gatewayTimeoutMs: 15_000, gatewayMaxAttempts: 4 },
    });
    const loop = monitorEventLoopDelay({ resolution: 1 });
    loop.enable();
    const started = performance.now();
    const { sessionId } = engine.trigger();
    await engine.idle();
    const elapsed = performance.now() - started;
    loop.disable();
    const snapshot = runSnapshot(database.db, sessionId)!.snapshot;
    if (snapshot.summary.processedCount !== orders) throw new Error(`bought ${snapshot.summary.processedCount} of ${orders}`);
    const events = database.sqlite.prepare('select count(*) as n from run_events').get() as { n: number };
    return { elapsed, events: events.n, loopP99: loop.percentile(99) / 1e6, loopMax: loop.max / 1e6 };
  } finally {
    database.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The floor: the same two commits per order that the engine makes (claim + reservation + attempt +
 * three events; outcome + two events, each event also updating its run row, the lease renewed in
 * both), straight through better-sqlite3 prepared statements, with no engine around them.
 */
function floorRun() {
  const dir = mkdtempSync(join(tmpdir(), 'autopurchase-bench-'));
  const database = openDatabase(join(dir, 'floor.db'));
  const { sqlite } = database;
  try {
    seedOrders(sqlite, orders);
    const now = Date.now();
    sqlite.prepare("insert into stock_accounts values ('a', 1, 'bench', 'Bench', ?, 'active', 'x', ?, ?, ?)").run(orders * 10, now, now, now);
    sqlite.prepare("insert into runs (session_id, status, current_step, start_time, created_at) values ('s', 'running', '', ?, ?)").run(now, now);
    sqlite.prepare("insert into run_lease (id, session_id, holder, expires_at) values (1, 's', 'me', ?)").run(now + 30_000);
    sqlite.prepare("insert into run_accounts values ('s', 0, 'a', 'bench', ?, 'active')").run(orders * 10);
    const rows = sqlite.prepare("select id, invoice_id from transactions where status = 'pending' order by created_at, id").all() as { id: number; invoice_id: string }[];
    const insertRunRow = sqlite.prepare("insert into run_transactions values ('s', ?, ?, 'x', 10, 'pending', null, null, ?)");
    sqlite.transaction(() => rows.forEach((row, i) => insertRunRow.run(i, row.invoice_id, now)))();
    const renew = sqlite.prepare("update run_lease set expires_at = ? where id = 1 and holder = 'me' and session_id = 's' returning id");
    const accounts = sqlite.prepare('select id, username, robux, status, created_at, credential_enc from stock_accounts order by created_at, id');
    const claim = sqlite.prepare("update transactions set status = 'processing', updated_at = ? where id = ? and status = 'pending' returning id");
    const reserve = sqlite.prepare("update stock_accounts set robux = robux - 10, updated_at = ? where id = 'a' and status = 'active' and robux >= 10 returning robux");
    const attempt = sqlite.prepare("insert into purchase_attempts (idempotency_key, transaction_id, account_id, account_username, price, outcome, created_at, updated_at) values (?, ?, 'a', 'bench', 10, 'pending', ?, ?)");
    const countAttempt = sqlite.prepare('update transactions set attempts = attempts + 1, updated_at = ? where id = ?');
    const complete = sqlite.prepare("update transactions set status = 'completed', used_account_id = 'a', used_account = 'bench', error = null, completed_at = ?, updated_at = ? where id = ? and status = 'processing' returning id");
    const settle = sqlite.prepare("update purchase_attempts set outcome = 'completed', error = null, updated_at = ? where idempotency_key = ?");
    const lastSeq = sqlite.prepare("select last_seq from runs where session_id = 's'");
    const setLastSeq = sqlite.prepare("update runs set last_seq = ? where session_id = 's'");
    const event = sqlite.prepare("insert into run_events (session_id, seq, type, data, created_at) values ('s', ?, ?, ?, ?)");
    const stepRow = sqlite.prepare("update runs set current_step = ? where session_id = 's'");
    const accountRow = sqlite.prepare("update run_accounts set robux = ?, status = 'active' where session_id = 's' and account_id = 'a'");
    const transactionRow = sqlite.prepare("update run_transactions set status = ?, used_account = 'bench', error = null, timestamp = ? where session_id = 's' and invoice_id = ?");
    const summaryRow = sqlite.prepare("update runs set total_transactions = ?, processed_count = ?, skipped_count = 0, failed_count = 0, unknown_count = 0 where session_id = 's'");
    let processed = 0;
    const started = performance.now();
    for (const [i, row] of rows.entries()) {
      sqlite.transaction(() => {
        renew.get(now + 30_000);
        accounts.all();
        claim.get(now, row.id);
        const robux = (reserve.get(now) as { robux: number }).robux;
        attempt.run(`k-${row.id}`, row.id, now, now);
        countAttempt.run(now, row.id);
        let seq = (lastSeq.get() as { last_seq: number }).last_seq;
        stepRow.run(`Processing transaction ${i + 1}/${rows.length}: ${row.invoice_id}`);
        event.run(++seq, 'step', JSON.stringify({ currentStep: `Processing transaction ${i + 1}/${rows.length}: ${row.invoice_id}` }), now);
        accountRow.run(robux);
        event.run(++seq, 'account', JSON.stringify({ id: 'a', robux, status: 'active' }), now);
        transactionRow.run('processing', now, row.invoice_id);
        event.run(++seq, 'transaction', JSON.stringify({ invoiceId: row.invoice_id, status: 'processing', usedAccount: 'bench', timestamp: new Date(now).toISOString() }), now);
        setLastSeq.run(seq);
      }).immediate();
      sqlite.transaction(() => {
        renew.get(now + 30_000);
        settle.run(now, `k-${row.id}`);
        complete.get(now, now, row.id);
        let seq = (lastSeq.get() as { last_seq: number }).last_seq;
        transactionRow.run('completed', now, row.invoice_id);
        event.run(++seq, 'transaction', JSON.stringify({ invoiceId: row.invoice_id, status: 'completed', usedAccount: 'bench', timestamp: new Date(now).toISOString() }), now);
        processed++;
        summaryRow.run(rows.length, processed);
        event.run(++seq, 'summary', JSON.stringify({ totalTransactions: rows.length, processedCount: processed, skippedCount: 0, failedCount: 0, unknownCount: 0 }), now);
        setLastSeq.run(seq);
      }).immediate();
    }
    return { elapsed: performance.now() - started };
  } finally {
    database.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchEngine() {
  const floor = floorRun();
  const engine = await engineRun();
  const perOrder = (ms: number) => (ms * 1000) / orders;
  const figures = {
    orders,
    engineMs: Math.round(engine.elapsed),
    engineUsPerOrder: Math.round(perOrder(engine.elapsed)),
    floorUsPerOrder: Math.round(perOrder(floor.elapsed)),
    ratioToFloor: Math.round((engine.elapsed / floor.elapsed) * 100) / 100,
    eventsStored: engine.events,
    eventLoopDelayP99Ms: Math.round(engine.loopP99 * 10) / 10,
    eventLoopDelayMaxMs: Math.round(engine.loopMax * 10) / 10,
  };
  console.log('engine: 10,000 pending orders, sandbox gateway, PURCHASE_DELAY_MS=0');
  console.table(figures);
  return figures;
}

if (import.meta.url === `file://${process.argv[1]}`) await benchEngine();
