//go:build !unix

package bench

import "time"

// cpuTime is unavailable here; Result.CPUSeconds stays 0.
func cpuTime() time.Duration { return 0 }
