/** `items` in consecutive slices of at most `size`, for APIs that cap how many ids one call takes. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const slices: T[][] = []
  for (let start = 0; start < items.length; start += size) slices.push(items.slice(start, start + size))
  return slices
}

/**
 * Reads every page of a paged AWS list. `read` gets the token the previous page returned
 * (undefined for the first) and builds a fresh request each time, so recorded requests keep
 * their own token.
 */
export async function allPages<Page>(read: (token: string | undefined) => Promise<Page>, nextToken: (page: Page) => string | undefined): Promise<Page[]> {
  const pages: Page[] = []
  let token: string | undefined
  do {
    const page = await read(token)
    pages.push(page)
    token = nextToken(page)
  } while (token)
  return pages
}
