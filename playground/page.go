package playground

import (
	"html/template"
	"net/http"
)

// page is GraphiQL's page, on the lines of gqlgen's playground.Handler, by
// hand for two reasons. gqlgen's page fetches the schema before GraphiQL's
// Headers tab is loaded, so without the pasted Authorization header, and
// every GraphQL request needs one (the API answers 401 without): here every
// request, the schema's too, carries the saved headers. And GraphiQL
// fetches the schema only when its fetcher changes: here a change of the
// Headers tab (once it is valid JSON, and half a second old) gives it a
// new fetcher, so the Docs pane follows the token pasted, with no reload.
var page = template.Must(template.New("graphiql").Parse(`<!DOCTYPE html>
<html>
<head>
  <meta charset="utf-8">
  <title>{{.Title}}</title>
  <style>
    body { margin: 0; display: flex; flex-direction: column; height: 100vh; }
    #graphiql { flex: 1; min-height: 0; }
    .loading { height: 100%; display: flex; align-items: center; justify-content: center; font-size: 4rem; }
    #demo-offer { font: 14px system-ui, sans-serif; padding: 6px 12px; background: #fff6d6; border-bottom: 1px solid #e5d08a; }
    #demo-offer button { font: inherit; margin-left: 8px; }
  </style>
  <script src="{{.React.URL}}" integrity="{{.React.Integrity}}" crossorigin="anonymous"></script>
  <script src="{{.ReactDOM.URL}}" integrity="{{.ReactDOM.Integrity}}" crossorigin="anonymous"></script>
  <link rel="stylesheet" href="{{.CSS.URL}}" integrity="{{.CSS.Integrity}}" crossorigin="anonymous">
  <link rel="stylesheet" href="{{.ExplorerCSS.URL}}" integrity="{{.ExplorerCSS.Integrity}}" crossorigin="anonymous">
</head>
<body>
  {{- if .DemoToken}}
  <div id="demo-offer">This is the embedded demo, served on loopback only.
    <button id="use-demo-token" type="button">Use the demo ORG_ADMIN token</button></div>
  {{- end}}
  <div id="graphiql"><div class="loading">Loading…</div></div>
  <script src="{{.JS.URL}}" integrity="{{.JS.Integrity}}" crossorigin="anonymous"></script>
  <script src="{{.ExplorerJS.URL}}" integrity="{{.ExplorerJS.Integrity}}" crossorigin="anonymous"></script>
  <script>
    const url = location.protocol + '//' + location.host + {{.Endpoint}};
    const stored = 'graphiql:headers'; // where GraphiQL before 4 kept the Headers tab (4 reads it once)
    const defaultHeaders = '{\n  "Authorization": "Bearer <paste a token here: pointguard token create, or data/demo.tokens>"\n}';
    // The demo token's button: GraphiQL takes headers only as it starts
    // (in a tab of their own, with the query being edited), so the page
    // starts again with them.
    const demoHeaders = sessionStorage.getItem('pointguard:demo-headers');
    sessionStorage.removeItem('pointguard:demo-headers');
    {{- if .DemoToken}}
    document.getElementById('use-demo-token').onclick = () => {
      sessionStorage.setItem('pointguard:demo-headers', JSON.stringify({ Authorization: 'Bearer ' + {{.DemoToken}} }, null, 2));
      location.reload();
    };
    {{- end}}
    // What the Headers tab holds, for the requests GraphiQL sends without
    // it (the schema's, as it starts, before its editors exist): the demo
    // token just chosen, else the active tab's as GraphiQL 4 keeps them,
    // else as older versions did.
    function savedHeaders() {
      const texts = [demoHeaders];
      try {
        const state = JSON.parse(localStorage.getItem('graphiql:tabState'));
        texts.push(state.tabs[state.activeTabIndex].headers);
      } catch (e) {}
      texts.push(localStorage.getItem(stored));
      for (const text of texts) {
        try {
          const h = JSON.parse(text);
          if (h && typeof h === 'object') return h;
        } catch (e) {}
      }
      return {};
    }
    function newFetcher() {
      const send = GraphiQL.createFetcher({ url });
      return (params, opts) =>
        send(params, Object.assign({}, opts, { headers: Object.assign(savedHeaders(), (opts && opts.headers) || {}) }));
    }
    // Made once: GraphiQL closes the open pane (Docs) when its plugins change.
    const plugins = [GraphiQLPluginExplorer.explorerPlugin()];
    function Playground() {
      const [fetcher, setFetcher] = React.useState(() => newFetcher());
      const shown = React.useRef(null);
      const timer = React.useRef(0);
      const onEditHeaders = (text) => {
        clearTimeout(timer.current);
        timer.current = setTimeout(() => {
          try { JSON.parse(text || '{}'); } catch (e) { return; } // still being typed
          if (text === shown.current) return;
          shown.current = text;
          setFetcher(() => newFetcher()); // GraphiQL fetches the schema again, with these headers
        }, 500);
      };
      const started = demoHeaders ? { headers: demoHeaders, query: localStorage.getItem('graphiql:query') || undefined } : {};
      return React.createElement(GraphiQL, Object.assign(started, {
        fetcher: fetcher,
        onEditHeaders: onEditHeaders,
        isHeadersEditorEnabled: true,
        shouldPersistHeaders: true,
        defaultHeaders: defaultHeaders,
        plugins: plugins,
        inputValueDeprecation: true,
      }));
    }
    ReactDOM.render(React.createElement(Playground), document.getElementById('graphiql'));
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
	DemoToken                                         string // "" offers none
	React, ReactDOM, JS, CSS, ExplorerJS, ExplorerCSS pageAsset
}

func pageHandler(endpoint string) func(w http.ResponseWriter, demoToken string) {
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
	return func(w http.ResponseWriter, demoToken string) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		d := data
		d.DemoToken = demoToken
		page.Execute(w, d) // the template is fixed and its data valid: only a broken connection fails
	}
}
