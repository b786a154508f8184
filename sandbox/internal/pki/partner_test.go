package pki

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var partnerFiles = []string{
	FilePartnerClientCert, FilePartnerClientKey, FilePartnerSignCert, FilePartnerSignKey,
	FilePartnerEncCert, FilePartnerEncKey, FileTLSCACert, FileSM2CACert, FileSignCert, FileEncCert,
}

func TestGeneratePartnerKeys(t *testing.T) {
	t.Parallel()
	b := newBank(t, Options{})
	dir := filepath.Join(t.TempDir(), "demo-partner")
	p, err := b.GeneratePartnerKeys(dir, "demo-app", "Demo Partner", A1KeyValidity)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("dir: %v %v", fi.Mode(), err)
	}
	for _, name := range partnerFiles {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		want := os.FileMode(0o644)
		if strings.HasSuffix(name, ".key") {
			want = 0o600
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s mode %o, want %o", name, fi.Mode().Perm(), want)
		}
	}
	if err := b.VerifyClientCert(p.ClientCert, time.Time{}); err != nil {
		t.Error(err)
	}
	if id, err := AppIDFromClientCert(p.ClientCert); id != "demo-app" || err != nil {
		t.Errorf("client App_ID %q %v", id, err)
	}
	if err := b.VerifySM2Cert(p.SignCert, time.Time{}); err != nil {
		t.Error(err)
	}
	if err := b.VerifySM2Cert(p.EncCert, time.Time{}); err != nil {
		t.Error(err)
	}
	if err := CheckKeyUsage(p.SignCert, KeyUsageSign); err != nil {
		t.Error(err)
	}
	if err := CheckKeyUsage(p.EncCert, KeyUsageEncrypt); err != nil {
		t.Error(err)
	}
	if p.SignKey.Equal(p.EncKey) {
		t.Error("partner signing and encryption keys are the same")
	}
	if got := p.SignCert.NotAfter.Sub(p.SignCert.NotBefore); got != A1KeyValidity+clockSkew {
		t.Errorf("sign validity %v, want A1 %v", got, A1KeyValidity)
	}
	if p.SignKeySerial() == "" || p.SignKeySerial() == p.EncKeySerial() {
		t.Errorf("serials %q %q", p.SignKeySerial(), p.EncKeySerial())
	}
	tc := p.TLSCertificate()
	if tc.Leaf != p.ClientCert || tc.PrivateKey != p.ClientKey {
		t.Error("TLSCertificate does not carry the client pair")
	}

	// The bank's public certificates travel with the bundle, unchanged.
	for path, der := range map[string][]byte{
		p.Paths.TLSCA: b.TLSCA.Raw, p.Paths.SM2CA: b.SM2CA.Raw,
		p.Paths.BankSignCert: b.SignCert.Raw, p.Paths.BankEncCert: b.EncCert.Raw,
	} {
		data, err := os.ReadFile(path)
		if err != nil || !bytes.Equal(data, EncodeCertPEM(der)) {
			t.Errorf("%s differs from the bank's: %v", filepath.Base(path), err)
		}
	}
	// No bank private key leaks into the bundle.
	for _, name := range partnerFiles {
		data, _ := os.ReadFile(filepath.Join(dir, name))
		for _, k := range []string{b.Paths.SignKey, b.Paths.EncKey, b.Paths.TLSCAKey, b.Paths.SM2CAKey, b.Paths.ServerKey} {
			bankKey, _ := os.ReadFile(k)
			if bytes.Equal(data, bankKey) {
				t.Errorf("%s is the bank's %s", name, filepath.Base(k))
			}
		}
	}

	// Reload.
	q, err := LoadPartnerKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	if q.AppID != "demo-app" || q.Org != "Demo Partner" || !q.ClientCert.Equal(p.ClientCert) ||
		!q.SignKey.Equal(p.SignKey) || !q.EncKey.Equal(p.EncKey) || !q.ClientKey.Equal(p.ClientKey) ||
		!q.SignCert.Equal(p.SignCert) || !q.EncCert.Equal(p.EncCert) {
		t.Error("LoadPartnerKeys differs from what was generated")
	}
}

func TestGeneratePartnerKeysRefuses(t *testing.T) {
	t.Parallel()
	b := newBank(t, Options{})
	tests := []struct {
		name  string
		dir   string
		appID string
		want  error
	}{
		{name: "error/no dir", dir: "", appID: "app"},
		{name: "error/bad App_ID", dir: t.TempDir(), appID: "a b", want: ErrInvalidAppID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := b.GeneratePartnerKeys(tt.dir, tt.appID, "", 0)
			if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestLoadPartnerKeysRefuses(t *testing.T) {
	t.Parallel()
	b := newBank(t, Options{})
	tests := []struct {
		name   string
		damage func(t *testing.T, dir string)
		errHas string
	}{
		{
			name:   "error/missing encryption certificate",
			damage: func(t *testing.T, dir string) { os.Remove(filepath.Join(dir, FilePartnerEncCert)) },
			errHas: "enc.crt",
		},
		{
			name: "error/signing and encryption swapped",
			damage: func(t *testing.T, dir string) {
				for _, ext := range []string{".crt", ".key"} {
					s, e := filepath.Join(dir, "sign"+ext), filepath.Join(dir, "enc"+ext)
					os.Rename(s, s+".tmp")
					os.Rename(e, s)
					os.Rename(s+".tmp", e)
				}
			},
			errHas: "not sign-only",
		},
		{
			name: "error/another App_ID's SM2 certificate",
			damage: func(t *testing.T, dir string) {
				other, err := b.GeneratePartnerKeys(t.TempDir(), "other-app", "", 0)
				if err != nil {
					t.Fatal(err)
				}
				for _, f := range []string{FilePartnerSignCert, FilePartnerSignKey} {
					data, _ := os.ReadFile(filepath.Join(other.Paths.Dir, f))
					os.WriteFile(filepath.Join(dir, f), data, 0o600)
				}
			},
			errHas: "other-app",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			if _, err := b.GeneratePartnerKeys(dir, "app-l", "", 0); err != nil {
				t.Fatal(err)
			}
			tt.damage(t, dir)
			_, err := LoadPartnerKeys(dir)
			if err == nil || !strings.Contains(err.Error(), tt.errHas) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.errHas)
			}
		})
	}
}

func TestOpenSSLVerifiesPartnerBundle(t *testing.T) {
	t.Parallel()
	requireOpenSSL(t)
	b := newBank(t, Options{})
	p, err := b.GeneratePartnerKeys(filepath.Join(t.TempDir(), "p"), "app-b", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	// Everything a partner needs is in its own directory.
	runOpenSSL(t, "verify", "-CAfile", p.Paths.TLSCA, "-purpose", "sslclient", p.Paths.ClientCert)
	runOpenSSL(t, "verify", "-vfyopt", distID, "-CAfile", p.Paths.SM2CA, p.Paths.SignCert, p.Paths.EncCert, p.Paths.BankSignCert, p.Paths.BankEncCert)
}
