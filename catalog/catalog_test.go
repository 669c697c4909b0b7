package catalog_test

import (
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/pointguard/pointguard/catalog"
	"github.com/pointguard/pointguard/domain"
)

var keyPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_]*$`)

func TestAll(t *testing.T) {
	all := catalog.All()

	t.Run("AtLeast25RealProviders", func(t *testing.T) {
		n := 0
		for _, p := range all {
			if !p.Mock {
				n++
			}
		}
		if n < 25 {
			t.Errorf("%d real providers, want at least 25", n)
		}
	})

	t.Run("OneMockPerCategory", func(t *testing.T) {
		mocks := 0
		for _, p := range all {
			if p.Mock {
				mocks++
			}
		}
		if mocks != len(domain.Categories) {
			t.Errorf("%d mocks, want one for each of %d categories", mocks, len(domain.Categories))
		}
	})

	t.Run("SortedByKey", func(t *testing.T) {
		if !sort.SliceIsSorted(all, func(i, j int) bool { return all[i].Key < all[j].Key }) {
			t.Errorf("All() is not ordered by key")
		}
	})

	t.Run("UniqueKeysAndIDs", func(t *testing.T) {
		keys, ids := map[string]bool{}, map[string]bool{}
		for _, p := range all {
			if keys[p.Key] {
				t.Errorf("key %q listed twice", p.Key)
			}
			if ids[p.ID] {
				t.Errorf("ID %q listed twice", p.ID)
			}
			keys[p.Key], ids[p.ID] = true, true
		}
	})

	t.Run("SameSliceEveryCall", func(t *testing.T) {
		again := catalog.All()
		if len(again) != len(all) {
			t.Fatalf("All() returned %d then %d providers", len(all), len(again))
		}
		for i := range all {
			if again[i] != all[i] {
				t.Errorf("provider %d differs between calls", i)
			}
		}
	})

	for _, p := range all {
		t.Run("Provider/"+p.Key, func(t *testing.T) {
			if !keyPattern.MatchString(p.Key) {
				t.Errorf("key %q is not lower-case snake case", p.Key)
			}
			if p.ID != domain.ProviderID(p.Key) {
				t.Errorf("ID = %q, want %q", p.ID, domain.ProviderID(p.Key))
			}
			if k, ok := domain.KindOf(p.ID); !ok || k != domain.KindProvider {
				t.Errorf("KindOf(%q) = %q, %v; want provider", p.ID, k, ok)
			}
			if strings.TrimSpace(p.Name) == "" {
				t.Errorf("name is blank")
			}
			if !p.Category.IsValid() {
				t.Errorf("category %q is not valid", p.Category)
			}
			if p.Mock != strings.HasPrefix(p.Key, "mock_") {
				t.Errorf("Mock = %v but key %q; mocks and only mocks are named mock_*", p.Mock, p.Key)
			}
		})
	}
}

func TestByCategory(t *testing.T) {
	total := 0
	for _, c := range domain.Categories {
		t.Run(string(c), func(t *testing.T) {
			ps := catalog.ByCategory(c)
			total += len(ps)
			nReal, mocks := 0, []*domain.Provider{}
			for _, p := range ps {
				if p.Category != c {
					t.Errorf("%s is %s", p.Key, p.Category)
				}
				if p.Mock {
					mocks = append(mocks, p)
				} else {
					nReal++
				}
			}
			if nReal == 0 {
				t.Errorf("no real provider")
			}
			if len(mocks) != 1 {
				t.Fatalf("%d mocks, want exactly 1", len(mocks))
			}
			if want := "mock_" + strings.ToLower(string(c)); mocks[0].Key != want {
				t.Errorf("mock key = %q, want %q", mocks[0].Key, want)
			}
			if !strings.HasPrefix(mocks[0].Name, "Mock ") {
				t.Errorf("mock name = %q, want it to start with \"Mock \"", mocks[0].Name)
			}
			if !sort.SliceIsSorted(ps, func(i, j int) bool { return ps[i].Key < ps[j].Key }) {
				t.Errorf("not ordered by key")
			}
			for _, p := range ps {
				if catalog.Lookup(p.Key) != p {
					t.Errorf("ByCategory's %s is not the catalog's", p.Key)
				}
			}
		})
	}
	t.Run("CategoriesPartitionAll", func(t *testing.T) {
		if total != len(catalog.All()) {
			t.Errorf("categories hold %d providers, All() %d", total, len(catalog.All()))
		}
	})
	t.Run("UnknownCategory", func(t *testing.T) {
		if ps := catalog.ByCategory("NOPE"); len(ps) != 0 {
			t.Errorf("ByCategory(NOPE) = %d providers, want none", len(ps))
		}
	})
}

func TestLookup(t *testing.T) {
	tests := []struct {
		key      string
		name     string // "" = not found
		category domain.Category
		mock     bool
	}{
		{"jira", "Jira", domain.CategoryTicketing, false},
		{"servicenow", "ServiceNow", domain.CategoryTicketing, false},
		{"servicenow_cmdb", "ServiceNow CMDB", domain.CategoryAssets, false},
		{"slack", "Slack", domain.CategoryNotifications, false},
		{"splunk", "Splunk", domain.CategorySIEM, false},
		{"mock_ticketing", "Mock Ticketing", domain.CategoryTicketing, true},
		{"mock_cloud_security", "Mock Cloud security", domain.CategoryCloudSecurity, true},
		{"mock_appsec", "Mock Appsec", domain.CategoryAppSec, true},
		{"", "", "", false},
		{"nosuch", "", "", false},
		{"Jira", "", "", false},
		{"prv_jira", "", "", false},
		{" jira", "", "", false},
		{"mock_TICKETING", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			p := catalog.Lookup(tt.key)
			if tt.name == "" {
				if p != nil {
					t.Fatalf("Lookup(%q) = %s, want nil", tt.key, p.Key)
				}
				return
			}
			if p == nil {
				t.Fatalf("Lookup(%q) = nil", tt.key)
			}
			if p.Key != tt.key || p.Name != tt.name || p.Category != tt.category || p.Mock != tt.mock {
				t.Errorf("Lookup(%q) = %+v, want name %q, category %s, mock %v", tt.key, *p, tt.name, tt.category, tt.mock)
			}
			if p.ID != "prv_"+tt.key {
				t.Errorf("ID = %q", p.ID)
			}
		})
	}
	t.Run("EveryProvider", func(t *testing.T) {
		for _, p := range catalog.All() {
			if catalog.Lookup(p.Key) != p {
				t.Errorf("Lookup(%q) is not All()'s provider", p.Key)
			}
		}
	})
}

func TestByID(t *testing.T) {
	tests := []struct {
		id, key string // key "" = not found
	}{
		{"prv_jira", "jira"},
		{"prv_mock_edr", "mock_edr"},
		{"jira", ""},
		{"prv_", ""},
		{"prv_nosuch", ""},
		{"PRV_jira", ""},
		{"prv_Jira", ""},
		{"org_jira", ""},
		{"org_0190a1b2c3d4e5f60718293a4b5c6d7e", ""},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			p := catalog.ByID(tt.id)
			switch {
			case tt.key == "" && p != nil:
				t.Errorf("ByID(%q) = %s, want nil", tt.id, p.Key)
			case tt.key != "" && (p == nil || p.Key != tt.key):
				t.Errorf("ByID(%q) = %v, want %s", tt.id, p, tt.key)
			}
		})
	}
	t.Run("EveryProvider", func(t *testing.T) {
		for _, p := range catalog.All() {
			if catalog.ByID(p.ID) != p {
				t.Errorf("ByID(%q) is not All()'s provider", p.ID)
			}
		}
	})
}
