// Package money converts between the wire form of amounts (decimal strings in yuan,
// e.g. "10.00") and the integer fen the bank computes with. Floating point never
// touches money.
package money

import (
	"errors"
	"strconv"
	"strings"
)

// MaxFen bounds accepted amounts (one trillion yuan) so sums cannot overflow int64.
const MaxFen = 100_000_000_000_000

// Format renders fen as a yuan decimal string with two places ("-12.30").
func Format(fen int64) string {
	sign := ""
	u := uint64(fen) // #nosec G115 -- two's-complement magnitude of a negative amount; MaxFen keeps it far from MinInt64
	if fen < 0 {
		sign, u = "-", uint64(-fen)
	}
	return sign + strconv.FormatUint(u/100, 10) + "." + pad2(u%100)
}

func pad2(n uint64) string {
	if n < 10 {
		return "0" + strconv.FormatUint(n, 10)
	}
	return strconv.FormatUint(n, 10)
}

// ErrAmount is returned for anything that is not a positive amount of at most two
// decimal places within MaxFen.
var ErrAmount = errors.New(`amount must be a positive decimal string in yuan with at most two decimal places, e.g. "10.00"`)

// Parse reads a positive yuan amount ("10", "10.5", "10.50") into fen. Signs, exponents,
// spaces, thousands separators and more than two decimals are refused.
func Parse(s string) (int64, error) {
	if s == "" || len(s) > 20 {
		return 0, ErrAmount
	}
	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" || (hasDot && (frac == "" || len(frac) > 2)) || (len(whole) > 1 && whole[0] == '0') {
		return 0, ErrAmount
	}
	for _, part := range []string{whole, frac} {
		for i := 0; i < len(part); i++ {
			if part[i] < '0' || part[i] > '9' {
				return 0, ErrAmount
			}
		}
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w > MaxFen/100 {
		return 0, ErrAmount
	}
	for len(frac) < 2 {
		frac += "0"
	}
	f, _ := strconv.ParseInt(frac, 10, 64)
	fen := w*100 + f
	if fen <= 0 || fen > MaxFen {
		return 0, ErrAmount
	}
	return fen, nil
}
