// Package partners is partner onboarding (应用方接入注册): a partner submits its identity
// materials with its app registration, the bank checks them for completeness and
// validity and keeps them for review; the app stays pending until the bank approves it
// (JR/T 0185-2020 9.1.2).
package partners

import (
	"fmt"
	"strings"

	"github.com/jr0185/harness/fakedata"
)

// usccChars are the 31 characters of a unified social credit code, in value order
// (GB 32100-2015 4.3: the letters I, O, Z, S and V are not used).
const usccChars = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// usccWeights are 3^(i-1) mod 31 for positions 1 to 17 (GB 32100-2015 annex A).
var usccWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// CheckUSCC validates a unified social credit code (统一社会信用代码, GB 32100-2015): 18
// characters from the code's alphabet, the administrative division (positions 3 to 8)
// in digits, the embedded organisation code (positions 9 to 17) with its GB 11714 check
// character, and the final check character (C18 = 31 - Σ(Ci·Wi) mod 31).
func CheckUSCC(code string, skipCheckChar bool) error {
	if len(code) != 18 {
		return fmt.Errorf("must be 18 characters, got %d", len(code))
	}
	sum := 0
	for i := 0; i < 18; i++ {
		v := strings.IndexByte(usccChars, code[i])
		if v < 0 {
			return fmt.Errorf("character %d (%q) is not allowed (digits and %s)", i+1, code[i], usccChars[10:])
		}
		if i >= 2 && i < 8 && v > 9 {
			return fmt.Errorf("characters 3 to 8 are the administrative division code and must be digits")
		}
		if i < 17 {
			sum += v * usccWeights[i]
		}
	}
	if err := checkOrgCode(code[8:17]); err != nil {
		return err
	}
	if skipCheckChar {
		return nil
	}
	want := (31 - sum%31) % 31
	if code[17] != usccChars[want] {
		return fmt.Errorf("check character is %q, the code's characters give %q", code[17], usccChars[want])
	}
	return nil
}

// checkOrgCode validates the organisation code embedded in a USCC (GB 11714-1997):
// eight body characters (digits or capital letters) and a check character.
func checkOrgCode(o string) error {
	weights := [8]int{3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i := 0; i < 8; i++ {
		c := o[i]
		switch {
		case c >= '0' && c <= '9':
			sum += int(c-'0') * weights[i]
		case c >= 'A' && c <= 'Z':
			sum += int(c-'A'+10) * weights[i]
		default:
			return fmt.Errorf("characters 9 to 16 are the organisation code body (digits and capital letters)")
		}
	}
	want := byte('0' + (11-sum%11)%11)
	if (11-sum%11)%11 == 10 {
		want = 'X'
	}
	if o[8] != want {
		return fmt.Errorf("character 17 is the organisation code's check character: %q, want %q", o[8], want)
	}
	return nil
}

// CheckIDNumber validates an 18-character resident ID number (GB 11643-1999): 17 digits,
// a plausible birth date, and the check character (0-9 or X).
func CheckIDNumber(id string) error {
	if len(id) != 18 {
		return fmt.Errorf("must be 18 characters, got %d", len(id))
	}
	for i := 0; i < 17; i++ {
		if id[i] < '0' || id[i] > '9' {
			return fmt.Errorf("characters 1 to 17 must be digits")
		}
	}
	y, m, d := atoi(id[6:10]), atoi(id[10:12]), atoi(id[12:14])
	if y < 1900 || m < 1 || m > 12 || d < 1 || d > 31 {
		return fmt.Errorf("characters 7 to 14 must be a birth date (YYYYMMDD)")
	}
	if want, _ := fakedata.ResidentIDCheckChar(id[:17]); id[17] != want { // 17 digits: no error
		return fmt.Errorf("check character is %q, the digits give %q", id[17], want)
	}
	return nil
}

func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// MaskID shows the first three and last two characters of an ID number or code.
func MaskID(s string) string {
	if len(s) <= 5 {
		return strings.Repeat("*", len(s))
	}
	return s[:3] + strings.Repeat("*", len(s)-5) + s[len(s)-2:]
}
