package conform_test

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/jr0185/harness/sandbox/conform"
)

func TestScratch(t *testing.T) {
	var out bytes.Buffer
	o, err := conform.Run(context.Background(), conform.Options{Concurrency: 2, Randomize: -1, Format: "progress", Mutant: os.Getenv("MUT"),
		Paths: strings.Fields(os.Getenv("PATHS")), Output: &out, NoColors: true})
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, s := range o.Result.Run.Scenarios {
		t.Logf("%s: %s: %s", s.Name, s.Status, s.Error)
	}
}
