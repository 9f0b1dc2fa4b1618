// The list page: list.html pages through the articles with cursors. The page is in the URL
// (`?after=` or `?before=`, and `?first=` for the page size), so Back and Forward work.
import type { ArticleListQuery, ArticleListQueryVariables } from './generated/graphql.js';
import { ArticleList } from './operations.js';
import { clientFor, formatDate, h, pageHref, readSettings, setState, showError, type Settings } from './page.js';

const PAGE_SIZE = 10;

type Connection = ArticleListQuery['articles'];

/** The variables for the page the URL names. */
function pageVariables(params: URLSearchParams): ArticleListQueryVariables {
  const size = params.has('first') ? Number(params.get('first')) : PAGE_SIZE;
  if (!Number.isInteger(size)) throw new Error(`?first= must be a whole number, not "${params.get('first')}"`);
  const before = params.get('before');
  if (before !== null) return { last: size, before };
  const after = params.get('after');
  return after !== null ? { first: size, after } : { first: size };
}

// Counts loads, so that when clicks outrun the network only the last answer is shown.
let loads = 0;

async function load(settings: Settings): Promise<void> {
  const load = ++loads;
  setState('loading');
  document.getElementById('error')?.setAttribute('hidden', '');
  const params = new URLSearchParams(location.search);
  const { articles } = await clientFor(settings).request(ArticleList, pageVariables(params));
  if (load !== loads) return;
  render(articles, settings, params);
  setState('ready');
}

function render(articles: Connection, settings: Settings, params: URLSearchParams): void {
  const list = document.getElementById('articles');
  if (list === null) throw new Error('list.html has no #articles');
  list.replaceChildren(
    ...articles.edges.map(({ cursor, node }) =>
      h(
        'li',
        { 'data-cursor': cursor },
        h('h2', {}, h('a', { href: pageHref('article.html', settings, { slug: node.slug }) }, node.title)),
        h(
          'p',
          { class: 'byline' },
          node.author && h('span', { class: 'author' }, node.author.name),
          node.publishedAt && h('time', { datetime: node.publishedAt }, formatDate(node.publishedAt)),
        ),
        node.summary && h('p', { class: 'summary' }, node.summary),
      ),
    ),
  );
  const count = document.getElementById('count');
  if (count) count.textContent = `${articles.totalCount} ${articles.totalCount === 1 ? 'article' : 'articles'}`;

  const { pageInfo } = articles;
  wire('prev', pageInfo.hasPreviousPage ? pageInfo.startCursor : null, 'before', settings, params);
  wire('next', pageInfo.hasNextPage ? pageInfo.endCursor : null, 'after', settings, params);
}

/** Points a paging button at the page beyond `cursor`, or disables it when there is none. */
function wire(id: string, cursor: string | null, direction: 'after' | 'before', settings: Settings, params: URLSearchParams): void {
  const button = document.getElementById(id);
  if (!(button instanceof HTMLButtonElement)) return;
  button.disabled = cursor === null;
  button.onclick =
    cursor === null
      ? null
      : () => {
          const extra: Record<string, string> = { [direction]: cursor };
          const first = params.get('first');
          if (first !== null) extra['first'] = first;
          history.pushState(null, '', pageHref('list.html', settings, extra));
          load(settings).catch(showError);
        };
}

function main(): void {
  const settings = readSettings(new URLSearchParams(location.search));
  document.querySelector<HTMLAnchorElement>('#demo')?.setAttribute('href', pageHref('article.html', settings));
  addEventListener('popstate', () => load(settings).catch(showError));
  load(settings).catch(showError);
}

try {
  main();
} catch (err) {
  showError(err);
}
