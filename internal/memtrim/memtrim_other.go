//go:build !linux

package memtrim

func pageOut(addr, n uintptr) (bool, error) { return false, nil }

func markReclaimed() {}

func reclaimedOnce() bool { return true }
