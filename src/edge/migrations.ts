// The migrations folder as the durable-sqlite migrator takes it: the journal and each SQL file by
// its index. The bundler (scripts/build-edge.ts) inlines the files: text for .sql, JSON for the journal.
import journal from '../../migrations/meta/_journal.json' with { type: 'json' };
import m0000 from '../../migrations/0000_foundation.sql';
import m0001 from '../../migrations/0001_runs.sql';
import m0002 from '../../migrations/0002_rerun.sql';
import m0003 from '../../migrations/0003_access.sql';
import m0004 from '../../migrations/0004_webhook_outbox.sql';
import m0005 from '../../migrations/0005_api_tokens.sql';

export const bundledMigrations = { journal, migrations: { m0000, m0001, m0002, m0003, m0004, m0005 } };
