/** The value of the form field an input event came from ("" for anything else). */
export const fieldValue = (event: Event): string => {
  const target = event.currentTarget
  return target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement
    ? target.value
    : ""
}

/** Whether the checkbox an input event came from is ticked. */
export const fieldChecked = (event: Event): boolean => {
  const target = event.currentTarget
  return target instanceof HTMLInputElement && target.checked
}
