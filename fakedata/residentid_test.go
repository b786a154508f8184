package fakedata

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// Known answers for GB 11643-1999 MOD 11-2, worked by hand. Weights are
// 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2; the check character is "10X98765432"[sum%11].
//
//	11010519491231002  7+9+0+5+0+20+2+9+24+27+7+18+30+5+0+0+4    = 167, 167%11 = 2  -> X (the standard's sample)
//	11010519491231001  same but last term 2                       = 165, 165%11 = 0  -> 1
//	44030519900101123  28+36+0+15+0+20+2+9+54+0+0+9+0+5+8+8+6     = 200, 200%11 = 2  -> X
//	31010119800229001  21+9+0+5+0+4+2+9+48+0+0+18+20+45+0+0+2    = 183, 183%11 = 7  -> 5
//	51010720000101234  35+9+0+5+0+28+4+0+0+0+0+9+0+5+16+12+8     = 131, 131%11 = 10 -> 2
//	33010619751010567  21+27+0+5+0+24+2+9+42+15+7+0+10+0+40+24+14 = 240, 240%11 = 9  -> 3
//	65010220051231998  42+45+0+5+0+8+4+0+0+15+7+18+30+5+72+36+16 = 303, 303%11 = 6  -> 6
//	11010119000101001  7+9+0+5+0+4+2+9+0+0+0+9+0+5+0+0+2         = 52,  52%11 = 8   -> 4
var residentIDKATs = []struct {
	first17 string
	check   byte
}{
	{"11010519491231002", 'X'},
	{"11010519491231001", '1'},
	{"44030519900101123", 'X'},
	{"31010119800229001", '5'},
	{"51010720000101234", '2'},
	{"33010619751010567", '3'},
	{"65010220051231998", '6'},
	{"11010119000101001", '4'},
}

// testNow is a fixed "today" for validation tests.
var testNow = time.Date(2026, 3, 15, 12, 0, 0, 0, chinaTime)

func TestResidentIDCheckChar(t *testing.T) {
	t.Parallel()
	for _, k := range residentIDKATs {
		t.Run("ok/"+k.first17, func(t *testing.T) {
			t.Parallel()
			got, err := ResidentIDCheckChar(k.first17)
			if err != nil || got != k.check {
				t.Fatalf("ResidentIDCheckChar(%s) = %q, %v; want %q", k.first17, got, err, k.check)
			}
			if err := ValidateResidentIDAt(k.first17+string(got), testNow); err != nil {
				t.Fatalf("KAT does not validate: %v", err)
			}
		})
	}
	for name, in := range map[string]string{
		"400/too short":  "1101051949123100",
		"400/too long":   "110105194912310021",
		"400/letter":     "1101051949123100X",
		"400/empty":      "",
		"400/multi-byte": "１１０１０５１９４９１２３１００",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if _, err := ResidentIDCheckChar(in); !errors.Is(err, ErrFormat) {
				t.Fatalf("ResidentIDCheckChar(%q) error = %v, want ErrFormat", in, err)
			}
		})
	}
}

func TestValidateResidentIDAt(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		wantErr error
		wantMsg string // substring of the error naming the wrong part
	}{
		{"ok/standard sample", "11010519491231002X", nil, ""},
		{"ok/leap day", "310101198002290015", nil, ""},
		{"ok/born 1900-01-01", "110101190001010014", nil, ""},
		{"ok/born today", "110105202603150015", nil, ""},
		{"400/17 characters", "11010519491231002", ErrFormat, "18 characters"},
		{"400/19 characters", "11010519491231002X0", ErrFormat, "18 characters"},
		{"400/letter in body", "1101051949123100AX", ErrFormat, "character 17"},
		{"400/lowercase x", "11010519491231002x", ErrFormat, "uppercase X"},
		{"400/bad last character", "11010519491231002Y", ErrFormat, "character 18"},
		{"400/unknown region", "990105194912310023", ErrRegion, "characters 1-6"},
		{"400/region not in table", "11019919491231002X", ErrRegion, "characters 1-6"},
		{"400/month 13", "110105194913310021", ErrBirthDate, "not a calendar date"},
		{"400/February 30", "110105194902300020", ErrBirthDate, "not a calendar date"},
		{"400/1900 not a leap year", "110101190002290011", ErrBirthDate, "not a calendar date"},
		{"400/day 00", "110105194912000021", ErrBirthDate, "not a calendar date"},
		{"400/before 1900", "11010118991231001X", ErrBirthDate, "before 1900"},
		{"400/born tomorrow", "110105202603160010", ErrBirthDate, "future"},
		{"400/wrong check character", "110105194912310021", ErrCheckChar, "character 18"},
		{"400/wrong check after changed digits", "110105194912301020", ErrCheckChar, "check character"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := ValidateResidentIDAt(tc.in, testNow)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("ValidateResidentIDAt(%q) = %v, want %v", tc.in, err, tc.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), tc.wantMsg) {
				t.Fatalf("error %q does not say %q", err, tc.wantMsg)
			}
			if err != nil && len(tc.in) > 6 && strings.Contains(err.Error(), tc.in) {
				t.Fatalf("error %q echoes the ID", err)
			}
		})
	}
}

func TestValidateResidentIDUsesClock(t *testing.T) {
	t.Parallel()
	if err := ValidateResidentID("11010519491231002X"); err != nil {
		t.Fatalf("standard sample rejected: %v", err)
	}
	future := time.Now().AddDate(1, 0, 0).Format("20060102")
	body := "110105" + future + "001"
	c, _ := ResidentIDCheckChar(body)
	if err := ValidateResidentID(body + string(c)); !errors.Is(err, ErrBirthDate) {
		t.Fatalf("birth date next year: got %v, want ErrBirthDate", err)
	}
}

func TestBirthDateAndSex(t *testing.T) {
	t.Parallel()
	b, err := BirthDateOf("11010519491231002X")
	if err != nil || !b.Equal(time.Date(1949, 12, 31, 0, 0, 0, 0, chinaTime)) {
		t.Fatalf("BirthDateOf = %v, %v", b, err)
	}
	if IsMale("11010519491231002X") {
		t.Fatalf("order code 002 is even: female")
	}
	if !IsMale("310101198002290015") {
		t.Fatalf("order code 001 is odd: male")
	}
	if _, err := BirthDateOf("110105"); !errors.Is(err, ErrFormat) {
		t.Fatalf("short ID: %v", err)
	}
}

func TestRegionTable(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	provinces := map[string]bool{}
	for _, r := range Regions() {
		if len(r.Code) != 6 || strings.Trim(r.Code, "0123456789") != "" || r.Code[2:] == "0000" {
			t.Errorf("region %+v: code must be a six-digit county-level code", r)
		}
		if seen[r.Code] {
			t.Errorf("duplicate region %s", r.Code)
		}
		seen[r.Code] = true
		provinces[r.Province] = true
	}
	if len(seen) < 30 || len(provinces) != 31 {
		t.Fatalf("want every one of the 31 mainland provinces, got %d regions in %d", len(seen), len(provinces))
	}
	if r, ok := RegionOf("11010519491231002X"); !ok || r.Name != "朝阳区" {
		t.Fatalf("RegionOf(110105...) = %+v, %v", r, ok)
	}
}
