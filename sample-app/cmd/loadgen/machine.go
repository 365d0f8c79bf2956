package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// loadAverage is the first three fields of /proc/loadavg: other work on
// the machine skews a benchmark that needs both cores, so the report says
// how busy the machine was.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// waitForIdle waits, up to limit, for a second in which other processes
// used under 0.1 core: on a shared 2-core machine, someone else's compile
// takes the CPU the chain needs and lowers the throughput measured.
func waitForIdle(limit time.Duration) {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		m := startCPUMeter()
		time.Sleep(time.Second)
		if c := m.othersCores(); c >= 0 && c < 0.1 {
			return
		}
	}
	if limit > 0 {
		fmt.Fprintf(os.Stderr, "loadgen: machine still busy after waiting %s; measuring anyway\n", limit)
	}
}

// cpuMeter measures how much CPU other processes used during a run: the
// machine's busy time (/proc/stat) minus this process's (getrusage).
// Other load skews results on a 2-core machine, so the report shows it.
type cpuMeter struct {
	start      time.Time
	busy, self time.Duration
	ok         bool
}

// startCPUMeter starts measuring from now.
func startCPUMeter() cpuMeter {
	busy, ok := machineBusy()
	return cpuMeter{start: time.Now(), busy: busy, self: selfCPU(), ok: ok}
}

// selfTime is the CPU this process used since the meter started.
func (m cpuMeter) selfTime() time.Duration { return selfCPU() - m.self }

// othersCores is the CPU, in cores, other processes used since the meter
// started; -1 when /proc/stat cannot be read.
func (m cpuMeter) othersCores() float64 {
	busy, ok := machineBusy()
	wall := time.Since(m.start)
	if !m.ok || !ok || wall <= 0 {
		return -1
	}
	others := (busy - m.busy) - (selfCPU() - m.self)
	return max(0, others.Seconds()/wall.Seconds())
}

// machineBusy sums the non-idle times of the "cpu" line of /proc/stat
// (user nice system idle iowait irq softirq steal ...), in clock ticks of
// 1/100 s.
func machineBusy() (time.Duration, bool) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, false
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0, false
	}
	var ticks int64
	for i, v := range f[1:9] {
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, false
		}
		ticks += n
	}
	return time.Duration(ticks) * 10 * time.Millisecond, true
}

// selfCPU is the user and system CPU this process used so far.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// cpuModel is the machine's CPU model name, for the report.
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}
