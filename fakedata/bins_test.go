package fakedata

import (
	"strings"
	"testing"
)

func TestBINTable(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	kinds := map[CardKind]int{}
	for _, b := range BINs() {
		if len(b.Prefix) != 6 || strings.Trim(b.Prefix, "0123456789") != "" {
			t.Errorf("BIN %+v: prefix must be six digits", b)
		}
		if b.Length != 16 && b.Length != 19 {
			t.Errorf("BIN %+v: length must be 16 or 19", b)
		}
		if b.Kind != Debit && b.Kind != Credit {
			t.Errorf("BIN %+v: unknown kind", b)
		}
		if b.Bank == "" || b.BankCode == "" {
			t.Errorf("BIN %+v: bank missing", b)
		}
		if seen[b.Prefix] {
			t.Errorf("duplicate BIN %s", b.Prefix)
		}
		seen[b.Prefix] = true
		kinds[b.Kind]++
	}
	if kinds[Debit] < 10 || kinds[Credit] < 10 {
		t.Fatalf("want at least 10 BINs of each kind, got %v", kinds)
	}
}

func TestBankOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		card     string
		wantOK   bool
		wantCode string
		wantKind CardKind
	}{
		{"found/ICBC debit", "6222021234567890128", true, "ICBC", Debit},
		{"found/CCB debit", "6217001234567890123", true, "CCB", Debit},
		{"found/ABC debit", "6228481234567890123", true, "ABC", Debit},
		{"found/BOC debit", "6216611234567890123", true, "BOC", Debit},
		{"found/CMB debit with spaces", "6225 8800 0000 0001", true, "CMB", Debit},
		{"found/CMB credit with dashes", "4392-2500-0000-0000", true, "CMB", Credit},
		{"not found/Visa test number", "4111111111111111", false, "", 0},
		{"not found/too short", "62220", false, "", 0},
		{"not found/empty", "", false, "", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b, ok := BankOf(tc.card)
			if ok != tc.wantOK || b.BankCode != tc.wantCode || b.Kind != tc.wantKind {
				t.Fatalf("BankOf(%q) = %+v, %v", tc.card, b, ok)
			}
		})
	}
}

func TestCardKindString(t *testing.T) {
	t.Parallel()
	for k, want := range map[CardKind]string{Debit: KindDebit, Credit: KindCredit, 0: "unknown"} {
		if got := k.String(); got != want {
			t.Errorf("CardKind(%d).String() = %q, want %q", k, got, want)
		}
	}
}
