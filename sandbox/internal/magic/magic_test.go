package magic

import (
	"os"
	"strings"
	"testing"
)

// TestREADMECarriesTheTable: the README's magic-values table is Markdown(), verbatim
// .
func TestREADMECarriesTheTable(t *testing.T) {
	raw, err := os.ReadFile("../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), Markdown()) {
		t.Fatalf("README.md lacks the generated magic-values table; paste:\n%s", Markdown())
	}
}

func TestTableRowsAreComplete(t *testing.T) {
	paths := map[string]bool{}
	for _, v := range Table {
		if v.Path == "" || v.Kind == "" || v.Value == "" || v.Effect == "" || v.Status == "" {
			t.Errorf("incomplete row %+v", v)
		}
		paths[v.Path] = true
	}
	for _, p := range []string{"insufficient funds", "frozen account", "limit exceeded", "risk review", "confirmation failed",
		"delayed notification", "failed notification", "503", "slow response"} {
		if !paths[p] {
			t.Errorf("no magic value reaches %q", p)
		}
	}
}
