import type { ColumnType, Generated, GeneratedAlways, JSONColumnType } from "kysely"

/**
 * The tables of DESIGN §3 as Kysely sees them. Column values are what the
 * drivers hand back: `pg` returns int8 as a string and PGlite as a number, so
 * positions are always selected as text and parsed by the stores.
 */
/**
 * Log positions are `transaction id × this + ordinal` (migration 0005), so
 * they ascend in the order rows become readable; one statement writes at
 * most this many rows of one log.
 */
export const POSITIONS_PER_TRANSACTION = 1024

export interface EventsTable {
  readonly global_position: Generated<string>
  readonly stream_id: string
  readonly stream_version: number
  readonly org_id: string
  readonly type: string
  readonly data: JSONColumnType<Record<string, unknown>, string, string>
  readonly metadata: JSONColumnType<Record<string, unknown>, string, string>
  readonly occurred_at: ColumnType<Date, Date | undefined, Date>
  readonly transaction_id: Generated<string>
}

export interface SessionsTable {
  readonly session_id: string
  readonly org_id: string
  readonly name: string
  readonly status: string
  readonly phone_number: string | null
  readonly wa_jid: string | null
  readonly wa_lid: string | null
  readonly push_name: string | null
  readonly created_at: Date
  readonly updated_at: Date
  readonly version: number
}

export interface SessionOwnersTable {
  readonly session_id: string
  readonly epoch: number
  readonly runner: string
  readonly acquired_at: Date
}

export interface WaAuthTable {
  readonly session_id: string
  readonly category: string
  readonly key_id: string
  readonly value: ColumnType<unknown, string, string>
}

export interface ApiKeysTable {
  readonly id: string
  readonly org_id: string
  readonly key_hash: string
  readonly capabilities: ReadonlyArray<string>
  readonly label: string | null
  readonly created_at: Date
  readonly last_used_at: Date | null
  readonly revoked_at: Date | null
}

export interface ConnectionEventsTable {
  readonly position: Generated<string>
  readonly session_id: string
  readonly org_id: string
  readonly type: string
  readonly cause: string | null
  readonly will_reconnect: boolean | null
  readonly status: string
  readonly occurred_at: Date
  readonly transaction_id: Generated<string>
}

export interface WebhooksTable {
  readonly webhook_id: string
  readonly org_id: string
  readonly url: string
  readonly events: ReadonlyArray<string>
  readonly session_ids: ReadonlyArray<string> | null
  readonly description: string | null
  readonly enabled: boolean
  readonly secret: string
  readonly previous_secret: string | null
  readonly previous_secret_expires_at: Date | null
  readonly log_checkpoint: ColumnType<string, string, string>
  readonly connection_checkpoint: ColumnType<string, string, string>
  readonly created_at: Date
  readonly updated_at: Date
}

export interface WebhookDeliveriesTable {
  readonly sequence: GeneratedAlways<string>
  readonly delivery_id: string
  readonly webhook_id: string
  readonly message_id: string
  readonly event_type: string
  readonly lane: string
  readonly position: string | null
  readonly connection_position: string | null
  readonly session_status: string | null
  readonly connected: boolean | null
  readonly status: string
  readonly attempts: number
  readonly last_status_code: number | null
  readonly last_error: string | null
  readonly next_attempt_at: Date
  readonly lease_token: string | null
  readonly created_at: Date
  readonly updated_at: Date
}

export interface WebhookReplaysTable {
  readonly replay_id: string
  readonly webhook_id: string
  readonly after_position: string
  readonly until_position: string
  readonly created_at: Date
}

export interface Database {
  readonly events: EventsTable
  readonly sessions: SessionsTable
  readonly wa_auth: WaAuthTable
  readonly session_owners: SessionOwnersTable
  readonly api_keys: ApiKeysTable
  readonly connection_events: ConnectionEventsTable
  readonly webhooks: WebhooksTable
  readonly webhook_deliveries: WebhookDeliveriesTable
  readonly webhook_replays: WebhookReplaysTable
}

/** The unique (stream_id, stream_version) constraint; a violation of it is a version conflict. */
export const STREAM_VERSION_CONSTRAINT = "events_stream_version_unique"
