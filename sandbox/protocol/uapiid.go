package protocol

import (
	"fmt"
	"strings"
)

// U_API_ID levels (JR/T 0185-2020 B.3.4).
const (
	LevelCodeA1 = "01"
	LevelCodeA2 = "02"
)

// UAPIID is a parsed Uniform API ID (JR/T 0185-2020 annex B).
type UAPIID struct {
	Institution string // 6 chars, first six of the JR/T 0124 financial institution code (B.3.3)
	Level       string // "01" A1, "02" A2 (B.3.4)
	Category    string // 6 digits: 2-digit first level + 4-digit second level (B.3.5)
	Sequence    string // 6 digits, 000001-999999 (B.3.6)
	Reserved    string // "00" (B.3.7)
}

// String renders the 24-character code.
func (u UAPIID) String() string {
	return "OP" + u.Institution + u.Level + u.Category + u.Sequence + u.Reserved
}

// ParseUAPIID validates a U_API_ID against annex B and returns its parts.
func ParseUAPIID(s string) (UAPIID, error) {
	var u UAPIID
	// JR/T 0185-2020 B.2: ASCII, 24 characters.
	if len(s) != 24 {
		return u, fmt.Errorf("U_API_ID must be 24 characters, got %d", len(s))
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return u, fmt.Errorf("U_API_ID must be printable ASCII (position %d)", i+1)
		}
	}
	// B.3.2: fixed "OP".
	if s[:2] != "OP" {
		return u, fmt.Errorf("U_API_ID must start with the fixed characters \"OP\"")
	}
	u.Institution, u.Level, u.Category, u.Sequence, u.Reserved = s[2:8], s[8:10], s[10:16], s[16:22], s[22:24]
	// B.3.3: institution code: letters and digits (JR/T 0124 codes are alphanumeric).
	for i := 0; i < len(u.Institution); i++ {
		c := u.Institution[i]
		if !(isDigit(c) || (c >= 'A' && c <= 'Z')) {
			return u, fmt.Errorf("institution code %q must be uppercase letters and digits", u.Institution)
		}
	}
	// B.3.4: 00 reserved, 01 A1, 02 A2.
	if u.Level != LevelCodeA1 && u.Level != LevelCodeA2 {
		return u, fmt.Errorf("interface type %q must be 01 (A1) or 02 (A2)", u.Level)
	}
	// B.3.5: six digits; first level 01-99 (00 reserved); second level 0001-9999 (0000 reserved).
	if !allDigits(u.Category) {
		return u, fmt.Errorf("service category %q must be six digits", u.Category)
	}
	if u.Category[:2] == "00" {
		return u, fmt.Errorf("service category first level 00 is reserved")
	}
	if u.Category[2:] == "0000" {
		return u, fmt.Errorf("service category second level 0000 is reserved")
	}
	// B.3.6: sequence 000001-999999.
	if !allDigits(u.Sequence) || u.Sequence == "000000" {
		return u, fmt.Errorf("sequence %q must be six digits from 000001 to 999999", u.Sequence)
	}
	// B.3.7: reserved, default 00.
	if u.Reserved != "00" {
		return u, fmt.Errorf("reserved characters must be \"00\", got %q", u.Reserved)
	}
	return u, nil
}

func allDigits(s string) bool {
	return s != "" && strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' }) < 0
}
