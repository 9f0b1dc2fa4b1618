/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
export type AuthorKind =
  /** A machine wrote the content, and says so. */
  | 'AI_MODEL'
  | 'ORGANIZATION'
  | 'PERSON';

/** How a link relates to the article. */
export type LinkRel =
  /** The article's own canonical location. */
  | 'CANONICAL'
  /** Further reading. */
  | 'RELATED'
  /** A source the article draws on. */
  | 'SOURCE';

export type ArticlePageQueryVariables = Exact<{
  slug: string;
}>;


export type ArticlePageQuery = { article: { slug: string, title: string, summary: string | null, section: string | null, body: string, publishedAt: string | null, readingTimeMinutes: number, author: { name: string, kind: AuthorKind } | null, publication: { name: string, url: string | null, sponsorMessage: string | null, links: Array<{ label: string, url: string }> }, tags: Array<{ slug: string }>, keyPoints: Array<{ position: number, text: string }>, quotes: Array<{ position: number, text: string, context: string | null, speaker: { slug: string, name: string, role: string | null } }>, relatedLinks: Array<{ position: number, url: string, title: string | null, rel: LinkRel }>, copyright: { holder: string, notice: string, year: number | null, license: string | null } | null } | null };

export type ArticleListQueryVariables = Exact<{
  first?: number | null | undefined;
  after?: string | null | undefined;
  last?: number | null | undefined;
  before?: string | null | undefined;
}>;


export type ArticleListQuery = { articles: { totalCount: number, pageInfo: { hasNextPage: boolean, hasPreviousPage: boolean, startCursor: string | null, endCursor: string | null }, edges: Array<{ cursor: string, node: { slug: string, title: string, summary: string | null, publishedAt: string | null, author: { name: string } | null } }> } };
