package report

import (
	"strings"
	"testing"

	"github.com/jr0185/harness/features"
)

func loadCatalogue(t *testing.T) *features.Catalogue {
	t.Helper()
	cat, err := features.Load()
	if err != nil {
		t.Fatalf("load catalogue: %v", err)
	}
	return cat
}

// requirementTableIDs returns the first cell of each row of the Markdown
// requirement table, code-span backticks removed.
func requirementTableIDs(t *testing.T, md string) []string {
	t.Helper()
	_, after, ok := strings.Cut(md, "\n## Requirements\n")
	if !ok {
		t.Fatal("no Requirements section")
	}
	lines := strings.Split(after, "\n")
	var ids []string
	inTable := false
	for _, line := range lines {
		switch {
		case strings.HasPrefix(line, "| ID |"):
			inTable = true
		case !inTable, strings.HasPrefix(line, "|---"):
		case strings.HasPrefix(line, "| "):
			cell, _, _ := strings.Cut(strings.TrimPrefix(line, "| "), " | ")
			ids = append(ids, strings.Trim(cell, "`"))
		default:
			return ids
		}
	}
	return ids
}

func TestMarkdownListsEveryRequirementOnce(t *testing.T) {
	t.Parallel()
	cat := loadCatalogue(t)
	md := string(Build(cat, Selection{}).Markdown())
	rows := requirementTableIDs(t, md)
	count := map[string]int{}
	for _, id := range rows {
		count[id]++
	}
	for _, id := range cat.IDs() {
		if count[id] != 1 {
			t.Errorf("requirement %s appears %d times in the table, want once", id, count[id])
		}
	}
	if len(rows) != len(cat.Requirements) {
		t.Errorf("table has %d rows, catalogue %d requirements", len(rows), len(cat.Requirements))
	}
}

func TestMarkdownSections(t *testing.T) {
	t.Parallel()
	cat := loadCatalogue(t)
	md := string(Build(cat, Selection{}).Markdown())
	for _, want := range []string{
		"# JR/T 0185-2020 conformance report", "商业银行应用程序接口安全管理规范",
		"## Summary", "## Failures", "## Manual attestation checklist", "- [ ] **`",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown lacks %q", want)
		}
	}
	for _, v := range Build(cat, Selection{}).Requirements {
		if v.Mode == string(features.Manual) && !strings.Contains(md, v.Text) {
			t.Errorf("checklist lacks the text of manual requirement %s", v.ID)
		}
	}
}

func TestMarkdownEscapesTableCells(t *testing.T) {
	t.Parallel()
	s := scenario("left | right <b>", "failed", "@JR0185-7.1/1")
	s.Error = "boom\n```\nnot the end of the block"
	md := string(Build(testCatalogue(), Selection{}, run(s)).Markdown())
	if !strings.Contains(md, `left \| right &lt;b&gt; (failed)`) {
		t.Errorf("scenario name not escaped in the table:\n%s", md)
	}
	if !strings.Contains(md, "````text\n") {
		t.Errorf("a fence inside the error should lengthen the code fence:\n%s", md)
	}
	for _, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(line, "| `7.1/1`") && strings.Count(line, " | ") != 5 {
			t.Errorf("row has the wrong number of cells: %s", line)
		}
	}
}

func TestHTMLEscapesScript(t *testing.T) {
	t.Parallel()
	s := scenario("a", "failed", "@JR0185-7.1/1")
	s.Error = `<script>alert("x")</script>`
	s.Evidence = []string{"GET /x → 500 <script>evil()</script>"}
	other := scenario("<script>name</script>", "failed")
	other.Error = "<script>untagged</script>"
	b, err := Build(testCatalogue(), Selection{}, run(s, other)).HTML()
	if err != nil {
		t.Fatal(err)
	}
	html := string(b)
	if strings.Contains(strings.ToLower(html), "<script") {
		t.Errorf("HTML contains an unescaped <script>:\n%s", html)
	}
	if !strings.Contains(html, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;") {
		t.Errorf("HTML lacks the escaped error message")
	}
}

func TestHTMLIsSelfContained(t *testing.T) {
	t.Parallel()
	cat := loadCatalogue(t)
	b, err := Build(cat, Selection{}).HTML()
	if err != nil {
		t.Fatal(err)
	}
	html := string(b)
	for _, want := range []string{`<meta charset="utf-8">`, "<style>", "商业银行应用程序接口安全管理规范", cat.Requirements[0].Text} {
		if !strings.Contains(html, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	for _, bad := range []string{"<link", "src=", "http://", "https://"} {
		if strings.Contains(html, bad) {
			t.Errorf("HTML refers to an external asset (%q)", bad)
		}
	}
	for _, id := range cat.IDs() {
		if !strings.Contains(html, `id="req-`+id+`"`) {
			t.Errorf("HTML lacks requirement %s", id)
		}
	}
}
