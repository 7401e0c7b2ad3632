import { OrgId, SessionId, type StoreUnavailable } from "@wa-gateway/domain"
import { Effect, Layer, Option, Schema } from "effect"
import { type Kysely, sql, type Transaction } from "kysely"
import { SubscribableEventType } from "../webhooks/event-types.js"
import { DeliveryId, WebhookId } from "../webhooks/webhook-ids.js"
import { decodeConnectionEvent } from "./connection-log-sql.js"
import { decodeStoredEvent } from "./event-codec.js"
import type { Database } from "./schema.js"
import { query, SqlDatabase } from "./sql-database.js"
import {
  type ClaimedDelivery,
  type ClaimedSource,
  type ClaimRequest,
  type Completion,
  type DeliveryRecord,
  type NewDelivery,
  type RoutingTarget,
  type WebhookRecord,
  WebhookStore
} from "./webhook-store.js"

const failure = "the webhook store is unavailable"

const webhookColumns = [
  "webhook_id", "org_id", "url", "events", "session_ids", "description", "enabled",
  "secret", "previous_secret", "previous_secret_expires_at", "created_at", "updated_at"
] as const

const WebhookRow = Schema.Struct({
  webhook_id: WebhookId,
  org_id: OrgId,
  url: Schema.String,
  events: Schema.Array(SubscribableEventType),
  session_ids: Schema.NullOr(Schema.Array(SessionId)),
  description: Schema.NullOr(Schema.String),
  enabled: Schema.Boolean,
  secret: Schema.String,
  previous_secret: Schema.NullOr(Schema.String),
  previous_secret_expires_at: Schema.NullOr(Schema.DateFromSelf),
  created_at: Schema.DateFromSelf,
  updated_at: Schema.DateFromSelf
})

const decodeWebhook = (row: unknown): Effect.Effect<WebhookRecord> =>
  Schema.decodeUnknown(WebhookRow)(row).pipe(
    Effect.map((r): WebhookRecord => ({
      webhookId: r.webhook_id,
      orgId: r.org_id,
      url: r.url,
      events: r.events,
      sessionIds: r.session_ids,
      description: r.description,
      enabled: r.enabled,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
      secrets: {
        current: r.secret,
        previous: r.previous_secret === null || r.previous_secret_expires_at === null
          ? null
          : { secret: r.previous_secret, expiresAt: r.previous_secret_expires_at }
      }
    })),
    Effect.orDieWith((error) => new Error(`a webhooks row does not decode: ${error.message}`))
  )

const TargetRow = Schema.Struct({
  webhook_id: WebhookId,
  org_id: OrgId,
  events: Schema.Array(SubscribableEventType),
  session_ids: Schema.NullOr(Schema.Array(SessionId)),
  enabled: Schema.Boolean,
  log_checkpoint: Schema.BigInt,
  connection_checkpoint: Schema.BigInt
})

const decodeTarget = (row: unknown): Effect.Effect<RoutingTarget> =>
  Schema.decodeUnknown(TargetRow)(row).pipe(
    Effect.map((r): RoutingTarget => ({
      webhookId: r.webhook_id,
      orgId: r.org_id,
      events: r.events,
      sessionIds: r.session_ids,
      enabled: r.enabled,
      logCheckpoint: r.log_checkpoint,
      connectionCheckpoint: r.connection_checkpoint
    })),
    Effect.orDieWith((error) => new Error(`a webhooks row does not decode: ${error.message}`))
  )

const targetColumns = sql`webhook_id, org_id, events, session_ids, enabled,
  log_checkpoint::text as log_checkpoint, connection_checkpoint::text as connection_checkpoint`

const EventTypeColumn = Schema.Union(SubscribableEventType, Schema.Literal("webhook.test"))

const SessionStatusColumn = Schema.Literal("unpaired", "pairing", "paired", "logged_out", "deleted")

const DeliveryRow = Schema.Struct({
  sequence: Schema.BigInt,
  delivery_id: DeliveryId,
  event_type: EventTypeColumn,
  position: Schema.NullOr(Schema.BigInt),
  status: Schema.Literal("pending", "succeeded", "failed"),
  attempts: Schema.Number,
  last_status_code: Schema.NullOr(Schema.Number),
  last_error: Schema.NullOr(Schema.String),
  next_attempt_at: Schema.DateFromSelf,
  created_at: Schema.DateFromSelf,
  updated_at: Schema.DateFromSelf
})

const decodeDelivery = (row: unknown): Effect.Effect<DeliveryRecord> =>
  Schema.decodeUnknown(DeliveryRow)(row).pipe(
    Effect.map((r): DeliveryRecord => ({
      deliveryId: r.delivery_id,
      eventType: r.event_type,
      position: r.position,
      status: r.status,
      attempts: r.attempts,
      lastStatusCode: r.last_status_code,
      lastError: r.last_error,
      nextAttemptAt: r.status === "pending" ? r.next_attempt_at : null,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
      sequence: r.sequence
    })),
    Effect.orDieWith((error) => new Error(`a webhook_deliveries row does not decode: ${error.message}`))
  )

const ClaimedRow = Schema.Struct({
  delivery_id: DeliveryId,
  webhook_id: WebhookId,
  org_id: OrgId,
  url: Schema.String,
  secret: Schema.String,
  previous_secret: Schema.NullOr(Schema.String),
  previous_secret_expires_at: Schema.NullOr(Schema.DateFromSelf),
  message_id: Schema.String,
  event_type: EventTypeColumn,
  attempts: Schema.Number,
  created_at: Schema.DateFromSelf,
  session_status: Schema.NullOr(SessionStatusColumn),
  connected: Schema.NullOr(Schema.Boolean),
  position: Schema.NullOr(Schema.String),
  connection_position: Schema.NullOr(Schema.String)
})

/** The joined event or connection columns of a claimed row, under the names their own decoders read. */
const sourceOf = (row: Record<string, unknown>, claimed: typeof ClaimedRow.Type): Effect.Effect<ClaimedSource | null> => {
  if (claimed.position !== null) {
    if (row["stream_id"] === null || claimed.session_status === null) return Effect.succeed(null)
    return Effect.map(
      decodeStoredEvent({
        position: claimed.position,
        stream_id: row["stream_id"],
        stream_version: row["stream_version"],
        org_id: claimed.org_id,
        type: row["stored_type"],
        data: row["data"],
        occurred_at: row["event_occurred_at"]
      }),
      (event): ClaimedSource => ({ _tag: "Log", event, sessionStatus: claimed.session_status ?? "deleted", connected: claimed.connected ?? false })
    )
  }
  if (claimed.connection_position !== null) {
    if (row["ce_session_id"] === null) return Effect.succeed(null)
    return Effect.map(
      decodeConnectionEvent({
        position: claimed.connection_position,
        session_id: row["ce_session_id"],
        org_id: row["ce_org_id"],
        type: row["ce_type"],
        cause: row["ce_cause"],
        will_reconnect: row["ce_will_reconnect"],
        status: row["ce_status"],
        occurred_at: row["ce_occurred_at"]
      }),
      (event): ClaimedSource => ({ _tag: "Connection", event })
    )
  }
  return Effect.succeed({ _tag: "Test" })
}

const decodeClaimed = (row: Record<string, unknown>): Effect.Effect<ClaimedDelivery | null> =>
  Effect.gen(function* () {
    const r = yield* Schema.decodeUnknown(ClaimedRow)(row).pipe(
      Effect.orDieWith((error) => new Error(`a claimed delivery does not decode: ${error.message}`))
    )
    const source = yield* sourceOf(row, r)
    if (source === null) return null
    return {
      deliveryId: r.delivery_id,
      webhookId: r.webhook_id,
      orgId: r.org_id,
      url: r.url,
      secrets: {
        current: r.secret,
        previous: r.previous_secret === null || r.previous_secret_expires_at === null
          ? null
          : { secret: r.previous_secret, expiresAt: r.previous_secret_expires_at }
      },
      messageId: r.message_id,
      eventType: r.event_type,
      attempts: r.attempts,
      createdAt: r.created_at,
      source
    } satisfies ClaimedDelivery
  })

/** Deliveries as one JSON array parameter, read back with `jsonb_to_recordset` in the given order. */
const deliveriesJson = (deliveries: ReadonlyArray<NewDelivery>): string =>
  JSON.stringify(deliveries.map((d, ord) => ({
    ord,
    delivery_id: d.deliveryId,
    webhook_id: d.webhookId,
    message_id: d.messageId,
    event_type: d.eventType,
    lane: d.lane,
    position: d.source._tag === "Log" ? d.source.position.toString() : null,
    connection_position: d.source._tag === "Connection" ? d.source.position.toString() : null,
    session_status: d.sessionStatus,
    connected: d.connected,
    created_at: d.createdAt.toISOString()
  })))

const deliveryRecordset = (json: string) => sql`
  jsonb_to_recordset(${json}::text::jsonb) as d(
    ord integer, delivery_id text, webhook_id text, message_id text, event_type text, lane text,
    position bigint, connection_position bigint, session_status text, connected boolean, created_at timestamptz)`

const insertDeliveriesColumns = sql`(delivery_id, webhook_id, message_id, event_type, lane, position, connection_position,
  session_status, connected, status, attempts, next_attempt_at, created_at, updated_at)`

const insertedValues = sql`d.delivery_id, d.webhook_id, d.message_id, d.event_type, d.lane, d.position, d.connection_position,
  d.session_status, d.connected, 'pending', 0, d.created_at, d.created_at, d.created_at`

/** Runs `statement` in a transaction of its own with these settings (`set local`: they end with it). */
const withSettings = <A>(
  db: Kysely<Database>,
  settings: Readonly<Record<string, string>>,
  statement: (trx: Transaction<Database>) => Promise<A>
): Promise<A> =>
  db.transaction().execute(async (trx) => {
    await sql`select ${sql.join(Object.entries(settings).map(([name, value]) => sql`set_config(${name}, ${value}, true)`))}`.execute(trx)
    return statement(trx)
  })

/**
 * The claim walks the due index in order and stops at its limit. A queue
 * table's statistics are always stale (a burst of new rows among many
 * finished ones reads as "almost nothing due"), and the planner then takes
 * every due row in a bitmap scan and sorts them (50 ms instead of 5 on
 * 6,000 due rows). Planned for each call's own values (a named statement
 * would otherwise settle on a generic plan), bitmap scans off, no JIT.
 */
const walkTheDueIndex = { enable_bitmapscan: "off", plan_cache_mode: "force_custom_plan", jit: "off" } as const

/**
 * An outcome lost with the last moments of a PostgreSQL crash only means
 * the delivery goes again when its lease ends, which at-least-once allows;
 * so the outcome batches do not wait for the WAL flush (a later synchronous
 * commit, such as the next claim, flushes them with it).
 */
const asynchronousCommit = { synchronous_commit: "off" } as const

/** Outcomes as one JSON array parameter, with the columns each one sets. */
const completionsJson = (completions: ReadonlyArray<Completion>, at: Date): string =>
  JSON.stringify(completions.map(({ deliveryId, leaseToken, outcome }) => ({
    delivery_id: deliveryId,
    lease_token: leaseToken,
    status: outcome._tag === "Succeeded" ? "succeeded" : outcome._tag === "Failed" ? "failed" : "pending",
    next_attempt_at: (outcome._tag === "Retry" ? outcome.nextAttemptAt : at).toISOString(),
    last_status_code: outcome._tag === "Released" ? null : outcome.statusCode,
    last_error: outcome._tag === "Released" || outcome._tag === "Succeeded" ? null : outcome.error,
    released: outcome._tag === "Released",
    disable: outcome._tag === "Failed" && outcome.disableWebhook
  })))

/** What the claiming sender holds of each subscription, as a joinable recordset `h`. */
const heldRecordset = (request: ClaimRequest) => sql`
  jsonb_to_recordset(${JSON.stringify((request.perWebhook?.held ?? []).map((h) => ({ webhook_id: h.webhookId, count: h.count })))}::text::jsonb)
    as h(webhook_id text, count integer)`

/** The position up to which every row is readable (the xid8 rule of DESIGN §3). */
const readableHead = (table: "events" | "connection_events", column: "global_position" | "position") => sql`
  coalesce((select ${sql.ref(column)} from ${sql.table(table)}
            where transaction_id < pg_snapshot_xmin(pg_current_snapshot())
            order by ${sql.ref(column)} desc limit 1), 0)`

const make = (db: Kysely<Database>): typeof WebhookStore.Service => {
  const selectWebhook = (orgId: string, webhookId: string) =>
    db.selectFrom("webhooks").select(webhookColumns).where("webhook_id", "=", webhookId).where("org_id", "=", orgId)

  const optionalWebhook = (row: unknown) =>
    row === undefined ? Effect.succeed(Option.none()) : Effect.map(decodeWebhook(row), Option.some)

  const insertCount = (rows: ReadonlyArray<unknown>) => rows.length

  /** Every outcome in one statement: one commit for a whole batch of attempts. */
  const completeAll = (completions: ReadonlyArray<Completion>, at: Date): Effect.Effect<ReadonlyArray<DeliveryId>, StoreUnavailable> =>
    completions.length === 0
      ? Effect.succeed([])
      : query(() => withSettings(db, asynchronousCommit, (trx) =>
        sql<{ delivery_id: string }>`
          with outcome as (
            select * from jsonb_to_recordset(${completionsJson(completions, at)}::text::jsonb) as o(
              delivery_id text, lease_token text, status text, next_attempt_at timestamptz, last_status_code integer,
              last_error text, released boolean, disable boolean)
          ), done as (
            update webhook_deliveries d set
              status = o.status, lease_token = null, next_attempt_at = o.next_attempt_at,
              -- a released delivery was not sent: its attempt does not count, its last answer stays
              attempts = case when o.released then d.attempts - 1 else d.attempts end,
              last_status_code = case when o.released then d.last_status_code else o.last_status_code end,
              last_error = case when o.released then d.last_error else o.last_error end,
              updated_at = ${at}::timestamptz
            from outcome o
            where d.delivery_id = o.delivery_id and d.lease_token = o.lease_token and d.status = 'pending'
            returning d.delivery_id, d.webhook_id, o.disable
          ), disabled as (
            update webhooks set enabled = false, updated_at = ${at}::timestamptz
            where webhook_id in (select webhook_id from done where disable)
          )
          select delivery_id from done`.execute(trx)), failure).pipe(
        Effect.map((result) => result.rows.map((row) => DeliveryId.make(row.delivery_id)))
      )

  return {
    create: (record) =>
      Effect.asVoid(query(() =>
        sql`
          insert into webhooks (webhook_id, org_id, url, events, session_ids, description, enabled, secret,
                                previous_secret, previous_secret_expires_at, log_checkpoint, connection_checkpoint,
                                created_at, updated_at)
          values (${record.webhookId}, ${record.orgId}, ${record.url}, ${record.events}::text[],
                  ${record.sessionIds}::text[], ${record.description}, ${record.enabled}, ${record.secrets.current},
                  ${record.secrets.previous?.secret ?? null}, ${record.secrets.previous?.expiresAt ?? null}::timestamptz,
                  ${readableHead("events", "global_position")}, ${readableHead("connection_events", "position")},
                  ${record.createdAt}::timestamptz, ${record.updatedAt}::timestamptz)`.execute(db), failure)),
    get: (orgId, webhookId) =>
      query(() => selectWebhook(orgId, webhookId).executeTakeFirst(), failure).pipe(Effect.flatMap(optionalWebhook)),
    list: (request) =>
      query(() => {
        let q = db.selectFrom("webhooks").select(webhookColumns).where("org_id", "=", request.orgId)
        const { after } = request
        if (after !== null) {
          q = q.where(({ eb, refTuple, tuple }) => eb(refTuple("created_at", "webhook_id"), "<", tuple(after.createdAt, after.webhookId)))
        }
        return q.orderBy("created_at", "desc").orderBy("webhook_id", "desc").limit(request.pageSize + 1).execute()
      }, failure).pipe(
        Effect.flatMap((rows) =>
          Effect.map(Effect.forEach(rows.slice(0, request.pageSize), decodeWebhook), (webhooks) => ({
            webhooks,
            hasMore: rows.length > request.pageSize
          })))
      ),
    update: (orgId, webhookId, patch) =>
      query(() =>
        db.updateTable("webhooks").set({
          ...(patch.url === undefined ? {} : { url: patch.url }),
          ...(patch.events === undefined ? {} : { events: patch.events }),
          ...(patch.sessionIds === undefined ? {} : { session_ids: patch.sessionIds }),
          ...(patch.description === undefined ? {} : { description: patch.description }),
          ...(patch.enabled === undefined ? {} : { enabled: patch.enabled }),
          updated_at: patch.updatedAt
        }).where("webhook_id", "=", webhookId).where("org_id", "=", orgId).returning(webhookColumns).executeTakeFirst(), failure).pipe(
        Effect.flatMap(optionalWebhook)
      ),
    remove: (orgId, webhookId) =>
      query(() => db.deleteFrom("webhooks").where("webhook_id", "=", webhookId).where("org_id", "=", orgId).executeTakeFirst(), failure)
        .pipe(Effect.map((result) => result.numDeletedRows > 0n)),
    rotateSecret: (orgId, webhookId, rotation) =>
      query(() =>
        sql`
          update webhooks set previous_secret = secret, previous_secret_expires_at = ${rotation.previousExpiresAt}::timestamptz,
                              secret = ${rotation.secret}, updated_at = ${rotation.at}::timestamptz
          where webhook_id = ${webhookId} and org_id = ${orgId}
          returning ${sql.join(webhookColumns.map((c) => sql.ref(c)))}`.execute(db), failure).pipe(
        Effect.flatMap((result) => optionalWebhook(result.rows[0]))
      ),

    routingTargets: query(() => sql`select ${targetColumns} from webhooks order by webhook_id`.execute(db), failure).pipe(
      Effect.flatMap((result) => Effect.forEach(result.rows, decodeTarget))
    ),
    enqueue: (advances, deliveries) =>
      advances.length === 0
        ? Effect.succeed(0)
        : query(() =>
          sql`
            with advance as (
              select * from jsonb_to_recordset(${JSON.stringify(advances.map((a) => ({
                webhook_id: a.webhookId,
                log_from: a.log?.from.toString() ?? null,
                log_to: a.log?.to.toString() ?? null,
                connection_from: a.connection?.from.toString() ?? null,
                connection_to: a.connection?.to.toString() ?? null
              })))}::text::jsonb) as a(webhook_id text, log_from bigint, log_to bigint, connection_from bigint, connection_to bigint)
            ), moved as (
              update webhooks w set
                log_checkpoint = coalesce(a.log_to, w.log_checkpoint),
                connection_checkpoint = coalesce(a.connection_to, w.connection_checkpoint)
              from advance a
              where w.webhook_id = a.webhook_id
                and (a.log_from is null or w.log_checkpoint = a.log_from)
                and (a.connection_from is null or w.connection_checkpoint = a.connection_from)
              returning w.webhook_id
            )
            insert into webhook_deliveries ${insertDeliveriesColumns}
            select ${insertedValues} from ${deliveryRecordset(deliveriesJson(deliveries))}
            where d.webhook_id in (select webhook_id from moved)
            order by d.ord
            returning 1`.execute(db), failure).pipe(Effect.map((result) => insertCount(result.rows))),
    startReplay: (orgId, webhookId, replay) =>
      query(() =>
        sql`
          insert into webhook_replays (replay_id, webhook_id, after_position, until_position, created_at)
          select ${replay.replayId}, webhook_id, ${(replay.fromPosition - 1n).toString()}::bigint, log_checkpoint, ${replay.at}::timestamptz
          from webhooks where webhook_id = ${webhookId} and org_id = ${orgId}
          returning replay_id`.execute(db), failure).pipe(Effect.map((result) => result.rows.length === 1)),
    replayJobs: query(() =>
      sql`
        select r.replay_id, r.after_position::text as after_position, r.until_position::text as until_position,
               w.webhook_id, w.org_id, w.events, w.session_ids, w.enabled,
               w.log_checkpoint::text as log_checkpoint, w.connection_checkpoint::text as connection_checkpoint
        from webhook_replays r join webhooks w on w.webhook_id = r.webhook_id
        order by r.created_at, r.replay_id`.execute(db), failure).pipe(
      Effect.flatMap((result) =>
        Effect.forEach(result.rows, (row) =>
          Effect.map(
            Effect.all([
              decodeTarget(row),
              Schema.decodeUnknown(Schema.Struct({ replay_id: Schema.String, after_position: Schema.BigInt, until_position: Schema.BigInt }))(row).pipe(
                Effect.orDieWith((error) => new Error(`a webhook_replays row does not decode: ${error.message}`))
              )
            ]),
            ([target, r]) => ({ replayId: r.replay_id, target, afterPosition: r.after_position, untilPosition: r.until_position })
          )))
    ),
    advanceReplay: (step, deliveries) => {
      const moved = step.done
        ? sql`delete from webhook_replays where replay_id = ${step.replayId} and after_position = ${step.from.toString()}::bigint returning replay_id`
        : sql`update webhook_replays set after_position = ${step.to.toString()}::bigint
              where replay_id = ${step.replayId} and after_position = ${step.from.toString()}::bigint returning replay_id`
      return query(() =>
        sql`
          with moved as (${moved})
          insert into webhook_deliveries ${insertDeliveriesColumns}
          select ${insertedValues} from ${deliveryRecordset(deliveriesJson(deliveries))}
          where exists (select 1 from moved)
          order by d.ord
          returning 1`.execute(db), failure).pipe(Effect.map((result) => insertCount(result.rows)))
    },
    enqueueTest: (orgId, delivery) =>
      query(() =>
        sql`
          insert into webhook_deliveries ${insertDeliveriesColumns}
          select ${insertedValues} from ${deliveryRecordset(deliveriesJson([delivery]))}
          where exists (select 1 from webhooks w where w.webhook_id = d.webhook_id and w.org_id = ${orgId})
          returning 1`.execute(db), failure).pipe(Effect.map((result) => result.rows.length === 1)),

    claim: (request) =>
      request.limit <= 0
        ? Effect.succeed([])
        : query(() => withSettings(db, walkTheDueIndex, (trx) =>
          sql<Record<string, unknown>>`
            with candidates as (
              select d.sequence, d.webhook_id, d.next_attempt_at from webhook_deliveries d
              where d.status = 'pending' and d.next_attempt_at <= ${request.now}::timestamptz
                and not (d.webhook_id = any(${request.excluding}::text[]))
                -- conditions, not joins (offset 0 keeps them probes of one row each, whatever the statistics say):
                -- the plan then walks the due index in order and stops at the limit
                and exists (
                  select 1 from webhooks w where w.webhook_id = d.webhook_id and (w.enabled or d.event_type = 'webhook.test') offset 0
                )
                -- one at a time per lane, in order: nothing earlier of the lane is due or in flight
                and not exists (
                  select 1 from webhook_deliveries e
                  where e.webhook_id = d.webhook_id and e.lane = d.lane and e.status = 'pending' and e.sequence < d.sequence
                    and (e.next_attempt_at <= ${request.now}::timestamptz or e.lease_token is not null)
                  offset 0
                )
              order by d.next_attempt_at, d.sequence
              limit ${request.limit}::integer
              for update of d skip locked
            ), ranked as (
              select c.sequence, c.webhook_id, row_number() over (partition by c.webhook_id order by c.next_attempt_at, c.sequence) as n
              from candidates c
            ), allowed as (
              -- each subscription's share, less what this sender holds of it (rows locked but left out unlock at commit)
              select r.sequence from ranked r
              left join ${heldRecordset(request)} on h.webhook_id = r.webhook_id
              where r.n <= ${request.perWebhook?.limit ?? request.limit}::integer - coalesce(h.count, 0)
            ), claimed as (
              update webhook_deliveries d set
                lease_token = ${request.leaseToken}, next_attempt_at = ${request.leaseUntil}::timestamptz,
                attempts = d.attempts + 1, updated_at = ${request.now}::timestamptz
              from allowed a where d.sequence = a.sequence
              returning d.*
            )
            select c.delivery_id, c.webhook_id, w.org_id, w.url, w.secret, w.previous_secret, w.previous_secret_expires_at,
                   c.message_id, c.event_type, c.attempts, c.created_at, c.session_status, c.connected,
                   c.position::text as position, c.connection_position::text as connection_position,
                   e.stream_id, e.stream_version, e.type as stored_type, e.data, e.occurred_at as event_occurred_at,
                   ce.session_id as ce_session_id, ce.org_id as ce_org_id, ce.type as ce_type, ce.cause as ce_cause,
                   ce.will_reconnect as ce_will_reconnect, ce.status as ce_status, ce.occurred_at as ce_occurred_at
            from claimed c
            join webhooks w on w.webhook_id = c.webhook_id
            left join events e on e.global_position = c.position
            left join connection_events ce on ce.position = c.connection_position
            order by c.sequence`.execute(trx)), failure).pipe(
          Effect.flatMap((result) => Effect.forEach(result.rows, decodeClaimed)),
          Effect.map((claimed) => claimed.filter((d): d is ClaimedDelivery => d !== null))
        ),
    complete: (deliveryId, leaseToken, outcome, at) =>
      Effect.map(completeAll([{ deliveryId, leaseToken, outcome }], at), (recorded) => recorded.length === 1),
    completeAll,
    pendingCount: query(() => sql<{ count: string }>`select count(*)::text as count from webhook_deliveries where status = 'pending'`.execute(db), failure)
      .pipe(Effect.map((result) => Number(result.rows[0]?.count ?? "0"))),
    nextDueAt: query(() =>
      sql<{ due: Date | null }>`
        select min(d.next_attempt_at) as due from webhook_deliveries d join webhooks w on w.webhook_id = d.webhook_id
        where d.status = 'pending' and (w.enabled or d.event_type = 'webhook.test')`.execute(db), failure).pipe(
      Effect.map((result) => Option.fromNullable(result.rows[0]?.due ?? null))
    ),
    deliveries: (request) =>
      Effect.gen(function* () {
        const webhook = yield* query(() => selectWebhook(request.orgId, request.webhookId).executeTakeFirst(), failure)
        if (webhook === undefined) return Option.none()
        const rows = yield* query(() =>
          sql`
            select d.sequence::text as sequence, d.delivery_id, d.event_type, d.position::text as position, d.status, d.attempts,
                   d.last_status_code, d.last_error, d.next_attempt_at, d.created_at, d.updated_at
            from webhook_deliveries d
            where d.webhook_id = ${request.webhookId}
              and (${request.status}::text is null or d.status = ${request.status})
              and (${request.afterSequence?.toString() ?? null}::bigint is null or d.sequence < ${request.afterSequence?.toString() ?? null}::bigint)
            -- the column, not its text alias
            order by d.sequence desc
            limit ${request.pageSize + 1}::integer`.execute(db), failure)
        const deliveries = yield* Effect.forEach(rows.rows.slice(0, request.pageSize), decodeDelivery)
        return Option.some({ deliveries, hasMore: rows.rows.length > request.pageSize })
      }),
    logHead: query(() => sql<{ head: string }>`select ${readableHead("events", "global_position")}::text as head`.execute(db), failure).pipe(
      Effect.map((result) => BigInt(result.rows[0]?.head ?? "0"))
    )
  }
}

/** The webhook store on PostgreSQL or PGlite, whichever `SqlDatabase` is. */
export const WebhookStoreSql: Layer.Layer<WebhookStore, never, SqlDatabase> =
  Layer.effect(WebhookStore, Effect.map(SqlDatabase, ({ db }) => make(db)))
