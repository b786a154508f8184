package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"strings"
	"time"

	"github.com/jr0185/harness/features"
)

// JSON renders the report as indented JSON with a trailing newline.
func (r *Report) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("report: encode JSON: %w", err)
	}
	return append(b, '\n'), nil
}

// verdictLabel is the human label of a verdict.
func verdictLabel(v string) string {
	switch v {
	case VerdictPassed:
		return "✅ passed"
	case VerdictFailed:
		return "❌ failed"
	case VerdictNotRun:
		return "⏸ not run"
	case VerdictManual:
		return "📋 manual"
	case VerdictNotApplicable:
		return "— n/a"
	case OutcomePartial:
		return "⚠ partial"
	}
	return v
}

// outcomeLabel is the report's outcome for people: a partial run says it is not a
// conformance result before it says what the scenarios that ran did.
func (r *Report) outcomeLabel() string {
	if r.Outcome == OutcomePartial {
		return verdictLabel(OutcomePartial) + " — not a conformance result (the scenarios that ran: " + verdictLabel(r.Verdict) + ")"
	}
	return verdictLabel(r.Outcome)
}

// headlineZH says, for a Chinese reader, that a partial run is not a conformance
// result ("" for a complete run, whose verdict the tables carry).
func (r *Report) headlineZH() string {
	if r.Outcome != OutcomePartial {
		return ""
	}
	return fmt.Sprintf("部分运行，不构成符合性结论：范围内 %d 项自动化要求仅判定了 %d 项。", r.Scope.Automated, r.Scope.Judged)
}

// runSelection renders what narrowed one run: its tags and paths, or "every scenario".
func runSelection(run Run) string {
	if run.Tags == "" && len(run.Paths) == 0 {
		return "every scenario"
	}
	var parts []string
	if run.Tags != "" {
		parts = append(parts, "tags "+run.Tags)
	}
	if len(run.Paths) > 0 {
		parts = append(parts, "paths "+strings.Join(run.Paths, ","))
	}
	return strings.Join(parts, "; ")
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format(time.RFC3339)
}

// title names the report; a partial run says so in it, as the first thing anyone
// sees (the Markdown heading, the HTML title and heading).
func (r *Report) title() string {
	t := "Conformance report"
	if r.Standard.Code != "" {
		t = r.Standard.Code + " conformance report"
	}
	if r.Outcome == OutcomePartial {
		t += fmt.Sprintf(" — PARTIAL RUN (%d of %d automated requirements in scope judged)", r.Scope.Judged, r.Scope.Automated)
	}
	return t
}

// failedRequirements returns the failed verdicts.
func (r *Report) failedRequirements() []Verdict {
	var out []Verdict
	for _, v := range r.Requirements {
		if v.Verdict == VerdictFailed {
			out = append(out, v)
		}
	}
	return out
}

// otherFailures returns the failing scenarios that no failed requirement
// lists: untagged scenarios, or scenarios tagged only with manual,
// not-applicable or unknown requirements.
func (r *Report) otherFailures() []Scenario {
	covered := map[string]bool{}
	for _, v := range r.failedRequirements() {
		for _, s := range v.Scenarios {
			covered[s.Suite+"\x00"+s.URI+"\x00"+s.Name] = true
		}
	}
	var out []Scenario
	for _, run := range r.Runs {
		for _, s := range run.Scenarios {
			if failing(s.Status) && !covered[s.Suite+"\x00"+s.URI+"\x00"+s.Name] {
				out = append(out, s)
			}
		}
	}
	return out
}

func (r *Report) withMode(mode string) []Verdict {
	var out []Verdict
	for _, v := range r.Requirements {
		if v.Mode == mode {
			out = append(out, v)
		}
	}
	return out
}

// runCounts counts a run's scenarios: passed, failed, skipped.
func runCounts(run Run) (passed, failed, skipped int) {
	for _, s := range run.Scenarios {
		switch {
		case s.Status == StatusPassed:
			passed++
		case s.Status == StatusSkipped:
			skipped++
		default:
			failed++
		}
	}
	return passed, failed, skipped
}

// ---------------------------------------------------------------- Markdown

// mdCell escapes text for a GFM table cell: no line breaks, "|" and "\"
// escaped, and "<", ">" as entities so that no raw HTML gets through.
var mdCell = strings.NewReplacer(
	`\`, `\\`, "|", `\|`, "<", "&lt;", ">", "&gt;",
	"\r\n", " ", "\n", " ", "\r", " ",
)

// mdText escapes running text: a single line, no raw HTML.
var mdText = strings.NewReplacer(
	"<", "&lt;", ">", "&gt;",
	"\r\n", " ", "\n", " ", "\r", " ",
)

// mdCellCode returns s as a GFM code span usable in a table cell (where
// "|" must be escaped even inside a code span).
func mdCellCode(s string) string { return mdCode(strings.ReplaceAll(s, "|", `\|`)) }

// mdCode returns s as a GFM code span on one line.
func mdCode(s string) string {
	s = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)
	fence := strings.Repeat("`", longestRun(s, '`')+1)
	pad := ""
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		pad = " "
	}
	return fence + pad + s + pad + fence
}

// mdFence writes lines as a fenced code block whose fence is longer than
// any backtick run in them.
func mdFence(b *bytes.Buffer, lines ...string) {
	body := strings.Join(lines, "\n")
	fence := strings.Repeat("`", max(3, longestRun(body, '`')+1))
	fmt.Fprintf(b, "%stext\n%s\n%s\n\n", fence, body, fence)
}

func longestRun(s string, c byte) int {
	longest, n := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			n++
			longest = max(longest, n)
		} else {
			n = 0
		}
	}
	return longest
}

func scenarioList(refs []ScenarioRef) string {
	if len(refs) == 0 {
		return "—"
	}
	parts := make([]string, len(refs))
	for i, s := range refs {
		parts[i] = fmt.Sprintf("%s (%s)", s.Name, s.Status)
	}
	return strings.Join(parts, "; ")
}

// Markdown renders the report as GitHub-flavoured Markdown.
func (r *Report) Markdown() []byte {
	var b bytes.Buffer
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }

	p("# %s\n\n", mdText.Replace(r.title()))
	p("> **%s**\n", mdText.Replace(r.Headline))
	if zh := r.headlineZH(); zh != "" {
		p(">\n> **%s**\n", zh)
	}
	p("\n")
	p("- **Outcome:** %s\n", r.outcomeLabel())
	p("- **Selection:** %s\n", mdText.Replace(r.Selection.String()))
	p("- **Scope:** %d of %d automated requirements of the %s judged\n", r.Scope.Judged, r.Scope.Automated,
		mdText.Replace(r.Selection.suites()))
	p("- **Suite version:** %s\n", mdText.Replace(r.SuiteVersion.String()))
	if r.Standard.Code != "" {
		p("- **Standard:** %s %s (%d)\n", mdText.Replace(r.Standard.Code), mdText.Replace(r.Standard.Title), r.Standard.Year)
	}
	p("- **Generated:** %s\n", formatTime(r.GeneratedAt))
	for _, run := range r.Runs {
		p("- **Target (%s suite):** %s\n", mdText.Replace(run.Suite), mdText.Replace(run.Target))
	}
	p("\n")
	if !r.Scope.Complete {
		p("## Why this run is partial\n\n")
		for _, why := range r.Scope.Reasons {
			p("- %s\n", mdText.Replace(why))
		}
		if len(r.Scope.NotRun) > 0 {
			ids := make([]string, len(r.Scope.NotRun))
			for i, id := range r.Scope.NotRun {
				ids[i] = mdCode(id)
			}
			p("\nAutomated requirements in scope that no executed scenario judged: %s\n", strings.Join(ids, ", "))
		}
		p("\n")
	}

	p("## Runs\n\n")
	if len(r.Runs) == 0 {
		p("No suite was run.\n\n")
	} else {
		p("| Suite | Target | Selection | Started | Finished | Scenarios | Passed | Failed | Skipped |\n")
		p("|---|---|---|---|---|---:|---:|---:|---:|\n")
		for _, run := range r.Runs {
			passed, failed, skipped := runCounts(run)
			p("| %s | %s | %s | %s | %s | %d | %d | %d | %d |\n",
				mdCell.Replace(run.Suite), mdCell.Replace(run.Target), mdCellCode(runSelection(run)),
				formatTime(run.StartedAt), formatTime(run.FinishedAt),
				len(run.Scenarios), passed, failed, skipped)
		}
		p("\n")
	}

	c := r.Counts
	p("## Summary\n\n")
	p("| Verdict | Requirements |\n|---|---:|\n")
	p("| %s | %d |\n", verdictLabel(VerdictPassed), c.Passed)
	p("| %s | %d |\n", verdictLabel(VerdictFailed), c.Failed)
	p("| %s | %d |\n", verdictLabel(VerdictNotRun), c.NotRun)
	p("| %s | %d |\n", verdictLabel(VerdictManual), c.Manual)
	p("| %s | %d |\n", verdictLabel(VerdictNotApplicable), c.NotApplicable)
	p("| **Total** | **%d** |\n\n", c.Requirements)
	p("Automated requirements covered by an executed scenario: %d of %d. ", c.AutomatedCovered, c.Automated)
	p("Scenarios: %d (%d passed, %d failed, %d skipped).\n\n", c.Scenarios, c.ScenariosPassed, c.ScenariosFailed, c.ScenariosSkipped)

	p("## Requirements\n\n")
	p("| ID | Verdict | Party | Level | Summary | Scenarios |\n")
	p("|---|---|---|---|---|---|\n")
	for _, v := range r.Requirements {
		p("| %s | %s | %s | %s | %s | %s |\n",
			mdCellCode(v.ID), verdictLabel(v.Verdict), mdCell.Replace(v.Party), mdCell.Replace(v.Level),
			mdCell.Replace(v.Summary), mdCell.Replace(scenarioList(v.Scenarios)))
	}
	p("\n")

	p("## Failures\n\n")
	failed, others := r.failedRequirements(), r.otherFailures()
	if len(failed) == 0 && len(others) == 0 {
		p("None.\n\n")
	}
	for _, v := range failed {
		p("### %s %s\n\n", mdCode(v.ID), mdText.Replace(v.Title))
		p("%s\n\n", mdText.Replace(v.Summary))
		p("Scenarios:\n\n")
		for _, s := range v.Scenarios {
			p("- %s %s — %s\n", mdText.Replace(s.Name), mdCode(s.URI), mdText.Replace(s.Status))
		}
		p("\nFirst failure:\n\n")
		mdFence(&b, v.Reason)
		writeMDEvidence(&b, v.Evidence, v.EvidenceOmitted)
	}
	if len(others) > 0 {
		p("### Other failing scenarios\n\n")
		for _, s := range others {
			p("#### %s %s — %s\n\n", mdText.Replace(s.Name), mdCode(s.URI), mdText.Replace(s.Status))
			if s.Error != "" {
				mdFence(&b, s.Error)
			}
			writeMDEvidence(&b, s.Evidence, 0)
		}
	}

	for _, run := range r.Runs {
		for _, m := range run.Matrices {
			rows, ok := m.Counts()
			p("## %s (%s suite)\n\n", mdText.Replace(m.Title), mdText.Replace(run.Suite))
			if m.Note != "" {
				p("%s\n\n", mdText.Replace(m.Note))
			}
			p("%d rows, %d covered.\n\n", rows, ok)
			p("|")
			for _, c := range m.Columns {
				p(" %s |", mdCell.Replace(c))
			}
			p(" Status |\n|")
			for range m.Columns {
				p("---|")
			}
			p("---|\n")
			for _, row := range m.Rows {
				p("|")
				for _, c := range row.Cells {
					p(" %s |", mdCell.Replace(c))
				}
				p(" %s |\n", mdCell.Replace(row.Status))
			}
			p("\n")
		}
	}

	p("## Manual attestation checklist\n\n")
	manual := r.withMode(string(features.Manual))
	if len(manual) == 0 {
		p("None.\n\n")
	}
	for _, v := range manual {
		p("- [ ] **%s** %s (%s, %s, level %s) — %s\n", mdCode(v.ID), mdText.Replace(v.Title),
			mdText.Replace(v.Clause), mdText.Replace(v.Party), mdText.Replace(v.Level), mdText.Replace(v.Summary))
		p("  > %s\n\n", mdText.Replace(v.Text))
		p("  *Reason:* %s\n\n", mdText.Replace(v.Reason))
	}

	if na := r.withMode(string(features.NotApplicable)); len(na) > 0 {
		p("## Not applicable\n\n")
		for _, v := range na {
			p("- **%s** %s — %s *Reason:* %s\n", mdCode(v.ID), mdText.Replace(v.Title),
				mdText.Replace(v.Summary), mdText.Replace(v.Reason))
		}
		p("\n")
	}

	if len(r.UnknownTags) > 0 {
		p("## Unknown requirement tags\n\n")
		p("These scenarios name requirements that are not in the catalogue:\n\n")
		for _, u := range r.UnknownTags {
			p("- %s on %s %s\n", mdCode(u.Tag), mdText.Replace(u.Scenario), mdCode(u.URI))
		}
		p("\n")
	}
	return b.Bytes()
}

func writeMDEvidence(b *bytes.Buffer, lines []string, omitted int) {
	if len(lines) == 0 {
		b.WriteString("No evidence recorded.\n\n")
		return
	}
	b.WriteString("Evidence:\n\n")
	mdFence(b, lines...)
	if omitted > 0 {
		fmt.Fprintf(b, "(%d more evidence lines omitted.)\n\n", omitted)
	}
}

// ---------------------------------------------------------------- HTML

var htmlTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"label": verdictLabel,
	"time":  formatTime,
}).Parse(htmlSource))

// htmlData is what the HTML template sees.
type htmlData struct {
	*Report
	Title         string
	OutcomeLabel  string
	HeadlineZH    string
	RunRows       []htmlRun
	Failed        []Verdict
	OtherFailures []Scenario
	Manual        []Verdict
	NotApplicable []Verdict
}

type htmlRun struct {
	Run
	Selection               string
	Passed, Failed, Skipped int
}

// HTML renders the report as one self-contained HTML page.
func (r *Report) HTML() ([]byte, error) {
	d := htmlData{
		Report:        r,
		Title:         r.title(),
		OutcomeLabel:  r.outcomeLabel(),
		HeadlineZH:    r.headlineZH(),
		Failed:        r.failedRequirements(),
		OtherFailures: r.otherFailures(),
		Manual:        r.withMode(string(features.Manual)),
		NotApplicable: r.withMode(string(features.NotApplicable)),
	}
	for _, run := range r.Runs {
		hr := htmlRun{Run: run, Selection: runSelection(run)}
		hr.Passed, hr.Failed, hr.Skipped = runCounts(run)
		d.RunRows = append(d.RunRows, hr)
	}
	var b bytes.Buffer
	if err := htmlTemplate.Execute(&b, d); err != nil {
		return nil, fmt.Errorf("report: render HTML: %w", err)
	}
	return b.Bytes(), nil
}

const htmlSource = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif; margin: 2rem; color: #1f2328; line-height: 1.45; }
h1 { margin-bottom: .25rem; }
table { border-collapse: collapse; margin: 1rem 0; width: 100%; }
th, td { border: 1px solid #d0d7de; padding: .3rem .5rem; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
td.num, th.num { text-align: right; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .9em; }
pre { background: #f6f8fa; padding: .5rem; overflow-x: auto; white-space: pre-wrap; word-break: break-all; }
.v { white-space: nowrap; font-weight: 600; }
.v-passed { color: #1a7f37; } .v-failed { color: #cf222e; } .v-not-run { color: #9a6700; }
.v-manual { color: #0969da; } .v-not-applicable { color: #6e7781; } .v-partial { color: #9a6700; }
.headline { padding: .6rem .8rem; border: 2px solid #d0d7de; font-size: 1.1em; }
.headline-passed { border-color: #1a7f37; } .headline-failed { border-color: #cf222e; background: #ffebe9; }
.headline-partial { border-color: #9a6700; background: #fff8c5; }
tr.failed { background: #ffebe9; }
.zh { color: #57606a; font-size: .9em; }
ul.checklist { list-style: none; padding-left: 0; }
ul.checklist li { margin-bottom: 1rem; }
</style>
</head>
<body>
<h1>{{.Title}}</h1>
<p class="headline headline-{{.Outcome}}"><strong>{{.Headline}}</strong>{{with .HeadlineZH}}<br><strong lang="zh-CN">{{.}}</strong>{{end}}</p>
<ul>
<li><strong>Outcome:</strong> <span class="v v-{{.Outcome}}">{{.OutcomeLabel}}</span></li>
<li><strong>Selection:</strong> {{.Selection.String}}</li>
<li><strong>Scope:</strong> {{.Scope.Judged}} of {{.Scope.Automated}} automated requirements in scope judged</li>
<li><strong>Suite version:</strong> {{.SuiteVersion.String}}</li>
{{- with .Standard}}{{if .Code}}
<li><strong>Standard:</strong> {{.Code}} <span lang="zh-CN">{{.Title}}</span> ({{.Year}})</li>{{end}}{{end}}
<li><strong>Generated:</strong> {{time .GeneratedAt}}</li>
{{- range .Runs}}
<li><strong>Target ({{.Suite}} suite):</strong> {{.Target}}</li>
{{- end}}
</ul>
{{- if not .Scope.Complete}}

<h2>Why this run is partial</h2>
<ul>
{{- range .Scope.Reasons}}
<li>{{.}}</li>
{{- end}}
</ul>
{{- if .Scope.NotRun}}
<p>Automated requirements in scope that no executed scenario judged: {{range $i, $id := .Scope.NotRun}}{{if $i}}, {{end}}<code>{{$id}}</code>{{end}}</p>
{{- end}}
{{- end}}

<h2>Runs</h2>
{{- if .RunRows}}
<table>
<tr><th>Suite</th><th>Target</th><th>Selection</th><th>Started</th><th>Finished</th><th class="num">Scenarios</th><th class="num">Passed</th><th class="num">Failed</th><th class="num">Skipped</th></tr>
{{- range .RunRows}}
<tr><td>{{.Suite}}</td><td>{{.Target}}</td><td><code>{{.Selection}}</code></td><td>{{time .StartedAt}}</td><td>{{time .FinishedAt}}</td><td class="num">{{len .Scenarios}}</td><td class="num">{{.Passed}}</td><td class="num">{{.Failed}}</td><td class="num">{{.Skipped}}</td></tr>
{{- end}}
</table>
{{- else}}
<p>No suite was run.</p>
{{- end}}

<h2>Summary</h2>
{{- with .Counts}}
<table style="width:auto">
<tr><th>Verdict</th><th class="num">Requirements</th></tr>
<tr><td class="v v-passed">{{label "passed"}}</td><td class="num">{{.Passed}}</td></tr>
<tr><td class="v v-failed">{{label "failed"}}</td><td class="num">{{.Failed}}</td></tr>
<tr><td class="v v-not-run">{{label "not-run"}}</td><td class="num">{{.NotRun}}</td></tr>
<tr><td class="v v-manual">{{label "manual"}}</td><td class="num">{{.Manual}}</td></tr>
<tr><td class="v v-not-applicable">{{label "not-applicable"}}</td><td class="num">{{.NotApplicable}}</td></tr>
<tr><th>Total</th><th class="num">{{.Requirements}}</th></tr>
</table>
<p>Automated requirements covered by an executed scenario: {{.AutomatedCovered}} of {{.Automated}}.
Scenarios: {{.Scenarios}} ({{.ScenariosPassed}} passed, {{.ScenariosFailed}} failed, {{.ScenariosSkipped}} skipped).</p>
{{- end}}

<h2>Requirements</h2>
<table>
<tr><th>ID</th><th>Verdict</th><th>Party</th><th>Level</th><th>Summary</th><th>Scenarios</th></tr>
{{- range .Requirements}}
<tr id="req-{{.ID}}"{{if eq .Verdict "failed"}} class="failed"{{end}}><td><code>{{.ID}}</code></td><td class="v v-{{.Verdict}}">{{label .Verdict}}</td><td>{{.Party}}</td><td>{{.Level}}</td>
<td>{{.Summary}}<br><span class="zh" lang="zh-CN">{{.Clause}} {{.Title}}：{{.Text}}</span></td>
<td>{{range $i, $s := .Scenarios}}{{if $i}}<br>{{end}}{{$s.Name}} <span class="v v-{{if eq $s.Status "passed"}}passed{{else if eq $s.Status "skipped"}}not-applicable{{else}}failed{{end}}">({{$s.Status}})</span>{{else}}—{{end}}</td></tr>
{{- end}}
</table>

<h2>Failures</h2>
{{- if not (or .Failed .OtherFailures)}}
<p>None.</p>
{{- end}}
{{- range .Failed}}
<h3><code>{{.ID}}</code> {{.Title}}</h3>
<p>{{.Summary}}</p>
<ul>
{{- range .Scenarios}}
<li>{{.Name}} <code>{{.URI}}</code> — {{.Status}}</li>
{{- end}}
</ul>
<p>First failure:</p>
<pre>{{.Reason}}</pre>
{{- if .Evidence}}
<p>Evidence:</p>
<pre>{{range .Evidence}}{{.}}
{{end}}</pre>
{{- if .EvidenceOmitted}}<p>({{.EvidenceOmitted}} more evidence lines omitted.)</p>{{end}}
{{- else}}
<p>No evidence recorded.</p>
{{- end}}
{{- end}}
{{- if .OtherFailures}}
<h3>Other failing scenarios</h3>
{{- range .OtherFailures}}
<h4>{{.Name}} <code>{{.URI}}</code> — {{.Status}}</h4>
{{- if .Error}}
<pre>{{.Error}}</pre>
{{- end}}
{{- if .Evidence}}
<p>Evidence:</p>
<pre>{{range .Evidence}}{{.}}
{{end}}</pre>
{{- else}}
<p>No evidence recorded.</p>
{{- end}}
{{- end}}
{{- end}}

{{- range .Runs}}{{$suite := .Suite}}
{{- range .Matrices}}

<h2 id="matrix-{{.ID}}">{{.Title}} ({{$suite}} suite)</h2>
{{- if .Note}}
<p>{{.Note}}</p>
{{- end}}
<table>
<tr>{{range .Columns}}<th>{{.}}</th>{{end}}<th>Status</th></tr>
{{- range .Rows}}
<tr{{if not (or (eq .Status "covered") (eq .Status "passed"))}} class="failed"{{end}}>{{range .Cells}}<td>{{.}}</td>{{end}}<td>{{.Status}}</td></tr>
{{- end}}
</table>
{{- end}}
{{- end}}

<h2>Manual attestation checklist</h2>
{{- if .Manual}}
<ul class="checklist">
{{- range .Manual}}
<li><label><input type="checkbox"> <strong><code>{{.ID}}</code></strong> {{.Title}} ({{.Clause}}, {{.Party}}, level {{.Level}}) — {{.Summary}}</label>
<blockquote lang="zh-CN">{{.Text}}</blockquote>
<em>Reason:</em> {{.Reason}}</li>
{{- end}}
</ul>
{{- else}}
<p>None.</p>
{{- end}}
{{- if .NotApplicable}}

<h2>Not applicable</h2>
<ul>
{{- range .NotApplicable}}
<li><strong><code>{{.ID}}</code></strong> {{.Title}} — {{.Summary}} <em>Reason:</em> {{.Reason}}</li>
{{- end}}
</ul>
{{- end}}
{{- if .UnknownTags}}

<h2>Unknown requirement tags</h2>
<p>These scenarios name requirements that are not in the catalogue:</p>
<ul>
{{- range .UnknownTags}}
<li><code>{{.Tag}}</code> on {{.Scenario}} <code>{{.URI}}</code></li>
{{- end}}
</ul>
{{- end}}
</body>
</html>
`
