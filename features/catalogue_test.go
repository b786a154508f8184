package features

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"unicode/utf8"

	"github.com/cucumber/godog"
)

// wantIDs pins the counting of the catalogue (README.md, "ID scheme"). Adding,
// removing or renumbering a requirement means changing this list.
const wantIDs = `
6.2/A2 6.2/A2c 6.2/A1
7.1/1 7.1/2 7.1/3 7.1/4 7.1/5 7.1/6 7.1/7
7.2.1/a1 7.2.1/a2 7.2.1/b1 7.2.1/b2
7.2.2/1 7.2.2/2 7.2.2/3a 7.2.2/3b 7.2.2/3c 7.2.2/4
7.3.1/1
7.3.2/1 7.3.2/2 7.3.2/3
7.3.3/1 7.3.3/2a 7.3.3/2b
7.3.4/1 7.3.4/2 7.3.4/3
8/1 8/2 8/3 8/4
9.1.1/1 9.1.1/2 9.1.1/3 9.1.1/4
9.1.2/1 9.1.2/2
9.2.1/a1 9.2.1/a2 9.2.1/b1 9.2.1/b2 9.2.1/b3 9.2.1/b4
9.2.2/1 9.2.2/2 9.2.2/3
9.3.1/1 9.3.1/2 9.3.1/3
9.3.2/1a 9.3.2/1b 9.3.2/1c 9.3.2/2
9.3.3/1 9.3.3/2a 9.3.3/2b 9.3.3/3 9.3.3/4 9.3.3/5
9.3.4/1 9.3.4/2 9.3.4/3 9.3.4/4
9.3.5/1 9.3.5/2 9.3.5/3 9.3.5/4 9.3.5/5
9.4/1 9.4/2
10.1.1/1 10.1.1/2a 10.1.1/2b 10.1.1/2c 10.1.1/3
10.1.2/1 10.1.2/1a 10.1.2/1b 10.1.2/1c 10.1.2/1d 10.1.2/2 10.1.2/2a 10.1.2/2b
10.2.1/1 10.2.1/2 10.2.1/3
10.2.2/1 10.2.2/2 10.2.2/3
10.2.3/1 10.2.3/2 10.2.3/3 10.2.3/4
10.3/1 10.3/2 10.3/3
10.4/1 10.4/2 10.4/3
10.5/1
11/1 11/2 11/3 11/4
12.1/1 12.1/2 12.1/3 12.1/4 12.1/5
12.2/1a 12.2/1b 12.2/2 12.2/3 12.2/4
12.3/1 12.3/2 12.3/3 12.3/4 12.3/5 12.3/6
B/1 B/2 B/3 B/4 B/5 B/6 B/7 B/8 B/9 B/10 B/11 B/12 B/13
`

func mustLoad(t *testing.T) *Catalogue {
	t.Helper()
	c, err := Load()
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return c
}

func TestLoadValidates(t *testing.T) {
	t.Parallel()
	c := mustLoad(t)
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if c.Standard.Code != "JR/T 0185-2020" || c.Standard.Year != 2020 {
		t.Errorf("standard = %+v", c.Standard)
	}
	if got, want := c.IDs(), strings.Fields(wantIDs); !slices.Equal(got, want) {
		t.Errorf("IDs differ from wantIDs\n got: %v\nwant: %v", got, want)
	}

	n := c.Counts()
	if n.Total != len(c.Requirements) || n.Automated+n.Manual+n.NotApplicable != n.Total {
		t.Errorf("counts do not add up: %+v", n)
	}
	if n.ByParty["bank"]+n.ByParty["partner"]+n.ByParty["both"] != n.Total {
		t.Errorf("party counts do not add up: %+v", n.ByParty)
	}
	t.Logf("requirements: %d total; %d automated, %d manual, %d not-applicable; by party: bank %d, partner %d, both %d",
		n.Total, n.Automated, n.Manual, n.NotApplicable, n.ByParty["bank"], n.ByParty["partner"], n.ByParty["both"])
}

// TestSpotChecks pins the counting rules of README.md on chosen entries.
func TestSpotChecks(t *testing.T) {
	t.Parallel()
	c := mustLoad(t)
	tests := []struct {
		id       string
		party    Party
		level    Level
		mode     Mode
		strength Strength
		text     string // a fragment of the text
	}{
		// Third bullet of 9.2.2: the TLS rule.
		{"9.2.2/3", Both, LevelAll, Automated, Shall, "应采用SSL/TLS等安全通道连接进行通信，宜使用TLS 1.2及以上版本。"},
		{"9.2.2/1", Both, LevelA1, Automated, Shall, "对于A1类应采用MAC校验等手段"},
		// Lettered and numbered items.
		{"7.2.1/a2", Both, LevelA2, Automated, Shall, "应使用包含数字证书或公私钥对的方式进行双向身份认证"},
		{"9.2.1/b4", Bank, LevelAll, Automated, Shall, "主动断开连接（如主动失效令牌）"},
		// Sub-bullets: the parent bullet's ordinal plus a letter.
		{"7.2.2/3b", Both, LevelAll, Automated, Shall, "应脱敏或去标识化处理"},
		{"10.1.2/1", Bank, LevelAll, Automated, Shall, "流量监控、故障隔离、黑名单控制"},
		{"10.1.2/1d", Bank, LevelAll, Automated, Shall, "应具备应用方黑名单管理能力。"},
		{"10.1.2/2a", Partner, LevelAll, Automated, Shall, "调用商业银行应用程序接口应设计熔断机制"},
		{"10.1.2/2b", Partner, LevelAll, Automated, Shall, "应建立异常告警处理机制"},
		// Bank list then partner list, counted on.
		{"12.3/3", Bank, LevelAll, Automated, Shall, "应对日志记录进行完整性保护"},
		{"12.3/4", Partner, LevelAll, Automated, Shall, "日志记录应符合7.3.3所述日志要求"},
		{"12.3/6", Partner, LevelAll, Automated, Shall, "历史操作日志功能"},
		{"10.4/3", Partner, LevelAll, Manual, Shall, "应用方应定期对商业银行应用程序接口进行安全巡检"},
		// Paragraphs.
		{"8/1", Both, LevelAll, Manual, Shall, "商业银行及应用方都应在互联网边界部署"},
		{"8/2", Bank, LevelAll, Automated, Shall, "服务层应部署流量控制、监控分析、认证鉴权"},
		{"9.4/1", Bank, LevelAll, Automated, Shall, "应对认证信息（如App_Secret、公私钥对等）进行作废处理"},
		{"7.3.1/1", Bank, LevelAll, Automated, Shall, "按照最小授权原则"},
		// Security levels of 6.2.
		{"6.2/A2", Bank, LevelA2, Automated, Shall, "A2：资金交易与账户信息查询应用类"},
		{"6.2/A2c", Bank, LevelA2, Automated, Shall, "商业银行应对接入风险进行评估"},
		{"6.2/A1", Bank, LevelA1, Automated, Shall, "A1：金融产品和服务信息查询应用类"},
		// Annex B.
		{"B/1", Bank, LevelAll, Automated, Shall, "商业银行应用程序接口统一识别码由商业银行依据编码规则生成。"},
		{"B/4", Bank, LevelAll, Automated, Shall, "固定位值固定为字母“OP”"},
		{"B/13", Bank, LevelAll, Automated, Shall, "默认值为00"},
		// Strengths and modes.
		{"7.1/7", Bank, LevelAll, Automated, ShallNot, "不应泄漏服务器、中间件、数据库"},
		{"7.1/2", Bank, LevelAll, Manual, Shall, "应制定安全编码规范。"},
		{"7.3.2/3", Bank, LevelAll, NotApplicable, Should, "移动终端应用SDK宜具备动态调试防护能力"},
		{"9.1.1/4", Bank, LevelAll, Automated, ShallNot, "不应通过开放应用程序接口的方式变相开展跨机构清算业务。"},
		{"9.3.5/5", Partner, LevelAll, Manual, ShallNot, "禁止应用方利用商业银行应用程序接口漏洞"},
		{"12.1/5", Bank, LevelAll, Automated, Shall, "测试环境的使用"},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			t.Parallel()
			r, ok := c.ByID(tt.id)
			if !ok {
				t.Fatalf("ByID(%q) not found", tt.id)
			}
			if r.Party != tt.party || r.Level != tt.level || r.Mode != tt.mode || r.Strength != tt.strength {
				t.Errorf("party/level/mode/strength = %s/%s/%s/%s, want %s/%s/%s/%s",
					r.Party, r.Level, r.Mode, r.Strength, tt.party, tt.level, tt.mode, tt.strength)
			}
			if !strings.Contains(r.Text, tt.text) {
				t.Errorf("text %q does not contain %q", r.Text, tt.text)
			}
		})
	}
	if _, ok := c.ByID("9.2.2/4"); ok {
		t.Error("ByID(9.2.2/4) found; 9.2.2 has three bullets")
	}
}

// TestModalExceptions pins the entries whose own text has no modal verb, so
// the exceptions in Validate stay few and deliberate.
func TestModalExceptions(t *testing.T) {
	t.Parallel()
	c := mustLoad(t)
	// Items of a list whose modal verb is in the lead-in.
	viaLeadIn := map[string]string{
		"10.1.1/2a": "运维监测应具备以下监测能力：",
		"10.1.1/2b": "运维监测应具备以下监测能力：",
		"12.2/1b":   "应用方若出于自身服务需求收集金融消费者个人金融信息，应：",
		"12.2/2":    "商业银行与应用方应以合同或协议的方式，明确规定…安全责任，包括但不限于：",
		"12.3/2":    "商业银行应具备以下安全审计能力：",
	}
	// Definitional rules: the security-level definitions, and annex B, a
	// normative annex whose coding rules are stated as definitions.
	definitional := []string{"6.2/A2", "6.2/A1",
		"B/1", "B/2", "B/3", "B/4", "B/6", "B/7", "B/9", "B/10", "B/11", "B/12", "B/13"}

	var gotLeadIn, gotDefinitional []string
	for _, r := range c.Requirements {
		if HasModal(r.Text) {
			continue
		}
		if HasModal(r.LeadIn) {
			gotLeadIn = append(gotLeadIn, r.ID)
			continue
		}
		gotDefinitional = append(gotDefinitional, r.ID)
		if !DefinitionalRule(r.ID) {
			t.Errorf("%s: no modal verb in text or lead-in", r.ID)
		}
	}
	wantLeadIn := make([]string, 0, len(viaLeadIn))
	for id := range viaLeadIn {
		wantLeadIn = append(wantLeadIn, id)
	}
	slices.Sort(wantLeadIn)
	slices.Sort(gotLeadIn)
	if !slices.Equal(gotLeadIn, wantLeadIn) {
		t.Errorf("entries relying on their lead-in = %v, want %v", gotLeadIn, wantLeadIn)
	}
	if !slices.Equal(gotDefinitional, definitional) {
		t.Errorf("definitional entries = %v, want %v", gotDefinitional, definitional)
	}
}

func TestHasModal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		s    string
		want bool
	}{
		{"应制定安全编码规范。", true},
		{"加密和签名宜分配不同的密钥", true},
		{"查询结果在应用方本地不得保存", true},
		{"禁止应用方利用漏洞", true},
		{"需及时评估和调整接口权限", true},
		{"应用方调用商业银行应用程序接口", false},         // 应用 is "application"
		{"制定变更方案和应急预案", false},             // 应急 is "emergency"
		{"部署相应级别的安全控制措施", false},           // 相应 is "corresponding"
		{"若确需使用API直接连接方式，依据商业服务需求", false}, // 确需, 需求
		{"", false},
	}
	for _, tt := range tests {
		if got := HasModal(tt.s); got != tt.want {
			t.Errorf("HasModal(%q) = %v, want %v", tt.s, got, tt.want)
		}
	}
}

func TestValidID(t *testing.T) {
	t.Parallel()
	for _, id := range []string{
		"9.2.2/3", "7.2.1/a2", "9.2.1/b4", "7.2.2/3b", "10.1.2/2a", "8/2", "9.4/1",
		"12.3/6", "11/4", "6.2/A1", "6.2/A2", "6.2/A2c", "B/1", "B/13", "10.1.2/12",
	} {
		if !ValidID(id) {
			t.Errorf("ValidID(%q) = false", id)
		}
	}
	for _, id := range []string{
		"", "9.2.2", "9.2.2/", "/3", "9.2.2/0", "9.2.2/03", "5.1/1", "13/1", "1/1",
		"9.2.2.1.1/1", "9.2.2/3B", "9.2.2/ab", "9.2.2/3ab", "7.2.1/a", "7.2.1/a0",
		"6.2/A3", "6.2/A1a", "7.1/A1", "B/0", "B/1a", "B.3/1", "b/1", "9.2.2/3 ",
		" 9.2.2/3", "9.02.2/3", "9.2.2\\3",
	} {
		if ValidID(id) {
			t.Errorf("ValidID(%q) = true", id)
		}
	}
}

func TestTagRoundTrip(t *testing.T) {
	t.Parallel()
	c := mustLoad(t)
	gherkinTag := regexp.MustCompile(`^@[^\s@#,~&]+$`)
	for _, id := range c.IDs() {
		tag := Tag(id)
		if !gherkinTag.MatchString(tag) {
			t.Errorf("Tag(%q) = %q is not a plain Gherkin tag", id, tag)
		}
		if got, ok := ParseTag(tag); !ok || got != id {
			t.Errorf("ParseTag(%q) = %q, %v; want %q", tag, got, ok, id)
		}
		// Without the "@", as in godog filter expressions.
		if got, ok := ParseTag(strings.TrimPrefix(tag, "@")); !ok || got != id {
			t.Errorf("ParseTag(%q) = %q, %v; want %q", strings.TrimPrefix(tag, "@"), got, ok, id)
		}
	}
	if got := Tag("9.2.2/3"); got != "@JR0185-9.2.2/3" {
		t.Errorf(`Tag("9.2.2/3") = %q`, got)
	}
	for _, tag := range []string{
		"", "@", "@JR0185-", "@JR0185-9.2.2", "@JR0185-13/1", "@jr0185-9.2.2/3",
		"@JR0185_9.2.2/3", "@wip", "@@JR0185-9.2.2/3", "@JR0185-9.2.2/3 ", "9.2.2/3",
	} {
		if id, ok := ParseTag(tag); ok {
			t.Errorf("ParseTag(%q) = %q, true; want false", tag, id)
		}
	}
}

// tagFeature is a feature with one scenario per requirement, named by its ID
// and tagged with its tag; a second tag on the same line checks that godog
// splits tag lines as expected.
func tagFeature(ids []string) []byte {
	var b bytes.Buffer
	b.WriteString("Feature: requirement tags\n\n")
	for _, id := range ids {
		fmt.Fprintf(&b, "  %s @other\n  Scenario: %s\n    Given a requirement\n\n", Tag(id), id)
	}
	return b.Bytes()
}

// selected returns the names of the scenarios godog selects with the filter,
// through the same parser and tag filter that godog's runner uses.
func selected(t *testing.T, feature []byte, filter string) []string {
	t.Helper()
	suite := godog.TestSuite{Options: &godog.Options{
		FS:    fstest.MapFS{"tags.feature": {Data: feature}},
		Paths: []string{"tags.feature"},
		Tags:  filter,
	}}
	feats, err := suite.RetrieveFeatures()
	if err != nil {
		t.Fatalf("godog: %v", err)
	}
	var names []string
	for _, f := range feats {
		for _, p := range f.Pickles {
			names = append(names, p.Name)
		}
	}
	return names
}

// TestGodogAcceptsTags confirms, with godog v0.15.1's own parser and tag
// filter, that every requirement tag parses as one tag and selects exactly its
// scenario, alone, in a disjunction and under negation.
func TestGodogAcceptsTags(t *testing.T) {
	t.Parallel()
	ids := mustLoad(t).IDs()
	feature := tagFeature(ids)

	all := selected(t, feature, "")
	if !slices.Equal(all, ids) {
		t.Fatalf("godog parsed %d scenarios, want %d", len(all), len(ids))
	}
	for _, id := range ids {
		if got := selected(t, feature, Tag(id)); !slices.Equal(got, []string{id}) {
			t.Errorf("filter %q selects %v, want [%s]", Tag(id), got, id)
		}
	}
	// A godog expression may drop the "@"; "," is "or", "~" is "not".
	a, b := "9.2.2/3", "6.2/A2c"
	if got := selected(t, feature, strings.TrimPrefix(Tag(a), "@")); !slices.Equal(got, []string{a}) {
		t.Errorf("filter without @ selects %v", got)
	}
	if got := selected(t, feature, Tag(a)+","+Tag(b)); !slices.Equal(got, []string{b, a}) {
		t.Errorf("or-filter selects %v, want [%s %s]", got, b, a)
	}
	if got := selected(t, feature, "~"+Tag(a)); len(got) != len(ids)-1 || slices.Contains(got, a) {
		t.Errorf("not-filter selects %d scenarios (contains %s: %v)", len(got), a, slices.Contains(got, a))
	}
	if got := selected(t, feature, "@other&&"+Tag(b)); !slices.Equal(got, []string{b}) {
		t.Errorf("and-filter selects %v", got)
	}
}

// TestGodogReportsTags runs a tagged scenario and checks that the cucumber
// JSON report carries the tag verbatim, so the report can map results back to
// requirements with ParseTag.
func TestGodogReportsTags(t *testing.T) {
	t.Parallel()
	id := "7.2.1/a2"
	feature := tagFeature([]string{id, "B/7"})
	var out bytes.Buffer
	suite := godog.TestSuite{
		Name: "tags",
		ScenarioInitializer: func(sc *godog.ScenarioContext) {
			sc.Step(`^a requirement$`, func(context.Context) error { return nil })
		},
		Options: &godog.Options{
			Format:          "cucumber",
			Output:          &out,
			Strict:          true,
			Tags:            Tag(id),
			FeatureContents: []godog.Feature{{Name: "tags.feature", Contents: feature}},
		},
	}
	if status := suite.Run(); status != 0 {
		t.Fatalf("godog exit status %d\n%s", status, out.String())
	}
	var report []struct {
		Elements []struct {
			Name string `json:"name"`
			Tags []struct {
				Name string `json:"name"`
			} `json:"tags"`
		} `json:"elements"`
	}
	if err := json.Unmarshal(out.Bytes(), &report); err != nil {
		t.Fatalf("cucumber JSON: %v\n%s", err, out.String())
	}
	var ran []string
	for _, f := range report {
		for _, e := range f.Elements {
			ran = append(ran, e.Name)
			var reqs []string
			for _, tag := range e.Tags {
				if rid, ok := ParseTag(tag.Name); ok {
					reqs = append(reqs, rid)
				}
			}
			if !slices.Equal(reqs, []string{e.Name}) {
				t.Errorf("scenario %s reports requirement tags %v", e.Name, reqs)
			}
		}
	}
	if !slices.Equal(ran, []string{id}) {
		t.Errorf("ran %v, want [%s]", ran, id)
	}
}

// TestValidateRejects shows that Validate catches each kind of error.
func TestValidateRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		mutate func(c *Catalogue)
		want   string
	}{
		{"duplicate id", func(c *Catalogue) { c.Requirements[1].ID = c.Requirements[0].ID }, "duplicate id"},
		{"malformed id", func(c *Catalogue) { c.Requirements[3].ID = "7.1-1" }, "malformed id"},
		{"clause mismatch", func(c *Catalogue) { c.Requirements[3].Clause = "7.2" }, "does not match id prefix"},
		{"annex B clause", func(c *Catalogue) { last(c).Clause = "12.3" }, "not in annex B"},
		{"out of order", func(c *Catalogue) {
			c.Requirements[0], c.Requirements[3] = c.Requirements[3], c.Requirements[0]
		}, "keep the standard's order"},
		{"bad strength", func(c *Catalogue) { c.Requirements[3].Strength = "must" }, "strength"},
		{"bad party", func(c *Catalogue) { c.Requirements[3].Party = "user" }, "party"},
		{"bad level", func(c *Catalogue) { c.Requirements[3].Level = "A3" }, "level"},
		{"bad mode", func(c *Catalogue) { c.Requirements[3].Mode = "skip" }, "mode"},
		{"empty text", func(c *Catalogue) { c.Requirements[3].Text = "" }, "text is empty"},
		{"unnormalized text", func(c *Catalogue) { c.Requirements[3].Text += "\n" }, "whitespace-normalized"},
		{"no modal", func(c *Catalogue) {
			c.Requirements[3].Text = "使用的密码算法、技术及产品符合要求。"
			c.Requirements[3].LeadIn = ""
		}, "states an obligation"},
		{"should without 宜", func(c *Catalogue) { c.Requirements[3].Strength = Should }, "no 宜"},
		{"shall-not without prohibition", func(c *Catalogue) { c.Requirements[3].Strength = ShallNot }, "no 不应"},
		{"manual without reason", func(c *Catalogue) {
			r := mustFind(t, c, "7.1/2")
			r.Reason = " "
		}, "needs a reason"},
		{"manual with checks", func(c *Catalogue) { mustFind(t, c, "7.1/2").Checks = "x" }, "has checks"},
		{"automated without checks", func(c *Catalogue) { mustFind(t, c, "7.1/7").Checks = "" }, "needs checks"},
		{"automated with reason", func(c *Catalogue) { mustFind(t, c, "7.1/7").Reason = "x" }, "has a reason"},
		{"no standard", func(c *Catalogue) { c.Standard = Standard{} }, "standard"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := mustLoad(t)
			c.Requirements = slices.Clone(c.Requirements)
			tt.mutate(c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate() = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func last(c *Catalogue) *Requirement { return &c.Requirements[len(c.Requirements)-1] }

func mustFind(t *testing.T, c *Catalogue, id string) *Requirement {
	t.Helper()
	for i := range c.Requirements {
		if c.Requirements[i].ID == id {
			return &c.Requirements[i]
		}
	}
	t.Fatalf("%s not in catalogue", id)
	return nil
}

func TestParseRejectsUnknownFields(t *testing.T) {
	t.Parallel()
	data := bytes.Replace(RequirementsYAML, []byte("    summary:"), []byte("    sumary:"), 1)
	if _, err := Parse(data); err == nil || !strings.Contains(err.Error(), "sumary") {
		t.Errorf("Parse with a misspelt field = %v, want an error naming it", err)
	}
}

// standardPath locates the standard's text: $JR0185_STANDARD, or the shared
// copy next to the repository.
func standardPath() string {
	if p := os.Getenv("JR0185_STANDARD"); p != "" {
		return p
	}
	return filepath.Join("..", "..", "shared", "standard", "JR-T-0185-2020.txt")
}

// normalize joins the standard's lines as the catalogue does: runs of
// whitespace become one space, and spaces next to a non-ASCII character (CJK
// text and punctuation, and the ■ sub-bullet marks, which the text renders as
// spaces) are dropped.
func normalize(s string) string {
	rs := []rune(strings.Join(strings.Fields(s), " "))
	var b strings.Builder
	for i, r := range rs {
		if r == ' ' && i > 0 && i < len(rs)-1 && (rs[i-1] > 0x7f || rs[i+1] > 0x7f) {
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// TestAgainstStandard checks the catalogue against the standard's text, when
// it is available: every text and lead-in is the standard's wording, every
// title is its clause's heading, and every modal verb in clauses 6 to 12 and
// annex B lies inside some entry's text or lead-in (nothing is left out).
func TestAgainstStandard(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile(standardPath())
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("standard text not available in CI (../shared must be beside the checkout): %v", err)
		}
		t.Skipf("standard text not available (set JR0185_STANDARD): %v", err)
	}
	std := normalize(string(raw))
	c := mustLoad(t)

	covered := make([]bool, len(std))
	mark := func(s string) int {
		n := 0
		for off := 0; s != ""; {
			i := strings.Index(std[off:], s)
			if i < 0 {
				break
			}
			for j := off + i; j < off+i+len(s); j++ {
				covered[j] = true
			}
			off += i + len(s)
			n++
		}
		return n
	}
	for _, r := range c.Requirements {
		if mark(r.Text) == 0 {
			t.Errorf("%s: text is not in the standard: %q", r.ID, r.Text)
		}
		if r.LeadIn != "" && mark(r.LeadIn) == 0 {
			t.Errorf("%s: lead-in is not in the standard: %q", r.ID, r.LeadIn)
		}
		if !strings.Contains(std, r.Clause+r.Title) {
			t.Errorf("%s: %q is not the heading of clause %s", r.ID, r.Title, r.Clause)
		}
	}

	start := strings.Index(std, "6接口类型与安全级别")
	annexA := strings.Index(std, "附录A（规范性附录）")
	annexB := strings.Index(std, "附录B（规范性附录）")
	if start < 0 || annexA < start || annexB < annexA {
		t.Fatalf("cannot find clause 6 and the annexes (start %d, A %d, B %d)", start, annexA, annexB)
	}
	nonModalAt := make([]bool, len(std))
	for _, w := range []string{"应用", "相应", "对应", "响应", "反应", "适应", "供应", "应急", "应答",
		"需要", "需求", "如需", "确需", "所需", "必需"} {
		for off := 0; ; {
			i := strings.Index(std[off:], w)
			if i < 0 {
				break
			}
			for j := off + i; j < off+i+len(w); j++ {
				nonModalAt[j] = true
			}
			off += i + len(w)
		}
	}
	modal := regexp.MustCompile(`应|宜|不得|禁止|需|必须`)
	for _, span := range [][2]int{{start, annexA}, {annexB, len(std)}} {
		for _, m := range modal.FindAllStringIndex(std[span[0]:span[1]], -1) {
			p := span[0] + m[0]
			if nonModalAt[p] || covered[p] {
				continue
			}
			lo, hi := max(0, p-45), min(len(std), p+30)
			for lo > 0 && !utf8.RuneStart(std[lo]) {
				lo--
			}
			for hi < len(std) && !utf8.RuneStart(std[hi]) {
				hi++
			}
			t.Errorf("modal verb at byte %d is in no requirement: …%s…", p, std[lo:hi])
		}
	}
}
