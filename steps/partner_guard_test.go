package steps

import (
	"encoding/hex"
	"strings"
	"testing"

	"github.com/tjfoc/gmsm/sm3"
)

func TestFindPrintFindsACredentialByItsFingerprint(t *testing.T) {
	t.Parallel()
	token := "at_" + strings.Repeat("Qx7-_b", 7)
	other := "rt_" + strings.Repeat("Zz09", 8)
	prints := map[int]map[string]string{
		len(token): {hex.EncodeToString(sm3.Sm3Sum([]byte(token))): "access_token"},
		len(other): {hex.EncodeToString(sm3.Sm3Sum([]byte(other))): "refresh_token"},
	}
	tests := []struct {
		name, text, kind string
	}{
		{"found/as a log attribute", `time=… level=INFO msg="user linked" access_token=` + token + ` scopes=x`, "access_token"},
		{"found/quoted in JSON", `{"token":"` + other + `"}`, "refresh_token"},
		{"found/glued to other credential characters", "Bearer" + token + "xyz", "access_token"},
		{"not found/one character changed", strings.Replace(token, "Q", "R", 1), ""},
		{"not found/cut short", token[:len(token)-1], ""},
		{"not found/nothing secret", "GET /a2/v1/accounts 200 request_id=REQ123", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			kind, found := findPrint(tt.text, prints)
			if kind != tt.kind || found != (tt.kind != "") {
				t.Errorf("findPrint = %q, %v; want %q", kind, found, tt.kind)
			}
		})
	}
}

func TestFullNumberNamesWhatLeakedWithoutRepeatingIt(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, text string
		handed     []string
		want       string
	}{
		{"a card number", "paying 6222000000000000020 now", nil, "a full card or account number (19 digits)"},
		{"a card number with spaces", "card 6222 0000 0000 0000 020", nil, "a full card or account number (19 digits)"},
		{"an ID number with dashes", "id 110101-19900307-1234", nil, "a full ID number (18 digits)"},
		{"a mobile number", "sms to 13800138000.", nil, "a full mobile number (11 digits)"},
		{"a handed account number", "payee=acct12345678 ok", []string{"12345678"}, "the full account number it was given"},
		{"masked numbers pass", "payee ****0020, card 6222 **** **** 0020", nil, ""},
		{"times and amounts pass", "2026-11-24T10:00:00Z 10.00 CNY latency_ms=12", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := fullNumber(tt.text, tt.handed)
			if got != tt.want {
				t.Errorf("fullNumber = %q, want %q", got, tt.want)
			}
			for _, d := range []string{"6222000000000000020", "11010119900307", "13800138000"} {
				if strings.Contains(got, d) {
					t.Errorf("the finding repeats the number: %q", got)
				}
			}
		})
	}
}

func TestStateEntropy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		states  []string
		atLeast bool // at least 128 bits
	}{
		{"enough/16 random bytes in base64url", []string{"q3Z8-0aK_LmN2bV4cX6dEw", "Wf1jR7tY9uI0oP2aS4dF6g", "Hj8kL0zX2cV4bN6mQ8wE-r"}, true},
		{"enough/16 random bytes in base64url that happen to use no - or _", []string{"q3Z8a0aKbLmN2bV4cX6dEw", "Wf1jR7tY9uI0oP2aS4dF6g", "Hj8kL0zX2cV4bN6mQ8wEpr"}, true},
		{"too few/15 random bytes in base64url", []string{"q3Z8-0aK_LmN2bV4cX6d", "Wf1jR7tY9uI0oP2aS4dF", "Hj8kL0zX2cV4bN6mQ8wE"}, false},
		{"enough/32 hex characters", []string{"9f86d081884c7d659a2feaa0c55ad015", "3e23e8160039594a33894f6564e1b134", "2c26b46b68ffc68ff99b453c1d304134"}, true},
		{"too few/a fixed prefix and a counter", []string{"refpartner-state-0001", "refpartner-state-0002", "refpartner-state-0003"}, false},
		{"too few/8 hex characters", []string{"9f86d081", "3e23e816", "2c26b46b"}, false},
		{"too few/16 digits", []string{"4821937465019283", "1029384756473829", "5647382910293847"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			bits, why := stateEntropy(tt.states)
			if (bits >= minStateBits) != tt.atLeast {
				t.Errorf("stateEntropy = %.0f bits (%s), want at least %d: %v", bits, why, minStateBits, tt.atLeast)
			}
		})
	}
}
