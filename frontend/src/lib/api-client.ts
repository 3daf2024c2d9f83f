/**
 * The one place that speaks HTTP to the API: JSON in and out, the access token when there is one,
 * and errors turned into {@link ApiError} with the problem's `title` and `detail`.
 *
 * The API answers errors as RFC 7807 problem JSON (`title`, `detail`) or, in older versions, as
 * OGC exception documents (`code`, `description`); both are read.
 */

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    /** HTTP status; 0 when the request never got an answer. */
    readonly status: number,
    readonly title: string,
    readonly detail?: string,
  ) {
    super(detail ? `${title}: ${detail}` : title);
  }
}

export type AccessTokenSource = () => string | undefined;

export interface ApiClient {
  /** Absolute API base URL, without a trailing slash. */
  readonly base: string;
  /** Absolute URL of a path under the API (`collections/x`), or `pathOrUrl` itself when absolute. */
  url(pathOrUrl: string): string;
  get<T>(pathOrUrl: string, init?: { signal?: AbortSignal }): Promise<T>;
  send<T>(method: 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T | undefined>;
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value.trim() ? value : undefined);

/** The ApiError for a non-2xx response: problem JSON, OGC exception JSON, or just the status. */
export async function errorFromResponse(response: Response): Promise<ApiError> {
  let body: Record<string, unknown> = {};
  try {
    const parsed: unknown = await response.json();
    if (parsed && typeof parsed === 'object') body = parsed as Record<string, unknown>;
  } catch {
    // not JSON (a proxy's HTML error page): the status line is all there is
  }
  const title = text(body.title) ?? text(body.code) ?? (response.statusText || `HTTP ${response.status}`);
  const detail = text(body.detail) ?? text(body.description);
  return new ApiError(response.status, title, detail);
}

export function createApiClient(options: {
  apiBase: string;
  getAccessToken?: AccessTokenSource;
  fetchImpl?: typeof fetch;
}): ApiClient {
  const base = options.apiBase.replace(/\/+$/, '');
  const doFetch = options.fetchImpl ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));

  const url = (pathOrUrl: string) => (/^https?:\/\//.test(pathOrUrl) ? pathOrUrl : `${base}/${pathOrUrl.replace(/^\/+/, '')}`);

  async function request(method: string, target: string, body?: unknown, signal?: AbortSignal): Promise<Response> {
    const headers: Record<string, string> = { Accept: 'application/geo+json, application/json;q=0.9' };
    const token = options.getAccessToken?.();
    if (token) headers.Authorization = `Bearer ${token}`;
    if (body !== undefined) headers['Content-Type'] = 'application/geo+json';
    let response: Response;
    try {
      response = await doFetch(url(target), {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
      });
    } catch (err) {
      if ((err as Error).name === 'AbortError') throw err;
      throw new ApiError(0, 'The API cannot be reached', (err as Error).message);
    }
    if (!response.ok) throw await errorFromResponse(response);
    return response;
  }

  return {
    base,
    url,
    async get<T>(pathOrUrl: string, init?: { signal?: AbortSignal }) {
      const response = await request('GET', pathOrUrl, undefined, init?.signal);
      return (await response.json()) as T;
    },
    async send<T>(method: 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown) {
      const response = await request(method, path, body);
      if (response.status === 204) return undefined;
      return (await response.json()) as T;
    },
  };
}
