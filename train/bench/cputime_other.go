//go:build !unix

package bench

import "time"

// CPUTime is unavailable here: always 0, so Result.CPUSeconds stays 0.
func CPUTime() time.Duration { return 0 }
