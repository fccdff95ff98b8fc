package main

import (
	"testing"
	"time"
)

func TestSummarize_NearestRankPercentiles(t *testing.T) {
	lat := make([]time.Duration, 0, 100)
	for i := 100; i >= 1; i-- { // unsorted on purpose
		lat = append(lat, time.Duration(i)*time.Millisecond)
	}
	got := summarize(lat)
	want := summary{P50: 50 * time.Millisecond, P95: 95 * time.Millisecond, P99: 99 * time.Millisecond, Max: 100 * time.Millisecond}
	if got != want {
		t.Fatalf("summarize = %+v, want %+v", got, want)
	}
}

func TestSummarize_EmptyIsZero(t *testing.T) {
	if got := summarize(nil); got != (summary{}) {
		t.Fatalf("summarize(nil) = %+v, want zero", got)
	}
}
