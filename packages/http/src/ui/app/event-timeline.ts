import { html } from "./html.js"
import { formatDateTime } from "./format.js"
import type { SessionEvent } from "./sessions-wire.js"

const text = (value: unknown): string | null => (typeof value === "string" && value !== "" ? value : null)

/** One line per event of DESIGN §2, in words; an unknown type shows as its name. */
const describe = (event: SessionEvent): { readonly title: string; readonly detail: string | null } => {
  const data = event.data
  switch (event.type) {
    case "SessionCreated":
      return { title: "Created", detail: text(data["name"]) }
    case "PairingStarted":
      return data["method"] === "code"
        ? { title: "Pairing started with a code", detail: text(data["phone"]) === null ? null : `for ${text(data["phone"])}` }
        : { title: "Pairing started with a QR code", detail: null }
    case "SessionPaired": {
      const who = [text(data["phoneNumber"]), text(data["pushName"])].filter((part) => part !== null).join(", ")
      return { title: "Paired", detail: who === "" ? null : who }
    }
    case "PairingFailed":
      return { title: "Pairing failed", detail: text(data["reason"])?.replace("_", " ") ?? null }
    case "LoggedOut":
      return { title: "Logged out", detail: data["by"] === "device" ? "by the phone (device unlinked)" : "from the gateway" }
    case "SessionDeleted":
      return { title: "Deleted", detail: null }
    default:
      return { title: event.type, detail: null }
  }
}

/** The session's history (`GET /events`), oldest first, as a timeline. */
export const EventTimeline = ({ events }: { readonly events: ReadonlyArray<SessionEvent> }) =>
  events.length === 0
    ? html`<p class="muted">No events yet.</p>`
    : html`<ol class="timeline">${events.map((event) => {
      const { title, detail } = describe(event)
      return html`<li key=${event.position} data-event-type=${event.type}>
        <time datetime=${event.occurredAt}>${formatDateTime(event.occurredAt)}</time>
        <span class="event-title">${title}</span>
        ${detail === null ? null : html`<span class="event-detail">${detail}</span>`}
      </li>`
    })}</ol>`
