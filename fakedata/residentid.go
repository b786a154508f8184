package fakedata

import (
	"fmt"
	"time"
)

// GB 11643-1999 4.1: an 18-character citizen identity number is a six-digit address
// code, an eight-digit birth date (YYYYMMDD), a three-digit order code (odd for men,
// even for women) and one check character.

// residentIDWeights are the MOD 11-2 weights W(i) = 2^(i-1) mod 11 for positions 18..2
// (GB 11643-1999 5.2, ISO 7064:1983 MOD 11-2).
var residentIDWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// residentIDCheckChars maps the weighted sum mod 11 to the check character
// (GB 11643-1999 5.2: "X" stands for ten).
const residentIDCheckChars = "10X98765432"

// earliestBirth is the oldest birth date ValidateResidentID accepts.
var earliestBirth = time.Date(1900, 1, 1, 0, 0, 0, 0, chinaTime)

// ResidentIDCheckChar returns the GB 11643-1999 MOD 11-2 check character ('0'-'9' or
// 'X') for the first 17 characters of a resident ID, which must be ASCII digits.
func ResidentIDCheckChar(first17 string) (byte, error) {
	if len(first17) != 17 {
		return 0, fmt.Errorf("%w: resident ID body must be 17 digits, got %d characters", ErrFormat, len(first17))
	}
	sum := 0
	for i := 0; i < 17; i++ {
		c := first17[i]
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%w: resident ID character %d (%q) is not a digit", ErrFormat, i+1, c)
		}
		sum += int(c-'0') * residentIDWeights[i]
	}
	return residentIDCheckChars[sum%11], nil
}

// ValidateResidentID checks an 18-character resident identity number (GB 11643-1999)
// against today's date in China Standard Time. See ValidateResidentIDAt.
func ValidateResidentID(s string) error {
	return ValidateResidentIDAt(s, time.Now())
}

// ValidateResidentIDAt checks s as an 18-character resident identity number, as of now:
// length and characters, an address code in the embedded table (Regions), a birth date
// that is a real calendar date between 1900-01-01 and now (China Standard Time), and the
// MOD 11-2 check character. The check character must be an uppercase "X" when it is ten,
// as GB 11643-1999 writes it. Errors wrap ErrFormat, ErrRegion, ErrBirthDate or
// ErrCheckChar and say which part is wrong; the number itself is never echoed
// (JR/T 0185-2020 7.3.3: an error message can end up in a log).
func ValidateResidentIDAt(s string, now time.Time) error {
	if len(s) != 18 {
		return fmt.Errorf("%w: resident ID must be 18 characters, got %d", ErrFormat, len(s))
	}
	for i := 0; i < 17; i++ {
		if s[i] < '0' || s[i] > '9' {
			return fmt.Errorf("%w: resident ID character %d must be a digit", ErrFormat, i+1)
		}
	}
	if c := s[17]; !(c >= '0' && c <= '9') && c != 'X' {
		if c == 'x' {
			return fmt.Errorf("%w: resident ID check character must be an uppercase X", ErrFormat)
		}
		return fmt.Errorf("%w: resident ID character 18 must be a digit or X", ErrFormat)
	}
	if _, ok := regionByCode[s[:6]]; !ok {
		return fmt.Errorf("%w: resident ID address code (characters 1-6) is not in the region table", ErrRegion)
	}
	if err := checkBirthDate(s[6:14], now); err != nil {
		return err
	}
	want, _ := ResidentIDCheckChar(s[:17]) // the 17 digits were checked above
	if s[17] != want {
		return fmt.Errorf("%w: resident ID check character (character 18) is wrong", ErrCheckChar)
	}
	return nil
}

// BirthDateOf returns the birth date encoded in characters 7-14 of a resident ID, at
// midnight China Standard Time. It checks only that the date is a calendar date.
func BirthDateOf(id string) (time.Time, error) {
	if len(id) < 14 {
		return time.Time{}, fmt.Errorf("%w: resident ID too short for a birth date", ErrFormat)
	}
	return parseBirthDate(id[6:14])
}

// IsMale reports the sex encoded by the order code (GB 11643-1999 4.2.3: odd for men).
// id must be at least 17 characters; it is not otherwise validated.
func IsMale(id string) bool {
	return len(id) >= 17 && id[16] >= '0' && id[16] <= '9' && (id[16]-'0')%2 == 1
}

func checkBirthDate(yyyymmdd string, now time.Time) error {
	birth, err := parseBirthDate(yyyymmdd)
	if err != nil {
		return err
	}
	if birth.Before(earliestBirth) {
		return fmt.Errorf("%w: resident ID birth date (characters 7-14) is before 1900-01-01", ErrBirthDate)
	}
	n := now.In(chinaTime)
	today := time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, chinaTime)
	if birth.After(today) {
		return fmt.Errorf("%w: resident ID birth date (characters 7-14) is in the future", ErrBirthDate)
	}
	return nil
}

func parseBirthDate(yyyymmdd string) (time.Time, error) {
	for i := 0; i < len(yyyymmdd); i++ {
		if yyyymmdd[i] < '0' || yyyymmdd[i] > '9' {
			return time.Time{}, fmt.Errorf("%w: resident ID birth date (characters 7-14) must be digits", ErrFormat)
		}
	}
	y := atoi(yyyymmdd[0:4])
	m := atoi(yyyymmdd[4:6])
	d := atoi(yyyymmdd[6:8])
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, chinaTime)
	if m < 1 || m > 12 || t.Year() != y || int(t.Month()) != m || t.Day() != d {
		return time.Time{}, fmt.Errorf("%w: resident ID birth date (characters 7-14) is not a calendar date", ErrBirthDate)
	}
	return t, nil
}

// atoi converts a short string of ASCII digits already checked by the caller.
func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}
