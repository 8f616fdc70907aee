// N-API entry points of the ssl-bench native kernels and the thread pool they run on. Every entry point is
// synchronous (tfjs kernels are), takes Float32Array views (on the cpu backend's buffers or on the wasm
// backend's heap) and validates sizes before touching memory.
#include <node_api.h>
#include <uv.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <exception>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#ifdef __linux__
#include <sched.h>
#endif

#include "kernels.h"

namespace sslb {
namespace {

// Fork-join pool. Chunks are claimed from an atomic counter; the caller claims too and returns as soon as
// every chunk is finished, without waiting for workers that never got scheduled (on a busy 2-core machine a
// sleeping worker can take milliseconds to wake, and a late one simply finds the job closed).
class Pool {
 public:
  explicit Pool(int threads) { resize(threads); }
  ~Pool() { stop(); }

  int threads() const { return static_cast<int>(workers_.size()) + 1; }

  void resize(int threads) {
    stop();
    stopping_ = false;
    for (int i = 1; i < threads; ++i) workers_.emplace_back([this, i] { loop(i); });
  }

  void run(int64_t count, const std::function<void(int64_t, int64_t, int)>& body) {
    if (count <= 0) return;
    if (inside_ || workers_.empty() || count == 1) {
      body(0, count, 0);
      return;
    }
    // Several chunks per thread so that uneven units (edge rows, residue classes) balance out.
    const int64_t grain = std::max<int64_t>(1, count / (8 * threads()));
    {
      std::lock_guard<std::mutex> lock(mu_);
      body_ = &body;
      count_ = count;
      grain_ = grain;
      next_.store(0);
      finished_.store(0);
      error_ = nullptr;
      failed_ = false;
      open_ = true;
      ++generation_;
    }
    wake_.notify_all();
    work(0);
    std::unique_lock<std::mutex> lock(mu_);
    done_.wait(lock, [this] { return (failed_ || finished_.load() >= count_) && active_ == 0; });
    open_ = false;
    body_ = nullptr;
    if (error_) std::rethrow_exception(error_);
  }

 private:
  void work(int tid) {
    inside_ = true;
    try {
      for (;;) {
        const int64_t b = next_.fetch_add(grain_);
        if (b >= count_) break;
        const int64_t e = std::min(count_, b + grain_);
        (*body_)(b, e, tid);
        finished_.fetch_add(e - b);
      }
    } catch (...) {
      std::lock_guard<std::mutex> lock(mu_);
      if (!error_) error_ = std::current_exception();
      // Abandon the unclaimed chunks; the caller stops waiting for them.
      next_.store(count_);
      failed_ = true;
    }
    inside_ = false;
  }

  void loop(int tid) {
    uint64_t seen = 0;
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mu_);
        wake_.wait(lock, [&] { return stopping_ || (open_ && generation_ != seen); });
        if (stopping_) return;
        seen = generation_;
        ++active_;
      }
      work(tid);
      std::lock_guard<std::mutex> lock(mu_);
      --active_;
      done_.notify_one();
    }
  }

  void stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    wake_.notify_all();
    for (auto& t : workers_) t.join();
    workers_.clear();
  }

  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable wake_, done_;
  const std::function<void(int64_t, int64_t, int)>* body_ = nullptr;
  std::atomic<int64_t> next_{0}, finished_{0};
  int64_t count_ = 0, grain_ = 1;
  int active_ = 0;
  uint64_t generation_ = 0;
  bool open_ = false;
  bool failed_ = false;
  bool stopping_ = false;
  std::exception_ptr error_;
  static thread_local bool inside_;
};
thread_local bool Pool::inside_ = false;

int available_cpus() {
#ifdef __linux__
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) return std::max(1, CPU_COUNT(&set));
#endif
  return std::max(1u, std::thread::hardware_concurrency());
}

Pool& pool() {
  // Never destroyed: joining threads during process teardown can deadlock inside exit handlers.
  static Pool* p = new Pool(available_cpus());
  return *p;
}

struct Kernels {
  const char* isa;
  void (*forward)(const ConvGeom&, const float*, const float*, float*);
  void (*backprop_input)(const ConvGeom&, const float*, const float*, float*);
  void (*backprop_filter)(const ConvGeom&, const float*, const float*, float*);
  void (*reduce_sum)(const float*, int64_t, int64_t, int64_t, float*);
  void (*binary)(int, const float*, const float*, float*, const int64_t*, const int64_t*, const int64_t*);
  void (*unary)(int, const float*, float*, int64_t, float);
  decltype(&generic::bn_forward) bn_forward;
  decltype(&generic::bn_backward) bn_backward;
  void (*release_scratch)();
  size_t (*scratch_bytes)();
};

const Kernels& kernels() {
  static const Kernels k = [] {
#if defined(__x86_64__) || defined(_M_X64)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && std::getenv("SSL_BENCH_NATIVE_GENERIC") == nullptr)
      return Kernels{"avx2", avx2::conv_forward, avx2::conv_backprop_input, avx2::conv_backprop_filter, avx2::reduce_sum, avx2::binary, avx2::unary, avx2::bn_forward, avx2::bn_backward,
                     avx2::release_scratch, avx2::scratch_bytes};
#endif
    return Kernels{"generic", generic::conv_forward, generic::conv_backprop_input, generic::conv_backprop_filter,
                   generic::reduce_sum, generic::binary, generic::unary, generic::bn_forward, generic::bn_backward,
                   generic::release_scratch, generic::scratch_bytes};
  }();
  return k;
}

// ---- N-API helpers ----

struct ArgError {
  std::string message;
};

#define NAPI_OK(call)                                      \
  do {                                                     \
    if ((call) != napi_ok) throw ArgError{"N-API call failed: " #call}; \
  } while (0)

std::vector<napi_value> get_args(napi_env env, napi_callback_info info, size_t expected) {
  size_t argc = expected;
  std::vector<napi_value> argv(expected);
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv.data(), nullptr, nullptr));
  if (argc < expected) throw ArgError{"expected " + std::to_string(expected) + " arguments"};
  return argv;
}

template <typename T>
T* typed_array(napi_env env, napi_value v, napi_typedarray_type want, size_t& length, const char* what) {
  bool is = false;
  NAPI_OK(napi_is_typedarray(env, v, &is));
  if (!is) throw ArgError{std::string(what) + " must be a typed array"};
  napi_typedarray_type type;
  void* data = nullptr;
  napi_value ab;
  size_t offset = 0;
  NAPI_OK(napi_get_typedarray_info(env, v, &type, &length, &data, &ab, &offset));
  if (type != want) throw ArgError{std::string(what) + " has the wrong element type"};
  return static_cast<T*>(data);
}

float* f32(napi_env env, napi_value v, size_t need, const char* what) {
  size_t len = 0;
  float* p = typed_array<float>(env, v, napi_float32_array, len, what);
  if (len < need) throw ArgError{std::string(what) + " is too short: " + std::to_string(len) + " < " + std::to_string(need)};
  return p;
}

int64_t to_int(napi_env env, napi_value v) {
  int64_t out = 0;
  NAPI_OK(napi_get_value_int64(env, v, &out));
  return out;
}

constexpr int kGeomFields = 21;

ConvGeom read_geom(napi_env env, napi_value v) {
  size_t len = 0;
  const int32_t* a = typed_array<int32_t>(env, v, napi_int32_array, len, "geometry");
  if (len != kGeomFields) throw ArgError{"geometry must hold " + std::to_string(kGeomFields) + " integers"};
  ConvGeom g;
  std::memcpy(&g, a, sizeof(ConvGeom));
  static_assert(sizeof(ConvGeom) == kGeomFields * sizeof(int), "ConvGeom layout");
  const int* f = reinterpret_cast<const int*>(&g);
  // Sizes, strides and dilations are positive; the three paddings (last fields) may be zero or, with tfjs
  // 'same' padding and a stride larger than the kernel, negative.
  for (int i = 0; i < kGeomFields - 3; ++i)
    if (f[i] < 1 || f[i] > (1 << 24)) throw ArgError{"geometry value " + std::to_string(i) + " out of range"};
  for (int i = kGeomFields - 3; i < kGeomFields; ++i)
    if (f[i] < -(1 << 16) || f[i] > (1 << 16)) throw ArgError{"geometry value " + std::to_string(i) + " out of range"};
  return g;
}

size_t vol(int64_t a, int64_t b, int64_t c, int64_t d, int64_t e) { return static_cast<size_t>(a * b * c * d * e); }

// The pool and the scratch cache are per process while JS may call from several worker_threads: one call
// at a time.
std::mutex g_call_mutex;

template <typename F>
napi_value guarded(napi_env env, F&& f) {
  std::lock_guard<std::mutex> lock(g_call_mutex);
  try {
    return f();
  } catch (const ArgError& e) {
    napi_throw_error(env, "SSLB_NATIVE_ARGS", e.message.c_str());
  } catch (const std::bad_alloc&) {
    napi_throw_error(env, "SSLB_NATIVE_OOM", "native kernel could not allocate its scratch memory");
  } catch (const std::exception& e) {
    napi_throw_error(env, "SSLB_NATIVE", e.what());
  }
  return nullptr;
}

napi_value undefined(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

// conv3dForward(x, w, y, geometry)
napi_value Forward(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto a = get_args(env, info, 4);
    const ConvGeom g = read_geom(env, a[3]);
    const float* x = f32(env, a[0], vol(g.n, g.id, g.ih, g.iw, g.ci), "x");
    const float* w = f32(env, a[1], vol(g.kd, g.kh, g.kw, g.ci, g.co), "filter");
    float* y = f32(env, a[2], vol(g.n, g.od, g.oh, g.ow, g.co), "output");
    kernels().forward(g, x, w, y);
    return undefined(env);
  });
}

// conv3dBackpropInput(dy, w, dx, geometry)
napi_value BackpropInput(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto a = get_args(env, info, 4);
    const ConvGeom g = read_geom(env, a[3]);
    if (g.dd != 1 || g.dh != 1 || g.dw != 1) throw ArgError{"backprop kernels need dilation 1"};
    const float* dy = f32(env, a[0], vol(g.n, g.od, g.oh, g.ow, g.co), "dy");
    const float* w = f32(env, a[1], vol(g.kd, g.kh, g.kw, g.ci, g.co), "filter");
    float* dx = f32(env, a[2], vol(g.n, g.id, g.ih, g.iw, g.ci), "output");
    kernels().backprop_input(g, dy, w, dx);
    return undefined(env);
  });
}

// conv3dBackpropFilter(x, dy, dw, geometry)
napi_value BackpropFilter(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto a = get_args(env, info, 4);
    const ConvGeom g = read_geom(env, a[3]);
    if (g.dd != 1 || g.dh != 1 || g.dw != 1) throw ArgError{"backprop kernels need dilation 1"};
    const float* x = f32(env, a[0], vol(g.n, g.id, g.ih, g.iw, g.ci), "x");
    const float* dy = f32(env, a[1], vol(g.n, g.od, g.oh, g.ow, g.co), "dy");
    float* dw = f32(env, a[2], vol(g.kd, g.kh, g.kw, g.ci, g.co), "output");
    kernels().backprop_filter(g, x, dy, dw);
    return undefined(env);
  });
}

// reduceSum(x, outer, rows, inner, out): out[o][j] = sum over r of x[o][r][j]
napi_value ReduceSum(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto a = get_args(env, info, 5);
    const int64_t outer = to_int(env, a[1]), rows = to_int(env, a[2]), inner = to_int(env, a[3]);
    if (outer < 1 || rows < 1 || inner < 1) throw ArgError{"reduceSum: sizes must be positive"};
    if (outer * inner > (int64_t{1} << 22)) throw ArgError{"reduceSum: output too large"};
    const float* x = f32(env, a[0], static_cast<size_t>(outer * rows * inner), "x");
    float* out = f32(env, a[4], static_cast<size_t>(outer * inner), "output");
    kernels().reduce_sum(x, outer, rows, inner, out);
    return undefined(env);
  });
}

// binary(op, a, b, out, dims[3], aStrides[3], bStrides[3]): out[i0][i1][i2] = a[..] op b[..], with per-axis
// element strides (0 = broadcast). op: 0 add, 1 sub, 2 mul, 3 div, 4 squared difference.
napi_value Binary(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto a = get_args(env, info, 7);
    const int64_t op = to_int(env, a[0]);
    if (op < 0 || op > 4) throw ArgError{"binary: unknown op"};
    int64_t d[3], sa[3], sb[3];
    auto triple = [&](napi_value v, int64_t* outv, const char* what) {
      size_t len = 0;
      const int32_t* p = typed_array<int32_t>(env, v, napi_int32_array, len, what);
      if (len != 3) throw ArgError{std::string(what) + " must hold 3 integers"};
      for (int i = 0; i < 3; ++i) outv[i] = p[i];
    };
    triple(a[4], d, "dims");
    triple(a[5], sa, "aStrides");
    triple(a[6], sb, "bStrides");
    int64_t lastA = 0, lastB = 0;
    for (int i = 0; i < 3; ++i) {
      if (d[i] < 1 || sa[i] < 0 || sb[i] < 0) throw ArgError{"binary: bad dims or strides"};
      lastA += (d[i] - 1) * sa[i];
      lastB += (d[i] - 1) * sb[i];
    }
    if ((sa[2] != 0 && sa[2] != 1) || (sb[2] != 0 && sb[2] != 1)) throw ArgError{"binary: innermost strides must be 0 or 1"};
    const float* x = f32(env, a[1], static_cast<size_t>(lastA + 1), "a");
    const float* y = f32(env, a[2], static_cast<size_t>(lastB + 1), "b");
    float* out = f32(env, a[3], static_cast<size_t>(d[0] * d[1] * d[2]), "output");
    kernels().binary(static_cast<int>(op), x, y, out, d, sa, sb);
    return undefined(env);
  });
}

// unary(op, x, out, alpha): op 0 relu, 1 step (alpha below zero), 2 neg, 3 square, 4 exp, 5 log, 6 sqrt, 7 rsqrt.
napi_value Unary(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto a = get_args(env, info, 4);
    const int64_t op = to_int(env, a[0]);
    if (op < 0 || op > 7) throw ArgError{"unary: unknown op"};
    size_t n = 0;
    const float* x = typed_array<float>(env, a[1], napi_float32_array, n, "x");
    float* out = f32(env, a[2], n, "output");
    double alpha = 0;
    NAPI_OK(napi_get_value_double(env, a[3], &alpha));
    kernels().unary(static_cast<int>(op), x, out, static_cast<int64_t>(n), static_cast<float>(alpha));
    return undefined(env);
  });
}

float* optional_f32(napi_env env, napi_value v, size_t need, const char* what) {
  napi_valuetype t;
  NAPI_OK(napi_typeof(env, v, &t));
  return t == napi_null || t == napi_undefined ? nullptr : f32(env, v, need, what);
}

bool to_bool(napi_env env, napi_value v) {
  bool b = false;
  NAPI_OK(napi_get_value_bool(env, v, &b));
  return b;
}

float to_float(napi_env env, napi_value v) {
  double d = 0;
  NAPI_OK(napi_get_value_double(env, v, &d));
  return static_cast<float>(d);
}

// bnForward(x, rows, c, bias|null, gamma, beta, eps, relu, y, mean, variance)
napi_value BnForward(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto a = get_args(env, info, 11);
    const int64_t rows = to_int(env, a[1]), c = to_int(env, a[2]);
    if (rows < 1 || c < 1 || c > (1 << 16)) throw ArgError{"bnForward: bad rows/channels"};
    const size_t n = static_cast<size_t>(rows * c), cc = static_cast<size_t>(c);
    kernels().bn_forward(f32(env, a[0], n, "x"), rows, static_cast<int>(c), optional_f32(env, a[3], cc, "bias"),
                         f32(env, a[4], cc, "gamma"), f32(env, a[5], cc, "beta"), to_float(env, a[6]), to_bool(env, a[7]),
                         f32(env, a[8], n, "y"), f32(env, a[9], cc, "mean"), f32(env, a[10], cc, "variance"));
    return undefined(env);
  });
}

// bnBackward(dy, x, rows, c, bias|null, gamma, beta, mean, variance, eps, relu, dx, dgamma, dbeta)
napi_value BnBackward(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto a = get_args(env, info, 14);
    const int64_t rows = to_int(env, a[2]), c = to_int(env, a[3]);
    if (rows < 1 || c < 1 || c > (1 << 16)) throw ArgError{"bnBackward: bad rows/channels"};
    const size_t n = static_cast<size_t>(rows * c), cc = static_cast<size_t>(c);
    kernels().bn_backward(f32(env, a[0], n, "dy"), f32(env, a[1], n, "x"), rows, static_cast<int>(c),
                          optional_f32(env, a[4], cc, "bias"), f32(env, a[5], cc, "gamma"), f32(env, a[6], cc, "beta"),
                          f32(env, a[7], cc, "mean"), f32(env, a[8], cc, "variance"), to_float(env, a[9]),
                          to_bool(env, a[10]), f32(env, a[11], n, "dx"), f32(env, a[12], cc, "dgamma"),
                          f32(env, a[13], cc, "dbeta"));
    return undefined(env);
  });
}

napi_value SetThreads(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto a = get_args(env, info, 1);
    const int64_t n = to_int(env, a[0]);
    pool().resize(static_cast<int>(std::clamp<int64_t>(n <= 0 ? available_cpus() : n, 1, 256)));
    napi_value out;
    NAPI_OK(napi_create_int32(env, pool().threads(), &out));
    return out;
  });
}

napi_value ReleaseScratch(napi_env env, napi_callback_info) {
  return guarded(env, [&] {
    kernels().release_scratch();
    return undefined(env);
  });
}

napi_value Info(napi_env env, napi_callback_info) {
  return guarded(env, [&] {
    napi_value obj, isa, threads, cpus, scratch;
    NAPI_OK(napi_create_object(env, &obj));
    NAPI_OK(napi_create_string_utf8(env, kernels().isa, NAPI_AUTO_LENGTH, &isa));
    NAPI_OK(napi_create_int32(env, pool().threads(), &threads));
    NAPI_OK(napi_create_int32(env, available_cpus(), &cpus));
    NAPI_OK(napi_set_named_property(env, obj, "isa", isa));
    NAPI_OK(napi_set_named_property(env, obj, "threads", threads));
    NAPI_OK(napi_set_named_property(env, obj, "cpus", cpus));
    NAPI_OK(napi_create_double(env, static_cast<double>(kernels().scratch_bytes()), &scratch));
    NAPI_OK(napi_set_named_property(env, obj, "scratchBytes", scratch));
    return obj;
  });
}

// Runs one turn of Node's event loop from inside a synchronous call (deasync-style). The webgpu backend
// uses it to wait for a GPU buffer mapping in `readSync`: Dawn completes mapAsync from a setImmediate
// callback, which only the event loop runs. Timers and I/O callbacks that are due also run (microtasks
// do not: the caller's callback scope is still open).
napi_value PumpEventLoop(napi_env env, napi_callback_info) {
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) == napi_ok && loop != nullptr) uv_run(loop, UV_RUN_ONCE);
  return nullptr;
}

napi_value Init(napi_env env, napi_value exports) {
  const napi_property_descriptor props[] = {
      {"conv3dForward", nullptr, Forward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"conv3dBackpropInput", nullptr, BackpropInput, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"conv3dBackpropFilter", nullptr, BackpropFilter, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"reduceSum", nullptr, ReduceSum, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setThreads", nullptr, SetThreads, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"binary", nullptr, Binary, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"unary", nullptr, Unary, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"bnForward", nullptr, BnForward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"bnBackward", nullptr, BnBackward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"releaseScratch", nullptr, ReleaseScratch, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"info", nullptr, Info, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"pumpEventLoop", nullptr, PumpEventLoop, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

}  // namespace

void parallel_for(int64_t count, const std::function<void(int64_t, int64_t, int)>& body) { pool().run(count, body); }
int pool_threads() { return pool().threads(); }

}  // namespace sslb

NAPI_MODULE(NODE_GYP_MODULE_NAME, sslb::Init)
