import { expect, layer } from "@effect/vitest"
import {
  CompletePairing,
  DeleteSession,
  PairingAttemptId,
  PhoneNumber,
  SessionService,
  StartCodePairing,
  StartQrPairing,
  WaIdentity
} from "@wa-gateway/domain"
import { Effect, Layer, Option } from "effect"
import { sql } from "kysely"
import { ApiKeyStore } from "./api-key-store.js"
import { AuthStateStore } from "./auth-state-store.js"
import { newOrg } from "./event-store.contract.spec-helper.js"
import { SqlDatabase } from "./sql-database.js"
import { SqlStores } from "./stores.js"

const identity = new WaIdentity({
  phoneNumber: PhoneNumber.make("6281399998888"),
  waJid: "6281399998888:7@s.whatsapp.net",
  waLid: "31415926535897@lid",
  pushName: "Siti Rahayu"
})

const attemptId = PairingAttemptId.make("pair_01HZX8K3M9ABCDEFGHJKMNPQRS")

/** Every row of every table of the store's schema, as text. */
const everyTableAsText = Effect.flatMap(SqlDatabase, ({ db }) =>
  Effect.promise(async () => {
    const tables = await sql<{ table_name: string }>`
      select table_name from information_schema.tables where table_schema = current_schema()`.execute(db)
    expect(tables.rows.map((t) => t.table_name)).toEqual(expect.arrayContaining(["events", "sessions", "wa_auth", "api_keys"]))
    const texts = await Promise.all(tables.rows.map(({ table_name }) =>
      sql<{ text: string | null }>`select string_agg(t::text, ' ') as text from ${sql.table(table_name)} t`.execute(db)))
    return texts.map((r) => r.rows[0]?.text ?? "").join("\n")
  }))

const personalData = [identity.phoneNumber, identity.waJid, identity.waLid ?? "", identity.pushName ?? ""]

export const erasureScan = (name: string, database: Layer.Layer<SqlDatabase, unknown>) =>
  layer(Layer.provideMerge(Layer.provideMerge(SessionService.Live, SqlStores), database), { excludeTestServices: true, timeout: "120 seconds" })(
    name,
    (it) => {
      it.effect("after delete no table holds the session's phone number, JIDs, push name or auth state", () =>
        Effect.gen(function* () {
          const service = yield* SessionService
          const auth = yield* AuthStateStore
          const apiKeys = yield* ApiKeyStore
          const org = newOrg()
          const other = new WaIdentity({ phoneNumber: PhoneNumber.make("447700900123"), waJid: "447700900123@s.whatsapp.net", waLid: null, pushName: "Kept" })

          const session = yield* service.create(org, "support")
          const { sessionId } = session
          yield* service.execute(org, new StartCodePairing({ sessionId, attemptId, phone: identity.phoneNumber }))
          yield* service.execute(org, new CompletePairing({ sessionId, attemptId, identity }))
          yield* auth.writeCreds(session.sessionId, JSON.stringify({ me: { id: identity.waJid, lid: identity.waLid, name: identity.pushName } }))
          yield* auth.set(session.sessionId, { session: { [identity.waJid]: JSON.stringify({ record: "x" }) } })
          const kept = yield* service.create(org, "sales")
          yield* service.execute(org, new StartQrPairing({ sessionId: kept.sessionId, attemptId }))
          yield* service.execute(org, new CompletePairing({ sessionId: kept.sessionId, attemptId, identity: other }))
          yield* auth.writeCreds(kept.sessionId, JSON.stringify({ me: { id: other.waJid } }))
          yield* apiKeys.insert({ id: `key_${org}`, orgId: org, keyHash: `hash_${org}`, capabilities: ["read"], label: null, createdAt: new Date() })

          const before = yield* everyTableAsText
          expect(personalData.filter((p) => before.includes(p))).toEqual(personalData)

          yield* service.execute(org, new DeleteSession({ sessionId }))

          const after = yield* everyTableAsText
          expect(personalData.filter((p) => after.includes(p))).toEqual([])
          expect(yield* auth.readCreds(session.sessionId)).toEqual(Option.none())
          expect((yield* auth.get(session.sessionId, "session", [identity.waJid])).size).toBe(0)
          const authRows = yield* Effect.flatMap(SqlDatabase, ({ db }) =>
            Effect.promise(() => db.selectFrom("wa_auth").select("key_id").where("session_id", "=", session.sessionId).execute()))
          expect(authRows).toEqual([])
          // The other session of the org keeps its data.
          expect(after).toContain(other.waJid)
          expect(Option.isSome(yield* auth.readCreds(kept.sessionId))).toBe(true)
        }))
    }
  )
