// 3-D convolution kernels for NDHWC tensors, compiled once per instruction set (SSLB_ISA names the
// namespace; the build passes the matching -m flags). All three directions are "direct" convolutions: the
// microkernels read activations in place (no im2col matrix), so the extra memory is one zero-padded copy of
// an input and the packed filter, never a patches matrix.
#include <algorithm>
#include <array>
#include <cmath>
#include <memory>
#include <utility>
#include <cstdlib>
#include <cstring>
#include <new>
#include <vector>

#include "kernels.h"

#ifndef SSLB_ISA
#error "compile with -DSSLB_ISA=<namespace>"
#endif

namespace sslb {
namespace SSLB_ISA {
// Reductions are deterministic: [0, count) is cut into kSlabs fixed contiguous ranges and slab s sums
// into its own partial buffer in index order, whichever thread runs it; the partials are then added in
// slab order. Claiming chunks dynamically and summing per thread made results depend on scheduling
// (float sums in a different order), so a seeded run did not repeat itself. The count is fixed, not the
// thread count, so results do not depend on how many CPUs a machine has either.
constexpr int kSlabs = 8;

static void parallel_slabs(int64_t count, const std::function<void(int64_t, int64_t, int)>& body) {
  parallel_for(kSlabs, [&](int64_t sb, int64_t se, int) {
    for (int64_t slab = sb; slab < se; ++slab) {
      const int64_t b = count * slab / kSlabs, e = count * (slab + 1) / kSlabs;
      if (b < e) body(b, e, static_cast<int>(slab));
    }
  });
}

namespace {

// aligned(4) makes every vector access an unaligned one: activation rows start at arbitrary channels.
typedef float v8 __attribute__((vector_size(32), aligned(4)));

inline v8 load8(const float* p) { return *reinterpret_cast<const v8*>(p); }
inline void store8(float* p, v8 v) { *reinterpret_cast<v8*>(p) = v; }
typedef float v4 __attribute__((vector_size(16), aligned(4)));
typedef double v4d __attribute__((vector_size(32), aligned(8)));
inline v4 load4(const float* p) { return *reinterpret_cast<const v4*>(p); }
inline v4d widen(v4 v) { return __builtin_convertvector(v, v4d); }
inline v4d lo4(v8 v) { return widen(__builtin_shufflevector(v, v, 0, 1, 2, 3)); }
inline v4d hi4(v8 v) { return widen(__builtin_shufflevector(v, v, 4, 5, 6, 7)); }
inline void add4d(double* p, v4d v) { *reinterpret_cast<v4d*>(p) += v; }

constexpr int kMaxMr = 12;
// Reduction length handled per microkernel call before the tile goes back to memory; keeps one filter
// slice (kKc x 16 floats = 16 KiB) resident in L1 while the tiles of a row stream past it.
constexpr int kKc = 256;

// 64-byte aligned float storage. Buffers come from a small per-slot cache so that the large scratch of a
// training step (a padded activation can be hundreds of MiB) is not returned to the OS and page-faulted
// back in on every call; `release_scratch` frees the cache.
struct AlignedBuffer {
  float* p = nullptr;
  size_t bytes = 0;
  int slot = -1;
  AlignedBuffer(size_t floats, bool zero = false, int cacheSlot = -1);
  ~AlignedBuffer();
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;
};

constexpr int kSlots = 4;
enum Slot { kSlotPadded = 0, kSlotPacked = 1, kSlotDy = 2, kSlotPartial = 3 };
struct CachedBlock {
  float* p = nullptr;
  size_t bytes = 0;
  bool busy = false;
};
CachedBlock g_cache[kSlots];

AlignedBuffer::AlignedBuffer(size_t floats, bool zero, int cacheSlot) {
  bytes = ((floats * sizeof(float)) + 63) / 64 * 64;
  if (bytes == 0) bytes = 64;
  if (cacheSlot >= 0 && !g_cache[cacheSlot].busy) {
    CachedBlock& c = g_cache[cacheSlot];
    if (c.bytes < bytes) {
      std::free(c.p);
      c.p = static_cast<float*>(std::aligned_alloc(64, bytes));
      c.bytes = c.p ? bytes : 0;
    }
    if (c.p != nullptr) {
      c.busy = true;
      slot = cacheSlot;
      p = c.p;
    }
  }
  if (p == nullptr) p = static_cast<float*>(std::aligned_alloc(64, bytes));
  if (p == nullptr) throw std::bad_alloc();
  if (zero) std::memset(p, 0, bytes);
}

AlignedBuffer::~AlignedBuffer() {
  if (slot >= 0)
    g_cache[slot].busy = false;
  else
    std::free(p);
}

template <int NV>
inline void load_row(v8* acc, const float* c, int ncols) {
  if (ncols == 8 * NV) {
    for (int j = 0; j < NV; ++j) acc[j] = *reinterpret_cast<const v8*>(c + 8 * j);
  } else {
    float tmp[8 * NV] = {};
    std::memcpy(tmp, c, sizeof(float) * ncols);
    for (int j = 0; j < NV; ++j) acc[j] = *reinterpret_cast<const v8*>(tmp + 8 * j);
  }
}

template <int NV>
inline void store_row(const v8* acc, float* c, int ncols) {
  if (ncols == 8 * NV) {
    for (int j = 0; j < NV; ++j) *reinterpret_cast<v8*>(c + 8 * j) = acc[j];
  } else {
    float tmp[8 * NV];
    for (int j = 0; j < NV; ++j) *reinterpret_cast<v8*>(tmp + 8 * j) = acc[j];
    std::memcpy(c, tmp, sizeof(float) * ncols);
  }
}

// C[MR x 8NV] (+)= sum over taps t and channels k of A[r][tapOff[t] + k] * B[t*cin + k][:], where A row r
// starts at a + r*rs. B is a packed panel with 8NV floats per reduction index.
template <int MR, int NV>
void ukr_direct(int ntaps, const int64_t* tapOff, int cin, const float* a, int64_t rs, const float* b, float* c,
                int64_t crs, int ncols, bool accumulate) {
  v8 acc[MR][NV];
  if (accumulate) {
#pragma GCC unroll 12
    for (int r = 0; r < MR; ++r) load_row<NV>(acc[r], c + r * crs, ncols);
  } else {
#pragma GCC unroll 12
    for (int r = 0; r < MR; ++r)
#pragma GCC unroll 4
      for (int j = 0; j < NV; ++j) acc[r][j] = v8{};
  }
  for (int t = 0; t < ntaps; ++t) {
    const float* ap = a + tapOff[t];
    for (int k = 0; k < cin; ++k) {
      v8 bv[NV];
#pragma GCC unroll 4
      for (int j = 0; j < NV; ++j) bv[j] = *reinterpret_cast<const v8*>(b + 8 * j);
      b += 8 * NV;
#pragma GCC unroll 12
      for (int r = 0; r < MR; ++r) {
        const float av = ap[r * rs + k];
#pragma GCC unroll 4
        for (int j = 0; j < NV; ++j) acc[r][j] += bv[j] * av;
      }
    }
  }
#pragma GCC unroll 12
  for (int r = 0; r < MR; ++r) store_row<NV>(acc[r], c + r * crs, ncols);
}

// dW tile [MR reduction rows x 8NV output channels] += sum over pixels of x[pixel + kOff[r]] * dy[pixel][:].
// Pixels come as rows (bases rowX/rowDy) of npix pixels with strides xps/dyps.
template <int MR, int NV>
void ukr_filter(int nrows, const int64_t* rowX, const int64_t* rowDy, int npix, const float* x, const int64_t* kOff,
                int64_t xps, const float* dy, int64_t dyps, float* c, int64_t crs, int ncols) {
  v8 acc[MR][NV];
#pragma GCC unroll 12
  for (int r = 0; r < MR; ++r) load_row<NV>(acc[r], c + r * crs, ncols);
  for (int i = 0; i < nrows; ++i) {
    const float* xr = x + rowX[i];
    const float* dr = dy + rowDy[i];
    const float* ap[MR];
#pragma GCC unroll 12
    for (int r = 0; r < MR; ++r) ap[r] = xr + kOff[r];
    for (int p = 0; p < npix; ++p) {
      v8 bv[NV];
#pragma GCC unroll 4
      for (int j = 0; j < NV; ++j) bv[j] = *reinterpret_cast<const v8*>(dr + 8 * j);
      dr += dyps;
#pragma GCC unroll 12
      for (int r = 0; r < MR; ++r) {
        const float av = *ap[r];
        ap[r] += xps;
#pragma GCC unroll 4
        for (int j = 0; j < NV; ++j) acc[r][j] += bv[j] * av;
      }
    }
  }
#pragma GCC unroll 12
  for (int r = 0; r < MR; ++r) store_row<NV>(acc[r], c + r * crs, ncols);
}

using DirectFn = void (*)(int, const int64_t*, int, const float*, int64_t, const float*, float*, int64_t, int, bool);
using FilterFn = void (*)(int, const int64_t*, const int64_t*, int, const float*, const int64_t*, int64_t, const float*,
                          int64_t, float*, int64_t, int);

template <int NV, int... M>
constexpr std::array<DirectFn, sizeof...(M) + 1> direct_table(std::integer_sequence<int, M...>) {
  return {nullptr, &ukr_direct<M + 1, NV>...};
}
template <int NV, int... M>
constexpr std::array<FilterFn, sizeof...(M) + 1> filter_table(std::integer_sequence<int, M...>) {
  return {nullptr, &ukr_filter<M + 1, NV>...};
}

// Register budget of 16 vector registers: 6x2 or 12x1 accumulators leave room for the filter row and the
// broadcast value.
constexpr int mr_for(int nv) { return nv == 2 ? 6 : 12; }
const auto kDirect1 = direct_table<1>(std::make_integer_sequence<int, 12>());
const auto kDirect2 = direct_table<2>(std::make_integer_sequence<int, 6>());
const auto kFilter1 = filter_table<1>(std::make_integer_sequence<int, 12>());
const auto kFilter2 = filter_table<2>(std::make_integer_sequence<int, 6>());

inline DirectFn direct_fn(int nv, int mr) { return nv == 2 ? kDirect2[mr] : kDirect1[mr]; }
inline FilterFn filter_fn(int nv, int mr) { return nv == 2 ? kFilter2[mr] : kFilter1[mr]; }

// Output-channel panels: 16 wide, with a final 8-wide one when at most 8 channels remain.
struct Panel {
  int c0, ncols, nv;
};
std::vector<Panel> make_panels(int channels) {
  std::vector<Panel> panels;
  for (int c0 = 0; c0 < channels;) {
    const int rest = channels - c0;
    const int nv = rest > 8 ? 2 : 1;
    const int ncols = std::min(rest, 8 * nv);
    panels.push_back({c0, ncols, nv});
    c0 += ncols;
  }
  return panels;
}

// Copy of an NDHWC tensor with zeros around it: `before` voxels in front of each spatial axis and enough
// after it to reach the padded extent.
struct Padded {
  const float* data;
  int64_t d, h, w;
  std::unique_ptr<AlignedBuffer> owned;
};

Padded pad_volume(const float* src, int n, int d, int h, int w, int c, int bd, int bh, int bw, int64_t pd, int64_t ph,
                  int64_t pw) {
  Padded out{src, d, h, w, nullptr};
  if (bd == 0 && bh == 0 && bw == 0 && pd == d && ph == h && pw == w) return out;
  out.owned.reset(new AlignedBuffer(static_cast<size_t>(n) * pd * ph * pw * c, false, kSlotPadded));
  float* dst = out.owned->p;
  out.data = dst;
  out.d = pd;
  out.h = ph;
  out.w = pw;
  const int64_t plane = ph * pw * c;
  const int64_t rowLen = pw * c;
  parallel_for(static_cast<int64_t>(n) * pd, [&](int64_t b, int64_t e, int) {
    for (int64_t u = b; u < e; ++u) {
      const int64_t nn = u / pd, z = u % pd;
      float* dp = dst + u * plane;
      const int64_t sz = z - bd;
      if (sz < 0 || sz >= d) {
        std::memset(dp, 0, sizeof(float) * plane);
        continue;
      }
      for (int64_t y = 0; y < ph; ++y) {
        float* drow = dp + y * rowLen;
        const int64_t sy = y - bh;
        if (sy < 0 || sy >= h) {
          std::memset(drow, 0, sizeof(float) * rowLen);
          continue;
        }
        const float* srow = src + ((nn * d + sz) * h + sy) * static_cast<int64_t>(w) * c;
        // A negative `before` crops (tfjs 'same' padding can be negative when the stride exceeds the kernel).
        const int64_t x0 = std::max<int64_t>(0, bw), x1 = std::min<int64_t>(pw, static_cast<int64_t>(bw) + w);
        if (x1 <= x0) {
          std::memset(drow, 0, sizeof(float) * rowLen);
          continue;
        }
        std::memset(drow, 0, sizeof(float) * x0 * c);
        std::memcpy(drow + x0 * c, srow + (x0 - bw) * c, sizeof(float) * (x1 - x0) * c);
        if (x1 < pw) std::memset(drow + x1 * c, 0, sizeof(float) * (pw - x1) * c);
      }
    }
  });
  return out;
}

// Packs B[k][col] (row stride ldb, `rows` reduction indices) into panels of 8NV zero-padded columns.
// rowOf maps the packed reduction index to the source row (lets callers reorder/flip the filter).
template <typename RowOf>
std::unique_ptr<AlignedBuffer> pack_panels(const std::vector<Panel>& panels, int64_t rows, RowOf rowOf,
                                           const float* src, int64_t ldb, int64_t colStride,
                                           std::vector<int64_t>& panelOffset) {
  int64_t total = 0;
  panelOffset.clear();
  for (const Panel& p : panels) {
    panelOffset.push_back(total);
    total += rows * 8 * p.nv;
  }
  std::unique_ptr<AlignedBuffer> buf(new AlignedBuffer(static_cast<size_t>(total), true, kSlotPacked));
  for (size_t i = 0; i < panels.size(); ++i) {
    const Panel& p = panels[i];
    float* dst = buf->p + panelOffset[i];
    const int width = 8 * p.nv;
    for (int64_t k = 0; k < rows; ++k) {
      const float* s = src + rowOf(k) * ldb;
      for (int j = 0; j < p.ncols; ++j) dst[k * width + j] = s[(p.c0 + j) * colStride];
    }
  }
  return buf;
}

inline int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
// Rounding divisions for possibly negative numerators (b > 0).
inline int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }
inline int64_t ceil_div_signed(int64_t a, int64_t b) { return -floor_div(-a, b); }

}  // namespace

void conv_forward(const ConvGeom& g, const float* x, const float* w, float* y) {
  const int64_t pd = std::max<int64_t>(g.id + g.pf, static_cast<int64_t>(g.od - 1) * g.sd + (g.kd - 1) * g.dd + 1);
  const int64_t ph = std::max<int64_t>(g.ih + g.pt, static_cast<int64_t>(g.oh - 1) * g.sh + (g.kh - 1) * g.dh + 1);
  const int64_t pw = std::max<int64_t>(g.iw + g.pl, static_cast<int64_t>(g.ow - 1) * g.sw + (g.kw - 1) * g.dw + 1);
  Padded xp = pad_volume(x, g.n, g.id, g.ih, g.iw, g.ci, g.pf, g.pt, g.pl, pd, ph, pw);

  const int ntaps = g.kd * g.kh * g.kw;
  const int64_t krows = static_cast<int64_t>(ntaps) * g.ci;
  std::vector<int64_t> tapOff(ntaps);
  for (int a = 0, t = 0; a < g.kd; ++a)
    for (int b = 0; b < g.kh; ++b)
      for (int c = 0; c < g.kw; ++c, ++t)
        tapOff[t] = ((static_cast<int64_t>(a) * g.dd * xp.h + static_cast<int64_t>(b) * g.dh) * xp.w +
                     static_cast<int64_t>(c) * g.dw) * g.ci;

  const std::vector<Panel> panels = make_panels(g.co);
  std::vector<int64_t> panelOff;
  auto packed = pack_panels(panels, krows, [](int64_t k) { return k; }, w, g.co, 1, panelOff);

  const int tapsPerChunk = std::max(1, kKc / std::max(1, g.ci));
  const int64_t units = static_cast<int64_t>(g.n) * g.od * g.oh;
  const int64_t rs = static_cast<int64_t>(g.sw) * g.ci;
  parallel_for(units, [&](int64_t ub, int64_t ue, int) {
    for (int64_t u = ub; u < ue; ++u) {
      const int64_t nn = u / (static_cast<int64_t>(g.od) * g.oh);
      const int64_t rem = u % (static_cast<int64_t>(g.od) * g.oh);
      const int64_t z = rem / g.oh, yy = rem % g.oh;
      const float* arow = xp.data + ((nn * xp.d + z * g.sd) * xp.h + yy * g.sh) * xp.w * g.ci;
      float* crow = y + u * g.ow * static_cast<int64_t>(g.co);
      for (size_t pi = 0; pi < panels.size(); ++pi) {
        const Panel& p = panels[pi];
        const int mr = mr_for(p.nv);
        const float* bp = packed->p + panelOff[pi];
        for (int t0 = 0; t0 < ntaps; t0 += tapsPerChunk) {
          const int nt = std::min(tapsPerChunk, ntaps - t0);
          const float* bchunk = bp + static_cast<int64_t>(t0) * g.ci * 8 * p.nv;
          for (int x0 = 0; x0 < g.ow; x0 += mr) {
            const int m = std::min(mr, g.ow - x0);
            direct_fn(p.nv, m)(nt, tapOff.data() + t0, g.ci, arow + x0 * rs, rs, bchunk,
                               crow + static_cast<int64_t>(x0) * g.co + p.c0, g.co, p.ncols, t0 > 0);
          }
        }
      }
    }
  });
}

void conv_backprop_input(const ConvGeom& g, const float* dy, const float* w, float* dx) {
  // dx[xd] collects dy[od] * w[kd] over xd = od*sd - pf + kd. Splitting dx by the residue
  // r = (xd + pf) mod s turns this into a stride-1 correlation per residue class with the sub-filter
  // kd = r + s*j, reading dy at m - j where m = (xd + pf - r) / s. Each class writes its own voxels, so
  // classes and rows run in parallel without write conflicts.
  // Residue r = (x + pad) mod s of each dx voxel x = r - pad + s*m reads dy[m - j] for j < ceil(k/s); pad dy
  // in front by the taps plus any negative m (negative 'same' padding), and behind up to the last m.
  auto front = [](int k, int s, int pad) {
    return static_cast<int>(ceil_div(k, s) - 1 + std::max<int64_t>(0, -ceil_div_signed(pad - (s - 1), s)));
  };
  auto extent = [](int fr, int out, int in, int pad, int s) {
    return fr + std::max<int64_t>(out, floor_div(in - 1 + pad, s) + 1);
  };
  const int fd = front(g.kd, g.sd, g.pf), fh = front(g.kh, g.sh, g.pt), fw = front(g.kw, g.sw, g.pl);
  const int64_t qd = extent(fd, g.od, g.id, g.pf, g.sd);
  const int64_t qh = extent(fh, g.oh, g.ih, g.pt, g.sh);
  const int64_t qw = extent(fw, g.ow, g.iw, g.pl, g.sw);
  Padded dyp = pad_volume(dy, g.n, g.od, g.oh, g.ow, g.co, fd, fh, fw, qd, qh, qw);

  struct Class {
    int rd, rh, rw;
    int64_t md0, mh0, mw0, nd, nh, nw;  // first m and count per axis
    int ntaps;
    std::vector<int64_t> tapOff;
    std::vector<int64_t> panelOff;
    std::unique_ptr<AlignedBuffer> packed;
  };
  // When the filter tiles the width exactly (kernel = stride, no padding: the V-Net's 2x2x2 up and down
  // convolutions), the width residues are folded into the columns: one tile row then writes sw*ci
  // contiguous floats of dx instead of sw strided pieces.
  const bool foldW = g.kw == g.sw && g.pl == 0 && static_cast<int64_t>(g.ow) * g.sw == g.iw;
  const int cols = foldW ? g.sw * g.ci : g.ci;
  const std::vector<Panel> panels = make_panels(cols);
  std::vector<Class> classes;
  bool anyEmpty = false;
  auto axis = [](int r, int s, int pad, int in, int64_t& m0, int64_t& count) {
    m0 = ceil_div_signed(pad - r, s);
    count = std::max<int64_t>(0, floor_div(in - 1 + pad - r, s) - m0 + 1);
  };
  for (int rd = 0; rd < g.sd; ++rd)
    for (int rh = 0; rh < g.sh; ++rh)
      for (int rw = 0; rw < (foldW ? 1 : g.sw); ++rw) {
        Class c;
        c.rd = rd, c.rh = rh, c.rw = rw;
        axis(rd, g.sd, g.pf, g.id, c.md0, c.nd);
        axis(rh, g.sh, g.pt, g.ih, c.mh0, c.nh);
        axis(rw, g.sw, g.pl, g.iw, c.mw0, c.nw);
        if (c.nd == 0 || c.nh == 0 || c.nw == 0) continue;
        const int jd = rd < g.kd ? static_cast<int>(ceil_div(g.kd - rd, g.sd)) : 0;
        const int jh = rh < g.kh ? static_cast<int>(ceil_div(g.kh - rh, g.sh)) : 0;
        const int jw = foldW ? 1 : rw < g.kw ? static_cast<int>(ceil_div(g.kw - rw, g.sw)) : 0;
        c.ntaps = jd * jh * jw;
        if (c.ntaps == 0) {
          anyEmpty = true;  // stride larger than the filter: these voxels receive nothing
          continue;
        }
        std::vector<int64_t> wrow;  // filter row (kd,kh,kw) of each tap
        for (int a = 0; a < jd; ++a)
          for (int b = 0; b < jh; ++b)
            for (int e = 0; e < jw; ++e) {
              c.tapOff.push_back(-((static_cast<int64_t>(a) * qh + b) * qw + e) * g.co);
              wrow.push_back((static_cast<int64_t>(rd + a * g.sd) * g.kh + (rh + b * g.sh)) * g.kw + (rw + e * g.sw));
            }
        // Reduction index k = tap * co + o reads w[kd,kh,kw][ci=col][o]: source row (tap, o) with
        // ci as the column at stride co. Folded, column (rw, ci) lands at (rw * ci + ci) * co from kw = 0.
        const int64_t co = g.co;
        c.packed = pack_panels(
            panels, static_cast<int64_t>(c.ntaps) * co,
            [&](int64_t k) { return wrow[k / co] * g.ci * co + k % co; }, w, 1, co, c.panelOff);
        classes.push_back(std::move(c));
      }
  if (anyEmpty) std::memset(dx, 0, sizeof(float) * static_cast<size_t>(g.n) * g.id * g.ih * g.iw * g.ci);


  // Classes that differ only in the width residue write interleaved voxels of the same dx rows; one unit
  // runs all of them on a row while it is in cache (class by class, each strided pass would pull every
  // cache line of dx through memory again).
  struct Group {
    size_t first, last;
    int64_t units;
  };
  std::vector<Group> groups;
  for (size_t i = 0; i < classes.size();) {
    size_t j = i + 1;
    while (j < classes.size() && classes[j].rd == classes[i].rd && classes[j].rh == classes[i].rh) ++j;
    groups.push_back({i, j, static_cast<int64_t>(g.n) * classes[i].nd * classes[i].nh});
    i = j;
  }
  std::vector<int64_t> unitStart{0};
  for (const Group& gr : groups) unitStart.push_back(unitStart.back() + gr.units);
  const int tapsPerChunk = std::max(1, kKc / std::max(1, g.co));
  const int64_t crs = static_cast<int64_t>(g.sw) * g.ci;
  parallel_for(unitStart.back(), [&](int64_t ub, int64_t ue, int) {
    size_t gi = 0;
    for (int64_t u = ub; u < ue; ++u) {
      while (u >= unitStart[gi + 1]) ++gi;
      const Group& gr = groups[gi];
      const int64_t local = u - unitStart[gi];
      for (size_t ci = gr.first; ci < gr.last; ++ci) {
        const Class& c = classes[ci];
        const int64_t nn = local / (c.nd * c.nh);
        const int64_t md = c.md0 + (local / c.nh) % c.nd;
        const int64_t mh = c.mh0 + local % c.nh;
        const int64_t xd = c.rd - g.pf + g.sd * md;
        const int64_t xh = c.rh - g.pt + g.sh * mh;
        const int64_t xw0 = c.rw - g.pl + g.sw * c.mw0;
        const float* arow = dyp.data + ((nn * dyp.d + md + fd) * dyp.h + mh + fh) * dyp.w * g.co +
                            (c.mw0 + fw) * static_cast<int64_t>(g.co);
        float* crow = dx + (((nn * g.id + xd) * g.ih + xh) * g.iw + xw0) * g.ci;
        for (size_t pi = 0; pi < panels.size(); ++pi) {
          const Panel& p = panels[pi];
          const int mr = mr_for(p.nv);
          const float* bp = c.packed->p + c.panelOff[pi];
          for (int t0 = 0; t0 < c.ntaps; t0 += tapsPerChunk) {
            const int nt = std::min(tapsPerChunk, c.ntaps - t0);
            const float* bchunk = bp + static_cast<int64_t>(t0) * g.co * 8 * p.nv;
            for (int64_t x0 = 0; x0 < c.nw; x0 += mr) {
              const int m = static_cast<int>(std::min<int64_t>(mr, c.nw - x0));
              direct_fn(p.nv, m)(nt, c.tapOff.data() + t0, g.co, arow + x0 * g.co, g.co, bchunk,
                                 crow + x0 * crs + p.c0, crs, p.ncols, t0 > 0);
            }
          }
        }
      }
    }
  });
}

void conv_backprop_filter(const ConvGeom& g, const float* x, const float* dy, float* dw) {
  const int64_t pd = std::max<int64_t>(g.id + g.pf, static_cast<int64_t>(g.od - 1) * g.sd + g.kd);
  const int64_t ph = std::max<int64_t>(g.ih + g.pt, static_cast<int64_t>(g.oh - 1) * g.sh + g.kh);
  const int64_t pw = std::max<int64_t>(g.iw + g.pl, static_cast<int64_t>(g.ow - 1) * g.sw + g.kw);
  Padded xp = pad_volume(x, g.n, g.id, g.ih, g.iw, g.ci, g.pf, g.pt, g.pl, pd, ph, pw);

  // The microkernel loads whole 8-wide vectors of dy; give dy a channel count that is a multiple of 8.
  const int cop = static_cast<int>(ceil_div(g.co, 8) * 8);
  std::unique_ptr<AlignedBuffer> dyPadded;
  const float* dyv = dy;
  const int64_t pixels = static_cast<int64_t>(g.n) * g.od * g.oh * g.ow;
  if (cop != g.co) {
    dyPadded.reset(new AlignedBuffer(static_cast<size_t>(pixels) * cop, true, kSlotDy));
    for (int64_t p = 0; p < pixels; ++p) std::memcpy(dyPadded->p + p * cop, dy + p * g.co, sizeof(float) * g.co);
    dyv = dyPadded->p;
  }

  const int ntaps = g.kd * g.kh * g.kw;
  const int64_t krows = static_cast<int64_t>(ntaps) * g.ci;
  std::vector<int64_t> kOff(krows + kMaxMr, 0);
  for (int a = 0, t = 0; a < g.kd; ++a)
    for (int b = 0; b < g.kh; ++b)
      for (int c = 0; c < g.kw; ++c, ++t)
        for (int i = 0; i < g.ci; ++i)
          kOff[static_cast<int64_t>(t) * g.ci + i] = ((static_cast<int64_t>(a) * xp.h + b) * xp.w + c) * g.ci + i;

  const int64_t rows = static_cast<int64_t>(g.n) * g.od * g.oh;
  std::vector<int64_t> rowX(rows), rowDy(rows);
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t nn = r / (static_cast<int64_t>(g.od) * g.oh);
    const int64_t z = (r / g.oh) % g.od, yy = r % g.oh;
    rowX[r] = ((nn * xp.d + z * g.sd) * xp.h + yy * g.sh) * xp.w * g.ci;
    rowDy[r] = r * g.ow * cop;
  }
  // Enough pixels per unit to amortise loading and storing the dW tiles, enough units to share out.
  const int threads = kSlabs;
  int64_t rowsPerUnit = std::max<int64_t>(1, ceil_div(512, g.ow));
  rowsPerUnit = std::min(rowsPerUnit, std::max<int64_t>(1, rows / (2 * kSlabs)));
  const int64_t units = ceil_div(rows, rowsPerUnit);

  const std::vector<Panel> panels = make_panels(g.co);
  const int64_t dwSize = krows * g.co;
  AlignedBuffer partial(static_cast<size_t>(dwSize) * threads, true, kSlotPartial);
  parallel_slabs(units, [&](int64_t ub, int64_t ue, int tid) {
    float* acc = partial.p + static_cast<int64_t>(tid) * dwSize;
    for (int64_t u = ub; u < ue; ++u) {
      const int64_t r0 = u * rowsPerUnit;
      const int nr = static_cast<int>(std::min(rowsPerUnit, rows - r0));
      for (const Panel& p : panels) {
        const int mr = mr_for(p.nv);
        for (int64_t k0 = 0; k0 < krows; k0 += mr) {
          const int m = static_cast<int>(std::min<int64_t>(mr, krows - k0));
          filter_fn(p.nv, m)(nr, rowX.data() + r0, rowDy.data() + r0, g.ow, xp.data, kOff.data() + k0,
                             static_cast<int64_t>(g.sw) * g.ci, dyv + p.c0, cop, acc + k0 * g.co + p.c0, g.co,
                             p.ncols);
        }
      }
    }
  });
  parallel_for(dwSize, [&](int64_t b, int64_t e, int) {
    for (int64_t i = b; i < e; ++i) {
      float s = 0;
      for (int t = 0; t < threads; ++t) s += partial.p[static_cast<int64_t>(t) * dwSize + i];
      dw[i] = s;
    }
  });
}

// Training-mode batch norm over the rows of a [rows, c] matrix (NDHWC flattened), optionally followed by
// ReLU. `bias` is a per-channel shift applied before normalisation (a conv bias): it cancels in the output
// but belongs in the reported mean, which feeds the running statistics.
void bn_forward(const float* x, int64_t rows, int c, const float* bias, const float* gamma, const float* beta, float eps,
                bool relu, float* y, float* meanOut, float* varOut) {
  const int threads = kSlabs;
  std::vector<double> partial(static_cast<size_t>(threads) * 2 * c, 0.0);
  // float64 accumulators for every value, shifted by the first row. Float32 lanes over 2048/c rows made the
  // variance (and through it y and the gradients) 10-250x less accurate than the stock cpu backend's
  // (test/nn/kernels/batchnorm-precision.test.ts); the shift keeps the one-pass variance from cancelling
  // when |mean| >> std.
  const float* shift0 = x;
  const int64_t chunk = std::max<int64_t>(1, 2048 / c);
  parallel_slabs(ceil_div(rows, chunk), [&](int64_t b, int64_t e, int tid) {
    double* __restrict s = partial.data() + static_cast<size_t>(tid) * 2 * c;
    double* __restrict q = s + c;
    const int64_t r1 = std::min(rows, e * chunk);
    for (int64_t r = b * chunk; r < r1; ++r) {
      const float* row = x + r * c;
      for (int j = 0; j < c; ++j) {
        const double d = static_cast<double>(row[j]) - shift0[j];
        s[j] += d;
        q[j] += d * d;
      }
    }
  });
  std::vector<float> scale(c), shift(c);
  for (int j = 0; j < c; ++j) {
    double sum = 0, sq = 0;
    for (int t = 0; t < threads; ++t) {
      sum += partial[static_cast<size_t>(t) * 2 * c + j];
      sq += partial[static_cast<size_t>(t) * 2 * c + c + j];
    }
    const double dmean = sum / rows;
    const double mean = shift0[j] + dmean;
    const double var = std::max(0.0, sq / rows - dmean * dmean);
    const double invstd = 1.0 / std::sqrt(var + eps);
    scale[j] = static_cast<float>(invstd * gamma[j]);
    shift[j] = static_cast<float>(beta[j] - mean * invstd * gamma[j]);
    meanOut[j] = static_cast<float>(mean + (bias ? bias[j] : 0.0f));
    varOut[j] = static_cast<float>(var);
  }
  parallel_for(ceil_div(rows, chunk), [&](int64_t b, int64_t e, int) {
    const int64_t r1 = std::min(rows, e * chunk);
    for (int64_t r = b * chunk; r < r1; ++r) {
      const float* row = x + r * c;
      float* out = y + r * c;
      if (relu)
        for (int j = 0; j < c; ++j) {
          const float v = row[j] * scale[j] + shift[j];
          out[j] = v < 0.0f ? 0.0f : v;
        }
      else
        for (int j = 0; j < c; ++j) out[j] = row[j] * scale[j] + shift[j];
    }
  });
}

// Gradient of bn_forward with respect to x, gamma and beta (the bias gets none: it cancels). The ReLU mask
// is recomputed from x with the forward's arithmetic, so only x has to be kept for the backward pass.
void bn_backward(const float* dy, const float* x, int64_t rows, int c, const float* bias, const float* gamma,
                 const float* beta, const float* meanIn, const float* varIn, float eps, bool relu, float* dx,
                 float* dgamma, float* dbeta) {
  const int threads = kSlabs;
  std::vector<float> mean(c), invstd(c), scale(c), shift(c);
  for (int j = 0; j < c; ++j) {
    const double m = static_cast<double>(meanIn[j]) - (bias ? bias[j] : 0.0f);
    const double is = 1.0 / std::sqrt(static_cast<double>(varIn[j]) + eps);
    mean[j] = static_cast<float>(m);
    invstd[j] = static_cast<float>(is);
    scale[j] = static_cast<float>(is * gamma[j]);
    shift[j] = static_cast<float>(beta[j] - m * is * gamma[j]);
  }
  std::vector<double> partial(static_cast<size_t>(threads) * 2 * c, 0.0);
  const int64_t chunk = std::max<int64_t>(1, 2048 / c);
  // sum(g) and sum(g * (x - mean)) in float64 per value. The dy reaching a batch norm is often the dx of
  // another one through a conv, nearly zero-mean per channel, so these sums cancel: float32 lanes over
  // 2048/c rows gave dbeta ~40x the stock cpu backend's error (test/nn/kernels/batchnorm-precision.test.ts).
  parallel_slabs(ceil_div(rows, chunk), [&, c, relu](int64_t b, int64_t e, int tid) {
    double* __restrict sg = partial.data() + static_cast<size_t>(tid) * 2 * c;
    double* __restrict sgx = sg + c;
    const float* __restrict sc = scale.data();
    const float* __restrict sh = shift.data();
    const float* __restrict mu = mean.data();
    const int64_t r1 = std::min(rows, e * chunk);
    for (int64_t r = b * chunk; r < r1; ++r) {
      const float* __restrict xr = x + r * c;
      const float* __restrict gr = dy + r * c;
      int j = 0;
      // Explicit 8-wide vectors with a select for the ReLU mask: with c = 8 the auto-vectoriser falls back
      // to a scalar loop whose data-dependent branch mispredicts on every other voxel.
      for (; j + 8 <= c; j += 8) {
        const v8 xv = load8(xr + j), gv = load8(gr + j);
        const v8 g = relu ? (xv * load8(sc + j) + load8(sh + j) <= 0.0f ? v8{} : gv) : gv;
        const v8 xc = xv - load8(mu + j);
        add4d(sg + j, lo4(g));
        add4d(sg + j + 4, hi4(g));
        add4d(sgx + j, lo4(g) * lo4(xc));
        add4d(sgx + j + 4, hi4(g) * hi4(xc));
      }
      for (; j + 4 <= c; j += 4) {
        const v4 xv = load4(xr + j), gv = load4(gr + j);
        const v4 g = relu ? (xv * load4(sc + j) + load4(sh + j) <= 0.0f ? v4{} : gv) : gv;
        add4d(sg + j, widen(g));
        add4d(sgx + j, widen(g) * widen(xv - load4(mu + j)));
      }
      for (; j < c; ++j) {
        const float gv = gr[j], xv = xr[j];
        const float g = relu && xv * sc[j] + sh[j] <= 0.0f ? 0.0f : gv;
        sg[j] += g;
        sgx[j] += static_cast<double>(g) * (xv - mu[j]);
      }
    }
  });
  std::vector<float> k0(c), k1(c), k2(c);
  for (int j = 0; j < c; ++j) {
    double a = 0, gx = 0;
    for (int t = 0; t < threads; ++t) {
      a += partial[static_cast<size_t>(t) * 2 * c + j];
      gx += partial[static_cast<size_t>(t) * 2 * c + c + j];
    }
    const double bsum = gx * invstd[j];  // sum(g * xhat)
    dbeta[j] = static_cast<float>(a);
    dgamma[j] = static_cast<float>(bsum);
    // dx = gamma*invstd * (g - sum(g)/M - xhat * sum(g*xhat)/M), with xhat = (x - mean) * invstd; x - mean
    // is formed per value (not x * k2 + a folded constant, which cancels when |mean| >> std).
    const double gi = static_cast<double>(gamma[j]) * invstd[j];
    k0[j] = static_cast<float>(gi);
    k1[j] = static_cast<float>(-gi * a / rows);
    k2[j] = static_cast<float>(-gi * bsum / rows * invstd[j]);
  }
  parallel_for(ceil_div(rows, chunk), [&, c, relu](int64_t b, int64_t e, int) {
    const float* __restrict sc = scale.data();
    const float* __restrict sh = shift.data();
    const float* __restrict mu = mean.data();
    const float* __restrict a0 = k0.data();
    const float* __restrict a1 = k1.data();
    const float* __restrict a2 = k2.data();
    const int64_t r1 = std::min(rows, e * chunk);
    for (int64_t r = b * chunk; r < r1; ++r) {
      const float* __restrict xr = x + r * c;
      const float* __restrict gr = dy + r * c;
      float* __restrict out = dx + r * c;
      int j = 0;
      for (; j + 8 <= c; j += 8) {
        const v8 xv = load8(xr + j), gv = load8(gr + j);
        const v8 g = relu ? (xv * load8(sc + j) + load8(sh + j) <= 0.0f ? v8{} : gv) : gv;
        store8(out + j, g * load8(a0 + j) + load8(a1 + j) + (xv - load8(mu + j)) * load8(a2 + j));
      }
      for (; j < c; ++j) {
        const float gv = gr[j], xv = xr[j];
        const float g = relu && xv * sc[j] + sh[j] <= 0.0f ? 0.0f : gv;
        out[j] = g * a0[j] + a1[j] + (xv - mu[j]) * a2[j];
      }
    }
  });
}

void release_scratch() {
  for (CachedBlock& c : g_cache) {
    if (c.busy) continue;
    std::free(c.p);
    c = CachedBlock{};
  }
}

size_t scratch_bytes() {
  size_t total = 0;
  for (const CachedBlock& c : g_cache) total += c.bytes;
  return total;
}

void reduce_sum(const float* x, int64_t outer, int64_t rows, int64_t inner, float* out) {
  // out[o][j] = sum over r of x[o][r][j]. Rows are cut into chunks shared out to the threads; each thread
  // accumulates in float64 (BN statistics sum millions of voxels) into its own copy of the output.
  const int threads = kSlabs;
  const int64_t outSize = outer * inner;
  if (inner == 1) {
    // Whole-row sums: each row split into segments summed in 4 float64 lanes (vectorised conversions).
    constexpr int64_t kSeg = 1 << 16;
    const int64_t segs = ceil_div(rows, kSeg);
    std::vector<double> seg(static_cast<size_t>(outer * segs), 0.0);
    parallel_for(outer * segs, [&](int64_t b, int64_t e, int) {
      for (int64_t u = b; u < e; ++u) {
        const int64_t o = u / segs, s0 = (u % segs) * kSeg, s1 = std::min(rows, s0 + kSeg);
        const float* p = x + o * rows;
        double lane[4] = {0, 0, 0, 0};
        int64_t i = s0;
        for (; i + 4 <= s1; i += 4)
          for (int l = 0; l < 4; ++l) lane[l] += p[i + l];
        double total = (lane[0] + lane[1]) + (lane[2] + lane[3]);
        for (; i < s1; ++i) total += p[i];
        seg[u] = total;
      }
    });
    for (int64_t o = 0; o < outer; ++o) {
      double total = 0;
      for (int64_t k = 0; k < segs; ++k) total += seg[o * segs + k];
      out[o] = static_cast<float>(total);
    }
    return;
  }
  std::vector<double> partial(static_cast<size_t>(outSize) * threads, 0.0);
  const int64_t chunk = std::min(rows, std::max<int64_t>(1, 65536 / inner));
  const int64_t chunks = ceil_div(rows, chunk);
  parallel_slabs(outer * chunks, [&](int64_t b, int64_t e, int tid) {
    double* acc = partial.data() + static_cast<int64_t>(tid) * outSize;
    for (int64_t u = b; u < e; ++u) {
      const int64_t o = u / chunks, r0 = (u % chunks) * chunk, r1 = std::min(rows, r0 + chunk);
      double* a = acc + o * inner;
      for (int64_t r = r0; r < r1; ++r) {
        const float* row = x + (o * rows + r) * inner;
        for (int64_t j = 0; j < inner; ++j) a[j] += row[j];
      }
    }
  });
  parallel_for(outSize, [&](int64_t b, int64_t e, int) {
    for (int64_t i = b; i < e; ++i) {
      double s = 0;
      for (int t = 0; t < threads; ++t) s += partial[static_cast<size_t>(t) * outSize + i];
      out[i] = static_cast<float>(s);
    }
  });
}

namespace {

template <int OP>
inline float apply(float a, float b) {
  if (OP == 0) return a + b;
  if (OP == 1) return a - b;
  if (OP == 2) return a * b;
  if (OP == 3) return a / b;
  const float d = a - b;  // squared difference
  return d * d;
}

// One row segment: each operand either advances (stride 1) or repeats one value (stride 0).
template <int OP>
inline void binary_segment(const float* a, int64_t ia, const float* b, int64_t ib, float* o, int64_t n) {
  if (ia == 1 && ib == 1) {
    for (int64_t j = 0; j < n; ++j) o[j] = apply<OP>(a[j], b[j]);
  } else if (ia == 1) {
    const float bv = b[0];
    for (int64_t j = 0; j < n; ++j) o[j] = apply<OP>(a[j], bv);
  } else if (ib == 1) {
    const float av = a[0];
    for (int64_t j = 0; j < n; ++j) o[j] = apply<OP>(av, b[j]);
  } else {
    const float v = apply<OP>(a[0], b[0]);
    for (int64_t j = 0; j < n; ++j) o[j] = v;
  }
}

template <int OP>
void binary_impl(const float* a, const float* b, float* out, const int64_t* d, const int64_t* sa, const int64_t* sb) {
  const int64_t total = d[0] * d[1] * d[2];
  constexpr int64_t kGrain = 1 << 15;
  const int64_t units = total < (int64_t{1} << 18) ? 1 : ceil_div(total, kGrain);
  // A short innermost axis with one operand repeating across rows (a per-channel scale, a dropout mask):
  // tile that operand's row into a local buffer once per unit so the inner loop runs over many rows.
  const bool aPeriodic = sa[2] == 1 && sa[1] == 0 && sb[2] == 1 && sb[1] == d[2];
  const bool bPeriodic = sb[2] == 1 && sb[1] == 0 && sa[2] == 1 && sa[1] == d[2];
  if (d[2] <= 256 && d[1] > 1 && (aPeriodic || bPeriodic)) {
    const int64_t period = d[2];
    const int64_t reps = std::max<int64_t>(1, 1024 / period);
    const int64_t rowsPerUnit = std::max<int64_t>(reps, kGrain / period);
    const int64_t chunksPerBlock = ceil_div(d[1], rowsPerUnit);
    parallel_for(d[0] * chunksPerBlock, [&](int64_t ub, int64_t ue, int) {
      float tile[2048];
      for (int64_t u = ub; u < ue; ++u) {
        const int64_t i0 = u / chunksPerBlock, r0 = (u % chunksPerBlock) * rowsPerUnit;
        const int64_t r1 = std::min(d[1], r0 + rowsPerUnit);
        const float* small = aPeriodic ? a + i0 * sa[0] : b + i0 * sb[0];
        const float* full = aPeriodic ? b + i0 * sb[0] : a + i0 * sa[0];
        for (int64_t t = 0; t < reps * period; ++t) tile[t] = small[t % period];
        float* o = out + (i0 * d[1]) * period;
        for (int64_t r = r0; r < r1; r += reps) {
          const int64_t n = std::min(reps, r1 - r) * period;
          const float* f = full + r * period;
          float* dst = o + r * period;
          if (aPeriodic)
            for (int64_t j = 0; j < n; ++j) dst[j] = apply<OP>(tile[j], f[j]);
          else
            for (int64_t j = 0; j < n; ++j) dst[j] = apply<OP>(f[j], tile[j]);
        }
      }
    });
    return;
  }
  // Units are flat ranges of the output, so a single long row is shared out as well as many short ones.
  parallel_for(units, [&](int64_t ub, int64_t ue, int) {
    int64_t e = ub * (total / units) + std::min(ub, total % units);
    const int64_t end = ue * (total / units) + std::min(ue, total % units);
    int64_t j = e % d[2];
    int64_t i1 = (e / d[2]) % d[1], i0 = e / d[2] / d[1];
    while (e < end) {
      const int64_t n = std::min(d[2] - j, end - e);
      binary_segment<OP>(a + i0 * sa[0] + i1 * sa[1] + j * sa[2], sa[2], b + i0 * sb[0] + i1 * sb[1] + j * sb[2], sb[2],
                         out + e, n);
      e += n;
      j = 0;
      if (++i1 == d[1]) {
        i1 = 0;
        ++i0;
      }
    }
  });
}

}  // namespace

namespace {

// exp with a Cephes-style range reduction and degree-6 polynomial: about 1 ulp, and branch-free so the
// compiler vectorises it. Inputs below ln(FLT_MIN) give 0 (tfjs would give a denormal), above ln(FLT_MAX) inf.
inline float fast_exp(float x) {
  const float hi = 88.7228391f, lo = -87.3365448f;
  const float xc = x > hi ? hi : (x < lo ? lo : x);
  const float fx = __builtin_floorf(xc * 1.44269504088896341f + 0.5f);
  float r = xc - fx * 0.693359375f + fx * 2.12194440e-4f;
  float y = 1.9875691500e-4f;
  y = y * r + 1.3981999507e-3f;
  y = y * r + 8.3334519073e-3f;
  y = y * r + 4.1665795894e-2f;
  y = y * r + 1.6666665459e-1f;
  y = y * r + 5.0000001201e-1f;
  y = y * r * r + r + 1.0f;
  // 2^fx in two halves: fx reaches 128 just below overflow, beyond a single exponent field.
  const int32_t e = static_cast<int32_t>(fx);
  const int32_t b1 = ((e >> 1) + 127) << 23, b2 = ((e - (e >> 1)) + 127) << 23;
  float s1, s2;
  std::memcpy(&s1, &b1, sizeof s1);
  std::memcpy(&s2, &b2, sizeof s2);
  float out = y * s1 * s2;
  out = x > hi ? __builtin_inff() : out;
  out = x < lo ? 0.0f : out;
  return x != x ? x : out;
}

template <int OP>
void unary_impl(const float* x, float* out, int64_t n, float alpha) {
  constexpr int64_t kGrain = 1 << 15;
  const int64_t units = n < (int64_t{1} << 18) ? 1 : ceil_div(n, kGrain);
  parallel_for(units, [&](int64_t ub, int64_t ue, int) {
    const int64_t b = ub * (n / units) + std::min(ub, n % units);
    const int64_t e = ue * (n / units) + std::min(ue, n % units);
    for (int64_t i = b; i < e; ++i) {
      const float v = x[i];
      float r;
      if (OP == 0) r = v < 0.0f ? 0.0f : v;  // relu (NaN stays NaN, as in tfjs)
      else if (OP == 1) r = v > 0.0f ? 1.0f : (v != v ? v : alpha);  // step
      else if (OP == 2) r = -v;
      else if (OP == 3) r = v * v;
      else if (OP == 4) r = fast_exp(v);
      else if (OP == 5) r = std::log(v);
      else if (OP == 6) r = std::sqrt(v);
      else r = 1.0f / std::sqrt(v);  // rsqrt
      out[i] = r;
    }
  });
}

}  // namespace

void unary(int op, const float* x, float* out, int64_t n, float alpha) {
  switch (op) {
    case 0: return unary_impl<0>(x, out, n, alpha);
    case 1: return unary_impl<1>(x, out, n, alpha);
    case 2: return unary_impl<2>(x, out, n, alpha);
    case 3: return unary_impl<3>(x, out, n, alpha);
    case 4: return unary_impl<4>(x, out, n, alpha);
    case 5: return unary_impl<5>(x, out, n, alpha);
    case 6: return unary_impl<6>(x, out, n, alpha);
    default: return unary_impl<7>(x, out, n, alpha);
  }
}

void binary(int op, const float* a, const float* b, float* out, const int64_t* dims, const int64_t* sa, const int64_t* sb) {
  switch (op) {
    case 0: return binary_impl<0>(a, b, out, dims, sa, sb);
    case 1: return binary_impl<1>(a, b, out, dims, sa, sb);
    case 2: return binary_impl<2>(a, b, out, dims, sa, sb);
    case 3: return binary_impl<3>(a, b, out, dims, sa, sb);
    default: return binary_impl<4>(a, b, out, dims, sa, sb);
  }
}

}  // namespace SSLB_ISA
}  // namespace sslb
