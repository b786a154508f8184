package refpartner_test

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestUsesOnlyWhatAPartnerHas: the reference partner is built on the SDK and the
// published contract — never on the bank's internals.
func TestUsesOnlyWhatAPartnerHas(t *testing.T) {
	t.Parallel()
	files, _ := filepath.Glob("*.go")
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		af, err := parser.ParseFile(token.NewFileSet(), f, src, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range af.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if strings.HasPrefix(p, "github.com/jr0185/harness/") && p != "github.com/jr0185/harness/sandbox/sdk" &&
				p != "github.com/jr0185/harness/sandbox/protocol" && p != "github.com/jr0185/harness/steps/driver" {
				t.Errorf("%s imports %s: a partner has only the SDK (sandbox/sdk, sandbox/protocol) and the driver contract", f, p)
			}
		}
	}
}
