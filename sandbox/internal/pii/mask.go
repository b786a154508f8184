package pii

import (
	"strings"
	"unicode/utf8"
)

// Masked replaces input that cannot be masked partially: too short, or not the shape
// of what the caller said it was. It gives away neither content nor length.
const Masked = "****"

// Lengths accepted by MaskCard: ISO/IEC 7812 card numbers are up to 19 digits; mainland
// bank account numbers (not cards) run to 25.
const (
	minCardDigits = 13
	maxCardDigits = 25
)

// MaskCard masks a card or bank account number for display or logging
// (JR/T 0185-2020 7.2.2, 7.3.3): the first four and last four digits around a fixed
// "**** ****", as in "6222 **** **** 1234", so the length is not revealed either. Spaces
// and dashes in the input are ignored. Anything else — other characters, or fewer than
// 13 or more than 25 digits — yields Masked.
func MaskCard(s string) string {
	var buf [maxCardDigits]byte
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isDigit(c):
			if n == len(buf) {
				return Masked
			}
			buf[n] = c
			n++
		case isSep(c):
		default:
			return Masked
		}
	}
	if n < minCardDigits {
		return Masked
	}
	return maskCardDigits(buf[:n])
}

// maskCardDigits renders d (at least 8 digits) as "dddd **** **** dddd".
func maskCardDigits(d []byte) string {
	return string(d[:4]) + " **** **** " + string(d[len(d)-4:])
}

// MaskResidentID masks a resident identity number (JR/T 0185-2020 7.2.2, 7.3.3). An
// 18-character ID (17 digits and a digit or X) keeps its six-digit region code and last
// four characters and hides the birth date: "110105********002X". A 15-digit
// first-generation ID keeps region and order code: "110105******123". Surrounding
// spaces are ignored; anything else yields Masked. The check character is not verified:
// a mistyped ID is still personal information.
func MaskResidentID(s string) string {
	s = strings.TrimSpace(s)
	switch {
	case len(s) == 18 && allDigits(s[:17]) && (isDigit(s[17]) || s[17] == 'X' || s[17] == 'x'):
		return maskID18(s)
	case len(s) == 15 && allDigits(s):
		return s[:6] + "******" + s[12:]
	}
	return Masked
}

func maskID18(s string) string { return s[:6] + "********" + s[14:] }

// MaskMobile masks a mainland mobile number (JR/T 0185-2020 7.2.2, 7.3.3): the
// three-digit segment and last four digits, "138****5678". Spaces and dashes are
// ignored, as is a "+86", "0086" or "86" country code. Anything that is not then 11
// digits starting with 1 yields Masked.
func MaskMobile(s string) string {
	var buf [16]byte
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isDigit(c):
			if n == len(buf) {
				return Masked
			}
			buf[n] = c
			n++
		case isSep(c):
		case c == '+' && n == 0:
		default:
			return Masked
		}
	}
	d := buf[:n]
	switch {
	case n == 15 && string(d[:4]) == "0086":
		d = d[4:]
	case n == 13 && string(d[:2]) == "86":
		d = d[2:]
	}
	if len(d) != 11 || d[0] != '1' {
		return Masked
	}
	return maskMobileDigits(d)
}

func maskMobileDigits(d []byte) string { return string(d[:3]) + "****" + string(d[7:]) }

// compoundSurnames are two-character surnames (复姓) kept whole by MaskName.
var compoundSurnames = []string{
	"欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐",
	"长孙", "宇文", "司徒", "夏侯", "轩辕", "端木", "独孤", "南宫", "西门", "百里",
}

// MaskName masks a person's name (JR/T 0185-2020 7.2.2): the first character is kept
// and every other character becomes "*", so "张三" is "张*" and "张小明" "张**". A
// compound surname is kept whole when something follows it: "欧阳娜娜" is "欧阳**". A
// one-character name becomes "*"; surrounding spaces are dropped and "" stays "".
func MaskName(s string) string {
	s = strings.TrimSpace(s)
	n := utf8.RuneCountInString(s)
	if n == 0 {
		return ""
	}
	if n == 1 {
		return "*"
	}
	keep := 1
	if n > 2 {
		for _, c := range compoundSurnames {
			if strings.HasPrefix(s, c) {
				keep = 2
				break
			}
		}
	}
	cut := 0
	for range keep {
		r, size := utf8.DecodeRuneInString(s[cut:])
		if r == utf8.RuneError {
			return strings.Repeat("*", n) // not text: keep nothing
		}
		cut += size
	}
	return s[:cut] + strings.Repeat("*", n-keep)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}
