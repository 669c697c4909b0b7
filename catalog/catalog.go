// Package catalog is the built-in list of providers, shipped in the binary.
package catalog

import (
	"sort"
	"strings"

	"github.com/pointguard/pointguard/domain"
)

var real = []struct {
	key, name string
	category  domain.Category
}{
	{"axonius", "Axonius", domain.CategoryAssets},
	{"servicenow_cmdb", "ServiceNow CMDB", domain.CategoryAssets},
	{"snyk", "Snyk", domain.CategoryAppSec},
	{"github_advanced_security", "GitHub Advanced Security", domain.CategoryAppSec},
	{"veracode", "Veracode", domain.CategoryAppSec},
	{"wiz", "Wiz", domain.CategoryCloudSecurity},
	{"prisma_cloud", "Prisma Cloud", domain.CategoryCloudSecurity},
	{"aws_security_hub", "AWS Security Hub", domain.CategoryCloudSecurity},
	{"crowdstrike", "CrowdStrike Falcon", domain.CategoryEDR},
	{"sentinelone", "SentinelOne", domain.CategoryEDR},
	{"microsoft_defender", "Microsoft Defender for Endpoint", domain.CategoryEDR},
	{"okta", "Okta", domain.CategoryIdentity},
	{"entra_id", "Microsoft Entra ID", domain.CategoryIdentity},
	{"ping_identity", "Ping Identity", domain.CategoryIdentity},
	{"slack", "Slack", domain.CategoryNotifications},
	{"microsoft_teams", "Microsoft Teams", domain.CategoryNotifications},
	{"pagerduty", "PagerDuty", domain.CategoryNotifications},
	{"splunk", "Splunk", domain.CategorySIEM},
	{"sentinel", "Microsoft Sentinel", domain.CategorySIEM},
	{"elastic", "Elastic Security", domain.CategorySIEM},
	{"sumo_logic", "Sumo Logic", domain.CategorySIEM},
	{"aws_s3", "Amazon S3", domain.CategoryStorage},
	{"azure_blob", "Azure Blob Storage", domain.CategoryStorage},
	{"google_cloud_storage", "Google Cloud Storage", domain.CategoryStorage},
	{"jira", "Jira", domain.CategoryTicketing},
	{"servicenow", "ServiceNow", domain.CategoryTicketing},
	{"zendesk", "Zendesk", domain.CategoryTicketing},
	{"linear", "Linear", domain.CategoryTicketing},
	{"tenable", "Tenable", domain.CategoryVulnerabilities},
	{"qualys", "Qualys", domain.CategoryVulnerabilities},
	{"rapid7", "Rapid7 InsightVM", domain.CategoryVulnerabilities},
}

var (
	all   []*domain.Provider
	byKey = map[string]*domain.Provider{}
)

func init() {
	for _, p := range real {
		add(&domain.Provider{Key: p.key, Name: p.name, Category: p.category})
	}
	// One mock per category, so TEST accounts can integrate without a real system.
	for _, c := range domain.Categories {
		key := "mock_" + strings.ToLower(string(c))
		add(&domain.Provider{Key: key, Name: "Mock " + title(string(c)), Category: c, Mock: true})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Key < all[j].Key })
}

func add(p *domain.Provider) {
	p.ID = domain.ProviderID(p.Key)
	attachSchema(p)
	all = append(all, p)
	byKey[p.Key] = p
}

// All returns every provider, ordered by key. Callers must not modify them.
func All() []*domain.Provider { return all }

// ByCategory returns the providers of one category, ordered by key.
func ByCategory(c domain.Category) []*domain.Provider {
	var out []*domain.Provider
	for _, p := range all {
		if p.Category == c {
			out = append(out, p)
		}
	}
	return out
}

// Lookup returns the provider with the given key, or nil.
func Lookup(key string) *domain.Provider { return byKey[key] }

// LookupAll returns the providers with the given keys, in order, leaving
// out keys the catalog does not have (a point's approved keys are checked
// when it is saved, so none is missing there).
func LookupAll(keys []string) []*domain.Provider {
	out := make([]*domain.Provider, 0, len(keys))
	for _, k := range keys {
		if p := byKey[k]; p != nil {
			out = append(out, p)
		}
	}
	return out
}

// ByID returns the provider with the given global ID, or nil.
func ByID(id string) *domain.Provider {
	key, ok := strings.CutPrefix(id, string(domain.KindProvider)+"_")
	if !ok {
		return nil
	}
	return byKey[key]
}

// title turns CLOUD_SECURITY into "Cloud security".
func title(s string) string {
	words := strings.ReplaceAll(strings.ToLower(s), "_", " ")
	return strings.ToUpper(words[:1]) + words[1:]
}
