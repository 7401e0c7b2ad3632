import htm from "./vendor/htm.js"
import { type ComponentChild, type FunctionComponent, h, type VNode } from "./vendor/preact.js"

/** Markup as tagged templates (htm: no build step, no JSX). */
export const html: (strings: TemplateStringsArray, ...values: ReadonlyArray<unknown>) => VNode | ReadonlyArray<VNode> =
  htm.bind(h)

/**
 * A component's element, its props checked against the component's own type
 * (htm cannot check props written inside a template). `key` for lists.
 */
export const el = <P extends object>(component: FunctionComponent<P>, props: NoInfer<P>, key?: string): ComponentChild =>
  h(component, key === undefined ? props : { ...props, key })
