package apis

import (
	"os"
	"strings"
	"testing"

	"github.com/jr0185/harness/sandbox/protocol"
)

func TestCatalogueIsValidAndPublished(t *testing.T) {
	t.Parallel()
	c, err := New("C99999")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range c.APIs {
		u, err := protocol.ParseUAPIID(a.UAPIID)
		if err != nil {
			t.Errorf("%s: %v", a.ID, err)
		}
		if (a.Level == A1) != (u.Level == protocol.LevelCodeA1) {
			t.Errorf("%s: level %s but U_API_ID type code %s (annex B.3.4)", a.ID, a.Level, u.Level)
		}
		if !strings.HasPrefix(a.Path, a.Family()+"/") {
			t.Errorf("%s: path %s outside its level's family %s", a.ID, a.Path, a.Family())
		}
		// The README's API table is the published catalogue's summary (12.1/3).
		if !strings.Contains(string(readme), "`"+a.UAPIID+"`") {
			t.Errorf("README.md does not list %s (%s %s)", a.UAPIID, a.Method, a.Path)
		}
	}
	if _, err := New("c9"); err == nil {
		t.Error("an invalid institution code was accepted")
	}
}
