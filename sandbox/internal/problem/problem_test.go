package problem

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCatalogueEntriesAreWellFormed(t *testing.T) {
	t.Parallel()
	code := regexp.MustCompile(`^[A-Z][A-Z0-9_]+$`)
	clause := regexp.MustCompile(`^$|^(\d+(\.\d+)*|B)/[0-9A-Za-z]+$`)
	for _, e := range All() {
		if !code.MatchString(e.Code) || e.Status < 400 || e.Status > 599 || e.Title == "" || !clause.MatchString(e.Clause) {
			t.Errorf("bad entry %+v", e)
		}
	}
}

func TestRefinementCopiesAndMatchesByCode(t *testing.T) {
	t.Parallel()
	e := NonceReplayed.WithDetail("nonce %q", "abc").WithDebug("k", 1)
	if NonceReplayed.Detail != "" || NonceReplayed.Debug != nil {
		t.Fatal("refinement mutated the catalogue entry")
	}
	if !errors.Is(e, NonceReplayed) || errors.Is(e, SignatureInvalid) {
		t.Fatal("errors.Is does not match by code")
	}
	if b := e.Body("rid", false); b.Debug != nil || b.Clause != "JR/T 0185-2020 7.2.2/2" {
		t.Fatalf("production body = %+v", b)
	}
	if b := e.Body("rid", true); b.Debug["k"] != 1 {
		t.Fatalf("sandbox body lost debug: %+v", b)
	}
}

func TestFromHidesUncataloguedErrors(t *testing.T) {
	t.Parallel()
	internal := errors.New("sql: database is locked at /var/lib/x.db")
	p := From(internal)
	if p.Code != Internal.Code || p.Detail != "" || !errors.Is(p, internal) {
		t.Fatalf("From = %+v", p)
	}
	if b := p.Body("r", true); b.Detail != "" || b.Debug != nil {
		t.Fatalf("internal cause leaked into body: %+v", b)
	}
}

func TestClipCutsOnACharacterBoundary(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		{"kept/short", "APP123", "APP123"},
		{"cut/ascii at 40 bytes", strings.Repeat("a", 50), strings.Repeat("a", 40) + "…"},
		{"cut/before a split character", strings.Repeat("a", 39) + "沙盒", strings.Repeat("a", 39) + "…"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := Clip(tc.in); got != tc.want || !utf8.ValidString(got) {
				t.Fatalf("Clip = %q, want %q", got, tc.want)
			}
		})
	}
}
