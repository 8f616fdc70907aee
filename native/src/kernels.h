// Shared declarations of the native 3-D convolution kernels (NDHWC activations, DHWIO filters as in tfjs).
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>

namespace sslb {

// Geometry of one convolution y = conv(x, w). For the backprop kernels x is the conv's input (dx) and y its
// output (dy), so one struct describes all three directions.
struct ConvGeom {
  int n, id, ih, iw, ci;  // input batch, depth, height, width, channels
  int kd, kh, kw;         // filter extent
  int co;                 // output channels
  int od, oh, ow;         // output depth, height, width
  int sd, sh, sw;         // strides
  int dd, dh, dw;         // dilations (forward only; the backprops require 1)
  int pf, pt, pl;         // zero padding before the first input voxel (front, top, left)
};

// Runs body(begin, end, worker) over [0, count) in chunks on the addon's thread pool; the calling thread
// takes part. `worker` is in [0, pool_threads()) and never runs two chunks at once, so it can index
// per-thread scratch.
void parallel_for(int64_t count, const std::function<void(int64_t, int64_t, int)>& body);
int pool_threads();

#define SSLB_DECLARE_KERNELS(ns)                                                                 \
  namespace ns {                                                                                \
  void conv_forward(const ConvGeom& g, const float* x, const float* w, float* y);               \
  void conv_backprop_input(const ConvGeom& g, const float* dy, const float* w, float* dx);      \
  void conv_backprop_filter(const ConvGeom& g, const float* x, const float* dy, float* dw);     \
  void reduce_sum(const float* x, int64_t outer, int64_t rows, int64_t inner, float* out);     \
  void binary(int op, const float* a, const float* b, float* out, const int64_t* dims, const int64_t* sa,   \
              const int64_t* sb);                                                               \
  void unary(int op, const float* x, float* out, int64_t n, float alpha);                       \
  void bn_forward(const float* x, int64_t rows, int c, const float* bias, const float* gamma, const float* beta, \
                  float eps, bool relu, float* y, float* mean, float* var);                     \
  void bn_backward(const float* dy, const float* x, int64_t rows, int c, const float* bias, const float* gamma,  \
                   const float* beta, const float* mean, const float* var, float eps, bool relu, float* dx,   \
                   float* dgamma, float* dbeta);                                                \
  void release_scratch();                                                                       \
  size_t scratch_bytes();                                                                       \
  }

SSLB_DECLARE_KERNELS(generic)
#if defined(__x86_64__) || defined(_M_X64)
SSLB_DECLARE_KERNELS(avx2)
#endif

}  // namespace sslb
