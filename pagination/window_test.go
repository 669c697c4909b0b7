package pagination

import (
	"testing"

	"github.com/pointguard/pointguard/domain"
)

// TestWindow: the rows after the cursor, one more than asked (so that a
// next page shows), whatever the cursor names.
func TestWindow(t *testing.T) {
	rows := []*domain.Account{{ID: "acc_1"}, {ID: "acc_3"}, {ID: "acc_5"}, {ID: "acc_7"}}
	for _, c := range []struct {
		page Page
		want []string
	}{
		{Page{First: 2}, []string{"acc_1", "acc_3", "acc_5"}},
		{Page{First: 2, After: "acc_3"}, []string{"acc_5", "acc_7"}},
		{Page{First: 2, After: "acc_4"}, []string{"acc_5", "acc_7"}}, // a cursor of a row since gone
		{Page{First: 0, After: "acc_1"}, []string{"acc_3"}},
		{Page{First: 5, After: "acc_9"}, nil},
	} {
		var got []string
		for _, r := range Window(rows, c.page) {
			got = append(got, r.ID)
		}
		if len(got) != len(c.want) || (len(got) > 0 && got[0] != c.want[0]) || (len(got) > 0 && got[len(got)-1] != c.want[len(c.want)-1]) {
			t.Errorf("Window(%+v) = %v, want %v", c.page, got, c.want)
		}
	}
}
