package report

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
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

// machineFiles stand for the suites' JUnit and cucumber JSON files, written into the
// folder before the report is signed.
var machineFiles = map[string]string{
	"junit.xml":     `<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<testsuites name="bank"><testsuite name="f" tests="1"><testcase name="a" status="passed"></testcase></testsuite></testsuites>`,
	"cucumber.json": `[{"uri":"bank/x.feature","elements":[{"name":"a","steps":[{"result":{"status":"passed"}}]}]}]`,
}

// writeReport writes a small signed report into a fresh directory, with a JUnit and a
// cucumber JSON file beside it.
func writeReport(t *testing.T, key *sm2.PrivateKey) string {
	t.Helper()
	s := scenario("a", "failed", "@JR0185-7.1/1")
	s.Error = "签名验证失败 <script>"
	r := Build(testCatalogue(), Selection{}, run(s, scenario("b", "passed", "@JR0185-6.2/A2")))
	dir := filepath.Join(t.TempDir(), "out")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	for name, content := range machineFiles {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Write(dir, key, "junit.xml", "cucumber.json"); err != nil {
		t.Fatalf("Write: %v", err)
	}
	return dir
}

// folderFiles are the files writeReport leaves, report.sig last.
var folderFiles = []string{"cucumber.json", "junit.xml", JSONFile, MarkdownFile, HTMLFile, SignatureFile}

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
	if res.Counts.Requirements != 5 || res.Counts.Failed != 1 || res.Outcome != OutcomeFailed || res.Verdict != VerdictFailed {
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
	var listed []string
	for _, f := range sig.Files {
		listed = append(listed, f.Name)
	}
	if sig.Format != "jr0185-report-signature/2" || sig.Algorithm != "SM2-with-SM3" || !strings.HasPrefix(sig.PublicKey, "-----BEGIN PUBLIC KEY-----") ||
		!slices.Equal(listed, []string{"cucumber.json", "junit.xml", "report.html", "report.json", "report.md"}) {
		t.Errorf("report.sig = %+v, want format /2 listing every file of the folder, sorted", sig)
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
	type edit struct {
		name    string
		file    string
		at      func([]byte) int
		wantErr string
	}
	var tests []edit
	// One byte edited in any file of the folder fails, naming it.
	for _, f := range folderFiles[:len(folderFiles)-1] {
		tests = append(tests, edit{name: f + " edited", file: f, at: middle, wantErr: f + ": digest does not match the signed manifest"})
	}
	tests = append(tests,
		edit{name: "report.sig signature edited", file: SignatureFile,
			at: func(data []byte) int {
				return bytes.Index(data, []byte(`"signature": "`)) + len(`"signature": "`) + 20
			},
			// The edited byte may or may not stay base64: either way report.sig is named.
			wantErr: "report.sig: "},
		edit{name: "report.sig digest edited", file: SignatureFile,
			at: func(data []byte) int {
				return bytes.Index(data, []byte(`"sm3": "`)) + len(`"sm3": "`) + 5
			},
			// The edited byte may or may not stay a hex digit: either way report.sig is named.
			wantErr: "report.sig: "},
	)
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

func TestVerifyFailsOnRemovedOrUnlistedFile(t *testing.T) {
	t.Parallel()
	key := newKey(t)
	for _, f := range folderFiles {
		t.Run(f+" removed", func(t *testing.T) {
			t.Parallel()
			dir := writeReport(t, key)
			if err := os.Remove(filepath.Join(dir, f)); err != nil {
				t.Fatal(err)
			}
			if _, err := Verify(dir); err == nil || !strings.HasPrefix(err.Error(), f+": ") {
				t.Errorf("Verify error = %v, want one naming %s", err, f)
			}
		})
	}
	for _, f := range []string{"junit-partner.xml", "notes.txt", ".hidden"} {
		t.Run(f+" added", func(t *testing.T) {
			t.Parallel()
			dir := writeReport(t, key)
			if err := os.WriteFile(filepath.Join(dir, f), []byte("<testsuites/>"), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Verify(dir)
			if err == nil || err.Error() != f+": not covered by the signature (a file next to the signed report that its manifest does not list)" {
				t.Errorf("Verify error = %v, want one naming the unlisted %s", err, f)
			}
		})
	}
	t.Run("folder added", func(t *testing.T) {
		t.Parallel()
		dir := writeReport(t, key)
		if err := os.Mkdir(filepath.Join(dir, "extra"), 0o750); err != nil {
			t.Fatal(err)
		}
		if _, err := Verify(dir); err == nil || !strings.HasPrefix(err.Error(), "extra: not covered by the signature") {
			t.Errorf("Verify error = %v, want one naming the folder", err)
		}
	})
}

// resign signs the folder's files again with key, after edit changed them: what a
// holder of the key could do, so the report itself must still make sense.
func resign(t *testing.T, dir string, key *sm2.PrivateKey, edit func(*Report)) {
	t.Helper()
	editJSON(t, filepath.Join(dir, JSONFile), edit)
	raw, _ := json.Marshal(signFolder(t, dir, key))
	if err := os.WriteFile(filepath.Join(dir, SignatureFile), raw, 0o600); err != nil {
		t.Fatal(err)
	}
}

// signFolder signs the files writeReport left in dir, as they are now, with key.
func signFolder(t *testing.T, dir string, key *sm2.PrivateKey) *Signature {
	t.Helper()
	contents := map[string][]byte{}
	names := slices.Sorted(slices.Values(folderFiles[:len(folderFiles)-1]))
	for _, name := range names {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		contents[name] = data
	}
	sig, err := sign(key, names, contents)
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

func TestVerifyRefusesAReportThatContradictsItsScope(t *testing.T) {
	t.Parallel()
	key := newKey(t)
	tests := []struct {
		name    string
		edit    func(*Report)
		wantErr string
	}{
		{name: "re-signed untouched", edit: func(*Report) {}},
		{name: "partial run relabelled passed", wantErr: `report.json: outcome "passed" contradicts`,
			edit: func(r *Report) {
				r.Selection.Paths = []string{"bank/replay.feature"}
				r.Scope.Complete = false
				r.Verdict, r.Outcome = VerdictPassed, OutcomePassed
			}},
		{name: "narrowed run claiming a complete scope", wantErr: `report.json: outcome "failed" contradicts`,
			edit: func(r *Report) { r.Selection.Tags = "@A1" }},
		{name: "verdict missing", wantErr: `report.json: verdict ""`,
			edit: func(r *Report) { r.Verdict = "" }},
		{name: "headline says passed for a failed run", wantErr: "report.json: headline",
			edit: func(r *Report) { r.Headline = "PASSED: all fine" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := writeReport(t, key)
			resign(t, dir, key, tt.edit)
			_, err := Verify(dir)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.HasPrefix(err.Error(), tt.wantErr)) {
				t.Errorf("Verify error = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestVerifyRefusesTheV1Layout(t *testing.T) {
	t.Parallel()
	dir := writeReport(t, newKey(t))
	rewriteSig(t, dir, func(sig *Signature) { sig.Format = "jr0185-report-signature/1" })
	_, err := Verify(dir)
	if err == nil || !strings.Contains(err.Error(), `report.sig: format "jr0185-report-signature/1" signs report.json, report.md and report.html only`) {
		t.Errorf("Verify error = %v, want the /1 layout refused with its reason", err)
	}
}

func TestWriteRefusesAFolderWithForeignFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := Build(testCatalogue(), Selection{}, run(scenario("a", "passed", "@JR0185-7.1/1")))
	err := r.Write(dir, newKey(t))
	if err == nil || !strings.Contains(err.Error(), "holds notes.txt, which the signature would not cover") {
		t.Errorf("Write error = %v, want the foreign file named", err)
	}
	if _, err := os.Stat(filepath.Join(dir, SignatureFile)); err == nil {
		t.Error("Write signed a folder holding a file it does not cover")
	}
	for _, bad := range []string{"../junit.xml", "report.sig", "report.json", "sub/junit.xml", "missing.xml"} {
		if err := r.Write(t.TempDir(), newKey(t), bad); err == nil {
			t.Errorf("Write(…, %q) = nil, want an error", bad)
		}
	}
}

// rewriteSig applies edit to the parsed report.sig and writes it back.
func rewriteSig(t *testing.T, dir string, edit func(*Signature)) {
	t.Helper()
	editJSON(t, filepath.Join(dir, SignatureFile), edit)
}

// editJSON applies edit to the JSON file at path, parsed as a T, and writes it back.
func editJSON[T any](t *testing.T, path string, edit func(*T)) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v T
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	edit(&v)
	if data, err = json.Marshal(v); err != nil {
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
		return signFolder(t, dir, other).Signature
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
		{name: "manifest missing a report file", wantErr: "report.sig: manifest does not list report.md",
			edit: func(t *testing.T, dir string, sig *Signature) { sig.Files = sig.Files[:4] }},
		{name: "manifest missing junit.xml", wantErr: "report.sig: signature does not verify",
			edit: func(t *testing.T, dir string, sig *Signature) { sig.Files = slices.Delete(sig.Files, 1, 2) }},
		{name: "manifest names a path outside the folder", wantErr: `report.sig: manifest entry 2 is "../x.md"`,
			edit: func(t *testing.T, dir string, sig *Signature) { sig.Files[1].Name = "../x.md" }},
		{name: "manifest names report.sig", wantErr: `report.sig: manifest entry 5 is "report.sig"`,
			edit: func(t *testing.T, dir string, sig *Signature) { sig.Files[4].Name = SignatureFile }},
		{name: "manifest out of order", wantErr: `report.sig: manifest entry 2 ("cucumber.json") is out of order`,
			edit: func(t *testing.T, dir string, sig *Signature) {
				sig.Files[0], sig.Files[1] = sig.Files[1], sig.Files[0]
			}},
		{name: "manifest repeats a file", wantErr: `report.sig: manifest entry 2 ("cucumber.json") is out of order or repeated`,
			edit: func(t *testing.T, dir string, sig *Signature) { sig.Files[1] = sig.Files[0] }},
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

func TestVerifyFailsOnMissingSignature(t *testing.T) {
	t.Parallel()
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
