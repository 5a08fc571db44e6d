// Track tile encoding: float16 conversion, zoom summaries and the zstd codec (see track_tiles.h).
#include "genomics/track_tiles.h"

#include <zstd.h>

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>

namespace ms {

namespace {

uint32_t bits_of(float f) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    return u;
}
float float_of(uint32_t u) {
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}

// zstd level 3 (its default): about 300 MB/s per core on this machine class, so compression never
// limits a writer fed by the engine; higher levels gain a few percent for several times the time.
constexpr int kZstdLevel = 3;

// Codes of the quantised codings: 0..max_code, max_code + 1 = NaN.
constexpr uint32_t max_code(ValueCoding c) { return c == ValueCoding::q8 ? 254u : 65534u; }
constexpr size_t code_bytes(ValueCoding c) { return c == ValueCoding::q8 ? 1 : 2; }

float step_of(const TrackEncoding& e) { return (e.hi - e.lo) / float(max_code(e.coding)); }

// The code of one value; every path that stores a value goes through here, so storage and
// round_trip() cannot disagree.
inline uint32_t quantise(float v, float lo, float inv_step, uint32_t top) {
    if (std::isnan(v)) return top + 1;
    const float x = (v - lo) * inv_step;
    // Clamping first keeps +-inf and out-of-range values on the grid's ends.
    return uint32_t(std::min(std::max(x, 0.0f), float(top)) + 0.5f);
}

// Writes n values as codes in byte planes at out (code_bytes(coding) * n bytes).
void put_codes(const TrackEncoding& e, const float* v, size_t n, uint8_t* out) {
    switch (e.coding) {
        case ValueCoding::f16:
            for (size_t i = 0; i < n; ++i) {
                const uint16_t h = float_to_half(v[i]);
                out[i] = uint8_t(h & 0xffu);
                out[n + i] = uint8_t(h >> 8);
            }
            return;
        case ValueCoding::q8: {
            const float inv = 1.0f / step_of(e);
            for (size_t i = 0; i < n; ++i) out[i] = uint8_t(quantise(v[i], e.lo, inv, 254u));
            return;
        }
        case ValueCoding::q16: {
            const float inv = 1.0f / step_of(e);
            for (size_t i = 0; i < n; ++i) {
                const uint32_t q = quantise(v[i], e.lo, inv, 65534u);
                out[i] = uint8_t(q & 0xffu);
                out[n + i] = uint8_t(q >> 8);
            }
            return;
        }
    }
}

// Reads n codes from byte planes at in.
void get_codes(const TrackEncoding& e, const uint8_t* in, size_t n, float* v) {
    const float nan = std::numeric_limits<float>::quiet_NaN();
    switch (e.coding) {
        case ValueCoding::f16:
            for (size_t i = 0; i < n; ++i) v[i] = half_to_float(uint16_t(in[i] | (uint16_t(in[n + i]) << 8)));
            return;
        case ValueCoding::q8: {
            float table[256];
            const float step = step_of(e);
            for (uint32_t c = 0; c < 255; ++c) table[c] = e.lo + float(c) * step;
            table[255] = nan;
            for (size_t i = 0; i < n; ++i) v[i] = table[in[i]];
            return;
        }
        case ValueCoding::q16: {
            const float step = step_of(e);
            for (size_t i = 0; i < n; ++i) {
                const uint32_t q = in[i] | (uint32_t(in[n + i]) << 8);
                v[i] = q > 65534u ? nan : e.lo + float(q) * step;
            }
            return;
        }
    }
}

}  // namespace

const char* to_string(ValueCoding c) {
    switch (c) {
        case ValueCoding::f16:
            return "f16";
        case ValueCoding::q8:
            return "q8";
        case ValueCoding::q16:
            return "q16";
    }
    return "f16";
}

double TrackEncoding::max_abs_error() const {
    return coding == ValueCoding::f16 ? 0.0 : double(hi - lo) / max_code(coding) / 2;
}

std::string describe(const TrackEncoding& e) {
    if (e.coding == ValueCoding::f16) return "f16";
    return cat(to_string(e.coding), "[", e.lo, ",", e.hi, "]");
}

Result<void> validate(const TrackEncoding& e) {
    if (e.coding == ValueCoding::f16) return {};
    if (!std::isfinite(e.lo) || !std::isfinite(e.hi) || !(e.lo < e.hi))
        return make_error("track encoding ", to_string(e.coding), " needs a finite range with lo < hi; got [", e.lo,
                          ", ", e.hi, "]");
    return {};
}

float round_trip(const TrackEncoding& e, float v) {
    uint8_t planes[2];
    put_codes(e, &v, 1, planes);
    float out = 0;
    get_codes(e, planes, 1, &out);
    return out;
}

uint16_t float_to_half(float f) {
    const uint32_t x = bits_of(f);
    const uint16_t sign = uint16_t((x >> 16) & 0x8000u);
    const uint32_t a = x & 0x7fffffffu;
    if (a > 0x7f800000u) return sign | 0x7e00u;  // NaN (quiet); the payload is not kept
    if (a >= 0x38800000u) {                      // a normal float16 (or overflow)
        // Round to nearest even on the 13 dropped mantissa bits, then rebias 127 -> 15.
        const uint32_t r = (a + 0xfffu + ((a >> 13) & 1u) - 0x38000000u) >> 13;
        return sign | uint16_t(std::min<uint32_t>(r, 0x7c00u));
    }
    // Subnormal or zero: adding 0.5 aligns the float16 subnormal step (2^-24) with the float's
    // last mantissa bit, so the FPU's own round-to-nearest-even does the rounding.
    const float magic = float_of(126u << 23);
    return sign | uint16_t(bits_of(float_of(a) + magic) - (126u << 23));
}

float half_to_float(uint16_t h) {
    const uint32_t sign = uint32_t(h & 0x8000u) << 16;
    const uint32_t exp = (h >> 10) & 0x1fu;
    const uint32_t mant = h & 0x3ffu;
    if (exp == 0) {
        const float v = std::ldexp(float(mant), -24);
        return sign ? -v : v;
    }
    if (exp == 31) return float_of(sign | 0x7f800000u | (mant << 13));
    return float_of(sign | ((exp + 112u) << 23) | (mant << 13));
}

ZoomSummary summarize(const float* values, int64_t n, int zoom) {
    assert(zoom >= 1 && zoom <= kMaxZoom && n >= 0 && n <= kTilePositions);
    const int64_t bs = zoom_bin_size(zoom), nb = zoom_bins(n, zoom);
    const float nan = std::numeric_limits<float>::quiet_NaN();
    ZoomSummary s;
    s.mean.assign(nb, nan);
    s.min.assign(nb, nan);
    s.max.assign(nb, nan);
    s.count.assign(nb, 0);
    for (int64_t b = 0; b < nb; ++b) {
        // Double sums: a 4096-position float sum loses digits the float16 mean would still show.
        double sum = 0;
        float lo = std::numeric_limits<float>::infinity(), hi = -lo;
        int count = 0;
        for (int64_t i = b * bs, e = std::min(n, (b + 1) * bs); i < e; ++i) {
            const float v = values[i];
            if (std::isnan(v)) continue;
            sum += v;
            lo = std::min(lo, v);
            hi = std::max(hi, v);
            ++count;
        }
        if (count == 0) continue;
        s.mean[b] = float(sum / count);
        s.min[b] = lo;
        s.max[b] = hi;
        s.count[b] = uint16_t(count);
    }
    return s;
}

std::vector<ZoomSummary> summarize_zooms(const float* values, int64_t n) {
    assert(n >= 0 && n <= kTilePositions);
    // Per bin of the current zoom: exact double sum, min, max, count of non-NaN values.
    int64_t nb = zoom_bins(n, 1);
    std::vector<double> sum(size_t(nb), 0.0);
    std::vector<float> lo(size_t(nb), INFINITY), hi(size_t(nb), -INFINITY);
    std::vector<int32_t> count(size_t(nb), 0);
    for (int64_t b = 0; b < nb; ++b) {
        double s = 0;
        float mn = INFINITY, mx = -INFINITY;
        int32_t c = 0;
        for (int64_t i = b * 16, e = std::min(n, i + 16); i < e; ++i) {
            const float v = values[i];
            if (std::isnan(v)) continue;
            s += v;
            mn = std::min(mn, v);
            mx = std::max(mx, v);
            ++c;
        }
        sum[size_t(b)] = s;
        lo[size_t(b)] = mn;
        hi[size_t(b)] = mx;
        count[size_t(b)] = c;
    }
    const float nan = std::numeric_limits<float>::quiet_NaN();
    std::vector<ZoomSummary> out;
    for (int zoom = 1;; ++zoom) {
        ZoomSummary z;
        z.mean.resize(size_t(nb));
        z.min.resize(size_t(nb));
        z.max.resize(size_t(nb));
        z.count.resize(size_t(nb));
        for (size_t b = 0; b < size_t(nb); ++b) {
            const bool any = count[b] > 0;
            z.mean[b] = any ? float(sum[b] / count[b]) : nan;
            z.min[b] = any ? lo[b] : nan;
            z.max[b] = any ? hi[b] : nan;
            z.count[b] = uint16_t(count[b]);
        }
        out.push_back(std::move(z));
        if (zoom == kMaxZoom) break;
        // Merge 16 bins into one for the next zoom, in place (bin b reads bins 16b.. which are >= b).
        const int64_t coarse = zoom_bins(n, zoom + 1);
        for (int64_t b = 0; b < coarse; ++b) {
            double s = 0;
            float mn = INFINITY, mx = -INFINITY;
            int32_t c = 0;
            for (int64_t i = b * 16, e = std::min(nb, i + 16); i < e; ++i) {
                s += sum[size_t(i)];
                mn = std::min(mn, lo[size_t(i)]);
                mx = std::max(mx, hi[size_t(i)]);
                c += count[size_t(i)];
            }
            sum[size_t(b)] = s;
            lo[size_t(b)] = mn;
            hi[size_t(b)] = mx;
            count[size_t(b)] = c;
        }
        nb = coarse;
    }
    return out;
}

struct TileCodec::Impl {
    struct CDel {
        void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
    };
    struct DDel {
        void operator()(ZSTD_DCtx* d) const { ZSTD_freeDCtx(d); }
    };
    // Every frame carries zstd's content checksum (4 bytes): a flipped bit in a stored tile fails to
    // decode and is named (ResultsStore's damaged_tile) instead of decoding to other values —
    // SQLite has no page checksums, and without it one bit changed 12,000–27,000 exported values
    // with `info` saying "integrity ok" (found in review). Tiles written before it decode as before.
    static ZSTD_CCtx* make_cctx() {
        ZSTD_CCtx* c = ZSTD_createCCtx();
        if (c && (ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, kZstdLevel)) ||
                  ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1)))) {
            ZSTD_freeCCtx(c);
            return nullptr;
        }
        return c;
    }
    std::unique_ptr<ZSTD_CCtx, CDel> cctx{make_cctx()};
    std::unique_ptr<ZSTD_DCtx, DDel> dctx{ZSTD_createDCtx()};
    std::vector<uint8_t> planes, raw;
    std::vector<float> stored;
};

TileCodec::TileCodec() : impl_(std::make_unique<Impl>()) {}
TileCodec::~TileCodec() = default;
TileCodec::TileCodec(TileCodec&&) noexcept = default;
TileCodec& TileCodec::operator=(TileCodec&&) noexcept = default;

Result<std::vector<uint8_t>> TileCodec::compress(const std::vector<uint8_t>& planes) {
    if (!impl_->cctx) return make_error("cannot compress a track tile: zstd could not allocate its context");
    std::vector<uint8_t> out(ZSTD_compressBound(planes.size()));
    // ZSTD_compress2 applies the context's parameters (ZSTD_compressCCtx would drop the checksum).
    const size_t r = ZSTD_compress2(impl_->cctx.get(), out.data(), out.size(), planes.data(), planes.size());
    if (ZSTD_isError(r)) return make_error("cannot compress a track tile: zstd says ", ZSTD_getErrorName(r));
    out.resize(r);
    return out;
}

Result<const std::vector<uint8_t>*> TileCodec::decompress(const void* blob, size_t bytes, size_t expect_bytes) {
    if (!impl_->dctx) return make_error("cannot decompress a track tile: zstd could not allocate its context");
    const unsigned long long content = ZSTD_getFrameContentSize(blob, bytes);
    if (content == ZSTD_CONTENTSIZE_ERROR || content == ZSTD_CONTENTSIZE_UNKNOWN)
        return make_error("track tile is not a zstd frame (", bytes, " bytes)");
    if (content != expect_bytes) return make_error("track tile holds ", content, " bytes; expected ", expect_bytes);
    std::vector<uint8_t>& raw = impl_->raw;
    raw.resize(expect_bytes);
    const size_t r = ZSTD_decompressDCtx(impl_->dctx.get(), raw.data(), raw.size(), blob, bytes);
    if (ZSTD_isError(r)) return make_error("track tile does not decompress: zstd says ", ZSTD_getErrorName(r));
    if (r != raw.size()) return make_error("track tile decompressed to ", r, " bytes; expected ", raw.size());
    return &raw;
}

Result<std::vector<uint8_t>> TileCodec::encode_values(const TrackEncoding& e, const float* values, int64_t n) {
    std::vector<uint8_t>& planes = impl_->planes;
    planes.resize(code_bytes(e.coding) * size_t(n));
    put_codes(e, values, size_t(n), planes.data());
    return compress(planes);
}

Result<std::vector<uint8_t>> TileCodec::encode_summary(const TrackEncoding& e, const ZoomSummary& s) {
    const size_t nb = s.size(), cb = code_bytes(e.coding);
    std::vector<uint8_t>& planes = impl_->planes;
    planes.resize((3 * cb + 2) * nb);
    put_codes(e, s.mean.data(), nb, planes.data());
    put_codes(e, s.min.data(), nb, planes.data() + cb * nb);
    put_codes(e, s.max.data(), nb, planes.data() + 2 * cb * nb);
    uint8_t* count = planes.data() + 3 * cb * nb;
    for (size_t b = 0; b < nb; ++b) {
        count[b] = uint8_t(s.count[b] & 0xffu);
        count[nb + b] = uint8_t(s.count[b] >> 8);
    }
    return compress(planes);
}

Result<std::vector<std::vector<uint8_t>>> TileCodec::encode_tile(const TrackEncoding& e, const float* values,
                                                                 int64_t n) {
    std::vector<std::vector<uint8_t>> blobs(kMaxZoom + 1);
    MS_ASSIGN(blobs[0], encode_values(e, values, n));
    // The summaries describe what a reader of zoom 0 gets back: the coded values.
    std::vector<float>& stored = impl_->stored;
    stored.resize(size_t(n));
    get_codes(e, impl_->planes.data(), size_t(n), stored.data());
    const std::vector<ZoomSummary> zooms = summarize_zooms(stored.data(), n);
    for (int z = 1; z <= kMaxZoom; ++z) MS_ASSIGN(blobs[size_t(z)], encode_summary(e, zooms[size_t(z - 1)]));
    return blobs;
}

Result<std::vector<float>> TileCodec::decode_values(const TrackEncoding& e, const void* blob, size_t bytes, int64_t n) {
    const std::vector<uint8_t>* raw = nullptr;
    MS_ASSIGN(raw, decompress(blob, bytes, code_bytes(e.coding) * size_t(n)));
    std::vector<float> v(static_cast<size_t>(n));
    get_codes(e, raw->data(), size_t(n), v.data());
    return v;
}

Result<ZoomSummary> TileCodec::decode_summary(const TrackEncoding& e, const void* blob, size_t bytes, int64_t n_bins) {
    const size_t nb = size_t(n_bins), cb = code_bytes(e.coding);
    const std::vector<uint8_t>* raw = nullptr;
    MS_ASSIGN(raw, decompress(blob, bytes, (3 * cb + 2) * nb));
    ZoomSummary s;
    s.mean.resize(nb);
    s.min.resize(nb);
    s.max.resize(nb);
    s.count.resize(nb);
    get_codes(e, raw->data(), nb, s.mean.data());
    get_codes(e, raw->data() + cb * nb, nb, s.min.data());
    get_codes(e, raw->data() + 2 * cb * nb, nb, s.max.data());
    const uint8_t* count = raw->data() + 3 * cb * nb;
    for (size_t b = 0; b < nb; ++b) s.count[b] = uint16_t(count[b] | (uint16_t(count[nb + b]) << 8));
    return s;
}

}  // namespace ms
