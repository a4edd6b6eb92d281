package optim

import (
	"slices"
	"testing"
)

// The registries are the one list of optimizer and schedule names: the
// experiment spec validates train.optimizer and train.schedule against them.
func TestRegistries(t *testing.T) {
	if got, want := Optimizers.Names(), []string{string(KindAdam), string(KindAdamW), string(KindBertAdam), string(KindSGD)}; !slices.Equal(got, want) {
		t.Errorf("optimizers %v, want %v", got, want)
	}
	want := []string{ScheduleLinear, ScheduleLinearWarmup, ScheduleCosine, ScheduleCosineWarmup, ScheduleConstant, ScheduleConstantWarmup}
	if got := Schedules.Names(); !slices.Equal(got, want) {
		t.Errorf("schedules %v, want %v", got, want)
	}
	for _, name := range Schedules.Names() {
		s, err := NewSchedule(name, 1, 100)
		if err != nil {
			t.Fatal(err)
		}
		k, _ := Schedules.Lookup(name)
		if (s.Warmup == 10) != k.Warmup || s.Factor(99) <= 0 || s.Factor(99) > 1 {
			t.Errorf("%s: warm-up %d, λ(99) = %g", name, s.Warmup, s.Factor(99))
		}
	}
	for _, name := range Optimizers.Names() {
		c, err := Defaults(Kind(name))
		if err != nil || c.Kind != Kind(name) || c.Validate() != nil {
			t.Errorf("%s: defaults %+v, %v", name, c, err)
		}
	}
}
