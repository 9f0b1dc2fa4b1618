// What every page shares: settings read from its URL, links that keep them, building DOM
// nodes, and showing a failure.
import { createClient, RequestError, type Client } from './client.js';

export const DEFAULT_API = 'http://127.0.0.1:8080';

/** Settings a page takes from its URL, so one build serves any API. */
export interface Settings {
  /** `?api=`: the API's base URL. */
  api: string;
  /** `?traced=1`: send trace and client headers (see ClientOptions.traced). */
  traced: boolean;
}

export function readSettings(params: URLSearchParams): Settings {
  const api = params.get('api') ?? DEFAULT_API;
  const url = URL.canParse(api) ? new URL(api) : null;
  if (url === null || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new Error(`?api= must be an http(s) URL, not ${JSON.stringify(api)}`);
  }
  return { api: url.origin, traced: params.get('traced') === '1' };
}

export function clientFor(settings: Settings): Client {
  return createClient({ api: settings.api, traced: settings.traced });
}

/** A link to another page of this site that keeps `api` and `traced`. */
export function pageHref(page: string, settings: Settings, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams(extra);
  if (settings.api !== DEFAULT_API) params.set('api', settings.api);
  if (settings.traced) params.set('traced', '1');
  const query = params.toString();
  return query === '' ? page : `${page}?${query}`;
}

/** A child for h(): absent, `false` and empty values are skipped, so `cond && node` works. */
export type Child = Node | string | null | undefined | false;

/** The children worth appending: no absent values, no empty strings. */
export function present(children: Child[]): (Node | string)[] {
  return children.filter((c): c is Node | string => c !== null && c !== undefined && c !== false && c !== '');
}

/** Builds an element; text children become text nodes (never parsed as HTML). */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, value);
  el.append(...present(children));
  return el;
}

/** Marks the page's state on <body data-state> (styles and tests read it). */
export function setState(state: 'loading' | 'ready' | 'error'): void {
  document.body.dataset['state'] = state;
}

/** Shows a failure in the page's alert box, with the GraphQL error codes when there are any. */
export function showError(err: unknown): void {
  const box = document.getElementById('error');
  if (box === null) throw err;
  const title =
    err instanceof RequestError
      ? { network: 'The API could not be reached', http: 'The API answered with an error', graphql: 'The query failed' }[err.kind]
      : 'Something went wrong';
  const details =
    err instanceof RequestError && err.errors.length > 0
      ? h('ul', {}, ...err.errors.map((e) => h('li', {}, e.message, e.extensions?.code ? h('code', {}, e.extensions.code) : null)))
      : h('p', {}, err instanceof Error ? err.message : String(err));
  box.replaceChildren(h('strong', {}, title), details);
  box.hidden = false;
  setState('error');
  console.warn(err);
}

/** "21 February 2025", in the reader's locale, for an RFC 3339 time. */
export function formatDate(iso: string): string {
  return new Date(iso).toLocaleDateString(undefined, { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
}
