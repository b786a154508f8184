package pki

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/smx509"
)

var bankFiles = []string{
	FileTLSCACert, FileTLSCAKey, FileSM2CACert, FileSM2CAKey, FileServerCert,
	FileServerKey, FileSignCert, FileSignKey, FileEncCert, FileEncKey,
}

func TestLoadOrCreateBankWritesEveryFile(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "pki")
	b := newBank(t, Options{Dir: dir, Hosts: []string{"bank.example", "10.1.2.3", "[fd00::1]"}})

	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o700 {
		t.Errorf("dir mode = %o, want 700", got)
	}
	for _, name := range bankFiles {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		want := os.FileMode(0o644)
		if strings.HasSuffix(name, ".key") {
			want = 0o600
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s mode = %o, want %o", name, got, want)
		}
		data, _ := os.ReadFile(filepath.Join(dir, name))
		blk, _ := pem.Decode(data)
		wantType := "CERTIFICATE"
		if strings.HasSuffix(name, ".key") {
			wantType = "PRIVATE KEY" // PKCS#8
		}
		if blk == nil || blk.Type != wantType {
			t.Errorf("%s: want one PEM %q block", name, wantType)
		}
	}
	if !slices.Equal(b.Reissued, bankFiles) {
		t.Errorf("Reissued = %v, want %v", b.Reissued, bankFiles)
	}
	if b.Paths.SignKey != filepath.Join(dir, FileSignKey) {
		t.Errorf("Paths.SignKey = %q", b.Paths.SignKey)
	}

	if b.TLSCA.Subject.CommonName != TLSCAName || !b.TLSCA.IsCA {
		t.Errorf("TLS CA subject %q IsCA %v", b.TLSCA.Subject.CommonName, b.TLSCA.IsCA)
	}
	if b.SM2CA.Subject.CommonName != SM2CAName || !b.SM2CA.IsCA || b.SM2CA.SignatureAlgorithm != smx509.SM2WithSM3 {
		t.Errorf("SM2 CA subject %q IsCA %v alg %v", b.SM2CA.Subject.CommonName, b.SM2CA.IsCA, b.SM2CA.SignatureAlgorithm)
	}
	for _, h := range []string{"localhost", "127.0.0.1", "::1", "bank.example", "10.1.2.3", "fd00::1"} {
		if err := b.ServerCert.VerifyHostname(h); err != nil {
			t.Errorf("server certificate: %v", err)
		}
	}
	if !slices.Equal(b.ServerCert.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}) {
		t.Errorf("server ExtKeyUsage = %v", b.ServerCert.ExtKeyUsage)
	}
	// JR/T 0185-2020 7.3.4: signing and encryption use different keys.
	if b.SignKey.Equal(b.EncKey) {
		t.Error("signing and encryption keys are the same")
	}
	if err := CheckKeyUsage(b.SignCert, KeyUsageSign); err != nil {
		t.Error(err)
	}
	if err := CheckKeyUsage(b.EncCert, KeyUsageEncrypt); err != nil {
		t.Error(err)
	}
	if got, want := b.SignCert.KeyUsage, smx509.KeyUsageDigitalSignature|smx509.KeyUsageContentCommitment; got != want {
		t.Errorf("sign KeyUsage = %#x, want %#x", got, want)
	}
	if got, want := b.EncCert.KeyUsage, smx509.KeyUsageKeyEncipherment|smx509.KeyUsageDataEncipherment; got != want {
		t.Errorf("enc KeyUsage = %#x, want %#x", got, want)
	}
	for name, serial := range map[string]*big.Int{
		"tls-ca": b.TLSCA.SerialNumber, "sm2-ca": b.SM2CA.SerialNumber, "server": b.ServerCert.SerialNumber,
		"sign": b.SignCert.SerialNumber, "enc": b.EncCert.SerialNumber,
	} {
		if serial.Sign() <= 0 || serial.BitLen() > 128 {
			t.Errorf("%s serial %x: want positive, at most 128 bits", name, serial)
		}
	}
	if b.SignKeySerial() != SerialHex(b.SignCert.SerialNumber) || b.SignKeySerial() == b.EncKeySerial() {
		t.Errorf("key serials sign %q enc %q", b.SignKeySerial(), b.EncKeySerial())
	}
	if err := b.VerifySM2Cert(b.SignCert, time.Time{}); err != nil {
		t.Error(err)
	}
	if err := b.VerifySM2Cert(b.EncCert, time.Time{}); err != nil {
		t.Error(err)
	}
}

func TestLoadOrCreateBankReloadsIdentical(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	first := newBank(t, Options{Dir: dir, Hosts: []string{"bank.example"}})
	second, created, err := LoadOrCreateBank(Options{Dir: dir, Hosts: []string{"BANK.example."}})
	if err != nil {
		t.Fatal(err)
	}
	if created {
		t.Error("reload: created = true")
	}
	if len(second.Reissued) != 0 {
		t.Errorf("reload reissued %v", second.Reissued)
	}
	for name, pair := range map[string][2][]byte{
		"tls-ca": {first.TLSCA.Raw, second.TLSCA.Raw},
		"server": {first.ServerCert.Raw, second.ServerCert.Raw},
		"sm2-ca": {first.SM2CA.Raw, second.SM2CA.Raw},
		"sign":   {first.SignCert.Raw, second.SignCert.Raw},
		"enc":    {first.EncCert.Raw, second.EncCert.Raw},
	} {
		if !bytes.Equal(pair[0], pair[1]) {
			t.Errorf("%s certificate changed on reload", name)
		}
	}
	if !first.SignKey.Equal(second.SignKey) || !first.EncKey.Equal(second.EncKey) ||
		!first.tlsCAKey.Equal(second.tlsCAKey) || !first.sm2CAKey.Equal(second.sm2CAKey) ||
		!first.serverKey.Equal(second.serverKey) {
		t.Error("a private key changed on reload")
	}
}

func TestLoadOrCreateBankReissues(t *testing.T) {
	t.Parallel()
	start := time.Now()
	tests := []struct {
		name     string
		second   Options // Dir filled in
		reissued []string
		sameSign bool
	}{
		{
			name:     "nothing/same hosts and clock",
			second:   Options{Now: fixedClock(start)},
			sameSign: true,
		},
		{
			name:     "server/new host",
			second:   Options{Now: fixedClock(start), Hosts: []string{"api.bank.test"}},
			reissued: []string{FileServerCert, FileServerKey},
			sameSign: true,
		},
		{
			name:     "server/expired",
			second:   Options{Now: fixedClock(start.Add(DefaultServerValidity + time.Hour)), SignKeyValidity: 3 * DefaultServerValidity, EncKeyValidity: 3 * DefaultServerValidity},
			reissued: []string{FileServerCert, FileServerKey},
			sameSign: true,
		},
		{
			name:     "server and SM2 keys/all expired",
			second:   Options{Now: fixedClock(start.Add(2 * A1KeyValidity))},
			reissued: []string{FileServerCert, FileServerKey, FileSignCert, FileSignKey, FileEncCert, FileEncKey},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			first := newBank(t, Options{Dir: dir, Now: fixedClock(start), SignKeyValidity: tt.second.SignKeyValidity, EncKeyValidity: tt.second.EncKeyValidity})
			tt.second.Dir = dir
			second, created, err := LoadOrCreateBank(tt.second)
			if err != nil {
				t.Fatal(err)
			}
			if created {
				t.Error("created = true, want the CAs kept")
			}
			if !slices.Equal(second.Reissued, tt.reissued) {
				t.Errorf("Reissued = %v, want %v", second.Reissued, tt.reissued)
			}
			if !bytes.Equal(first.TLSCA.Raw, second.TLSCA.Raw) || !bytes.Equal(first.SM2CA.Raw, second.SM2CA.Raw) {
				t.Error("a CA changed")
			}
			if same := first.SignKey.Equal(second.SignKey); same != tt.sameSign {
				t.Errorf("signing key kept = %v, want %v", same, tt.sameSign)
			}
			if err := second.ServerCert.CheckSignatureFrom(second.TLSCA); err != nil {
				t.Error(err)
			}
			for _, h := range tt.second.Hosts {
				if err := second.ServerCert.VerifyHostname(h); err != nil {
					t.Error(err)
				}
			}
			// What was rewritten on disk reloads unchanged.
			third, _, err := LoadOrCreateBank(tt.second)
			if err != nil {
				t.Fatal(err)
			}
			if len(third.Reissued) != 0 || !bytes.Equal(third.ServerCert.Raw, second.ServerCert.Raw) {
				t.Errorf("third load reissued %v", third.Reissued)
			}
		})
	}
}

func TestLoadOrCreateBankReissuesLeavesOfANewCA(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	first := newBank(t, Options{Dir: dir})
	for _, f := range []string{FileSM2CACert, FileSM2CAKey} {
		if err := os.Remove(filepath.Join(dir, f)); err != nil {
			t.Fatal(err)
		}
	}
	second, created, err := LoadOrCreateBank(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if !created {
		t.Error("created = false after a CA was regenerated")
	}
	want := []string{FileSM2CACert, FileSM2CAKey, FileSignCert, FileSignKey, FileEncCert, FileEncKey}
	if !slices.Equal(second.Reissued, want) {
		t.Errorf("Reissued = %v, want %v", second.Reissued, want)
	}
	if !bytes.Equal(first.TLSCA.Raw, second.TLSCA.Raw) || !bytes.Equal(first.ServerCert.Raw, second.ServerCert.Raw) {
		t.Error("the TLS side changed")
	}
	if err := second.VerifySM2Cert(second.SignCert, time.Time{}); err != nil {
		t.Error(err)
	}
}

func TestLoadOrCreateBankRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		damage func(t *testing.T, dir string)
		opts   Options
		noDir  bool
		errHas string
	}{
		{
			name:   "error/no dir",
			noDir:  true,
			errHas: "Dir is required",
		},
		{
			name:   "error/invalid host",
			opts:   Options{Hosts: []string{"bad host!"}},
			errHas: "invalid host",
		},
		{
			name:   "error/negative validity",
			opts:   Options{ServerValidity: -time.Hour},
			errHas: "negative validity",
		},
		{
			name: "error/certificate without its key",
			damage: func(t *testing.T, dir string) {
				os.Remove(filepath.Join(dir, FileSignKey))
			},
			errHas: "bank-sign.key is missing",
		},
		{
			name: "error/corrupt CA certificate",
			damage: func(t *testing.T, dir string) {
				os.WriteFile(filepath.Join(dir, FileTLSCACert), []byte("not a certificate"), 0o644)
			},
			errHas: FileTLSCACert,
		},
		{
			name: "error/key does not match certificate",
			damage: func(t *testing.T, dir string) {
				data, _ := os.ReadFile(filepath.Join(dir, FileEncKey))
				os.WriteFile(filepath.Join(dir, FileSignKey), data, 0o600)
			},
			errHas: "does not match",
		},
		{
			name: "error/SM2 key in a TLS slot",
			damage: func(t *testing.T, dir string) {
				data, _ := os.ReadFile(filepath.Join(dir, FileSM2CAKey))
				os.WriteFile(filepath.Join(dir, FileServerKey), data, 0o600)
			},
			errHas: "want an ECDSA P-256 private key",
		},
		{
			name:   "error/CA expired",
			damage: func(t *testing.T, dir string) {},
			opts:   Options{Now: fixedClock(time.Now().Add(DefaultCAValidity + time.Hour))},
			errHas: "CA expired",
		},
		{
			name:   "error/CA not yet valid (clock set back)",
			damage: func(t *testing.T, dir string) {},
			opts:   Options{Now: fixedClock(time.Now().Add(-time.Hour))},
			errHas: "CA not valid before",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if !tt.noDir {
				tt.opts.Dir = t.TempDir()
			}
			if tt.damage != nil {
				newBank(t, Options{Dir: tt.opts.Dir})
				tt.damage(t, tt.opts.Dir)
			}
			_, _, err := LoadOrCreateBank(tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.errHas) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.errHas)
			}
		})
	}
}

// A key without its certificate is what an interrupted first start leaves:
// it is replaced, not an error.
func TestLoadOrCreateBankRecoversFromInterruptedCreation(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	newBank(t, Options{Dir: dir})
	if err := os.Remove(filepath.Join(dir, FileEncCert)); err != nil {
		t.Fatal(err)
	}
	b, created, err := LoadOrCreateBank(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if created || !slices.Equal(b.Reissued, []string{FileEncCert, FileEncKey}) {
		t.Errorf("created %v Reissued %v", created, b.Reissued)
	}
}

func TestSerialHex(t *testing.T) {
	t.Parallel()
	big2p127 := new(big.Int).Lsh(big.NewInt(1), 127)
	tests := []struct {
		name string
		in   *big.Int
		want string
	}{
		{"nil/empty", nil, ""},
		{"one/no padding", big.NewInt(1), "1"},
		{"leading zero nibble/dropped", big.NewInt(0x0abc), "abc"},
		{"lowercase", big.NewInt(0xDEADBEEF), "deadbeef"},
		{"128-bit", big2p127, "80000000000000000000000000000000"},
	}
	for _, tt := range tests {
		if got := SerialHex(tt.in); got != tt.want {
			t.Errorf("%s: SerialHex = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestSerialsAreRandom(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 200 {
		s, err := newSerial()
		if err != nil {
			t.Fatal(err)
		}
		if s.Sign() <= 0 || s.BitLen() > 128 {
			t.Fatalf("serial %x out of range", s)
		}
		if seen[SerialHex(s)] {
			t.Fatalf("serial %x repeated", s)
		}
		seen[SerialHex(s)] = true
	}
}

func TestDefaultOptions(t *testing.T) {
	t.Parallel()
	o, err := Options{Dir: "x"}.normalize()
	if err != nil {
		t.Fatal(err)
	}
	if o.SignKeyValidity != A2KeyValidity || o.EncKeyValidity != A2KeyValidity || o.ClientValidity != DefaultClientValidity ||
		o.CAValidity != DefaultCAValidity || o.ServerValidity != DefaultServerValidity || o.Now == nil {
		t.Errorf("defaults not applied: %+v", o)
	}
	if A1KeyValidity <= A2KeyValidity {
		t.Error("A1 keys should live longer than A2 keys")
	}
	if !slices.Equal(o.Hosts, DefaultHosts) {
		t.Errorf("Hosts = %v", o.Hosts)
	}
	if ip := net.ParseIP(o.Hosts[2]); ip == nil {
		t.Errorf("%q is not an IP", o.Hosts[2])
	}
	if _, err := (Options{Dir: "x", Hosts: []string{"a..b"}}).normalize(); err == nil {
		t.Error("a..b accepted as a host")
	}
}
