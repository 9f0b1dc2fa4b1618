// The GraphQL operations the pages send. graphql-codegen reads the `/* GraphQL */` strings
// below (see codegen.ts) and writes their result and variable types to generated/graphql.ts;
// `operation<Result, Variables>()` pins each text to those types, so `request()` infers them.
import type {
  ArticleListQuery,
  ArticleListQueryVariables,
  ArticlePageQuery,
  ArticlePageQueryVariables,
} from './generated/graphql.js';

/** An operation's text, carrying its result and variable types (at compile time only). */
export type Operation<TResult, TVariables> = string & {
  readonly __result?: TResult;
  readonly __variables?: TVariables;
};

function operation<TResult, TVariables>(text: string): Operation<TResult, TVariables> {
  return text as Operation<TResult, TVariables>;
}

/** Everything the article page renders, in one request. */
export const ArticlePage = operation<ArticlePageQuery, ArticlePageQueryVariables>(/* GraphQL */ `
  query ArticlePage($slug: String!) {
    article(slug: $slug) {
      slug
      title
      summary
      section
      body(format: HTML)
      publishedAt
      readingTimeMinutes
      author {
        name
        kind
      }
      publication {
        name
        url
        sponsorMessage
        links {
          label
          url
        }
      }
      tags {
        slug
      }
      keyPoints {
        position
        text
      }
      quotes {
        position
        text
        context
        speaker {
          slug
          name
          role
        }
      }
      relatedLinks {
        position
        url
        title
        rel
      }
      copyright {
        holder
        notice
        year
        license
      }
    }
  }
`);

/**
 * One page of the article list. Forward paging passes `first` and `after` (the previous
 * page's `endCursor`); backward paging passes `last` and `before` (its `startCursor`).
 */
export const ArticleList = operation<ArticleListQuery, ArticleListQueryVariables>(/* GraphQL */ `
  query ArticleList($first: Int, $after: String, $last: Int, $before: String) {
    articles(first: $first, after: $after, last: $last, before: $before) {
      totalCount
      pageInfo {
        hasNextPage
        hasPreviousPage
        startCursor
        endCursor
      }
      edges {
        cursor
        node {
          slug
          title
          summary
          publishedAt
          author {
            name
          }
        }
      }
    }
  }
`);
