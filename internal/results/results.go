// Package results is the contract of deni's result files: the row types
// (the Go structs are the Parquet schemas, written with parquet-go), the
// table names (one folder per table) and the values of the coded columns
// (event kinds, step phases). The pipeline writes these files, the training
// engine names its events with these constants, and the analysis package
// reads the files with DuckDB SQL; users' queries rely on the column names.
//
//	results/<experiment>/runs/<run_id>.parquet         one RunRow (written last: the commit marker)
//	results/<experiment>/predictions/<run_id>.parquet  one PredictionRow per test sample
//	results/<experiment>/steps/<run_id>.parquet        one StepRow per optimizer step per model
//	results/<experiment>/events/<run_id>.parquet       one EventRow per strategy event
//	results/<experiment>/experiment.yaml               the experiment file (SpecFile)
//
// A leaf package (standard library only): constants and plain structs, so
// that every layer may import it without importing the orchestrator.
// It lives under internal/ because the folder results/ at the module root is
// where deni writes results (and is ignored by git).
package results

import "time"

// Table names: one folder per table under an experiment's results folder.
const (
	TableRuns        = "runs"
	TablePredictions = "predictions"
	TableSteps       = "steps"
	TableEvents      = "events"
)

// Tables are the result tables in the order they are checked; TableRuns,
// the commit marker of a run, comes first.
var Tables = []string{TableRuns, TablePredictions, TableSteps, TableEvents}

// SpecFile is the copy of the experiment file in an experiment's results
// folder.
const SpecFile = "experiment.yaml"

// RunRow is the one-row summary of a run: its configuration, seeds, metrics
// and cost. Metrics are fractions (macro_f1 0.87 = 87 in the paper's tables).
type RunRow struct {
	RunID      string `parquet:"run_id"`
	Experiment string `parquet:"experiment"`
	Dataset    string `parquet:"dataset"`
	Model      string `parquet:"model"`
	Tuning     string `parquet:"tuning"`
	Strategy   string `parquet:"strategy"` // the strategy's label
	Augment    string `parquet:"augment"`  // "none" or method_k
	RunIndex   int32  `parquet:"run_index"`
	Status     string `parquet:"status"` // done | failed
	Error      string `parquet:"error"`

	SeedRoot            uint64 `parquet:"seed_root"`
	SeedDataSplit       uint64 `parquet:"seed_data_split"`
	SeedLabelChoice     uint64 `parquet:"seed_label_choice"`
	SeedSampleOrder     uint64 `parquet:"seed_sample_order"`
	SeedModelInit       uint64 `parquet:"seed_model_init"`
	SeedModelRandomness uint64 `parquet:"seed_model_randomness"`
	SeedNoise           uint64 `parquet:"seed_noise"`
	SeedAugmentation    uint64 `parquet:"seed_augmentation"`

	MacroF1  float64 `parquet:"macro_f1"`
	Accuracy float64 `parquet:"accuracy"`
	Classes  int32   `parquet:"classes"`
	NTrain   int32   `parquet:"n_train"` // training samples (labelled + augmented)
	NTest    int32   `parquet:"n_test"`
	Members  int32   `parquet:"members"` // models that vote at test time

	// Readouts of the same run under other rules (NULL in older results):
	// the main model alone (for DENI, NI's result: DE never touches it) and
	// both vote rules over every voter. macro_f1 is the strategy's own rule.
	MainMacroF1      float64 `parquet:"main_macro_f1"`
	MajorityMacroF1  float64 `parquet:"majority_macro_f1"`
	MeanProbsMacroF1 float64 `parquet:"mean_probs_macro_f1"`

	Epochs          int32   `parquet:"epochs"`
	BatchSize       int32   `parquet:"batch_size"`
	MaxLen          int32   `parquet:"max_len"`
	LR              float64 `parquet:"lr"`
	Optimizer       string  `parquet:"optimizer"`
	Steps           int64   `parquet:"steps"`           // optimizer steps of the main model
	OptimizerSteps  int64   `parquet:"optimizer_steps"` // summed over all models: the paper's cost unit
	ForwardSamples  int64   `parquet:"forward_samples"` // training forward passes, in samples
	BackwardSamples int64   `parquet:"backward_samples"`
	TrainFLOPs      float64 `parquet:"train_flops"`      // analytic, from the model's shapes and what trains (nn.BERT.TrainFLOPs)
	InferencePasses int64   `parquet:"inference_passes"` // test samples × models evaluated
	FinalLoss       float64 `parquet:"final_loss"`       // mean training loss of the main model's last epoch

	WallSeconds float64 `parquet:"wall_seconds"`
	CPUSeconds  float64 `parquet:"cpu_seconds"` // process CPU time while the run was active (other runs' included)
	// PeakRSSBytes is the process's high-water mark of resident memory when
	// the run ended (getrusage ru_maxrss): everything the process held since
	// it started, the runs before and beside this one included (with one
	// worker, an upper bound of the run's own peak). ModelBytes is per run.
	PeakRSSBytes int64 `parquet:"peak_rss_bytes"`
	// ModelBytes is the run's own analytic peak: the most bytes its live
	// models held at once in parameter values, gradients and optimizer
	// state (Adam's moments), counted from their buffers: the main model
	// with its members (NI, DE, DENI), the SWA/EMA copy, every model of an
	// ensemble or early_discard. Activations, the data and the runtime are
	// not in it. NULL in older results.
	ModelBytes  int64     `parquet:"model_bytes"`
	BLAS        string    `parquet:"blas"`
	DeniVersion string    `parquet:"deni_version"`
	GoVersion   string    `parquet:"go_version"`
	StartedAt   time.Time `parquet:"started_at,timestamp(microsecond)"`
	FinishedAt  time.Time `parquet:"finished_at,timestamp(microsecond)"`
	Config      string    `parquet:"config"` // canonical JSON of the run's configuration (hashed into run_id)
}

// PredictionRow is one test sample's outcome. For an ensemble, Pred is the
// majority vote (ties to the lowest class) and the member columns hold every
// member's argmax and logits, so other rules can be computed in SQL.
type PredictionRow struct {
	RunID        string    `parquet:"run_id,dict"`
	Sample       int32     `parquet:"sample"`    // position in the test set
	SampleID     string    `parquet:"sample_id"` // the dataset's id of the sample
	Label        int32     `parquet:"label"`
	Pred         int32     `parquet:"pred"`
	Logits       []float32 `parquet:"logits,list"`        // main model (or averaged model)
	MemberPreds  []int32   `parquet:"member_preds,list"`  // one per voting model, main model first
	MemberLogits []float32 `parquet:"member_logits,list"` // members × classes, row-major
}

// StepRow is one optimizer step of one model.
type StepRow struct {
	RunID string  `parquet:"run_id,dict"`
	Model int32   `parquet:"model"` // 0 = main model, k = k-th member or ensemble model
	Step  int32   `parquet:"step"`  // 1-based, counted on the main model's clock
	Epoch int32   `parquet:"epoch"` // 1-based
	Loss  float32 `parquet:"loss"`
	LR    float32 `parquet:"lr"`
	Phase string  `parquet:"phase,dict"` // single | multi (interpolation) | final (delayed ensemble)
}

// EventRow is one strategy event: members created or merged, noise applied,
// the final ensemble created, averaging started.
type EventRow struct {
	RunID  string  `parquet:"run_id,dict"`
	Step   int32   `parquet:"step"` // 0 = before training
	Kind   string  `parquet:"kind,dict"`
	Models int32   `parquet:"models"` // models alive after the event
	Scale  float64 `parquet:"scale"`  // noise multiplier, where there is one
	Detail string  `parquet:"detail"`
}

// Event kinds: the values of EventRow.Kind. The training engine
// (train/strategy) emits them.
const (
	EventNoise                = "noise"
	EventMembersCreated       = "members_created"
	EventMembersMerged        = "members_merged"
	EventFinalEnsembleCreated = "final_ensemble_created"
	EventAveragingStarted     = "averaging_started"
	EventCandidatesDiscarded  = "candidates_discarded" // early_discard: models = candidates, scale = the survivor's validation macro-F1
)

// Step phases: the values of StepRow.Phase.
const (
	PhaseSingle = "single" // one model trains
	PhaseMulti  = "multi"  // members train between noisy interpolations (NI)
	PhaseFinal  = "final"  // the delayed ensemble trains (DE)
)
