package report

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Property is one name/value pair of a JUnit <properties> element.
type Property struct {
	Name, Value string
}

// JUnitProperties are the report's outcome, selection, scope and suite version as
// JUnit properties, so a CI system that shows only the JUnit file shows them too.
func (r *Report) JUnitProperties() []Property {
	v := r.SuiteVersion
	return []Property{
		{"jr0185.outcome", r.Outcome},
		{"jr0185.verdict", r.Verdict},
		{"jr0185.headline", r.Headline},
		{"jr0185.complete", strconv.FormatBool(r.Scope.Complete)},
		{"jr0185.scope", fmt.Sprintf("%d of %d automated requirements in scope judged", r.Scope.Judged, r.Scope.Automated)},
		{"jr0185.selection.suite", r.Selection.Suite},
		{"jr0185.selection.tags", r.Selection.Tags},
		{"jr0185.selection.paths", strings.Join(r.Selection.Paths, ",")},
		{"jr0185.suite_version.module", v.Module},
		{"jr0185.suite_version.version", v.Version},
		{"jr0185.suite_version.revision", v.Revision},
		{"jr0185.suite_version.modified", v.Modified},
		{"jr0185.suite_version.source", v.Source},
	}
}

// AnnotateJUnit returns the JUnit XML document doc with props as a <properties>
// element, the first child of every <testsuite> (where the JUnit schema keeps
// them). Everything else of the document is kept as it is.
func AnnotateJUnit(doc []byte, props []Property) ([]byte, error) {
	dec := xml.NewDecoder(bytes.NewReader(doc))
	var out bytes.Buffer
	enc := xml.NewEncoder(&out)
	suites := 0
	for {
		tok, err := dec.Token() // checks that elements nest and close
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("report: JUnit XML: %w", err)
		}
		if err := enc.EncodeToken(xml.CopyToken(tok)); err != nil {
			return nil, fmt.Errorf("report: JUnit XML: %w", err)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "testsuite" {
			suites++
			if err := encodeProperties(enc, props); err != nil {
				return nil, err
			}
		}
	}
	if err := enc.Flush(); err != nil {
		return nil, fmt.Errorf("report: JUnit XML: %w", err)
	}
	if suites == 0 {
		return nil, errors.New("report: JUnit XML: no <testsuite> to annotate")
	}
	if !bytes.HasSuffix(out.Bytes(), []byte("\n")) {
		out.WriteByte('\n')
	}
	return out.Bytes(), nil
}

// encodeProperties writes props as an indented <properties> element.
func encodeProperties(enc *xml.Encoder, props []Property) error {
	start := xml.StartElement{Name: xml.Name{Local: "properties"}}
	toks := []xml.Token{xml.CharData("\n    "), start}
	for _, p := range props {
		el := xml.StartElement{Name: xml.Name{Local: "property"},
			Attr: []xml.Attr{{Name: xml.Name{Local: "name"}, Value: p.Name}, {Name: xml.Name{Local: "value"}, Value: p.Value}}}
		toks = append(toks, xml.CharData("\n      "), el, el.End())
	}
	toks = append(toks, xml.CharData("\n    "), start.End())
	for _, t := range toks {
		if err := enc.EncodeToken(t); err != nil {
			return fmt.Errorf("report: JUnit XML: %w", err)
		}
	}
	return nil
}
