package money

import "testing"

func TestParseAndFormat(t *testing.T) {
	t.Parallel()
	ok := map[string]int64{"10": 1000, "10.5": 1050, "10.50": 1050, "0.01": 1, "1000000000000": MaxFen}
	for in, want := range ok {
		if got, err := Parse(in); err != nil || got != want {
			t.Errorf("Parse(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "0", "0.00", "-1", "+1", "1e3", "1.234", "01", "1,000", " 1", "1.", ".5", "1000000000000.01", "NaN", "１"} {
		if got, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) = %d, want error", bad, got)
		}
	}
	for fen, want := range map[int64]string{0: "0.00", 1: "0.01", 1050: "10.50", -1230: "-12.30", MaxFen: "1000000000000.00"} {
		if got := Format(fen); got != want {
			t.Errorf("Format(%d) = %q, want %q", fen, got, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add("10.00")
	f.Fuzz(func(t *testing.T, s string) {
		fen, err := Parse(s)
		if err != nil {
			return
		}
		if fen <= 0 || fen > MaxFen {
			t.Fatalf("Parse(%q) = %d out of range", s, fen)
		}
		if back, err := Parse(Format(fen)); err != nil || back != fen {
			t.Fatalf("round trip %q -> %d -> %q -> %d", s, fen, Format(fen), back)
		}
	})
}
