// The signed-in token lives in sessionStorage only: gone when the tab closes,
// never in a cookie (nothing sends it unasked) nor in a URL (nothing logs it).

const KEY = "wa-gateway.token"

export const readToken = (): string | null => sessionStorage.getItem(KEY)

export const saveToken = (token: string): void => sessionStorage.setItem(KEY, token)

export const forgetToken = (): void => sessionStorage.removeItem(KEY)
