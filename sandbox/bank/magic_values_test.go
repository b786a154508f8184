package bank_test

import (
	"encoding/json"
	"html"
	"reflect"
	"strings"
	"testing"

	"github.com/jr0185/harness/sandbox/internal/magic"
)

// TestMagicValuesServed: /docs/magic-values.json is the table the bank acts on, and the
// page shows every row.
func TestMagicValuesServed(t *testing.T) {
	t.Parallel()
	tb := startBank(t, nil)
	r := tb.plainGet("/docs/magic-values.json", "")
	var got struct {
		Values []magic.Value `json:"magic_values"`
	}
	if r.Status != 200 || json.Unmarshal(r.Body, &got) != nil || !reflect.DeepEqual(got.Values, magic.Table) {
		t.Fatalf("magic-values.json: %s", r)
	}
	p := tb.plainGet("/docs/magic-values", "")
	for _, v := range magic.Table {
		if p.Status != 200 || !strings.Contains(string(p.Body), html.EscapeString(v.Value)) || !strings.Contains(string(p.Body), html.EscapeString(v.Effect)) {
			t.Fatalf("magic-values page lacks %+v", v)
		}
	}
}
