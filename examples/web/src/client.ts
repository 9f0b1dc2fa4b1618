// A GraphQL client on plain `fetch`: typed results, and every failure (network, HTTP,
// GraphQL `errors`) thrown as one RequestError for the page to show.
import type { Operation } from './operations.js';

/** One entry of a GraphQL response's `errors`. */
export interface GraphQLError {
  message: string;
  path?: ReadonlyArray<string | number>;
  extensions?: { code?: string; [key: string]: unknown };
}

/**
 * Why a request failed: `network` (no answer: offline, refused, or blocked by CORS),
 * `http` (an answer that is not a GraphQL response), or `graphql` (a response with `errors`).
 */
export class RequestError extends Error {
  override readonly name = 'RequestError';

  constructor(
    message: string,
    readonly kind: 'network' | 'http' | 'graphql',
    readonly status: number | null,
    readonly errors: readonly GraphQLError[] = [],
  ) {
    super(message);
  }
}

export interface ClientOptions {
  /** The API's base URL, e.g. `http://127.0.0.1:8080`; requests go to `${api}/graphql`. */
  api: string;
  /**
   * Send what OpenTelemetry's fetch instrumentation and Apollo Client add: a W3C
   * `traceparent` (fresh ids per request) and `apollographql-client-name`/`-version`.
   * Custom headers make the browser send a CORS preflight first.
   */
  traced?: boolean;
}

export const CLIENT_NAME = 'content-api-example-web';
/** package.json's version (the browser test holds them equal). */
export const CLIENT_VERSION = '0.1.0';

export interface Client {
  request<TResult, TVariables>(
    query: Operation<TResult, TVariables>,
    variables: TVariables,
  ): Promise<TResult>;
}

export function createClient(options: ClientOptions): Client {
  const endpoint = new URL('/graphql', options.api);
  return {
    request: (query, variables) => request(endpoint, options.traced === true, query, variables),
  };
}

// Queries go over GET: with only the CORS-safelisted `Accept` header, that is a simple
// cross-origin request (no preflight), and browsers and CDNs may cache it.
async function request<TResult, TVariables>(
  endpoint: URL,
  traced: boolean,
  query: Operation<TResult, TVariables>,
  variables: TVariables,
): Promise<TResult> {
  const url = new URL(endpoint);
  url.searchParams.set('query', query);
  url.searchParams.set('variables', JSON.stringify(variables));
  const headers: Record<string, string> = {
    accept: 'application/graphql-response+json, application/json',
  };
  if (traced) {
    headers['traceparent'] = traceparent();
    headers['apollographql-client-name'] = CLIENT_NAME;
    headers['apollographql-client-version'] = CLIENT_VERSION;
  }

  let response: Response;
  try {
    response = await fetch(url, { headers });
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new RequestError(`Could not reach the API at ${endpoint.origin} (${reason})`, 'network', null);
  }

  const type = response.headers.get('content-type') ?? '';
  if (!/^application\/(graphql-response\+)?json\b/.test(type)) {
    const text = (await response.text()).slice(0, 200);
    throw new RequestError(`HTTP ${response.status} ${response.statusText}: ${text}`, 'http', response.status);
  }
  const body: unknown = await response.json();
  if (!isRecord(body)) {
    throw new RequestError(`HTTP ${response.status}: the response is not a GraphQL response`, 'http', response.status);
  }
  const errors = Array.isArray(body['errors']) ? body['errors'].filter(isGraphQLError) : [];
  if (errors.length > 0) {
    const message = errors.map((e) => (e.extensions?.code ? `${e.message} [${e.extensions.code}]` : e.message)).join('\n');
    throw new RequestError(message, 'graphql', response.status, errors);
  }
  if (!response.ok || !isRecord(body['data'])) {
    throw new RequestError(`HTTP ${response.status} ${response.statusText}: no data in the response`, 'http', response.status);
  }
  // The trust boundary: the server answered this operation, so `data` has its shape.
  return body['data'] as TResult;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isGraphQLError(value: unknown): value is GraphQLError {
  return isRecord(value) && typeof value['message'] === 'string';
}

/** A W3C Trace Context `traceparent`: version 00, random trace and span ids, sampled. */
export function traceparent(): string {
  return `00-${randomHex(16)}-${randomHex(8)}-01`;
}

// An all-zero id is invalid; crypto.getRandomValues gives one once in 2^64 tries at worst.
function randomHex(bytes: number): string {
  const buf = crypto.getRandomValues(new Uint8Array(bytes));
  const hex = Array.from(buf, (b) => b.toString(16).padStart(2, '0')).join('');
  return /^0+$/.test(hex) ? randomHex(bytes) : hex;
}
