package demo

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The whole demo runs non-interactively against an embedded sandbox: every step is
// narrated with its progress, what is sent, what is checked and its clause, and the
// run ends in success.
func TestDemoRunsEveryStepToSuccess(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out bytes.Buffer
	if err := Run(ctx, Options{Out: &out, Pause: true, In: strings.NewReader(strings.Repeat("\n", 20))}); err != nil {
		t.Fatalf("demo failed: %v\n%s", err, out.String())
	}
	text := out.String()
	steps := (&run{}).steps()
	for i, s := range steps {
		head := "[" + itoa(i+1) + "/" + itoa(len(steps)) + "] " + s.title
		if !strings.Contains(text, head) {
			t.Errorf("the output lacks %q", head)
		}
		if !strings.Contains(text, "§ JR/T 0185-2020 "+s.clause+": "+s.quote) {
			t.Errorf("step %d does not quote clause %s", i+1, s.clause)
		}
	}
	for _, want := range []string{"string to sign:", "X-JR-MAC verified: true", "one-time code", "confirmation code",
		"HTTP 201 payment", "notification URL", "SDK refuses it", "CONSENT_REVOKED",
		"Demo complete: " + itoa(len(steps)) + "/" + itoa(len(steps)) + " steps succeeded."} {
		if !strings.Contains(text, want) {
			t.Errorf("the output lacks %q", want)
		}
	}
	if strings.Contains(text, "\033[") {
		t.Error("colour codes in the output although Color is off")
	}
	if t.Failed() {
		t.Log(text)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
