package apps

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/jr0185/harness/sandbox/internal/clock"
	"github.com/jr0185/harness/sandbox/internal/store"
)

// JR/T 0185-2020 10.1.2/1b: the gateway must tell another App_ID's certificate from an
// unknown one, so the registry answers who a certificate fingerprint belongs to.
func TestCertOwner(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "bank.db"), false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	c := clock.NewManual(time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC))
	s := NewService(&SQLStore{DB: db.DB}, c, Options{})
	a, _, err := s.Register(ctx, Registration{Name: "Wallet", Level: LevelA2, Scopes: []string{"accounts:read"}})
	if err != nil {
		t.Fatal(err)
	}
	cert := Credential{AppID: a.ID, Serial: "0a1b", Kind: KindClientCert, Material: "-", Fingerprint: "f00d",
		NotBefore: c.Now(), NotAfter: c.Now().Add(time.Hour)}
	if err := s.AddCredential(ctx, cert); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, fingerprint, want string
		found                   bool
	}{
		{"found/registered certificate", "f00d", a.ID, true},
		{"not found/unknown fingerprint", "beef", "", false},
		{"not found/empty fingerprint", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, found, err := s.CertOwner(ctx, tt.fingerprint)
			if err != nil || got != tt.want || found != tt.found {
				t.Fatalf("CertOwner(%q) = %q, %v, %v; want %q, %v", tt.fingerprint, got, found, err, tt.want, tt.found)
			}
		})
	}
	if err := s.RevokeCredential(ctx, a.ID, "0a1b"); err != nil {
		t.Fatal(err)
	}
	if got, found, _ := s.CertOwner(ctx, "f00d"); !found || got != a.ID {
		t.Errorf("a revoked certificate still names its owner: got %q, %v", got, found)
	}
}
