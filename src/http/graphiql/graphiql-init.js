// Starts GraphiQL on the page's #graphiql element, from its data attributes (endpoint,
// default query and headers). A file of its own so the page's scripts are all 'self'.
(function () {
  "use strict";
  var root = document.getElementById("graphiql");
  var config = root.dataset;
  document.body.style.margin = "0";
  root.style.height = "100vh";
  ReactDOM.createRoot(root).render(
    React.createElement(GraphiQL, {
      fetcher: GraphiQL.createFetcher({ url: config.endpoint }),
      defaultQuery: config.defaultQuery,
      defaultHeaders: config.defaultHeaders,
      // The headers editor is open, for a token; headers stay out of localStorage unless
      // the user switches that on in the settings.
      isHeadersEditorEnabled: true,
      defaultEditorToolsVisibility: "headers",
      shouldPersistHeaders: false,
      showPersistHeadersSettings: true,
    }),
  );
})();
