package bank_test

import (
	"encoding/json"
	"html"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// publishedVector is one vector as /docs/manual/vectors.json publishes it.
type publishedVector struct {
	ID       string `json:"id"`
	Script   string `json:"script"`
	Expected string `json:"expected"`
}

func (tb *testBank) get(path string) []byte {
	tb.t.Helper()
	r := tb.plainGet(path, "")
	if r.Status != 200 {
		tb.t.Fatalf("GET %s: HTTP %d", path, r.Status)
	}
	return r.Body
}

// JR/T 0185-2020 12.1/5: every worked test vector in the served developer manual is
// recomputed with the openssl command line, by running the block the page shows
// (creating the input files, then the documented command) and comparing its output with
// the value the page publishes. The page and /docs/manual/vectors.json must agree.
func TestManualVectorsReproduceWithOpenSSL(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Fatal("openssl is required (make deps installs it)")
	}
	tb := startBank(t, nil)
	var vs []publishedVector
	if err := json.Unmarshal(tb.get("/docs/manual/vectors.json"), &vs); err != nil {
		t.Fatal(err)
	}
	page := string(tb.get("/docs/manual"))
	shown := regexp.MustCompile(`id="vec-([a-z0-9-]+)-script"`).FindAllStringSubmatch(page, -1)
	if len(shown) != len(vs) {
		t.Errorf("the page shows %d vectors, vectors.json has %d", len(shown), len(vs))
	}
	ids := map[string]bool{}
	for _, v := range vs {
		ids[v.ID] = true
		t.Run(v.ID, func(t *testing.T) {
			script := pageElement(t, page, "vec-"+v.ID+"-script")
			expected := pageElement(t, page, "vec-"+v.ID+"-expected")
			if script != v.Script || expected != v.Expected {
				t.Fatalf("the page and vectors.json differ:\npage script %q\njson script %q\npage expected %q json %q", script, v.Script, expected, v.Expected)
			}
			cmd := exec.Command("bash", "-euo", "pipefail", "-c", script)
			cmd.Dir = t.TempDir()
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("the manual's commands fail: %v\n%s\n--- script:\n%s", err, out, script)
			}
			if got := strings.TrimSpace(string(out)); got != expected {
				t.Fatalf("openssl gives %q, the manual publishes %q\n--- script:\n%s", got, expected, script)
			}
		})
	}
	for _, id := range []string{"mac-key", "request-sm3", "request-mac", "response-mac", "request-signature", "response-signature", "sm4-gcm"} {
		if !ids[id] {
			t.Errorf("the manual has no %s vector", id)
		}
	}
	// The step-by-step A1 example is the vectors' values.
	for id, vec := range map[string]string{"ex-mac-key": "mac-key", "ex-mac": "request-mac"} {
		if got := pageElement(t, page, id); got != pageElement(t, page, "vec-"+vec+"-expected") {
			t.Errorf("%s shows %q, vector %s %q", id, got, vec, pageElement(t, page, "vec-"+vec+"-expected"))
		}
	}
}

// pageElement is the text of the element with this id, entities decoded.
func pageElement(t *testing.T, page, id string) string {
	t.Helper()
	m := regexp.MustCompile(`(?s)id="` + regexp.QuoteMeta(id) + `"[^>]*>(.*?)</`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("the manual has no element %q", id)
	}
	return html.UnescapeString(m[1])
}
