// The article page: article.html?slug=… renders one article, everything on it, in one request.
import type { ArticlePageQuery, LinkRel } from './generated/graphql.js';
import { ArticlePage } from './operations.js';
import { clientFor, formatDate, h, pageHref, present, readSettings, setState, showError } from './page.js';

const DEMO_SLUG = 'the-great-linux-debate-rusts-place-in-the-kernel';

type Article = NonNullable<ArticlePageQuery['article']>;

const REL_LABEL: Record<LinkRel, string> = { CANONICAL: 'Original', SOURCE: 'Source', RELATED: 'Related' };

async function main(): Promise<void> {
  setState('loading');
  const params = new URLSearchParams(location.search);
  const settings = readSettings(params);
  const slug = params.get('slug') ?? DEMO_SLUG;
  document.getElementById('back')?.setAttribute('href', pageHref('list.html', settings));

  const { article } = await clientFor(settings).request(ArticlePage, { slug });
  if (article === null) throw new Error(`No article has the slug "${slug}".`);

  document.title = `${article.title} · ${article.publication.name}`;
  document.getElementById('article')?.replaceChildren(
    ...present([header(article), keyPoints(article), body(article), quotes(article), relatedLinks(article), tags(article)]),
  );
  document.getElementById('footer')?.replaceChildren(...present([copyright(article), publicationLinks(article)]));
  setState('ready');
}

function header(a: Article): HTMLElement {
  return h(
    'header',
    {},
    a.section && h('p', { class: 'section' }, a.section),
    h('h1', {}, a.title),
    a.summary && h('p', { class: 'summary' }, a.summary),
    h(
      'p',
      { class: 'byline' },
      a.author && h('span', { class: 'author' }, `By ${a.author.name}`, a.author.kind === 'AI_MODEL' ? ' (AI model)' : ''),
      a.publishedAt && h('time', { datetime: a.publishedAt }, formatDate(a.publishedAt)),
      h('span', { class: 'reading-time' }, `${a.readingTimeMinutes} min read`),
    ),
    a.publication.sponsorMessage && h('p', { class: 'sponsor' }, a.publication.sponsorMessage),
  );
}

function keyPoints(a: Article): HTMLElement | null {
  if (a.keyPoints.length === 0) return null;
  return h(
    'section',
    { class: 'key-points', 'aria-labelledby': 'key-points-title' },
    h('h2', { id: 'key-points-title' }, 'Key points'),
    h('ul', {}, ...a.keyPoints.map((p) => h('li', {}, p.text))),
  );
}

function body(a: Article): HTMLElement {
  // The API serves the body as HTML it sanitized when the article was written: it can go in
  // as it is.
  const div = h('div', { class: 'body' });
  div.innerHTML = a.body;
  return div;
}

function quotes(a: Article): HTMLElement | null {
  if (a.quotes.length === 0) return null;
  return h(
    'section',
    { class: 'quotes', 'aria-labelledby': 'quotes-title' },
    h('h2', { id: 'quotes-title' }, 'Who said what'),
    ...a.quotes.map((q) =>
      h(
        'figure',
        { class: 'quote' },
        h('blockquote', {}, q.text),
        h(
          'figcaption',
          {},
          h('span', { class: 'speaker-name' }, q.speaker.name),
          q.speaker.role && h('span', { class: 'speaker-role' }, q.speaker.role),
          q.context && h('span', { class: 'quote-context' }, q.context),
        ),
      ),
    ),
  );
}

function relatedLinks(a: Article): HTMLElement | null {
  if (a.relatedLinks.length === 0) return null;
  return h(
    'section',
    { class: 'related-links', 'aria-labelledby': 'related-title' },
    h('h2', { id: 'related-title' }, 'Related links'),
    h(
      'ul',
      {},
      ...a.relatedLinks.map((l) =>
        h('li', {}, h('span', { class: 'rel' }, REL_LABEL[l.rel]), h('a', { href: l.url }, l.title ?? l.url)),
      ),
    ),
  );
}

function tags(a: Article): HTMLElement | null {
  if (a.tags.length === 0) return null;
  return h('ul', { class: 'tags', 'aria-label': 'Tags' }, ...a.tags.map((t) => h('li', {}, t.slug)));
}

function copyright(a: Article): HTMLElement | null {
  if (a.copyright === null) return null;
  const { notice, license } = a.copyright;
  return h('p', { class: 'copyright' }, notice, license && !notice.includes(license) && h('span', { class: 'license' }, license));
}

function publicationLinks(a: Article): HTMLElement | null {
  const { name, links } = a.publication;
  if (links.length === 0) return null;
  return h('nav', { 'aria-label': name }, ...links.map((l) => h('a', { href: l.url }, l.label)));
}

main().catch(showError);
