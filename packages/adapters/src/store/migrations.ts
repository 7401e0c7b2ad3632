import { type Kysely, type Migration, type MigrationResultSet, Migrator, sql } from "kysely"
import { POSITIONS_PER_TRANSACTION, STREAM_VERSION_CONSTRAINT } from "./schema.js"

// Migrations live in code (not files on disk) so a bundled or embedded
// gateway migrates the same way as the repository. Never edit a shipped one;
// append a new entry instead.
const migrations: Record<string, Migration> = {
  "0001_event_store": {
    up: async (db) => {
      await db.schema
        .createTable("events")
        .addColumn("global_position", "bigint", (c) => c.generatedAlwaysAsIdentity().primaryKey())
        .addColumn("stream_id", "text", (c) => c.notNull())
        .addColumn("stream_version", "integer", (c) => c.notNull())
        .addColumn("org_id", "text", (c) => c.notNull())
        .addColumn("type", "text", (c) => c.notNull())
        .addColumn("data", "jsonb", (c) => c.notNull())
        .addColumn("metadata", "jsonb", (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
        .addColumn("occurred_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
        // The writing transaction's id: readAll only returns rows of transactions
        // older than every one still open, so an out-of-order commit is never skipped.
        .addColumn("transaction_id", sql`xid8`, (c) => c.notNull().defaultTo(sql`pg_current_xact_id()`))
        .addUniqueConstraint(STREAM_VERSION_CONSTRAINT, ["stream_id", "stream_version"])
        .execute()

      await db.schema
        .createTable("sessions")
        // "C" collation: ordering by id matches JavaScript's, so every store pages alike.
        .addColumn("session_id", sql`text collate "C"`, (c) => c.primaryKey())
        .addColumn("org_id", "text", (c) => c.notNull())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("phone_number", "text")
        .addColumn("wa_jid", "text")
        .addColumn("wa_lid", "text")
        .addColumn("push_name", "text")
        .addColumn("created_at", "timestamptz", (c) => c.notNull())
        .addColumn("updated_at", "timestamptz", (c) => c.notNull())
        .addColumn("version", "integer", (c) => c.notNull())
        .execute()
      await sql`create index sessions_org_created_idx on sessions (org_id, created_at desc, session_id desc)`.execute(db)
      await sql`create index sessions_status_idx on sessions (status)`.execute(db)

      await db.schema
        .createTable("wa_auth")
        .addColumn("session_id", "text", (c) => c.notNull())
        .addColumn("category", "text", (c) => c.notNull())
        .addColumn("key_id", "text", (c) => c.notNull())
        .addColumn("value", "jsonb", (c) => c.notNull())
        .addPrimaryKeyConstraint("wa_auth_pkey", ["session_id", "category", "key_id"])
        .execute()

      await db.schema
        .createTable("api_keys")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("org_id", "text", (c) => c.notNull())
        .addColumn("key_hash", "text", (c) => c.notNull().unique())
        .addColumn("capabilities", sql`text[]`, (c) => c.notNull())
        .addColumn("label", "text")
        .addColumn("created_at", "timestamptz", (c) => c.notNull())
        .addColumn("last_used_at", "timestamptz")
        .addColumn("revoked_at", "timestamptz")
        .execute()
      await sql`create index api_keys_org_idx on api_keys (org_id, created_at)`.execute(db)
    }
  },
  "0002_auth_state_follows_its_session": {
    up: async (db) => {
      // Auth state lives only as long as its session's head. An auth-state
      // write holds a key-share lock on the head; the cascade removes what it
      // wrote even when an erasure started before it committed (the erasure's
      // own delete cannot see those rows). Rows left from before have no
      // session any more: they are erased here, as the delete should have done.
      await sql`delete from wa_auth w where not exists (select 1 from sessions s where s.session_id = w.session_id)`.execute(db)
      // The same "C" collation as sessions.session_id, so the two compare without a collation conflict.
      await sql`alter table wa_auth alter column session_id type text collate "C"`.execute(db)
      await sql`
        alter table wa_auth add constraint wa_auth_session_fk
        foreign key (session_id) references sessions (session_id) on delete cascade`.execute(db)
    }
  },
  "0003_webhooks": {
    up: async (db) => {
      // Connection changes: a log of their own beside the session log (no
      // stream version to bump, no conflict with a user's command), read with
      // the same xid8 rule.
      await db.schema
        .createTable("connection_events")
        .addColumn("position", "bigint", (c) => c.generatedAlwaysAsIdentity().primaryKey())
        .addColumn("session_id", "text", (c) => c.notNull())
        .addColumn("org_id", "text", (c) => c.notNull())
        .addColumn("type", "text", (c) => c.notNull())
        .addColumn("cause", "text")
        .addColumn("will_reconnect", "boolean")
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("occurred_at", "timestamptz", (c) => c.notNull())
        .addColumn("transaction_id", sql`xid8`, (c) => c.notNull().defaultTo(sql`pg_current_xact_id()`))
        .execute()

      await db.schema
        .createTable("webhooks")
        .addColumn("webhook_id", sql`text collate "C"`, (c) => c.primaryKey())
        .addColumn("org_id", "text", (c) => c.notNull())
        .addColumn("url", "text", (c) => c.notNull())
        .addColumn("events", sql`text[]`, (c) => c.notNull())
        .addColumn("session_ids", sql`text[]`)
        .addColumn("description", "text")
        .addColumn("enabled", "boolean", (c) => c.notNull())
        .addColumn("secret", "text", (c) => c.notNull())
        .addColumn("previous_secret", "text")
        .addColumn("previous_secret_expires_at", "timestamptz")
        // How far the router has turned each log into this subscription's deliveries.
        .addColumn("log_checkpoint", "bigint", (c) => c.notNull())
        .addColumn("connection_checkpoint", "bigint", (c) => c.notNull())
        .addColumn("created_at", "timestamptz", (c) => c.notNull())
        .addColumn("updated_at", "timestamptz", (c) => c.notNull())
        .execute()
      await sql`create index webhooks_org_created_idx on webhooks (org_id, created_at desc, webhook_id desc)`.execute(db)

      await db.schema
        .createTable("webhook_deliveries")
        .addColumn("sequence", "bigint", (c) => c.generatedAlwaysAsIdentity().primaryKey())
        .addColumn("delivery_id", "text", (c) => c.notNull().unique())
        .addColumn("webhook_id", "text", (c) => c.notNull().references("webhooks.webhook_id").onDelete("cascade"))
        .addColumn("message_id", "text", (c) => c.notNull())
        .addColumn("event_type", "text", (c) => c.notNull())
        .addColumn("lane", "text", (c) => c.notNull())
        .addColumn("position", "bigint")
        .addColumn("connection_position", "bigint")
        .addColumn("session_status", "text")
        .addColumn("connected", "boolean")
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("attempts", "integer", (c) => c.notNull())
        .addColumn("last_status_code", "integer")
        .addColumn("last_error", "text")
        .addColumn("next_attempt_at", "timestamptz", (c) => c.notNull())
        // Set while a sender holds the delivery; `next_attempt_at` is then the lease's end.
        .addColumn("lease_token", "text")
        .addColumn("created_at", "timestamptz", (c) => c.notNull())
        .addColumn("updated_at", "timestamptz", (c) => c.notNull())
        .execute()
      // The claim's order: an index scan in it stops at the claim's limit, however many are due.
      await sql`create index webhook_deliveries_due_idx on webhook_deliveries (next_attempt_at, sequence) where status = 'pending'`.execute(db)
      await sql`create index webhook_deliveries_lane_idx on webhook_deliveries (webhook_id, lane, sequence) where status = 'pending'`
        .execute(db)
      await sql`create index webhook_deliveries_list_idx on webhook_deliveries (webhook_id, sequence desc)`.execute(db)

      await db.schema
        .createTable("webhook_replays")
        .addColumn("replay_id", "text", (c) => c.primaryKey())
        .addColumn("webhook_id", "text", (c) => c.notNull().references("webhooks.webhook_id").onDelete("cascade"))
        .addColumn("after_position", "bigint", (c) => c.notNull())
        .addColumn("until_position", "bigint", (c) => c.notNull())
        .addColumn("created_at", "timestamptz", (c) => c.notNull())
        .execute()
    }
  },
  "0004_session_owners": {
    up: async (db) => {
      // The ownership epoch of each session a cluster runner has taken (the
      // fence): every fenced append and auth-state write checks it in its own
      // statement. Gone with the session's head.
      await db.schema
        .createTable("session_owners")
        .addColumn("session_id", sql`text collate "C"`, (c) => c.primaryKey().references("sessions.session_id").onDelete("cascade"))
        .addColumn("epoch", "integer", (c) => c.notNull())
        .addColumn("runner", "text", (c) => c.notNull())
        .addColumn("acquired_at", "timestamptz", (c) => c.notNull())
        .execute()
      // A runner reads a session owned elsewhere as connected from its latest connection change.
      await sql`create index connection_events_session_idx on connection_events (session_id, position desc)`.execute(db)
    }
  },
  "0005_positions_in_commit_order": {
    up: async (db) => {
      // A position from an identity column is taken a moment after the
      // transaction id, so two appends could take them in opposite orders:
      // the older transaction, readable first by the xid8 rule, then held the
      // higher position and a reader that moved past it skipped the lower one
      // for ever. Derived from the transaction id, positions ascend in the
      // order rows become readable: `xid × 1024 + ordinal` (an ordinal per row
      // of one statement), above every position already given out.
      const { rows } = await sql<{ floor: string }>`
        select (greatest(coalesce((select max(global_position) from events), 0),
                         coalesce((select max(position) from connection_events), 0))
                + 1 - pg_current_xact_id()::text::bigint * ${POSITIONS_PER_TRANSACTION})::text as floor`.execute(db)
      const floor = BigInt(rows[0]?.floor ?? "0")
      const offset = floor > 0n ? floor : 0n
      await sql.raw(`
        create function log_position(ordinal integer) returns bigint language sql volatile as
        $$ select pg_current_xact_id()::text::bigint * ${POSITIONS_PER_TRANSACTION} + ${offset} + ordinal $$`).execute(db)
      await sql`alter table events alter column global_position drop identity`.execute(db)
      await sql`alter table events alter column global_position set default log_position(0)`.execute(db)
      await sql`alter table connection_events alter column position drop identity`.execute(db)
      await sql`alter table connection_events alter column position set default log_position(0)`.execute(db)
    }
  }
}

export const migrationNames: ReadonlyArray<string> = Object.keys(migrations)

const migratorOf = <DB>(db: Kysely<DB>, schema: string | undefined) =>
  new Migrator({
    db,
    provider: { getMigrations: () => Promise.resolve(migrations) },
    ...(schema === undefined ? {} : { migrationTableSchema: schema })
  })

/**
 * Brings the schema up to date. `schema` names the PostgreSQL schema that
 * holds the tables (and Kysely's bookkeeping); the connection's search_path
 * must point at it.
 */
export const migrateToLatest = <DB>(db: Kysely<DB>, schema: string | undefined): Promise<MigrationResultSet> =>
  migratorOf(db, schema).migrateToLatest()

/** Brings the schema up to the named migration only: for tests of an upgrade from an older schema. */
export const migrateTo = <DB>(db: Kysely<DB>, schema: string | undefined, name: string): Promise<MigrationResultSet> =>
  migratorOf(db, schema).migrateTo(name)
