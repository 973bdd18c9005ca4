// HLS-style layers of the Strata hardware student, on the vendor's arbitrary-precision types.
//
// Synthesizable style: fixed-size arrays given as template parameters, no dynamic allocation,
// loops with constant bounds that an HLS tool can pipeline (the PIPELINE pragmas mark the inner
// loops; ARRAY_PARTITION where a loop reads a whole vector per cycle). g++ ignores the pragmas,
// so the same source is the C simulation of the FPGA design.
//
// Arithmetic: products of ap_fixed operands and their sums in an accumulator type wide enough to
// be exact; the result is cast to the layer's output type, whose rounding (AP_RND_CONV for the
// network's activations) and AP_SAT modes do the requantizing shift and the saturation.
// hw/integer_model.py computes the same integers in NumPy.
//
// Weights and biases arrive as raw integers (plain C arrays: the ROM contents, which compile in
// seconds where 100,000 ap_fixed initialisers take g++ minutes) and are given their fixed-point
// type by `from_raw`, which is wiring, not logic.
#pragma once
#include "ap_fixed.h"

namespace strata {

// The ap_fixed value whose bits are `raw` (two's complement, the type's width).
template <class T, class R>
inline T from_raw(R raw) {
    T v;
    v.range() = raw;
    return v;
}

// out[o][y][x] = bias[o] + sum_{c,i,j} w[o][c][i][j] * in[c][y*S + i - P][x*S + j - P]
template <int CI, int CO, int K, int S, int P, int H, int W, int HO, int WO,
          class TI, class TW, class TB, class TA, class TO, class WR, class BR>
void conv2d(const TI in[CI][H][W], const WR w[CO][CI][K][K], const BR bias[CO], TO out[CO][HO][WO]) {
conv_o:
    for (int o = 0; o < CO; o++) {
    conv_y:
        for (int y = 0; y < HO; y++) {
        conv_x:
            for (int x = 0; x < WO; x++) {
#pragma HLS PIPELINE II = 1
                TA acc = from_raw<TB>(bias[o]);
            conv_c:
                for (int c = 0; c < CI; c++) {
                    for (int i = 0; i < K; i++) {
                        for (int j = 0; j < K; j++) {
                            const int yy = y * S + i - P, xx = x * S + j - P;
                            if (yy >= 0 && yy < H && xx >= 0 && xx < W) acc += from_raw<TW>(w[o][c][i][j]) * in[c][yy][xx];
                        }
                    }
                }
                out[o][y][x] = acc;  // AP_RND, AP_SAT of TO: the requantizing shift
            }
        }
    }
}

// Transposed convolution (torch's semantics), in gather form so that every output is written
// once: out[o][y][x] = bias[o] + sum w[c][o][i][j] * in[c][(y + P - i) / S][(x + P - j) / S]
// over the (i, j) for which the division is exact and in range.
template <int CI, int CO, int K, int S, int P, int H, int W, int HO, int WO,
          class TI, class TW, class TB, class TA, class TO, class WR, class BR>
void conv_transpose2d(const TI in[CI][H][W], const WR w[CI][CO][K][K], const BR bias[CO], TO out[CO][HO][WO]) {
tconv_o:
    for (int o = 0; o < CO; o++) {
    tconv_y:
        for (int y = 0; y < HO; y++) {
        tconv_x:
            for (int x = 0; x < WO; x++) {
#pragma HLS PIPELINE II = 1
                TA acc = from_raw<TB>(bias[o]);
                for (int c = 0; c < CI; c++) {
                    for (int i = 0; i < K; i++) {
                        for (int j = 0; j < K; j++) {
                            const int ny = y + P - i, nx = x + P - j;
                            if (ny < 0 || nx < 0 || ny % S || nx % S) continue;
                            const int yy = ny / S, xx = nx / S;
                            if (yy < H && xx < W) acc += from_raw<TW>(w[c][o][i][j]) * in[c][yy][xx];
                        }
                    }
                }
                out[o][y][x] = acc;
            }
        }
    }
}

// Inverse L1 GDN: out[i] = in[i] * (beta[i] + sum_j gamma[i][j] * |in[j]|), per pixel.
// gamma: raw of TG; beta: raw of TN (the norm's type: in's fraction bits plus gamma's).
template <int C, int H, int W, class TI, class TG, class TN, class TO, class GR, class BR>
void l1_igdn(const TI in[C][H][W], const BR beta[C], const GR gamma[C][C], TO out[C][H][W]) {
igdn_y:
    for (int y = 0; y < H; y++) {
    igdn_x:
        for (int x = 0; x < W; x++) {
#pragma HLS PIPELINE II = 1
            for (int i = 0; i < C; i++) {
                TN norm = from_raw<TN>(beta[i]);
                for (int j = 0; j < C; j++) {
                    const TI v = in[j][y][x];
                    typedef decltype(-v) TAbs;  // one bit wider: |most negative| is exact
                    norm += from_raw<TG>(gamma[i][j]) * (v < 0 ? TAbs(-v) : TAbs(v));
                }
                out[i][y][x] = in[i][y][x] * norm;
            }
        }
    }
}

}  // namespace strata
