package fakedata

import "errors"

// Validation errors. Every error returned by the validators wraps exactly one of these,
// so callers can branch with errors.Is and still show the descriptive message.
var (
	// ErrFormat: wrong length or a character that is not allowed at that position.
	ErrFormat = errors.New("malformed")
	// ErrRegion: the resident ID's first six digits are not a known administrative
	// division code (GB/T 2260).
	ErrRegion = errors.New("unknown administrative division code")
	// ErrBirthDate: the resident ID's birth date is not a calendar date, is before
	// 1900-01-01 or is in the future.
	ErrBirthDate = errors.New("invalid birth date")
	// ErrCheckChar: the resident ID's check character does not match GB 11643-1999 MOD 11-2.
	ErrCheckChar = errors.New("check character mismatch")
	// ErrPrefix: the mobile number's first three digits are not an allocated mainland
	// mobile prefix.
	ErrPrefix = errors.New("unknown mobile prefix")
)
