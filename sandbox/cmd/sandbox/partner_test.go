package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jr0185/harness/steps/driver"
)

// syncBuffer is an output buffer a running command writes while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestPartnerServePrintsADriverThatAnswers runs `sandbox partner serve` on a free port,
// reads the printed driver URL, says hello through it and stops the command.
func TestPartnerServePrintsADriverThatAnswers(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out syncBuffer
	c := newRoot()
	c.SetOut(&out)
	c.SetErr(&out)
	c.SetArgs([]string{"partner", "serve", "--addr", "127.0.0.1:0", "--mutant", "no-pkce"})
	done := make(chan error, 1)
	go func() { done <- c.ExecuteContext(ctx) }()
	re := regexp.MustCompile(`driver: (http://127\.0\.0\.1:\d+/driver)`)
	deadline := time.Now().Add(10 * time.Second)
	var url string
	for url == "" {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			url = m[1]
		} else if time.Now().After(deadline) {
			t.Fatalf("no driver URL printed: %q", out.String())
		} else {
			time.Sleep(20 * time.Millisecond)
		}
	}
	if !strings.Contains(out.String(), "mutant no-pkce") {
		t.Errorf("the banner does not name the mutant: %q", out.String())
	}
	var h driver.HelloResult
	if err := driver.NewHTTP(url, nil).Do(ctx, driver.Hello, nil, &h); err != nil || !strings.Contains(h.ClientCertPEM, "CERTIFICATE") || h.NotifyURL == "" {
		t.Fatalf("hello: %v %+v", err, h)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve ended with %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop when its context ended")
	}
}

func TestPartnerServeMutantFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    []string
		wantErr bool
		want    string
	}{
		{"lists every mutant with its description", []string{"partner", "serve", "--list-mutants"}, false, "ignore-signatures"},
		{"refuses an unknown mutant", []string{"partner", "serve", "--addr", "127.0.0.1:0", "--mutant", "no-such"}, true, ""},
	}
	for _, tc := range tests {
		out, err := runCLI(t, tc.args...)
		if (err != nil) != tc.wantErr || !strings.Contains(out, tc.want) {
			t.Errorf("%s: err %v, output %q", tc.name, err, out)
		}
		if tc.want != "" && strings.Count(out, "\n") < 24 {
			t.Errorf("%s: %d lines, want one per mutant", tc.name, strings.Count(out, "\n"))
		}
	}
}
