package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// serverPID is the server's process id (-server-pid), read by the CPU split;
// otherServerPIDs are those of more instances (-other-server-pids), whose
// CPU time counts with it.
var (
	serverPID       int
	otherServerPIDs []int
)

// benchDB is the server's database (from -dsn): PostgreSQL's backends
// serving other databases count as anything else, not as PostgreSQL.
var benchDB string

// ticksPerSecond is Linux's USER_HZ, the unit of /proc/*/stat times.
const ticksPerSecond = 100

// cpuTimes is the CPU time (user and system) used so far by the server, by
// all PostgreSQL processes, by this benchmark and by the whole machine.
// Server, database and load share the machine, so how they split it during
// a scenario says which of them bounds its figures; what the machine used
// beyond them says how much anything else disturbed the run.
type cpuTimes struct{ server, postgres, bench, machine time.Duration }

func readCPU() cpuTimes {
	t := cpuTimes{bench: procCPU("self"), machine: machineCPU()}
	if serverPID > 0 {
		t.server = procCPU(strconv.Itoa(serverPID))
	}
	for _, pid := range otherServerPIDs {
		t.server += procCPU(strconv.Itoa(pid))
	}
	comms, _ := filepath.Glob("/proc/[0-9]*/comm")
	for _, c := range comms {
		pid := filepath.Base(filepath.Dir(c))
		if name, err := os.ReadFile(c); err == nil && strings.TrimSpace(string(name)) == "postgres" && servesBench(pid) {
			t.postgres += procCPU(pid)
		}
	}
	return t
}

// servesBench says whether PostgreSQL process pid works for the bench's
// database: a backend of that database, or one of the server's own
// processes (WAL writer, checkpointer...) that every database shares.
func servesBench(pid string) bool {
	raw, err := os.ReadFile("/proc/" + pid + "/cmdline")
	if err != nil {
		return false
	}
	db, backend := backendDB(strings.ReplaceAll(string(raw), "\x00", " "))
	return !backend || benchDB == "" || db == benchDB
}

// backendDB reads the database out of a backend's process title,
// "postgres: [cluster: ]user database host(port) state"; false for the
// server's other processes.
func backendDB(title string) (string, bool) {
	f := strings.Fields(title)
	for i := 2; i < len(f); i++ {
		if f[i] == "[local]" || strings.HasSuffix(f[i], ")") && strings.Contains(f[i], "(") {
			return f[i-1], true
		}
	}
	return "", false
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

// machineCPU reads the busy time of all CPUs from /proc/stat (user, nice,
// system, irq, softirq, steal); 0 if it cannot.
func machineCPU() time.Duration {
	raw, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(raw), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0
	}
	var busy int64
	for _, i := range []int{1, 2, 3, 6, 7, 8} {
		n, _ := strconv.ParseInt(f[i], 10, 64)
		busy += n
	}
	return time.Duration(busy) * time.Second / ticksPerSecond
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
		if len(otherServerPIDs) > 0 {
			server = fmt.Sprintf("servers %.2f", cores(t.server-before.server))
		}
	}
	out := fmt.Sprintf("CPU cores used: %s, PostgreSQL %.2f, benchmark %.2f",
		server, cores(t.postgres-before.postgres), cores(t.bench-before.bench))
	if t.machine > 0 && serverPID > 0 {
		others := (t.machine - before.machine) - (t.server - before.server) - (t.postgres - before.postgres) - (t.bench - before.bench)
		out += fmt.Sprintf(", anything else %.2f", max(cores(others), 0))
	}
	return out
}

// stallWatch measures how late a goroutine of the benchmark wakes from
// short sleeps while a window runs: when the machine stops running it for
// a while (the host's other guests, a stop of the benchmark's own garbage
// collector), every latency measured meanwhile grows by as much, whatever
// the server did. Its stop function describes the worst wake-ups.
func stallWatch() (stop func() string) {
	const nap = 5 * time.Millisecond
	done := make(chan struct{})
	result := make(chan string, 1)
	go func() {
		var worst time.Duration
		over := 0
		for {
			select {
			case <-done:
				result <- fmt.Sprintf("the benchmark's %s sleeps woke up to %s late (%d times over 20 ms)", nap, worst.Round(time.Millisecond), over)
				return
			default:
			}
			t := time.Now()
			time.Sleep(nap)
			late := time.Since(t) - nap
			worst = max(worst, late)
			if late > 20*time.Millisecond {
				over++
			}
		}
	}()
	return func() string {
		close(done)
		return <-result
	}
}
