import { fc, it } from "@fast-check/vitest"
import { OrgId } from "@wa-gateway/domain"
import { Effect, Exit } from "effect"
import { describe, expect } from "vitest"
import { decodeSessionRow, decodeSessionRowBySchema, decodeSessionRows } from "./event-codec.js"

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
