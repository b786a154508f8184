package observe

import (
	"encoding/hex"
	"strings"
	"testing"

	"github.com/emmansun/gmsm/sm3"
)

func TestSecretFingerprints(t *testing.T) {
	token := "at_" + strings.Repeat("Ab9-", 10)
	sum := sm3.Sum([]byte(token))
	want := SecretPrint{Kind: SecretAccessToken, SM3: hex.EncodeToString(sum[:]), Length: len(token)}
	tests := []struct {
		name    string
		maxApps int
		record  func(s *Store)
		app     string
		want    []SecretPrint
	}{
		{"a token of an observed app is kept as its SM3 and length", 0, func(s *Store) {
			s.Record("A", Observation{})
			s.RecordSecret("A", SecretAccessToken, token)
		}, "A", []SecretPrint{want}},
		{"the same token twice is kept once", 0, func(s *Store) {
			s.Record("A", Observation{})
			s.RecordSecret("A", SecretAccessToken, token)
			s.RecordSecret("A", SecretAccessToken, token)
		}, "A", []SecretPrint{want}},
		{"a value shorter than 16 bytes is not a credential", 0, func(s *Store) {
			s.Record("A", Observation{})
			s.RecordSecret("A", SecretCode, "short")
			s.RecordSecret("A", SecretCode, "")
		}, "A", []SecretPrint{}},
		{"an app without observations keeps nothing", 0, func(s *Store) { s.RecordSecret("A", SecretAccessToken, token) }, "A", []SecretPrint{}},
		{"another app's tokens are not listed", 0, func(s *Store) {
			s.Record("A", Observation{})
			s.Record("B", Observation{})
			s.RecordSecret("B", SecretAccessToken, token)
		}, "A", []SecretPrint{}},
		{"an app dropped from the store loses its fingerprints", 1, func(s *Store) {
			s.Record("A", Observation{})
			s.RecordSecret("A", SecretAccessToken, token)
			s.Record("B", Observation{}) // MaxApps 1: A goes
			s.Record("A", Observation{})
		}, "A", []SecretPrint{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(Options{MaxApps: tt.maxApps})
			tt.record(s)
			got := s.Secrets(tt.app)
			if got == nil || len(got) != len(tt.want) {
				t.Fatalf("Secrets = %+v, want %+v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("Secrets[%d] = %+v, want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestSecretFingerprintsAreBoundedPerApp(t *testing.T) {
	s := New(Options{})
	s.Record("A", Observation{})
	for i := 0; i < MaxSecretsPerApp+10; i++ {
		s.RecordSecret("A", SecretRefreshToken, "rt_"+strings.Repeat("x", 16)+string(rune('a'+i%26))+hex.EncodeToString([]byte{byte(i >> 8), byte(i)}))
	}
	if n := len(s.Secrets("A")); n != MaxSecretsPerApp {
		t.Fatalf("%d fingerprints kept, want at most %d", n, MaxSecretsPerApp)
	}
}
