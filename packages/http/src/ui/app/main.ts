import { render } from "./vendor/preact.js"
import { App } from "./app.js"
import { el } from "./html.js"

const root = document.getElementById("app")
if (root !== null) {
  root.replaceChildren()
  render(el(App, {}), root)
}
