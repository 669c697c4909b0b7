// Pointguard serves the integration-governance GraphQL API.
//
//	go run .                    # embedded SQLite under ./data, with demo data
//	DATABASE_URL=postgres://… go run .
//	go run . --help             # the commands, the flags, every variable (cli.go)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/pointguard/pointguard/api"
	"github.com/pointguard/pointguard/auth"
	"github.com/pointguard/pointguard/demo"
	"github.com/pointguard/pointguard/graph"
	"github.com/pointguard/pointguard/limits"
	"github.com/pointguard/pointguard/metrics"
	"github.com/pointguard/pointguard/persisted"
	"github.com/pointguard/pointguard/secrets"
	"github.com/pointguard/pointguard/service"
	"github.com/pointguard/pointguard/store"
	"github.com/pointguard/pointguard/tracing"
	"github.com/pointguard/pointguard/webhooks"
	"github.com/pointguard/pointguard/webhooks/queue"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// defaultDatabase is the embedded database used when DATABASE_URL is empty.
const defaultDatabase = "data/pointguard.db"

func main() {
	collectLessOften(os.Getenv)
	limitMemory(os.Getenv)
	if err := runUntilSignalled(os.Args[1:], os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "pointguard:", err)
		os.Exit(1)
	}
}

// runUntilSignalled runs until SIGINT or SIGTERM, then shuts down (see
// run); a second signal ends the process at once.
func runUntilSignalled(args []string, getenv func(string) string, stdout io.Writer) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	context.AfterFunc(ctx, stop) // the next signal is Go's default: exit
	defer stop()
	return run(ctx, args, getenv, stdout)
}

// gcPercent is the garbage collector's target when GOGC is not set. A
// read's garbage dies young (its rows, once written out), so collecting
// half as often as Go's default (100) answered the org graph 9% faster,
// for about 5 MB more memory under load (measured, README "Speed").
const gcPercent = 200

func collectLessOften(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
}

// defaultShutdownGrace outlasts the request timeout (10s), so that a
// request in flight finishes, and fits in Kubernetes' default 30 s
// between SIGTERM and SIGKILL.
const defaultShutdownGrace = 15 * time.Second

// memoryLimit is the Go runtime's soft memory limit when GOMEMLIMIT is
// not set: near it the collector works harder rather than let the heap
// grow, so that with admission control bounding the work in flight the
// process stays well under 512 MB (README "Operations"). Set GOMEMLIMIT
// (e.g. 2GiB, or off) to change it.
const memoryLimit = 384 << 20

func limitMemory(getenv func(string) string) {
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
}

// localAddr is where the embedded demo listens when neither PORT nor
// POINTGUARD_LISTEN says otherwise: this machine alone.
const localAddr = "127.0.0.1:8080"

// defaultAdminAddr serves the metrics and pprof to this host alone: they
// tell more than the API does (its operations' names, its stacks).
const defaultAdminAddr = "127.0.0.1:9090"

// config is what run reads from flags and the environment.
type config struct {
	databaseURL string
	// addr is POINTGUARD_LISTEN, else :PORT, else 127.0.0.1:8080 for
	// the embedded demo (no DATABASE_URL), else :8080.
	addr string
	// adminAddr is POINTGUARD_ADMIN_ADDR, where /metrics and /debug/pprof/
	// are served (default 127.0.0.1:9090, loopback only); "" is off.
	adminAddr string
	// adminDefault is true when adminAddr is the default: taken (by
	// another replica on the host, say), the server runs without it.
	adminDefault bool
	// logFormat is POINTGUARD_LOG_FORMAT: text (the default) or json.
	logFormat string
	demo      bool
	// secretKey and oldSecretKeys come from POINTGUARD_SECRET_KEY and
	// POINTGUARD_OLD_SECRET_KEYS (comma-separated), base64 or hex.
	secretKey     string
	oldSecretKeys []string
	// adminToken comes from POINTGUARD_ADMIN_TOKEN.
	adminToken string
	// command is "serve", "rotate-secrets", "migrate", "token", "version"
	// or "help", with its commandArgs (migrate's up, status or force N);
	// token is what "token create" asks for.
	command     string
	commandArgs []string
	token       tokenRequest
	// readExecutor runs query operations: "pointguard" (default) or
	// "gqlgen" (POINTGUARD_EXECUTOR), the switch back if ours misbehaves.
	readExecutor api.ReadExecutor
	// shutdownGrace is how long a shutdown waits for the requests in
	// flight (POINTGUARD_SHUTDOWN_GRACE, default 15s).
	shutdownGrace time.Duration
	// limits bound queries: POINTGUARD_MAX_DEPTH, POINTGUARD_MAX_COMPLEXITY,
	// POINTGUARD_RATE_LIMIT, POINTGUARD_RATE_BURST, POINTGUARD_INTROSPECTION.
	limits limits.Config
	// webhookLoopback admits http:// loopback webhook URLs
	// (POINTGUARD_WEBHOOK_ALLOW_LOOPBACK=true), for development and tests.
	webhookLoopback bool
	// webhookRescueAfter is when a delivery left running by a killed
	// process is sent again (POINTGUARD_WEBHOOK_RESCUE_AFTER, default 1m,
	// at least queue.JobTimeout).
	webhookRescueAfter time.Duration
	// eventRetention is how long events and deliveries are kept
	// (POINTGUARD_EVENT_RETENTION, default 7d, at least 24h).
	eventRetention time.Duration
	// trustedDocuments is POINTGUARD_TRUSTED_DOCUMENTS, the manifest of
	// the only documents tokens other than admins' run ("" for any).
	trustedDocuments string
}

func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("pointguard", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // usage says more than flag's own message
	demoFlag := fs.Bool("demo", false, "load the demo organization, whatever the database")
	err := fs.Parse(args)
	// Help and the version need nothing of the environment.
	switch {
	case errors.Is(err, flag.ErrHelp), err == nil && fs.Arg(0) == "help":
		usage(stderr, fs)
		return config{command: "help"}, nil
	case err != nil:
		return config{}, fmt.Errorf("%w (pointguard --help lists the flags and commands)", err)
	case fs.Arg(0) == "version" && fs.NArg() == 1:
		return config{command: "version"}, nil
	}
	c := config{databaseURL: getenv("DATABASE_URL"), addr: ":8080", demo: *demoFlag,
		secretKey: getenv("POINTGUARD_SECRET_KEY"), adminToken: getenv("POINTGUARD_ADMIN_TOKEN"), command: "serve"}
	if c.adminToken != "" {
		if err := auth.CheckConfigured(c.adminToken); err != nil {
			return config{}, fmt.Errorf("POINTGUARD_ADMIN_TOKEN: %w", err)
		}
	}
	if port := getenv("PORT"); port != "" {
		c.addr = ":" + port
	} else if c.databaseURL == "" {
		// The embedded demo, with nothing set, is a sandbox on this machine:
		// its tokens are in the log and GraphiQL offers one (demoTokenToOffer).
		c.addr = localAddr
	}
	if listen := getenv("POINTGUARD_LISTEN"); listen != "" {
		if _, _, err := net.SplitHostPort(listen); err != nil {
			return config{}, fmt.Errorf("POINTGUARD_LISTEN: %q is not host:port (127.0.0.1:8080, :8080, [::1]:8080)", listen)
		}
		c.addr = listen
	}
	switch admin := getenv("POINTGUARD_ADMIN_ADDR"); admin {
	case "":
		c.adminAddr, c.adminDefault = defaultAdminAddr, true
	case "off":
	default:
		if _, _, err := net.SplitHostPort(admin); err != nil {
			return config{}, fmt.Errorf("POINTGUARD_ADMIN_ADDR: %q is neither host:port (127.0.0.1:9090, [::1]:9090) nor off", admin)
		}
		c.adminAddr = admin
	}
	switch c.logFormat = getenv("POINTGUARD_LOG_FORMAT"); c.logFormat {
	case "", "text", "json":
	default:
		return config{}, fmt.Errorf("POINTGUARD_LOG_FORMAT: %q is neither text nor json", c.logFormat)
	}
	for _, k := range strings.Split(getenv("POINTGUARD_OLD_SECRET_KEYS"), ",") {
		if k = strings.TrimSpace(k); k != "" {
			c.oldSecretKeys = append(c.oldSecretKeys, k)
		}
	}
	switch e := api.ReadExecutor(getenv("POINTGUARD_EXECUTOR")); e {
	case "", api.Pointguard:
		c.readExecutor = api.Pointguard
	case api.Gqlgen:
		c.readExecutor = e
	default:
		return config{}, fmt.Errorf("POINTGUARD_EXECUTOR: %q is neither %q nor %q", e, api.Pointguard, api.Gqlgen)
	}
	c.shutdownGrace = defaultShutdownGrace
	if s := getenv("POINTGUARD_SHUTDOWN_GRACE"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d < 0 {
			return config{}, fmt.Errorf("POINTGUARD_SHUTDOWN_GRACE: %q is not a duration (15s, 1m…)", s)
		}
		c.shutdownGrace = d
	}
	lim, err := limits.FromEnv(getenv)
	if err != nil {
		return config{}, err
	}
	c.limits = lim
	c.trustedDocuments = getenv("POINTGUARD_TRUSTED_DOCUMENTS")
	switch v := getenv("POINTGUARD_WEBHOOK_ALLOW_LOOPBACK"); v {
	case "", "false":
	case "true":
		c.webhookLoopback = true
	default:
		return config{}, fmt.Errorf("POINTGUARD_WEBHOOK_ALLOW_LOOPBACK: %q is neither true nor false", v)
	}
	if s := getenv("POINTGUARD_WEBHOOK_RESCUE_AFTER"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			return config{}, fmt.Errorf("POINTGUARD_WEBHOOK_RESCUE_AFTER: %q is not a duration (1m, 30s…)", s)
		}
		// Below an attempt's timeout, a delivery still being sent would be
		// sent again beside it.
		if d < queue.JobTimeout {
			return config{}, fmt.Errorf("POINTGUARD_WEBHOOK_RESCUE_AFTER: %s is less than a delivery attempt's timeout (%s)", d, queue.JobTimeout)
		}
		c.webhookRescueAfter = d
	}
	if s := getenv("POINTGUARD_EVENT_RETENTION"); s != "" {
		d, err := parseDays(s)
		if err != nil {
			return config{}, fmt.Errorf("POINTGUARD_EVENT_RETENTION: %q is not a duration (7d, 72h…)", s)
		}
		if d < queue.MinRetention {
			return config{}, fmt.Errorf("POINTGUARD_EVENT_RETENTION: %s is less than %s: subscribers may resume from that far back", d, queue.MinRetention)
		}
		c.eventRetention = d
	}
	switch rest := fs.Args(); {
	case len(rest) == 0, len(rest) == 1 && rest[0] == "serve":
	case len(rest) == 1 && rest[0] == "rotate-secrets":
		c.command = rest[0]
	case rest[0] == "migrate":
		if err := checkMigrateArgs(rest[1:]); err != nil {
			return config{}, err
		}
		c.command, c.commandArgs = rest[0], rest[1:]
	case len(rest) >= 2 && rest[0] == "token" && rest[1] == "create":
		if c.token, err = parseTokenCreate(rest[2:], io.Discard); err != nil {
			return config{}, fmt.Errorf("token create: %w", err)
		}
		c.command = "token"
	default:
		return config{}, fmt.Errorf("unknown command %q; the commands are serve, migrate (up, status, force N), rotate-secrets, "+
			"token create and version (pointguard --help says more)", strings.Join(rest, " "))
	}
	return c, nil
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	cfg, err := parseConfig(args, getenv, stdout)
	if err != nil {
		return err
	}
	log := logger(stdout, cfg.logFormat)
	switch cfg.command {
	case "help":
		return nil
	case "version":
		fmt.Fprintln(stdout, version())
		return nil
	case "migrate":
		return migrateCommand(ctx, cfg, stdout)
	case "token":
		// The token alone on standard output, for a script to read.
		log = logger(os.Stderr, cfg.logFormat)
	}

	var (
		tracer  trace.TracerProvider // nil: no traces, and nothing wrapped
		trusted *persisted.Trusted
	)
	if cfg.command == "serve" {
		// Before the database: a bad manifest stops the start at once.
		if cfg.trustedDocuments != "" {
			if trusted, err = persisted.LoadTrustedDocuments(cfg.trustedDocuments, graph.NewExecutableSchema(graph.Config{}).Schema()); err != nil {
				return fmt.Errorf("POINTGUARD_TRUSTED_DOCUMENTS: %w", err)
			}
		}
		provider, err := tracing.Setup(ctx, getenv, version())
		if err != nil {
			return err
		}
		if provider != nil { // never a nil *TracerProvider in the interface
			tracer = provider
			defer flushTraces(provider, log) // after the server and the store
		}
	}
	st, svc, demoTokens, err := open(ctx, cfg, tracer, log)
	if err != nil {
		return err
	}
	defer st.Close()
	if cfg.command == "token" {
		return createToken(ctx, st, svc, cfg.token, stdout)
	}
	if cfg.command == "rotate-secrets" {
		n, err := st.RotateSecrets(ctx)
		if err != nil {
			return err
		}
		log.Info("re-sealed secrets under the current key", "secrets", n)
		return nil
	}

	// Webhook deliveries: River's client works on every replica, from
	// start to shutdown (after the server's, so that the requests in
	// flight still enqueue theirs).
	urls := webhooks.Policy{AllowLoopback: cfg.webhookLoopback}
	svc.SetWebhookPolicy(urls)
	deliveries, err := queue.New(ctx, st, queue.Config{Policy: urls, RescueAfter: cfg.webhookRescueAfter, Retention: cfg.eventRetention, Logger: log})
	if err != nil {
		return err
	}
	if err := deliveries.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("webhook deliveries: %w", err)
	}
	defer stopDeliveries(deliveries, cfg.shutdownGrace, log)

	m := metrics.New()
	m.WatchDB(st.DB(), string(st.Engine()))
	svc.SetObserver(m)
	apiOptions := []api.Option{api.WithMetrics(m), api.WithTracing(tracer)}
	if trusted != nil {
		log.Info("tokens other than admins' run only trusted documents", "file", trusted.Path(), "documents", trusted.Len())
		apiOptions = append(apiOptions, api.WithTrustedDocuments(trusted))
	}
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	defer ln.Close() // Serve closes it; before that, a failed start must
	if token := demoTokenToOffer(cfg, demoTokens, ln.Addr()); token != "" {
		apiOptions = append(apiOptions, api.WithDemoToken(token))
		log.Info("GraphiQL offers the demo ORG_ADMIN token to browsers on this machine")
	}
	handler := api.New(st, svc, log, cfg.limits, cfg.readExecutor, apiOptions...)
	defer handler.Close() // the event broker's listener, with the server
	srv := &http.Server{
		Addr:              cfg.addr,
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	log.Info("pointguard listening", "url", "http://localhost"+portOf(ln), "graphiql", "/", "graphql", "/graphql",
		"database", string(st.Engine()))
	var conns openConnections
	srv.ConnState = conns.track
	// Shutdown neither waits for nor closes websockets (hijacked): close
	// them at its start, so that their clients connect to another replica.
	srv.RegisterOnShutdown(handler.Close)
	errc := make(chan error, 2)
	go func() { errc <- srv.Serve(ln) }()
	admin, err := serveAdmin(cfg.adminAddr, cfg.adminDefault, m, errc, log)
	if err != nil {
		srv.Close()
		return err
	}
	select {
	case err := <-errc:
		srv.Close()
		if admin != nil {
			admin.Close()
		}
		return err
	case <-ctx.Done():
	}
	if admin != nil {
		// Scraped until the API stops, then closed with it.
		defer func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			if admin.Shutdown(ctx) != nil {
				admin.Close()
			}
		}()
	}
	return shutDown(srv, &conns, cfg.shutdownGrace, log)
}

// serveAdmin serves the metrics and pprof (metrics.Handler) on addr, a
// failure to serve going to errc; "" serves nothing (nil). The default
// address taken is a warning, not a failure: a second process on the host
// (a replica, a Prometheus on its own default port) must still start.
func serveAdmin(addr string, defaulted bool, m *metrics.Metrics, errc chan<- error, log *slog.Logger) (*http.Server, error) {
	if addr == "" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil && defaulted {
		log.Warn("the admin address is taken: no /metrics or /debug/pprof/; set POINTGUARD_ADMIN_ADDR (or off)", "addr", addr, "error", err)
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("POINTGUARD_ADMIN_ADDR: %w", err)
	}
	srv := &http.Server{Handler: m.Handler(), ReadHeaderTimeout: 10 * time.Second}
	log.Info("admin listening", "url", "http://"+ln.Addr().String(), "metrics", "/metrics", "pprof", "/debug/pprof/")
	go func() {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("POINTGUARD_ADMIN_ADDR: %w", err)
		}
	}()
	return srv, nil
}

// demoTokenToOffer is the token GraphiQL may offer with one click, or "":
// the demo's ORG_ADMIN token, only when the server runs the embedded demo
// (no DATABASE_URL: its tokens kept in data/demo.tokens, and live) and its
// socket listens on a loopback address alone (its default, 127.0.0.1:8080;
// never :PORT, every interface). Even then the page shows it only to a
// browser on this machine (playground.OffersDemoToken).
func demoTokenToOffer(cfg config, tokens *demo.Tokens, listening net.Addr) string {
	tcp, ok := listening.(*net.TCPAddr)
	if cfg.databaseURL != "" || tokens == nil || !ok || !tcp.IP.IsLoopback() {
		return ""
	}
	return tokens.OrgAdmin
}

// flushTraces sends the spans still batched, for up to 5 s: a collector
// that does not answer must not hold the process.
func flushTraces(tracer *sdktrace.TracerProvider, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := tracer.Shutdown(ctx); err != nil {
		log.Warn("sending the last spans", "error", err)
	}
}

// shutDown stops taking connections, lets the requests in flight finish
// for up to grace, then closes the connections still open: a client that
// never reads its answer cannot hold the process. Each step is logged.
func shutDown(srv *http.Server, conns *openConnections, grace time.Duration, log *slog.Logger) error {
	log.Info("shutting down: no new connections; waiting for the requests in flight",
		"grace", grace.String(), "connections", conns.count())
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	err := srv.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		log.Warn("the grace period is over: closing the connections still open", "connections", conns.count())
		err = srv.Close()
	}
	if err != nil {
		return err
	}
	log.Info("shut down")
	return nil
}

// stopDeliveries stops River's client: deliveries being sent get grace to
// finish; those cut short are sent again by the next replica to fetch
// them (at least once).
func stopDeliveries(q *queue.Queue, grace time.Duration, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := q.Stop(ctx); err != nil {
		log.Warn("stopping webhook deliveries", "error", err)
	}
}

// openConnections counts the server's connections (http.Server.ConnState).
type openConnections struct{ n atomic.Int64 }

func (c *openConnections) track(_ net.Conn, state http.ConnState) {
	switch state {
	case http.StateNew:
		c.n.Add(1)
	case http.StateClosed, http.StateHijacked:
		c.n.Add(-1)
	}
}

func (c *openConnections) count() int64 { return c.n.Load() }

// parseDays is time.ParseDuration, and whole days ("7d"), which it lacks.
func parseDays(s string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days < 0 {
			return 0, fmt.Errorf("%q is not a number of days", s)
		}
		return time.Duration(days) * 24 * time.Hour, nil
	}
	return time.ParseDuration(s)
}

// checkMigrateArgs accepts what `pointguard migrate` takes: up, status,
// or force and a version (0 for none).
func checkMigrateArgs(args []string) error {
	switch {
	case len(args) == 1 && (args[0] == "up" || args[0] == "status"):
		return nil
	case len(args) == 2 && args[0] == "force":
		if v, err := strconv.Atoi(args[1]); err != nil || v < 0 {
			return fmt.Errorf("migrate force: %q is not a version (0, 1, 2…)", args[1])
		}
		return nil
	}
	return fmt.Errorf("usage: pointguard migrate up | status | force VERSION")
}

// migrateCommand runs `pointguard migrate`: every start migrates up by
// itself; this is for looking, and for a database an interrupted
// migration of an older Pointguard marked dirty.
func migrateCommand(ctx context.Context, cfg config, stdout io.Writer) error {
	databaseURL := cfg.databaseURL
	if databaseURL == "" {
		databaseURL = defaultDatabase
	}
	m, err := store.OpenMigrator(ctx, databaseURL)
	if err != nil {
		return err
	}
	defer m.Close()
	switch cfg.commandArgs[0] {
	case "up":
		err = m.Up()
	case "force":
		v, _ := strconv.Atoi(cfg.commandArgs[1])
		err = m.Force(v)
	}
	if err != nil {
		return err
	}
	s, err := m.Status()
	if err != nil {
		return err
	}
	state := "clean"
	if s.Dirty {
		state = "dirty"
	}
	fmt.Fprintf(stdout, "version %d (%s); this binary's latest is %d\n", s.Version, state, s.Latest)
	return nil
}

// open opens the database named by the configuration and loads the demo
// organization when asked, or into the embedded database once.
func open(ctx context.Context, cfg config, tracer trace.TracerProvider, log *slog.Logger) (*store.Store, *service.Service, *demo.Tokens, error) {
	databaseURL := cfg.databaseURL
	if databaseURL == "" {
		databaseURL = defaultDatabase
	}
	ring, err := keyring(cfg, log)
	if err != nil {
		return nil, nil, nil, err
	}
	st, err := store.Open(ctx, databaseURL, store.Options{Secrets: ring, StatementTimeout: cfg.limits.RequestTimeout, Tracer: tracer})
	if err != nil {
		return nil, nil, nil, err
	}
	svc := service.New(st)
	tokens, err := bootstrap(ctx, cfg, st, svc, log)
	if err != nil {
		st.Close()
		return nil, nil, nil, err
	}
	return st, svc, tokens, nil
}

// Files the embedded default keeps its tokens in, mode 0600.
const (
	defaultAdminTokenFile = "data/admin.token"
	demoTokensFile        = "data/demo.tokens"
)

// bootstrap sets the platform admin token (POINTGUARD_ADMIN_TOKEN, or one
// generated once into data/admin.token and printed then) and loads the
// demo data. On the embedded default, the demo tokens are kept in
// data/demo.tokens and printed at every start. It answers the demo tokens
// printed, if any.
func bootstrap(ctx context.Context, cfg config, st *store.Store, svc *service.Service, log *slog.Logger) (*demo.Tokens, error) {
	embedded := cfg.databaseURL == ""
	if err := svc.EnsureAdminToken(ctx, cfg.adminToken, defaultAdminTokenFile, !embedded, log); err != nil {
		return nil, err
	}
	when, tokensFile := demo.Never, ""
	if embedded {
		when, tokensFile = demo.Once, demoTokensFile
	}
	if cfg.demo {
		when = demo.Asked
	}
	return demo.Start(ctx, st, svc, when, tokensFile, log)
}

// defaultSecretKeyFile keeps the secrets key when POINTGUARD_SECRET_KEY is unset.
const defaultSecretKeyFile = "data/secret.key"

// keyring builds the secrets keyring: POINTGUARD_SECRET_KEY, or else a key
// generated once into data/secret.key (mode 0600), plus the old keys that
// rotate-secrets needs to open what they sealed.
func keyring(cfg config, log *slog.Logger) (*secrets.Keyring, error) {
	var current []byte
	if cfg.secretKey != "" {
		key, err := secrets.ParseKey(cfg.secretKey)
		if err != nil {
			return nil, fmt.Errorf("POINTGUARD_SECRET_KEY: %w", err)
		}
		current = key
	} else {
		key, created, err := secrets.LoadOrCreateKeyFile(defaultSecretKeyFile)
		if err != nil {
			return nil, fmt.Errorf("secrets key file: %w", err)
		}
		if created {
			log.Info("generated the secrets key; keep it safe, or set POINTGUARD_SECRET_KEY", "file", defaultSecretKeyFile)
		}
		if cfg.databaseURL != "" {
			log.Warn("POINTGUARD_SECRET_KEY is unset: secrets are sealed with the key in " + defaultSecretKeyFile)
		}
		current = key
	}
	var old [][]byte
	for i, s := range cfg.oldSecretKeys {
		key, err := secrets.ParseKey(s)
		if err != nil {
			return nil, fmt.Errorf("POINTGUARD_OLD_SECRET_KEYS[%d]: %w", i, err)
		}
		old = append(old, key)
	}
	return secrets.NewKeyring(current, old...)
}

func portOf(ln net.Listener) string {
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return ":" + port
}

// logger writes slog records to w, as JSON when format is "json".
func logger(w io.Writer, format string) *slog.Logger {
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(slog.NewTextHandler(w, nil))
}
