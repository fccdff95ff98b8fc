package main

import (
	"testing"
	"time"
)

func TestProcCPU_CountsThisProcessWork(t *testing.T) {
	before := procCPU("self")
	x := 0
	for start := time.Now(); time.Since(start) < 100*time.Millisecond; {
		x++ // busy: CPU time must grow by about the wall time
	}
	if used := procCPU("self") - before; used < 50*time.Millisecond {
		t.Fatalf("100 ms of busy loop (%d turns) counted as %s of CPU", x, used)
	}
	if procCPU("0") != 0 {
		t.Fatal("a process that does not exist must read as 0")
	}
}
