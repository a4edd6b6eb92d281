package data

import (
	"embed"
	"fmt"
)

// embeddedData holds the datasets compiled into the binary: TREC only (see
// embedded/trec/NOTICE for its source and licence).
//
//go:embed embedded/trec/train.txt embedded/trec/test.txt embedded/trec/NOTICE
var embeddedData embed.FS

// embeddedFile returns an embedded file by its path relative to a data
// directory (for example "trec/train.txt").
func embeddedFile(rel string) ([]byte, error) {
	b, err := embeddedData.ReadFile("embedded/" + rel)
	if err != nil {
		return nil, fmt.Errorf("%w: %s is not compiled into this binary", ErrNotEmbedded, rel)
	}
	return b, nil
}
