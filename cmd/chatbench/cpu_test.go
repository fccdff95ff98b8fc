package main

import (
	"strings"
	"testing"
	"time"
)

func TestProcCPU_CountsThisProcessWork(t *testing.T) {
	// Busy until 50 ms of CPU are counted: on a loaded machine that takes
	// longer than 50 ms of wall time, so only a generous bound fails.
	before := procCPU("self")
	x := 0
	start := time.Now()
	for procCPU("self")-before < 50*time.Millisecond {
		for range 100000 {
			x++
		}
		if time.Since(start) > 10*time.Second {
			t.Fatalf("10 s of busy loop (%d turns) counted as %s of CPU", x, procCPU("self")-before)
		}
	}
	if procCPU("0") != 0 {
		t.Fatal("a process that does not exist must read as 0")
	}
}

func TestMachineCPU_CountsAtLeastThisProcess(t *testing.T) {
	if m, own := machineCPU(), procCPU("self"); m < own {
		t.Fatalf("the machine's busy time %s is less than this process's %s", m, own)
	}
}

func TestBackendDB_ReadsTheDatabaseOfBackendsOnly(t *testing.T) {
	for title, want := range map[string]string{
		"postgres: 15/main: postgres gqlchat_bench 127.0.0.1(40592) idle": "gqlchat_bench",
		"postgres: bob testdb_x [local] SELECT":                           "testdb_x",
		"postgres: 15/main: walwriter":                                    "",
		"postgres: 15/main: autovacuum worker gqlchat_bench":              "",
	} {
		db, ok := backendDB(title)
		if db != want || ok != (want != "") {
			t.Errorf("backendDB(%q) = %q, %v; want %q", title, db, ok, want)
		}
	}
}

func TestStallWatch_ReportsItsWakeUps(t *testing.T) {
	stop := stallWatch()
	time.Sleep(30 * time.Millisecond)
	if got := stop(); !strings.Contains(got, "sleeps woke up to") {
		t.Fatalf("stallWatch = %q", got)
	}
}
