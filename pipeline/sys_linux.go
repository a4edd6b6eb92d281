package pipeline

import "golang.org/x/sys/unix"

// isTerminal reports whether fd is a terminal.
func isTerminal(fd uintptr) bool {
	_, err := unix.IoctlGetTermios(int(fd), unix.TCGETS)
	return err == nil
}

// maxRSSBytes is the peak resident set size of a Rusage (Linux counts kilobytes).
func maxRSSBytes(u *unix.Rusage) int64 { return u.Maxrss * 1024 }
