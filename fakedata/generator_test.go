package fakedata

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestGeneratedValuesValidate(t *testing.T) {
	t.Parallel()
	g := New(7)
	for i := 0; i < 2000; i++ {
		male := g.Male()
		birth := g.BirthDate(ReferenceTime, 0, 120)
		id := g.ResidentID(birth, male)
		if err := ValidateResidentIDAt(id, ReferenceTime); err != nil {
			t.Fatalf("generated ID %s (born %s) invalid: %v", id, birth.Format(time.DateOnly), err)
		}
		if IsMale(id) != male {
			t.Fatalf("ID %s: order code parity does not encode male=%v", id, male)
		}
		if got, _ := BirthDateOf(id); !got.Equal(birth) {
			t.Fatalf("ID %s: birth date %v, want %v", id, got, birth)
		}
		if m := g.Mobile(); ValidateMobile(m) != nil {
			t.Fatalf("generated mobile %s invalid: %v", m, ValidateMobile(m))
		}
		for _, kind := range []CardKind{Debit, Credit} {
			card := g.CardNumber(kind)
			b, ok := BankOf(card)
			if !LuhnValid(card) || !ok || b.Kind != kind || len(card) != b.Length {
				t.Fatalf("generated %v card %s: luhn=%v bin=%+v ok=%v", kind, card, LuhnValid(card), b, ok)
			}
		}
	}
}

func TestCardNumberOnEveryBIN(t *testing.T) {
	t.Parallel()
	g := New(11)
	for _, b := range BINs() {
		card := g.CardNumberOn(b)
		if !strings.HasPrefix(card, b.Prefix) || len(card) != b.Length || !LuhnValid(card) {
			t.Errorf("CardNumberOn(%s) = %s", b.Prefix, card)
		}
	}
}

func TestChineseName(t *testing.T) {
	t.Parallel()
	g := New(3)
	surnameSet := map[string]bool{}
	for _, s := range surnames {
		surnameSet[s.name] = true
	}
	counts := map[string]int{}
	for i := 0; i < 5000; i++ {
		name := g.ChineseName()
		n := utf8.RuneCountInString(name)
		if n < 2 || n > 4 {
			t.Fatalf("name %q has %d characters", name, n)
		}
		sur := string([]rune(name)[:1])
		if !surnameSet[sur] {
			sur = string([]rune(name)[:2]) // compound surname
		}
		if !surnameSet[sur] {
			t.Fatalf("name %q does not start with a table surname", name)
		}
		counts[sur]++
	}
	// Weighted: 王 (7.25%) must be far more common than 汤 (0.20%).
	if counts["王"] < 5*counts["汤"] || counts["王"] < 100 {
		t.Fatalf("surnames not weighted: 王=%d 汤=%d", counts["王"], counts["汤"])
	}
}

func TestSameSeedSameSequence(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		seed int64
	}{
		{"deterministic/seed 1", 1},
		{"deterministic/seed 0 is not random", 0},
		{"deterministic/negative seed", -42},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a, b := New(tc.seed), New(tc.seed)
			for i := 0; i < 50; i++ {
				x := a.ChineseName() + a.Mobile() + a.CardNumber(Debit) + a.ResidentID(ReferenceTime.AddDate(-30, 0, 0), true)
				y := b.ChineseName() + b.Mobile() + b.CardNumber(Debit) + b.ResidentID(ReferenceTime.AddDate(-30, 0, 0), true)
				if x != y {
					t.Fatalf("draw %d differs: %s vs %s", i, x, y)
				}
			}
		})
	}
	if New(1).Mobile() == New(2).Mobile() && New(1).Mobile() == New(3).Mobile() {
		t.Fatalf("different seeds give the same numbers")
	}
}

func TestBirthDateRange(t *testing.T) {
	t.Parallel()
	g := New(5)
	for i := 0; i < 1000; i++ {
		b := g.BirthDate(ReferenceTime, 18, 65)
		age := ReferenceTime.Year() - b.Year()
		if ReferenceTime.YearDay() < b.YearDay() {
			age--
		}
		if age < 18 || age > 65 {
			t.Fatalf("birth %v gives age %d, want 18-65", b, age)
		}
	}
}
