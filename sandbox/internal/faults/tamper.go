package faults

import "encoding/base64"

// MangleBody returns a copy of a JSON body with one digit changed (+1 mod 10): the
// first digit of the first number, or the first digit inside a string value (object
// keys and \-escapes are skipped), whichever comes first. The JSON stays valid: a
// leading 9 followed by more digits becomes 1, not 0. ok is false when the body has no
// such digit (it is returned unchanged).
func MangleBody(body []byte) (out []byte, ok bool) {
	i, number := tamperIndex(body)
	if i < 0 {
		return body, false
	}
	out = append([]byte(nil), body...)
	d := out[i] - '0'
	next := (d + 1) % 10
	if next == 0 && number && i+1 < len(body) && isDigit(body[i+1]) {
		next = 1
	}
	out[i] = '0' + next
	return out, true
}

// tamperIndex finds the digit MangleBody changes (-1 if none) and says whether it is
// the first digit of a number.
func tamperIndex(b []byte) (int, bool) {
	var stack []byte // '{' or '['
	expectKey := false
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case c == '"':
			isKey := expectKey && len(stack) > 0 && stack[len(stack)-1] == '{'
			j := i + 1
			for ; j < len(b) && b[j] != '"'; j++ {
				if b[j] == '\\' {
					j++ // skip the escaped byte (\uXXXX digits are hex; skipped below)
					if j < len(b) && b[j] == 'u' {
						j += 4
					}
					continue
				}
				if !isKey && isDigit(b[j]) {
					return j, false
				}
			}
			if isKey {
				expectKey = false
			}
			i = j
		case c == '-' || isDigit(c):
			for ; i < len(b) && !isDigit(b[i]); i++ {
			}
			if i < len(b) {
				return i, true
			}
			return -1, false
		case c == '{':
			stack = append(stack, c)
			expectKey = true
		case c == '[':
			stack = append(stack, c)
		case c == '}' || c == ']':
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		case c == ',':
			expectKey = len(stack) > 0 && stack[len(stack)-1] == '{'
		case c == ':':
			expectKey = false
		}
	}
	return -1, false
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// FlipSignatureBit flips the lowest bit of the last byte of a base64 signature and
// re-encodes it; a value that is not base64 gets one character changed instead.
func FlipSignatureBit(sig string) string {
	raw, err := base64.StdEncoding.DecodeString(sig)
	if err != nil || len(raw) == 0 {
		if sig == "" {
			return "AA=="
		}
		b := []byte(sig)
		b[0] ^= 1
		return string(b)
	}
	raw[len(raw)-1] ^= 1
	return base64.StdEncoding.EncodeToString(raw)
}
