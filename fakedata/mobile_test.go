package fakedata

import (
	"errors"
	"testing"
)

func TestValidateMobile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		wantErr error
	}{
		{"ok/China Mobile 138", "13812345678", nil},
		{"ok/China Unicom 186", "18612345678", nil},
		{"ok/China Telecom 199", "19912345678", nil},
		{"ok/China Broadnet 192", "19212345678", nil},
		{"ok/virtual operator 170", "17012345678", nil},
		{"400/10 digits", "1381234567", ErrFormat},
		{"400/12 digits", "138123456789", ErrFormat},
		{"400/+86 prefix", "+8613812345678", ErrFormat},
		{"400/spaces", "138 1234 567", ErrFormat},
		{"400/letter", "1381234567a", ErrFormat},
		{"400/empty", "", ErrFormat},
		{"400/landline", "01065123456", ErrPrefix},
		{"400/unallocated 120", "12012345678", ErrPrefix},
		{"400/unallocated 154", "15412345678", ErrPrefix},
		{"400/IoT data segment 140", "14012345678", ErrPrefix},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := ValidateMobile(tc.in)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("ValidateMobile(%q) = %v, want %v", tc.in, err, tc.wantErr)
			}
		})
	}
}

func TestMobilePrefixTable(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, p := range MobilePrefixes() {
		if len(p.Prefix) != 3 || p.Prefix[0] != '1' || p.Prefix[1] < '3' || p.Carrier == "" {
			t.Errorf("bad segment %+v", p)
		}
		if seen[p.Prefix] {
			t.Errorf("duplicate segment %s", p.Prefix)
		}
		seen[p.Prefix] = true
	}
	// The segments the brief lists for the three big carriers.
	for _, p := range []string{
		"134", "135", "136", "137", "138", "139", "147", "150", "151", "152", "157", "158", "159",
		"178", "182", "183", "184", "187", "188", "198",
		"130", "131", "132", "145", "155", "156", "166", "175", "176", "185", "186",
		"133", "149", "153", "173", "177", "180", "181", "189", "199",
	} {
		if !seen[p] {
			t.Errorf("segment %s missing", p)
		}
	}
	if c, ok := CarrierOf("13812345678"); !ok || c != CarrierMobile {
		t.Fatalf("CarrierOf(138...) = %q, %v", c, ok)
	}
}
