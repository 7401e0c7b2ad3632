import { fc, it } from "@fast-check/vitest"
import { OrgId, PairingStarted, type SessionEvent, sessionEventTypes, type StoredEvent } from "@wa-gateway/domain"
import { Effect, Exit, Predicate } from "effect"
import { describe, expect } from "vitest"
import { sessionEventArb } from "../../../testkit/src/arbitraries.js"
import {
  decodeSessionRow,
  decodeSessionRowBySchema,
  decodeSessionRows,
  decodeStoredEvent,
  decodeStoredEventBySchema,
  decodeStoredEvents,
  decodeValidStoredEvent,
  encodeEvent
} from "./event-codec.js"

const at = new Date("2026-01-02T03:04:05.678Z")
const unpairedRow = {
  session_id: "sess_01HZX8K3M9Q2W4E6R8T0Y2V4X6", org_id: "acme", name: "support", status: "unpaired",
  phone_number: null, wa_jid: null, wa_lid: null, push_name: null, created_at: at, updated_at: at, version: 1
}
const pairedRow = { ...unpairedRow, status: "paired", phone_number: "628123456789", wa_jid: "628123456789:12@s.whatsapp.net", wa_lid: "1@lid", push_name: "Acme", version: 4 }

/** Rows near the valid ones: each field either valid or one of the values a schema refuses. */
const rowArb = fc.record({
  session_id: fc.constantFrom(unpairedRow.session_id, "sess_01HZX8K3M9Q2W4E6R8T0Y2V4XI", "sess_short", 7),
  org_id: fc.constantFrom("acme", "", "a\u0000b", "x".repeat(201), "é", null),
  name: fc.oneof(fc.string({ maxLength: 5 }), fc.constant(null)),
  status: fc.constantFrom("unpaired", "pairing", "paired", "logged_out", "deleted", 3),
  phone_number: fc.constantFrom(null, "628123456789", "+628123456789", "123", ""),
  wa_jid: fc.constantFrom(null, "628123456789:12@s.whatsapp.net", "", 5),
  wa_lid: fc.constantFrom(null, "1@lid", 5),
  push_name: fc.constantFrom(null, "Acme", "", false),
  created_at: fc.constantFrom(at, "2026-01-02T03:04:05.678Z", new Date(Number.NaN)),
  updated_at: fc.constantFrom(at, null),
  version: fc.constantFrom(1, 4, 2.5, "4", Number.NaN)
})

const exitOf = (row: unknown) => Effect.runSyncExit(decodeSessionRow(row))
const exitBySchema = (row: unknown) => Effect.runSyncExit(decodeSessionRowBySchema(row))

describe("decodeSessionRow", () => {
  it("decodes an unpaired and a paired row as the schema does", () => {
    for (const row of [unpairedRow, pairedRow]) expect(exitOf(row)).toStrictEqual(exitBySchema(row))
    expect(Exit.isSuccess(exitOf(pairedRow))).toBe(true)
  })

  it.prop([fc.oneof(rowArb, fc.constant(unpairedRow), fc.constant(pairedRow))], { numRuns: 2000 })(
    "agrees with the schema on every row, valid or not: same record, or a defect for the same rows",
    (row) => {
      const fast = exitOf(row)
      const reference = exitBySchema(row)
      expect(Exit.isSuccess(fast)).toBe(Exit.isSuccess(reference))
      if (Exit.isSuccess(fast) && Exit.isSuccess(reference)) expect(fast.value).toStrictEqual(reference.value)
    }
  )

  it.prop([fc.oneof(rowArb, fc.constant(unpairedRow), fc.constant(pairedRow))], { numRuns: 2000 })(
    "agrees with the schema on every row of a page asked for one org, whether the row carries that org or not",
    (row) => {
      const org = OrgId.make("acme")
      const fast = Effect.runSyncExit(decodeSessionRows([row], org))
      const reference = exitBySchema(row)
      expect(Exit.isSuccess(fast)).toBe(Exit.isSuccess(reference))
      if (Exit.isSuccess(fast) && Exit.isSuccess(reference)) expect(fast.value).toStrictEqual([reference.value])
    }
  )

  it("refuses a paired row with an empty JID, as WaIdentity does", () => {
    expect(Exit.isFailure(exitOf({ ...pairedRow, wa_jid: "" }))).toBe(true)
  })

  it("decodes a page in one step, and a page with one bad row is a defect", () => {
    expect(Effect.runSync(decodeSessionRows([unpairedRow, pairedRow]))).toStrictEqual(
      [unpairedRow, pairedRow].map((row) => Effect.runSync(decodeSessionRowBySchema(row)))
    )
    expect(Exit.isFailure(Effect.runSyncExit(decodeSessionRows([unpairedRow, { ...pairedRow, phone_number: null }])))).toBe(true)
  })
})

const streamId = "sess_01HZX8K3M9Q2W4E6R8T0Y2V4X6"

/** The row the store would read back for this event: data through JSON, as jsonb returns it. */
const storedRow = (event: SessionEvent, position = 42n, version = 1) => {
  const { type, data } = encodeEvent(event)
  return { position: position.toString(), stream_id: streamId, stream_version: version, org_id: "acme", type, data: JSON.parse(JSON.stringify(data)), occurred_at: at }
}

const rowFieldValues = {
  position: ["0", "007", "18446744073709551616", "-1", " 5", "", "1.5", "0x1f", 42, null],
  stream_id: ["sess_01HZX8K3M9Q2W4E6R8T0Y2V4XI", "sess_short", 7],
  stream_version: [2.5, Number.NaN, "1"],
  org_id: ["", "a\u0000b", "x".repeat(201), "é", null],
  type: [...sessionEventTypes, "SessionRenamed", 5],
  data: [null, [], "{}", [1], {}],
  occurred_at: ["2026-01-02T03:04:05.678Z", new Date(Number.NaN), null]
}
const dataValues = [
  null, "", 5, true, [], {}, "628123456789", "+628123456789", "pair_01HZX8K3M9AAAAAAAAAAAAAAAA", "pair_x", "qr", "sms", "code", "user", "device",
  "robot", "expired", "rejected", "engine_error", "acme", "a\u0000b", streamId, "sess_short", undefined, "(delete)"
]

const rowChangeArb = fc.constantFrom(...Object.entries(rowFieldValues).flatMap(([key, values]) => values.map((value) => ({ at: "row" as const, key, value }))))
/** A change to one of the event's own data keys (or another), each often enough to meet every value. */
const dataChangeArb = (keys: ReadonlyArray<string>) =>
  fc.tuple(fc.constantFrom(...keys, "phone", "attemptId", "extra"), fc.constantFrom(...dataValues)).map(([key, value]) => ({ at: "data" as const, key, value }))

/**
 * Rows near the valid ones: a row the store writes, with up to three changes
 * (a row field or a data key set to an odd value, a key deleted or present as
 * `undefined`) that the schema may or may not refuse.
 */
const eventRowArb = sessionEventArb.chain((event) => {
  const row = storedRow(event)
  return fc.array(fc.oneof(rowChangeArb, dataChangeArb(Object.keys(row.data))), { minLength: 1, maxLength: 3 }).map((changes) => {
    const changed: Record<string, unknown> = { ...row }
    for (const { at, key, value } of changes) {
      if (at === "row") changed[key] = value
      else if (Predicate.isRecord(changed.data)) {
        const data: Record<string, unknown> = { ...changed.data }
        if (value === "(delete)") delete data[key]
        else data[key] = value
        changed.data = data
      }
    }
    return changed
  })
})

const storedExit = (row: unknown) => Effect.runSyncExit(decodeStoredEvent(row))
const storedExitBySchema = (row: unknown) => Effect.runSyncExit(decodeStoredEventBySchema(row))

describe("decodeStoredEvent", () => {
  it.prop([sessionEventArb, fc.bigInt({ min: 1n, max: 2n ** 62n }), fc.integer({ min: 1, max: 100_000 })], { numRuns: 1000 })(
    "takes every row the store writes without the schema, and gives back the event the schema gives",
    (event, position, version) => {
      const row = storedRow(event, position, version)
      const fast = decodeValidStoredEvent(row)
      expect(fast).toBeDefined()
      expect(Exit.succeed(fast)).toStrictEqual(storedExitBySchema(row))
      expect(fast?.event).toStrictEqual(event)
    }
  )

  it.prop([fc.oneof(eventRowArb, sessionEventArb.map((event) => storedRow(event)))], { numRuns: 10_000 })(
    "agrees with the schema on every row, valid or not: same event, or a defect for the same rows",
    (row) => {
      const fast = storedExit(row)
      const reference = storedExitBySchema(row)
      expect(Exit.isSuccess(fast)).toBe(Exit.isSuccess(reference))
      if (Exit.isSuccess(fast) && Exit.isSuccess(reference)) expect(fast.value).toStrictEqual(reference.value)
    }
  )

  it.prop([fc.array(fc.oneof({ weight: 4, arbitrary: sessionEventArb.map((event) => storedRow(event)) }, { weight: 1, arbitrary: eventRowArb }), { maxLength: 8 })])(
    "decodes a batch as the schema decodes each row: all of them, or a defect when one does not decode",
    (rows) => {
      const batch = Effect.runSyncExit(decodeStoredEvents(rows))
      const each = rows.map(storedExitBySchema)
      expect(Exit.isSuccess(batch)).toBe(each.every(Exit.isSuccess))
      if (Exit.isSuccess(batch)) expect(batch.value).toStrictEqual(each.map((exit) => Exit.isSuccess(exit) ? exit.value : undefined))
    }
  )

  it("keeps a PairingStarted without a phone or attempt id without those keys, as the schema does", () => {
    const row = storedRow(new PairingStarted({ method: "qr" }))
    const keys = (exit: Exit.Exit<StoredEvent>) => Exit.isSuccess(exit) ? Object.keys(exit.value.event) : []
    expect(keys(Exit.succeed(decodeValidStoredEvent(row)!))).toEqual(keys(storedExitBySchema(row)))
    expect(keys(storedExitBySchema(row))).not.toContain("phone")
  })
})
