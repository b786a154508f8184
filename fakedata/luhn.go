package fakedata

import "fmt"

// LuhnCheckDigit returns the Luhn (ISO/IEC 7812-1 annex B, "MOD 10") check digit that
// completes partial, a non-empty string of ASCII digits without the check digit.
func LuhnCheckDigit(partial string) (byte, error) {
	if partial == "" {
		return 0, fmt.Errorf("%w: empty input", ErrFormat)
	}
	for i := 0; i < len(partial); i++ {
		if partial[i] < '0' || partial[i] > '9' {
			return 0, fmt.Errorf("%w: character %d (%q) is not a digit", ErrFormat, i+1, partial[i])
		}
	}
	// The check digit will sit at the right, so the rightmost digit of partial is doubled.
	sum := luhnSum(partial, true)
	return byte('0' + (10-sum%10)%10), nil
}

// LuhnValid reports whether s is a string of at least two ASCII digits whose Luhn
// checksum is zero. Separators are not accepted: strip them first.
func LuhnValid(s string) bool {
	if len(s) < 2 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return luhnSum(s, false)%10 == 0
}

// luhnSum adds the digits of s from the right, doubling every second one; doubleFirst
// says whether the rightmost digit is doubled. s must be all digits.
func luhnSum(s string, doubleFirst bool) int {
	sum := 0
	double := doubleFirst
	for i := len(s) - 1; i >= 0; i-- {
		d := int(s[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum
}
