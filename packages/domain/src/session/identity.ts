import { Schema } from "effect"
import { PhoneNumber } from "../ids.js"

/** The WhatsApp account a paired session is attached to. */
export class WaIdentity extends Schema.Class<WaIdentity>("WaIdentity")({
  phoneNumber: PhoneNumber,
  waJid: Schema.String.pipe(Schema.minLength(1)),
  waLid: Schema.NullOr(Schema.String),
  pushName: Schema.NullOr(Schema.String)
}) {}
