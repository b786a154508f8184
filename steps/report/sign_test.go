package report

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tjfoc/gmsm/sm2"
)

func newKey(t *testing.T) *sm2.PrivateKey {
	t.Helper()
	key, err := LoadOrCreateKey(filepath.Join(t.TempDir(), "report.key"))
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// writeReport writes a small signed report into a fresh directory.
func writeReport(t *testing.T, key *sm2.PrivateKey) string {
	t.Helper()
	s := scenario("a", "failed", "@JR0185-7.1/1")
	s.Error = "签名验证失败 <script>"
	r := Build(testCatalogue(), run(s, scenario("b", "passed", "@JR0185-6.2/A2")))
	dir := filepath.Join(t.TempDir(), "out")
	if err := r.Write(dir, key); err != nil {
		t.Fatalf("Write: %v", err)
	}
	return dir
}

func TestWriteVerifyRoundTrip(t *testing.T) {
	t.Parallel()
	key := newKey(t)
	dir := writeReport(t, key)
	res, err := Verify(dir)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	_, fp, err := publicKeyDER(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	if res.Fingerprint != fp || len(fp) != 64 {
		t.Errorf("fingerprint = %q, want %q", res.Fingerprint, fp)
	}
	if res.Counts.Requirements != 5 || res.Counts.Failed != 1 || res.Outcome != VerdictFailed {
		t.Errorf("result = %+v, want the report's counts", res)
	}
	if !strings.Contains(res.Summary, "5 requirements: 1 passed, 1 failed") {
		t.Errorf("summary = %q", res.Summary)
	}
	var sig Signature
	data, err := os.ReadFile(filepath.Join(dir, SignatureFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &sig); err != nil {
		t.Fatal(err)
	}
	if sig.Algorithm != "SM2-with-SM3" || !strings.HasPrefix(sig.PublicKey, "-----BEGIN PUBLIC KEY-----") || len(sig.Files) != 3 {
		t.Errorf("report.sig = %+v", sig)
	}
}

// editByte changes one byte of path at the position returned by at.
func editByte(t *testing.T, path string, at func([]byte) int) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	i := at(data)
	switch {
	case data[i] == 'A':
		data[i] = 'B'
	case data[i] >= 'a' && data[i] <= 'z', data[i] >= 'A' && data[i] <= 'Z':
		data[i] = 'A'
	default:
		data[i] ^= 0x01
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func middle(data []byte) int { return len(data) / 2 }

func TestVerifyFailsOnTampering(t *testing.T) {
	t.Parallel()
	key := newKey(t)
	tests := []struct {
		name    string
		file    string
		at      func([]byte) int
		wantErr string
	}{
		{name: "report.json edited", file: JSONFile, at: middle,
			wantErr: "report.json: digest does not match the signed manifest"},
		{name: "report.md edited", file: MarkdownFile, at: middle,
			wantErr: "report.md: digest does not match the signed manifest"},
		{name: "report.html edited", file: HTMLFile, at: middle,
			wantErr: "report.html: digest does not match the signed manifest"},
		{name: "report.sig signature edited", file: SignatureFile,
			at: func(data []byte) int {
				return bytes.Index(data, []byte(`"signature": "`)) + len(`"signature": "`) + 20
			},
			// The edited byte may or may not stay base64: either way report.sig is named.
			wantErr: "report.sig: "},
		{name: "report.sig digest edited", file: SignatureFile,
			at: func(data []byte) int {
				return bytes.Index(data, []byte(`"sm3": "`)) + len(`"sm3": "`) + 5
			},
			// The edited byte may or may not stay a hex digit: either way report.sig is named.
			wantErr: "report.sig: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := writeReport(t, key)
			editByte(t, filepath.Join(dir, tt.file), tt.at)
			_, err := Verify(dir)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Verify error = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

// rewriteSig applies edit to the parsed report.sig and writes it back.
func rewriteSig(t *testing.T, dir string, edit func(*Signature)) {
	t.Helper()
	path := filepath.Join(dir, SignatureFile)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var sig Signature
	if err := json.Unmarshal(data, &sig); err != nil {
		t.Fatal(err)
	}
	edit(&sig)
	if data, err = json.Marshal(sig); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyFailsOnWrongSigner(t *testing.T) {
	t.Parallel()
	key, other := newKey(t), newKey(t)
	otherSig := func(t *testing.T, dir string) string {
		t.Helper()
		contents := map[string][]byte{}
		for _, name := range signedFiles {
			data, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			contents[name] = data
		}
		s, err := sign(other, signedFiles, contents)
		if err != nil {
			t.Fatal(err)
		}
		return s.Signature
	}
	tests := []struct {
		name    string
		edit    func(t *testing.T, dir string, sig *Signature)
		wantErr string
	}{
		{name: "signature by another key", wantErr: "report.sig: signature does not verify",
			edit: func(t *testing.T, dir string, sig *Signature) { sig.Signature = otherSig(t, dir) }},
		{name: "public key of another key", wantErr: "report.sig: public_key_sm3 does not match public_key",
			edit: func(t *testing.T, dir string, sig *Signature) {
				s, err := sign(other, nil, nil)
				if err != nil {
					t.Fatal(err)
				}
				sig.PublicKey = s.PublicKey
			}},
		{name: "public key and fingerprint of another key", wantErr: "report.sig: signature does not verify",
			edit: func(t *testing.T, dir string, sig *Signature) {
				s, err := sign(other, nil, nil)
				if err != nil {
					t.Fatal(err)
				}
				sig.PublicKey, sig.PublicKeySM3 = s.PublicKey, s.PublicKeySM3
			}},
		{name: "signature not strict base64", wantErr: "report.sig: signature is not base64",
			edit: func(t *testing.T, dir string, sig *Signature) { sig.Signature = "!" + sig.Signature[1:] }},
		{name: "manifest missing a file", wantErr: "report.sig: manifest lists 2 files",
			edit: func(t *testing.T, dir string, sig *Signature) { sig.Files = sig.Files[:2] }},
		{name: "manifest names another file", wantErr: `report.sig: manifest entry 2 is "../x.md"`,
			edit: func(t *testing.T, dir string, sig *Signature) { sig.Files[1].Name = "../x.md" }},
		{name: "truncated signature", wantErr: "report.sig: signature does not verify",
			edit: func(t *testing.T, dir string, sig *Signature) {
				raw, _ := base64.StdEncoding.DecodeString(sig.Signature)
				sig.Signature = base64.StdEncoding.EncodeToString(raw[:len(raw)-1])
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := writeReport(t, key)
			rewriteSig(t, dir, func(sig *Signature) { tt.edit(t, dir, sig) })
			_, err := Verify(dir)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Verify error = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestVerifyFailsOnMissingFile(t *testing.T) {
	t.Parallel()
	dir := writeReport(t, newKey(t))
	if err := os.Remove(filepath.Join(dir, HTMLFile)); err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(dir); err == nil || !strings.HasPrefix(err.Error(), "report.html: ") {
		t.Errorf("Verify error = %v, want one naming report.html", err)
	}
	if _, err := Verify(t.TempDir()); err == nil || !strings.HasPrefix(err.Error(), "report.sig: ") {
		t.Errorf("Verify of an empty directory: error = %v, want one naming report.sig", err)
	}
}

func TestLoadOrCreateKey(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "keys", "report.key")
	created, err := LoadOrCreateKey(path)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("key file mode = %o, want 600", perm)
	}
	loaded, err := LoadOrCreateKey(path)
	if err != nil {
		t.Fatalf("reload: %v", err)
	}
	if created.D.Cmp(loaded.D) != 0 || created.X.Cmp(loaded.X) != 0 || created.Y.Cmp(loaded.Y) != 0 {
		t.Error("reloaded key differs from the created one")
	}
	sig, err := created.Sign(nil, []byte("m"), nil)
	if err != nil || !loaded.PublicKey.Verify([]byte("m"), sig) {
		t.Errorf("reloaded key does not verify the created key's signature (err %v)", err)
	}
}

func TestLoadOrCreateKeyRejectsGarbage(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "report.key")
	if err := os.WriteFile(path, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateKey(path); err == nil {
		t.Error("LoadOrCreateKey accepted a file that is not a key")
	}
	if data, _ := os.ReadFile(path); string(data) != "not a key" {
		t.Error("LoadOrCreateKey overwrote an existing file")
	}
}
