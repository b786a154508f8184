package passwords

import (
	"strings"
	"testing"
)

func TestHashAndCheck(t *testing.T) {
	t.Parallel()
	h, err := Hash("Sandbox#2020")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(h, "Sandbox#2020") {
		t.Fatal("hash contains the password")
	}
	h2, _ := Hash("Sandbox#2020")
	if h == h2 {
		t.Fatal("two hashes of one password are equal: salt missing")
	}
	tests := []struct {
		name   string
		pw     string
		stored string
		want   bool
	}{
		{"match/right password", "Sandbox#2020", h, true},
		{"reject/wrong password", "sandbox#2020", h, false},
		{"reject/garbage hash", "x", "pbkdf2-sm3$abc$$", false},
		{"reject/other scheme", "x", "bcrypt$1$2$3", false},
		{"reject/absurd iterations", "x", "pbkdf2-sm3$999999999$AA$AA", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := Check(tc.pw, tc.stored); got != tc.want {
				t.Fatalf("Check = %v", got)
			}
		})
	}
}
