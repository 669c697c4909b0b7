package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/pointguard/pointguard/domain"
	"github.com/pointguard/pointguard/policy"
	"github.com/pointguard/pointguard/service"
	"github.com/pointguard/pointguard/store"
)

// The command line is the standard flag package, a FlagSet per command
// that takes flags: five commands and a handful of flags need no
// framework, and --help says everything below.

// commands are what `pointguard COMMAND` runs, as --help lists them.
var commands = []struct{ usage, what string }{
	{"serve", "serve the API (the default)"},
	{"migrate up | status | force VERSION", "migrate the schema without serving, tell its version, or record VERSION after a repair by hand"},
	{"rotate-secrets", "re-seal every secret under POINTGUARD_SECRET_KEY (the old key in POINTGUARD_OLD_SECRET_KEYS)"},
	{"token create --org SLUG --role ROLE --name NAME [--account SLUG] [--expires 720h]", "mint an API token and print it, once"},
	{"version", "print the module version and the commit it was built from"},
}

// environment is every variable Pointguard reads, with its default, as
// --help lists them; TestHelpListsTheEnvironment holds it to the code
// and to the README's table.
var environment = []struct{ name, fallback, what string }{
	{"DATABASE_URL", "data/pointguard.db", "a postgres:// URL, or the path of an SQLite file"},
	{"PORT", "8080", "the HTTP port"},
	{"POINTGUARD_LISTEN", ":PORT; 127.0.0.1:8080 for the embedded demo", "the address to listen on (:8080: every interface)"},
	{"POINTGUARD_ADMIN_ADDR", "127.0.0.1:9090", "where /metrics and /debug/pprof/ are served (loopback only); off: nowhere"},
	{"POINTGUARD_LOG_FORMAT", "text", "json writes the log as JSON, a record a line"},
	{"POINTGUARD_ADMIN_TOKEN", "generated into data/admin.token", "the platform admin's token (32 characters or more)"},
	{"POINTGUARD_SECRET_KEY", "generated into data/secret.key", "the 32-byte key (base64 or hex) sealing secrets"},
	{"POINTGUARD_OLD_SECRET_KEYS", "", "older keys, comma-separated, still opening what they sealed"},
	{"POINTGUARD_MAX_DEPTH", "12", "the deepest selection nesting of an operation"},
	{"POINTGUARD_MAX_COMPLEXITY", "50000", "the highest cost of an operation"},
	{"POINTGUARD_RATE_LIMIT", "50000", "query cost restored each second to a token's budget; 0 turns rate limits off"},
	{"POINTGUARD_RATE_BURST", "100000", "a token's whole budget of query cost"},
	{"POINTGUARD_REQUEST_TIMEOUT", "10s", "how long a request may take (then 503 TIMEOUT)"},
	{"POINTGUARD_MAX_WORK", "50000", "the cost of the operations running at once; 0 turns admission control off"},
	{"POINTGUARD_MAX_QUEUE", "1000", "how many operations may wait for room"},
	{"POINTGUARD_QUEUE_WAIT", "2s", "how long an operation waits for room (then 503 OVERLOADED)"},
	{"POINTGUARD_SHUTDOWN_GRACE", "15s", "how long SIGTERM waits for the requests in flight"},
	{"POINTGUARD_REDIS_URL", "", "a Redis sharing the rate limits and persisted queries among replicas"},
	{"POINTGUARD_WEBHOOK_ALLOW_LOOPBACK", "false", "true admits http:// webhook URLs to loopback addresses"},
	{"POINTGUARD_WEBHOOK_RESCUE_AFTER", "1m", "when a delivery a killed process left running is sent again"},
	{"POINTGUARD_EVENT_RETENTION", "7d", "how long events and deliveries are kept (at least 24h)"},
	{"POINTGUARD_EXECUTOR", "pointguard", "what runs queries: pointguard, or gqlgen for all of them"},
	{"POINTGUARD_INTROSPECTION", "true", "false refuses __schema and __type"},
	{"POINTGUARD_TRUSTED_DOCUMENTS", "", "a JSON manifest (SHA-256 → document): tokens but admins' run only those"},
	{"OTEL_EXPORTER_OTLP_ENDPOINT", "", "an OTLP collector (http://host:4318): traces are sent there; unset, none are made"},
	{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "", "the same for traces alone, the full URL (…/v1/traces)"},
	{"OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf", "how spans are sent: http/protobuf, or grpc (http://host:4317)"},
	{"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "", "the same for traces alone"},
	{"OTEL_SERVICE_NAME", "pointguard", "the traces' service.name"},
	{"OTEL_SDK_DISABLED", "false", "true turns tracing off, whatever the endpoint"},
	{"GOMEMLIMIT", "384MiB", "Go's soft memory limit"},
	{"GOGC", "200", "Go's garbage-collector target"},
}

// usage writes --help.
func usage(w io.Writer, flags *flag.FlagSet) {
	fmt.Fprint(w, "Pointguard serves the integration-governance GraphQL API: /graphql, GraphiQL at /.\n\n"+
		"Usage: pointguard [flags] [command]\n\nCommands:\n")
	for _, c := range commands {
		fmt.Fprintf(w, "  %s\n    \t%s\n", c.usage, c.what)
	}
	fmt.Fprint(w, "\nFlags:\n")
	flags.SetOutput(w)
	flags.PrintDefaults()
	fmt.Fprint(w, "\nEnvironment (default):\n")
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	for _, e := range environment {
		fallback := e.fallback
		if fallback == "" {
			fallback = "unset"
		}
		fmt.Fprintf(tw, "  %s\t%s\t(%s)\n", e.name, e.what, fallback)
	}
	tw.Flush()
	fmt.Fprint(w, "\nThe README says more of each: https://github.com/pointguard/pointguard#readme\n")
}

// version is what `pointguard version` prints: the module's version and
// the commit it was built from, as the Go toolchain recorded them.
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "pointguard (no build information)"
	}
	revision, modified, at := "unknown", "", ""
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			revision = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = " (with uncommitted changes)"
			}
		case "vcs.time":
			at = ", " + s.Value
		}
	}
	return fmt.Sprintf("pointguard %s, commit %s%s%s, %s", info.Main.Version, revision, modified, at, info.GoVersion)
}

// tokenRequest is what `pointguard token create` was asked for.
type tokenRequest struct {
	org, account, role, name string
	expires                  time.Duration
}

// parseTokenCreate reads `token create`'s flags.
func parseTokenCreate(args []string, stderr io.Writer) (tokenRequest, error) {
	var t tokenRequest
	fs := flag.NewFlagSet("pointguard token create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&t.org, "org", "", "the organization's slug")
	fs.StringVar(&t.account, "account", "", "the account's slug, for an ACCOUNT_ role")
	fs.StringVar(&t.role, "role", "", "ORG_ADMIN, ORG_VIEWER, ACCOUNT_ADMIN, ACCOUNT_VIEWER or RUNTIME")
	fs.StringVar(&t.name, "name", "", "what the token is for")
	fs.DurationVar(&t.expires, "expires", 0, "how long until it expires (720h…); 0: never")
	if err := fs.Parse(args); err != nil {
		return t, err
	}
	var missing []string
	for flag, v := range map[string]string{"--org": t.org, "--role": t.role, "--name": t.name} {
		if v == "" {
			missing = append(missing, flag)
		}
	}
	if len(missing) > 0 || fs.NArg() > 0 {
		return t, errors.New("usage: pointguard token create --org SLUG --role ROLE --name NAME [--account SLUG] [--expires 720h]")
	}
	if t.expires < 0 {
		return t, fmt.Errorf("--expires %s is in the past", t.expires)
	}
	return t, nil
}

// createToken mints the token asked for, as the platform would, and
// prints it once.
func createToken(ctx context.Context, st *store.Store, svc *service.Service, t tokenRequest, stdout io.Writer) error {
	ctx = policy.With(ctx, policy.System)
	org, err := st.Read(policy.System.Scope()).FindOrganizationBySlug(ctx, t.org)
	if errors.Is(err, domain.ErrNotFound) {
		return fmt.Errorf("no organization has the slug %q", t.org)
	}
	if err != nil {
		return err
	}
	in := service.CreateApiTokenInput{OrganizationID: &org.ID, Role: domain.Role(strings.ToUpper(t.role)), Name: t.name}
	if t.account != "" {
		a, err := st.Read(policy.System.Scope()).FindAccountBySlug(ctx, org.ID, t.account)
		if errors.Is(err, domain.ErrNotFound) {
			return fmt.Errorf("the organization %s has no account with the slug %q", t.org, t.account)
		}
		if err != nil {
			return err
		}
		in.OrganizationID, in.AccountID = nil, &a.ID
	}
	if t.expires > 0 {
		at := svc.Now().Add(t.expires)
		in.ExpiresAt = &at
	}
	token, created, err := svc.CreateApiToken(ctx, in)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s\n", token)
	fmt.Fprintf(stdout, "# %s, %s %s (%s); shown this once\n", created.ID, created.Role, created.Name, t.org)
	return nil
}
