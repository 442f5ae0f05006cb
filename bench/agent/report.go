package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Targets of the agent issue, checked in the report.
const (
	targetMiBPerCPUSecond = 150.0 // ≥ 150 MiB/s per core into a null endpoint
	targetBusyRSSMiB      = 64.0  // peak RSS while busy
	targetIdleRSSMiB      = 15.0  // RSS once drained
	targetFBCPURatio      = 0.5   // ≤ half of Fluent Bit's CPU per line
	targetFBRateRatio     = 1.5   // ≥ 1.5× Fluent Bit's events/s
	targetCWACPURatio     = 0.1   // ≤ one tenth of the CloudWatch agent's CPU per line
)

const mib = 1 << 20

func (r result) ran() bool { return r.Skipped == "" && r.Err == "" && r.Wall > 0 }

func (r result) mibps() float64  { return float64(r.Bytes) / mib / r.Wall.Seconds() }
func (r result) evps() float64   { return float64(r.Lines) / r.Wall.Seconds() }
func (r result) cpuGiB() float64 { return r.CPU.Seconds() / (float64(r.Bytes) / (1 << 30)) }
func (r result) cpuML() float64  { return r.CPU.Seconds() / (float64(r.Lines) / 1e6) }
func (r result) mibPerCPU() float64 {
	if r.CPU <= 0 {
		return 0
	}
	return float64(r.Bytes) / mib / r.CPU.Seconds()
}

// markdown renders the results, the ratios and the target checks.
func markdown(file genResult, rs []result) string {
	var b strings.Builder
	host, _ := os.Hostname()
	fmt.Fprintf(&b, "### Agent benchmark: %.1f MiB, %d lines (%.0f B/line)\n\n",
		float64(file.Bytes)/mib, file.Lines, float64(file.Bytes)/float64(max(file.Lines, 1)))
	fmt.Fprintf(&b, "%s, %d CPUs (%s), %s, %s. The file is in the page cache; every agent reads it from the head.\n",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), runtime.NumCPU(), cpuModel(), runtime.Version(), host)
	fmt.Fprintf(&b, "CPU = user+sys of the agent process from start to the last event received; idle RSS after %s drained.\n\n",
		idleOf(rs))
	b.WriteString("The driver hosts the null endpoint; its CPU is shown apart (endpoint CPU-s). load = the 1-minute load average when the run started; first = seconds from start to the first event received.\n\n")
	b.WriteString("| run | wall s | MiB/s | events/s | CPU-s | CPU-s/GiB | CPU-s/M lines | MiB per CPU-s | peak RSS MiB | idle RSS MiB | idle CPU-s | endpoint CPU-s | load | first s | delivery |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n")
	for _, r := range rs {
		switch {
		case r.Skipped != "":
			fmt.Fprintf(&b, "| %s | skipped: %s ||||||||||||||\n", r.Name, r.Skipped)
			continue
		case r.Err != "" && r.CPU == 0:
			fmt.Fprintf(&b, "| %s | failed: %s ||||||||||||||\n", r.Name, oneLine(r.Err))
			continue
		}
		deliv := "—"
		if r.Delivery != nil {
			deliv = r.Delivery.String()
		}
		if r.Err != "" {
			deliv = "FAILED: " + oneLine(r.Err)
		}
		if r.Note != "" {
			deliv += " (" + r.Note + ")"
		}
		idleRSS, idleCPU := "—", "—"
		if r.Idle > 0 {
			idleRSS = fmt.Sprintf("%.1f", float64(r.IdleRSS)/mib)
			idleCPU = fmt.Sprintf("%.2f", r.IdleCPU.Seconds())
		}
		endpoint := "—"
		if r.Endpoint > 0 {
			endpoint = fmt.Sprintf("%.2f", r.Endpoint.Seconds())
		}
		first := "—"
		if r.First > 0 {
			first = fmt.Sprintf("%.2f", r.First.Seconds())
		}
		fmt.Fprintf(&b, "| %s | %.2f | %.1f | %.0f | %.2f | %.2f | %.2f | %.1f | %.1f | %s | %s | %s | %.1f | %s | %s |\n",
			r.Name, r.Wall.Seconds(), r.mibps(), r.evps(), r.CPU.Seconds(), r.cpuGiB(), r.cpuML(),
			r.mibPerCPU(), float64(r.HWM)/mib, idleRSS, idleCPU, endpoint, r.Load, first, deliv)
	}
	b.WriteString("\n")
	writeRatios(&b, rs)
	return b.String()
}

func writeRatios(b *strings.Builder, rs []result) {
	var cat *result
	var agents, peers []result
	for i := range rs {
		r := rs[i]
		if !r.ran() {
			continue
		}
		switch {
		case strings.HasPrefix(r.Name, "cat "):
			cat = &rs[i]
		case r.Agent:
			agents = append(agents, r)
		case r.Peer:
			peers = append(peers, r)
		}
	}
	if len(agents) == 0 && len(peers) == 0 {
		return
	}
	b.WriteString("Ratios (events/s: higher is better; CPU per line and RSS: lower is better):\n\n")
	if cat != nil {
		for _, r := range append(append([]result{}, agents...), peers...) {
			fmt.Fprintf(b, "- %s: cat is %.0f× faster and uses %.0f× less CPU\n", r.Name, cat.mibps()/r.mibps(), r.CPU.Seconds()/max(cat.CPU.Seconds(), 0.001))
		}
	}
	for _, a := range agents {
		for _, p := range peers {
			fmt.Fprintf(b, "- %s vs %s: events/s %.2f×, CPU per line %.3f×, peak RSS %.2f×\n",
				a.Name, p.Name, a.evps()/p.evps(), a.cpuML()/p.cpuML(), float64(a.HWM)/float64(p.HWM))
		}
	}
	b.WriteString("\nTargets (issue 2):\n\n")
	for _, a := range agents {
		if !strings.Contains(a.Name, "null endpoint") {
			continue
		}
		check(b, a.Name+": MiB per CPU-second ≥ 150", a.mibPerCPU() >= targetMiBPerCPUSecond, fmt.Sprintf("%.1f", a.mibPerCPU()))
		check(b, a.Name+": peak RSS ≤ 64 MiB", float64(a.HWM)/mib <= targetBusyRSSMiB, fmt.Sprintf("%.1f MiB", float64(a.HWM)/mib))
		check(b, a.Name+": idle RSS ≤ 15 MiB", float64(a.IdleRSS)/mib <= targetIdleRSSMiB, fmt.Sprintf("%.1f MiB", float64(a.IdleRSS)/mib))
		check(b, a.Name+": delivered exactly once, in order", a.Delivery != nil && a.Delivery.ok(), deliveryOf(a))
		for _, p := range peers {
			switch {
			case strings.HasPrefix(p.Name, "Fluent Bit"):
				check(b, a.Name+": CPU per line ≤ 0.5× Fluent Bit's", a.cpuML() <= targetFBCPURatio*p.cpuML(), fmt.Sprintf("%.3f×", a.cpuML()/p.cpuML()))
				check(b, a.Name+": events/s ≥ 1.5× Fluent Bit's", a.evps() >= targetFBRateRatio*p.evps(), fmt.Sprintf("%.2f×", a.evps()/p.evps()))
			case strings.HasPrefix(p.Name, "amazon-cloudwatch-agent"):
				check(b, a.Name+": CPU per line ≤ 0.1× amazon-cloudwatch-agent's", a.cpuML() <= targetCWACPURatio*p.cpuML(), fmt.Sprintf("%.3f×", a.cpuML()/p.cpuML()))
			}
		}
	}
	b.WriteString("\n")
}

func check(b *strings.Builder, what string, ok bool, got string) {
	v := "FAIL"
	if ok {
		v = "pass"
	}
	fmt.Fprintf(b, "- %s: %s (%s)\n", what, v, got)
}

func deliveryOf(r result) string {
	if r.Delivery == nil {
		return "not checked"
	}
	return r.Delivery.String()
}

func idleOf(rs []result) time.Duration {
	for _, r := range rs {
		if r.Idle > 0 {
			return r.Idle
		}
	}
	return 0
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	s = strings.ReplaceAll(s, "|", "/")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

// loadAvg returns the 1-minute load average.
func loadAvg() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return 0
	}
	return v
}

// cpuModel reads the processor's name from /proc/cpuinfo.
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}
