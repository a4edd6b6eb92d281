// gemm_shapes.c: single-thread SGEMM on the shapes of a deni-bert-mini training step (T = 20
// tokens, batch 8, hidden 128, FFN 512, 4 heads, 4 layers): OpenBLAS (cblas, row-major, as deni
// calls it), oneDNN (dnnl_sgemm, row-major) and libxsmm (JIT kernels through libxsmm_smmdispatch,
// column-major with the operands swapped; n/a where it has no kernel). A measurement for
// docs/engine.md, not part of deni: another GEMM sums in another order, so switching changes bits.
//
//   apt-get install -y --no-install-recommends libopenblas-dev libdnnl-dev libxsmm-dev
//   gcc -O2 -o /tmp/gemm_shapes train/bench/testdata/gemm_shapes.c -lopenblas -ldnnl -lxsmm -lxsmmext -lm
//   OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 /tmp/gemm_shapes 300
//   OPENBLAS_CORETYPE=SkylakeX OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 /tmp/gemm_shapes 300   # AVX-512 kernels
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <cblas.h>
#include <dnnl.h>
#include <libxsmm.h>

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + 1e-9 * t.tv_nsec; }

typedef struct { const char *name; int ta, tb, m, n, k, lda, ldb, ldc, calls; } shape;

static float *buf(size_t n) { float *p = aligned_alloc(64, ((n * 4 + 63) / 64) * 64); for (size_t i = 0; i < n; i++) p[i] = (float)(rand() % 1000) / 1000.0f - 0.5f; return p; }

int main(int argc, char **argv) {
    int R = 160, T = 20, H = 128, F = 512, D = 32, heads = 4, B = 8, L = 4;
    int reps = argc > 1 ? atoi(argv[1]) : 200;
    shape s[] = {
        {"fwd  x.Wt 128->128", 0, 1, R, H, H, H, H, H, 4 * L},
        {"fwd  x.Wt 128->512", 0, 1, R, F, H, H, H, F, L},
        {"fwd  x.Wt 512->128", 0, 1, R, H, F, F, F, H, L},
        {"dX   dY.W 128<-128", 0, 0, R, H, H, H, H, H, 4 * L},
        {"dX   dY.W 128<-512", 0, 0, R, H, F, F, H, H, L},
        {"dX   dY.W 512<-128", 0, 0, R, F, H, H, F, F, L},
        {"dW   dYt.X 128x128", 1, 0, H, H, R, H, H, H, 4 * L},
        {"dW   dYt.X 512x128", 1, 0, F, H, R, F, H, H, L},
        {"dW   dYt.X 128x512", 1, 0, H, F, R, H, F, F, L},
        {"attn q.kt  20x20x32", 0, 1, T, T, D, H, H, T, 2 * B * heads * L},
        {"attn P.v   20x32x20", 0, 0, T, D, T, T, H, H, 2 * B * heads * L},
        {"attn Pt.dO 20x32x20", 1, 0, T, D, T, T, H, H, 2 * B * heads * L},
    };
    int ns = sizeof s / sizeof s[0];
    libxsmm_init();
    double tot[3] = {0, 0, 0};
    printf("%-22s %6s | %10s %7s | %10s %7s | %10s %7s\n", "shape", "calls", "openblas", "GF/s", "onednn", "GF/s", "libxsmm", "GF/s");
    for (int i = 0; i < ns; i++) {
        shape c = s[i];
        size_t na = (size_t)(c.ta ? c.k : c.m) * c.lda, nb = (size_t)(c.tb ? c.n : c.k) * c.ldb, nc = (size_t)c.m * c.ldc;
        float *A = buf(na), *Bm = buf(nb), *C = buf(nc);
        double fl = 2.0 * c.m * c.n * c.k, t[3];
        for (int lib = 0; lib < 3; lib++) {
            libxsmm_smmfunction kern = NULL;
            if (lib == 2) {
                // row-major C = op(A) op(B)  <=>  col-major C^T = op(B)^T op(A)^T: swap operands and m, n.
                int flags = (c.tb ? LIBXSMM_GEMM_FLAG_TRANS_A : 0) | (c.ta ? LIBXSMM_GEMM_FLAG_TRANS_B : 0);
                float alpha = 1, beta = 1;
                libxsmm_blasint m = c.n, n = c.m, k = c.k, lda = c.ldb, ldb = c.lda, ldc = c.ldc;
                kern = libxsmm_smmdispatch(m, n, k, &lda, &ldb, &ldc, &alpha, &beta, &flags, NULL);
                if (!kern) { t[lib] = -1; continue; }
            }
            for (int pass = 0; pass < 2; pass++) {
                double t0 = now();
                for (int r = 0; r < reps; r++) {
                    if (lib == 0)
                        cblas_sgemm(CblasRowMajor, c.ta ? CblasTrans : CblasNoTrans, c.tb ? CblasTrans : CblasNoTrans, c.m, c.n, c.k, 1, A, c.lda, Bm, c.ldb, 1, C, c.ldc);
                    else if (lib == 1)
                        dnnl_sgemm(c.ta ? 'T' : 'N', c.tb ? 'T' : 'N', c.m, c.n, c.k, 1, A, c.lda, Bm, c.ldb, 1, C, c.ldc);
                    else
                        kern(Bm, A, C);
                }
                t[lib] = (now() - t0) / reps;
            }
        }
        printf("%-22s %6d |", c.name, c.calls);
        for (int lib = 0; lib < 3; lib++) {
            if (t[lib] < 0) { printf(" %10s %7s |", "n/a", ""); continue; }
            printf(" %8.2fus %7.1f |", t[lib] * 1e6, fl / t[lib] / 1e9);
            tot[lib] += t[lib] * c.calls;
        }
        printf("\n");
        free(A); free(Bm); free(C);
    }
    printf("per step (T=%d, these shapes): openblas %.2f ms, onednn %.2f ms, libxsmm %.2f ms (n/a shapes not counted)\n", T, tot[0] * 1e3, tot[1] * 1e3, tot[2] * 1e3);
    return 0;
}
