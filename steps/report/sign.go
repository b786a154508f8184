package report

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/tjfoc/gmsm/sm2"
	"github.com/tjfoc/gmsm/sm3"
	"github.com/tjfoc/gmsm/x509"
)

// File names of a written report (besides them, report.sig covers the suites'
// JUnit and cucumber JSON files Write is given).
const (
	JSONFile      = "report.json"
	MarkdownFile  = "report.md"
	HTMLFile      = "report.html"
	SignatureFile = "report.sig"
)

// Signature scheme.
const (
	// Algorithm is SM2 signing (GB/T 32918) of the SM3 hash of Z_A and the
	// manifest, Z_A computed with the default distinguishing ID SignerID.
	Algorithm = "SM2-with-SM3"
	// SignerID is the SM2 distinguishing ID used (GM/T 0009 default).
	SignerID = "1234567812345678"
	// SignatureFormat identifies the layout of report.sig and of the
	// manifest it signs: /2 lists every file of the report folder (the report
	// files and the suites' JUnit and cucumber JSON), sorted by name.
	SignatureFormat = "jr0185-report-signature/2"
	// formatV1 is the first layout, which signed report.json, report.md and
	// report.html only. Verify no longer accepts it: such a folder's JUnit and
	// cucumber JSON are unsigned and its report does not record the selection,
	// so a partial run cannot be told from a complete one.
	formatV1 = "jr0185-report-signature/1"

	manifestHeader = "JR/T 0185-2020 conformance report manifest v2\n"
)

// reportFiles are the files Write renders; every signed folder holds them.
var reportFiles = []string{JSONFile, MarkdownFile, HTMLFile}

// fileNameRE is what a file name in the manifest may look like: a plain name in the
// report folder, no path.
var fileNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// FileDigest is the SM3 digest of one report file.
type FileDigest struct {
	Name string `json:"name"`
	SM3  string `json:"sm3"` // lower-case hex
}

// Signature is the content of report.sig.
//
// The signature is over the manifest: the line
// "JR/T 0185-2020 conformance report manifest v2", the line
// "algorithm SM2-with-SM3", then one line "<sm3 hex>  <file name>" for each
// file of the report folder other than report.sig, sorted by name (byte
// order), every line ending in "\n". It is an ASN.1 DER SM2 signature
// (SEQUENCE of r and s), base64 encoded.
type Signature struct {
	Format    string `json:"format"`
	Algorithm string `json:"algorithm"`
	SignerID  string `json:"signer_id"`
	// PublicKey is the signer's public key, a PEM "PUBLIC KEY" block
	// (SubjectPublicKeyInfo).
	PublicKey string `json:"public_key"`
	// PublicKeySM3 is the key's fingerprint: the SM3 hex digest of the DER
	// SubjectPublicKeyInfo. Informational; Verify recomputes it.
	PublicKeySM3 string       `json:"public_key_sm3"`
	Files        []FileDigest `json:"files"`
	Signature    string       `json:"signature"`
}

// VerifyResult is what Verify learnt from a valid signed report.
type VerifyResult struct {
	// Fingerprint is the SM3 hex digest of the signer's DER
	// SubjectPublicKeyInfo. Verify only shows that the report is intact and
	// signed by this key; whether the key is the expected signer is for the
	// caller to check against the fingerprint.
	Fingerprint  string
	PublicKeyPEM string
	// Files are every file of the folder the signature covers.
	Files []FileDigest
	// From report.json.
	Standard     Standard
	GeneratedAt  time.Time
	Outcome      string // "passed", "failed" or "partial"
	Verdict      string // "passed" or "failed": the scenarios that ran
	Headline     string
	Selection    Selection
	SuiteVersion Version
	Scope        Scope
	Counts       Counts
	// Summary is a one-line summary that leads with the outcome, e.g.
	// "PARTIAL RUN, NOT A CONFORMANCE RESULT: … | JR/T 0185-2020 report
	// generated 2026-…; selection …; suite version …; 136 requirements: …".
	Summary string
}

func sm3Hex(data []byte) string {
	return hex.EncodeToString(sm3.Sm3Sum(data))
}

func manifest(files []FileDigest) []byte {
	var b bytes.Buffer
	b.WriteString(manifestHeader)
	b.WriteString("algorithm " + Algorithm + "\n")
	for _, f := range files {
		fmt.Fprintf(&b, "%s  %s\n", f.SM3, f.Name)
	}
	return b.Bytes()
}

// publicKeyDER returns the DER SubjectPublicKeyInfo of pub and its SM3
// fingerprint.
func publicKeyDER(pub *sm2.PublicKey) (der []byte, fingerprint string, err error) {
	der, err = x509.MarshalSm2PublicKey(pub)
	if err != nil {
		return nil, "", err
	}
	return der, sm3Hex(der), nil
}

// Write writes report.json, report.md and report.html into dir (creating
// it), then signs them and the files named in also — files already written
// into dir, such as the suites' junit.xml and cucumber.json — into
// report.sig, last. The folder must hold nothing else: a file the signature
// would not cover is an error (Verify refuses such a folder too).
func (r *Report) Write(dir string, key *sm2.PrivateKey, also ...string) error {
	if key == nil || key.D == nil {
		return errors.New("report: no signing key")
	}
	js, err := r.JSON()
	if err != nil {
		return err
	}
	html, err := r.HTML()
	if err != nil {
		return err
	}
	contents := map[string][]byte{JSONFile: js, MarkdownFile: r.Markdown(), HTMLFile: html}
	names := append([]string(nil), reportFiles...)
	for _, name := range also {
		if !fileNameRE.MatchString(name) || name == SignatureFile || contents[name] != nil {
			return fmt.Errorf("report: %q cannot be signed next to the report (a plain file name other than the report's own)", name)
		}
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return fmt.Errorf("report: %w", err)
		}
		contents[name] = data
		names = append(names, name)
	}
	sort.Strings(names)

	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	// A stale signature must not sit next to half-written new files.
	if err := os.Remove(filepath.Join(dir, SignatureFile)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("report: %w", err)
	}
	if extra, err := unlisted(dir, names); err != nil {
		return fmt.Errorf("report: %w", err)
	} else if len(extra) > 0 {
		return fmt.Errorf("report: %s holds %s, which the signature would not cover: write the report into a folder of its own",
			dir, strings.Join(extra, ", "))
	}
	sig, err := sign(key, names, contents)
	if err != nil {
		return err
	}
	sigJSON, err := json.MarshalIndent(sig, "", "  ")
	if err != nil {
		return fmt.Errorf("report: encode signature: %w", err)
	}
	for _, name := range reportFiles {
		// The report is a document to hand over: world-readable.
		if err := os.WriteFile(filepath.Join(dir, name), contents[name], 0o644); err != nil { // #nosec G306 -- a published report, not a secret
			return fmt.Errorf("report: %w", err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, SignatureFile), append(sigJSON, '\n'), 0o644); err != nil { // #nosec G306 -- a published signature
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

// unlisted returns the entries of dir that are neither report.sig nor among names,
// sorted.
func unlisted(dir string, names []string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if e.Name() != SignatureFile && !slices.Contains(names, e.Name()) {
			out = append(out, e.Name())
		}
	}
	return out, nil
}

func sign(key *sm2.PrivateKey, names []string, contents map[string][]byte) (*Signature, error) {
	der, fingerprint, err := publicKeyDER(&key.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("report: signing key: %w", err)
	}
	s := &Signature{
		Format:       SignatureFormat,
		Algorithm:    Algorithm,
		SignerID:     SignerID,
		PublicKey:    string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})),
		PublicKeySM3: fingerprint,
	}
	for _, name := range names {
		s.Files = append(s.Files, FileDigest{Name: name, SM3: sm3Hex(contents[name])})
	}
	// Sign hashes Z_A (default ID) || manifest with SM3 and signs that.
	raw, err := key.Sign(rand.Reader, manifest(s.Files), nil)
	if err != nil {
		return nil, fmt.Errorf("report: sign: %w", err)
	}
	s.Signature = base64.StdEncoding.EncodeToString(raw)
	return s, nil
}

// Verify checks report.sig in dir against every file of dir: the signature
// over the manifest verifies with the embedded public key, the manifest lists
// report.json, report.md and report.html and every other file of the folder
// (the suites' JUnit and cucumber JSON), each listed file's SM3 digest
// matches, and no unlisted file sits next to them. An error names the file at
// fault, e.g. "junit.xml: digest does not match the signed manifest" or
// "notes.txt: not covered by the signature". report.json must then agree
// with itself: a run that was not complete says "partial". Verify does not
// say who the signer is: compare VerifyResult.Fingerprint with the expected
// signer's.
func Verify(dir string) (VerifyResult, error) {
	sigErr := func(format string, args ...any) (VerifyResult, error) {
		return VerifyResult{}, fmt.Errorf("%s: %s", SignatureFile, fmt.Sprintf(format, args...))
	}

	data, err := os.ReadFile(filepath.Join(dir, SignatureFile))
	if err != nil {
		return VerifyResult{}, fmt.Errorf("%s: %w", SignatureFile, err)
	}
	var sig Signature
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sig); err != nil {
		return sigErr("malformed: %v", err)
	}
	if sig.Format == formatV1 {
		return sigErr("format %q signs report.json, report.md and report.html only (junit.xml and cucumber.json unsigned, "+
			"the selection not recorded) and is no longer accepted; run the suite again for a %q report", formatV1, SignatureFormat)
	}
	if sig.Format != SignatureFormat {
		return sigErr("format %q, want %q", sig.Format, SignatureFormat)
	}
	if sig.Algorithm != Algorithm {
		return sigErr("algorithm %q, want %q", sig.Algorithm, Algorithm)
	}
	if sig.SignerID != SignerID {
		return sigErr("signer ID %q, want %q", sig.SignerID, SignerID)
	}

	block, rest := pem.Decode([]byte(sig.PublicKey))
	if block == nil || block.Type != "PUBLIC KEY" || len(bytes.TrimSpace(rest)) != 0 {
		return sigErr("public_key is not a single PEM PUBLIC KEY block")
	}
	pub, err := x509.ParseSm2PublicKey(block.Bytes)
	if err != nil {
		return sigErr("public_key: %v", err)
	}
	if pub.X == nil || pub.Y == nil || !pub.IsOnCurve(pub.X, pub.Y) {
		return sigErr("public_key is not a point on the SM2 curve")
	}
	der, fingerprint, err := publicKeyDER(pub)
	if err != nil || !bytes.Equal(der, block.Bytes) {
		return sigErr("public_key is not a canonical SM2 SubjectPublicKeyInfo")
	}
	if sig.PublicKeySM3 != fingerprint {
		return sigErr("public_key_sm3 does not match public_key")
	}

	names := make([]string, len(sig.Files))
	for i, f := range sig.Files {
		if !fileNameRE.MatchString(f.Name) || f.Name == SignatureFile {
			return sigErr("manifest entry %d is %q, not a file name of the report folder", i+1, f.Name)
		}
		if i > 0 && f.Name <= names[i-1] {
			return sigErr("manifest entry %d (%q) is out of order or repeated: names are sorted and unique", i+1, f.Name)
		}
		if d, err := hex.DecodeString(f.SM3); err != nil || len(d) != 32 || hex.EncodeToString(d) != f.SM3 {
			return sigErr("manifest digest of %s is not 64 lower-case hex digits", f.Name)
		}
		names[i] = f.Name
	}
	for _, name := range reportFiles {
		if !slices.Contains(names, name) {
			return sigErr("manifest does not list %s", name)
		}
	}

	raw, err := base64.StdEncoding.Strict().DecodeString(sig.Signature)
	if err != nil {
		return sigErr("signature is not base64: %v", err)
	}
	if !pub.Verify(manifest(sig.Files), raw) {
		return sigErr("signature does not verify with the embedded public key")
	}

	var reportJSON []byte
	for _, f := range sig.Files {
		content, err := os.ReadFile(filepath.Join(dir, f.Name))
		if err != nil {
			return VerifyResult{}, fmt.Errorf("%s: %w", f.Name, err)
		}
		if sm3Hex(content) != f.SM3 {
			return VerifyResult{}, fmt.Errorf("%s: digest does not match the signed manifest", f.Name)
		}
		if f.Name == JSONFile {
			reportJSON = content
		}
	}
	extra, err := unlisted(dir, names)
	if err != nil {
		return VerifyResult{}, err
	}
	if len(extra) > 0 {
		return VerifyResult{}, fmt.Errorf("%s: not covered by the signature (a file next to the signed report that its manifest does not list)",
			strings.Join(extra, ", "))
	}

	var rep Report
	if err := json.Unmarshal(reportJSON, &rep); err != nil {
		return VerifyResult{}, fmt.Errorf("%s: signed but not a report: %w", JSONFile, err)
	}
	if err := rep.consistent(); err != nil {
		return VerifyResult{}, fmt.Errorf("%s: %w", JSONFile, err)
	}
	res := VerifyResult{
		Fingerprint:  fingerprint,
		PublicKeyPEM: sig.PublicKey,
		Files:        sig.Files,
		Standard:     rep.Standard,
		GeneratedAt:  rep.GeneratedAt,
		Outcome:      rep.Outcome,
		Verdict:      rep.Verdict,
		Headline:     rep.Headline,
		Selection:    rep.Selection,
		SuiteVersion: rep.SuiteVersion,
		Scope:        rep.Scope,
		Counts:       rep.Counts,
	}
	res.Summary = fmt.Sprintf("%s | %s report generated %s; selection: %s; suite version: %s; %s",
		rep.Headline, rep.Standard.Code, formatTime(rep.GeneratedAt), rep.Selection, rep.SuiteVersion, rep.Counts.Summary())
	return res, nil
}

// consistent checks that a report's outcome agrees with its scope and verdict: only a
// complete run may say "passed" or "failed", any other says "partial", and the
// headline leads with it.
func (r *Report) consistent() error {
	want := OutcomePartial
	if r.Scope.Complete && !r.Selection.Narrowed() && len(r.Scope.NotRun) == 0 {
		want = OutcomeFailed
		if r.Verdict == VerdictPassed {
			want = OutcomePassed
		}
	}
	if r.Verdict != VerdictPassed && r.Verdict != VerdictFailed {
		return fmt.Errorf("verdict %q is neither %q nor %q", r.Verdict, VerdictPassed, VerdictFailed)
	}
	if r.Outcome != want {
		return fmt.Errorf("outcome %q contradicts the report's scope and verdict (want %q)", r.Outcome, want)
	}
	if lead := strings.ToUpper(want); !strings.HasPrefix(r.Headline, lead) {
		return fmt.Errorf("headline %q does not lead with %s", r.Headline, lead)
	}
	return nil
}

// LoadOrCreateKey reads the SM2 private key at path (PEM, unencrypted
// PKCS#8), or, if there is no file, generates one and writes it there with
// mode 0600, creating the directory (0700) if needed.
func LoadOrCreateKey(path string) (*sm2.PrivateKey, error) {
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		return parseKey(path, data)
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("report: signing key: %w", err)
	}

	key, err := sm2.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("report: generate signing key: %w", err)
	}
	pemBytes, err := x509.WritePrivateKeyToPem(key, nil)
	if err != nil {
		return nil, fmt.Errorf("report: encode signing key: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("report: signing key: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		// Created concurrently: use that one.
		if data, err = os.ReadFile(path); err != nil {
			return nil, fmt.Errorf("report: signing key: %w", err)
		}
		return parseKey(path, data)
	}
	if err != nil {
		return nil, fmt.Errorf("report: signing key: %w", err)
	}
	_, werr := f.Write(pemBytes)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		_ = os.Remove(path)
		return nil, fmt.Errorf("report: write signing key: %w", werr)
	}
	return key, nil
}

func parseKey(path string, data []byte) (*sm2.PrivateKey, error) {
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("report: signing key %s: not a PEM \"PRIVATE KEY\" block (unencrypted PKCS#8)", path)
	}
	key, err := x509.ParsePKCS8UnecryptedPrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("report: signing key %s: %w", path, err)
	}
	if key.D.Sign() <= 0 {
		return nil, fmt.Errorf("report: signing key %s: invalid private key", path)
	}
	return key, nil
}
