package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestConformWritesAVerifiableReport runs `sandbox conform` in-process against a fresh
// embedded sandbox, narrowed by a tag, then `sandbox verify-report` on what it wrote:
// accepted as written, and saying PARTIAL at every place a reader looks; refused, naming
// the file, after a one-byte edit of any file of the folder (junit.xml and cucumber.json
// included), after a file is removed, or when an unlisted file appears next to them.
func TestConformWritesAVerifiableReport(t *testing.T) {
	dir := t.TempDir()
	out, err := runCLI(t, "conform", "--tags", "@A1", "--format", "progress", "--no-colors", "--random",
		"--out", filepath.Join(dir, "r"), "--report-key", filepath.Join(dir, "key.pem"))
	if err != nil {
		t.Fatalf("conform: %v\n%s", err, out)
	}
	files := []string{"cucumber.json", "junit.xml", "report.html", "report.json", "report.md", "report.sig"}
	entries, err := os.ReadDir(filepath.Join(dir, "r"))
	if err != nil {
		t.Fatal(err)
	}
	var written []string
	for _, e := range entries {
		written = append(written, e.Name())
	}
	if !slices.Equal(written, files) {
		t.Errorf("conform wrote %v, want %v", written, files)
	}
	for _, want := range []string{"Wall time:", "Requirements:", "Selection: bank suite, --tags '@A1'\n", "Suite version: ",
		"\nOutcome: PARTIAL RUN, NOT A CONFORMANCE RESULT: only "} {
		if !strings.Contains(out, want) {
			t.Errorf("conform output lacks %q:\n%s", want, out)
		}
	}
	out, err = runCLI(t, "verify-report", filepath.Join(dir, "r"))
	if err != nil || !strings.Contains(out, "report verified") {
		t.Fatalf("verify-report on the untouched report: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.Contains(lines[0], "(outcome PARTIAL: the signature covers all 5 files)") ||
		!strings.HasPrefix(lines[2], "PARTIAL RUN, NOT A CONFORMANCE RESULT") || !strings.Contains(lines[2], "selection: bank suite, --tags '@A1'") {
		t.Errorf("verify-report does not lead with the partial outcome:\n%s", out)
	}
	copyReport := func(t *testing.T) string {
		cp := filepath.Join(t.TempDir(), "r")
		if err := os.CopyFS(cp, os.DirFS(filepath.Join(dir, "r"))); err != nil {
			t.Fatal(err)
		}
		return cp
	}
	refused := func(t *testing.T, cp, file string) {
		t.Helper()
		out, err := runCLI(t, "verify-report", cp)
		if err == nil || !strings.Contains(out, "NOT verified: "+file) {
			t.Fatalf("verify-report did not refuse naming %s: %v\n%s", file, err, out)
		}
	}
	for _, f := range files {
		t.Run("one byte edited in "+f, func(t *testing.T) {
			cp := copyReport(t)
			p := filepath.Join(cp, f)
			raw, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			raw[len(raw)/2] ^= 0x01
			if err := os.WriteFile(p, raw, 0o600); err != nil {
				t.Fatal(err)
			}
			refused(t, cp, f)
		})
		t.Run(f+" removed", func(t *testing.T) {
			cp := copyReport(t)
			if err := os.Remove(filepath.Join(cp, f)); err != nil {
				t.Fatal(err)
			}
			refused(t, cp, f)
		})
	}
	t.Run("unlisted junit-partner.xml added", func(t *testing.T) {
		cp := copyReport(t)
		if err := os.WriteFile(filepath.Join(cp, "junit-partner.xml"), []byte("<testsuites/>"), 0o600); err != nil {
			t.Fatal(err)
		}
		refused(t, cp, "junit-partner.xml: not covered by the signature")
	})
	t.Run("an output folder holding other files is refused before the run", func(t *testing.T) {
		cp := copyReport(t)
		if err := os.WriteFile(filepath.Join(cp, "notes.txt"), []byte("mine"), 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := runCLI(t, "conform", "--tags", "@A1", "--out", cp, "--report-key", filepath.Join(dir, "key.pem"))
		if err == nil || !strings.Contains(out+err.Error(), "holds notes.txt, which is not part of a report") {
			t.Fatalf("conform wrote into a folder holding notes.txt: %v\n%s", err, out)
		}
		if data, _ := os.ReadFile(filepath.Join(cp, "notes.txt")); string(data) != "mine" {
			t.Error("conform touched notes.txt")
		}
	})
}

// TestBuiltBinaryRunsTheSuiteAlone: the suite is embedded in the binary — copied into an
// empty folder with no source tree and no Go toolchain on its PATH, it runs the bank
// suite against its own embedded sandbox and writes the report.
func TestBuiltBinaryRunsTheSuiteAlone(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "sandbox")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	empty := t.TempDir()
	cmd := exec.Command(bin, "conform", "--format", "progress", "--no-colors", "--report-key", "key.pem") // #nosec G204 -- the binary just built
	cmd.Dir = empty
	cmd.Env = []string{"HOME=" + empty, "PATH=/nonexistent"}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("sandbox conform in an empty folder: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(empty, "conform-report", "report.sig")); err != nil {
		t.Fatalf("no signed report: %v\n%s", err, out)
	}
	// The whole bank suite judged every bank-side automated requirement: not partial.
	if !strings.Contains(string(out), "\nOutcome: PASSED: all ") || strings.Contains(string(out), "PARTIAL") {
		t.Errorf("a full run does not say PASSED:\n%s", out)
	}
	verify := exec.Command(bin, "verify-report", filepath.Join(empty, "conform-report")) // #nosec G204 -- the binary just built
	vout, err := verify.CombinedOutput()
	if err != nil || !strings.Contains(string(vout), "(outcome PASSED: the signature covers all 5 files)") {
		t.Errorf("verify-report on a full run: %v\n%s", err, vout)
	}
	t.Logf("%s%s", out[strings.LastIndex(string(out), "Target:"):], vout)
}

// TestConformAgainstATargetFile runs the suite the way a bank runs it against its own
// deployment: a running bank, described only by a target file (URL, CA, test-control
// token), with no embedded sandbox started by the suite.
func TestConformAgainstATargetFile(t *testing.T) {
	b, _ := startCLIBank(t, nil)
	t.Cleanup(func() { _ = b.Close(context.Background()) })
	dir := t.TempDir()
	target := filepath.Join(dir, "target.yaml")
	yaml := "name: a bank under test\nbase_url: " + b.URL + "\nca_cert: " + b.TLSCAFile + "\nadmin_token_file: " + b.AdminTokenFile + "\nsandbox: true\n"
	if err := os.WriteFile(target, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := runCLI(t, "conform", "--target", target, "--tags", "@A1", "--format", "progress", "--no-colors",
		"--out", filepath.Join(dir, "r"), "--report-key", filepath.Join(dir, "key.pem"))
	if err != nil {
		t.Fatalf("conform --target: %v\n%s", err, out)
	}
	if !strings.Contains(out, "Target: a bank under test") {
		t.Fatalf("the run does not name the target:\n%s", out)
	}
	out, err = runCLI(t, "conform", "--target", target, "--tags", "@no-such-tag", "--out", "")
	if err == nil || !strings.Contains(out+err.Error(), "0 scenarios ran") {
		t.Fatalf("a selection with no scenario passed: %v\n%s", err, out)
	}
}
