package models

import (
	"embed"
	"io/fs"

	"github.com/deni-project/deni/train/peft"
)

// DeniBertMini is deni's own pre-trained encoder, compiled into the binary:
// a 4-layer BERT (hidden 128, 4 heads, FFN 512; 12,000 WordPiece tokens
// plus GloVe's frequent words, 25,224 in all, their GloVe rows frozen)
// pre-trained with masked language modelling on WordNet glosses, the State
// of the Union addresses and Moby Dick (`make model`, train/pretrain;
// experiments/pretrain.yaml). It is a Hugging Face BERT folder like any
// other; embedded/deni-bert-mini/pretrain.json records how it was made.
const DeniBertMini = "deni-bert-mini"

//go:embed embedded/deni-bert-mini
var deniBertMiniFiles embed.FS

func init() {
	sub, err := fs.Sub(deniBertMiniFiles, "embedded/"+DeniBertMini)
	if err != nil {
		panic(err)
	}
	registerEmbedded(DeniBertMini, sub, DeniBertMiniLRs)
}

// DeniBertMiniLRs are deni-bert-mini's default learning rates per tuning
// method, the best of a short sweep (scripts/lr-sweep.sh: default strategy,
// 500 labelled, 10 epochs, 2 runs on TREC and SST-2; README, "Tuning
// methods"), on the first model and again on the shipped one. A small
// encoder takes larger steps than the paper's BERT-base rates. UniPELT:
// 3e-3, better in the sweeps, left 4 of 9 TREC runs of the shipped model
// at chance with 1,000 labelled samples (experiments/peft.yaml), so 1e-3.
var DeniBertMiniLRs = map[string]float64{
	peft.Full:    3e-4,
	peft.LoRA:    1e-3,
	peft.IA3:     3e-2,
	peft.UniPELT: 1e-3,
}
