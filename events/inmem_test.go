package events

import (
	"sync"
	"testing"
)

func TestInMem_DeliversInOrderToEverySubscriberOfTheTopic(t *testing.T) {
	b := NewInMem()
	a1, a2 := b.Subscribe(10, "a"), b.Subscribe(10, "a")
	other := b.Subscribe(10, "b")
	b.Publish(Event{Topic: "a", ID: 1}, Event{Topic: "a", ID: 2})
	for _, s := range []*Subscription{a1, a2} {
		if e1, e2 := <-s.C, <-s.C; e1.ID != 1 || e2.ID != 2 {
			t.Fatalf("got %v %v", e1, e2)
		}
	}
	select {
	case e := <-other.C:
		t.Fatalf("other topic got %v", e)
	default:
	}
}

func TestInMem_DropsASubscriberThatFallsBehind(t *testing.T) {
	b := NewInMem()
	slow, fast := b.Subscribe(1, "a"), b.Subscribe(10, "a")
	b.Publish(Event{Topic: "a", ID: 1}, Event{Topic: "a", ID: 2})
	<-slow.C
	if _, open := <-slow.C; open || !slow.Overflowed() {
		t.Fatal("slow subscriber not dropped")
	}
	if (<-fast.C).ID != 1 || (<-fast.C).ID != 2 {
		t.Fatal("fast subscriber missed events")
	}
}

func TestInMem_CloseIsSafeConcurrentlyWithPublish(t *testing.T) {
	b := NewInMem()
	var wg sync.WaitGroup
	for range 50 {
		s := b.Subscribe(1, "a")
		wg.Add(2)
		go func() { defer wg.Done(); b.Publish(Event{Topic: "a"}, Event{Topic: "a"}) }()
		go func() { defer wg.Done(); s.Close(); s.Close() }()
	}
	wg.Wait()
}

func TestInMem_SubscriptionCanAddAndRemoveTopics(t *testing.T) {
	b := NewInMem()
	s := b.Subscribe(10, "a")
	s.Add("b")
	b.Publish(Event{Topic: "b", ID: 1})
	s.Remove("a")
	b.Publish(Event{Topic: "a", ID: 2}, Event{Topic: "b", ID: 3})
	if (<-s.C).ID != 1 || (<-s.C).ID != 3 {
		t.Fatal("wrong events")
	}
	s.Close()
	if b.Subscribers("a")+b.Subscribers("b") != 0 {
		t.Fatal("closed subscription still registered")
	}
}

func TestInMem_ALossySubscriptionDropsEventsButStays(t *testing.T) {
	b := NewInMem()
	s := b.Subscribe(1, "a").Lossy()
	b.Publish(Event{Topic: "a", ID: 1}, Event{Topic: "a", ID: 2})
	if e := <-s.C; e.ID != 1 || !s.TakeMissed() || s.TakeMissed() {
		t.Fatal("the drop was not reported once")
	}
	b.Publish(Event{Topic: "a", ID: 3})
	if e, open := <-s.C; !open || e.ID != 3 {
		t.Fatal("a lossy subscription ended")
	}
}
