/** Fetching a model's files in the browser: absolute URLs and one-line errors for failed requests. */

/** The absolute URL of `url` (relative URLs are taken relative to the page). */
export function absoluteUrl(url: string): URL {
  try {
    return new URL(url, globalThis.location?.href);
  } catch {
    throw new Error(`loadModel: '${url}' is not a URL`);
  }
}

export async function fetchOk(url: URL, init: RequestInit | undefined, what: string): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url, init);
  } catch (error) {
    throw new Error(`${what} ${url.href}: cannot fetch (${(error as Error).message})`, { cause: error });
  }
  if (!response.ok) throw new Error(`${what} ${url.href}: HTTP ${response.status} ${response.statusText}`);
  return response;
}
