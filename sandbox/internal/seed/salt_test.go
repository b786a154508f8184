package seed

import (
	"testing"

	"github.com/jr0185/harness/fakedata"
	"github.com/jr0185/harness/sandbox/internal/passwords"
)

// TestEveryCustomerHasASaltOfTheirOwn: customers sharing the documented test password
// get different hashes (issue 14 item 7: one salt and hash for every seeded customer),
// and each hash still checks.
func TestEveryCustomerHasASaltOfTheirOwn(t *testing.T) {
	t.Parallel()
	ds := fakedata.Generate(7, fakedata.Size{Customers: 8, Products: 4})
	hashes, err := hashPasswords(ds)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{}
	for _, c := range ds.Customers {
		h := hashes[c.ID]
		if !passwords.Check(c.Password, h) {
			t.Errorf("%s: the stored hash does not check against the password", c.ID)
		}
		if other, dup := seen[h]; dup {
			t.Errorf("%s and %s share one hash (and salt)", c.ID, other)
		}
		seen[h] = c.ID
	}
	if len(seen) != len(ds.Customers) {
		t.Fatalf("%d distinct hashes for %d customers", len(seen), len(ds.Customers))
	}
}
