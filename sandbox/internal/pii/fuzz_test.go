package pii

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// Native fuzz targets: Redact and the Mask functions see untrusted text.
// Run one with: go test ./sandbox/internal/pii -run '^$' -fuzz FuzzRedact -fuzztime 10s

// digitRuns returns the maximal runs of ASCII digits in s.
func digitRuns(s string) []string {
	var runs []string
	for i := 0; i < len(s); {
		if !isDigit(s[i]) {
			i++
			continue
		}
		j := i
		for j < len(s) && isDigit(s[j]) {
			j++
		}
		runs = append(runs, s[i:j])
		i = j
	}
	return runs
}

func FuzzRedact(f *testing.F) {
	for _, s := range []string{
		"card=4111111111111111;", "6222 0212 3456 7890 128", "11010519491231002X", "+86 138 1234 5678",
		"4111 1111 1111 1111 22", "110105 19491231 002X", "41111111111111110000", "", "1 2 3 4 5",
		"\xff6222021234567890128\x00", "4111111111111111X", "11010519491231002X4111111111111111",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := Redact(in)
		// JR/T 0185-2020 7.3.3: no Luhn-valid 16-19-digit run of the input survives as a run
		// of the output.
		secret := map[string]bool{}
		for _, r := range digitRuns(in) {
			if len(r) >= 16 && len(r) <= 19 && luhnValid([]byte(r)) {
				secret[r] = true
			}
		}
		for _, r := range digitRuns(out) {
			if secret[r] {
				t.Fatalf("Redact(%q) = %q keeps card number %s", in, out, r)
			}
		}
		// Masking never lengthens a value by more than the mask's spaces: bound the growth.
		if len(out) > len(in)+8*(len(in)/11+1) {
			t.Fatalf("Redact(%q) grew to %d bytes", in, len(out))
		}
		// Text without digits is returned as is.
		if strings.IndexFunc(in, func(r rune) bool { return r >= '0' && r <= '9' }) < 0 && out != in {
			t.Fatalf("Redact changed digit-free text %q to %q", in, out)
		}
	})
}

func FuzzMask(f *testing.F) {
	for _, s := range []string{"6222021234567891234", "11010519491231002X", "13812345678", "欧阳娜娜", "", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		for name, mask := range map[string]func(string) string{
			"MaskCard": MaskCard, "MaskResidentID": MaskResidentID, "MaskMobile": MaskMobile,
		} {
			// A mask keeps at most six digits in a row (the ID's region code): a number is
			// never echoed whole.
			out := mask(in)
			for _, r := range digitRuns(out) {
				if len(r) > 6 {
					t.Fatalf("%s(%q) = %q keeps %d digits in a row", name, in, out, len(r))
				}
			}
		}
		// A masked name keeps at most two characters (a compound surname), and as many
		// characters as the trimmed input had.
		out := MaskName(in)
		kept := 0
		for _, r := range out {
			if r != '*' {
				kept++
			}
		}
		if kept > 2 || utf8.RuneCountInString(out) != utf8.RuneCountInString(strings.TrimSpace(in)) {
			t.Fatalf("MaskName(%q) = %q", in, out)
		}
	})
}
