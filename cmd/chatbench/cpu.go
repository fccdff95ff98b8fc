package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// serverPID is the server's process id (-server-pid), read by the CPU split.
var serverPID int

// ticksPerSecond is Linux's USER_HZ, the unit of /proc/*/stat times.
const ticksPerSecond = 100

// cpuTimes is the CPU time (user and system) used so far by the server, by
// all PostgreSQL processes and by this benchmark. Server, database and load
// share the machine, so how they split it during a scenario says which of
// them bounds its figures.
type cpuTimes struct{ server, postgres, bench time.Duration }

func readCPU() cpuTimes {
	t := cpuTimes{bench: procCPU("self")}
	if serverPID > 0 {
		t.server = procCPU(strconv.Itoa(serverPID))
	}
	comms, _ := filepath.Glob("/proc/[0-9]*/comm")
	for _, c := range comms {
		if name, err := os.ReadFile(c); err == nil && strings.TrimSpace(string(name)) == "postgres" {
			t.postgres += procCPU(filepath.Base(filepath.Dir(c)))
		}
	}
	return t
}

// procCPU reads utime+stime of /proc/<pid>/stat; 0 if it cannot.
func procCPU(pid string) time.Duration {
	raw, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return 0
	}
	// The command name, in parentheses, may hold spaces: fields count from after it.
	_, rest, ok := strings.Cut(string(raw), ") ")
	f := strings.Fields(rest)
	if !ok || len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64) // field 14 of stat
	stime, _ := strconv.ParseInt(f[12], 10, 64) // field 15
	return time.Duration(utime+stime) * time.Second / ticksPerSecond
}

// split describes the cores each side used between two readings.
func (t cpuTimes) split(before cpuTimes, elapsed time.Duration) string {
	if elapsed <= 0 || t.postgres == 0 {
		return ""
	}
	cores := func(d time.Duration) float64 { return d.Seconds() / elapsed.Seconds() }
	server := "server ?"
	if serverPID > 0 {
		server = fmt.Sprintf("server %.2f", cores(t.server-before.server))
	}
	return fmt.Sprintf("CPU cores used: %s, PostgreSQL %.2f, benchmark %.2f",
		server, cores(t.postgres-before.postgres), cores(t.bench-before.bench))
}
