package domain_test

import (
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pointguard/pointguard/domain"
)

var generatedKinds = []domain.Kind{
	domain.KindOrganization,
	domain.KindAccount,
	domain.KindIntegrationPoint,
	domain.KindIntegration,
}

func TestNewID(t *testing.T) {
	for _, k := range generatedKinds {
		t.Run("Format/"+string(k), func(t *testing.T) {
			id := domain.NewID(k)
			pattern := regexp.MustCompile(`^` + string(k) + `_[0-9a-f]{32}$`)
			if !pattern.MatchString(id) {
				t.Fatalf("NewID(%s) = %q, want %s", k, id, pattern)
			}
			hex := strings.TrimPrefix(id, string(k)+"_")
			// UUIDv7: version nibble 7, variant 10xx.
			if hex[12] != '7' {
				t.Errorf("version nibble = %c, want 7 (%s)", hex[12], id)
			}
			if !strings.ContainsRune("89ab", rune(hex[16])) {
				t.Errorf("variant nibble = %c, want 8-b (%s)", hex[16], id)
			}
		})
		t.Run("RoundTrip/"+string(k), func(t *testing.T) {
			got, ok := domain.KindOf(domain.NewID(k))
			if !ok || got != k {
				t.Errorf("KindOf(NewID(%s)) = %q, %v; want %q, true", k, got, ok, k)
			}
		})
	}

	t.Run("EmbedsCreationTime", func(t *testing.T) {
		before := time.Now().UnixMilli()
		id := domain.NewID(domain.KindAccount)
		after := time.Now().UnixMilli()
		ms, err := strconv.ParseInt(strings.TrimPrefix(id, "acc_")[:12], 16, 64)
		if err != nil {
			t.Fatal(err)
		}
		if ms < before || ms > after {
			t.Errorf("ID time %d ms not within [%d, %d]", ms, before, after)
		}
	})

	t.Run("SortByCreationOrder", func(t *testing.T) {
		// google/uuid's NewV7 guarantees that each (ms<<12 | seq) is greater
		// than the last within the process, so IDs strictly increase even
		// within one millisecond. Keyset pagination relies on it.
		for _, k := range generatedKinds {
			const n = 20000
			prev := domain.NewID(k)
			for i := range n {
				id := domain.NewID(k)
				if id <= prev {
					t.Fatalf("%s ID %d: %q not after %q", k, i, id, prev)
				}
				prev = id
			}
		}
	})

	t.Run("SortAcrossKindsInterleaved", func(t *testing.T) {
		// The clock is shared: an account made after an org has a later hex.
		var hexes []string
		for i := range 1000 {
			k := generatedKinds[i%len(generatedKinds)]
			hexes = append(hexes, strings.TrimPrefix(domain.NewID(k), string(k)+"_"))
		}
		for i := 1; i < len(hexes); i++ {
			if hexes[i] <= hexes[i-1] {
				t.Fatalf("hex %d %q not after %q", i, hexes[i], hexes[i-1])
			}
		}
	})

	t.Run("UniqueAcrossGoroutines", func(t *testing.T) {
		const workers, each = 8, 2000
		ids := make([][]string, workers)
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for range each {
					ids[w] = append(ids[w], domain.NewID(domain.KindIntegration))
				}
			})
		}
		wg.Wait()
		seen := map[string]bool{}
		for w := range workers {
			for i, id := range ids[w] {
				if seen[id] {
					t.Fatalf("duplicate ID %q", id)
				}
				seen[id] = true
				// Each goroutine's own IDs are still in order.
				if i > 0 && id <= ids[w][i-1] {
					t.Fatalf("worker %d: %q not after %q", w, id, ids[w][i-1])
				}
			}
		}
	})
}

func TestKindOf(t *testing.T) {
	hex := "0190a1b2c3d4e5f60718293a4b5c6d7e"
	tests := []struct {
		name string
		id   string
		want domain.Kind // "" = rejected
	}{
		{"Organization", "org_" + hex, domain.KindOrganization},
		{"Account", "acc_" + hex, domain.KindAccount},
		{"IntegrationPoint", "ipt_" + hex, domain.KindIntegrationPoint},
		{"Integration", "int_" + hex, domain.KindIntegration},
		{"AllZeros", "org_" + strings.Repeat("0", 32), domain.KindOrganization},
		{"Provider", "prv_jira", domain.KindProvider},
		{"ProviderKeyWithUnderscores", "prv_mock_cloud_security", domain.KindProvider},

		{"Empty", "", ""},
		{"PrefixOnly", "org", ""},
		{"PrefixAndUnderscoreOnly", "org_", ""},
		{"UnknownPrefix", "usr_" + hex, ""},
		{"NoPrefix", "_" + hex, ""},
		{"BareHex", hex, ""},
		{"UpperCasePrefix", "ORG_" + hex, ""},
		{"MissingUnderscore", "org" + hex, ""},
		{"HyphenInsteadOfUnderscore", "org-" + hex, ""},
		{"DoubleUnderscore", "org__" + hex[1:], ""},
		{"TooShort", "org_" + hex[:31], ""},
		{"TooLong", "org_" + hex + "0", ""},
		{"UpperCaseHex", "org_" + strings.ToUpper(hex), ""},
		{"OneUpperCaseHexDigit", "org_" + hex[:31] + "E", ""},
		{"NonHexLetter", "org_" + hex[:31] + "g", ""},
		{"UUIDWithHyphens", "org_0190a1b2-c3d4-e5f6-0718-293a4b5c6d7e", ""},
		{"LeadingSpace", " org_" + hex, ""},
		{"TrailingNewline", "org_" + hex[:31] + "\n", ""},
		{"ProviderWithoutKey", "prv_", ""},
		{"ProviderPrefixOnly", "prv", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := domain.KindOf(tt.id)
			// A rejected ID's kind is unspecified; only ok counts.
			if ok != (tt.want != "") || ok && got != tt.want {
				t.Errorf("KindOf(%q) = %q, %v; want %q, %v", tt.id, got, ok, tt.want, tt.want != "")
			}
		})
	}
}

func TestProviderID(t *testing.T) {
	tests := []struct{ key, want string }{
		{"jira", "prv_jira"},
		{"mock_ticketing", "prv_mock_ticketing"},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			id := domain.ProviderID(tt.key)
			if id != tt.want {
				t.Errorf("ProviderID(%q) = %q, want %q", tt.key, id, tt.want)
			}
			if k, ok := domain.KindOf(id); !ok || k != domain.KindProvider {
				t.Errorf("KindOf(%q) = %q, %v; want provider", id, k, ok)
			}
		})
	}
}

func TestKindName(t *testing.T) {
	tests := []struct {
		kind domain.Kind
		want string
	}{
		{domain.KindOrganization, "organization"},
		{domain.KindAccount, "account"},
		{domain.KindIntegrationPoint, "integration point"},
		{domain.KindIntegration, "integration"},
		{domain.KindProvider, "provider"},
		{domain.Kind("xyz"), ""},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind), func(t *testing.T) {
			if got := tt.kind.Name(); got != tt.want {
				t.Errorf("Name = %q, want %q", got, tt.want)
			}
		})
	}
}
