package pii

// Redact returns text with every card number, resident ID and mobile number masked
// (JR/T 0185-2020 7.3.3: a log may hold a payment account only partly masked, and no
// other personal financial information). Text without any is returned unchanged and,
// unless it has a run of more than 16 space-separated numbers, without allocating.
//
// Redact looks at runs of ASCII digits ("groups") joined into a chunk by single spaces
// or dashes ("6222 0212 3456 7890"). A group is never split, so a number inside a
// longer run of digits is left alone. Starting at each group, the first rule that
// matches wins, and matching resumes after it:
//
//   - resident ID: 18 characters, 17 digits then a digit or X/x, as one group or
//     grouped 6-8-4, whose first digit is 1-8 and whose characters 7-14 look like a
//     birth date (19xx or 20xx, month 01-12, day 01-31). The check character is not
//     verified. Masked as 110105********002X.
//   - mobile number: 11 digits starting 13-19, as one group or grouped 3-4-4 or 3-8,
//     also as one group behind 86 or 0086 ("8613812345678"). Masked as 138****5678.
//   - card number: Luhn-valid, either one group of 16-19 digits, or one group of 13-15
//     digits starting 2-9, or grouped in fours with a shorter last group (4-4-4-4,
//     4-4-4-4-3, 4-4-4-1 ...) or 4-6-5, 13-19 digits in all. The longest match wins.
//     Masked as 6222 **** **** 1234.
//
// The rules lean towards masking: an 18-digit order number that looks like a birth
// date, or a Luhn-valid 16-19-digit nanosecond timestamp, is masked too. Full-width
// digits are not recognised.
func Redact(text string) string {
	var out []byte // nil until the first match
	copied := 0    // text[:copied] is already in out
	var stack [16]group
	for i := 0; i < len(text); {
		if !isDigit(text[i]) {
			i++
			continue
		}
		// Gather the chunk starting at i.
		gs := stack[:0]
		j := i
		for {
			start := j
			for j < len(text) && isDigit(text[j]) {
				j++
			}
			gs = append(gs, group{start, j})
			if j+1 < len(text) && isSep(text[j]) && isDigit(text[j+1]) {
				j++
				continue
			}
			break
		}
		trailingX := j < len(text) && (text[j] == 'X' || text[j] == 'x')
		for k := 0; k < len(gs); {
			m := matchAt(text, gs[k:], trailingX)
			if m.groups == 0 {
				k++
				continue
			}
			end := gs[k+m.groups-1].end
			if m.withX {
				end++
			}
			if out == nil {
				out = make([]byte, 0, len(text)+16)
			}
			out = append(out, text[copied:gs[k].start]...)
			out = append(out, m.replacement...)
			copied = end
			k += m.groups
		}
		i = j
		if trailingX {
			i++
		}
	}
	if out == nil {
		return text
	}
	return string(append(out, text[copied:]...))
}

// group is text[start:end], a maximal run of ASCII digits.
type group struct{ start, end int }

func (g group) len() int { return g.end - g.start }

// match is a masked value covering the first groups groups (and the trailing X).
type match struct {
	groups      int
	withX       bool
	replacement string
}

// matchAt applies the rules of Redact to the chunk's groups from gs[0]. trailingX says
// an X or x follows the chunk's last group, which is gs[len(gs)-1].
func matchAt(text string, gs []group, trailingX bool) match {
	var buf [20]byte
	lens := func(want ...int) bool {
		if len(gs) < len(want) {
			return false
		}
		for i, w := range want {
			if gs[i].len() != w {
				return false
			}
		}
		return true
	}
	digits := func(n int) []byte { // digits of the first n groups
		d := buf[:0]
		for _, g := range gs[:n] {
			d = append(d, text[g.start:g.end]...)
		}
		return d
	}
	xAfter := func(n int) bool { return trailingX && n == len(gs) }

	// Resident ID.
	for _, shape := range idShapes {
		if lens(shape...) {
			if d := digits(len(shape)); looksLikeID(d) {
				return match{len(shape), false, maskID18(string(d))}
			}
		}
	}
	for _, shape := range idShapesX {
		if lens(shape...) && xAfter(len(shape)) {
			last := gs[len(shape)-1]
			if d := append(digits(len(shape)), text[last.end]); looksLikeID(d) {
				return match{len(shape), true, maskID18(string(d))}
			}
		}
	}

	// Mobile number.
	for _, shape := range mobileShapes {
		if lens(shape...) {
			if d := digits(len(shape)); isMobile(d) {
				return match{len(shape), false, maskMobileDigits(d)}
			}
		}
	}
	if lens(13) {
		if d := digits(1); string(d[:2]) == "86" && isMobile(d[2:]) {
			return match{1, false, "86" + maskMobileDigits(d[2:])}
		}
	}
	if lens(15) {
		if d := digits(1); string(d[:4]) == "0086" && isMobile(d[4:]) {
			return match{1, false, "0086" + maskMobileDigits(d[4:])}
		}
	}

	// Card number, one group.
	if n := gs[0].len(); n >= 13 && n <= 19 {
		d := digits(1)
		if (n >= 16 || d[0] >= '2') && luhnValid(d) {
			return match{1, false, maskCardDigits(d)}
		}
		return match{}
	}
	// Card number, grouped: longest first.
	for _, shape := range cardShapes {
		if lens(shape...) {
			if d := digits(len(shape)); luhnValid(d) {
				return match{len(shape), false, maskCardDigits(d)}
			}
		}
	}
	return match{}
}

// Group layouts of the values Redact recognises.
var (
	idShapes     = [][]int{{18}, {6, 8, 4}}
	idShapesX    = [][]int{{17}, {6, 8, 3}} // followed by X or x
	mobileShapes = [][]int{{11}, {3, 4, 4}, {3, 8}}
)

// cardShapes are the grouped card layouts, longest first.
var cardShapes = func() [][]int {
	var s [][]int
	for last := 3; last >= 1; last-- {
		s = append(s, []int{4, 4, 4, 4, last})
	}
	s = append(s, []int{4, 4, 4, 4})
	s = append(s, []int{4, 6, 5})
	for last := 3; last >= 1; last-- {
		s = append(s, []int{4, 4, 4, last})
	}
	return s
}()

// isMobile: 11 digits starting 13-19.
func isMobile(d []byte) bool {
	return len(d) == 11 && d[0] == '1' && d[1] >= '3'
}

// looksLikeID: 18 characters, a region code starting 1-8 and a plausible birth date in
// characters 7-14.
func looksLikeID(d []byte) bool {
	if len(d) != 18 || d[0] < '1' || d[0] > '8' {
		return false
	}
	century := string(d[6:8])
	month := int(d[10]-'0')*10 + int(d[11]-'0')
	day := int(d[12]-'0')*10 + int(d[13]-'0')
	return (century == "19" || century == "20") && month >= 1 && month <= 12 && day >= 1 && day <= 31
}
