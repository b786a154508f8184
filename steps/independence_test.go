package steps_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestHarnessIsIndependentOfTheBank: the harness talks to the bank only over the wire
// (brief section 3). Nothing under steps/ may depend, even transitively, on the bank's
// code: not sandbox/internal, not sandbox/sdk, not sandbox/protocol, not emmansun/gmsm.
func TestHarnessIsIndependentOfTheBank(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-test", "./...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.HasPrefix(dep, "github.com/jr0185/harness/sandbox") || strings.HasPrefix(dep, "github.com/emmansun/gmsm") {
			t.Errorf("steps depends on %s", dep)
		}
	}
}
