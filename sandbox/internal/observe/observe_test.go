package observe

import (
	"fmt"
	"sync"
	"testing"
)

func TestAnUnobservedAppListsNothingWithLastZero(t *testing.T) {
	s := New(Options{})
	got, last := s.List("APP", 0, 0)
	if got == nil || len(got) != 0 || last != 0 {
		t.Fatalf("got %v last %d", got, last)
	}
}

func TestObservationsComeBackInOrderAfterTheGivenSeq(t *testing.T) {
	s := New(Options{})
	for i := 0; i < 5; i++ {
		s.Record("A", Observation{Path: fmt.Sprint(i)})
		s.Record("B", Observation{Path: fmt.Sprint(i)})
	}
	got, last := s.List("A", 0, 0)
	if len(got) != 5 || got[0].Seq != 1 || got[4].Seq != 9 || last != 9 {
		t.Fatalf("got %+v last %d", got, last)
	}
	got, last = s.List("A", 5, 0)
	if len(got) != 2 || got[0].Seq != 7 || last != 9 {
		t.Fatalf("after 5: %+v last %d", got, last)
	}
	got, last = s.List("A", 9, 0)
	if len(got) != 0 || last != 9 {
		t.Fatalf("after 9: %+v last %d", got, last)
	}
	if got == nil {
		t.Fatal("an empty result must be a non-nil slice (JSON [])")
	}
	if o, _ := s.List("B", 0, 1); o[0].Time.IsZero() || o[0].Time.Location().String() != "UTC" {
		t.Fatalf("time not set in UTC: %v", o[0].Time)
	}
}

func TestLimitPagesAndLastPointsAtTheLastReturned(t *testing.T) {
	s := New(Options{})
	for i := 0; i < 10; i++ {
		s.Record("A", Observation{})
	}
	got, last := s.List("A", 0, 3)
	if len(got) != 3 || last != 3 {
		t.Fatalf("got %d last %d", len(got), last)
	}
	got, last = s.List("A", last, 100000)
	if len(got) != 7 || last != 10 {
		t.Fatalf("second page: %d last %d", len(got), last)
	}
}

func TestTheRingKeepsOnlyTheNewestPerApp(t *testing.T) {
	s := New(Options{PerApp: 4})
	for i := 0; i < 10; i++ {
		s.Record("A", Observation{})
	}
	got, last := s.List("A", 0, 0)
	if len(got) != 4 || got[0].Seq != 7 || got[3].Seq != 10 || last != 10 {
		t.Fatalf("got %+v", got)
	}
	got, _ = s.List("A", 8, 0)
	if len(got) != 2 || got[0].Seq != 9 {
		t.Fatalf("after 8 in a wrapped ring: %+v", got)
	}
}

func TestTheLeastRecentlyObservedAppIsDropped(t *testing.T) {
	s := New(Options{MaxApps: 2})
	s.Record("A", Observation{})
	s.Record("B", Observation{})
	s.Record("A", Observation{}) // A is now the most recent
	s.Record("C", Observation{}) // B goes
	if got, _ := s.List("B", 0, 0); len(got) != 0 {
		t.Fatalf("B kept: %v", got)
	}
	if got, _ := s.List("A", 0, 0); len(got) != 2 {
		t.Fatalf("A lost: %v", got)
	}
	if s.Apps() != 2 {
		t.Fatalf("apps %d", s.Apps())
	}
}

func TestNoAppIDOrNilStoreRecordsNothing(t *testing.T) {
	s := New(Options{})
	if s.Record("", Observation{}) != 0 || s.Apps() != 0 {
		t.Fatal("recorded an unattributed call")
	}
	var nilStore *Store
	if nilStore.Record("A", Observation{}) != 0 || nilStore.RecordHandshake(Handshake{}) != 0 {
		t.Fatal("nil store recorded")
	}
}

func TestHandshakesShareTheSequence(t *testing.T) {
	s := New(Options{Handshakes: 2})
	s.Record("A", Observation{})
	s.RecordHandshake(Handshake{Offered: "TLS 1.1"})
	s.RecordHandshake(Handshake{Offered: "TLS 1.0"})
	s.RecordHandshake(Handshake{Offered: "TLS 1.1"})
	got, last := s.Handshakes(0, 0)
	if len(got) != 2 || got[0].Seq != 3 || last != 4 {
		t.Fatalf("got %+v last %d", got, last)
	}
}

func TestConcurrentRecordsGetUniqueSequenceNumbers(t *testing.T) {
	s := New(Options{PerApp: 100000, MaxApps: 3})
	const workers, each = 8, 500
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				s.Record(fmt.Sprint("APP", w%4), Observation{})
				if i%50 == 0 {
					s.List(fmt.Sprint("APP", w%4), 0, 10)
					s.RecordHandshake(Handshake{})
				}
			}
		}(w)
	}
	wg.Wait()
	seen := map[int64]bool{}
	total := 0
	for a := 0; a < 4; a++ {
		got, _ := s.List(fmt.Sprint("APP", a), 0, MaxLimit)
		for _, o := range got {
			if seen[o.Seq] {
				t.Fatalf("seq %d twice", o.Seq)
			}
			seen[o.Seq] = true
		}
		total += len(got)
	}
	if s.Apps() > 3 || total == 0 {
		t.Fatalf("apps %d total %d", s.Apps(), total)
	}
}
