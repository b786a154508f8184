package fakedata

import (
	"fmt"
	"time"

	"github.com/brianvoe/gofakeit/v7"
)

// zeroSeed replaces seed 0, which gofakeit.New treats as "random": New(0) and
// Generate(0, ...) are as deterministic as any other seed.
const zeroSeed uint64 = 0x0185_2020_5EED

// chinaTime is China Standard Time (UTC+8, no daylight saving), the zone of every
// generated time.
var chinaTime = time.FixedZone("CST", 8*60*60)

// Generator produces deterministic fake values: two Generators made with the same seed
// return the same sequence from the same sequence of calls. It is not safe for
// concurrent use.
type Generator struct {
	f *gofakeit.Faker
}

// New returns a Generator seeded with seed. Seed 0 is mapped to a fixed nonzero seed,
// so it is deterministic too (unlike gofakeit.New(0)).
func New(seed int64) *Generator {
	s := uint64(seed) // #nosec G115 -- seed bits reinterpreted for the PRNG, not arithmetic
	if s == 0 {
		s = zeroSeed
	}
	return &Generator{f: gofakeit.New(s)}
}

// Faker exposes the underlying gofakeit source for values not covered here. Calls on it
// advance the same stream, so they stay deterministic.
func (g *Generator) Faker() *gofakeit.Faker { return g.f }

// intn returns an int in [0, n); n must be positive.
func (g *Generator) intn(n int) int { return g.f.IntN(n) }

// between returns an int64 in [lo, hi].
func (g *Generator) between(lo, hi int64) int64 {
	if hi <= lo {
		return lo
	}
	return lo + int64(g.f.Uint64()%uint64(hi-lo+1)) // #nosec G115 -- bounded by hi-lo, which callers keep small and positive
}

// digits returns n random ASCII digits.
func (g *Generator) digits(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + g.intn(10)) // #nosec G115 -- a single decimal digit, 0-9
	}
	return string(b)
}

// Male returns a random sex, true for male.
func (g *Generator) Male() bool { return g.intn(2) == 0 }

// ChineseName returns a name of a random sex: a surname drawn by weight from a table of
// common surnames and one or two given-name characters.
func (g *Generator) ChineseName() string { return g.ChineseNameFor(g.Male()) }

// ChineseNameFor returns a name with given-name characters typical of the sex.
func (g *Generator) ChineseNameFor(male bool) string {
	r := g.intn(surnameTotal)
	sur := surnames[len(surnames)-1].name
	for _, s := range surnames {
		if r < s.weight {
			sur = s.name
			break
		}
		r -= s.weight
	}
	pool := femaleGiven
	if male {
		pool = maleGiven
	}
	given := pool[g.intn(len(pool))]
	if g.intn(10) < 7 { // two-character given names are the more common
		given += pool[g.intn(len(pool))]
	}
	return sur + given
}

// BirthDate returns a birth date (midnight, China Standard Time) for someone aged
// minAge to maxAge on the reference date ref.
func (g *Generator) BirthDate(ref time.Time, minAge, maxAge int) time.Time {
	r := ref.In(chinaTime)
	day := time.Date(r.Year(), r.Month(), r.Day(), 0, 0, 0, 0, chinaTime)
	latest := day.AddDate(-minAge, 0, 0)
	earliest := day.AddDate(-maxAge-1, 0, 1)
	days := int64(latest.Sub(earliest) / (24 * time.Hour))
	return earliest.AddDate(0, 0, int(g.between(0, days)))
}

// ResidentID returns an 18-character resident ID (GB 11643-1999) for someone born on
// birth (its calendar date is used as is) of the given sex: an address code from the
// embedded region table, the birth date, an order code whose last digit is odd for men
// and even for women, and the MOD 11-2 check character. It validates with
// ValidateResidentID whenever birth is between 1900-01-01 and today.
func (g *Generator) ResidentID(birth time.Time, male bool) string {
	region := regions[g.intn(len(regions))].Code
	var order int
	if male {
		order = 2*g.intn(500) + 1 // 001..999, odd
	} else {
		order = 2 * (g.intn(499) + 1) // 002..998, even
	}
	y, m, d := birth.Date()
	body := fmt.Sprintf("%s%04d%02d%02d%03d", region, y%10000, int(m), d, order)
	check, _ := ResidentIDCheckChar(body) // body is 17 digits by construction
	return body + string(check)
}

// Mobile returns an 11-digit mobile number on a China Mobile, China Unicom or China
// Telecom segment.
func (g *Generator) Mobile() string {
	return generatedMobilePrefixes[g.intn(len(generatedMobilePrefixes))] + g.digits(8)
}

// CardNumber returns a Luhn-valid card number on a real BIN of the given kind, of the
// BIN's length (16 or 19 digits). An unknown kind is treated as Debit.
func (g *Generator) CardNumber(kind CardKind) string {
	pool := binsByKind[kind]
	if len(pool) == 0 {
		pool = binsByKind[Debit]
	}
	return g.CardNumberOn(pool[g.intn(len(pool))])
}

// CardNumberOn returns a Luhn-valid card number on bin, of bin.Length digits.
func (g *Generator) CardNumberOn(bin BIN) string {
	n := bin.Length
	if n <= len(bin.Prefix) {
		n = len(bin.Prefix) + 2
	}
	partial := bin.Prefix + g.digits(n-len(bin.Prefix)-1)
	check, _ := LuhnCheckDigit(partial) // all digits by construction
	return partial + string(check)
}
