package fakedata

import (
	"strings"
	"testing"
)

// Native fuzz targets for the validators, which parse untrusted strings.
// Run one with: go test ./fakedata -run '^$' -fuzz FuzzValidateResidentID -fuzztime 10s

func FuzzValidateResidentID(f *testing.F) {
	for _, s := range []string{
		"11010519491231002X", "11010519491231002x", "110105194913310021", "", "X",
		"11010518991231001X", "１１０１０５１９４９１２３１００２X", "110105\x00\xff49123100",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := ValidateResidentIDAt(s, testNow)
		if err != nil {
			if len(s) >= 8 && strings.Contains(err.Error(), s) {
				t.Fatalf("error echoes the input: %v", err)
			}
			return
		}
		// Accepted: every part must really be valid.
		if len(s) != 18 {
			t.Fatalf("accepted %d characters", len(s))
		}
		if c, cerr := ResidentIDCheckChar(s[:17]); cerr != nil || c != s[17] {
			t.Fatalf("accepted a wrong check character: %q vs %q (%v)", s[17], c, cerr)
		}
		if _, ok := RegionOf(s); !ok {
			t.Fatalf("accepted an unknown region")
		}
		if b, berr := BirthDateOf(s); berr != nil || b.Year() < 1900 || b.After(testNow) {
			t.Fatalf("accepted birth date %v (%v)", b, berr)
		}
	})
}

func FuzzLuhnValid(f *testing.F) {
	for _, s := range []string{"4111111111111111", "79927398713", "0", "", "4111 1111", "6222021234567890128", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		valid := LuhnValid(s)
		if len(s) < 2 {
			if valid {
				t.Fatalf("LuhnValid(%q) = true for fewer than two characters", s)
			}
			return
		}
		c, err := LuhnCheckDigit(s[:len(s)-1])
		if err != nil {
			if valid {
				t.Fatalf("LuhnValid(%q) = true but its body is not digits: %v", s, err)
			}
			return
		}
		if want := s[len(s)-1] == c; valid != want {
			t.Fatalf("LuhnValid(%q) = %v, but the check digit of its body is %q", s, valid, c)
		}
	})
}

func FuzzValidateMobile(f *testing.F) {
	for _, s := range []string{"13812345678", "+8613812345678", "", "1", "12012345678"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if err := ValidateMobile(s); err == nil {
			if _, ok := CarrierOf(s); !ok || len(s) != 11 || strings.Trim(s, "0123456789") != "" {
				t.Fatalf("accepted %q", s)
			}
		}
	})
}
