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
	"time"

	"github.com/tjfoc/gmsm/sm2"
	"github.com/tjfoc/gmsm/sm3"
	"github.com/tjfoc/gmsm/x509"
)

// File names of a written report.
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
	// manifest it signs.
	SignatureFormat = "jr0185-report-signature/1"

	manifestHeader = "JR/T 0185-2020 conformance report manifest v1\n"
)

// signedFiles are the files report.sig covers, in manifest order.
var signedFiles = []string{JSONFile, MarkdownFile, HTMLFile}

// FileDigest is the SM3 digest of one report file.
type FileDigest struct {
	Name string `json:"name"`
	SM3  string `json:"sm3"` // lower-case hex
}

// Signature is the content of report.sig.
//
// The signature is over the manifest: the line
// "JR/T 0185-2020 conformance report manifest v1", the line
// "algorithm SM2-with-SM3", then one line "<sm3 hex>  <file name>" for each
// of report.json, report.md and report.html in that order, every line ending
// in "\n". It is an ASN.1 DER SM2 signature (SEQUENCE of r and s), base64
// encoded.
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
	Files        []FileDigest
	// From report.json.
	Standard    Standard
	GeneratedAt time.Time
	Outcome     string
	Counts      Counts
	// Summary is a one-line summary, e.g. "JR/T 0185-2020 report generated
	// 2026-…: passed; 147 requirements: …".
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
// it) and signs them with key into report.sig.
func (r *Report) Write(dir string, key *sm2.PrivateKey) error {
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

	sig, err := sign(key, signedFiles, contents)
	if err != nil {
		return err
	}
	sigJSON, err := json.MarshalIndent(sig, "", "  ")
	if err != nil {
		return fmt.Errorf("report: encode signature: %w", err)
	}
	contents[SignatureFile] = append(sigJSON, '\n')

	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	// A stale signature must not sit next to half-written new files.
	if err := os.Remove(filepath.Join(dir, SignatureFile)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("report: %w", err)
	}
	for _, name := range append(append([]string(nil), signedFiles...), SignatureFile) {
		// The report is a document to hand over: world-readable.
		if err := os.WriteFile(filepath.Join(dir, name), contents[name], 0o644); err != nil { // #nosec G306 -- a published report, not a secret
			return fmt.Errorf("report: %w", err)
		}
	}
	return nil
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

// Verify checks report.sig in dir against report.json, report.md and
// report.html: the signature over the manifest verifies with the embedded
// public key, and each file's SM3 digest matches the manifest. An error
// names the file at fault, e.g. "report.md: digest does not match the
// signed manifest". Verify does not say who the signer is: compare
// VerifyResult.Fingerprint with the expected signer's.
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

	if len(sig.Files) != len(signedFiles) {
		return sigErr("manifest lists %d files, want %v", len(sig.Files), signedFiles)
	}
	for i, f := range sig.Files {
		if f.Name != signedFiles[i] {
			return sigErr("manifest entry %d is %q, want %q", i+1, f.Name, signedFiles[i])
		}
		if d, err := hex.DecodeString(f.SM3); err != nil || len(d) != 32 || hex.EncodeToString(d) != f.SM3 {
			return sigErr("manifest digest of %s is not 64 lower-case hex digits", f.Name)
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

	var rep struct {
		Standard    Standard  `json:"standard"`
		GeneratedAt time.Time `json:"generated_at"`
		Outcome     string    `json:"outcome"`
		Counts      Counts    `json:"counts"`
	}
	if err := json.Unmarshal(reportJSON, &rep); err != nil {
		return VerifyResult{}, fmt.Errorf("%s: signed but not a report: %w", JSONFile, err)
	}
	res := VerifyResult{
		Fingerprint:  fingerprint,
		PublicKeyPEM: sig.PublicKey,
		Files:        sig.Files,
		Standard:     rep.Standard,
		GeneratedAt:  rep.GeneratedAt,
		Outcome:      rep.Outcome,
		Counts:       rep.Counts,
	}
	res.Summary = fmt.Sprintf("%s report generated %s: %s; %s",
		rep.Standard.Code, formatTime(rep.GeneratedAt), rep.Outcome, rep.Counts.Summary())
	return res, nil
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
