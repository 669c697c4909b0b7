package catalog

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/pointguard/pointguard/domain"
)

// decode parses a JSON object the way the API does: numbers as json.Number.
func decode(t testing.TB, s string) map[string]any {
	t.Helper()
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		t.Fatalf("decode %s: %v", s, err)
	}
	return m
}

// schemaDoc is a provider's schema, decoded.
func schemaDoc(t *testing.T, key string) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(ConfigSchema(key), &doc); err != nil {
		t.Fatalf("%s: schema is not a JSON object: %v", key, err)
	}
	return doc
}

func TestSchemasCompile(t *testing.T) {
	compiled, err := loadSchemas(schemaFiles)
	if err != nil {
		t.Fatalf("loadSchemas: %v", err)
	}
	if len(compiled) != 41 {
		t.Errorf("%d schemas, want 41 (31 real providers and 10 mocks)", len(compiled))
	}
	for key := range compiled {
		if Lookup(key) == nil {
			t.Errorf("schemas/%s.json: no such provider in the catalog", key)
		}
	}
	for _, p := range All() {
		if compiled[p.Key] == nil {
			t.Errorf("%s: no schema", p.Key)
			continue
		}
		if !bytes.Equal(p.ConfigSchema, ConfigSchema(p.Key)) {
			t.Errorf("%s: Provider.ConfigSchema differs from ConfigSchema()", p.Key)
		}
		if !json.Valid(p.ConfigSchema) {
			t.Errorf("%s: ConfigSchema is not valid JSON", p.Key)
		}
	}
}

func TestConfigSchemaUnknownKey(t *testing.T) {
	for _, key := range []string{"", "nosuch", "Jira", "prv_jira", " jira"} {
		if s := ConfigSchema(key); s != nil {
			t.Errorf("ConfigSchema(%q) = %s, want nil", key, s)
		}
		if ps := ValidateConfig(key, map[string]any{"x": 1}); ps != nil {
			t.Errorf("ValidateConfig(%q) = %v, want nil", key, ps)
		}
	}
}

func TestConfigSchemaIsACopy(t *testing.T) {
	s := ConfigSchema("jira")
	for i := range s {
		s[i] = 'x'
	}
	if !json.Valid(ConfigSchema("jira")) || !json.Valid(Lookup("jira").ConfigSchema) {
		t.Fatal("modifying ConfigSchema's result changed the catalog's schema")
	}
}

// keywords are the only keywords the schemas may use: a typo such as
// "writeonly" would otherwise be an ignored annotation.
var keywords = map[string]bool{
	"$schema": true, "$id": true, "$defs": true, "$ref": true, "$comment": true,
	"title": true, "description": true, "examples": true, "default": true, "writeOnly": true, "readOnly": true, "deprecated": true,
	"type": true, "enum": true, "const": true, "format": true, "pattern": true, "minLength": true, "maxLength": true,
	"minimum": true, "maximum": true, "exclusiveMinimum": true, "exclusiveMaximum": true, "multipleOf": true,
	"items": true, "uniqueItems": true, "minItems": true, "maxItems": true,
	"properties": true, "required": true, "dependentRequired": true, "additionalProperties": true,
	"allOf": true, "anyOf": true, "oneOf": true, "not": true, "if": true, "then": true, "else": true,
}

// eachSchema calls fn on every schema object in doc, with its JSON pointer.
func eachSchema(doc map[string]any, fn func(ptr string, s map[string]any)) {
	var visit func(string, any)
	visit = func(ptr string, v any) {
		s, ok := v.(map[string]any)
		if !ok {
			return
		}
		fn(ptr, s)
		for _, k := range subschemaKeywords {
			visit(ptr+"/"+k, s[k])
		}
		for _, k := range subschemaMapKeywords {
			m, _ := s[k].(map[string]any)
			for name, sub := range m {
				visit(ptr+"/"+k+"/"+name, sub)
			}
		}
		for _, k := range subschemaListKeywords {
			l, _ := s[k].([]any)
			for i, sub := range l {
				visit(fmt.Sprintf("%s/%s/%d", ptr, k, i), sub)
			}
		}
	}
	visit("", doc)
}

func TestSchemaKeywords(t *testing.T) {
	for _, p := range All() {
		t.Run(p.Key, func(t *testing.T) {
			doc := schemaDoc(t, p.Key)
			if doc["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
				t.Errorf("$schema = %v", doc["$schema"])
			}
			if want := "https://pointguard.dev/providers/" + p.Key + ".json"; doc["$id"] != want {
				t.Errorf("$id = %v, want %s", doc["$id"], want)
			}
			for _, k := range []string{"title", "description"} {
				if s, _ := doc[k].(string); strings.TrimSpace(s) == "" {
					t.Errorf("no %s", k)
				}
			}
			if doc["type"] != "object" {
				t.Errorf("type = %v, want object", doc["type"])
			}
			if doc["additionalProperties"] != nil {
				t.Errorf("additionalProperties is set: organizations add their own keys")
			}
			props, _ := doc["properties"].(map[string]any)
			if !p.Mock && len(props) == 0 {
				t.Errorf("a real provider declares no property")
			}
			eachSchema(doc, func(ptr string, s map[string]any) {
				for k := range s {
					if !keywords[k] {
						t.Errorf("%s: unknown keyword %q", ptr, k)
					}
				}
				if strings.Contains(ptr+"/", "/if/") {
					return // a condition, not a declaration
				}
				props, _ := s["properties"].(map[string]any)
				for name, sub := range props {
					sub, _ := sub.(map[string]any)
					if d, _ := sub["description"].(string); strings.TrimSpace(d) == "" {
						t.Errorf("%s/properties/%s: no description", ptr, name)
					}
				}
			})
		})
	}
}

// TestRequiredKeysAreDeclared: every key a schema requires, unconditionally
// or not, is one of the properties of the object it applies to.
func TestRequiredKeysAreDeclared(t *testing.T) {
	for _, p := range All() {
		doc := schemaDoc(t, p.Key)
		var check func(ptr string, s map[string]any, declared map[string]bool)
		check = func(ptr string, s map[string]any, declared map[string]bool) {
			if props, ok := s["properties"].(map[string]any); ok {
				declared = maps(declared)
				for name, sub := range props {
					declared[name] = true
					if sub, ok := sub.(map[string]any); ok {
						check(ptr+"/properties/"+name, sub, nil)
					}
				}
			}
			var names []any
			if r, ok := s["required"].([]any); ok {
				names = append(names, r...)
			}
			if dr, ok := s["dependentRequired"].(map[string]any); ok {
				for k, v := range dr {
					names = append(names, k)
					if l, ok := v.([]any); ok {
						names = append(names, l...)
					}
				}
			}
			for _, n := range names {
				if name, _ := n.(string); !declared[name] {
					t.Errorf("%s%s: requires %v, which is not a declared property", p.Key, ptr, n)
				}
			}
			// Applicators apply to the same object.
			for _, k := range []string{"if", "then", "else", "not"} {
				if sub, ok := s[k].(map[string]any); ok {
					check(ptr+"/"+k, sub, declared)
				}
			}
			for _, k := range subschemaListKeywords {
				l, _ := s[k].([]any)
				for i, sub := range l {
					if sub, ok := sub.(map[string]any); ok {
						check(fmt.Sprintf("%s/%s/%d", ptr, k, i), sub, declared)
					}
				}
			}
			if defs, ok := s["$defs"].(map[string]any); ok {
				for name, sub := range defs {
					if sub, ok := sub.(map[string]any); ok {
						check(ptr+"/$defs/"+name, sub, nil)
					}
				}
			}
		}
		check("", doc, nil)
	}
}

func maps(m map[string]bool) map[string]bool {
	out := map[string]bool{}
	for k, v := range m {
		out[k] = v
	}
	return out
}

// secretName are property names that hold a credential.
var secretName = regexp.MustCompile(`password|secret|token|private_key|api_key|access_key|account_key|routing_key|certificate|webhook_url|http_source_url`)

func TestSecrets(t *testing.T) {
	for _, p := range All() {
		t.Run(p.Key, func(t *testing.T) {
			doc := schemaDoc(t, p.Key)
			var writeOnly []string
			eachSchema(doc, func(ptr string, s map[string]any) {
				props, _ := s["properties"].(map[string]any)
				for name, sub := range props {
					sub, _ := sub.(map[string]any)
					secret := sub["writeOnly"] == true
					if secret {
						writeOnly = append(writeOnly, name)
						if sub["type"] != "string" {
							t.Errorf("%s/properties/%s: a secret must be a string", ptr, name)
						}
						if _, ok := sub["default"]; ok {
							t.Errorf("%s/properties/%s: a secret has a default", ptr, name)
						}
					}
					if secretName.MatchString(name) && !strings.HasSuffix(name, "_id") && !secret {
						t.Errorf("%s/properties/%s looks like a secret but is not writeOnly", ptr, name)
					}
				}
			})
			sort.Strings(writeOnly)
			writeOnly = slices.Compact(writeOnly)
			if !slices.Equal(p.SecretFields, writeOnly) && !(len(p.SecretFields) == 0 && len(writeOnly) == 0) {
				t.Errorf("SecretFields = %v, want %v", p.SecretFields, writeOnly)
			}
			if !sort.StringsAreSorted(p.SecretFields) {
				t.Errorf("SecretFields %v not sorted", p.SecretFields)
			}
		})
	}
	for key, want := range map[string][]string{
		"jira":                     {"api_token", "client_secret"},
		"servicenow":               {"client_secret", "password"},
		"slack":                    {"bot_token", "webhook_url"},
		"splunk":                   {"hec_token"},
		"crowdstrike":              {"client_secret"},
		"pagerduty":                {"routing_key"},
		"microsoft_teams":          {"webhook_url"},
		"okta":                     {"api_token", "private_key"},
		"github_advanced_security": {"private_key", "token"}, // private_key is in $defs
		"aws_s3":                   nil,
		"mock_ticketing":           nil,
	} {
		if got := Lookup(key).SecretFields; !slices.Equal(got, want) {
			t.Errorf("%s: SecretFields = %v, want %v", key, got, want)
		}
	}
}

func TestAuthMethods(t *testing.T) {
	for key, want := range map[string][]string{
		"jira":        {"api_token", "oauth2"},
		"servicenow":  {"basic", "oauth2"},
		"zendesk":     {"api_token", "oauth2"},
		"slack":       {"bot_token", "incoming_webhook"},
		"okta":        {"api_token", "oauth2"},
		"crowdstrike": nil,
		"splunk":      nil,
		"mock_edr":    nil,
	} {
		if got := Lookup(key).AuthMethods; !slices.Equal(got, want) {
			t.Errorf("%s: AuthMethods = %v, want %v", key, got, want)
		}
	}
	// Every auth method says what it requires.
	for _, p := range All() {
		if len(p.AuthMethods) == 0 {
			continue
		}
		doc := schemaDoc(t, p.Key)
		all, _ := doc["allOf"].([]any)
		for _, m := range p.AuthMethods {
			found := false
			for _, c := range all {
				c, _ := c.(map[string]any)
				ifs, _ := c["if"].(map[string]any)
				props, _ := ifs["properties"].(map[string]any)
				am, _ := props["auth_method"].(map[string]any)
				then, _ := c["then"].(map[string]any)
				req, _ := then["required"].([]any)
				if am["const"] == m && len(req) > 0 {
					found = true
				}
			}
			if !found {
				t.Errorf("%s: auth_method %s has no if/then saying what it requires", p.Key, m)
			}
		}
	}
}

// TestCategoryKeys: the demo's points require project (Ticketing) and channel
// (Notifications); every provider of those categories accepts them.
func TestCategoryKeys(t *testing.T) {
	for c, cfg := range map[domain.Category]map[string]any{
		domain.CategoryTicketing:     {"project": "SEC"},
		domain.CategoryNotifications: {"channel": "#soc-alerts"},
	} {
		for _, p := range ByCategory(c) {
			for k := range cfg {
				props, _ := schemaDoc(t, p.Key)["properties"].(map[string]any)
				if props[k] == nil {
					t.Errorf("%s does not declare %s", p.Key, k)
				}
			}
			if ps := ValidateConfig(p.Key, cfg); ps != nil {
				t.Errorf("%s refuses %v: %v", p.Key, cfg, ps)
			}
		}
	}
}

// TestExistingConfigsConform: the configs of the demo, the README and the
// tests conform, so enforcing the schemas breaks none of them.
func TestExistingConfigsConform(t *testing.T) {
	type tc struct {
		key    string
		config map[string]any
	}
	cases := []tc{
		{"jira", map[string]any{"project": "SEC", "site_url": "https://acme.atlassian.net"}},
		{"zendesk", map[string]any{"project": "ESC"}},
		{"mock_ticketing", map[string]any{"project": "SANDBOX"}},
		{"slack", map[string]any{"channel": "#soc-alerts"}},
		{"servicenow", map[string]any{"project": "OPS", "table": "incident"}},
		{"sentinel", map[string]any{"index": "main"}},
		{"jira", map[string]any{"project": "SEC", "url": "https://acme.atlassian.net"}},
		{"jira", map[string]any{"project": strings.Repeat("x", 70<<10)}},
		{"mock_ticketing", map[string]any{"project": "  "}},
		{"mock_ticketing", map[string]any{"project": "T"}},
		{"mock_ticketing", map[string]any{"project": "P"}},
	}
	for _, p := range []string{"SEC", "OPS", "P", "T", "A", "B", "C", "0", "1", "2", "3", "4", "late"} {
		cases = append(cases, tc{"jira", map[string]any{"project": p}}, tc{"servicenow", map[string]any{"project": p}})
	}
	for _, c := range cases {
		if ps := ValidateConfig(c.key, c.config); ps != nil {
			t.Errorf("%s %.80v: %v", c.key, c.config, ps)
		}
	}
}

func TestValidateConfig(t *testing.T) {
	type P = ConfigProblem
	const uuid = "123e4567-e89b-42d3-a456-426614174000"
	tests := []struct {
		name, key, config string
		want              []P // nil: conforms
	}{
		// Jira
		{"JiraMinimal", "jira", `{"project":"SEC"}`, nil},
		{"JiraAPIToken", "jira", `{"project":"SEC","site_url":"https://acme.atlassian.net","auth_method":"api_token","email":"secops@acme.com","api_token":"t0k3n"}`, nil},
		{"JiraOAuth2", "jira", `{"project":"SEC","auth_method":"oauth2","client_id":"abc","client_secret":"s3cr3t","labels":["pointguard","sec"]}`, nil},
		{"JiraOwnKeys", "jira", `{"project":"SEC","team":{"anything":[1,2]}}`, nil},
		{"JiraHTTPSiteURL", "jira", `{"project":"SEC","site_url":"http://acme.atlassian.net"}`,
			[]P{{"config.site_url", "config.site_url must be an https URL"}}},
		{"JiraSiteURLNotAURL", "jira", `{"project":"SEC","site_url":"acme.atlassian.net"}`,
			[]P{{"config.site_url", "config.site_url must be an https URL"}}},
		{"JiraSiteURLNoHost", "jira", `{"project":"SEC","site_url":"https://"}`,
			[]P{{"config.site_url", "config.site_url must be an https URL"}}},
		{"JiraAPITokenWithoutEmail", "jira", `{"project":"SEC","auth_method":"api_token","api_token":"t0k3n"}`,
			[]P{{"config.email", "config.email is required when auth_method is api_token"}}},
		{"JiraAPITokenWithoutCredentials", "jira", `{"project":"SEC","auth_method":"api_token"}`,
			[]P{{"config.api_token", "config.api_token is required when auth_method is api_token"},
				{"config.email", "config.email is required when auth_method is api_token"}}},
		{"JiraOAuth2WithoutSecret", "jira", `{"project":"SEC","auth_method":"oauth2","client_id":"abc"}`,
			[]P{{"config.client_secret", "config.client_secret is required when auth_method is oauth2"}}},
		{"JiraCredentialsWithoutAuthMethod", "jira", `{"project":"SEC","api_token":"t0k3n"}`, nil},
		{"JiraUnknownAuthMethod", "jira", `{"project":"SEC","auth_method":"password"}`,
			[]P{{"config.auth_method", `config.auth_method must be one of "api_token", "oauth2"`}}},
		{"JiraEmptyProject", "jira", `{"project":""}`,
			[]P{{"config.project", "config.project must not be empty"}}},
		{"JiraNumericProject", "jira", `{"project":42}`,
			[]P{{"config.project", "config.project must be a string, not a number"}}},
		{"JiraNoProject", "jira", `{"site_url":"https://acme.atlassian.net"}`,
			[]P{{"config.project", "config.project is required"}}},
		{"JiraBadEmail", "jira", `{"project":"SEC","auth_method":"api_token","email":"secops","api_token":"t"}`,
			[]P{{"config.email", `config.email must be an email address, for example "secops@acme.com"`}}},
		{"JiraLabelWithSpace", "jira", `{"project":"SEC","labels":["ok","not ok"]}`,
			[]P{{"config.labels.1", `config.labels.1 must look like "pointguard" (pattern ^\S+$)`}}},
		{"JiraDuplicateLabels", "jira", `{"project":"SEC","labels":["a","b","a"]}`,
			[]P{{"config.labels", "config.labels must not list the same item twice (items 0 and 2 are equal)"}}},
		{"JiraLabelsNotAList", "jira", `{"project":"SEC","labels":"a"}`,
			[]P{{"config.labels", "config.labels must be a list, not a string"}}},
		{"JiraSeveralProblemsSorted", "jira", `{"site_url":"ftp://x","auth_method":"oauth2","client_id":""}`,
			[]P{{"config.client_id", "config.client_id must not be empty"},
				{"config.client_secret", "config.client_secret is required when auth_method is oauth2"},
				{"config.project", "config.project is required"},
				{"config.site_url", "config.site_url must be an https URL"}}},

		// ServiceNow
		{"ServiceNowEmpty", "servicenow", `{}`, nil},
		{"ServiceNowBasic", "servicenow", `{"instance_url":"https://acme.service-now.com","table":"sn_si_incident","auth_method":"basic","username":"pointguard","password":"pw"}`, nil},
		{"ServiceNowNotServiceNow", "servicenow", `{"instance_url":"https://acme.example.com"}`,
			[]P{{"config.instance_url", `config.instance_url must look like "https://acme.service-now.com" (pattern ^https://[A-Za-z0-9][A-Za-z0-9-]*\.service-now\.com/?$)`}}},
		{"ServiceNowBadTable", "servicenow", `{"table":"Incident Table"}`,
			[]P{{"config.table", `config.table must look like "incident" (pattern ^[a-z][a-z0-9_]*$)`}}},
		{"ServiceNowBasicWithoutPassword", "servicenow", `{"auth_method":"basic","username":"pointguard"}`,
			[]P{{"config.password", "config.password is required when auth_method is basic"}}},
		{"ServiceNowOAuth2WithoutClient", "servicenow", `{"auth_method":"oauth2"}`,
			[]P{{"config.client_id", "config.client_id is required when auth_method is oauth2"},
				{"config.client_secret", "config.client_secret is required when auth_method is oauth2"}}},

		// Slack
		{"SlackChannel", "slack", `{"channel":"#soc-alerts","workspace":"acme","auth_method":"bot_token","bot_token":"xoxb-1-2-abc"}`, nil},
		{"SlackChannelWithoutHash", "slack", `{"channel":"soc-alerts"}`,
			[]P{{"config.channel", `config.channel must look like "#soc-alerts" (pattern ^#\S+$)`}}},
		{"SlackNoChannel", "slack", `{"workspace":"acme"}`,
			[]P{{"config.channel", "config.channel is required"}}},
		{"SlackBotTokenMissing", "slack", `{"channel":"#x","auth_method":"bot_token"}`,
			[]P{{"config.bot_token", "config.bot_token is required when auth_method is bot_token"}}},
		{"SlackUserToken", "slack", `{"channel":"#x","bot_token":"xoxp-user-token"}`,
			[]P{{"config.bot_token", `config.bot_token must look like "xoxb-…" (pattern ^xoxb-\S+$)`}}},
		{"SlackWebhookElsewhere", "slack", `{"channel":"#x","auth_method":"incoming_webhook","webhook_url":"https://example.com/hook"}`,
			[]P{{"config.webhook_url", `config.webhook_url must look like "https://hooks.slack.com/services/T000/B000/XXXX" (pattern ^https://hooks\.slack\.com/\S+$)`}}},

		// Splunk
		{"SplunkHEC", "splunk", `{"hec_url":"https://http-inputs-acme.splunkcloud.com/services/collector/event","hec_token":"` + uuid + `","index":"main","verify_tls":false}`, nil},
		{"SplunkHTTP", "splunk", `{"hec_url":"http://splunk.acme.internal:8088/services/collector"}`,
			[]P{{"config.hec_url", "config.hec_url must be an https URL"}}},
		{"SplunkBadTokenIndexAndTLS", "splunk", `{"hec_token":"abc","index":"Main","verify_tls":"yes"}`,
			[]P{{"config.hec_token", "config.hec_token must be a UUID"},
				{"config.index", `config.index must look like "main" (pattern ^[a-z0-9_][a-z0-9_-]*$)`},
				{"config.verify_tls", "config.verify_tls must be a boolean, not a string"}}},

		// CrowdStrike
		{"CrowdStrike", "crowdstrike", `{"region":"eu-1","client_id":"0123456789abcdef0123456789abcdef","client_secret":"s"}`, nil},
		{"CrowdStrikeUnknownRegion", "crowdstrike", `{"region":"eu-2"}`,
			[]P{{"config.region", `config.region must be one of "us-1", "us-2", "eu-1", "us-gov-1"`}}},
		{"CrowdStrikeRegionNotString", "crowdstrike", `{"region":1}`,
			[]P{{"config.region", "config.region must be a string, not a number"}}},
		{"CrowdStrikeClientWithoutSecret", "crowdstrike", `{"client_id":"0123456789abcdef0123456789abcdef"}`,
			[]P{{"config.client_secret", "config.client_secret is required when client_id is set"}}},

		// Amazon S3
		{"S3", "aws_s3", `{"bucket":"acme-security-archive","region":"us-east-1","role_arn":"arn:aws:iam::123456789012:role/PointguardAccess","external_id":"pg-42","server_side_encryption":{"algorithm":"aws:kms","kms_key_arn":"arn:aws:kms:us-east-1:123456789012:key/1234abcd"}}`, nil},
		{"S3GovCloudRole", "aws_s3", `{"role_arn":"arn:aws-us-gov:iam::123456789012:role/path/Pointguard"}`, nil},
		{"S3BadRoleARN", "aws_s3", `{"role_arn":"arn:aws:iam::1234:user/bob"}`,
			[]P{{"config.role_arn", `config.role_arn must look like "arn:aws:iam::123456789012:role/PointguardAccess" (pattern ^arn:aws(-cn|-us-gov)?:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$)`}}},
		{"S3ExternalIDWithoutRole", "aws_s3", `{"external_id":"pg-42"}`,
			[]P{{"config.role_arn", "config.role_arn is required when external_id is set"}}},
		{"S3KMSWithoutKey", "aws_s3", `{"server_side_encryption":{"algorithm":"aws:kms"}}`,
			[]P{{"config.server_side_encryption.kms_key_arn", "config.server_side_encryption.kms_key_arn is required when server_side_encryption.algorithm is aws:kms"}}},
		{"S3EncryptionWithoutAlgorithm", "aws_s3", `{"server_side_encryption":{}}`,
			[]P{{"config.server_side_encryption.algorithm", "config.server_side_encryption.algorithm is required"}}},
		{"S3BadBucketAndRegion", "aws_s3", `{"bucket":"Acme_Bucket","region":"mars"}`,
			[]P{{"config.bucket", `config.bucket must look like "acme-security-archive" (pattern ^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$)`},
				{"config.region", `config.region must look like "us-east-1" (pattern ^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]+$)`}}},

		// Nested objects through $ref
		{"GitHubApp", "github_advanced_security", `{"owner":"acme","auth_method":"github_app","app":{"app_id":1,"installation_id":2,"private_key":"-----BEGIN"}}`, nil},
		{"GitHubAppMissing", "github_advanced_security", `{"auth_method":"github_app"}`,
			[]P{{"config.app", "config.app is required when auth_method is github_app"}}},
		{"GitHubAppIncomplete", "github_advanced_security", `{"app":{"app_id":"1","installation_id":0}}`,
			[]P{{"config.app.app_id", "config.app.app_id must be an integer, not a string"},
				{"config.app.installation_id", "config.app.installation_id must be at least 1"},
				{"config.app.private_key", "config.app.private_key is required"}}},
		{"GitHubAlertTypes", "github_advanced_security", `{"alert_types":[]}`,
			[]P{{"config.alert_types", "config.alert_types must have at least 1 item"}}},
		{"GitHubUnknownAlertType", "github_advanced_security", `{"alert_types":["dependabot","malware"]}`,
			[]P{{"config.alert_types.1", `config.alert_types.1 must be one of "code_scanning", "secret_scanning", "dependabot"`}}},

		// Numbers
		{"LinearPriority", "linear", `{"priority":3}`, nil},
		{"LinearPriorityExponent", "linear", `{"priority":3e0}`, nil},
		{"LinearPriorityTooHigh", "linear", `{"priority":5}`,
			[]P{{"config.priority", "config.priority must be at most 4"}}},
		{"LinearPriorityFraction", "linear", `{"priority":2.5}`,
			[]P{{"config.priority", "config.priority must be a whole number"}}},
		{"LinearPriorityNegative", "linear", `{"priority":-1}`,
			[]P{{"config.priority", "config.priority must be at least 0"}}},
		{"LinearPriorityHuge", "linear", `{"priority":1e999}`,
			[]P{{"config.priority", "config.priority is out of range"}}},

		// Others
		{"SentinelREADME", "sentinel", `{"index":"main"}`, nil},
		{"SentinelClientSecret", "sentinel", `{"auth_method":"client_secret","client_id":"not-a-uuid"}`,
			[]P{{"config.client_id", "config.client_id must be a UUID"},
				{"config.client_secret", "config.client_secret is required when auth_method is client_secret"},
				{"config.tenant_id", "config.tenant_id is required when auth_method is client_secret"}}},
		{"OktaDomain", "okta", `{"domain":"acme okta"}`,
			[]P{{"config.domain", `config.domain must be a host name, for example "acme.okta.com"`}}},
		{"PagerDutyRoutingKey", "pagerduty", `{"routing_key":"short","channel":"#soc"}`,
			[]P{{"config.routing_key", "config.routing_key must match the pattern ^[A-Za-z0-9]{32}$"}}},
		{"TeamsHTTPWebhook", "microsoft_teams", `{"webhook_url":"http://acme.webhook.office.com/x"}`,
			[]P{{"config.webhook_url", "config.webhook_url must be an https URL"}}},
		{"TenableSCWithoutURL", "tenable", `{"platform":"tenable_sc"}`,
			[]P{{"config.url", "config.url is required when platform is tenable_sc"}}},
		{"MockAcceptsAnything", "mock_ticketing", `{"project":42,"x":[{"y":null}],"auth_method":"carrier pigeon"}`, nil},
		{"MockEmpty", "mock_siem", `{}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ValidateConfig(tt.key, decode(t, tt.config))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ValidateConfig(%s, %s)\n got  %q\n want %q", tt.key, tt.config, got, tt.want)
			}
		})
	}
}

// TestValidateConfigGoValues: configs built in Go, or decoded by GraphQL,
// hold other types than encoding/json's.
func TestValidateConfigGoValues(t *testing.T) {
	type P = ConfigProblem
	deep := map[string]any{}
	for i, m := 0, deep; i < 100; i++ {
		next := map[string]any{}
		m["a"] = next
		m = next
	}
	tests := []struct {
		name   string
		key    string
		config map[string]any
		want   []P
	}{
		{"JSONNumber", "linear", map[string]any{"priority": json.Number("2")}, nil},
		{"Int", "linear", map[string]any{"priority": 2}, nil},
		{"Int64", "linear", map[string]any{"priority": int64(2)}, nil},
		{"Uint8", "linear", map[string]any{"priority": uint8(4)}, nil},
		{"Float64", "linear", map[string]any{"priority": 2.0}, nil},
		{"Float32", "linear", map[string]any{"priority": float32(1)}, nil},
		{"Int64TooHigh", "linear", map[string]any{"priority": int64(9)}, []P{{"config.priority", "config.priority must be at most 4"}}},
		{"Float64Fraction", "linear", map[string]any{"priority": 2.5}, []P{{"config.priority", "config.priority must be a whole number"}}},
		{"NaN", "linear", map[string]any{"priority": math.NaN()}, []P{{"config.priority", "config.priority must be a finite number"}}},
		{"Inf", "linear", map[string]any{"priority": math.Inf(1)}, []P{{"config.priority", "config.priority must be a finite number"}}},
		{"BadJSONNumber", "linear", map[string]any{"priority": json.Number("two")}, []P{{"config.priority", "config.priority must be a number"}}},
		{"EmptyJSONNumber", "linear", map[string]any{"priority": json.Number("")}, []P{{"config.priority", "config.priority must be a number"}}},
		{"TinyJSONNumber", "linear", map[string]any{"priority": json.Number("1e-99999999")}, []P{{"config.priority", "config.priority is out of range"}}},
		{"StringSlice", "jira", map[string]any{"project": "SEC", "labels": []string{"a", "b c"}},
			[]P{{"config.labels.1", `config.labels.1 must look like "pointguard" (pattern ^\S+$)`}}},
		{"StringMap", "aws_s3", map[string]any{"server_side_encryption": map[string]string{"algorithm": "aws:kms"}},
			[]P{{"config.server_side_encryption.kms_key_arn", "config.server_side_encryption.kms_key_arn is required when server_side_encryption.algorithm is aws:kms"}}},
		{"Struct", "slack", map[string]any{"channel": struct{ Name string }{"x"}},
			[]P{{"config.channel", "config.channel must be a string, not an object"}}},
		{"RawMessage", "slack", map[string]any{"channel": json.RawMessage(`"#ok"`)}, nil},
		{"Channel", "slack", map[string]any{"channel": "#x", "c": make(chan int)},
			[]P{{"config.c", "config.c is not a JSON value"}}},
		{"Func", "mock_edr", map[string]any{"f": func() {}}, []P{{"config.f", "config.f is not a JSON value"}}},
		{"TooDeep", "mock_edr", deep, []P{{"config" + strings.Repeat(".a", 65), "config" + strings.Repeat(".a", 65) + " is nested more than 64 levels deep"}}},
		{"NilConfigJira", "jira", nil, []P{{"config.project", "config.project is required"}}},
		{"NilConfigServiceNow", "servicenow", nil, nil},
		{"NullValue", "jira", map[string]any{"project": nil}, []P{{"config.project", "config.project must be a string, not null"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ValidateConfig(tt.key, tt.config)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}

	t.Run("ConfigUntouched", func(t *testing.T) {
		cfg := map[string]any{"project": "SEC", "labels": []string{"a"}, "n": json.Number("1"), "x": map[string]any{"y": []any{1.5}}}
		before := fmt.Sprintf("%#v", cfg)
		ValidateConfig("jira", cfg)
		if after := fmt.Sprintf("%#v", cfg); after != before {
			t.Errorf("config changed:\n%s\n%s", before, after)
		}
	})

	t.Run("CyclicMap", func(t *testing.T) {
		cyclic := map[string]any{}
		cyclic["self"] = cyclic
		ps := ValidateConfig("mock_edr", cyclic)
		if len(ps) != 1 || !strings.Contains(ps[0].Message, "nested more than") {
			t.Errorf("got %v", ps)
		}
	})
}

// TestMessagesNeverQuoteValues: a value may be a secret.
func TestMessagesNeverQuoteValues(t *testing.T) {
	const secret = "hunter2-very-secret"
	for _, p := range All() {
		cfg := map[string]any{}
		for _, f := range p.SecretFields {
			cfg[f] = secret
		}
		for _, f := range []string{"project", "channel", "region", "site_url", "instance_url", "hec_url", "role_arn"} {
			cfg[f] = secret
		}
		for _, prob := range ValidateConfig(p.Key, cfg) {
			if strings.Contains(prob.Message, secret) {
				t.Errorf("%s: %q quotes the value", p.Key, prob.Message)
			}
		}
	}
}

func TestValidateConfigConcurrent(t *testing.T) {
	cfg := decode(t, `{"site_url":"http://x","auth_method":"api_token","labels":["a a"],"priority":9}`)
	want := map[string][]ConfigProblem{}
	for _, p := range All() {
		want[p.Key] = ValidateConfig(p.Key, cfg)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				for _, p := range All() {
					if got := ValidateConfig(p.Key, cfg); !reflect.DeepEqual(got, want[p.Key]) {
						t.Errorf("%s: %v, then %v", p.Key, want[p.Key], got)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
}

// TestBrokenSchemas: loadSchemas refuses what would be a build bug, and
// never fetches anything.
func TestBrokenSchemas(t *testing.T) {
	const head = `"$schema":"https://json-schema.org/draft/2020-12/schema","$id":"https://pointguard.dev/providers/x.json"`
	tests := []struct{ name, schema, want string }{
		{"BadType", `{` + head + `,"type":"objekt"}`, "type"},
		{"BadPattern", `{` + head + `,"properties":{"a":{"type":"string","pattern":"("}}}`, "pattern"},
		{"RemoteRef", `{` + head + `,"properties":{"a":{"$ref":"https://example.com/a.json"}}}`, "compiled offline"},
		{"FileRef", `{` + head + `,"properties":{"a":{"$ref":"file:///etc/passwd"}}}`, "compiled offline"},
		{"RemoteMetaschema", `{"$schema":"https://example.com/meta","$id":"https://pointguard.dev/providers/x.json"}`, "$schema"},
		{"WrongID", `{"$schema":"https://json-schema.org/draft/2020-12/schema","$id":"https://pointguard.dev/providers/y.json"}`, "$id"},
		{"NoID", `{"$schema":"https://json-schema.org/draft/2020-12/schema"}`, "$id"},
		{"NotObject", `[]`, "object"},
		{"Trailing", `{` + head + `} {}`, "after top-level value"},
		{"NotJSON", `{` + head, "EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadSchemas(fstest.MapFS{"schemas/x.json": {Data: []byte(tt.schema)}})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one mentioning %q", err, tt.want)
			}
		})
	}
	t.Run("Good", func(t *testing.T) {
		s, err := loadSchemas(fstest.MapFS{"schemas/x.json": {Data: []byte(`{` + head + `,"type":"object"}`)}})
		if err != nil || len(s) != 1 || s["x"] == nil {
			t.Errorf("loadSchemas = %v, %v", s, err)
		}
	})
}

func FuzzValidateConfig(f *testing.F) {
	for _, s := range []string{
		`{}`,
		`{"project":"SEC"}`,
		`{"project":"SEC","site_url":"https://acme.atlassian.net","auth_method":"api_token"}`,
		`{"site_url":"http://x","auth_method":"oauth2","client_id":""}`,
		`{"channel":"#soc-alerts","auth_method":"bot_token","bot_token":"xoxp"}`,
		`{"instance_url":"https://acme.service-now.com","table":"Incident"}`,
		`{"hec_url":"ftp://x","hec_token":"abc","index":"Main"}`,
		`{"region":"eu-2","client_id":"x"}`,
		`{"role_arn":"arn:aws:iam::1:role/x","server_side_encryption":{"algorithm":"aws:kms"}}`,
		`{"app":{"app_id":1.5e300,"installation_id":-0}}`,
		`{"priority":1e400,"labels":[[],{},null,true,1]}`,
		`{"priority":-0.0000000000000000000001}`,
		`{"project":{"a":{"b":{"c":[1,[2,[3]]]}}}}`,
		`{"":"","\u0000":"\ud800"}`,
	} {
		f.Add(s)
	}
	keys := []string{"jira", "servicenow", "slack", "splunk", "crowdstrike", "aws_s3", "github_advanced_security", "linear", "sentinel", "mock_ticketing"}
	f.Fuzz(func(t *testing.T, s string) {
		d := json.NewDecoder(strings.NewReader(s))
		d.UseNumber()
		var cfg map[string]any
		if d.Decode(&cfg) != nil {
			return
		}
		for _, key := range keys {
			ps := ValidateConfig(key, cfg)
			for i, p := range ps {
				if p.Field != "config" && !strings.HasPrefix(p.Field, "config.") {
					t.Errorf("%s: field %q", key, p.Field)
				}
				if !strings.HasPrefix(p.Message, p.Field+" ") {
					t.Errorf("%s: message %q does not start with its field %q", key, p.Message, p.Field)
				}
				if i > 0 && ps[i-1].Field > p.Field {
					t.Errorf("%s: problems not sorted: %v", key, ps)
				}
			}
			if again := ValidateConfig(key, cfg); !reflect.DeepEqual(ps, again) {
				t.Errorf("%s: %v, then %v", key, ps, again)
			}
		}
	})
}
