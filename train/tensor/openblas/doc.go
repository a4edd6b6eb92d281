// Package openblas installs OpenBLAS as deni's BLAS when built with the
// openblas build tag; without the tag it is empty.
package openblas
