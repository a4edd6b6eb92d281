package stages

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/deni-project/deni/augment"
	"github.com/deni-project/deni/data"
	"github.com/deni-project/deni/pipeline"
)

// TestAugmentStageOneMakingPerKey: runs that ask for the same set at the
// same time have it made once; the others take it as cached. A failure
// reaches every run that waited for it.
func TestAugmentStageOneMakingPerKey(t *testing.T) {
	ds, part, _ := embeddedTREC(t)
	spec := pipeline.AugmentSpec{Method: "typo", K: 2, Settings: &augment.TypoSettings{Rate: 0.1}}
	const n = 4
	// concurrently asks for the set n times while build blocks for a
	// moment, so that the later calls find it in the making (a call that
	// comes later still reads the cache file and does not build).
	concurrently := func(st *AugmentStage) ([]*AugmentedSet, []error) {
		release := make(chan struct{})
		build := st.build
		st.build = func(ctx context.Context, in *augmentInput) (augment.Augmenter, error) {
			<-release
			return build(ctx, in)
		}
		sets, errs := make([]*AugmentedSet, n), make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { sets[i], errs[i] = st.Augment(context.Background(), spec, ds, part, 7) })
		}
		time.Sleep(50 * time.Millisecond)
		close(release)
		wg.Wait()
		return sets, errs
	}

	var calls, builds atomic.Int64
	st := NewAugmentStage(t.TempDir(), data.Embedded)
	st.build = func(context.Context, *augmentInput) (augment.Augmenter, error) {
		builds.Add(1)
		return countingAug{&calls}, nil
	}
	sets, errs := concurrently(st)
	made := 0
	for i, set := range sets {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if !set.Cached {
			made++
		}
		if !reflect.DeepEqual(set.Samples, sets[0].Samples) || set.Key != sets[0].Key {
			t.Errorf("call %d got another set", i)
		}
	}
	if made != 1 || builds.Load() != 1 || calls.Load() != 1 {
		t.Errorf("%d calls made the set, %d builds, %d augmentations; want 1 each", made, builds.Load(), calls.Load())
	}

	boom := errors.New("boom")
	failing := NewAugmentStage(t.TempDir(), data.Embedded)
	failing.build = func(context.Context, *augmentInput) (augment.Augmenter, error) { return nil, boom }
	_, errs = concurrently(failing)
	for i, err := range errs {
		if !errors.Is(err, boom) {
			t.Errorf("call %d: %v, want boom", i, err)
		}
	}
}
