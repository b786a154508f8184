package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestConformWritesAVerifiableReport runs `sandbox conform` in-process against a fresh
// embedded sandbox, then `sandbox verify-report` on what it wrote: accepted as written,
// refused after a one-byte edit of any signed file, naming the file.
func TestConformWritesAVerifiableReport(t *testing.T) {
	dir := t.TempDir()
	out, err := runCLI(t, "conform", "--tags", "@A1", "--format", "progress", "--no-colors", "--random",
		"--out", filepath.Join(dir, "r"), "--report-key", filepath.Join(dir, "key.pem"))
	if err != nil {
		t.Fatalf("conform: %v\n%s", err, out)
	}
	for _, f := range []string{"junit.xml", "cucumber.json", "report.json", "report.md", "report.html", "report.sig"} {
		if fi, err := os.Stat(filepath.Join(dir, "r", f)); err != nil || fi.Size() == 0 {
			t.Errorf("conform did not write %s: %v", f, err)
		}
	}
	if !strings.Contains(out, "Wall time:") || !strings.Contains(out, "Requirements:") {
		t.Errorf("conform output lacks the summary:\n%s", out)
	}
	out, err = runCLI(t, "verify-report", filepath.Join(dir, "r"))
	if err != nil || !strings.Contains(out, "report verified") {
		t.Fatalf("verify-report on the untouched report: %v\n%s", err, out)
	}
	for _, f := range []string{"report.json", "report.md", "report.html"} {
		t.Run("one byte edited in "+f, func(t *testing.T) {
			cp := filepath.Join(t.TempDir(), "r")
			if err := os.CopyFS(cp, os.DirFS(filepath.Join(dir, "r"))); err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(cp, f)
			raw, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			raw[len(raw)/2] ^= 0x01
			if err := os.WriteFile(p, raw, 0o600); err != nil {
				t.Fatal(err)
			}
			out, err := runCLI(t, "verify-report", cp)
			if err == nil || !strings.Contains(out, "NOT verified") || !strings.Contains(out, f) {
				t.Fatalf("verify-report accepted an edited %s: %v\n%s", f, err, out)
			}
		})
	}
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
	t.Logf("%s", out[strings.LastIndex(string(out), "Target:"):])
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
