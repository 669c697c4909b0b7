package api

import (
	"context"
	"errors"
	"net"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// What the browser test types into GraphiQL, and a string the result must hold.
const (
	browserQuery = `{ viewer { name role } }`
	browserWant  = "ORG_ADMIN"
)

// findChromium returns the path of a Chromium binary, or "" when there is
// none. $CHROMIUM, when set, is the only candidate.
func findChromium() string {
	names := []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"}
	if p := os.Getenv("CHROMIUM"); p != "" {
		names = []string{p}
	}
	for _, name := range names {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// isLocalURL reports whether loading u stays on this machine: a loopback
// host, or a scheme that does not touch the network.
func isLocalURL(u string) bool {
	p, err := url.Parse(u)
	if err != nil {
		return false
	}
	switch p.Scheme {
	case "data", "blob", "about":
		return true
	case "http", "https", "ws", "wss":
		h := p.Hostname()
		if h == "localhost" {
			return true
		}
		ip := net.ParseIP(h)
		return ip != nil && ip.IsLoopback()
	}
	return false
}

// oneLine collapses runs of white space (the panes indent with U+00A0).
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// TestGraphiQLInBrowser drives the GraphiQL page at / in headless Chromium:
// with a token in its headers, it types a query, runs it, and reads the
// result, and fails if the page
// requested anything from a host other than loopback (it must work offline).
func TestGraphiQLInBrowser(t *testing.T) {
	chromium := findChromium()
	if chromium == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("no Chromium found; CI must install it (apt-get install -y chromium)")
		}
		t.Skip("skipping: no Chromium found (apt-get install -y chromium, or set CHROMIUM)")
	}
	baseURL, token := startTestServer(t)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(chromium),
		chromedp.Headless,
		chromedp.NoSandbox, // the test runs as root
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		// Without these Chromium calls home at start-up; the network is closed.
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		// Anything not on loopback goes to a closed port (Chromium never
		// proxies loopback), so a regression fails fast and sends nothing out.
		chromedp.ProxyServer("http://127.0.0.1:9"),
		chromedp.UserDataDir(t.TempDir()),
		// Chromium leaves its singleton socket dir in $TMPDIR; keep it in the test's.
		chromedp.Env("TMPDIR="+t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	defer cancelAlloc()
	// No WithLogf(t.Logf): chromedp logs from its own goroutines, possibly
	// after the test ends, which t.Logf does not allow.
	tabCtx, cancelTab := chromedp.NewContext(allocCtx)
	defer cancelTab()

	var rec pageRecorder
	// Listen (not Events) so that every event is recorded before the
	// command that follows it returns.
	if err := chromedp.Listen(tabCtx, rec.record); err != nil {
		t.Fatalf("starting Chromium (%s): %v", chromium, err)
	}

	// Selectors of GraphiQL 4, whose editors are CodeMirror 5 (GraphiQL 5
	// moved to Monaco: update them with the pinned version).
	editor := chromedp.CSS(".graphiql-query-editor .CodeMirror")
	// The result pane's text once it holds browserWant, else "" (falsy, so
	// Poll waits). CodeMirror draws only the visible lines, so read its value.
	resultText := `(() => {
		const cm = document.querySelector('.graphiql-response .CodeMirror');
		if (cm && cm.CodeMirror) return cm.CodeMirror.getValue();
		const el = document.querySelector('.graphiql-response');
		return el ? el.innerText : '(no result pane)';
	})()`
	result := `(() => { const t = ` + resultText + `; return t.includes(` + strconv.Quote(browserWant) + `) ? t : ''; })()`
	// A shorter deadline for the page to come up, so that a page that never
	// renders fails with the recorded errors well before the overall timeout.
	loadCtx, cancelLoad := context.WithTimeout(tabCtx, 20*time.Second)
	defer cancelLoad()
	// A wrong token goes where GraphiQL keeps what its Headers tab holds:
	// its schema cannot be fetched.
	wrong := strconv.Quote(`{"Authorization": "Bearer pg_wrong-token-0123456789"}`)
	if err := chromedp.Do(loadCtx, chromedp.Navigate(baseURL+"/healthz")); err != nil {
		t.Fatalf("opening the server: %v", err)
	}
	if _, err := chromedp.Run(loadCtx, chromedp.Evaluate[bool](`localStorage.setItem("graphiql:headers", `+wrong+`), true`)); err != nil {
		t.Fatalf("setting the headers: %v", err)
	}
	err := chromedp.Do(loadCtx,
		chromedp.Navigate(baseURL+"/"),
		// GraphiQL replaces "Loading…" once its scripts have run.
		chromedp.WaitVisible(editor),
		chromedp.Click(chromedp.CSS(`.graphiql-sidebar button[aria-label*="Documentation Explorer"]`)),
	)
	if err != nil {
		t.Fatalf("loading GraphiQL: %v%s", err, rec.summary())
	}
	// The Docs pane's text once it says what want is, else "".
	docs := func(want string) string {
		return `(() => { const el = document.querySelector('.graphiql-doc-explorer');
			const t = el ? el.innerText : ''; return ` + want + ` ? t : ''; })()`
	}
	poll := func(what, js string) {
		t.Helper()
		if _, err := chromedp.Run(tabCtx, chromedp.Poll[string](js, chromedp.WithPollingTimeout(15*time.Second))); err != nil {
			pane, _ := chromedp.Run(tabCtx, chromedp.Evaluate[string](docs("true")))
			t.Fatalf("%s: %v; the Docs pane shows %q%s", what, err, oneLine(pane), rec.summary())
		}
	}
	poll("the Docs pane with a wrong token", docs(`t.includes('Error fetching schema')`))

	// The token typed into the Headers tab, as the README says: the Docs
	// pane shows the schema, with no reload.
	headers := strconv.Quote(`{"Authorization": "Bearer ` + token + `"}`)
	if _, err := chromedp.Run(tabCtx, chromedp.Evaluate[bool](`(() => {
		const cm = [...document.querySelectorAll('.graphiql-editor-tool .CodeMirror')]
			.find(e => e.CodeMirror.getValue().includes('Authorization'));
		cm.CodeMirror.setValue(`+headers+`);
		return true; })()`)); err != nil {
		t.Fatalf("typing the headers: %v%s", err, rec.summary())
	}
	poll("the Docs pane once the token is in the Headers tab", docs(`!t.includes('Error fetching schema') && t.includes('Query')`))
	rec.forgetUnauthorized() // the wrong token's 401s were the point

	err = chromedp.Do(tabCtx,
		chromedp.Click(editor),
		chromedp.KeyEvent("a", chromedp.KeyModifiers(chromedp.ModifierCtrl)),
		chromedp.KeyEvent(browserQuery),
	)
	if err != nil {
		t.Fatalf("typing the query: %v%s", err, rec.summary())
	}
	typed, err := chromedp.Run(tabCtx, chromedp.Evaluate[string](
		`document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.getValue()`))
	if err != nil {
		t.Fatalf("reading the editor: %v", err)
	}
	// The editor closes brackets itself; typing over them must give the query.
	if oneLine(typed) != browserQuery {
		t.Fatalf("editor holds %q after typing %q", typed, browserQuery)
	}

	if err := chromedp.Do(tabCtx, chromedp.Click(chromedp.CSS(".graphiql-execute-button"))); err != nil {
		t.Fatalf("clicking the run button: %v", err)
	}
	got, err := chromedp.Run(tabCtx, chromedp.Poll[string](result, chromedp.WithPollingTimeout(20*time.Second)))
	if err != nil {
		pane, _ := chromedp.Run(tabCtx, chromedp.Evaluate[string](resultText))
		if errors.Is(err, chromedp.ErrPollingTimeout) {
			t.Fatalf("result pane never showed %q; it shows %q%s", browserWant, oneLine(pane), rec.summary())
		}
		t.Fatalf("waiting for the result: %v; pane %q%s", err, oneLine(pane), rec.summary())
	}
	if got = oneLine(got); len(got) > 200 {
		got = got[:200] + "…"
	}
	t.Logf("result pane: %s", got)

	// The demo's offer, as the embedded demo on loopback makes it: one
	// click puts the ORG_ADMIN token in the Headers tab, whatever was there.
	if _, err := chromedp.Run(tabCtx, chromedp.Evaluate[bool](`localStorage.setItem("graphiql:headers", `+wrong+`), true`)); err != nil {
		t.Fatalf("setting the headers: %v", err)
	}
	err = chromedp.Do(tabCtx,
		chromedp.Reload(),
		chromedp.WaitVisible(editor),
		chromedp.Click(chromedp.CSS("#use-demo-token")),
		chromedp.WaitVisible(editor),
	)
	if err != nil {
		t.Fatalf("using the demo token: %v%s", err, rec.summary())
	}
	headersTab := `[...document.querySelectorAll('.graphiql-editor-tool .CodeMirror')]
		.map(e => e.CodeMirror.getValue()).find(v => v.includes('Authorization')) || ''`
	poll("the Headers tab after the demo token's button", `(() => { const t = `+headersTab+`; return t.includes(`+strconv.Quote(token)+`) ? t : ''; })()`)
	if err := chromedp.Do(tabCtx, chromedp.Click(chromedp.CSS(`.graphiql-sidebar button[aria-label*="Documentation Explorer"]`))); err != nil {
		t.Fatalf("opening the Docs pane: %v", err)
	}
	poll("the Docs pane after the demo token's button", docs(`!t.includes('Error fetching schema') && t.includes('Query')`))
	rec.forgetUnauthorized()

	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.offsite) > 0 {
		t.Errorf("the page requested non-loopback URLs (it must work offline):\n  %s", strings.Join(rec.offsite, "\n  "))
	}
	if len(rec.problems) > 0 {
		t.Errorf("the page reported errors:\n  %s", strings.Join(rec.problems, "\n  "))
	}
}

// pageRecorder collects, from the tab's events, the requests that left
// loopback and the errors the page reported.
type pageRecorder struct {
	mu       sync.Mutex
	offsite  []string
	problems []string
}

// record runs in chromedp's read loop: it must be quick and run no command.
func (r *pageRecorder) record(ev any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		if !isLocalURL(ev.Request.URL) {
			r.offsite = append(r.offsite, ev.Request.URL)
		}
	case *network.EventWebSocketCreated:
		if !isLocalURL(ev.URL) {
			r.offsite = append(r.offsite, ev.URL)
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		msg := d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			msg += " " + d.Exception.Description
		}
		r.problems = append(r.problems, "uncaught exception: "+msg)
	case *log.EventEntryAdded:
		// Chromium asks for /favicon.ico by itself; a 404 there is not the page's fault.
		if ev.Entry.Level == log.EntryLevelError && !strings.HasSuffix(ev.Entry.URL, "/favicon.ico") {
			r.problems = append(r.problems, "browser log: "+ev.Entry.Text+" "+ev.Entry.URL)
		}
	}
}

// forgetUnauthorized drops the 401s the page logged: those of a wrong
// token the test put in its headers on purpose.
func (r *pageRecorder) forgetUnauthorized() {
	r.mu.Lock()
	defer r.mu.Unlock()
	kept := r.problems[:0]
	for _, p := range r.problems {
		if !strings.Contains(p, "401") {
			kept = append(kept, p)
		}
	}
	r.problems = kept
}

func (r *pageRecorder) summary() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var b strings.Builder
	if len(r.offsite) > 0 {
		b.WriteString("\nnon-loopback requests:\n  " + strings.Join(r.offsite, "\n  "))
	}
	if len(r.problems) > 0 {
		b.WriteString("\npage errors:\n  " + strings.Join(r.problems, "\n  "))
	}
	return b.String()
}
