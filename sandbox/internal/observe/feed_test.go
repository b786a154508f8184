package observe

import (
	"testing"
	"time"
)

func TestFeedGivesBacklogThenLiveEventsWithoutGap(t *testing.T) {
	s := New(Options{})
	s.Record("APP1", Observation{Path: "/a"})
	s.RecordHandshake(Handshake{Offered: "TLS 1.0"})
	backlog, sub, ok := s.Subscribe(1)
	if !ok {
		t.Fatal("subscription refused")
	}
	defer sub.Cancel()
	if len(backlog) != 1 || backlog[0].Handshake == nil || backlog[0].Seq != 2 {
		t.Fatalf("backlog after seq 1 = %+v, want the handshake (seq 2) only", backlog)
	}
	s.Record("APP2", Observation{Path: "/b"})
	select {
	case e := <-sub.C:
		if e.AppID != "APP2" || e.Observation == nil || e.Observation.Path != "/b" || e.Seq != 3 {
			t.Fatalf("live event = %+v", e)
		}
	case <-time.After(time.Second):
		t.Fatal("no live event")
	}
}

func TestFeedDropsASlowSubscriberAndNeverBlocksRecord(t *testing.T) {
	s := New(Options{})
	_, slow, _ := s.Subscribe(0)
	_, fast, _ := s.Subscribe(0)
	finished := make(chan struct{})
	go func() { // the fast subscriber reads every event as it comes
		defer close(finished)
		for i := 0; i < FeedBuffer*3; i++ {
			s.Record("APP1", Observation{})
			<-fast.C
		}
	}()
	select {
	case <-finished:
	case <-time.After(5 * time.Second):
		t.Fatal("Record blocked on a subscriber that does not read")
	}
	n := 0
	for range slow.C { // closed after FeedBuffer events
		n++
	}
	if n != FeedBuffer || !slow.Dropped() {
		t.Fatalf("slow subscriber got %d events, dropped=%v; want %d then dropped", n, slow.Dropped(), FeedBuffer)
	}
	if s.Subscribers() != 1 {
		t.Fatalf("subscribers = %d, want 1 (the reader)", s.Subscribers())
	}
	fast.Cancel()
	fast.Cancel() // idempotent
	if _, open := <-fast.C; open {
		t.Fatal("a cancelled subscription's channel stays open")
	}
	if fast.Dropped() {
		t.Fatal("a cancelled reader is not a dropped one")
	}
}

func TestFeedRefusesSubscribersBeyondTheBound(t *testing.T) {
	s := New(Options{})
	for i := 0; i < MaxSubscribers; i++ {
		if _, sub, ok := s.Subscribe(0); !ok {
			t.Fatalf("subscription %d refused", i)
		} else {
			defer sub.Cancel()
		}
	}
	if _, _, ok := s.Subscribe(0); ok {
		t.Fatalf("subscription %d accepted; the bound is %d", MaxSubscribers+1, MaxSubscribers)
	}
}

func TestFeedBacklogIsBounded(t *testing.T) {
	s := New(Options{})
	for i := 0; i < FeedBacklog+10; i++ {
		s.Record("APP1", Observation{})
	}
	r := s.Recent(0)
	if len(r) != FeedBacklog || r[0].Seq != 11 {
		t.Fatalf("recent = %d events from seq %d; want the last %d", len(r), r[0].Seq, FeedBacklog)
	}
}
