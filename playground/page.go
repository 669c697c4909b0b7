package playground

import (
	"html/template"
	"net/http"
)

// page is GraphiQL's page, on the lines of gqlgen's playground.Handler, by
// hand for one reason: gqlgen's page fetches the schema before GraphiQL's
// Headers tab is loaded, so without the pasted Authorization header, and
// every GraphQL request needs one (the API answers 401 without). Here every
// request, the schema's too, carries the saved headers.
var page = template.Must(template.New("graphiql").Parse(`<!DOCTYPE html>
<html>
<head>
  <meta charset="utf-8">
  <title>{{.Title}}</title>
  <style>
    body { margin: 0; }
    #graphiql { height: 100vh; }
    .loading { height: 100%; display: flex; align-items: center; justify-content: center; font-size: 4rem; }
  </style>
  <script src="{{.React.URL}}" integrity="{{.React.Integrity}}" crossorigin="anonymous"></script>
  <script src="{{.ReactDOM.URL}}" integrity="{{.ReactDOM.Integrity}}" crossorigin="anonymous"></script>
  <link rel="stylesheet" href="{{.CSS.URL}}" integrity="{{.CSS.Integrity}}" crossorigin="anonymous">
  <link rel="stylesheet" href="{{.ExplorerCSS.URL}}" integrity="{{.ExplorerCSS.Integrity}}" crossorigin="anonymous">
</head>
<body>
  <div id="graphiql"><div class="loading">Loading…</div></div>
  <script src="{{.JS.URL}}" integrity="{{.JS.Integrity}}" crossorigin="anonymous"></script>
  <script src="{{.ExplorerJS.URL}}" integrity="{{.ExplorerJS.Integrity}}" crossorigin="anonymous"></script>
  <script>
    const url = location.protocol + '//' + location.host + {{.Endpoint}};
    const send = GraphiQL.createFetcher({ url });
    // What the Headers tab holds, as GraphiQL saves it (shouldPersistHeaders).
    function savedHeaders() {
      try {
        const h = JSON.parse(localStorage.getItem('graphiql:headers') || '{}');
        return h && typeof h === 'object' ? h : {};
      } catch (e) {
        return {};
      }
    }
    const fetcher = (params, opts) =>
      send(params, Object.assign({}, opts, { headers: Object.assign(savedHeaders(), (opts && opts.headers) || {}) }));
    ReactDOM.render(
      React.createElement(GraphiQL, {
        fetcher: fetcher,
        isHeadersEditorEnabled: true,
        shouldPersistHeaders: true,
        defaultHeaders: '{\n  "Authorization": "Bearer <paste a token here>"\n}',
        plugins: [GraphiQLPluginExplorer.explorerPlugin()],
        inputValueDeprecation: true,
      }),
      document.getElementById('graphiql'),
    );
  </script>
</body>
</html>
`))

type pageAsset struct {
	URL       string
	Integrity string
}

type pageData struct {
	Title, Endpoint                                   string
	React, ReactDOM, JS, CSS, ExplorerJS, ExplorerCSS pageAsset
}

func pageHandler(endpoint string) http.HandlerFunc {
	ref := func(name string) pageAsset {
		a := mustAsset(name)
		return pageAsset{URL: a.url, Integrity: a.integrity}
	}
	data := pageData{
		Title: Title, Endpoint: endpoint,
		React: ref("react.production.min.js"), ReactDOM: ref("react-dom.production.min.js"),
		JS: ref("graphiql.min.js"), CSS: ref("graphiql.min.css"),
		ExplorerJS: ref("plugin-explorer.umd.js"), ExplorerCSS: ref("plugin-explorer.css"),
	}
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		page.Execute(w, data) // the template is fixed and its data valid: only a broken connection fails
	}
}
