// Package onednn installs oneDNN's sgemm as deni's matrix product when built
// with the onednn build tag; without the tag it is empty.
package onednn
