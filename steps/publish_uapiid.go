package steps

import (
	"fmt"
	"strings"
)

// The harness's own reading of annex B (U_API_ID coding rules), written from the
// standard's text, independent of the bank's code.

// uapiid is a U_API_ID split into the six fields of table B.1.
type uapiid struct {
	Raw, Fixed, Institution, Type, Category, Sequence, Reserved string
}

// splitUAPIID applies B.2 (24 printable ASCII characters) and B.3.1 (field offsets 0,
// 2, 8, 10, 16, 22).
func splitUAPIID(s string) (uapiid, error) {
	if len(s) != 24 {
		return uapiid{}, fmt.Errorf("B.2: %q has %d characters, not 24", s, len(s))
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return uapiid{}, fmt.Errorf("B.2: %q: character %d is not printable ASCII", s, i+1)
		}
	}
	return uapiid{Raw: s, Fixed: s[0:2], Institution: s[2:8], Type: s[8:10], Category: s[10:16], Sequence: s[16:22], Reserved: s[22:24]}, nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// firstLevelNames are B.3.5's first-level identifiers (00 reserved; 09-99 are numbered
// in order by later categories).
var firstLevelNames = map[string]string{
	"01": "账户服务", "02": "支付结算", "03": "投资理财", "04": "信贷", "05": "信用卡", "06": "行业服务", "07": "国际业务", "08": "科技服务",
}

// Each rule checks one field; together they are annex B.

func ruleFixed(u uapiid) error { // B.3.2
	if u.Fixed != "OP" {
		return fmt.Errorf("B.3.2: %s begins with %q, not \"OP\"", u.Raw, u.Fixed)
	}
	return nil
}

func ruleInstitution(u uapiid, declared string) error { // B.3.3
	if len(declared) < 6 || u.Institution != declared[:6] {
		return fmt.Errorf("B.3.3: %s carries institution code %q, not the first six characters of the declared code %q", u.Raw, u.Institution, declared)
	}
	return nil
}

func ruleType(u uapiid) error { // B.3.4
	if !digits(u.Type) || len(u.Type) != 2 {
		return fmt.Errorf("B.3.4: %s has interface type %q, not a two-digit type code", u.Raw, u.Type)
	}
	if u.Type != "01" && u.Type != "02" {
		return fmt.Errorf("B.3.4: %s has interface type %q (00 is reserved; 01 is A1, 02 is A2)", u.Raw, u.Type)
	}
	return nil
}

func ruleCategory(u uapiid) error { // B.3.5
	if !digits(u.Category) || len(u.Category) != 6 {
		return fmt.Errorf("B.3.5: %s has service category %q, not six digits", u.Raw, u.Category)
	}
	if u.Category[:2] == "00" {
		return fmt.Errorf("B.3.5: %s uses the reserved first-level identifier 00", u.Raw)
	}
	if u.Category[2:] == "0000" {
		return fmt.Errorf("B.3.5: %s uses the reserved second-level identifier 0000", u.Raw)
	}
	return nil
}

func ruleSequence(u uapiid) error { // B.3.6
	if !digits(u.Sequence) || len(u.Sequence) != 6 || u.Sequence == "000000" {
		return fmt.Errorf("B.3.6: %s has sequence %q, not six digits from 000001 to 999999", u.Raw, u.Sequence)
	}
	return nil
}

func ruleReserved(u uapiid) error { // B.3.7
	if u.Reserved != "00" {
		return fmt.Errorf("B.3.7: %s ends with %q, not the reserved default 00", u.Raw, u.Reserved)
	}
	return nil
}

// checkUAPIID applies every rule of annex B to one identifier.
func checkUAPIID(s, declared string) error {
	u, err := splitUAPIID(s)
	if err != nil {
		return err
	}
	var errs []string
	for _, e := range []error{ruleFixed(u), ruleInstitution(u, declared), ruleType(u), ruleCategory(u), ruleSequence(u), ruleReserved(u)} {
		if e != nil {
			errs = append(errs, e.Error())
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return nil
}
