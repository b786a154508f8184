package fakedata

import (
	"errors"
	"testing"
)

func TestLuhnValid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{"valid/Visa test number", "4111111111111111", true},
		{"valid/Wikipedia example", "79927398713", true},
		{"valid/Visa 4012", "4012888888881881", true},
		{"valid/Amex test number", "378282246310005", true},
		{"valid/Discover test number", "6011111111111117", true},
		{"valid/Mastercard test number", "5555555555554444", true},
		{"valid/UnionPay test number", "6200000000000005", true},
		{"valid/all zeros", "00", true},
		{"invalid/last digit changed", "4111111111111112", false},
		{"invalid/Wikipedia example wrong check", "79927398710", false},
		{"invalid/adjacent digits swapped", "79927398731", false},
		{"invalid/empty", "", false},
		{"invalid/single digit", "0", false},
		{"invalid/space", "4111 1111 1111 1111", false},
		{"invalid/dash", "4111-1111-1111-1111", false},
		{"invalid/letter", "411111111111111a", false},
		{"invalid/fullwidth digit", "411111111111111１", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := LuhnValid(tc.in); got != tc.want {
				t.Fatalf("LuhnValid(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

func TestLuhnCheckDigit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		partial string
		want    byte
		wantErr error
	}{
		{"ok/Wikipedia example", "7992739871", '3', nil},
		{"ok/Visa test number", "411111111111111", '1', nil},
		// By hand: reading 622588000000000 from the right, odd positions are doubled:
		// zeros, then 8 (pos 11) -> 16 -> 7, 2 (pos 13) -> 4, 6 (pos 15) -> 12 -> 3;
		// undoubled 8, 5, 2. Sum 7+4+3+8+5+2 = 29, check digit (10-9)%10 = 1.
		{"ok/CMB BIN zeros", "622588000000000", '1', nil},
		{"ok/ICBC 19-digit", "622202123456789012", '8', nil},
		{"ok/single zero", "0", '0', nil},
		{"400/empty", "", 0, ErrFormat},
		{"400/letter", "62220a", 0, ErrFormat},
		{"400/space", "6222 02", 0, ErrFormat},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := LuhnCheckDigit(tc.partial)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("LuhnCheckDigit(%q) error = %v, want %v", tc.partial, err, tc.wantErr)
			}
			if got != tc.want {
				t.Fatalf("LuhnCheckDigit(%q) = %q, want %q", tc.partial, got, tc.want)
			}
			if err == nil && !LuhnValid(tc.partial+string(got)) {
				t.Fatalf("partial plus its check digit is not Luhn-valid")
			}
		})
	}
}
