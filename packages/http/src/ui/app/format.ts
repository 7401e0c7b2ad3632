// Times as people read them, in their own locale and time zone.

export const formatDateTime = (iso: string): string =>
  new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" })

export const formatTime = (date: Date): string => date.toLocaleTimeString(undefined, { timeStyle: "medium" })

/** "just now", "5 min ago", "3 h ago", then the date. */
export const formatAgo = (iso: string, now: number): string => {
  const seconds = Math.round((now - Date.parse(iso)) / 1000)
  if (seconds < 10) return "just now"
  if (seconds < 60) return `${seconds} s ago`
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ago`
  return new Date(iso).toLocaleDateString(undefined, { dateStyle: "medium" })
}
