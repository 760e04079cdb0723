/** `items` in consecutive slices of at most `size`, for APIs that cap how many ids one call takes. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const slices: T[][] = []
  for (let start = 0; start < items.length; start += size) slices.push(items.slice(start, start + size))
  return slices
}

/**
 * The pages of a paged AWS list, each read only when the caller asks for it: a caller that
 * stops early (a `break` or `return` in `for await`) sends no further request, and a caller
 * that yields each page on sends the next request only when its own reader asks. `read` gets
 * the token the previous page returned (undefined for the first) and builds a fresh request
 * each time, so recorded requests keep their own token; an empty token ends the list, as
 * AWS ends some lists with "" rather than none.
 */
export async function* eachPage<Page>(read: (token: string | undefined) => Promise<Page>, nextToken: (page: Page) => string | undefined): AsyncGenerator<Page, void, undefined> {
  let token: string | undefined
  do {
    const page = await read(token)
    token = nextToken(page) || undefined
    yield page
  } while (token)
}

/** Every page of a paged AWS list (eachPage, read to the end). */
export async function allPages<Page>(read: (token: string | undefined) => Promise<Page>, nextToken: (page: Page) => string | undefined): Promise<Page[]> {
  const pages: Page[] = []
  for await (const page of eachPage(read, nextToken)) pages.push(page)
  return pages
}
