package checkpoint

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
)

// SaveJSON writes v as indented JSON (two spaces, final newline) to path,
// atomically like Save. It is meant for the model configuration that sits
// beside the weights (ConfigFile), but works for any value.
func SaveJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	b = append(b, '\n')
	return writeAtomic(path, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}

// LoadJSON reads the JSON file at path into v strictly: unknown fields and
// anything after the JSON value are errors, so that a config written by
// another version or for another model is not half-understood silently.
func LoadJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read config: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("%s: unexpected data after the JSON value", path)
	}
	return nil
}
