package payments

import (
	"strings"
	"testing"
)

// FuzzValidExternalAccount: the payee account number is untrusted input. Valid means
// 13 to 19 ASCII digits passing the Luhn check, and changing any one digit breaks it.
func FuzzValidExternalAccount(f *testing.F) {
	for _, s := range []string{external, MagicPayeeClosed, MagicPayeeFlagged, "6222000000000000021", "", "0000000000000",
		"6222 0000 0000 0000 020", "62220000000000000２0", "BANK-EQUITY", strings.Repeat("9", 40), "-6222000000000000020"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !ValidExternalAccount(s) {
			return
		}
		if len(s) < 13 || len(s) > 19 || strings.Trim(s, "0123456789") != "" {
			t.Fatalf("accepted %q", s)
		}
		for i := 0; i < len(s); i++ {
			b := []byte(s)
			b[i] = '0' + (b[i]-'0'+1)%10
			if ValidExternalAccount(string(b)) {
				t.Fatalf("%q and %q both pass the Luhn check", s, b)
			}
		}
	})
}

// FuzzValidIdempotencyKey: keys are untrusted header values; an accepted key is short
// and made only of the documented characters.
func FuzzValidIdempotencyKey(f *testing.F) {
	for _, s := range []string{"", "a", "550e8400-e29b-41d4-a716-446655440000", "a b", "引号", strings.Repeat("k", 65)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if ValidIdempotencyKey(s) && (len(s) > MaxIdempotencyKeyLen || strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:") != "") {
			t.Fatalf("accepted %q", s)
		}
	})
}
