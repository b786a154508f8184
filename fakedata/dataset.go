package fakedata

import (
	"fmt"
	"time"
)

// TestPassword is the login password of every generated customer.
const TestPassword = "Sandbox#2020"

// ReferenceTime is "now" for generated data: account opening dates, transaction times
// and ages are all before it. It is fixed so output does not depend on the clock;
// treat it as a constant.
var ReferenceTime = time.Date(2026, 1, 1, 0, 0, 0, 0, chinaTime)

// Size says how much data Generate produces.
type Size struct {
	Customers int // including the three fixed test users
	Products  int
}

// DefaultSize is what the sandbox seeds when nothing else is configured.
var DefaultSize = Size{Customers: 50, Products: 40}

// Streams of the seed: customers and products draw from independent generators so
// that changing one count does not change the other's data.
const (
	streamCustomers uint64 = 1
	streamProducts  uint64 = 2
)

// Generate returns the dataset for seed: size.Customers customers (the first three are
// the fixed test users, see the package documentation) and size.Products products.
// The same seed and size always give the same dataset, byte for byte once encoded;
// a smaller size gives a prefix of a larger one. Negative counts are treated as zero.
func Generate(seed int64, size Size) Dataset {
	ds := Dataset{Seed: seed, Customers: []Customer{}, Products: []Product{}}
	b := newBuilder(New(subSeed(seed, streamCustomers)))
	for i := 0; i < size.Customers; i++ {
		ds.Customers = append(ds.Customers, b.customer(i))
	}
	p := New(subSeed(seed, streamProducts))
	for i := 0; i < size.Products; i++ {
		ds.Products = append(ds.Products, p.product(i))
	}
	return ds
}

// subSeed derives the seed of one stream (SplitMix64 finaliser over seed and stream).
func subSeed(seed int64, stream uint64) int64 {
	z := uint64(seed) + stream*0x9E3779B97F4A7C15 // #nosec G115 -- seed bits reinterpreted for the PRNG, not arithmetic
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return int64(z ^ (z >> 31)) // #nosec G115 -- seed bits reinterpreted for the PRNG, not arithmetic
}

// builder generates customers in order and keeps generated identifiers unique.
type builder struct {
	g       *Generator
	cards   map[string]bool
	ids     map[string]bool
	mobiles map[string]bool
	nextTxn int
}

func newBuilder(g *Generator) *builder {
	return &builder{g: g, cards: map[string]bool{}, ids: map[string]bool{}, mobiles: map[string]bool{}}
}

// customer builds customer number i (0-based).
func (b *builder) customer(i int) Customer {
	g := b.g
	c := Customer{ID: fmt.Sprintf("CUST%06d", i+1), Password: TestPassword}
	var plans []accountPlan
	var male bool
	if i < len(fixedUsers) {
		u := fixedUsers[i]
		c.Username, c.Name, male, plans = u.username, u.name, u.male, u.accounts
	} else {
		male = g.Male()
		c.Username = fmt.Sprintf("user%04d", i+1)
		c.Name = g.ChineseNameFor(male)
		plans = b.randomPlans()
	}
	birth := g.BirthDate(ReferenceTime, 20, 75)
	c.ResidentID = b.unique(b.ids, func() string { return g.ResidentID(birth, male) })
	c.Mobile = b.unique(b.mobiles, g.Mobile)
	c.Accounts = []Account{}
	for _, p := range plans {
		c.Accounts = append(c.Accounts, b.account(c.ID, p))
	}
	return c
}

// unique calls gen until it returns a value not yet in seen, and records it.
func (b *builder) unique(seen map[string]bool, gen func() string) string {
	for {
		v := gen()
		if !seen[v] {
			seen[v] = true
			return v
		}
	}
}

func (b *builder) txnID() string {
	b.nextTxn++
	return fmt.Sprintf("TXN%010d", b.nextTxn)
}
