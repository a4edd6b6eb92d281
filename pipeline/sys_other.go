//go:build !linux

package pipeline

import (
	"runtime"

	"golang.org/x/sys/unix"
)

// isTerminal reports whether fd is a character device (an approximation
// outside Linux: /dev/null is one too).
func isTerminal(fd uintptr) bool {
	var st unix.Stat_t
	return unix.Fstat(int(fd), &st) == nil && uint32(st.Mode)&unix.S_IFMT == unix.S_IFCHR
}

// maxRSSBytes is the peak resident set size of a Rusage: bytes on macOS,
// kilobytes on the BSDs.
func maxRSSBytes(u *unix.Rusage) int64 {
	if runtime.GOOS == "darwin" {
		return u.Maxrss
	}
	return u.Maxrss * 1024
}
